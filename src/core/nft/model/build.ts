/**
 * NftRuleset -> KubeModel: kube-proxy's nftables services, read from its maps (nftables.md §2-4).
 * service-ips / service-nodeports name the ways in, firewall-ips the source-range checks,
 * no-endpoint-* the services that are refused (their element comments name them); each service's
 * chains give its endpoints (numgen vmap -> endpoint-… -> dnat), policies and affinity.
 *
 * External IPs and load-balancer IPs both `goto external-…` and nothing in the dump tells them
 * apart, except that an address in firewall-ips (loadBalancerSourceRanges) is a load balancer's:
 * every other one is listed under externalIPs, as the iptables model does for refused services.
 */
import { addUnique, EMPTY } from '../../kube/lists.js';
import { compareServices, modelFromServices } from '../../kube/model.js';
import type { AffinityClient, Endpoint, EndpointProblem, EntryKind, EntryPoint, KubeModel, NftElementRef, ServiceChains, ServicePort, TrafficPolicy } from '../../kube/types.js';
import type { Family, Protocol } from '../../parse/types.js';
import { compareIp, hostPort, parseIp } from '../../trace/addr.js';
import { anonymousEntry, body, elementText, exprText, field, kindOf, setRef, verdictOf } from '../expr.js';
import { parseEndpointChainName, parseServiceChainName, serviceIdFromElementComment } from '../names.js';
import type { NftChain, NftElement, NftExpr, NftRule, NftRuleset, NftSet, NftTable } from '../types.js';
import { cidrOf, ipKey, ipOf, numberOf, protocolNameOf } from '../values.js';

/** A kube-proxy table: the one holding its dispatch map or chain (any name, ip or ip6 or inet). */
export function isKubeProxyTable(t: NftTable): boolean {
  return t.setsByName.has('service-ips') || t.chainsByName.has('services');
}

export function buildNftKubeModel(nft: NftRuleset): KubeModel {
  const services: ServicePort[] = [];
  let kube = false;
  for (const table of nft.tables) {
    if (!isKubeProxyTable(table)) continue;
    kube = true;
    for (const s of readTable(table)) services.push(s);
  }
  services.sort(compareServices);
  return modelFromServices(services, kube ? 'current' : 'none');
}

interface Group {
  readonly family: Family;
  id: string | null;
  protocol: Protocol | null;
  clusterIP: string | null;
  port: number | null;
  nodePort: number | null;
  readonly externalIPs: string[];
  readonly loadBalancerIPs: string[];
  readonly chains: ServiceChains;
  readonly entries: EntryPoint[];
  readonly blocking: NftElementRef[];
  /** A no-endpoint element drops (not rejects): external traffic policy Local without local endpoints. */
  dropsExternal: boolean;
  /** service-ips sends the cluster IP to local-…: internal traffic policy Local. */
  clusterToLocal: boolean;
}

/** One key part of a map element: address, protocol, port (concatenations are flattened). */
function keyParts(key: NftExpr): readonly NftExpr[] {
  const c = body(key, 'concat');
  return Array.isArray(c) ? (c as readonly NftExpr[]) : [key];
}

function familyOf(table: NftTable, address: string | null): Family {
  if (table.family === 'ip6') return 'ipv6';
  if (table.family === 'ip') return 'ipv4';
  return address !== null && address.includes(':') ? 'ipv6' : 'ipv4';
}

