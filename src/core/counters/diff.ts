/**
 * diffSnapshots: deltas and rates between two snapshots, computed lazily chain by chain and
 * cached, so a view that shows 40 rows pays for the chains of those rows, and a pass over every
 * service pays for their KUBE-SEP chains once. Each chain is matched in linear time
 * (identity.ts); an unchanged chain (most of them, between two syncs) without building anything.
 *
 * A diff keeps both rulesets alive until it is dropped.
 */
import { buildDumpModel } from '../dump.js';
import { buildKubeModel, ModelEndpoint } from '../kube/model.js';
import { nftDisplayTables, nftTableLabel, nftViewFamily } from '../nft-display.js';
import type { NftRule, NftRuleset } from '../nft/types.js';
import { chainRows, type ChainRows } from '../parse/rule.js';
import { holdSameRules } from '../parse/same.js';
import type { Endpoint, KubeModel, Protocol, ServicePort } from '../kube/types.js';
import type { Chain, Counters, Family, Rule, Ruleset, TableName } from '../parse/types.js';
import { SnapshotIndex, TABLE_SLOTS, matchRules, tableSlot } from './identity.js';
import type {
  ChainDelta,
  CounterDelta,
  CounterDiff,
  DeltaState,
  EndpointDelta,
  RuleDelta,
  ServiceDelta,
  Snapshot,
} from './types.js';

/** A cache per snapshot: by its Ruleset, and by its NftRuleset too when it has one (an nft source's Ruleset may be shared). */
class SnapshotCache<V> {
  private readonly byRuleset = new WeakMap<Ruleset, V>();
  private readonly byNft = new WeakMap<NftRuleset, WeakMap<Ruleset, V>>();

  get(s: Snapshot): V | undefined {
    return s.nft ? this.byNft.get(s.nft)?.get(s.ruleset) : this.byRuleset.get(s.ruleset);
  }

  set(s: Snapshot, v: V): void {
    if (!s.nft) {
      this.byRuleset.set(s.ruleset, v);
      return;
    }
    let m = this.byNft.get(s.nft);
    if (!m) {
      m = new WeakMap();
      this.byNft.set(s.nft, m);
    }
    m.set(s.ruleset, v);
  }
}

/**
 * Per-snapshot caches, by its Ruleset (and its NftRuleset when it has one): the current
 * snapshot of one diff is the previous one of the next.
 */
const indexes = new SnapshotCache<SnapshotIndex>();
const models = new SnapshotCache<KubeModel>();
const serviceIndexes = new WeakMap<KubeModel, Map<string, ServicePort[]>>();

/**
 * Compares `cur` with `prev` (null for the first snapshot). Cheap to call: the work happens on
 * lookup, once per chain and service. Pass `Snapshot.model` when the kube model is built already.
 */
export function diffSnapshots(prev: Snapshot | null, cur: Snapshot): CounterDiff {
  return new Diff(prev, cur);
}

function indexOf(s: Snapshot): SnapshotIndex {
  let idx = indexes.get(s);
  if (!idx) {
    idx = new SnapshotIndex(s.ruleset, s.nft ? nftDisplayTables(s.nft) : undefined);
    indexes.set(s, idx);
  }
  return idx;
}

function snapshotModel(s: Snapshot): KubeModel {
  if (s.model) {
    models.set(s, s.model);
    return s.model;
  }
  let m = models.get(s);
  if (!m) {
    m = s.nft ? buildDumpModel({ ruleset: s.ruleset, nft: s.nft }) : buildKubeModel(s.ruleset);
    models.set(s, m);
  }
  return m;
}

/** Whether a snapshot carries counters: iptables-save -c, or nft `counter packets N bytes M`. */
function counted(s: Snapshot): boolean {
  return s.ruleset.info.hasCounters || (s.nft?.hasCounters ?? false);
}

