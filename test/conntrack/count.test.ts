/**
 * countConnections (one pass, no entry objects) against parseConntrack + attributeConnections:
 * on every fixture table and on generated ones, the report, the warnings, the unmatched count and
 * the entry count must be the same, down to the order of each endpoint's states.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  attributeConnections,
  buildDumpModel,
  canonicalIp,
  countConnections,
  hostPort,
  parseConntrack,
  parseDump,
  splitHostPort,
  stateOf,
  type ConnectionReport,
  type ConntrackEntry,
  type KubeModel,
} from '../../src/core/index.js';
import { asciiBytes } from '../../src/core/conntrack/quick-line.js';
import { parseConntrackText } from '../../src/sources/conntrack.js';
import { parseInFull } from './full-reader.js';
import { fixturesDir } from '../helpers/paths.js';

const read = (...parts: string[]) => readFileSync(path.join(fixturesDir, ...parts), 'utf8');
const MODELS: Record<string, () => KubeModel> = {
  'seed-nodeport-cluster iptables': () => buildDumpModel(parseDump(read('seed-nodeport-cluster.save'))),
  'seed-nodeport-cluster nftables': () => buildDumpModel(parseDump('', { nftText: read('nftables', 'seed-nodeport-cluster.nft') })),
  'dual-stack iptables': () => buildDumpModel(parseDump(read('dual-stack.save'))),
  'dual-stack nftables': () => buildDumpModel(parseDump('', { nftText: read('nftables', 'dual-stack.nft') })),
  'multi-endpoint iptables': () => buildDumpModel(parseDump(read('multi-endpoint.save'))),
};
const NODE_ADDRESS_SETS: Record<string, readonly string[]> = {
  'no node address': [],
  'seed node': ['172.16.1.10'],
  'dual-stack nodes': ['192.168.10.11', 'fd00:10:0:1::11'],
};

/** Everything a report says, states in their order (a JSON consumer sees it). */
function essence(report: ConnectionReport) {
  return {
    services: report.services.map((s) => ({
      id: s.id,
      family: s.family,
      connections: s.connections,
      endpoints: s.endpoints.map((e) => ({ ...e, states: JSON.stringify(e.states) })),
    })),
    unmatched: report.unmatched,
    assumptions: report.assumptions,
    byId: [...report.byId].map(([id, s]) => [id, report.services.indexOf(s)]),
    byService: [...report.byService].map(([port, s]) => [port.id, port.family, report.services.indexOf(s)]),
  };
}

function expectSame(text: string, model: KubeModel, nodeAddresses: readonly string[]): void {
  // The full reader alone is the reference; parseConntrack (quick reader inside) must equal it.
  const table = parseInFull(text, 'f');
  expect(parseConntrack(text, 'f')).toEqual(table);
  const slow = attributeConnections(model, table, { nodeAddresses });
  const fast = countConnections(text, 'f', model, { nodeAddresses });
  expect(essence(fast.report)).toEqual(essence(slow));
  // Both share the frontend index: the plain reference below keeps that honest.
  expect(essence(fast.report).services).toEqual(referenceServices(model, table.entries, nodeAddresses));
  expect(fast.report.services.map((s) => s.service)).toEqual(slow.services.map((s) => s.service));
  expect(fast.warnings).toEqual(table.warnings);
  expect(fast.entries).toBe(table.entries.length);
  expect(fast.reportedCount).toBe(table.reportedCount);
}

const FIXTURE_TABLES = readdirSync(path.join(fixturesDir, 'conntrack')).filter((f) => f.endsWith('.txt'));