function readTable(table: NftTable): ServicePort[] {
  const groups: Group[] = [];
  const byBase = new Map<string, Group>();
  const byId = new Map<string, Group>();
  const newGroup = (family: Family): Group => {
    const g: Group = {
      family, id: null, protocol: null, clusterIP: null, port: null, nodePort: null,
      externalIPs: [], loadBalancerIPs: [], chains: {}, entries: [], blocking: [], dropsExternal: false, clusterToLocal: false,
    };
    groups.push(g);
    return g;
  };
  /** The group of a per-service chain (service-/local-/external-/firewall-): one per hash+name. */
  const groupOfChain = (chain: string, family: Family): { g: Group; role: string } | null => {
    const m = /^(service|local|external|firewall)-(.+)$/.exec(chain);
    if (!m || !m[2]!.includes('/')) return null;
    const key = `${family}/${m[2]}`;
    let g = byBase.get(key);
    if (!g) {
      g = newGroup(family);
      byBase.set(key, g);
      const parsed = parseServiceChainName(chain);
      if (parsed) {
        g.id = parsed.id;
        g.protocol = parsed.protocol;
        if (!byId.has(`${family}/${parsed.id}`)) byId.set(`${family}/${parsed.id}`, g);
      }
    }
    return { g, role: m[1]! };
  };
  const clusterIPs = new Set<string>();
  for (const el of table.setsByName.get('cluster-ips')?.elements ?? []) {
    const ip = ipOf(el.key);
    if (ip) clusterIPs.add(ipKey(ip));
  }
  const entry = (g: Group, kind: EntryKind, address: string | null, port: number, set: NftSet, element: NftElement) => {
    g.entries.push({ kind, address, port, protocol: g.protocol ?? 'tcp', rule: null, element: { set, element } });
  };

  const serviceIps = table.setsByName.get('service-ips');
  for (const el of serviceIps?.elements ?? []) {
    const [addr, proto, port] = keyParts(el.key);
    const target = verdictOf(el.data ?? undefined)?.target ?? null;
    const address = typeof addr === 'string' ? addr : null;
    const p = numberOf(port);
    if (target === null || address === null || p === null) continue;
    const hit = groupOfChain(target, familyOf(table, address));
    if (!hit) continue;
    const { g, role } = hit;
    g.protocol ??= protocolNameOf(proto);
    if (role === 'service' || role === 'local') {
      g.clusterIP = address;
      g.port = p;
      if (role === 'service') g.chains.svc = target;
      else {
        g.chains.svl = target;
        g.clusterToLocal = true;
      }
      entry(g, 'clusterIP', address, p, serviceIps!, el);
    } else if (role === 'external') {
      g.chains.ext = target;
      addUnique(g.externalIPs, address);
      g.port ??= p;
      entry(g, 'externalIP', address, p, serviceIps!, el);
    }
  }
  const nodePorts = table.setsByName.get('service-nodeports');
  for (const el of nodePorts?.elements ?? []) {
    const [proto, port] = keyParts(el.key);
    const target = verdictOf(el.data ?? undefined)?.target ?? null;
    const p = numberOf(port);
    if (target === null || p === null) continue;
    const hit = groupOfChain(target, familyOf(table, null));
    if (!hit || hit.role !== 'external') continue;
    const g = hit.g;
    g.protocol ??= protocolNameOf(proto);
    g.chains.ext = target;
    g.nodePort = p;
    entry(g, 'nodePort', null, p, nodePorts!, el);
  }
  const firewallIps = table.setsByName.get('firewall-ips');
  for (const el of firewallIps?.elements ?? []) {
    const [addr] = keyParts(el.key);
    const target = verdictOf(el.data ?? undefined)?.target ?? null;
    if (target === null || typeof addr !== 'string') continue;
    const hit = groupOfChain(target, familyOf(table, addr));
    if (!hit || hit.role !== 'firewall') continue;
    const g = hit.g;
    g.chains.fw = target;
    // Only a load balancer has source ranges: this address is its IP, not an external IP.
    const i = g.externalIPs.indexOf(addr);
    if (i >= 0) g.externalIPs.splice(i, 1);
    addUnique(g.loadBalancerIPs, addr);
    for (let k = 0; k < g.entries.length; k++) {
      const e = g.entries[k]!;
      if (e.kind === 'externalIP' && e.address === addr) g.entries[k] = { ...e, kind: 'loadBalancer' };
    }
  }
  for (const name of ['no-endpoint-services', 'no-endpoint-nodeports']) {
    const set = table.setsByName.get(name);
    for (const el of set?.elements ?? []) {
      const id = serviceIdFromElementComment(el.comment);
      if (id === null) continue;
      const parts = keyParts(el.key);
      const nodePort = name === 'no-endpoint-nodeports';
      const address = nodePort ? null : typeof parts[0] === 'string' ? parts[0] : null;
      const family = familyOf(table, address);
      let g = byId.get(`${family}/${id}`);
      if (!g) {
        g = newGroup(family);
        g.id = id;
        byId.set(`${family}/${id}`, g);
      }
      const proto = protocolNameOf(parts[nodePort ? 0 : 1]);
      const port = numberOf(parts[nodePort ? 1 : 2]);
      g.protocol ??= proto;
      g.blocking.push({ set: set!, element: el });
      if (verdictOf(el.data ?? undefined)?.kind === 'drop') g.dropsExternal = true;
      if (port === null) continue;
      if (nodePort) g.nodePort ??= port;
      else if (address !== null) {
        const ip = ipOf(address);
        if (ip && clusterIPs.has(ipKey(ip))) {
          g.clusterIP ??= address;
          g.port ??= port;
        } else if (!g.loadBalancerIPs.includes(address)) {
          addUnique(g.externalIPs, address);
          g.port ??= port;
        }
      }
    }
  }
  return groups.map((g) => finish(table, g));
}

