/**
 * The frontends and endpoints of every service port, then the counts of the entries given to
 * count() (a parsed entry) or countQuick() (a line QuickLine read into numbers).
 *
 * A big table is counted in numbers: IPv4 keys sit in PairTables (address and port, one cache line
 * a probe) and lead to flat lists of ints: a frontend's candidate service ports, an endpoint
 * ip:port's (service port, slot) pairs. Counts are typed arrays by slot. Other addresses (IPv6)
 * are few and keyed by their canonical text into the same lists. An entry counts on the first
 * candidate service port of its destination that has its reply source as an endpoint.
 */
import type { Endpoint, KubeModel, ServicePort } from '../kube/types.js';
import type { Family } from '../parse/types.js';
import { splitHostPort } from '../trace/addr.js';
import { canonicalIp, scanIpv4 } from './address.js';
import { PairTable } from './pair-table.js';
import { STATE_NAMES } from './names.js';
import { ORIGINAL_DPORT, ORIGINAL_DST, ORIGINAL_SRC, QUICK_PROTOCOLS, REPLY_DST, REPLY_SPORT, REPLY_SRC, type QuickLine } from './quick-line.js';
import {
  NODE_PORT_ANY_ADDRESS_ASSUMPTION,
  stateOf,
  type ConnectionReport,
  type EndpointConnections,
  type ServiceConnections,
} from './report.js';
import type { ConntrackEntry } from './types.js';

/** The states a quick line can count under: its printed state's index, else UNREPLIED, ASSURED, SEEN_REPLY after them. */
const QUICK_STATE_KEYS: readonly string[] = [...STATE_NAMES, 'UNREPLIED', 'ASSURED', 'SEEN_REPLY'];

/**
 * Small lists of ints built in typed arrays (a chain of (value, next) cells per list: tens of
 * thousands of lists make no JS array each), then laid flat as [length, item…] one after another.
 */
class FlatLists {
  private heads: number[] = [];
  private tails: number[] = [];
  private lengths: number[] = [];
  /** Cell i: values[i], and next[i] the list's next cell or -1. */
  private values = new Int32Array(1024);
  private next = new Int32Array(1024);
  private cells = 0;
  flat = new Int32Array(0);
  private offsets = new Int32Array(0);

  add(): number {
    this.heads.push(-1);
    this.tails.push(-1);
    this.lengths.push(0);
    return this.heads.length - 1;
  }

  push(list: number, value: number): void {
    if (this.cells === this.values.length) {
      this.values = grown(this.values);
      this.next = grown(this.next);
    }
    const cell = this.cells++;
    this.values[cell] = value;
    this.next[cell] = -1;
    if (this.tails[list]! < 0) this.heads[list] = cell;
    else this.next[this.tails[list]!] = cell;
    this.tails[list] = cell;
    this.lengths[list]!++;
  }

  /** Whether the list holds `value` at an item index that is a multiple of `stride` (pairs: stride 2). */
  has(list: number, value: number, stride = 1): boolean {
    for (let cell = this.heads[list]!, i = 0; cell >= 0; cell = this.next[cell]!, i++) if (i % stride === 0 && this.values[cell] === value) return true;
    return false;
  }

  layOut(): void {
    this.offsets = new Int32Array(this.heads.length);
    this.flat = new Int32Array(this.heads.length + this.cells);
    let at = 0;
    for (let list = 0; list < this.heads.length; list++) {
      this.offsets[list] = at;
      this.flat[at++] = this.lengths[list]!;
      for (let cell = this.heads[list]!; cell >= 0; cell = this.next[cell]!) this.flat[at++] = this.values[cell]!;
    }
  }

