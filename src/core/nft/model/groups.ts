/**
 * Reading kube-proxy's maps into one group per service port: service-ips and service-nodeports
 * (the ways in), firewall-ips (load balancers with source ranges), no-endpoint-* (refused
 * services, named by their element comments). A group is keyed by its chains' common
 * "HASH-ns/name/proto/port" part, or by its id when only a no-endpoint element names it.
 */
import { addUnique } from '../../kube/lists.js';
import type { EntryKind, EntryPoint, NftElementRef, ServiceChains } from '../../kube/types.js';
import type { Family, Protocol } from '../../parse/types.js';
import { body, verdictOf } from '../expr.js';
import { parseServiceChainName, serviceIdFromElementComment } from '../names.js';
import type { NftElement, NftExpr, NftSet, NftTable } from '../types.js';
import { ipKey, ipOf, numberOf, protocolNameOf } from '../values.js';

export interface Group {
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

/** The service groups of one kube-proxy table, in the order the maps name them. */
export function readServiceGroups(table: NftTable): Group[] {
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
  return groups;
}
