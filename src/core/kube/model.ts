/**
 * Ruleset -> KubeModel. Services are found by following jumps: the nat KUBE-SERVICES and
 * KUBE-NODEPORTS rules lead to a service's SVC/EXT/SVL/FW/XLB chains, those to KUBE-SEP chains,
 * and each KUBE-SEP chain to its DNAT. Comments only name what the jumps found (large-cluster
 * dumps have none on SVC->SEP jumps), and the filter table's REJECT/DROP rules add services
 * with no endpoints and the reasons traffic is refused. One pass over the kube chains: near-linear.
 */
import { chainRows, tableRows } from '../parse/rule.js';
import type { Chain, Family, Rule, Ruleset } from '../parse/types.js';
import { NatChainFacts } from './chain-facts.js';
import { endpointFromComment, splitServiceId } from './comments.js';
import { readFilterRules } from './filter.js';
import { ServiceIndex, type Group, type LayoutSigns } from './group.js';
import { KernelTable } from './kernel-table.js';
import { EMPTY } from './lists.js';
import { hostAddress } from './rule-values.js';
import { LazyMap } from './lazy-map.js';
import { readNatEntries, readServiceChains, resolveIdentity } from './nat.js';
import { scanRule } from './scan.js';
import type { Endpoint, EndpointProblem, EntryKind, EntryPoint, KubeModel, Protocol, ServicePort, TrafficPolicy } from './types.js';

export { serviceChainRole } from './roles.js';
export { hostAddress } from './rule-values.js';

export function buildKubeModel(ruleset: Ruleset): KubeModel {
  const hasCounters = countsRules(ruleset);
  const layout: LayoutSigns = { legacy: false, kube: false };
  const services: ServicePort[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const nat = new KernelTable(ruleset, 'nat', family);
    const filter = new KernelTable(ruleset, 'filter', family);
    if (nat.empty && filter.empty) continue;
    for (const s of buildFamily(family, nat, filter, hasCounters, layout)) services.push(s);
  }
  services.sort(compareServices);
  return modelFromServices(services, layout.legacy ? 'legacy' : layout.kube || services.length > 0 ? 'current' : 'none');
}

/** The model of services already in model order. */
export function modelFromServices(services: ServicePort[], layout: KubeModel['layout']): KubeModel {
  return {
    services,
    // Both built on first use: `services --json` never looks a service up by id or asks who
    // owns a chain; `which` and the explorer do.
    byId: new LazyMap(() => servicesById(services)),
    chainOwner: new LazyMap(() => chainOwners(services)),
    layout,
  };
}

/** Whether the model has counters to show. Read from the rule store: asking every rule would make every Rule object. */
export function countsRules(ruleset: Ruleset): boolean {
  return ruleset.info.hasCounters && ruleset.tables.some((t) => tableRows(t).anyRuleCounted());
}

function buildFamily(
  family: Family,
  nat: KernelTable,
  filter: KernelTable,
  hasCounters: boolean,
  layout: LayoutSigns,
): ServicePort[] {
  if (nat.chain('KUBE-SERVICES') || nat.chain('KUBE-NODEPORTS') || filter.chain('KUBE-SERVICES')) layout.kube = true;
  // Every service and endpoint chain, read once in dump order (chain-facts.ts says why).
  const facts = new NatChainFacts(nat);
  const index = new ServiceIndex(family, facts);
  readNatEntries(index, nat, facts, layout);
  // Each service's own chains (endpoints, affinity, policies, source ranges), then its name.
  for (const g of index.groups) {
    readServiceChains(g, facts, layout);
    resolveIdentity(g, nat, facts);
    index.register(g);
  }
  readFilterRules(index, filter);
  return index.groups.map((g) => finishService(g, facts, hasCounters));
}