  /** Where a list starts in `flat` (after layOut). */
  offsetOf(list: number): number {
    return this.offsets[list]!;
  }
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** A service port that has endpoints, and its endpoints' slots (consecutive, from `firstSlot`). */
interface CountedPort {
  readonly service: ServicePort;
  readonly firstSlot: number;
}

export class FrontendIndex {
  private readonly ports: CountedPort[] = [];
  /** Every endpoint of every service port, by slot (its report is made by report()). */
  private readonly slots: Endpoint[] = [];
  /** Protocol name → small number, for the numeric keys: only the service ports' protocols have one. */
  private readonly protocolIds = new Map<string, number>();
  /** Per frontend, the service ports (by index in `ports`) it leads to, in model order. */
  private readonly candidates = new FlatLists();
  /** Per endpoint ip:port, (service port, slot) pairs. */
  private readonly endpoints = new FlatLists();
  /** (IPv4 address, protocol << 16 | port) → candidates: the addressed frontends. */
  private readonly v4Frontends = new PairTable();
  /** (protocol, node port) → candidates among IPv4 service ports: for loopback and unknown node addresses. */
  private readonly v4NodePorts = new PairTable();
  /** (IPv4 address, 0): every address a frontend names, so never a node port's destination. */
  private readonly v4ServiceAddresses = new PairTable();
  /** (IPv4 address, port) → endpoints: every service port's endpoints in one table. */
  private readonly v4Endpoints = new PairTable();
  /** The same for other addresses, by text: "protocol address port", "protocol port", "address port". */
  private readonly textFrontends = new Map<string, number>();
  private readonly textNodePorts = new Map<string, number>();
  private readonly textServiceAddresses = new Set<string>();
  private readonly textEndpoints = new Map<string, number>();
  /** Counts by slot; per state id, another array by slot. */
  private readonly connections: Int32Array;
  private readonly masqueraded: Int32Array;
  private readonly stateIds = new Map<string, number>();
  /** The ids of QuickLine's protocol and state indexes (-1: not asked yet), so that a quick line looks up no string. */
  private readonly quickProtocols = new Int32Array(QUICK_PROTOCOLS.length).fill(-1);
  private readonly quickStates = new Int32Array(QUICK_STATE_KEYS.length).fill(-1);
  private readonly stateNames: string[] = [];
  private readonly stateCounts: Int32Array[] = [];
  /**
   * Per state id, by slot: which entry counted the state first, so that report() writes each
   * states record in the order counting into it directly would.
   */
  private readonly stateFirstSeen: Int32Array[] = [];
  private entriesCounted = 0;
  private readonly nodePortsByAnyAddress: boolean;
  private unmatched = 0;

  constructor(model: KubeModel, nodeAddresses: readonly string[]) {
    const nodes = nodeAddresses.map(canonicalIp).filter((a): a is string => a !== null);
    let anyNodePort = false;
    for (const s of model.services) {
      const owner = this.countedService(s);
      if (owner < 0) continue;
      const protocol = this.protocolId(s.protocol);
      this.addServiceAddress(s.clusterIP, protocol, s.port, owner);
      for (const ip of s.externalIPs) this.addServiceAddress(ip, protocol, s.port, owner);
      for (const ip of s.loadBalancerIPs) this.addServiceAddress(ip, protocol, s.port, owner);
      for (const e of s.entryPoints) if (e.kind !== 'nodePort') this.addServiceAddress(e.address, protocol, e.port, owner);
      const nodePort = s.nodePort ?? s.entryPoints.find((e) => e.kind === 'nodePort')?.port ?? null;
      if (nodePort !== null) {
        anyNodePort = true;
        this.addNodePort(s.family, protocol, nodePort, owner);
        for (const node of nodes) if (node.includes(':') === (s.family === 'ipv6')) this.addFrontend(addressKey(node)!, protocol, nodePort, owner);
      }
    }
    this.nodePortsByAnyAddress = anyNodePort && nodes.length === 0;
    // The tables now lead straight to where each list lies.
    for (const [lists, tables, texts] of [
      [this.candidates, [this.v4Frontends, this.v4NodePorts], [this.textFrontends, this.textNodePorts]],
      [this.endpoints, [this.v4Endpoints], [this.textEndpoints]],
    ] as const) {
      lists.layOut();
      for (const table of tables) table.mapValues((list) => lists.offsetOf(list));
      for (const text of texts) for (const [key, list] of text) text.set(key, lists.offsetOf(list));
    }
    this.connections = new Int32Array(this.slots.length);
    this.masqueraded = new Int32Array(this.slots.length);
  }