function servicesById(model: KubeModel): Map<string, ServicePort[]> {
  let m = serviceIndexes.get(model);
  if (!m) {
    m = new Map();
    for (const s of model.services) {
      const k = s.family + '/' + s.id;
      const list = m.get(k);
      if (list) list.push(s);
      else m.set(k, [s]);
    }
    serviceIndexes.set(model, m);
  }
  return m;
}

/** One chain of the current snapshot matched with the previous one; deltas made on demand. */
interface ChainDiff {
  readonly chain: Chain;
  /** The chain of that name in the previous snapshot, null when the chain is new. */
  readonly prev: Chain | null;
  /** The rules of `chain` and of `prev`, read by position. */
  readonly rows: ChainRows;
  readonly prevRows: ChainRows | null;
  readonly size: number;
  /**
   * The same rule in the previous snapshot per position (null: new); SAME when the chains hold
   * the same rules position for position (the usual refresh: no Rule objects are made to say
   * so); null when the chain is new.
   */
  readonly matched: readonly (Rule | null)[] | typeof SAME | null;
  /** Made on first request per position; all of them once `complete`. */
  deltas: (RuleDelta | undefined)[] | null;
  complete: boolean;
  /** Rule -> position, built on the first lookup of a rule not at `rule.index` (merged chains). */
  positions: Map<Rule, number> | null;
}

class Diff implements CounterDiff {
  readonly intervalSeconds: number | null;
  private readonly cur: SnapshotIndex;
  private readonly prevIdx: SnapshotIndex | null;
  /** False when there is nothing to compare counts with: no previous snapshot, or it had no counters. */
  private readonly prevCounted: boolean;
  /** intervalSeconds when > 0, else null (no rates). */
  private readonly seconds: number | null;
  /** Per table slot: chain name -> its rule deltas (null: no such chain). nft tables' slots are added on use. */
  private readonly chainDiffs: Map<string, ChainDiff | null>[] = Array.from({ length: TABLE_SLOTS }, () => new Map());
  private readonly chainDeltas: Map<string, ChainDelta | null>[] = Array.from({ length: TABLE_SLOTS }, () => new Map());
  private readonly serviceDeltas = new Map<ServicePort, ServiceDelta>();
  private curModel: KubeModel | null = null;
  /** Whether both snapshots hold the same rules; null until asked. */
  private sameRulesets: boolean | null = null;

  constructor(
    readonly previous: Snapshot | null,
    readonly current: Snapshot,
  ) {
    this.cur = indexOf(current);
    this.prevIdx = previous ? indexOf(previous) : null;
    this.prevCounted = previous !== null && counted(previous);
    let interval: number | null = null;
    if (previous) {
      const seconds = (current.takenAtMs - previous.takenAtMs) / 1000;
      if (Number.isFinite(seconds)) interval = seconds;
    }
    this.intervalSeconds = interval;
    this.seconds = interval !== null && interval > 0 ? interval : null;
    if (current.model) this.curModel = snapshotModel(current);
  }

  get model(): KubeModel {
    return (this.curModel ??= snapshotModel(this.current));
  }

  rule(rule: Rule): RuleDelta | undefined {
    const cd = this.chainDiff(tableSlot(rule.family, rule.table), rule.chain);
    if (!cd) return undefined;
    const guess = rule.index - 1;
    if (guess >= 0 && guess < cd.size && cd.rows.ruleAt(guess) === rule) return this.ruleDelta(cd, guess);
    // Not where its index says (a merged chain, or a rule of another ruleset): by object identity.
    let positions = cd.positions;
    if (!positions) {
      positions = new Map();
      for (let i = 0; i < cd.size; i++) positions.set(cd.rows.ruleAt(i), i);
      cd.positions = positions;
    }
    const i = positions.get(rule);
    return i === undefined ? undefined : this.ruleDelta(cd, i);
  }

  chainRules(table: TableName, family: Family, name: string): readonly RuleDelta[] | undefined {
    const cd = this.chainDiff(tableSlot(family, table), name);
    if (!cd) return undefined;
    if (!cd.complete) {
      cd.deltas ??= new Array<RuleDelta | undefined>(cd.size); // an empty chain too: [] not null
      for (let i = 0; i < cd.size; i++) this.ruleDelta(cd, i);
      cd.complete = true;
    }
    return cd.deltas as RuleDelta[];
  }