/** id -> the first service of that id in model order. */
function servicesById(services: readonly ServicePort[]): Map<string, ServicePort> {
  const byId = new Map<string, ServicePort>();
  for (const s of services) if (!byId.has(s.id)) byId.set(s.id, s);
  return byId;
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

function finishService(g: Group, facts: NatChainFacts, hasCounters: boolean): ServicePort {
  const chains = g.chains;
  const id = g.id ?? chains.svc ?? chains.ext ?? chains.svl ?? chains.fw ?? chains.xlb ?? 'unknown';
  const { namespace, name, portName } = splitServiceId(id);
  const protocol = g.protocol ?? 'tcp';
  const external = g.nodePort !== null || g.externalIPs !== null || g.loadBalancerIPs !== null;
  const externalTrafficPolicy: TrafficPolicy | null = !external
    ? null
    : chains.xlb || g.etpLocalHint || g.extPolicy === 'Local'
      ? 'Local'
      : 'Cluster';
  const internalTrafficPolicy: TrafficPolicy = g.clusterTarget === 'svl' || g.itpLocalHint ? 'Local' : 'Cluster';

  // Which endpoints are local is known from SVL/XLB, or (none are) when a Local policy has no such chain.
  const localKnown =
    g.localSplit >= 0 ||
    ((externalTrafficPolicy === 'Local' || internalTrafficPolicy === 'Local') && !chains.svl && !chains.xlb);
  // Plain loops and no closures: this runs once per service, mostly before it is optimized.
  const t = facts.splits;
  const endpoints: Endpoint[] = [];
  if (g.svcSplit >= 0) {
    const end = t.start[g.svcSplit]! + t.count[g.svcSplit]!;
    for (let j = t.start[g.svcSplit]!; j < end; j++) {
      const local = localKnown ? g.localSplit >= 0 && t.hasJump(g.localSplit, t.jumpChain[j]!) : null;
      endpoints.push(makeEndpoint(facts, g.svcSplit, j, local, hasCounters));
    }
  }
  if (g.localSplit >= 0) {
    const end = t.start[g.localSplit]! + t.count[g.localSplit]!;
    for (let j = t.start[g.localSplit]!; j < end; j++) {
      if (g.svcSplit >= 0 && t.hasJump(g.svcSplit, t.jumpChain[j]!)) continue;
      endpoints.push(makeEndpoint(facts, g.localSplit, j, localKnown ? true : null, hasCounters));
    }
  }

  let packets: number | null = null;
  let bytes: number | null = null;
  if (hasCounters) {
    packets = 0;
    bytes = 0;
    for (let i = 0; i < endpoints.length; i++) {
      packets += endpoints[i]!.packets ?? 0;
      bytes += endpoints[i]!.bytes ?? 0;
    }
  }
  const entryPoints: EntryPoint[] = [];
  for (let i = 0; i < g.entries.length; i++) {
    const e = g.entries[i]!;
    entryPoints.push(new ModelEntryPoint(e.kind, e.address, e.port, protocol, e.chain, e.at));
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
    externalIPs: g.externalIPs ?? EMPTY,
    loadBalancerIPs: g.loadBalancerIPs ?? EMPTY,
    loadBalancerSourceRanges: sourceRanges(g),
    externalTrafficPolicy,
    internalTrafficPolicy,
    sessionAffinitySeconds: affinity(g, facts),
    // The group's own object: roles it lacks are undefined, which JSON and readers treat as absent.
    chains,
    endpoints,
    packets,
    bytes,
    entryPoints,
    blockingRules: g.blockingRules ?? EMPTY,
    healthCheckNodePort: g.healthCheckNodePort,
  };
}

function affinity(g: Group, facts: NatChainFacts): number | null {
  const svc = g.svcSplit >= 0 ? facts.splits.affinitySeconds(g.svcSplit) : null;
  if (svc !== null) return svc;
  return g.localSplit >= 0 ? facts.splits.affinitySeconds(g.localSplit) : null;
}

/**
 * An endpoint of the model. Its DNAT rule is a Rule object only when asked for (the explorer and
 * the counters ask for a few; `services --json` for none): own properties are the data.
 */
export class ModelEndpoint implements Endpoint {
  readonly #dnatChain: Chain | null;
  readonly #dnatAt: number;
  constructor(
    readonly address: string | null,
    readonly chain: string,
    readonly problem: EndpointProblem | null,
    readonly probability: number,
    readonly local: boolean | null,
    readonly packets: number | null,
    readonly bytes: number | null,
    dnatChain: Chain | null,
    dnatAt: number,
  ) {
    this.#dnatChain = dnatChain;
    this.#dnatAt = dnatAt;
  }
  get dnatRule(): Rule | null {
    return this.#dnatChain === null ? null : chainRows(this.#dnatChain).ruleAt(this.#dnatAt);
  }

  /** The chain of the DNAT rule (its KUBE-SEP chain), null when there is none. */
  get dnatChain(): Chain | null {
    return this.#dnatChain;
  }

  /** The DNAT rule's position in dnatChain, from 0. */
  get dnatPosition(): number {
    return this.#dnatAt;
  }

  /** The same endpoint in the ruleset whose chains `counterpart` gives, with its counters; null if its chain has none there. */
  rebased(counterpart: ReadonlyMap<Chain, Chain>, hasCounters: boolean): ModelEndpoint | null {
    if (this.#dnatChain === null) return this;
    const chain = counterpart.get(this.#dnatChain);
    if (chain === undefined) return null;
    const counters = hasCounters ? chainRows(chain).countersAt(this.#dnatAt) : null;
    const { address, probability, local } = this;
    return new ModelEndpoint(address, this.chain, this.problem, probability, local, counters ? counters.packets : null, counters ? counters.bytes : null, chain, this.#dnatAt);
  }
}

/** An entry point of the model; its rule is made when asked for. */
export class ModelEntryPoint implements EntryPoint {
  readonly #chain: Chain;
  readonly #at: number;
  constructor(
    readonly kind: EntryKind,
    readonly address: string | null,
    readonly port: number,
    readonly protocol: Protocol,
    chain: Chain,
    at: number,
  ) {
    this.#chain = chain;
    this.#at = at;
  }
  get rule(): Rule {
    return chainRows(this.#chain).ruleAt(this.#at);
  }

  /** The same entry point in the ruleset whose chains `counterpart` gives; null if its chain has none there. */
  rebased(counterpart: ReadonlyMap<Chain, Chain>): ModelEntryPoint | null {
    const chain = counterpart.get(this.#chain);
    return chain === undefined ? null : new ModelEntryPoint(this.kind, this.address, this.port, this.protocol, chain, this.#at);
  }
}

/** Jump `j` of split `split` as an endpoint. */
function makeEndpoint(facts: NatChainFacts, split: number, j: number, local: boolean | null, hasCounters: boolean): Endpoint {
  const t = facts.splits;
  const chain = t.jumpChain[j]!;
  const sep = facts.sep(chain, t.jumpRef[j]!);
  const address = sep >= 0 ? facts.sepAddressOf(sep) : null;
  const dnatAt = address !== null ? facts.sepDnatPosition(sep) : -1;
  const dnatChain = dnatAt >= 0 ? facts.sepChainOf(sep) : null;
  const counters = hasCounters && dnatChain !== null ? chainRows(dnatChain).countersAt(dnatAt) : null;
  return new ModelEndpoint(
    // Without a DNAT rule (partial syncs, cut pastes) the SVC rule's comment may still name the
    // endpoint; `problem` says the chain does not DNAT, and nothing names it when the comment does not.
    address ?? commentEndpoint(t.chain[split]!, t.jumpAt[j]!),
    chain,
    address !== null ? null : sep >= 0 ? 'empty-endpoint-chain' : 'missing-endpoint-chain',
    t.jumpProbability[j]!,
    local,
    counters ? counters.packets : null,
    counters ? counters.bytes : null,
    dnatChain,
    dnatAt,
  );
}

/** "-s <LB IP>" rules let the node reach its own VIP; they are not user source ranges. */
function sourceRanges(g: Group): readonly string[] {
  const ranges = g.sourceRanges;
  if (ranges === null) return EMPTY;
  const lbHosts = new Set(g.loadBalancerIPs);
  return ranges.filter((r) => !lbHosts.has(hostAddress(r)));
}

/** Model order: by id, IPv4 before IPv6, then protocol. */
export function compareServices(a: ServicePort, b: ServicePort): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  if (a.family !== b.family) return a.family === 'ipv4' ? -1 : 1;
  if (a.protocol !== b.protocol) return a.protocol < b.protocol ? -1 : 1;
  return 0;
}

function commentEndpoint(chain: Chain, at: number): string | null {
  const c = scanRule(chainRows(chain).textAt(at)).comment;
  return c === undefined ? null : endpointFromComment(c);
}