describe('countConnections = parseConntrack + attributeConnections', () => {
  it('has fixture tables to check', () => expect(FIXTURE_TABLES.length).toBeGreaterThanOrEqual(6));

  for (const file of FIXTURE_TABLES) {
    it(`fixtures/conntrack/${file}, every model and node address set`, () => {
      const text = read('conntrack', file);
      for (const model of Object.values(MODELS)) for (const nodes of Object.values(NODE_ADDRESS_SETS)) expectSame(text, model(), nodes);
    });
  }

  for (const [name, model] of Object.entries(MODELS)) {
    it(`generated tables against ${name}: plain, extended and /proc forms, v4 and v6, tcp/udp/sctp/icmp, bad and hostile lines`, () => {
      const m = model();
      for (let seed = 1; seed <= 12; seed++) {
        const text = generatedTable(m, seed, 400);
        expect(parseConntrack(text, 'f').entries.length).toBeGreaterThan(100);
        // The same table made all ASCII: its common lines then go through the quick reader.
        const ascii = asciiOnly(text);
        expect(asciiBytes(ascii)).not.toBeNull();
        for (const nodes of Object.values(NODE_ADDRESS_SETS)) {
          expectSame(text, m, nodes);
          expectSame(ascii, m, nodes);
        }
      }
    });
  }

  it('generated tables do exercise attribution, masquerade and warnings (the comparison is not vacuous)', () => {
    const m = MODELS['dual-stack iptables']!();
    const text = generatedTable(m, 3, 2000);
    const { report, warnings } = countConnections(text, 'f', m, { nodeAddresses: NODE_ADDRESS_SETS['dual-stack nodes']! });
    const connections = report.services.reduce((n, s) => n + s.connections, 0);
    const masqueraded = report.services.reduce((n, s) => n + s.endpoints.reduce((k, e) => k + e.masqueraded, 0), 0);
    expect(connections).toBeGreaterThan(200);
    expect(masqueraded).toBeGreaterThan(20);
    expect(report.unmatched).toBeGreaterThan(100);
    expect(warnings.length).toBeGreaterThan(20);
    expect(report.services.some((s) => s.family === 'ipv6' && s.connections > 0)).toBe(true);
  });

  it('two listings in one text (the local source): each family counted once, as the source filters entries', () => {
    const m = MODELS['dual-stack nftables']!();
    const first = generatedTable(m, 5, 300);
    const second = generatedTable(m, 6, 300);
    const ipv6FromLine = first.split('\n').length + 1;
    const text = asciiOnly(`${first}\n${second}`);
    const nodes = NODE_ADDRESS_SETS['dual-stack nodes']!;
    const snapshot = parseConntrackText({ text, origin: 'f', takenAt: new Date(0), ipv6FromLine });
    const slow = attributeConnections(m, snapshot.table, { nodeAddresses: nodes });
    const fast = countConnections(text, 'f', m, { nodeAddresses: nodes, ipv6FromLine });
    expect(essence(fast.report)).toEqual(essence(slow));
    expect(fast.entries).toBe(snapshot.table.entries.length);
    expect(fast.entries).toBeLessThan(parseConntrack(text, 'f').entries.length);
    expect(fast.warnings).toEqual(snapshot.table.warnings);
  });
});

/**
 * The attribution rules written the plain way (string keys, a record counted directly), as
 * attributeConnections was before it was made fast: services with endpoints in model order.
 */
