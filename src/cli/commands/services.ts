/** `kubechains services`: every service port, as a table for people or {"services": [...]}. */
import { serviceType, type ServicePort } from '../../core/kube/index.js';
import { buildDumpModel, humanCount } from '../../core/index.js';
import { hostPort } from '../../core/trace/index.js';
import { EXIT_OK } from '../io.js';
import { serviceJson } from '../json.js';
import { renderTable, type Column } from '../table.js';
import type { CommandContext } from './context.js';

const COLUMNS: readonly Column[] = [
  { header: 'ID', shrinkable: true, min: 16 },
  { header: 'TYPE' },
  { header: 'CLUSTER-IP:PORT/PROTO', narrowHeader: 'CLUSTER-IP', shrinkable: true, min: 21 },
  { header: 'NODE-PORT', narrowHeader: 'NPORT', align: 'right' },
  { header: 'ENDPOINTS', narrowHeader: 'EP', align: 'right' },
  { header: 'POLICY' },
  { header: 'PACKETS', narrowHeader: 'PKTS', align: 'right' },
];

export function servicesCommand({ dump, options, out }: CommandContext): number {
  const model = buildDumpModel(dump);
  if (options.json) {
    out.json({ services: model.services.map(serviceJson) });
    return EXIT_OK;
  }
  if (model.services.length === 0) {
    out.line(model.layout === 'none' ? 'no kube-proxy services in this dump (no KUBE-SERVICES rules, no kube-proxy nftables table)' : 'no service ports found');
    return EXIT_OK;
  }
  for (const line of renderTable(COLUMNS, model.services.map(serviceRow), out.tableWidth)) out.line(line);
  return EXIT_OK;
}

export function serviceRow(s: ServicePort): string[] {
  return [
    s.id,
    serviceType(s),
    clusterColumn(s),
    s.nodePort === null ? '-' : String(s.nodePort),
    endpointsColumn(s),
    s.externalTrafficPolicy ?? '-',
    humanCount(s.packets),
  ];
}

function clusterColumn(s: ServicePort): string {
  if (s.clusterIP === null) return `-/${s.protocol}`;
  return s.port === null ? `${s.clusterIP}/${s.protocol}` : `${hostPort(s.clusterIP, s.port)}/${s.protocol}`;
}

/** "total/local"; local is "-" when the dump cannot tell (no KUBE-SVL/KUBE-XLB chain). */
function endpointsColumn(s: ServicePort): string {
  const known = s.endpoints.some((e) => e.local !== null);
  const local = known ? String(s.endpoints.filter((e) => e.local === true).length) : '-';
  return `${s.endpoints.length}/${local}`;
}
