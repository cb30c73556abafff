/** What the model learns about each service port while reading a dump, and the index it finds them by. */
import type { Chain, Family, Rule } from '../parse/types.js';
import { unique } from './lists.js';
import { chainPrefix, type Role } from './roles.js';
import type { EntryKind, Protocol, ServiceChains, TrafficPolicy } from './types.js';

export interface LayoutSigns {
  /** XLB chains, KUBE-MARK-DROP in service chains, node ports straight to KUBE-SVC, masquerade in KUBE-SERVICES. */
  legacy: boolean;
  /** Any kube-proxy top-level chain at all. */
  kube: boolean;
}

/** An entry rule, by its chain and position (its Rule object is made only if someone asks). */
export interface RawEntry {
  readonly kind: EntryKind;
  readonly address: string | null;
  readonly port: number;
  readonly chain: Chain;
  readonly at: number;
}

/** Everything learnt about one service port of one family while reading the dump. */
export class Group {
  /** Every role present from the start (undefined until found): one object shape for all groups. */
  readonly chains: ServiceChains = { svc: undefined, ext: undefined, svl: undefined, fw: undefined, xlb: undefined };
  /** The roles in the order their chains were found, 3 bits each (roles.ts roleNumber), first found highest. */
  roleOrder = 0;
  protocol: Protocol | null = null;
  /** The first id named by the entry rules' comments, and any other ids they name, in order. */
  firstIdCandidate: string | null = null;
  moreIdCandidates: string[] | null = null;
  id: string | null = null;
  clusterIP: string | null = null;
  port: number | null = null;
  nodePort: number | null = null;
  healthCheckNodePort: number | null = null;
  // Lists that most groups never add to are null until they do (an object less per service:
  // every object that outlives a young-generation collection costs about a microsecond).
  externalIPs: string[] | null = null;
  loadBalancerIPs: string[] | null = null;
  sourceRanges: string[] | null = null;
  /** The role of the chain the cluster IP rule jumps to (svl means internalTrafficPolicy Local). */
  clusterTarget: Role | null = null;
  readonly entries: RawEntry[] = [];
  blockingRules: Rule[] | null = null;
  /** From the EXT chain: Cluster when it masquerades everything, Local when it short-circuits or uses SVL. */
  extPolicy: TrafficPolicy | null = null;
  etpLocalHint = false;
  itpLocalHint = false;
  /** The SVC chain's split and the SVL/XLB chain's, numbers in NatChainFacts.splits; -1 when none. */
  svcSplit = -1;
  localSplit = -1;
  /** The numbers (NatChainFacts.serviceChain) of the chains in `chains`; -1 for none, or one the nat table lacks. */
  svcChain = -1;
  extChain = -1;
  svlChain = -1;
  fwChain = -1;
  xlbChain = -1;

  constructor(
    readonly family: Family,
    /** The hash shared by the service's chain names; null for services seen only in the filter table. */
    readonly hash: string | null,
  ) {}

  addIdCandidate(id: string): void {
    if (this.firstIdCandidate === null) this.firstIdCandidate = id;
    else if (id !== this.firstIdCandidate) (this.moreIdCandidates ??= []).push(id);
  }

  /** The ids the comments named, each once, in the order first named. */
  idCandidates(): string[] {
    if (this.firstIdCandidate === null) return [];
    return this.moreIdCandidates === null ? [this.firstIdCandidate] : unique([this.firstIdCandidate, ...this.moreIdCandidates]);
  }
}

/** One number per service chain, whichever way the chain is reached (NatChainFacts.key). */
export interface ChainKeys {
  /** Keys run from 0 below this. */
  readonly keyCount: number;
  /** The chain's key, -1 for a chain known by name only. `ref`: its ChainRows.ref when the caller has it, else -1. */
  key(name: string, ref: number): number;
}

/** Records service chain number `c` for the group's chain of this role. */
export function setChainNumber(g: Group, role: Role, c: number): void {
  switch (role) {
    case 'svc':
      g.svcChain = c;
      break;
    case 'ext':
      g.extChain = c;
      break;
    case 'svl':
      g.svlChain = c;
      break;
    case 'fw':
      g.fwChain = c;
      break;
    case 'xlb':
      g.xlbChain = c;
      break;
  }
}

/**
 * Every group of one family, found by chain (any of its SVC/EXT/SVL/FW/XLB chains), by the hash
 * those chain names share, or by id and protocol (what the filter table's comments give).
 * Chains are found by number where they have one: a Map keyed by chain names hashed each name
 * of ~100k lookups on a 10k-service dump, a good part of the model's time.
 */
export class ServiceIndex {
  readonly groups: Group[] = [];
  private readonly byHash = new Map<string, Group>();
  /** The group that claimed each chain: by key, and by name for chains without one. */
  private readonly groupByKey: (Group | undefined)[];
  private readonly groupByName = new Map<string, Group>();
  /** The first group registered with each id, and any later ones with the same id (other protocols). */
  private readonly byIdOnly = new Map<string, Group>();
  private readonly sameId = new Map<string, Group[]>();

  constructor(
    readonly family: Family,
    private readonly keys: ChainKeys,
  ) {
    this.groupByKey = new Array<Group | undefined>(keys.keyCount);
  }

  /** The group that claimed chain `name` (`ref`: its ChainRows.ref, or -1), undefined when none has. */
  chainGroup(name: string, ref: number): Group | undefined {
    const k = this.keys.key(name, ref);
    return k >= 0 ? this.groupByKey[k] : this.groupByName.get(name);
  }

  /** `group` owns chain `name` from now on. */
  claim(name: string, ref: number, group: Group): void {
    const k = this.keys.key(name, ref);
    if (k >= 0) this.groupByKey[k] = group;
    else this.groupByName.set(name, group);
  }

  /** The group a jump to `chain` (`ref`: its ChainRows.ref, or -1) belongs to, created on first sight. */
  forChain(chain: string, ref: number, role: Role): Group {
    let group = this.chainGroup(chain, ref);
    if (group) return group;
    // The hash is only needed for a chain not seen yet: sliced here, not for every entry rule.
    const hash = chain.slice(chainPrefix(role).length);
    group = this.byHash.get(hash);
    if (!group) {
      group = new Group(this.family, hash);
      this.groups.push(group);
      this.byHash.set(hash, group);
    }
    return group;
  }

  /** Make a named group findable by id (call once its id and protocol are settled). */
  register(g: Group): void {
    if (g.id === null) return;
    if (!this.byIdOnly.has(g.id)) {
      this.byIdOnly.set(g.id, g);
      return;
    }
    const more = this.sameId.get(g.id);
    if (more) more.push(g);
    else this.sameId.set(g.id, [g]);
  }

  byId(id: string): Group | undefined {
    return this.byIdOnly.get(id);
  }

  /** The group named `id` with this protocol, or a new one: a service seen only in the filter table. */
  named(id: string, protocol: Protocol | null): Group {
    const found = this.registered(id, protocol);
    if (found) return found;
    const g = new Group(this.family, null);
    g.id = id;
    g.protocol = protocol;
    this.groups.push(g);
    this.register(g);
    return g;
  }

  /** The first group registered with this id and protocol; with no protocol, the first with the id. */
  private registered(id: string, protocol: Protocol | null): Group | undefined {
    const first = this.byIdOnly.get(id);
    if (first === undefined || first.protocol === protocol) return first;
    const more = this.sameId.get(id);
    if (more) for (const g of more) if (g.protocol === protocol) return g;
    return protocol === null ? first : undefined;
  }
}

