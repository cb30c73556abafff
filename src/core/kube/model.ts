/**
 * Ruleset -> KubeModel. Services are found by following jumps: the nat KUBE-SERVICES and
 * KUBE-NODEPORTS rules lead to a service's SVC/EXT/SVL/FW/XLB chains, those to KUBE-SEP chains,
 * and each KUBE-SEP chain to its DNAT. Comments only name what the jumps found (large-cluster
 * dumps have none on SVC->SEP jumps), and the filter table's REJECT/DROP rules add services
 * with no endpoints and the reasons traffic is refused. One pass over the kube chains: near-linear.
 */
import type { Family, Rule, Ruleset } from '../parse/types.js';
import { endpointFromComment, splitServiceId } from './comments.js';
import type { EndpointJump } from './endpoints.js';
import { readFilterRules } from './filter.js';
import { hostAddress, ServiceIndex, TableSet, type Group, type LayoutSigns } from './group.js';
import { LazyMap } from './lazy-map.js';
import { readNatEntries, readServiceChains, resolveIdentity } from './nat.js';
import { scanRule } from './scan.js';
import type { Endpoint, EntryPoint, KubeModel, ServiceChains, ServicePort, TrafficPolicy } from './types.js';

export { hostAddress, serviceChainRole } from './group.js';

export function buildKubeModel(ruleset: Ruleset): KubeModel {
  const hasCounters = ruleset.info.hasCounters && ruleset.tables.some((t) => t.rules.some((r) => r.counters !== null));
  const layout: LayoutSigns = { legacy: false, kube: false };
  const services: ServicePort[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const nat = new TableSet(ruleset.tables, 'nat', family);
    const filter = new TableSet(ruleset.tables, 'filter', family);
    if (nat.empty && filter.empty) continue;
    for (const s of buildFamily(family, nat, filter, hasCounters, layout)) services.push(s);
  }
  services.sort(compareServices);

  const byId = new Map<string, ServicePort>();
  for (const s of services) if (!byId.has(s.id)) byId.set(s.id, s);
  return {
    services,
    byId,
    // Built on first use: `services --json` never asks who owns a chain, the explorer does.
    chainOwner: new LazyMap(() => chainOwners(services)),
    layout: layout.legacy ? 'legacy' : layout.kube || services.length > 0 ? 'current' : 'none',
  };
}

function buildFamily(
  family: Family,
  nat: TableSet,
  filter: TableSet,
  hasCounters: boolean,
  layout: LayoutSigns,
): ServicePort[] {
  if (nat.chain('KUBE-SERVICES') || nat.chain('KUBE-NODEPORTS') || filter.chain('KUBE-SERVICES')) layout.kube = true;
  const index = new ServiceIndex(family);
  readNatEntries(index, nat, layout);
  // Each service's own chains (endpoints, affinity, policies, source ranges), then its name.
  for (const g of index.groups) {
    readServiceChains(g, nat, layout);
    resolveIdentity(g, nat);
    index.register(g);
  }
  readFilterRules(index, filter);
  return index.groups.map((g) => finishService(g, hasCounters));
}

/** `${family}/${chain}` -> the service owning it (the first in model order, should two claim one). */
function chainOwners(services: readonly ServicePort[]): Map<string, ServicePort> {
  const owners = new Map<string, ServicePort>();
  for (const s of services) {
    const prefix = s.family + '/';
    const own = (chain: string) => {
      const key = prefix + chain;
      if (!owners.has(key)) owners.set(key, s);
    };
    for (const role of ['svc', 'ext', 'svl', 'fw', 'xlb'] as const) {
      const chain = s.chains[role];
      if (chain !== undefined) own(chain);
    }
    for (const ep of s.endpoints) own(ep.chain);
  }
  return owners;
}

