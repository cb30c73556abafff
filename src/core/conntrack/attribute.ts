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
 * Each entry costs one or two Map lookups: frontends are indexed by "proto ip:port" up front.
 */
import type { Family } from '../parse/types.js';
import type { KubeModel, ServicePort } from '../kube/types.js';
import { hostPort, splitHostPort } from '../trace/addr.js';
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
  let unmatched = 0;
  for (const entry of table.entries) if (!index.count(entry)) unmatched++;
  const byId = new Map<string, ServiceConnections>();
  const byService = new Map<ServicePort, ServiceConnections>();
  for (const s of index.services) {
    if (!byId.has(s.id)) byId.set(s.id, s);
    byService.set(s.service, s);
  }
  const assumptions = index.nodePortsByAnyAddress ? [NODE_PORT_ANY_ADDRESS_ASSUMPTION] : [];
  return { services: index.services, unmatched, byId, byService, assumptions };
}

interface Counted {
  readonly report: ServiceConnections;
  /** Canonical "ip:port" of each endpoint. */
  readonly endpoints: Map<string, EndpointConnections>;
}

class FrontendIndex {
  readonly services: ServiceConnections[] = [];
  /** "proto ip:port" of every addressed frontend. */
  private readonly frontends = new Map<string, Counted[]>();
  /** "proto family port" of node ports, for loopback destinations and unknown node addresses. */
  private readonly nodePorts = new Map<string, Counted[]>();
  /** Every address a frontend names: not a node address, so never a node port's destination. */
  private readonly serviceAddresses = new Set<string>();
  readonly nodePortsByAnyAddress: boolean;

  constructor(model: KubeModel, nodeAddresses: readonly string[]) {
    const nodes = nodeAddresses.map(canonicalIp).filter((a): a is string => a !== null);
    let anyNodePort = false;
    for (const s of model.services) {
      const counted = countedService(s);
      if (!counted) continue;
      this.services.push(counted.report);
      const keys = new Set<string>();
      const addressed = (address: string | null, port: number | null) => {
        const ip = address === null ? null : canonicalIp(address);
        if (ip === null || port === null) return;
        this.serviceAddresses.add(ip);
        keys.add(`${s.protocol} ${hostPort(ip, port)}`);
      };
      addressed(s.clusterIP, s.port);
      for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) addressed(ip, s.port);
      for (const e of s.entryPoints) if (e.kind !== 'nodePort') addressed(e.address, e.port);
      const nodePort = s.nodePort ?? s.entryPoints.find((e) => e.kind === 'nodePort')?.port ?? null;
      if (nodePort !== null) {
        anyNodePort = true;
        push(this.nodePorts, `${s.protocol} ${s.family} ${nodePort}`, counted);
        for (const node of nodes) if (node.includes(':') === (s.family === 'ipv6')) keys.add(`${s.protocol} ${hostPort(node, nodePort)}`);
      }
      for (const key of keys) push(this.frontends, key, counted);
    }
    this.nodePortsByAnyAddress = anyNodePort && nodes.length === 0;
  }

  /** Counts the entry on its service port and endpoint; false when it belongs to none. */
  count(entry: ConntrackEntry): boolean {
    const { original, reply } = entry;
    if (original.dport === null || reply.sport === null) return false;
    const endpoint = hostPort(reply.src, reply.sport);
    let found = this.match(this.frontends.get(`${entry.protocol} ${hostPort(original.dst, original.dport)}`), endpoint);
    if (!found && (this.nodePortsByAnyAddress || isLoopback(original.dst)) && !this.serviceAddresses.has(original.dst)) {
      found = this.match(this.nodePorts.get(`${entry.protocol} ${entry.family} ${original.dport}`), endpoint);
    }
    if (!found) return false;
    const state = stateOf(entry);
    found.endpoint.states[state] = (found.endpoint.states[state] ?? 0) + 1;
    found.endpoint.connections++;
    found.service.connections++;
    if (reply.dst !== original.src) found.endpoint.masqueraded++;
    return true;
  }

  private match(candidates: Counted[] | undefined, endpoint: string): { service: ServiceConnections; endpoint: EndpointConnections } | null {
    if (!candidates) return null;
    for (const c of candidates) {
      const e = c.endpoints.get(endpoint);
      if (e) return { service: c.report, endpoint: e };
    }
    return null;
  }
}

/** A service port's report with all-zero endpoints, or null when it has no endpoint with an address. */
function countedService(s: ServicePort): Counted | null {
  const endpoints = new Map<string, EndpointConnections>();
  const list: EndpointConnections[] = [];
  for (const e of s.endpoints) {
    if (e.address === null) continue;
    const key = canonicalHostPort(e.address);
    if (key === null || endpoints.has(key)) continue;
    const counted: EndpointConnections = { address: e.address, connections: 0, states: {}, masqueraded: 0, probability: e.probability };
    endpoints.set(key, counted);
    list.push(counted);
  }
  if (list.length === 0) return null;
  return { report: { id: s.id, family: s.family, service: s, connections: 0, endpoints: list }, endpoints };
}

function canonicalHostPort(address: string): string | null {
  const split = splitHostPort(address);
  if (!split || split.port === null) return null;
  const ip = canonicalIp(split.host);
  const port = Number(split.port);
  return ip === null || !Number.isInteger(port) ? null : hostPort(ip, port);
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}
