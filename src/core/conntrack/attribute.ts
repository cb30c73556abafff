/**
 * Which service port and endpoint each conntrack entry belongs to.
 *
 * An entry belongs to a service port and one of its endpoints when its original destination is a
 * frontend of the port (cluster IP:port, node IP:node port, external or load-balancer IP:port,
 * same protocol) and its reply source is one of the port's endpoints: the reply comes from the
 * endpoint the kernel DNATed to. It is masqueraded when the reply goes to another address than
 * the client's (the source was rewritten). Every other entry (ICMP, traffic not to a service, a
 * service address answered by no endpoint of it) is unmatched.
 *
 * Each entry costs a few Map lookups: frontends are indexed by protocol, address and port up front.
 */
import type { Family } from '../parse/types.js';
import type { KubeModel, ServicePort } from '../kube/types.js';
import { splitHostPort } from '../trace/addr.js';
import { canonicalIp } from './address.js';
import type { ConntrackEntry, ConntrackTable } from './types.js';

export interface EndpointConnections {
  /** "ip:port" / "[v6]:port", as the model writes it. */
  readonly address: string;
  connections: number;
  /** Entries per state: TCP/SCTP as printed; state-less protocols UNREPLIED, ASSURED or SEEN_REPLY (see stateOf). */
  readonly states: Record<string, number>;
  /** Entries whose reply goes to another address than the original source. */
  masqueraded: number;
  /** The model's chance that a new connection picks this endpoint (see Endpoint.probability). */
  readonly probability: number;
}

export interface ServiceConnections {
  /** The service port's id ("namespace/name:port"); a dual-stack service has one per family. */
  readonly id: string;
  readonly family: Family;
  readonly service: ServicePort;
  connections: number;
  /** Every endpoint with an address, in the model's order, 0s included. */
  readonly endpoints: EndpointConnections[];
}

export interface ConnectionReport {
  /** Every service port that has endpoints (only those can have connections), in model order. */
  readonly services: ServiceConnections[];
  /** Entries that belong to no service port: services' connections + unmatched = the table's entries. */
  readonly unmatched: number;
  /** By id; a dual-stack id gives its first family's (as KubeModel.byId): use byService for the exact one. */
  readonly byId: ReadonlyMap<string, ServiceConnections>;
  readonly byService: ReadonlyMap<ServicePort, ServiceConnections>;
  /** What the attribution could not check and assumed; shown to the user. */
  readonly assumptions: string[];
}

export interface AttributionOptions {
  /** The node's own addresses (--node-ip, the machine's, @nodeport-ips); [] when unknown. */
  readonly nodeAddresses: readonly string[];
}

export const NODE_PORT_ANY_ADDRESS_ASSUMPTION =
  'node addresses unknown (--node-ip): a connection to a node port on any address that is no service address counts for that node port';

/** The key of a state-less entry: UNREPLIED (no reply yet), ASSURED, else SEEN_REPLY (a reply seen, not yet assured). */
export function stateOf(entry: ConntrackEntry): string {
  if (entry.state !== null) return entry.state;
  return entry.unreplied ? 'UNREPLIED' : entry.assured ? 'ASSURED' : 'SEEN_REPLY';
}

export function attributeConnections(model: KubeModel, table: ConntrackTable, opts: AttributionOptions): ConnectionReport {
  const index = new FrontendIndex(model, opts.nodeAddresses);
  for (const entry of table.entries) index.count(entry);
  return index.report();
}

interface Counted {
  readonly report: ServiceConnections;
}

/**
 * An endpoint while counting. Its states are counted in the index's per-state arrays at `slot`
 * (a record with keys added per entry, or a Map per endpoint, is slow); `order` keeps the state
 * ids in the order first seen, so that report() writes the record as direct counting would.
 */
interface EndpointState {
  readonly owner: Counted;
  readonly report: EndpointConnections;
  readonly slot: number;
  readonly order: number[];
}

/** A map of maps: one lookup per key part, no key string built per entry. */
type Nested<K1, K2, V> = Map<K1, Map<K2, V>>;

/**
 * The frontends of every service port, then the counts of the entries given to count(). Keys are
 * the parser's shared strings (protocol, canonical address) and port numbers, looked up a part at
 * a time: an entry costs a few Map lookups and builds no string.
 */
export class FrontendIndex {
  private readonly services: ServiceConnections[] = [];
  private readonly endpointStates: EndpointState[] = [];
  /** protocol → canonical ip → port: the addressed frontends. */
  private readonly frontends = new Map<string, Nested<string, number, Counted[]>>();
  /** protocol → family → node port: for loopback destinations and unknown node addresses. */
  private readonly nodePorts = new Map<string, Nested<string, number, Counted[]>>();
  /** Every address a frontend names: not a node address, so never a node port's destination. */
  private readonly serviceAddresses = new Set<string>();
  /**
   * Every service port's endpoints in one map, canonical ip → port → one state per service port
   * that has it: one map whose table stays in cache, rather than a small map per service port
   * (250k lookups into 10k scattered maps miss the cache every time).
   */
  private readonly endpoints = new Map<string, Map<number, EndpointState[]>>();
  /** Every address the index is keyed by (see addresses()). */
  private readonly keyAddresses = new Set<string>();
  /** State name → id; per id, the count of each endpoint (by slot). */
  private readonly stateIds = new Map<string, number>();
  private readonly stateNames: string[] = [];
  private readonly stateCounts: Int32Array[] = [];
  private readonly nodePortsByAnyAddress: boolean;
  private unmatched = 0;