  chain(table: TableName, family: Family, name: string): ChainDelta | undefined {
    const slot = tableSlot(family, table);
    const cache = (this.chainDeltas[slot] ??= new Map());
    let d = cache.get(name);
    if (d === undefined) {
      const chain = this.cur.chainInSlot(slot, name);
      d = chain ? this.chainDelta(chain, this.prevIdx?.chainInSlot(slot, name)) : null;
      cache.set(name, d);
    }
    return d ?? undefined;
  }

  service(id: string, family: Family, protocol?: Protocol): ServiceDelta | undefined {
    const list = servicesById(this.model).get(family + '/' + id);
    if (!list) return undefined;
    const s = protocol === undefined ? list[0] : list.find((x) => x.protocol === protocol);
    return s ? this.servicePort(s) : undefined;
  }

  servicePort(service: ServicePort): ServiceDelta | undefined {
    let d = this.serviceDeltas.get(service);
    if (!d) {
      d = this.computeService(service);
      this.serviceDeltas.set(service, d);
    }
    return d;
  }

  endpoint(chain: string, family: Family): EndpointDelta | undefined {
    const owner = this.model.chainOwner.get(family + '/' + chain);
    if (!owner) return undefined;
    const d = this.servicePort(owner);
    if (!d) return undefined;
    for (const e of d.endpoints) if (e.endpoint.chain === chain) return e;
    return undefined;
  }

  countedRules(): RuleDelta[] {
    const out: RuleDelta[] = [];
    if (!this.prevCounted) return out;
    for (const chain of this.cur.chains()) {
      const cd = this.chainDiff(tableSlot(chain.family, chain.table), chain.name);
      if (!cd) continue;
      const { matched } = cd;
      if (!matched) continue;
      // Only rules that counted get a delta object (and a Rule object): a full pass allocates little.
      for (let i = 0; i < cd.size; i++) {
        const c = cd.rows.countersAt(i);
        const pc = matched === SAME ? cd.prevRows!.countersAt(i) : matched[i]?.counters;
        if (c && pc && c.packets > pc.packets && this.compare(c, pc) === 'ok') out.push(this.ruleDelta(cd, i));
      }
    }
    return out;
  }

  private chainDiff(slot: number, name: string): ChainDiff | undefined {
    const cache = (this.chainDiffs[slot] ??= new Map());
    const cached = cache.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const chain = this.cur.chainInSlot(slot, name);
    if (!chain) {
      cache.set(name, null);
      return undefined;
    }
    const prevChain = this.prevIdx?.chainInSlot(slot, name) ?? null;
    const matched = prevChain === null ? null : this.sameRules(prevChain, chain) ? SAME : matchRules(prevChain.rules, chain.rules);
    const rows = chainRows(chain);
    const cd: ChainDiff = { chain, prev: prevChain, rows, prevRows: prevChain === null ? null : chainRows(prevChain), size: rows.size, matched, deltas: null, complete: false, positions: null };
    cache.set(name, cd);
    return cd;
  }

  /** Whether `prev` and `cur` hold the same rules in the same order, read from the rule rows. */
  private sameRules(prev: Chain, cur: Chain): boolean {
    // Two dumps of the same rules (found once per pair): a parsed chain's namesake is its counterpart.
    this.sameRulesets ??= this.previous !== null && holdSameRules(this.previous.ruleset, this.current.ruleset);
    if (this.sameRulesets && chainRows(prev).ref >= 0 && chainRows(cur).ref >= 0) return true;
    const rows = chainRows(cur);
    const prevRows = chainRows(prev);
    const n = rows.size;
    if (prevRows.size !== n) return false;
    for (let i = 0; i < n; i++) if (prevRows.textAt(i) !== rows.textAt(i)) return false;
    return true;
  }

