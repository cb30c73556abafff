/**
 * One service port: what it is, the endpoint table (with each endpoint's live connections when a
 * conntrack source is given), then the tree from each entry point through kube-proxy's chains to
 * every endpoint's DNAT and the outcome, with probabilities and counters (from the tracer).
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
import { hasCounters } from '../model/live-status.js';
import { connectionsText, endpointConnections, endpointConnectionsDetail, endpointDelta, serviceConnections, signedText, type Connections } from '../model/connections.js';
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

export function serviceSecondLine(data: ExplorerData, s: ServicePort, connections: Connections | null = null): string {
  const local = s.endpoints.filter((e) => e.local === true).length;
  const eps = `${plural(s.endpoints.length, 'endpoint')}${s.endpoints.some((e) => e.local !== null) ? ` (${local} local)` : ''}`;
  const rate = data.diff.servicePort(s)?.packetRate ?? null;
  const counters = s.packets === null ? '' : ` · ${humanCount(s.packets)} pkts ${humanCount(s.bytes)} bytes${rate === null ? '' : ` ${rateText(rate)} pkt/s`}`;
  const node = data.nodeAddresses.length > 0 ? `node ${data.nodeAddresses.join(',')}${data.nodeAddressesFrom ? ` (from ${data.nodeAddressesFrom})` : ''}` : `node ${probeNode([], s.family).address} assumed (--node-ip)`;
  const chains = Object.entries(s.chains).filter(([, c]) => c).map(([role, c]) => `${role.toUpperCase()} ${c}`);
  const conns = serviceConnections(connections, s);
  return [eps + counters + (conns === null ? '' : ` · ${plural(conns, 'connection')}`), node, ...chains].join(' · ');
}

/** The live counters of a tree row: its rule's, or the chain policy's. */
export function treeDelta(diff: CounterDiff, r: TreeRow): CounterDelta | undefined {
  if (r.rule) return diff.rule(r.rule);
  if (r.policyOf) return diff.chain(r.policyOf.table, r.policyOf.family, r.policyOf.chain);
  return undefined;
}

/** The right-hand columns of every row: chance, packets, and packets/s when live (`packets` false: chance alone). */
function rightColumns(r: TreeRow, diff: CounterDiff | null, packets: boolean): string {
  const d = diff ? treeDelta(diff, r) : undefined;
  const counted = r.rule !== null || r.policyOf !== null;
  // A count that is not this entry's alone: a mark, and the detail pane says whose it is.
  const blank = r.countersNote === 'shared' || r.countersNote === 'others' ? '*' : r.countersNote === 'repeat' ? '^' : null;
  const chance = rcell(r.probability === null ? '' : percent(r.probability), 6);
  if (!packets) return chance;
  return [
    chance,
    rcell(blank ?? (r.counters ? humanCount(r.counters.packets) : ''), 5),
    ...(diff ? [rcell(counted && blank === null ? rateText(d?.packetRate) : '', 5) + countedMark(d?.countedSinceLast && blank === null)] : []),
  ].join(' ');
}

/** Widths of the endpoint table's address and KUBE-SEP columns, and which connection columns it has. */
interface EndpointColumns {
  readonly address: number;
  readonly chain: number;
  /** CONN: the endpoint's connections ("-" without a conntrack table). */
  readonly conns: boolean;
  /** ΔCONN: their net change since the conntrack refresh before. */
  readonly delta: boolean;
}

const CONN_WIDTH = 5;
/** The KUBE-SEP width the chain column keeps before ΔCONN comes in (the detail pane has the delta too). */
const CHAIN_KEEP_FOR_DELTA = 16;
/** A KUBE-SEP-… name whole: the column is no wider. */
const CHAIN_WHOLE = 25;

/**
 * The endpoint table's columns in `leftWidth`: the address whole (up to 24), CONN when a conntrack
 * source is given ("-" until its table is read), ΔCONN for a live conntrack source while the
 * chain keeps 16 columns, and the KUBE-SEP column takes the rest (cut in the middle).
 */
function endpointColumns(leftWidth: number, service: ServicePort, connections: Connections | null): EndpointColumns {
  const address = Math.min(24, Math.max(8, ...service.endpoints.map((e) => (e.address ?? '(no DNAT rule)').length)));
  // Address, SEP, LOCAL, SHARE in the left part: the SEP name gives way first (cut in the middle).
  const room = leftWidth - address - 1 - 5 - 1 - 6 - 1;
  const conns = connections !== null;
  const live = connections?.status != null && connections.status.mode !== 'once';
  const delta = conns && live && room - 2 * (CONN_WIDTH + 1) >= CHAIN_KEEP_FOR_DELTA;
  const taken = (conns ? CONN_WIDTH + 1 : 0) + (delta ? CONN_WIDTH + 1 : 0);
  return { address, chain: Math.max(12, Math.min(CHAIN_WHOLE, room - taken)), conns, delta };
}