/** The chain a rule's verdict (or its vmap's single verdict) goes to, with how. */
function ruleTargets(rule: NftRule): Array<{ kind: 'jump' | 'goto'; target: string; conditional: boolean }> {
  const out: Array<{ kind: 'jump' | 'goto'; target: string; conditional: boolean }> = [];
  const conditional = rule.expr.some((s) => kindOf(s) === 'match');
  for (const s of rule.expr) {
    const v = verdictOf(s);
    if (v && (v.kind === 'jump' || v.kind === 'goto') && v.target !== null) out.push({ kind: v.kind, target: v.target, conditional });
  }
  return out;
}

/** The `numgen random mod N vmap {…}` of a service/local chain: each endpoint chain with its chance. */
function loadBalancing(chain: NftChain | undefined): Array<{ chain: string; probability: number }> {
  if (!chain) return [];
  for (const rule of chain.rules) {
    for (const s of rule.expr) {
      const vmap = body(s, 'vmap');
      const ng = body(field(vmap, 'key'), 'numgen');
      if (ng === undefined) continue;
      const mod = numberOf(field(ng, 'mod'));
      const entries = body(field(vmap, 'data'), 'set');
      if (mod === null || mod <= 0 || !Array.isArray(entries)) continue;
      const out: Array<{ chain: string; probability: number }> = [];
      for (const raw of entries as readonly NftExpr[]) {
        const { data } = anonymousEntry(raw);
        const target = verdictOf(data ?? undefined)?.target;
        if (!target) continue;
        const seen = out.find((o) => o.chain === target);
        if (seen) seen.probability += 1 / mod;
        else out.push({ chain: target, probability: 1 / mod });
      }
      return out;
    }
  }
  return [];
}

function dnatRule(chain: NftChain): { rule: NftRule; address: string } | null {
  for (const rule of chain.rules) {
    for (const s of rule.expr) {
      const d = body(s, 'dnat');
      if (d === undefined) continue;
      const addr = field(d, 'addr');
      if (typeof addr !== 'string') continue;
      return { rule, address: hostPort(addr, numberOf(field(d, 'port'))) };
    }
  }
  return null;
}

const ENTRY_ORDER: readonly EntryKind[] = ['clusterIP', 'nodePort', 'externalIP', 'loadBalancer'];