  /** Counts the entry on its service port and endpoint, else as unmatched; keeps nothing of `entry`. */
  count(entry: ConntrackEntry): void {
    const { original, reply } = entry;
    if (original.dport === null || reply.sport === null) {
      this.unmatched++;
      return;
    }
    const protocol = this.protocolIds.get(entry.protocol) ?? -1;
    const loopback = original.dst.startsWith('127.') || original.dst === '::1';
    let slot = -1;
    if (protocol >= 0 && entry.family === 'ipv4') {
      const endpoint = scanIpv4(reply.src, 0, reply.src.length);
      const dst = scanIpv4(original.dst, 0, original.dst.length);
      if (endpoint >= 0) slot = this.matchV4(protocol, dst >= 0, dst, original.dport, endpoint, reply.sport, loopback);
    } else if (protocol >= 0) slot = this.matchText(protocol, original.dst, original.dport, reply.src, reply.sport, loopback);
    if (slot < 0) this.unmatched++;
    else this.add(slot, stateOf(entry), reply.dst !== original.src);
  }

  /** count() for a line QuickLine took (IPv4, ports in both directions). */
  countQuick(line: QuickLine): void {
    let protocol = this.quickProtocols[line.protocol]!;
    if (protocol === -1) protocol = this.quickProtocols[line.protocol] = this.protocolIds.get(QUICK_PROTOCOLS[line.protocol]!) ?? -2;
    const f = line.fields;
    const dst = f[ORIGINAL_DST]!;
    const slot = protocol === -2 ? -1 : this.matchV4(protocol, true, dst, f[ORIGINAL_DPORT]!, f[REPLY_SRC]!, f[REPLY_SPORT]!, dst >>> 24 === 127);
    if (slot < 0) {
      this.unmatched++;
      return;
    }
    // As stateOf: the state printed, else UNREPLIED, ASSURED or SEEN_REPLY.
    const key = line.state >= 0 ? line.state : STATE_NAMES.length + (line.unreplied ? 0 : line.assured ? 1 : 2);
    let state = this.quickStates[key]!;
    if (state === -1) state = this.quickStates[key] = this.stateId(QUICK_STATE_KEYS[key]!);
    this.addById(slot, state, f[REPLY_DST] !== f[ORIGINAL_SRC]);
  }

  /** The counts so far as a report (each endpoint's states in the order first counted, as a record fills). */
  report(): ConnectionReport {
    const ids: number[] = [];
    const byId = new Map<string, ServiceConnections>();
    const byService = new Map<ServicePort, ServiceConnections>();
    const services = this.ports.map(({ service, firstSlot }, i) => {
      const end = i + 1 < this.ports.length ? this.ports[i + 1]!.firstSlot : this.slots.length;
      const endpoints: EndpointConnections[] = [];
      let connections = 0;
      for (let slot = firstSlot; slot < end; slot++) {
        const states: Record<string, number> = {};
        if (this.connections[slot]! > 0) {
          ids.length = 0;
          for (let id = 0; id < this.stateNames.length; id++) if (this.stateCounts[id]![slot]! > 0) ids.push(id);
          ids.sort((a, b) => this.stateFirstSeen[a]![slot]! - this.stateFirstSeen[b]![slot]!);
          for (const id of ids) states[this.stateNames[id]!] = this.stateCounts[id]![slot]!;
        }
        const e = this.slots[slot]!;
        endpoints.push({ address: e.address!, connections: this.connections[slot]!, states, masqueraded: this.masqueraded[slot]!, probability: e.probability });
        connections += this.connections[slot]!;
      }
      const counted: ServiceConnections = { id: service.id, family: service.family, service, connections, endpoints };
      if (!byId.has(counted.id)) byId.set(counted.id, counted);
      byService.set(service, counted);
      return counted;
    });
    const assumptions = this.nodePortsByAnyAddress ? [NODE_PORT_ANY_ADDRESS_ASSUMPTION] : [];
    return { services, unmatched: this.unmatched, byId, byService, assumptions };
  }