function endpointLeft(r: TreeRow, cols: EndpointColumns, service: ServicePort, connections: Connections | null): string {
  const e = r.endpoint!;
  const local = e.local === null ? '?' : e.local ? 'local' : 'other';
  const share = r.share === null || r.share === undefined ? '-' : percent(r.share);
  const problem = e.problem ? ` ${e.problem}` : '';
  const conns = cols.conns ? ` ${rcell(connectionsText(endpointConnections(connections, service, e.address)?.connections), CONN_WIDTH)}` : '';
  const delta = cols.delta ? ` ${rcell(signedText(endpointDelta(connections, service, e.address)?.total), CONN_WIDTH)}` : '';
  return `${cell(r.text, cols.address)} ${midCell(e.chain, cols.chain)} ${cell(local, 5)} ${rcell(share, 6)}${conns}${delta}${problem}`;
}

/** `diff` null: no rate column (nothing live); `packets` false: no packet columns (see ServiceScreen). */
function treeLine(r: TreeRow, width: number, diff: CounterDiff | null, packets: boolean, cols: EndpointColumns, expanded: readonly string[], filtering: boolean, service: ServicePort, connections: Connections | null): string {
  const right = rightColumns(r, diff, packets);
  let left: string;
  if (r.kind === 'endpoint') left = endpointLeft(r, cols, service, connections);
  else if (r.kind === 'entry') {
    const open = filtering || expanded.includes(r.key);
    left = `${open ? '▾' : '▸'} ${r.text}${open ? '' : `  (${plural(r.size ?? 0, 'row')})`}`;
  } else left = '  '.repeat(r.depth) + r.text;
  return `${cell(left, Math.max(10, width - 2 - right.length - 1))} ${right}`;
}

/** Lines of the detail pane at most. */
const DETAIL_MAX = 3;

export function ServiceScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, width, height } = props;
  const theme = useTheme();
  const service = frame.screen.kind === 'service' ? data.findService(frame.screen.family, frame.screen.id) : undefined;
  const expanded = frame.expanded ?? [];
  const rows = service ? serviceTreeView(data, service, frame.filter, expanded) : [];
  const all = service ? serviceTreeRows(data, service) : [];
  const connections = props.connections ?? null;
  // With connections an endpoint's detail holds its states and their change too: 3 lines, fixed,
  // so the list does not change height as the table does.
  const detailLines = connections !== null ? DETAIL_MAX : detailHeight(all.filter((r) => r.kind !== 'endpoint').map((r) => treeDetail(r)), width, DETAIL_MAX);
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
  // Rules without counters (kube-proxy's nftables mode) leave the packet columns blank: with
  // connections, the live figure, those columns give their room to the rows' text.
  const packets = connections === null || hasCounters(data);
  const rightWidth = !packets ? 6 : diff ? 19 : 12;
  const leftWidth = Math.max(10, width - 2 - rightWidth - 1);
  const cols = endpointColumns(leftWidth, service, connections);
  // nftables mode names endpoint chains endpoint-…, iptables mode KUBE-SEP-….
  const header =
    `${cell('ENDPOINT', cols.address)} ${cell(service.mode === 'nftables' ? 'CHAIN' : 'KUBE-SEP', cols.chain)} ${cell('LOCAL', 5)} ${rcell('SHARE', 6)}` +
    (cols.conns ? ` ${rcell('CONN', CONN_WIDTH)}` : '') +
    (cols.delta ? ` ${rcell('ΔCONN', CONN_WIDTH)}` : '');
  const filtering = frame.filter.trim() !== '';
  return (
    <Box flexDirection="column" height={height}>
      <Line text={serviceSummary(service)} style={theme.header} />
      <Line text={serviceSecondLine(data, service, connections)} />
      <Line text={`  ${cell(header, leftWidth)} ${rcell('PROB', 6)}${packets ? ` ${rcell('PKTS', 5)}${diff ? ` ${rcell('PKT/S', 5)} ` : ''}` : ''}`} style={theme.dim} />
      <ListView
        rows={rows}
        cursor={cursor}
        top={frame.main.top}
        height={page}
        render={(r) => {
          const text = treeLine(r, width, diff, packets, cols, expanded, filtering, service, connections);
          return r.kind === 'outcome' ? [{ text, style: theme.verdict(r.text.slice(2).split(' ')[0] ?? '') }] : text;
        }}
        empty={`nothing matches "${frame.filter}"`}
      />
      <Detail text={rows[cursor] ? treeDetail(rows[cursor]!, endpointConnectionsDetail(connections, service, rows[cursor]!.endpoint?.address ?? null)) : ''} width={width} height={detailLines} style={theme.dim} />
    </Box>
  );
}
