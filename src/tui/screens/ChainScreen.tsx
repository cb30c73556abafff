/** One chain's rules: counters as `iptables -v` prints them, target, and a readable summary or the rule as written. */
import React, { useMemo } from 'react';
import { Box } from 'ink';
import { builtinChains } from '../../core/parse/index.js';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useChainKeys } from '../hooks/use-chain-keys.js';
import type { ExplorerData, RuleRow } from '../model/explorer-data.js';
import { cell, countedMark, deltaText, humanCount, plural, rateText, rcell } from '../model/format.js';
import { resolveCursor } from '../state/list-window.js';
import { chainDetailHeight, chainView } from '../model/views.js';
import { ruleDetail } from '../model/details.js';
import { Detail } from '../components/Detail.js';
import type { ChainRef } from '../state.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

const TARGET_MAX = 25;

export function chainTitle(data: ExplorerData, ref: ChainRef): string {
  const chain = data.chain(ref);
  const fam = ref.family === 'ipv6' ? ' (IPv6)' : '';
  if (!chain) return `${ref.table} ${ref.chain}${fam} · not in this dump`;
  const parts = [`${ref.table} ${ref.chain}${fam}`];
  if (chain.policy) {
    const c = chain.counters;
    const rate = data.diff.chain(ref.table, ref.family, ref.chain)?.packetRate ?? null;
    parts.push(`policy ${chain.policy}${c ? ` ${humanCount(c.packets)} pkts ${humanCount(c.bytes)} bytes` : ''}${rate !== null ? ` ${rateText(rate)} pkt/s` : ''}`);
  }
  parts.push(plural(chain.rules.length, 'rule'));
  if (!builtinChains(ref.table).includes(ref.chain)) parts.push(plural(data.references(ref), 'reference'));
  return parts.join(' · ');
}

export function ChainScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, height, store, width } = props;
  const theme = useTheme();
  const ref = frame.screen.kind === 'chain' ? frame.screen.ref : null;
  // The selected rule whole under the list, as many lines as the chain's longest rule needs (4 at most).
  const detailLines = ref ? chainDetailHeight(data, ref, store.state.raw, width, Math.min(4, Math.max(1, Math.floor(height / 4)))) : 1;
  const page = Math.max(1, height - 2 - detailLines);
  useChainKeys(props, page);
  const sort = frame.ruleSort ?? 'order';
  const rows = ref ? chainView(data, ref, frame.filter, sort) : [];
  // Once per list, not per render: KUBE-SERVICES has a rule per service port.
  const targetWidth = useMemo(() => rows.reduce((w, r) => Math.max(w, (r.rule.target ?? '').length), 6), [rows]);
  if (!ref) return <Box />;
  const raw = store.state.raw;
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const numWidth = Math.max(2, String(data.chain(ref)?.rules.length ?? 0).length);
  // nftables rules have handles (`nft -a`, the JSON form): a column, where the listing shows them.
  const handleWidth = useMemo(() => rows.reduce((w, r) => (r.rule.nft?.handle != null ? Math.max(w, String(r.rule.nft.handle).length) : w), 0), [rows]);
  const showHandles = handleWidth > 0;
  // Live: packets/s and the counted mark, Δ packets too where the summary keeps room.
  const showRate = props.counting === true;
  const showDelta = showRate && props.width >= 100;
  const line = (r: RuleRow) => {
    const d = showRate ? data.diff.rule(r.rule) : undefined;
    return [
      rcell(String(r.rule.index), numWidth),
      ...(showHandles ? [rcell(r.rule.nft?.handle == null ? '-' : String(r.rule.nft.handle), Math.max(6, handleWidth))] : []),
      rcell(humanCount(r.rule.counters?.packets), 5),
      rcell(humanCount(r.rule.counters?.bytes), 5),
      ...(showDelta ? [rcell(deltaText(d?.deltaPackets), 5)] : []),
      ...(showRate ? [rcell(rateText(d?.packetRate), 5) + countedMark(d?.countedSinceLast)] : []),
      ...(raw ? [r.rule.text] : [cell(r.rule.target ?? '', Math.min(TARGET_MAX, targetWidth)), r.summary]),
    ].join(' ');
  };
  const header = [
    rcell('#', numWidth), ...(showHandles ? [rcell('HANDLE', Math.max(6, handleWidth))] : []), rcell('PKTS', 5), rcell('BYTES', 5), ...(showDelta ? [rcell('ΔPKTS', 5)] : []), ...(showRate ? [rcell('PKT/S', 5) + ' '] : []),
    ...(raw ? ['RULE (as written; r: readable)'] : [cell('TARGET', Math.min(TARGET_MAX, targetWidth)), 'MATCHES · COMMENT (r: raw)']),
  ].join(' ');
  const selected = rows[cursor];
  const detail = selected ? ruleDetail(selected, raw) : '';
  return (
    <Box flexDirection="column" height={height}>
      <Line text={`${chainTitle(data, ref)}${sort === 'order' ? '' : ` · sort ${sort} (s)`}`} style={theme.header} />
      <Line text={`  ${header}`} style={theme.dim} />
      <ListView rows={rows} cursor={cursor} top={frame.main.top} height={page} render={line} empty={frame.filter ? `no rule matches "${frame.filter}"` : 'no rules'} />
      <Detail text={detail} width={width} height={detailLines} style={theme.dim} />
    </Box>
  );
}
