/**
 * Every service port: id, type, cluster IP, node port, endpoints total/local, policy, packets,
 * (bytes and the change since the last refresh when the terminal is wide enough), packets per
 * second, and "•" on the rows that counted since the last refresh.
 */
import React from 'react';
import { Box } from 'ink';
import type { CounterDiff } from '../../core/counters/index.js';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useServicesKeys } from '../hooks/use-services-keys.js';
import type { ServiceType } from '../../core/kube/index.js';
import type { ServiceRow } from '../model/explorer-data.js';
import { cell, countedMark, deltaText, humanCount, midCell, plural, rateText, rcell } from '../model/format.js';
import { resolveCursor } from '../state/list-window.js';
import { servicesView } from '../model/views.js';
import { FILTER_TERMS_HELP, parseServiceFilter } from '../model/filter-terms.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

const TYPE_LABEL: Record<ServiceType, string> = {
  ClusterIP: 'ClusterIP',
  NodePort: 'NodePort',
  LoadBalancer: 'LoadBal',
  ExternalIP: 'ExtIP',
};

/** Fixed columns; the id takes what is left (22 at 80 columns). The counted mark sits right after the rate. */
const W = { type: 9, cluster: 20, nodePort: 5, endpoints: 5, policy: 7, packets: 5, bytes: 5, delta: 5, rate: 5, mark: 1 };
const FIXED = W.type + W.cluster + W.nodePort + W.endpoints + W.packets + W.rate + W.mark + 6 + 2;
/**
 * Policy, Δ packets and bytes (in that order) are shown only while the id keeps at least this
 * much room: the id is what a row is found by; the service screen shows the policy too.
 */
const ID_ROOM = 18;

export interface ServiceColumns {
  readonly id: number;
  readonly policy: boolean;
  readonly delta: boolean;
  readonly bytes: boolean;
}

export function serviceColumns(width: number): ServiceColumns {
  let id = width - FIXED;
  const policy = id - (W.policy + 1) >= ID_ROOM;
  if (policy) id -= W.policy + 1;
  const delta = id - (W.delta + 1) >= ID_ROOM;
  if (delta) id -= W.delta + 1;
  const bytes = id - (W.bytes + 1) >= ID_ROOM;
  if (bytes) id -= W.bytes + 1;
  return { id: Math.max(8, id), policy, delta, bytes };
}

export function serviceHeader(cols: ServiceColumns): string {
  return [
    cell('ID', cols.id), cell('TYPE', W.type), cell('CLUSTER-IP:PORT', W.cluster), rcell('NODEP', W.nodePort),
    rcell('EP/LO', W.endpoints), ...(cols.policy ? [cell('POLICY', W.policy)] : []), rcell('PKTS', W.packets),
    ...(cols.bytes ? [rcell('BYTES', W.bytes)] : []),
    ...(cols.delta ? [rcell('ΔPKTS', W.delta)] : []),
    rcell('PKT/S', W.rate) + ' ',
  ].join(' ');
}

export function serviceLine(r: ServiceRow, cols: ServiceColumns, diff: CounterDiff | null): string {
  const ep = `${r.endpointsTotal}/${r.endpointsLocal ?? '-'}`;
  const d = diff?.servicePort(r.service);
  return [
    midCell(r.service.id, cols.id),
    cell(TYPE_LABEL[r.type], W.type),
    cell(r.cluster, W.cluster),
    rcell(r.nodePort === null ? '-' : String(r.nodePort), W.nodePort),
    rcell(ep, W.endpoints),
    ...(cols.policy ? [cell(r.policy, W.policy)] : []),
    rcell(humanCount(r.packets), W.packets),
    ...(cols.bytes ? [rcell(humanCount(r.bytes), W.bytes)] : []),
    ...(cols.delta ? [rcell(deltaText(d?.deltaPackets), W.delta)] : []),
    rcell(rateText(d?.packetRate), W.rate) + countedMark(d?.countedSinceLast),
  ].join(' ');
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
  const page = Math.max(1, height - 2);
  useServicesKeys(props, page);
  const rows = servicesView(data, frame.filter, frame.sort);
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const cols = serviceColumns(width);
  const total = data.serviceRows.length;
  const shown = rows.length === total ? plural(total, 'service port') : `${rows.length} of ${plural(total, 'service port')}`;
  // The id column is narrow at 80 columns: the selected id is spelled out in full here.
  const position = rows.length > 0 ? ` · ${cursor + 1}/${rows.length} ${rows[cursor]!.service.id}` : '';
  return (
    <Box flexDirection="column" height={height}>
      <Line text={`${shown} · sort ${frame.sort}${position}`} style={theme.header} />
      <Line text={`  ${serviceHeader(cols)}`} style={theme.dim} />
      <ListView
        rows={rows}
        cursor={cursor}
        top={frame.main.top}
        height={page}
        render={(r) => serviceLine(r, cols, data.diff)}
        empty={emptyText(frame.filter)}
      />
    </Box>
  );
}