function referenceServices(model: KubeModel, entries: readonly ConntrackEntry[], nodeAddresses: readonly string[]) {
  const nodes = nodeAddresses.map(canonicalIp).filter((a): a is string => a !== null);
  type Row = { id: string; family: string; connections: number; endpoints: Array<{ address: string; connections: number; states: Record<string, number>; masqueraded: number; probability: number }> };
  const rows: Row[] = [];
  const endpointsOf = new Map<Row, Map<string, Row['endpoints'][number]>>();
  const frontends = new Map<string, Row[]>();
  const nodePorts = new Map<string, Row[]>();
  const serviceAddresses = new Set<string>();
  const push = (map: Map<string, Row[]>, key: string, row: Row) => {
    const list = map.get(key) ?? [];
    if (!list.includes(row)) list.push(row);
    map.set(key, list);
  };
  let anyNodePort = false;
  for (const s of model.services) {
    const row: Row = { id: s.id, family: s.family, connections: 0, endpoints: [] };
    const byKey = new Map<string, Row['endpoints'][number]>();
    for (const e of s.endpoints) {
      const split = e.address === null ? null : splitHostPort(e.address);
      const ip = split ? canonicalIp(split.host) : null;
      if (!split || split.port === null || ip === null || byKey.has(hostPort(ip, Number(split.port)))) continue;
      const counted = { address: e.address!, connections: 0, states: {}, masqueraded: 0, probability: e.probability };
      byKey.set(hostPort(ip, Number(split.port)), counted);
      row.endpoints.push(counted);
    }
    if (row.endpoints.length === 0) continue;
    rows.push(row);
    endpointsOf.set(row, byKey);
    const addressed = (address: string | null, port: number | null) => {
      const ip = address === null ? null : canonicalIp(address);
      if (ip === null || port === null) return;
      serviceAddresses.add(ip);
      push(frontends, `${s.protocol} ${hostPort(ip, port)}`, row);
    };
    addressed(s.clusterIP, s.port);
    for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) addressed(ip, s.port);
    for (const e of s.entryPoints) if (e.kind !== 'nodePort') addressed(e.address, e.port);
    const nodePort = s.nodePort ?? s.entryPoints.find((e) => e.kind === 'nodePort')?.port ?? null;
    if (nodePort === null) continue;
    anyNodePort = true;
    push(nodePorts, `${s.protocol} ${s.family} ${nodePort}`, row);
    for (const node of nodes) if (node.includes(':') === (s.family === 'ipv6')) push(frontends, `${s.protocol} ${hostPort(node, nodePort)}`, row);
  }
  const anyAddress = anyNodePort && nodes.length === 0;
  const match = (candidates: Row[] | undefined, endpoint: string) => {
    for (const row of candidates ?? []) {
      const e = endpointsOf.get(row)!.get(endpoint);
      if (e) return { row, e };
    }
    return null;
  };
  for (const entry of entries) {
    const { original, reply } = entry;
    if (original.dport === null || reply.sport === null) continue;
    const endpoint = hostPort(reply.src, reply.sport);
    let found = match(frontends.get(`${entry.protocol} ${hostPort(original.dst, original.dport)}`), endpoint);
    const loopback = original.dst.startsWith('127.') || original.dst === '::1';
    if (!found && (anyAddress || loopback) && !serviceAddresses.has(original.dst)) found = match(nodePorts.get(`${entry.protocol} ${entry.family} ${original.dport}`), endpoint);
    if (!found) continue;
    const state = stateOf(entry);
    found.e.states[state] = (found.e.states[state] ?? 0) + 1;
    found.e.connections++;
    found.row.connections++;
    if (reply.dst !== original.src) found.e.masqueraded++;
  }
  return rows.map((r) => ({ ...r, endpoints: r.endpoints.map((e) => ({ ...e, states: JSON.stringify(e.states) })) }));
}

