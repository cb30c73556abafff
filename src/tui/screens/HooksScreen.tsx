/** The netfilter entry points, in the order the kernel consults them, each opening its chain. */
import React from 'react';
import { Box } from 'ink';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useHooksKeys } from '../hooks/use-hooks-keys.js';
import type { HookRow } from '../model/explorer-data.js';
import { cell, humanCount, plural, rcell } from '../model/format.js';
import { resolveCursor } from '../state/list-window.js';
import { hooksView } from '../model/views.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

function hookLine(h: HookRow, showFamily: boolean, tableWidth: number): string {
  const policy = h.chain.policy ?? '-';
  const c = h.chain.counters;
  // An nft base chain is named by its table and its own name; an iptables one by its table.
  const table = h.chain.nftBase ? `${h.ref.table} ${h.ref.chain}` : h.ref.table;
  return [
    cell(h.hook, 11),
    rcell(String(h.priority), 5),
    cell(table, tableWidth),
    ...(showFamily ? [cell(h.ref.family === 'ipv6' ? 'v6' : 'v4', 2)] : []),
    cell(policy, 6),
    rcell(String(h.chain.rules.length), 5),
    rcell(humanCount(c?.packets), 5),
    rcell(humanCount(c?.bytes), 5),
    h.jumps.length > 0 ? `-> ${h.jumps.join(', ')}` : '',
  ].join(' ');
}

export function HooksScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, height } = props;
  const theme = useTheme();
  const page = Math.max(1, height - 2);
  useHooksKeys(props, page);
  const rows = hooksView(data, frame.filter);
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const showFamily = data.hookRows.some((h) => h.ref.family === 'ipv6');
  // nft base chains are "ip kube-proxy nat-prerouting": as wide as the longest, within reason.
  const tableWidth = Math.min(40, data.hookRows.reduce((w, h) => Math.max(w, h.chain.nftBase ? h.ref.table.length + 1 + h.ref.chain.length : h.ref.table.length), 8));
  const header = [
    cell('HOOK', 11), rcell('PRIO', 5), cell('TABLE', tableWidth), ...(showFamily ? [cell('IP', 2)] : []), cell('POLICY', 6),
    rcell('RULES', 5), rcell('PKTS', 5), rcell('BYTES', 5), 'JUMPS',
  ].join(' ');
  return (
    <Box flexDirection="column" height={height}>
      <Line text={`Hooks · ${plural(rows.length, 'entry point')} in kernel order (hook, then priority) · policy counters`} style={theme.header} />
      <Line text={`  ${header}`} style={theme.dim} />
      <ListView rows={rows} cursor={cursor} top={frame.main.top} height={page} render={(h) => hookLine(h, showFamily, tableWidth)} empty="no built-in chains in this dump" />
    </Box>
  );
}
