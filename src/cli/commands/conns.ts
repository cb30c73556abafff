/** `kubechains conns [SOURCE] [QUERY]`: the conntrack table's live connections per service port and endpoint. */
import { buildDumpModel, findServices, type ServiceConnections } from '../../core/index.js';
import { fuzzyServices } from '../fuzzy.js';
import { EXIT_NO_ANSWER, EXIT_OK } from '../io.js';
import { connectionsJson } from '../json.js';
import { renderTable, type Column } from '../table.js';
import type { CommandContext } from './context.js';
import { liveConnections } from './live-connections.js';

const COLUMNS: readonly Column[] = [
  { header: 'SERVICE / ENDPOINT', narrowHeader: 'SERVICE', shrinkable: true, min: 16 },
  { header: 'CONN', align: 'right' },
  { header: 'MASQ', align: 'right' },
  { header: 'STATES' },
];

export function connsCommand({ snapshot, dump, options, out, nodeAddresses, conntrack }: CommandContext): number {
  if (!conntrack) throw new Error('conns runs with a conntrack table only');
  const model = buildDumpModel(dump);
  const { report, entries } = liveConnections(conntrack, model, nodeAddresses, out);
  let shown: readonly ServiceConnections[] = report.services;
  const query = options.query;
  if (query !== null) {
    let matched = findServices(model, query);
    if (matched.length === 0) matched = fuzzyServices(model, query);
    shown = matched.map((s) => report.byService.get(s)).filter((s): s is ServiceConnections => s !== undefined);
    if (shown.length === 0) {
      out.error(`kubechains: no service with endpoints matches ${JSON.stringify(query)} (in ${snapshot.origin}; see kubechains services)`);
      return EXIT_NO_ANSWER;
    }
  }
  if (options.json) {
    out.json(connectionsJson(report, shown, entries));
    return EXIT_OK;
  }
  const matched = report.services.reduce((n, s) => n + s.connections, 0);
  out.line(`${entries} conntrack entr${entries === 1 ? 'y' : 'ies'} from ${conntrack.read.origin}: ${matched} to service endpoints, ${report.unmatched} unmatched`);
  if (shown.length === 0) out.line('no service port has endpoints');
  else {
    out.line();
    for (const line of renderTable(COLUMNS, shown.flatMap(serviceRows), out.tableWidth)) out.line(line);
  }
  for (const a of report.assumptions) out.line(`assumption: ${a}`);
  return EXIT_OK;
}

function serviceRows(s: ServiceConnections): string[][] {
  const masqueraded = s.endpoints.reduce((n, e) => n + e.masqueraded, 0);
  return [
    [s.service.family === 'ipv6' ? `${s.id} (IPv6)` : s.id, String(s.connections), String(masqueraded), ''],
    ...s.endpoints.map((e) => [`  ${e.address}`, String(e.connections), String(e.masqueraded), statesText(e.states)]),
  ];
}

/** "ESTABLISHED 3, TIME_WAIT 1", most first. */
export function statesText(states: Readonly<Record<string, number>>): string {
  return Object.entries(states)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([state, n]) => `${state} ${n}`)
    .join(', ');
}
