/** Every service port: id, type, cluster IP, node port, endpoints total/local, policy, packets, rate. */
import React from 'react';
import { Box } from 'ink';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useServicesKeys } from '../hooks/use-services-keys.js';
import type { ServiceRow, ServiceType } from '../model/explorer-data.js';
import { cell, humanCount, midCell, plural, rcell } from '../model/format.js';
import { resolveCursor } from '../model/list-window.js';
import { servicesView } from '../model/views.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from './types.js';

const TYPE_LABEL: Record<ServiceType, string> = {
  ClusterIP: 'ClusterIP',
  NodePort: 'NodePort',
  LoadBalancer: 'LoadBal',
  ExternalIP: 'ExtIP',
};

/** Fixed columns; the id takes what is left (13+ at 80 columns). */
const W = { type: 9, cluster: 20, nodePort: 5, endpoints: 5, policy: 7, packets: 5, rate: 5 };
const FIXED = W.type + W.cluster + W.nodePort + W.endpoints + W.policy + W.packets + W.rate + 7 + 2;

export function serviceColumns(width: number): number {
  return Math.max(8, width - FIXED);
}

export function serviceLine(r: ServiceRow, idWidth: number, rate: string): string {
  const ep = `${r.endpointsTotal}/${r.endpointsLocal ?? '-'}`;
  return [
    midCell(r.service.id, idWidth),
    cell(TYPE_LABEL[r.type], W.type),
    cell(r.cluster, W.cluster),
    rcell(r.nodePort === null ? '-' : String(r.nodePort), W.nodePort),
    rcell(ep, W.endpoints),
    cell(r.policy, W.policy),
    rcell(humanCount(r.packets), W.packets),
    rcell(rate, W.rate),
  ].join(' ');
}

export function ServicesScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, width, height } = props;
  const theme = useTheme();
  const page = Math.max(1, height - 2);
  useServicesKeys(props, page);
  const rows = servicesView(data, frame.filter, frame.sort);
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const idWidth = serviceColumns(width);
  const header = [
    cell('ID', idWidth), cell('TYPE', W.type), cell('CLUSTER-IP:PORT', W.cluster), rcell('NODEP', W.nodePort),
    rcell('EP/LO', W.endpoints), cell('POLICY', W.policy), rcell('PKTS', W.packets), rcell('RATE', W.rate),
  ].join(' ');
  const total = data.serviceRows.length;
  const shown = rows.length === total ? plural(total, 'service port') : `${rows.length} of ${plural(total, 'service port')}`;
  // The id column is narrow at 80 columns: the selected id is spelled out in full here.
  const position = rows.length > 0 ? ` · ${cursor + 1}/${rows.length} ${rows[cursor]!.service.id}` : '';
  return (
    <Box flexDirection="column" height={height}>
      <Line text={`${shown} · sort ${frame.sort}${position}`} style={theme.header} />
      <Line text={`  ${header}`} style={theme.dim} />
      <ListView
        rows={rows}
        cursor={cursor}
        top={frame.main.top}
        height={page}
        render={(r) => serviceLine(r, idWidth, '-')}
        empty={frame.filter ? `no service matches "${frame.filter}"` : 'no kube-proxy services in this dump (try :hooks)'}
      />
    </Box>
  );
}