  private add(slot: number, state: string, masqueraded: boolean): void {
    this.addById(slot, this.stateId(state), masqueraded);
  }

  /** The id states are counted by, given when first met. */
  private stateId(state: string): number {
    let id = this.stateIds.get(state);
    if (id === undefined) {
      id = this.stateNames.length;
      this.stateIds.set(state, id);
      this.stateNames.push(state);
      this.stateCounts.push(new Int32Array(this.slots.length));
      this.stateFirstSeen.push(new Int32Array(this.slots.length));
    }
    return id;
  }

  private addById(slot: number, id: number, masqueraded: boolean): void {
    if (this.stateCounts[id]![slot]++ === 0) this.stateFirstSeen[id]![slot] = this.entriesCounted;
    this.entriesCounted++;
    this.connections[slot]++;
    if (masqueraded) this.masqueraded[slot]++;
  }

  /**
   * The slot an IPv4 entry counts on, or -1. Its reply source must be an endpoint (most unrelated
   * traffic stops there); `dstValid` is false when the destination is no canonical dotted quad.
   */
  private matchV4(protocol: number, dstValid: boolean, dst: number, dport: number, endpointIp: number, endpointPort: number, loopback: boolean): number {
    const endpoints = this.v4Endpoints.get(endpointIp, endpointPort);
    if (endpoints < 0) return -1;
    const frontend = dstValid ? this.v4Frontends.get(dst, (protocol << 16) | dport) : -1;
    const slot = frontend < 0 ? -1 : this.pick(frontend, endpoints);
    if (slot >= 0 || !(this.nodePortsByAnyAddress || loopback) || (dstValid && this.v4ServiceAddresses.get(dst, 0) >= 0)) return slot;
    const nodePort = this.v4NodePorts.get(protocol, dport);
    return nodePort < 0 ? -1 : this.pick(nodePort, endpoints);
  }

  /** matchV4 for other addresses (IPv6), by text. */
  private matchText(protocol: number, dst: string, dport: number, endpointIp: string, endpointPort: number, loopback: boolean): number {
    const endpoints = this.textEndpoints.get(`${endpointIp} ${endpointPort}`);
    if (endpoints === undefined) return -1;
    const frontend = this.textFrontends.get(`${protocol} ${dst} ${dport}`);
    const slot = frontend === undefined ? -1 : this.pick(frontend, endpoints);
    if (slot >= 0 || !(this.nodePortsByAnyAddress || loopback) || this.textServiceAddresses.has(dst)) return slot;
    const nodePort = this.textNodePorts.get(`${protocol} ${dport}`);
    return nodePort === undefined ? -1 : this.pick(nodePort, endpoints);
  }

  /** The slot of the first candidate service port (at `frontend`) among the endpoint's pairs (at `endpoints`), or -1. */
  private pick(frontend: number, endpoints: number): number {
    const c = this.candidates.flat;
    const e = this.endpoints.flat;
    const pairs = e[endpoints]!;
    for (let i = frontend + 1, last = frontend + c[frontend]!; i <= last; i++) {
      const owner = c[i]!;
      for (let j = 0, at = endpoints + 1; j < pairs; j++, at += 2) if (e[at] === owner) return e[at + 1]!;
    }
    return -1;
  }

  private protocolId(protocol: string): number {
    let id = this.protocolIds.get(protocol);
    if (id === undefined) this.protocolIds.set(protocol, (id = this.protocolIds.size));
    return id;
  }

