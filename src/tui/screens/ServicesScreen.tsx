/**
 * Every service port: id, type, cluster IP, node port, endpoints total/local, live connections
 * (CONN), policy, packets, (bytes and the change since the last refresh when the terminal is wide
 * enough), packets per second, and "•" on the rows that counted since the last refresh.
 */
import React from 'react';
import { Box } from 'ink';
import type { CounterDiff } from '../../core/counters/index.js';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useServicesKeys } from '../hooks/use-services-keys.js';
import type { ServiceType } from '../../core/kube/index.js';
import type { ServiceRow } from '../model/explorer-data.js';
import { hasCounters } from '../model/live-status.js';
import { connectionsText, serviceConnections, type Connections } from '../model/connections.js';
import { cell, countedMark, deltaText, humanCount, midCell, plural, rateText, rcell } from '../model/format.js';
import { resolveCursor } from '../state/list-window.js';
import { serviceContent, servicesDetailHeight, servicesView } from '../model/views.js';
import { needsAttention, serviceDetail } from '../model/details.js';
import { Detail } from '../components/Detail.js';
import { FILTER_TERMS_HELP, parseServiceFilter } from '../model/filter-terms.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';
import { divergeDetail, divergeMark, useNodes } from '../model/nodes.js';

const TYPE_LABEL: Record<ServiceType, string> = {
  ClusterIP: 'ClusterIP',
  NodePort: 'NodePort',
  LoadBalancer: 'LoadBal',
  ExternalIP: 'ExtIP',
};

/** Narrow columns of fixed width. The counted mark sits right after the rate. */
const W = { type: 9, nodePort: 5, endpoints: 5, conns: 5, policy: 7, packets: 5, bytes: 5, delta: 5, rate: 5, mark: 1 };
/** The narrow columns, their separators, the id's and the cluster column's separators, and the marker. */
const FIXED = W.type + W.nodePort + W.endpoints + W.packets + W.rate + W.mark + 6 + 2;
/**
 * Connections (when a conntrack source is given), policy, Δ packets and bytes (in that order) are
 * shown only while the id keeps at least this much room: the id is what a row is found by; the
 * service screen shows the policy and connections too.
 */
const ID_ROOM = 18;
/** An id up to this long keeps its whole width before an optional column comes in; a longer one is cut (the detail line shows it). */
const ID_WANT = 32;
/** The cluster column keeps an IPv4 address, port and protocol whole at any width; a longer one gives way to the id. */
const CLUSTER_KEEP = 21;

export interface ServiceColumns {
  readonly id: number;
  readonly cluster: number;
  readonly policy: boolean;
  readonly delta: boolean;
  readonly bytes: boolean;
  readonly conns: boolean;
  /** PKTS: given up to CONN when the two do not fit beside a whole id, or when the rules carry no counters. */
  readonly packets: boolean;
  /** PKT/S and the counted mark: not when the rules carry no counters and CONN takes their place. */
  readonly rate: boolean;
}

/** The widest id and CLUSTER-IP:PORT/PROTO of the rows: what the columns are laid out from. */
export interface ServiceContent {
  readonly id: number;
  readonly cluster: number;
}

/**
 * Columns laid out from what they hold: the id and the cluster address get their widest value
 * when the terminal has room (an IPv6 address is whole at 160 columns), the optional columns
 * (connections, policy, Δ packets, bytes) come in only while the id keeps its width (up to
 * ID_WANT), and on a narrow terminal the cluster column gives way to the id down to an IPv4
 * address's width.
 *
 * `conntrack`: a conntrack source is given, so there is a CONN column ("-" until its table is
 * read), the first optional one; where it does not fit beside the id, it takes the place of PKTS
 * (the total since the rules were written, which the detail line still gives; PKT/S stays).
 * `counters`: the rules carry packet counters; without (kube-proxy's nftables mode) the packet
 * columns would only say "-", and with conntrack CONN takes their place.
 */
export function serviceColumns(width: number, content: ServiceContent = { id: ID_WANT, cluster: 20 }, conntrack = false, counters = true): ServiceColumns {
  const rate = counters || !conntrack;
  const room = width - FIXED + (rate ? 0 : W.packets + W.rate + 2);
  const idKeep = Math.max(ID_ROOM, Math.min(content.id, ID_WANT));
  const clusterNeed = Math.max('CLUSTER-IP:PORT'.length, content.cluster);
  const cluster = Math.min(clusterNeed, Math.max(Math.min(clusterNeed, CLUSTER_KEEP), room - idKeep));
  let left = room - cluster;
  const add = (w: number): boolean => {
    if (left - (w + 1) < idKeep) return false;
    left -= w + 1;
    return true;
  };
  let packets = rate;
  if (!rate) left -= W.conns + 1; // in the room the packet columns left
  // PKTS and CONN are as wide: CONN in PKTS's place when it does not come in on its own.
  else if (conntrack && !add(W.conns)) packets = false;
  const conns = conntrack;
  const policy = add(W.policy);
  const delta = rate && add(W.delta);
  const bytes = rate && add(W.bytes);
  return { id: Math.max(8, left), cluster, policy, delta, bytes, conns, packets, rate };
}