  private previousRule(cd: ChainDiff, i: number): Rule | null {
    if (cd.matched === SAME) return cd.prevRows!.ruleAt(i);
    return cd.matched ? cd.matched[i]! : null;
  }

  private ruleDelta(cd: ChainDiff, i: number): RuleDelta {
    const deltas = (cd.deltas ??= new Array<RuleDelta | undefined>(cd.size));
    const made = deltas[i];
    if (made) return made;
    const rule = cd.rows.ruleAt(i);
    const previous = this.previousRule(cd, i);
    const d: RuleDelta = { rule, previous, ...this.countersDelta(rule.counters, previous ? previous.counters : undefined) };
    deltas[i] = d;
    return d;
  }

  private chainDelta(chain: Chain, prevChain: Chain | undefined): ChainDelta {
    return { chain, ...this.countersDelta(chain.counters, prevChain ? prevChain.counters : undefined) };
  }

  /** The delta of one counter pair (a rule's or a chain policy's) between the two snapshots. */
  private countersDelta(c: Counters | null, pc: Counters | null | undefined): CounterDelta {
    const state = this.compare(c, pc);
    const dp = state === 'ok' ? c!.packets - pc!.packets : null;
    const db = state === 'ok' ? c!.bytes - pc!.bytes : null;
    return {
      state,
      packets: c ? c.packets : null,
      bytes: c ? c.bytes : null,
      deltaPackets: dp,
      deltaBytes: db,
      packetRate: this.perSecond(dp),
      byteRate: this.perSecond(db),
      countedSinceLast: dp !== null && dp > 0,
    };
  }

  /**
   * `prev` undefined: the item is not in the previous snapshot (or there is none); null: it is,
   * without counters.
   */
  private compare(cur: Counters | null, prev: Counters | null | undefined): DeltaState {
    if (cur === null) return 'uncounted';
    if (!this.prevCounted || prev === null) return 'first';
    if (prev === undefined) return 'new';
    if (cur.packets < prev.packets || cur.bytes < prev.bytes) return 'reset';
    return 'ok';
  }

  private perSecond(delta: number | null): number | null {
    return delta === null || this.seconds === null ? null : delta / this.seconds;
  }

  private computeService(service: ServicePort): ServiceDelta {
    const endpoints: EndpointDelta[] = new Array(service.endpoints.length);
    let newEndpoints = 0;
    let known = 0;
    let dp = 0;
    let db = 0;
    let worst: DeltaState | null = null; // reset or first in any endpoint
    for (let i = 0; i < endpoints.length; i++) {
      const e = this.endpointDelta(service, service.endpoints[i]!);
      endpoints[i] = e;
      if (e.state === 'new') newEndpoints++;
      else if (e.state === 'ok') {
        known++;
        dp += e.deltaPackets!;
        db += e.deltaBytes!;
      } else if (e.state === 'reset') worst = 'reset';
      else if (e.state === 'first' && worst === null) worst = 'first';
    }
    const { packets, bytes } = service;
    let state: DeltaState;
    if (packets === null || bytes === null) state = 'uncounted';
    else if (!this.prevCounted) state = 'first';
    else if (this.serviceIsNew(service)) state = 'new';
    else if (worst !== null) state = worst;
    else if (known === 0 && newEndpoints > 0) state = 'new';
    else state = 'ok';
    const ok = state === 'ok';
    return {
      service,
      endpoints,
      newEndpoints,
      state,
      packets,
      bytes,
      deltaPackets: ok ? dp : null,
      deltaBytes: ok ? db : null,
      packetRate: ok ? this.perSecond(dp) : null,
      byteRate: ok ? this.perSecond(db) : null,
      countedSinceLast: ok && dp > 0,
    };
  }