/** A table of `lines` lines: entries to the model's frontends answered by its endpoints (or not), others, and broken lines. */
function generatedTable(model: KubeModel, seed: number, lines: number): string {
  let state = seed * 2654435761;
  const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const frontends: Array<{ protocol: string; ip: string; port: number; endpoints: Array<[string, number]> }> = [];
  for (const s of model.services) {
    const endpoints = s.endpoints.flatMap((e): Array<[string, number]> => {
      const m = e.address === null ? null : /^\[?([^\]]+?)\]?:(\d+)$/.exec(e.address);
      return m ? [[m[1]!, Number(m[2])]] : [];
    });
    const add = (ip: string | null, port: number | null) => {
      if (ip !== null && port !== null) frontends.push({ protocol: s.protocol, ip, port, endpoints });
    };
    add(s.clusterIP, s.port);
    for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) add(ip, s.port);
    for (const e of s.entryPoints) add(e.kind === 'nodePort' ? pick(['172.16.1.10', '192.168.10.11', '127.0.0.1', '10.9.9.9', 'fd00:10:0:1::11', '::1']) : e.address, e.port);
  }
  const v4Clients = ['10.244.1.9', '192.168.10.99', '100.64.0.7', '010.244.1.9'];
  const v6Clients = ['fd00:10:244:1::9', 'FD00:10:244:1:0:0:0:9', '2001:db8::7'];
  const states = ['ESTABLISHED', 'TIME_WAIT', 'SYN_SENT', 'CLOSE_WAIT', 'FIN_WAIT', 'LAST_ACK', 'CLOSE', 'SYN_RECV', '123'];
  const sctpStates = ['ESTABLISHED', 'COOKIE_WAIT', 'SHUTDOWN_SENT', 'CLOSED'];
  const numbers: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const r = rand();
    if (r < 0.04) {
      out.push(pick(['', 'conntrack v1.4.7 (conntrack-tools): 12 flow entries have been shown.', 'conntrack v1.4.7 (conntrack-tools): Operation not permitted', 'garbage here', '\u001b[2J\u0007 tcp 6', 'ipv4 2 icmp 1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=1 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=1 mark=0 use=1']));
      continue;
    }
    const f = rand() < 0.85 && frontends.length > 0 ? pick(frontends) : { protocol: pick(['tcp', 'udp', 'sctp']), ip: pick(['8.8.8.8', '2001:4860::8888', '10.96.0.1']), port: pick([53, 80, 443]), endpoints: [] as Array<[string, number]> };
    const v6 = f.ip.includes(':');
    const client = pick(v6 ? v6Clients : v4Clients);
    const sport = 1024 + Math.floor(rand() * 60000);
    const [ep, epPort] = f.endpoints.length > 0 && rand() < 0.9 ? pick(f.endpoints) : [f.ip, rand() < 0.5 ? f.port : f.port + 1];
    const replyDst = rand() < 0.2 ? (v6 ? 'fd00:10:0:1::11' : '172.16.1.10') : client;
    const protocol = f.protocol.toLowerCase();
    const stateWord = protocol === 'tcp' ? pick(states) : protocol === 'sctp' ? pick(sctpStates) : '';
    const unreplied = rand() < 0.2 ? '[UNREPLIED] ' : '';
    const assured = rand() < 0.5 ? '[ASSURED] ' : '';
    const form = pick(['plain', 'extended', 'proc']);
    const family = form === 'plain' ? '' : v6 ? 'ipv6     10 ' : 'ipv4     2 ';
    const extra = form === 'proc' ? 'mark=0 zone=0 use=2' : form === 'extended' ? 'mark=0 secctx=system_u:object_r:unlabeled_t:s0 use=1' : 'mark=0 use=1';
    let line = `${family}${protocol} ${numbers[protocol] ?? 6} ${Math.floor(rand() * 432000)} ${stateWord ? `${stateWord} ` : ''}src=${client} dst=${f.ip} sport=${sport} dport=${f.port} ${unreplied}src=${ep} dst=${replyDst} sport=${epPort} dport=${sport} ${assured}${extra}`;
    if (rand() < 0.06) line = mutate(line, rand);
    if (rand() < 0.1) line = line.replace(/ /g, () => (rand() < 0.1 ? '\t' : ' '));
    out.push(rand() < 0.05 ? `${line}\r` : line);
  }
  return out.join('\n');
}

/** `text` with every non-ASCII character replaced: a text the quick reader reads. */
function asciiOnly(text: string): string {
  return text.replace(/[^\x00-\x7f]/g, '?');
}

/** One character deleted, doubled or replaced by a hostile one. */
function mutate(line: string, rand: () => number): string {
  const at = Math.floor(rand() * line.length);
  const hostile = ['\u001b', '\u0000', '=', ' ', '[', ']', ':', '.', '9', '\u009b', '\u202e'];
  const r = rand();
  if (r < 0.33) return line.slice(0, at) + line.slice(at + 1);
  if (r < 0.66) return line.slice(0, at) + line[at] + line.slice(at);
  return line.slice(0, at) + hostile[Math.floor(rand() * hostile.length)] + line.slice(at + 1);
}