  /** A frontend the service port's own address makes (cluster, external, LB IP): never a node port's destination. */
  private addServiceAddress(address: string | null, protocol: number, port: number | null, owner: number): void {
    const key = address === null ? null : addressKey(address);
    if (key === null || port === null) return;
    if (typeof key === 'number') this.v4ServiceAddresses.set(key, 0, 0);
    else this.textServiceAddresses.add(key);
    this.addFrontend(key, protocol, port, owner);
  }

  /** `owner` among the candidates of a frontend: an IPv4 value or another address's text. */
  private addFrontend(ip: number | string, protocol: number, port: number, owner: number): void {
    if (!isPort(port)) return; // no entry has it (and it would not fit the numeric key)
    const list =
      typeof ip === 'number'
        ? this.listAt(this.v4Frontends, ip, (protocol << 16) | port, this.candidates)
        : this.textListAt(this.textFrontends, `${protocol} ${ip} ${port}`, this.candidates);
    if (!this.candidates.has(list, owner)) this.candidates.push(list, owner);
  }

  private addNodePort(family: Family, protocol: number, port: number, owner: number): void {
    if (!isPort(port)) return;
    const list =
      family === 'ipv4'
        ? this.listAt(this.v4NodePorts, protocol, port, this.candidates)
        : this.textListAt(this.textNodePorts, `${protocol} ${port}`, this.candidates);
    if (!this.candidates.has(list, owner)) this.candidates.push(list, owner);
  }

  /** The list table[first, second] leads to, made when new. */
  private listAt(table: PairTable, first: number, second: number, lists: FlatLists): number {
    let list = table.get(first, second);
    if (list < 0) table.set(first, second, (list = lists.add()));
    return list;
  }

  private textListAt(map: Map<string, number>, key: string, lists: FlatLists): number {
    let list = map.get(key);
    if (list === undefined) map.set(key, (list = lists.add()));
    return list;
  }

  /**
   * The endpoint list of "ip:port" / "[v6]:port" (made when new), or -1 when it is no address
   * and port. A canonical "a.b.c.d:port", nearly every endpoint, is read in place.
   */
  private endpointList(address: string): number {
    const colon = address.indexOf(':');
    if (colon > 0 && address.indexOf(':', colon + 1) < 0) {
      const v4 = scanIpv4(address, 0, colon);
      const port = digitsAt(address, colon + 1);
      if (v4 >= 0 && port >= 0) return this.listAt(this.v4Endpoints, v4, port, this.endpoints);
    }
    const split = splitHostPort(address);
    const key = split === null ? null : addressKey(split.host);
    const port = Number(split?.port ?? NaN);
    if (key === null || !Number.isInteger(port)) return -1;
    return typeof key === 'number' ? this.listAt(this.v4Endpoints, key, port, this.endpoints) : this.textListAt(this.textEndpoints, `${key} ${port}`, this.endpoints);
  }

  /** A service port that has an endpoint with an address is counted: its index in `ports`, else -1. */
  private countedService(s: ServicePort): number {
    const owner = this.ports.length;
    const firstSlot = this.slots.length;
    for (const e of s.endpoints) {
      if (e.address === null) continue;
      const list = this.endpointList(e.address);
      if (list < 0 || this.endpoints.has(list, owner, 2)) continue;
      this.endpoints.push(list, owner);
      this.endpoints.push(list, this.slots.length);
      this.slots.push(e);
    }
    if (this.slots.length === firstSlot) return -1;
    this.ports.push({ service: s, firstSlot });
    return owner;
  }
}

/** An address as the index keys it: an IPv4 address's value, another's canonical text; null when no address. */
function addressKey(address: string): number | string | null {
  const v4 = scanIpv4(address, 0, address.length);
  if (v4 >= 0) return v4;
  const ip = canonicalIp(address);
  if (ip === null || ip.includes(':')) return ip;
  return scanIpv4(ip, 0, ip.length);
}

/** text[from, …) as 1 to 5 digits (a port's, as Number reads them), else -1. */
function digitsAt(text: string, from: number): number {
  if (text.length === from || text.length - from > 5) return -1;
  let value = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}