/** Addresses in numeric order (IPv4 before IPv6), unparsable ones last by text. */
function compareAddresses(a: string, b: string): number {
  const x = parseIp(a);
  const y = parseIp(b);
  if (x && y) return compareIp(x, y);
  if (x || y) return x ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Map elements come in hash order (the kernel's listing differs from the input's): everything
 * read from them is sorted, so that every form of one ruleset gives the same model.
 */
function sortFromElements(g: Group): void {
  g.externalIPs.sort(compareAddresses);
  g.loadBalancerIPs.sort(compareAddresses);
  g.entries.sort((a, b) => ENTRY_ORDER.indexOf(a.kind) - ENTRY_ORDER.indexOf(b.kind) || compareAddresses(a.address ?? '', b.address ?? '') || a.port - b.port);
  g.blocking.sort((a, b) => (a.set.name < b.set.name ? -1 : a.set.name > b.set.name ? 1 : 0) || compareText(elementText(a.element), elementText(b.element)));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function finish(table: NftTable, g: Group): ServicePort {
  sortFromElements(g);
  const chainOf = (name: string | undefined) => (name === undefined ? undefined : table.chainsByName.get(name));
  // external-… leads to service-… and (eTP=Local with local endpoints) local-…
  let etpLocal = g.dropsExternal;
  const ext = chainOf(g.chains.ext);
  for (const rule of ext?.rules ?? []) {
    for (const t of ruleTargets(rule)) {
      if (t.target.startsWith('service-')) {
        g.chains.svc ??= t.target;
        // Only eTP=Local short-circuits pods and the node; eTP=Cluster goes to service-… for all.
        if (t.conditional) etpLocal = true;
      } else if (t.target.startsWith('local-')) {
        g.chains.svl ??= t.target;
        etpLocal = true;
      }
    }
  }
  const internalTrafficPolicy: TrafficPolicy = g.clusterToLocal ? 'Local' : 'Cluster';
  const external = g.nodePort !== null || g.externalIPs.length > 0 || g.loadBalancerIPs.length > 0;
  const externalTrafficPolicy: TrafficPolicy | null = external ? (etpLocal ? 'Local' : 'Cluster') : null;

  const svc = loadBalancing(chainOf(g.chains.svc));
  const svl = loadBalancing(chainOf(g.chains.svl));
  const localKnown = svl.length > 0 || g.chains.svl !== undefined || externalTrafficPolicy === 'Local' || internalTrafficPolicy === 'Local';
  const localChains = new Set(svl.map((e) => e.chain));
  const endpoints: Endpoint[] = [];
  const affinityClients: AffinityClient[] = [];
  let affinitySeconds: number | null = null;
  const affinitySets = affinityByEndpoint(table, [chainOf(g.chains.svc), chainOf(g.chains.svl)]);
  const addEndpoint = (ep: { chain: string; probability: number }, local: boolean | null) => {
    const chain = table.chainsByName.get(ep.chain);
    const dnat = chain ? dnatRule(chain) : null;
    const problem: EndpointProblem | null = dnat ? null : chain ? 'empty-endpoint-chain' : 'missing-endpoint-chain';
    const address = dnat?.address ?? parseEndpointChainName(ep.chain)?.address ?? null;
    const counters = dnat?.rule.counters ?? null;
    endpoints.push({
      address, chain: ep.chain, problem, probability: ep.probability, local,
      packets: counters ? counters.packets : null, bytes: counters ? counters.bytes : null,
      dnatRule: null, nftDnatRule: dnat?.rule ?? null,
    });
    const aff = affinitySets.get(ep.chain);
    if (aff) {
      affinitySeconds ??= aff.timeout;
      for (const el of aff.elements) {
        affinityClients.push({ endpoint: address ?? ep.chain, client: exprText(el.key), expiresInSeconds: el.expires });
      }
    }
  };
  for (const ep of svc) addEndpoint(ep, localKnown ? localChains.has(ep.chain) : null);
  for (const ep of svl) if (!svc.some((s) => s.chain === ep.chain)) addEndpoint(ep, true);
  affinityClients.sort((a, b) => compareAddresses(a.endpoint, b.endpoint) || compareAddresses(a.client, b.client));

  const counted = endpoints.filter((e) => e.packets !== null);
  const id = g.id ?? g.chains.svc ?? g.chains.ext ?? g.chains.svl ?? g.chains.fw ?? 'unknown';
  const [namespace, rest] = splitAt(id, '/');
  const [name, portName] = splitAt(rest, ':');
  return {
    id,
    namespace,
    name,
    portName: portName === '' ? null : portName,
    protocol: g.protocol ?? 'tcp',
    family: g.family,
    clusterIP: g.clusterIP,
    port: g.port,
    nodePort: g.nodePort,
    healthCheckNodePort: null,
    externalIPs: g.externalIPs.length > 0 ? g.externalIPs : EMPTY,
    loadBalancerIPs: g.loadBalancerIPs.length > 0 ? g.loadBalancerIPs : EMPTY,
    loadBalancerSourceRanges: sourceRanges(chainOf(g.chains.fw), g.loadBalancerIPs),
    externalTrafficPolicy,
    internalTrafficPolicy,
    sessionAffinitySeconds: affinitySeconds,
    chains: g.chains,
    endpoints,
    packets: counted.length > 0 ? counted.reduce((s, e) => s + e.packets!, 0) : null,
    bytes: counted.length > 0 ? counted.reduce((s, e) => s + (e.bytes ?? 0), 0) : null,
    entryPoints: g.entries,
    blockingRules: EMPTY,
    mode: 'nftables',
    blockingElements: g.blocking,
    affinityClients,
  };
}

function splitAt(text: string, sep: string): [string, string] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

/** endpoint chain -> its affinity set, from the `ip saddr @affinity-X goto endpoint-X` rules. */
function affinityByEndpoint(table: NftTable, chains: Array<NftChain | undefined>): Map<string, NftSet> {
  const out = new Map<string, NftSet>();
  for (const chain of chains) {
    for (const rule of chain?.rules ?? []) {
      let set: NftSet | undefined;
      for (const s of rule.expr) {
        const name = setRef(field(body(s, 'match'), 'right'));
        if (name !== null) set = table.setsByName.get(name);
      }
      const target = ruleTargets(rule).find((t) => t.kind === 'goto')?.target;
      if (set && target) out.set(target, set);
    }
  }
  return out;
}

/** `ip saddr != { ranges } drop` of firewall-…, without the LB IPs kube-proxy adds when a range holds the node. */
function sourceRanges(fw: NftChain | undefined, lbIPs: readonly string[]): readonly string[] {
  const out: string[] = [];
  for (const rule of fw?.rules ?? []) {
    if (!rule.expr.some((s) => kindOf(s) === 'drop')) continue;
    for (const s of rule.expr) {
      const m = body(s, 'match');
      if (field(m, 'op') !== '!=' || exprText(field(m, 'left')).split(' ')[1] !== 'saddr') continue;
      const right = field(m, 'right');
      const set = body(right, 'set');
      const values = set === undefined ? [right] : Array.isArray(set) ? (set as readonly NftExpr[]) : [set];
      for (const v of values) {
        const text = cidrOf(v) ? exprText(v) : typeof v === 'string' ? v : null;
        if (text === null || lbIPs.includes(text)) continue;
        addUnique(out, text);
      }
    }
  }
  return out.length > 0 ? out : EMPTY;
}