function finishService(g: Group, hasCounters: boolean): ServicePort {
  const id = g.id ?? g.chains.svc ?? g.chains.ext ?? g.chains.svl ?? g.chains.fw ?? g.chains.xlb ?? 'unknown';
  const { namespace, name, portName } = splitServiceId(id);
  const protocol = g.protocol ?? 'tcp';
  const external = g.nodePort !== null || g.externalIPs.length > 0 || g.loadBalancerIPs.length > 0;
  const externalTrafficPolicy: TrafficPolicy | null = !external
    ? null
    : g.chains.xlb || g.etpLocalHint || g.extPolicy === 'Local'
      ? 'Local'
      : 'Cluster';
  const internalTrafficPolicy: TrafficPolicy = g.clusterTarget === 'svl' || g.itpLocalHint ? 'Local' : 'Cluster';

  // Which endpoints are local is known from SVL/XLB, or (none are) when a Local policy has no such chain.
  const localKnown =
    g.localSplit !== null ||
    ((externalTrafficPolicy === 'Local' || internalTrafficPolicy === 'Local') && !g.chains.svl && !g.chains.xlb);
  const localChains = g.localSplit ? new Set(g.localSplit.jumps.map((j) => j.chain)) : null;
  const endpoints: Endpoint[] = [];
  const inSvc = g.svcSplit && g.localSplit ? new Set(g.svcSplit.jumps.map((j) => j.chain)) : null;
  const addEndpoint = (jump: EndpointJump) => {
    const dnat = jump.dnat ?? null;
    const counters = dnat?.rule.counters ?? null;
    endpoints.push({
      // Without its SEP chain (partial syncs) the SVC rule's comment may still name the endpoint.
      address: dnat?.address ?? commentEndpoint(jump.rule) ?? '',
      chain: jump.chain,
      probability: jump.probability,
      local: localKnown ? (localChains?.has(jump.chain) ?? false) : null,
      packets: hasCounters && counters ? counters.packets : null,
      bytes: hasCounters && counters ? counters.bytes : null,
      dnatRule: dnat?.rule ?? null,
    });
  };
  for (const jump of g.svcSplit?.jumps ?? []) addEndpoint(jump);
  for (const jump of g.localSplit?.jumps ?? []) if (!inSvc?.has(jump.chain)) addEndpoint(jump);

  let packets: number | null = null;
  let bytes: number | null = null;
  if (hasCounters) {
    packets = 0;
    bytes = 0;
    for (const ep of endpoints) {
      packets += ep.packets ?? 0;
      bytes += ep.bytes ?? 0;
    }
  }
  const lbHosts = new Set(g.loadBalancerIPs);
  const chains: ServiceChains = {};
  for (const role of ['svc', 'ext', 'svl', 'fw', 'xlb'] as const) {
    const chain = g.chains[role];
    if (chain !== undefined) chains[role] = chain;
  }
  return {
    id,
    namespace,
    name,
    portName,
    protocol,
    family: g.family,
    clusterIP: g.clusterIP,
    port: g.port,
    nodePort: g.nodePort,
    externalIPs: g.externalIPs,
    loadBalancerIPs: g.loadBalancerIPs,
    // "-s <LB IP>" rules let the node reach its own VIP; they are not user source ranges.
    loadBalancerSourceRanges: g.sourceRanges.filter((r) => !lbHosts.has(hostAddress(r))),
    externalTrafficPolicy,
    internalTrafficPolicy,
    sessionAffinitySeconds: g.svcSplit?.affinitySeconds ?? g.localSplit?.affinitySeconds ?? null,
    chains,
    endpoints,
    packets,
    bytes,
    entryPoints: g.entries.map((e): EntryPoint => ({ kind: e.kind, address: e.address, port: e.port, protocol, rule: e.rule })),
    blockingRules: g.blockingRules,
    healthCheckNodePort: g.healthCheckNodePort,
  };
}

function compareServices(a: ServicePort, b: ServicePort): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  if (a.family !== b.family) return a.family === 'ipv4' ? -1 : 1;
  if (a.protocol !== b.protocol) return a.protocol < b.protocol ? -1 : 1;
  return 0;
}

function commentEndpoint(rule: Rule): string | null {
  const c = scanRule(rule.text).comment;
  return c === undefined ? null : endpointFromComment(c);
}
