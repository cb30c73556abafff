/**
 * One service port: what it is, then the tree from each entry point through kube-proxy's chains
 * to every endpoint's DNAT and the outcome, with probabilities and counters (from the tracer).
 */
import React from 'react';
import { Box } from 'ink';
import { hostPort, probeNode } from '../../core/index.js';
import { serviceType, type ServicePort } from '../../core/kube/index.js';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useServiceKeys } from '../hooks/use-service-keys.js';
import type { ExplorerData } from '../model/explorer-data.js';
import type { CounterDelta, CounterDiff } from '../../core/counters/index.js';
import { cell, countedMark, humanCount, midCell, percent, plural, rateText, rcell } from '../model/format.js';
import { resolveCursor } from '../state/list-window.js';
import type { TreeRow } from '../model/service-tree.js';
import { serviceTreeRows, serviceTreeView } from '../model/views.js';
import { detailHeight, treeDetail } from '../model/details.js';
import { Detail } from '../components/Detail.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

export function serviceSummary(s: ServicePort): string {
  const parts = [s.id, serviceType(s), s.clusterIP ? `${hostPort(s.clusterIP, s.port)}/${s.protocol}` : s.protocol];
  if (s.nodePort !== null) parts.push(`node port ${s.nodePort}`);
  if (s.externalIPs.length) parts.push(`external ${s.externalIPs.join(',')}`);
  if (s.loadBalancerIPs.length) parts.push(`LB ${s.loadBalancerIPs.join(',')}`);
  if (s.externalTrafficPolicy) parts.push(`ext policy ${s.externalTrafficPolicy}`);
  if (s.internalTrafficPolicy === 'Local') parts.push('int policy Local');
  if (s.sessionAffinitySeconds !== null) parts.push(`affinity ${s.sessionAffinitySeconds}s`);
  return parts.join(' · ');
}

export function serviceSecondLine(data: ExplorerData, s: ServicePort): string {
  const local = s.endpoints.filter((e) => e.local === true).length;
  const eps = `${plural(s.endpoints.length, 'endpoint')}${s.endpoints.some((e) => e.local !== null) ? ` (${local} local)` : ''}`;
  const rate = data.diff.servicePort(s)?.packetRate ?? null;
  const counters = s.packets === null ? '' : ` · ${humanCount(s.packets)} pkts ${humanCount(s.bytes)} bytes${rate === null ? '' : ` ${rateText(rate)} pkt/s`}`;
  const node = data.nodeAddresses.length > 0 ? `node ${data.nodeAddresses.join(',')}${data.nodeAddressesFrom ? ` (from ${data.nodeAddressesFrom})` : ''}` : `node ${probeNode([], s.family).address} assumed (--node-ip)`;
  const chains = Object.entries(s.chains).filter(([, c]) => c).map(([role, c]) => `${role.toUpperCase()} ${c}`);
  return [eps + counters, node, ...chains].join(' · ');
}

/** The live counters of a tree row: its rule's, or the chain policy's. */
export function treeDelta(diff: CounterDiff, r: TreeRow): CounterDelta | undefined {
  if (r.rule) return diff.rule(r.rule);
  if (r.policyOf) return diff.chain(r.policyOf.table, r.policyOf.family, r.policyOf.chain);
  return undefined;
}

/** The right-hand columns of every row: chance, packets, and packets/s when live. */
function rightColumns(r: TreeRow, diff: CounterDiff | null): string {
  const d = diff ? treeDelta(diff, r) : undefined;
  const counted = r.rule !== null || r.policyOf !== null;
  // A count that is not this entry's alone: a mark, and the detail pane says whose it is.
  const blank = r.countersNote === 'shared' || r.countersNote === 'others' ? '*' : r.countersNote === 'repeat' ? '^' : null;
  return [
    rcell(r.probability === null ? '' : percent(r.probability), 6),
    rcell(blank ?? (r.counters ? humanCount(r.counters.packets) : ''), 5),
    ...(diff ? [rcell(counted && blank === null ? rateText(d?.packetRate) : '', 5) + countedMark(d?.countedSinceLast && blank === null)] : []),
  ].join(' ');
}