export function serviceHeader(cols: ServiceColumns): string {
  return [
    cell('ID', cols.id), cell('TYPE', W.type), cell('CLUSTER-IP:PORT', cols.cluster), rcell('NODEP', W.nodePort),
    rcell('EP/LO', W.endpoints), ...(cols.conns ? [rcell('CONN', W.conns)] : []), ...(cols.policy ? [cell('POLICY', W.policy)] : []),
    ...(cols.packets ? [rcell('PKTS', W.packets)] : []),
    ...(cols.bytes ? [rcell('BYTES', W.bytes)] : []),
    ...(cols.delta ? [rcell('ΔPKTS', W.delta)] : []),
    ...(cols.rate ? [rcell('PKT/S', W.rate) + ' '] : []),
  ].join(' ');
}

export function serviceLine(r: ServiceRow, cols: ServiceColumns, diff: CounterDiff | null, connections: Connections | null = null): string {
  const ep = `${r.endpointsTotal}/${r.endpointsLocal ?? '-'}`;
  const d = diff?.servicePort(r.service);
  return [
    midCell(r.service.id, cols.id),
    cell(TYPE_LABEL[r.type], W.type),
    midCell(r.cluster, cols.cluster),
    rcell(r.nodePort === null ? '-' : String(r.nodePort), W.nodePort),
    rcell(ep, W.endpoints),
    ...(cols.conns ? [rcell(connectionsText(serviceConnections(connections, r.service)), W.conns)] : []),
    ...(cols.policy ? [cell(r.policy, W.policy)] : []),
    ...(cols.packets ? [rcell(humanCount(r.packets), W.packets)] : []),
    ...(cols.bytes ? [rcell(humanCount(r.bytes), W.bytes)] : []),
    ...(cols.delta ? [rcell(deltaText(d?.deltaPackets), W.delta)] : []),
    ...(cols.rate ? [rcell(rateText(d?.packetRate), W.rate) + countedMark(d?.countedSinceLast)] : []),
  ].join(' ');
}

/** The conntrack entries no service claims, on the title line where 80 columns always show it (the status line may cut it). */
function unmatchedText(connections: Connections | null): string {
  const report = connections?.report ?? null;
  if (report === null) return '';
  return ` · ${humanCount(report.unmatched)} unmatched conntrack ${report.unmatched === 1 ? 'entry' : 'entries'}`;
}

/** Why the list is empty: a term that makes no sense, no match (with the terms people reach for), or no services at all. */
function emptyText(filter: string): string {
  if (!filter) return 'no kube-proxy services in this dump (try :hooks)';
  const { error } = parseServiceFilter(filter);
  if (error) return error;
  return `no service matches "${filter}" (terms: ${FILTER_TERMS_HELP})`;
}

export function ServicesScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, width, height } = props;
  const theme = useTheme();
  // --nodes: a 2-column mark before each id for the services that differ across nodes.
  const nodes = useNodes();
  const markWidth = nodes ? 3 : 0;
  // The selected service whole under the list: 2 lines at most (the rest is on its own screen).
  const detail = nodes ? 2 : servicesDetailHeight(data, width, 2);
  const page = Math.max(1, height - 2 - detail);
  useServicesKeys(props, page);
  const connections = props.connections ?? null;
  const rows = servicesView(data, frame.filter, frame.sort, connections);
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const cols = serviceColumns(width - markWidth, serviceContent(data), connections !== null, hasCounters(data));
  const mark = (id: string) => (nodes ? divergeMark(nodes, id, theme.ascii) + ' ' : '');
  const total = data.serviceRows.length;
  const shown = rows.length === total ? plural(total, 'service port') : `${rows.length} of ${plural(total, 'service port')}`;
  const position = rows.length > 0 ? ` · ${cursor + 1}/${rows.length} ${rows[cursor]!.service.id}` : '';
  const selected = rows[cursor];
  return (
    <Box flexDirection="column" height={height}>
      <Line text={`${shown} · sort ${frame.sort}${unmatchedText(connections)}${position}`} style={theme.header} />
      <Line text={`  ${nodes ? 'ND ' : ''}${serviceHeader(cols)}`} style={theme.dim} />
      <ListView
        rows={rows}
        cursor={cursor}
        top={frame.main.top}
        height={page}
        render={(r) => mark(r.service.id) + serviceLine(r, cols, data.diff, connections)}
        flagged={needsAttention}
        empty={emptyText(frame.filter)}
      />
      <Detail
        text={selected ? [nodes ? divergeDetail(nodes, selected.service.id) : null, serviceDetail(selected, serviceConnections(connections, selected.service))].filter((t) => t !== null).join(' · ') : ''}
        width={width}
        height={detail}
        style={theme.dim}
      />
    </Box>
  );
}
