/** A packet form, every outcome of the packet (probability, verdict, DNAT, masquerade, why) and the selected outcome's path. */
import React from 'react';
import { Box } from 'ink';
import { DEFAULT_CLIENT } from '../../core/index.js';
import { describeStep, type Outcome, type PathStep } from '../../core/trace/index.js';
import { Line, type Segment } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useTraceKeys } from '../hooks/use-trace-keys.js';
import { ruleCounters, stepChainRef } from '../model/explorer-data.js';
import { cell, humanCount, percent, plural, rcell } from '../model/format.js';
import { resolveCursor } from '../state/list-window.js';
import { traceRows, traceView, type TraceRow } from '../model/views.js';
import type { TraceFocus, TraceForm } from '../state.js';
import { useTheme, type Theme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

function formSegments(form: TraceForm, theme: Theme): Segment[] {
  const field = (focus: TraceFocus, label: string, value: string, placeholder: string): Segment[] => {
    const on = form.focus === focus;
    const shown = value === '' && !on ? placeholder : value;
    return [
      { text: `${on ? '>' : ' '}${label} ` },
      { text: `${shown}${on ? '_' : ''}`, style: on ? theme.input : undefined },
      { text: '  ' },
    ];
  };
  return [
    ...field('src', 'src', form.src, `(${DEFAULT_CLIENT[form.dst.includes('[') ? 'ipv6' : 'ipv4']}, off-node client)`),
    ...field('dst', 'dst', form.dst, '(IP:PORT)'),
    ...field('proto', 'proto', form.proto, form.proto),
    ...field('assume', 'assume', form.assume, '(EXPR=true|false; …)'),
  ];
}

/** An outcome row, or a case's "if …" heading. */
export function traceRowLine(row: TraceRow): string {
  return row.outcome ? outcomeLine(row.outcome) : row.heading ?? '';
}

export function outcomeLine(o: Outcome): string {
  const why = o.reason ?? (o.delivery ? (o.delivery === 'forward' ? 'forwarded' : o.delivery) : '');
  const assumed = o.assumptions.length > 0 ? ` · assumes ${o.assumptions.join('; ')}` : '';
  return `${rcell(percent(o.probability), 6)} ${cell(o.verdict, 7)} ${cell(o.dnat ?? '-', 21)} ${cell(o.masquerade ? 'yes' : 'no', 4)} ${why}${assumed}`;
}

export function TraceScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, height, width } = props;
  const theme = useTheme();
  const available = Math.max(2, height - 5);
  const form = frame.screen.kind === 'trace' ? frame.screen.form : null;
  const view = traceView(data, form?.submitted ?? null);
  const outcomes = traceRows(view, frame.filter);
  const outcomeHeight = Math.min(Math.max(1, outcomes.length), Math.max(2, Math.floor(available * 0.35)));
  const pathHeight = Math.max(1, available - outcomeHeight);
  useTraceKeys(props, { outcomes: outcomeHeight, path: pathHeight });
  if (!form) return <Box />;
  const cursor = resolveCursor(frame.main, outcomes.length, String);
  const selected = outcomes[cursor]?.outcome ?? null;
  const selectedNumber = outcomes[cursor]?.number ?? 0;
  const path = selected?.path ?? [];
  const pathCursor = resolveCursor(frame.path, path.length, String);
  const family = view.result?.packet.family ?? 'ipv4';
  let info: Segment;
  if (form.error) info = { text: form.error, style: theme.error };
  else if (view.result?.error) info = { text: `cannot trace: ${view.result.error}`, style: theme.error };
  else if (view.result) {
    const p = view.result.packet;
    const cases = outcomes.filter((r) => r.heading !== null).length || 1;
    const node = data.nodeAddresses.length > 0 ? `node ${view.localAddresses.join(',')}` : `node ${view.localAddresses.join(',')} (assumed; --node-ip)`;
    info = { text: `${p.protocol} ${p.src}:${p.sport} → ${p.dst}:${p.dport} · ${p.origin === 'local' ? 'from this node' : `from the network via ${p.inInterface}`} · ${node} · ${plural(new Set(outcomes.map((r) => r.outcome).filter((o) => o !== null)).size, 'outcome')}${cases > 1 ? ` in ${cases} cases` : ''}` };
  } else info = { text: 'Enter a destination IP:PORT and press Enter (Tab moves between fields, e edits again)', style: theme.dim };
  const pathLine = (s: PathStep) => {
    const ref = stepChainRef(s, family);
    const c = s.rule === null || ref === null ? null : ruleCounters(data, ref, s.rule);
    const right = rcell(c ? humanCount(c.packets) : '', 5);
    return `${cell(describeStep(s), Math.max(10, width - 2 - right.length - 1))} ${right}`;
  };
  const listFocus = form.focus === 'outcomes' || form.focus === 'path';
  return (
    <Box flexDirection="column" height={height}>
      <Line segments={formSegments(form, theme)} />
      <Line segments={[info]} />
      <Line text={`  ${rcell('PROB', 6)} ${cell('VERDICT', 7)} ${cell('DNAT', 21)} ${cell('MASQ', 4)} WHY`} style={theme.dim} />
      <ListView rows={outcomes} cursor={cursor} top={frame.main.top} height={outcomeHeight} render={traceRowLine} focused={form.focus === 'outcomes'} empty={form.submitted ? 'no outcome' : ''} />
      <Line text={selected ? `path of outcome ${selectedNumber} (${plural(path.length, 'step')}; Enter opens a step's chain)` : ''} style={theme.dim} />
      <ListView rows={path} cursor={pathCursor} top={frame.path.top} height={pathHeight} render={pathLine} focused={listFocus && form.focus === 'path'} empty="" />
    </Box>
  );
}
