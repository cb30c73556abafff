/** `:top`: the busiest rules across every chain (packets/s, then packets), as htop lists processes. */
import React from 'react';
import { Box } from 'ink';
import { Detail } from '../components/Detail.js';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useTopKeys } from '../hooks/use-top-keys.js';
import { cell, humanCount, plural, rateText, rcell } from '../model/format.js';
import { ruleSummary } from '../model/rule-summary.js';
import { topView, type TopRow } from '../model/views.js';
import { resolveCursor } from '../state/list-window.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

const DETAIL = 2;

function where(r: TopRow): string {
  return `${r.ref.table} ${r.ref.chain} #${r.rule.index}${r.ref.family === 'ipv6' ? ' (v6)' : ''}`;
}

function topLine(r: TopRow, whereWidth: number): string {
  return [rcell(rateText(r.rate), 6), rcell(humanCount(r.packets), 5), rcell(humanCount(r.bytes), 5), cell(where(r), whereWidth), cell(r.rule.target ?? '', 14), ruleSummary(r.rule)].join(' ');
}

export function TopScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, height, width } = props;
  const theme = useTheme();
  const page = Math.max(1, height - 2 - DETAIL);
  useTopKeys(props, page);
  const rows = topView(data, frame.filter);
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const whereWidth = Math.min(40, Math.max(10, Math.floor(width / 3)));
  const selected = rows[cursor];
  const rates = data.diff.previous !== null;
  return (
    <Box flexDirection="column" height={height}>
      <Line text={`Top · ${plural(rows.length, 'rule')} that counted · by ${rates ? 'packets/s, then packets' : 'packets (no rate before a second snapshot)'} · Enter opens`} style={theme.header} />
      <Line text={`  ${[rcell('PKT/S', 6), rcell('PKTS', 5), rcell('BYTES', 5), cell('TABLE CHAIN #RULE', whereWidth), cell('TARGET', 14), 'MATCHES · COMMENT'].join(' ')}`} style={theme.dim} />
      <ListView rows={rows} cursor={cursor} top={frame.main.top} height={page} render={(r) => topLine(r, whereWidth)} empty={frame.filter ? `no counted rule matches "${frame.filter}"` : 'no rule has counted a packet (a dump without counters? iptables-save -c)'} />
      <Detail text={selected ? `${where(selected)} · line ${selected.rule.line}: ${selected.rule.text}` : ''} width={width} height={DETAIL} style={theme.dim} />
    </Box>
  );
}