  /** The delta of an nft rule of the current snapshot, through the rule the views show for it (core/nft-display). */
  private nftRule(rule: NftRule): RuleDelta | undefined {
    const table = { family: rule.family, name: rule.table };
    const cd = this.chainDiff(tableSlot(nftViewFamily(table), nftTableLabel(table)), rule.chain);
    if (!cd) return undefined;
    const at = rule.index - 1;
    if (at >= 0 && at < cd.size && cd.rows.ruleAt(at).nft === rule) return this.ruleDelta(cd, at);
    // Not where its index says: a rule of another snapshot's ruleset, or none at all.
    for (let i = 0; i < cd.size; i++) if (cd.rows.ruleAt(i).nft === rule) return this.ruleDelta(cd, i);
    return undefined;
  }

  /**
   * None of the service's own chains (SVC/EXT/SVL/FW/XLB; in nftables mode service-, external-,
   * local-, firewall-) was in the previous snapshot's table that holds them (nat; the service's
   * nft table).
   */
  private serviceIsNew(service: ServicePort): boolean {
    const prev = this.prevIdx;
    if (!prev) return true;
    let slot = tableSlot(service.family, 'nat');
    if (service.mode === 'nftables') {
      const table = nftServiceTable(service);
      if (table === null) return false; // nothing tells where its chains are: not new
      slot = tableSlot(nftViewFamily(table), nftTableLabel(table));
    }
    let named = false;
    for (const role of ['svc', 'ext', 'svl', 'fw', 'xlb'] as const) {
      const c = service.chains[role];
      if (c === undefined) continue;
      if (prev.chainInSlot(slot, c)) return false;
      named = true;
    }
    // Without chains of its own (no endpoints) there is nothing to tell by: not new.
    return named;
  }

  /**
   * An endpoint's DNAT counters delta read from the rule rows, for a model of this snapshot and
   * a chain of the same rules as before: no Rule or RuleDelta objects (a services screen sorted
   * by rate asks for every endpoint). null: take the general path.
   */
  private endpointCounters(endpoint: Endpoint): CounterDelta | null {
    if (!(endpoint instanceof ModelEndpoint)) return null;
    const chain = endpoint.dnatChain;
    if (chain === null) return null;
    const cd = this.chainDiff(tableSlot(chain.family, chain.table), chain.name);
    if (!cd || cd.chain !== chain || cd.matched !== SAME) return null;
    const at = endpoint.dnatPosition;
    return this.countersDelta(cd.rows.countersAt(at), cd.prevRows!.countersAt(at));
  }

  private endpointDelta(service: ServicePort, endpoint: Endpoint): EndpointDelta {
    const fast = this.endpointCounters(endpoint);
    if (fast !== null) return { endpoint, service, ...fast };
    const rd = endpoint.dnatRule ? this.rule(endpoint.dnatRule) : endpoint.nftDnatRule ? this.nftRule(endpoint.nftDnatRule) : undefined;
    if (!rd) {
      // No DNAT rule (a SEP chain missing from a partial dump), or a model of another ruleset.
      return { endpoint, service, ...UNCOUNTED };
    }
    return {
      endpoint,
      service,
      state: rd.state,
      packets: rd.packets,
      bytes: rd.bytes,
      deltaPackets: rd.deltaPackets,
      deltaBytes: rd.deltaBytes,
      packetRate: rd.packetRate,
      byteRate: rd.byteRate,
      countedSinceLast: rd.countedSinceLast,
    };
  }
}

/** Stands for a chain whose rules are the previous chain's, position for position. */
const SAME = 'same';

const UNCOUNTED: CounterDelta = {
  state: 'uncounted',
  packets: null,
  bytes: null,
  deltaPackets: null,
  deltaBytes: null,
  packetRate: null,
  byteRate: null,
  countedSinceLast: false,
};

/** The nft table (family and name) a service of the nftables model was read from: where its endpoint rules or map elements are. */
function nftServiceTable(service: ServicePort): { family: NftRule['family']; name: string } | null {
  for (const e of service.endpoints) if (e.nftDnatRule) return { family: e.nftDnatRule.family, name: e.nftDnatRule.table };
  for (const p of service.entryPoints) if (p.element) return { family: p.element.set.family, name: p.element.set.table };
  for (const b of service.blockingElements ?? []) return { family: b.set.family, name: b.set.table };
  return null;
}
