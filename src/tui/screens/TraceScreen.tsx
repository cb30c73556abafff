/** A packet form, every outcome of the packet (probability, verdict, DNAT, masquerade, why) and the selected outcome's path. */
import React from 'react';
import { Box } from 'ink';
import { DEFAULT_CLIENT } from '../../core/index.js';
import { describeStep, type Outcome, type PathStep } from '../../core/trace/index.js';
import { Line, type Segment } from '../components/Line.js';
import { ListView, MARKER } from '../components/ListView.js';
import SelectInput from 'ink-select-input';
import { usePresetsKeys } from '../hooks/use-trace-keys.js';
import { useTraceKeys } from '../hooks/use-trace-keys.js';
import { ruleCounters, ruleOf, stepChainRef } from '../model/explorer-data.js';
import { Detail } from '../components/Detail.js';
import { cell, humanCount, moreText, percent, plural, rcell } from '../model/format.js';
import { hiddenRows, resolveCursor } from '../state/list-window.js';
import { tracePresets, traceRows, traceView, type TraceRow } from '../model/views.js';
import type { TraceFocus, TraceForm } from '../state.js';
import { parseHostPort } from '../state/commands.js';
import { useTheme, type Theme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

/** What an empty source means: the node itself for a loopback destination, else a client off the node (f offers others). */
function srcPlaceholder(dst: string): string {
  const hp = parseHostPort(dst);
  if (hp && /^(127\.|::1$)/.test(hp.address)) return `(${hp.address}, on the node)`;
  return `(${DEFAULT_CLIENT[dst.includes('[') ? 'ipv6' : 'ipv4']}, off-node; f: from…)`;
}

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
    ...field('src', 'src', form.src, srcPlaceholder(form.dst)),
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

/** `f`: where the packet comes from, a short menu (ink-select-input: ↑/↓ or j/k, Enter or 1-3; Esc closes). */
function PresetsMenu({ data, dst, height, focused, onPick }: { data: ScreenProps['data']; dst: string; height: number; focused: boolean; onPick: (src: string) => void }): React.ReactElement {
  const theme = useTheme();
  const items = tracePresets(data, dst).map((p, i) => ({ key: String(i), label: `${i + 1} ${p.label}`, value: p.src }));
  const Indicator = ({ isSelected }: { isSelected?: boolean }) => <Line text={isSelected ? MARKER : '  '} />;
  const Item = ({ label, isSelected }: { label: string; isSelected?: boolean }) => <Line text={label} style={isSelected ? theme.selected : undefined} />;
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Line text="trace from (Enter picks, Esc closes):" style={theme.header} />
      <SelectInput items={items} isFocused={focused} limit={Math.max(1, height - 1)} indicatorComponent={Indicator} itemComponent={Item} onSelect={(item) => onPick(item.value)} />
    </Box>
  );
}

/** Lines of the selected outcome or step, whole. */
const TRACE_DETAIL = 2;

/** The selected path step's rule as written, or the selected outcome's line with its whole reason and assumptions. */
function traceDetail(step: PathStep | null, row: TraceRow | null, data: ScreenProps['data'], family: 'ipv4' | 'ipv6'): string {
  if (step) {
    const ref = stepChainRef(step, family);
    const rule = step.rule !== null && ref ? ruleOf(data, ref, step.rule) : null;
    return rule ? `${describeStep(step)} · ${rule.text}` : describeStep(step);
  }
  if (row?.outcome) {
    const o = row.outcome;
    const parts = [`${percent(o.probability)} ${o.verdict}`];
    if (o.dnat) parts.push(`DNAT to ${o.dnat}${o.endpointChain ? ` (${o.endpointChain})` : ''}`);
    parts.push(o.masquerade ? 'masqueraded' : 'not masqueraded');
    if (o.reason) parts.push(o.reason);
    if (o.assumptions.length > 0) parts.push(`assumes ${o.assumptions.join('; ')}`);
    return parts.join(' · ');
  }
  return row?.heading ?? '';
}