/** Widths of the endpoint table's address and KUBE-SEP columns. */
interface EndpointColumns {
  readonly address: number;
  readonly chain: number;
}

function endpointLeft(r: TreeRow, cols: EndpointColumns): string {
  const e = r.endpoint!;
  const local = e.local === null ? '?' : e.local ? 'local' : 'other';
  const share = r.share === null || r.share === undefined ? '-' : percent(r.share);
  const problem = e.problem ? ` ${e.problem}` : '';
  return `${cell(r.text, cols.address)} ${midCell(e.chain, cols.chain)} ${cell(local, 5)} ${rcell(share, 6)}${problem}`;
}

/** `diff` null: no rate column (nothing live). */
function treeLine(r: TreeRow, width: number, diff: CounterDiff | null, cols: EndpointColumns, expanded: readonly string[], filtering: boolean): string {
  const right = rightColumns(r, diff);
  let left: string;
  if (r.kind === 'endpoint') left = endpointLeft(r, cols);
  else if (r.kind === 'entry') {
    const open = filtering || expanded.includes(r.key);
    left = `${open ? '▾' : '▸'} ${r.text}${open ? '' : `  (${plural(r.size ?? 0, 'row')})`}`;
  } else left = '  '.repeat(r.depth) + r.text;
  return `${cell(left, Math.max(10, width - 2 - right.length - 1))} ${right}`;
}

export function ServiceScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, width, height } = props;
  const theme = useTheme();
  const service = frame.screen.kind === 'service' ? data.findService(frame.screen.family, frame.screen.id) : undefined;
  const expanded = frame.expanded ?? [];
  const rows = service ? serviceTreeView(data, service, frame.filter, expanded) : [];
  const all = service ? serviceTreeRows(data, service) : [];
  const detailLines = detailHeight(all.filter((r) => r.kind !== 'endpoint').map(treeDetail), width, 3);
  const page = Math.max(1, height - 3 - detailLines);
  useServiceKeys(props, page);
  if (frame.screen.kind !== 'service') return <Box />;
  if (!service) {
    return (
      <Box flexDirection="column" height={height}>
        <Line text={`${frame.screen.id}: not in this snapshot (Esc to go back)`} style={theme.error} />
      </Box>
    );
  }
  const diff = props.counting ? data.diff : null;
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const rightWidth = diff ? 19 : 12;
  const leftWidth = Math.max(10, width - 2 - rightWidth - 1);
  const addressWidth = Math.min(24, Math.max(8, ...service.endpoints.map((e) => (e.address ?? '(no DNAT rule)').length)));
  // Address, SEP, LOCAL, SHARE in the left part: the SEP name gives way first (cut in the middle).
  const cols: EndpointColumns = { address: addressWidth, chain: Math.max(12, Math.min(25, leftWidth - addressWidth - 1 - 5 - 1 - 6 - 1)) };
  // nftables mode names endpoint chains endpoint-…, iptables mode KUBE-SEP-….
  const header = `${cell('ENDPOINT', cols.address)} ${cell(service.mode === 'nftables' ? 'CHAIN' : 'KUBE-SEP', cols.chain)} ${cell('LOCAL', 5)} ${rcell('SHARE', 6)}`;
  const filtering = frame.filter.trim() !== '';
  return (
    <Box flexDirection="column" height={height}>
      <Line text={serviceSummary(service)} style={theme.header} />
      <Line text={serviceSecondLine(data, service)} />
      <Line text={`  ${cell(header, leftWidth)} ${rcell('PROB', 6)} ${rcell('PKTS', 5)}${diff ? ` ${rcell('PKT/S', 5)} ` : ''}`} style={theme.dim} />
      <ListView
        rows={rows}
        cursor={cursor}
        top={frame.main.top}
        height={page}
        render={(r) => (r.kind === 'outcome' ? [{ text: treeLine(r, width, diff, cols, expanded, filtering), style: theme.verdict(r.text.slice(2).split(' ')[0] ?? '') }] : treeLine(r, width, diff, cols, expanded, filtering))}
        empty={`nothing matches "${frame.filter}"`}
      />
      <Detail text={rows[cursor] ? treeDetail(rows[cursor]!) : ''} width={width} height={detailLines} style={theme.dim} />
    </Box>
  );
}