  constructor(model: KubeModel, nodeAddresses: readonly string[]) {
    const nodes = nodeAddresses.map(canonicalIp).filter((a): a is string => a !== null);
    let anyNodePort = false;
    for (const s of model.services) {
      const counted = this.countedService(s);
      if (!counted) continue;
      const addressed = (address: string | null, port: number | null) => {
        const ip = address === null ? null : canonicalIp(address);
        if (ip === null || port === null) return;
        this.serviceAddresses.add(ip);
        this.keyAddresses.add(ip);
        pushNested(this.frontends, s.protocol, ip, port, counted);
      };
      addressed(s.clusterIP, s.port);
      for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) addressed(ip, s.port);
      for (const e of s.entryPoints) if (e.kind !== 'nodePort') addressed(e.address, e.port);
      const nodePort = s.nodePort ?? s.entryPoints.find((e) => e.kind === 'nodePort')?.port ?? null;
      if (nodePort !== null) {
        anyNodePort = true;
        pushNested(this.nodePorts, s.protocol, s.family, nodePort, counted);
        for (const node of nodes) {
          if (node.includes(':') !== (s.family === 'ipv6')) continue;
          this.keyAddresses.add(node);
          pushNested(this.frontends, s.protocol, node, nodePort, counted);
        }
      }
    }
    this.nodePortsByAnyAddress = anyNodePort && nodes.length === 0;
  }

  /**
   * The canonical addresses the index is keyed by. A parser that hands out these very strings
   * (scanConntrack's knownAddresses) makes each lookup compare pointers, not characters.
   */
  addresses(): ReadonlySet<string> {
    return this.keyAddresses;
  }

  /** Counts the entry on its service port and endpoint, else as unmatched; keeps nothing of `entry`. */
  count(entry: ConntrackEntry): void {
    const { original, reply } = entry;
    if (original.dport === null || reply.sport === null) {
      this.unmatched++;
      return;
    }
    let found = this.match(this.frontends.get(entry.protocol)?.get(original.dst)?.get(original.dport), reply.src, reply.sport);
    if (!found && (this.nodePortsByAnyAddress || isLoopback(original.dst)) && !this.serviceAddresses.has(original.dst)) {
      found = this.match(this.nodePorts.get(entry.protocol)?.get(entry.family)?.get(original.dport), reply.src, reply.sport);
    }
    if (!found) {
      this.unmatched++;
      return;
    }
    const state = stateOf(entry);
    let id = this.stateIds.get(state);
    if (id === undefined) {
      id = this.stateNames.length;
      this.stateIds.set(state, id);
      this.stateNames.push(state);
      this.stateCounts.push(new Int32Array(this.endpointStates.length));
    }
    if (this.stateCounts[id]![found.slot]++ === 0) found.order.push(id);
    found.report.connections++;
    if (reply.dst !== original.src) found.report.masqueraded++;
  }

  /** The counts so far as a report (states written out in the order first seen, as a record fills). */
  report(): ConnectionReport {
    for (const { report, slot, order } of this.endpointStates) {
      const record = report.states;
      for (const key of Object.keys(record)) delete record[key];
      for (const id of order) record[this.stateNames[id]!] = this.stateCounts[id]![slot]!;
    }
    const byId = new Map<string, ServiceConnections>();
    const byService = new Map<ServicePort, ServiceConnections>();
    for (const s of this.services) {
      s.connections = s.endpoints.reduce((n, e) => n + e.connections, 0);
      if (!byId.has(s.id)) byId.set(s.id, s);
      byService.set(s.service, s);
    }
    const assumptions = this.nodePortsByAnyAddress ? [NODE_PORT_ANY_ADDRESS_ASSUMPTION] : [];
    return { services: this.services, unmatched: this.unmatched, byId, byService, assumptions };
  }

  /** The endpoint ip:port of the first candidate service port that has it. */
  private match(candidates: Counted[] | undefined, ip: string, port: number): EndpointState | null {
    if (!candidates) return null;
    const states = this.endpoints.get(ip)?.get(port);
    if (!states) return null;
    for (const c of candidates) for (const e of states) if (e.owner === c) return e;
    return null;
  }

  /** A service port's report with all-zero endpoints (listed in `services`), or null when it has no endpoint with an address. */
  private countedService(s: ServicePort): Counted | null {
    const list: EndpointConnections[] = [];
    const report: ServiceConnections = { id: s.id, family: s.family, service: s, connections: 0, endpoints: list };
    const owner: Counted = { report };
    for (const e of s.endpoints) {
      if (e.address === null) continue;
      const key = canonicalHostPort(e.address);
      if (key === null) continue;
      let byPort = this.endpoints.get(key.ip);
      if (!byPort) this.endpoints.set(key.ip, (byPort = new Map()));
      let states = byPort.get(key.port);
      if (!states) byPort.set(key.port, (states = []));
      if (states.some((x) => x.owner === owner)) continue;
      const counted: EndpointConnections = { address: e.address, connections: 0, states: {}, masqueraded: 0, probability: e.probability };
      const state: EndpointState = { owner, report: counted, slot: this.endpointStates.length, order: [] };
      states.push(state);
      list.push(counted);
      this.endpointStates.push(state);
      this.keyAddresses.add(key.ip);
    }
    if (list.length === 0) return null;
    this.services.push(report);
    return owner;
  }
}

function canonicalHostPort(address: string): { ip: string; port: number } | null {
  const split = splitHostPort(address);
  if (!split || split.port === null) return null;
  const ip = canonicalIp(split.host);
  const port = Number(split.port);
  return ip === null || !Number.isInteger(port) ? null : { ip, port };
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

function pushNested<K1, K2, V>(map: Map<string, Nested<K1, K2, V[]>>, key: string, k1: K1, k2: K2, value: V): void {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  let byK2 = inner.get(k1);
  if (!byK2) inner.set(k1, (byK2 = new Map()));
  const list = byK2.get(k2);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else byK2.set(k2, [value]);
}