export function TraceScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, height, width } = props;
  const theme = useTheme();
  // Form, info, column header, path title, and the selected outcome or step whole (2 lines).
  const available = Math.max(2, height - 4 - TRACE_DETAIL);
  const form = frame.screen.kind === 'trace' ? frame.screen.form : null;
  const view = traceView(data, form?.submitted ?? null);
  const outcomes = traceRows(view, frame.filter);
  const outcomeHeight = Math.min(Math.max(1, outcomes.length), Math.max(2, Math.floor(available * 0.35)));
  const pathHeight = Math.max(1, available - outcomeHeight);
  useTraceKeys(props, { outcomes: outcomeHeight, path: pathHeight });
  const menuOpen = form?.presets === true;
  usePresetsKeys(props.store, menuOpen && props.store.state.input === null);
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
    const node = data.nodeAddresses.length > 0 ? `node ${view.localAddresses.join(',')}${data.nodeAddressesFrom ? ` (from ${data.nodeAddressesFrom})` : ''}` : 'node address unknown (--node-ip); loopback is local';
    const count = `${plural(new Set(outcomes.map((r) => r.outcome).filter((o) => o !== null)).size, 'outcome')}${cases > 1 ? ` in ${cases} cases` : ''}`;
    info = { text: `${p.protocol} ${p.src}:${p.sport} -> ${p.dst}:${p.dport} · ${p.origin === 'local' ? 'from this node' : `from the network via ${p.inInterface}`} · ${count} · ${node}` };
  } else info = { text: 'Enter a destination IP:PORT and press Enter (Tab moves between fields, e edits again)', style: theme.dim };
  const pathLine = (s: PathStep) => {
    const ref = stepChainRef(s, family);
    const c = s.rule === null || ref === null ? null : ruleCounters(data, ref, s.rule);
    const right = rcell(c ? humanCount(c.packets) : '', 5);
    return `${cell(describeStep(s), Math.max(10, width - 2 - right.length - 1))} ${right}`;
  };
  const listFocus = form.focus === 'outcomes' || form.focus === 'path';
  const hiddenOutcomes = moreText(hiddenRows(frame.main.top, cursor, outcomeHeight, outcomes.length));
  const hiddenSteps = moreText(hiddenRows(frame.path.top, pathCursor, pathHeight, path.length));
  const pathTitle = selected
    ? `path of outcome ${selectedNumber}: ${plural(path.length, 'step')}${hiddenSteps ? `, ${hiddenSteps}` : ''} · Enter opens a step's chain`
    : '';
  return (
    <Box flexDirection="column" height={height}>
      <Line segments={formSegments(form, theme)} />
      <Line segments={[info]} />
      <Line text={`  ${rcell('PROB', 6)} ${cell('VERDICT', 7)} ${cell('DNAT', 21)} ${cell('MASQ', 4)} WHY${hiddenOutcomes ? `  (${hiddenOutcomes})` : ''}`} style={theme.dim} />
      <ListView rows={outcomes} cursor={cursor} top={frame.main.top} height={outcomeHeight} render={traceRowLine} focused={form.focus === 'outcomes'} empty={form.submitted ? 'no outcome' : ''} />
      <Line text={pathTitle} style={theme.dim} />
      {menuOpen ? (
        <PresetsMenu data={data} dst={form.dst} height={pathHeight} focused={props.store.state.input === null} onPick={(src) => props.store.dispatch({ type: 'tracePresets', open: false, src })} />
      ) : (
        <ListView rows={path} cursor={pathCursor} top={frame.path.top} height={pathHeight} render={pathLine} focused={listFocus && form.focus === 'path'} empty="" />
      )}
      <Detail text={traceDetail(form.focus === 'path' ? path[pathCursor] ?? null : null, form.focus === 'outcomes' ? outcomes[cursor] ?? null : null, data, family)} width={width} height={TRACE_DETAIL} style={theme.dim} />
    </Box>
  );
}
