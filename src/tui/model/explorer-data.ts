/**
 * Everything the explorer shows about one snapshot, derived once from the core's Ruleset and
 * KubeModel: rows for the services and hooks screens, per-chain rule rows, reference counts,
 * search indexes. Pure and lazy (a 10k-service dump pays only for what is opened); a new
 * snapshot gets a new ExplorerData and the views keep their selection by row key.
 */
import { compareRates, diffSnapshots, type CounterDiff, type Snapshot as CounterSnapshot } from '../../core/counters/index.js';
import {
  buildDumpModel,
  chainKey,
  chainReferenceCounts,
  counterFindingsAt,
  countBySeverity,
  dropRules,
  dumpDiagnostics,
  findNftSet,
  HOOK_TABLES,
  hostPort,
  isTableName,
  kubeProxyModes,
  missingServiceJumps,
  modeFindings,
  nftChainReferences,
  nftDisplayTables,
  nftRuleTextWithoutCounts,
  nftTableLabel,
  nftViewFamily,
  ruleFindings,
  setsNamedBy,
  sortFindings,
  unknownMatchFindings,
  type DropRule,
  type Dump,
  type Finding,
  type KubeProxyMode,
  type NftFamily,
  type NftRuleset,
  type NftSet,
  type PathStep,
} from '../../core/index.js';
import { serviceType, type KubeModel, type ServicePort, type ServiceType } from '../../core/kube/index.js';
import {
  chainRows,
  findChain,
  holdSameRules,
  liveTables,
  tableRows,
  type Chain,
  type Counters,
  type Family,
  type Rule,
  type Ruleset,
  type TableName,
} from '../../core/parse/index.js';
import type { ChainRef, ServiceSort, SetRef } from '../state.js';

/** The sorts a snapshot orders by itself (by connections needs the conntrack table: views.ts). */
export type SnapshotSort = Exclude<ServiceSort, 'conns'>;
import { ruleSummary } from './rule-summary.js';
import { createSearcher, type Searcher, type SearchRow } from './search.js';

/** What the explorer is given: a loaded dump and where it came from. */
export interface ExplorerInput {
  /** The iptables-mode rules (empty for an nftables ruleset alone). */
  readonly ruleset: Ruleset;
  /** The nftables ruleset, when the source gave one. */
  readonly nft?: NftRuleset | null;
  /** The source as the user named it: a path, `<stdin>`, a command. */
  readonly source: string;
  readonly takenAt: Date | null;
  /** The node's own addresses (addrtype LOCAL), [] when unknown. */
  readonly nodeAddresses: readonly string[];
  /** '@nodeport-ips' when nodeAddresses were read off that nftables set, not given or read off the machine. */
  readonly nodeAddressesFrom?: string | null;
  /** The snapshot shown before this one (live sources): deltas and rates are against it. */
  readonly previous?: CounterSnapshot | null;
}

export interface ServiceRow {
  readonly key: string;
  readonly service: ServicePort;
  readonly type: ServiceType;
  /** "10.32.0.61:80/tcp" */
  readonly cluster: string;
  readonly nodePort: number | null;
  readonly endpointsTotal: number;
  /** null when the dump does not tell which endpoints are local. */
  readonly endpointsLocal: number | null;
  /** externalTrafficPolicy, or internalTrafficPolicy when that is Local and nothing is external. */
  readonly policy: string;
  readonly packets: number | null;
  readonly bytes: number | null;
}

export interface HookRow {
  readonly key: string;
  readonly ref: ChainRef;
  readonly hook: string;
  /** The kernel's order within a hook: iptables' fixed table priorities, an nft base chain's own. */
  readonly priority: number;
  readonly chain: Chain;
  /** User chains the hook jumps to, in rule order. */
  readonly jumps: readonly string[];
}

export interface RuleRow {
  readonly key: string;
  readonly rule: Rule;
  readonly summary: string;
  /** The chain the rule jumps or goes to, when it is a chain of the same table. */
  readonly into: ChainRef | null;
  /** nftables: the named set or map the rule looks up (`vmap @service-ips`), which Enter opens when no chain is. */
  readonly intoSet: SetRef | null;
}

export interface ExplorerData extends ExplorerInput {
  readonly model: KubeModel;
  /**
   * Counters against the previous snapshot (every delta is `first` without one): per rule,
   * chain, service and endpoint, computed on lookup.
   */
  readonly diff: CounterDiff;
  /** This snapshot as the next one's `previous`. */
  readonly counterSnapshot: CounterSnapshot;
  readonly serviceRows: readonly ServiceRow[];
  sortedServices(sort: SnapshotSort): readonly ServiceRow[];
  readonly hookRows: readonly HookRow[];
  chain(ref: ChainRef): Chain | undefined;
  ruleRows(ref: ChainRef): readonly RuleRow[];
  /** How many rules jump or go to this chain. */
  references(ref: ChainRef): number;
  serviceSearcher(): Searcher;
  hookSearcher(): Searcher;
  ruleSearcher(ref: ChainRef): Searcher;
  /** The search indexes, shared with the next snapshot when it holds the same rules. */
  readonly searchIndexes: SearchIndexes;
  /** The snapshot's rules in whichever kube-proxy mode(s) they are: what traces run through. */
  readonly dump: Dump;
  /** Every table as the views show it: iptables' and the nft tables under their labels. */
  readonly display: Ruleset;
  /** The kube-proxy modes whose rules the snapshot holds (both, mid-migration). */
  readonly modes: readonly KubeProxyMode[];
  /** An nftables set or map of the snapshot. */
  set(ref: SetRef): NftSet | undefined;
  resolveSet(name: string): SetRef | null;
  /** `:chain NAME [TABLE]`: nat first (where kube-proxy's service chains are), then filter, … */
  resolveChain(name: string, table: TableName | null): ChainRef | null;
  findService(family: Family, id: string): ServicePort | undefined;
  /** `:svc ID`: the service port with exactly this id, IPv4 first. */
  resolveService(id: string): { readonly family: Family; readonly id: string } | null;
  /** What Tab completes on the `:` line: chain names, service ids, the addresses services answer on. */
  chainNames(): readonly string[];
  serviceIds(): readonly string[];
  frontends(): readonly string[];
  readonly counts: { readonly chains: number; readonly rules: number };
  /** Parse warnings and iptables' own notes, for the status line. */
  readonly warnings: readonly string[];
  /** What `doctor` finds in this snapshot, most severe first (the Problems screen), computed on first use. */
  findings(): readonly Finding[];
  /** How many findings are errors and warnings (the status line). */
  problemCounts(): { readonly error: number; readonly warning: number };
}

/**
 * Every list's search index, built on first use. What a row is found by (ids, addresses, chains,
 * rule texts) follows from the rules alone, so a snapshot with the same rules as the one before
 * (a live refresh with new counts) takes these over instead of indexing 10k services again.
 */
export interface SearchIndexes {
  services: Searcher | null;
  hooks: Searcher | null;
  readonly rules: Map<string, Searcher>;
  /** doctor's findings from the rules alone (not the counters): the same for the same rules. */
  ruleFindings: Finding[] | null;
  unknownMatches: Finding[] | null;
  /** The DROP and REJECT rules, whose counters the counting-drop findings read. */
  dropRules: DropRule[] | null;
  /** The services list's widest id and cluster address, and each row's detail line up to its counts (views.ts). */
  serviceContent: { readonly id: number; readonly cluster: number } | null;
  serviceDetailLengths: Int32Array | null;
}

const TABLE_PREFERENCE: readonly TableName[] = ['nat', 'filter', 'mangle', 'raw', 'security'];

export function refKey(ref: ChainRef): string {
  return chainKey(ref.family, ref.table, ref.chain);
}

export function serviceKey(s: ServicePort): string {
  return `${s.family} ${s.id}`;
}

/** `before`: the data on screen until now; its search indexes carry over when the rules are the same. */
export function buildExplorerData(input: ExplorerInput, model?: KubeModel, before: ExplorerData | null = null): ExplorerData {
  const { ruleset } = input;
  const dump: Dump = { ruleset, nft: input.nft ?? null };
  model ??= buildDumpModel(dump);
  // The views read iptables and nft tables alike (core/nft-display), and so do the counters (the
  // snapshot carries the nft ruleset: its display tables are the same objects); findings stay iptables'.
  const display: Ruleset = dump.nft ? { ...ruleset, tables: [...ruleset.tables, ...nftDisplayTables(dump.nft)] } : ruleset;
  const sameRows = before !== null && holdSameRules(before.ruleset, ruleset) && sameNft(before.nft ?? null, dump.nft) && sameServices(before.model, model);
  const searchIndexes: SearchIndexes = sameRows ? before.searchIndexes : { services: null, hooks: null, rules: new Map(), ruleFindings: null, unknownMatches: null, dropRules: null, serviceContent: null, serviceDetailLengths: null };
  const counterSnapshot: CounterSnapshot = { ruleset, nft: dump.nft, takenAtMs: input.takenAt?.getTime() ?? 0, model };
  const diff = diffSnapshots(input.previous ?? null, counterSnapshot);
  const serviceRows = model.services.map(toServiceRow);
  const sorted = new Map<SnapshotSort, readonly ServiceRow[]>([['id', serviceRows]]);
  const hookRows = buildHookRows(display);
  const ruleRowCache = new Map<string, readonly RuleRow[]>();
  let referenceCounts: Map<string, number> | null = null;
  let counted: readonly Finding[] | null = null;
  let findings: readonly Finding[] | null = null;
  // What the status line counts: errors and warnings only, so without unknown-match (info).
  const countedFindings = (): readonly Finding[] => {
    const byRules = (searchIndexes.ruleFindings ??= [...ruleFindings(ruleset, model, { nodeAddresses: input.nodeAddresses }), ...modeFindings(dump, model)]);
    const drops = (searchIndexes.dropRules ??= dropRules(ruleset));
    return (counted ??= [...byRules, ...counterFindingsAt(ruleset, model, drops)]);
  };
  const allFindings = (): readonly Finding[] => {
    const unknown = (searchIndexes.unknownMatches ??= unknownMatchFindings(ruleset));
    return (findings ??= sortFindings([...countedFindings(), ...unknown]));
  };
  // Built on the first `:svc` or lookup by id, not with every refresh's data.
  let byFamilyIdMap: Map<string, ServicePort> | null = null;
  const byFamilyId = () => (byFamilyIdMap ??= new Map(model.services.map((s) => [serviceKey(s), s])));
  let chainNames: readonly string[] | null = null;
  let serviceIds: readonly string[] | null = null;
  let frontends: readonly string[] | null = null;

  const chain = (ref: ChainRef) => findChain(display, ref.table, ref.chain, ref.family);

  const ruleRows = (ref: ChainRef): readonly RuleRow[] => {
    const key = refKey(ref);
    let rows = ruleRowCache.get(key);
    if (!rows) {
      const c = chain(ref);
      // A rule is known by its text and which occurrence of that text it is (as the counters
      // know it), so the selection follows it when kube-proxy rewrites the chain in another order.
      const seen = new Map<string, number>();
      rows = (c?.rules ?? []).map((rule) => {
        const target = rule.target;
        const into = target && findChain(display, ref.table, target, ref.family) ? { family: ref.family, table: ref.table, chain: target } : null;
        const setName = rule.nft ? setsNamedBy(rule.nft)[0] : undefined;
        const intoSet = setName === undefined ? null : { table: ref.table, name: setName };
        const text = rule.text;
        const n = (seen.get(text) ?? 0) + 1;
        seen.set(text, n);
        return { key: `${n}\0${text}`, rule, summary: rule.nft ? rule.text : ruleSummary(rule), into, intoSet };
      });
      ruleRowCache.set(key, rows);
    }
    return rows;
  };

  let chainCount = 0;
  let ruleCount = 0;
  for (const t of liveTables(display)) {
    chainCount += t.chains.length;
    ruleCount += tableRows(t).ruleTotal(); // t.rules.length would make a Rule object per rule
  }

  return {
    ...input,
    model,
    diff,
    counterSnapshot,
    serviceRows,
    sortedServices(sort) {
      let rows = sorted.get(sort);
      if (!rows) {
        rows = sortServices(serviceRows, sort, diff);
        sorted.set(sort, rows);
      }
      return rows;
    },
    hookRows,
    chain,
    ruleRows,
    references(ref) {
      if (!isTableName(ref.table)) {
        const table = dump.nft?.tables.find((t) => nftTableLabel(t) === ref.table);
        const chain = table?.chainsByName.get(ref.chain);
        return dump.nft && chain ? nftChainReferences(dump.nft, chain) : 0;
      }
      if (!referenceCounts) referenceCounts = chainReferenceCounts(ruleset);
      return referenceCounts.get(refKey(ref)) ?? 0;
    },
    dump,
    display,
    modes: kubeProxyModes(dump),
    set(ref) {
      return dump.nft ? findNftSet(dump.nft, ref.table, ref.name) : undefined;
    },
    resolveSet(name) {
      const table = dump.nft?.tables.find((t) => t.setsByName.has(name));
      return table ? { table: nftTableLabel(table), name } : null;
    },
    serviceSearcher() {
      return (searchIndexes.services ??= createSearcher(serviceRows.map((r) => serviceSearchFields(r.service))));
    },
    hookSearcher() {
      return (searchIndexes.hooks ??= createSearcher(hookRows.map((h) => ({ names: [h.hook, h.ref.chain], keys: [h.ref.table, ...h.jumps] }))));
    },
    ruleSearcher(ref) {
      const key = refKey(ref);
      let s = searchIndexes.rules.get(key);
      if (!s) {
        s = createSearcher(ruleRows(ref).map((r) => ({ names: [r.rule.target ?? '', r.summary] })));
        searchIndexes.rules.set(key, s);
      }
      return s;
    },
    searchIndexes,
    resolveChain(name, table) {
      const nftLabels = dump.nft ? dump.nft.tables.map(nftTableLabel) : [];
      const tables: readonly TableName[] = table ? [table] : [...TABLE_PREFERENCE, ...nftLabels];
      for (const fam of ['ipv4', 'ipv6'] as const) {
        for (const t of tables) if (findChain(display, t, name, fam)) return { family: fam, table: t, chain: name };
      }
      return null;
    },
    findService(family, id) {
      return byFamilyId().get(`${family} ${id}`);
    },
    resolveService(id) {
      for (const family of ['ipv4', 'ipv6'] as const) if (byFamilyId().has(`${family} ${id}`)) return { family, id };
      return null;
    },
    chainNames() {
      if (!chainNames) {
        const names = new Set<string>();
        for (const t of liveTables(display)) for (const c of t.chains) names.add(c.name);
        chainNames = [...names].sort();
      }
      return chainNames;
    },
    serviceIds() {
      return (serviceIds ??= [...new Set(model.services.map((s) => s.id))].sort());
    },
    frontends() {
      if (!frontends) {
        const set = new Set<string>();
        for (const s of model.services) {
          if (s.clusterIP && s.port !== null) set.add(hostPort(s.clusterIP, s.port));
          for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) if (s.port !== null) set.add(hostPort(ip, s.port));
          if (s.nodePort !== null) for (const node of input.nodeAddresses) if (node.includes(':') === (s.family === 'ipv6')) set.add(hostPort(node, s.nodePort));
        }
        frontends = [...set];
      }
      return frontends;
    },
    counts: { chains: chainCount, rules: ruleCount },
    findings: allFindings,
    problemCounts() {
      const { error, warning } = countBySeverity(countedFindings());
      return { error, warning };
    },
    warnings: [
      ...dumpDiagnostics(dump).map((d) => `line ${d.line}:${d.column}: ${d.message}`),
      ...ruleset.info.notes,
      // Hooks that never reach KUBE-SERVICES: the note suggests --kube-jumps.
      ...missingServiceJumps(ruleset),
    ],
  };
}

function toServiceRow(s: ServicePort): ServiceRow {
  const localKnown = s.endpoints.some((e) => e.local !== null);
  const external = s.externalTrafficPolicy;
  return {
    key: serviceKey(s),
    service: s,
    type: serviceType(s),
    cluster: s.clusterIP ? `${hostPort(s.clusterIP, s.port)}/${s.protocol}` : `-/${s.protocol}`,
    nodePort: s.nodePort,
    endpointsTotal: s.endpoints.length,
    // No endpoints at all: none is local, whatever the policy; else only where the dump tells.
    endpointsLocal: localKnown ? s.endpoints.filter((e) => e.local === true).length : s.endpoints.length === 0 && localPolicy(s) ? 0 : null,
    policy: external ?? (s.internalTrafficPolicy === 'Local' ? 'int:Local' : '-'),
    packets: s.packets,
    bytes: s.bytes,
  };
}

/** A traffic policy Local: the one place the number of local endpoints matters. */
function localPolicy(s: ServicePort): boolean {
  return s.externalTrafficPolicy === 'Local' || s.internalTrafficPolicy === 'Local';
}

function sortServices(rows: readonly ServiceRow[], sort: SnapshotSort, diff: CounterDiff): readonly ServiceRow[] {
  const copy = rows.slice();
  const byId = (a: ServiceRow, b: ServiceRow) => (a.service.id < b.service.id ? -1 : a.service.id > b.service.id ? 1 : 0);
  if (sort === 'id') return copy.sort(byId);
  if (sort === 'packets') return copy.sort((a, b) => (b.packets ?? -1) - (a.packets ?? -1) || byId(a, b));
  if (sort === 'rate') {
    // Highest packets/s first; services without a rate (no previous snapshot, new, reset) last.
    const rate = new Map(rows.map((r) => [r, diff.servicePort(r.service)?.packetRate ?? null]));
    return copy.sort((a, b) => compareRates(rate.get(a), rate.get(b)) || (b.packets ?? -1) - (a.packets ?? -1) || byId(a, b));
  }
  return copy.sort((a, b) => b.endpointsTotal - a.endpointsTotal || byId(a, b));
}

/**
 * The id (fuzzy too: namespace, name and port name are all in it) and short keys (substring
 * only): addresses, ports, chain names.
 */
function serviceSearchFields(s: ServicePort): SearchRow {
  const keys: string[] = [];
  if (s.clusterIP) keys.push(s.clusterIP, hostPort(s.clusterIP, s.port));
  if (s.port !== null) keys.push(String(s.port));
  if (s.nodePort !== null) keys.push(String(s.nodePort));
  keys.push(...s.externalIPs, ...s.loadBalancerIPs);
  for (const chain of Object.values(s.chains)) if (chain) keys.push(chain);
  for (const e of s.endpoints) keys.push(e.address ?? '', e.chain);
  return { names: [s.id], keys };
}

/**
 * The hooks in the kernel's order: by hook, then priority, iptables' tables (at their fixed
 * priorities) and nft base chains (at their own) together, as the kernel runs them.
 */
function buildHookRows(ruleset: Ruleset): HookRow[] {
  const rows: HookRow[] = [];
  const jumpsOf = (chain: Chain, table: TableName, family: Family): string[] => {
    const jumps: string[] = [];
    for (const r of chain.rules) {
      if (r.target && !jumps.includes(r.target) && findChain(ruleset, table, r.target, family)) jumps.push(r.target);
    }
    return jumps;
  };
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const [hook, tables] of HOOK_TABLES) {
      for (const table of tables) {
        const chain = findChain(ruleset, table, hook, family);
        if (!chain) continue;
        const ref = { family, table, chain: hook };
        rows.push({ key: refKey(ref), ref, hook, priority: iptablesPriority(table, hook), chain, jumps: jumpsOf(chain, table, family) });
      }
    }
  }
  for (const t of liveTables(ruleset)) {
    for (const chain of t.chains) {
      if (!chain.nftBase) continue;
      const ref = { family: t.family, table: t.name, chain: chain.name };
      rows.push({ key: refKey(ref), ref, hook: chain.nftBase.hook.toUpperCase(), priority: chain.nftBase.priority, chain, jumps: jumpsOf(chain, t.name, t.family) });
    }
  }
  const hookOrder = (h: string) => {
    const i = HOOK_ORDER.indexOf(h);
    return i < 0 ? HOOK_ORDER.length : i;
  };
  const familyOrder = (f: Family) => (f === 'ipv4' ? 0 : 1);
  // A stable sort: within one hook and priority, the order the dump lists them.
  return rows.sort((a, b) => familyOrder(a.ref.family) - familyOrder(b.ref.family) || hookOrder(a.hook) - hookOrder(b.hook) || a.priority - b.priority);
}

const HOOK_ORDER: readonly string[] = ['INGRESS', 'PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING', 'EGRESS'];

/** The priorities iptables registers its tables at (NF_IP_PRI_*): nat is -100 before routing (DNAT) and 100 after (SNAT). */
function iptablesPriority(table: TableName, hook: string): number {
  switch (table) {
    case 'raw':
      return -300;
    case 'mangle':
      return -150;
    case 'nat':
      return hook === 'PREROUTING' || hook === 'OUTPUT' ? -100 : 100;
    case 'security':
      return 50;
    default:
      return 0;
  }
}

/** The same nft tables, chains and rules (a live refresh that brought new counts or nothing new). */
function sameNft(a: NftRuleset | null, b: NftRuleset | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.tables.length !== b.tables.length) return false;
  return a.tables.every((t, i) => {
    const u = b.tables[i]!;
    return t.family === u.family && t.name === u.name && t.chains.length === u.chains.length && t.chains.every((c, j) => {
      const d = u.chains[j]!;
      // Counter values are not the rules: a refresh that only counted keeps the search indexes.
      return c.name === d.name && c.rules.length === d.rules.length && c.rules.every((r, k) => nftRuleTextWithoutCounts(r) === nftRuleTextWithoutCounts(d.rules[k]!));
    });
  });
}

/** The same service ports in the same order (a carried-over model, or one built from the same rules). */
function sameServices(a: KubeModel, b: KubeModel): boolean {
  if (a.services.length !== b.services.length) return false;
  for (let i = 0; i < a.services.length; i++) {
    const x = a.services[i]!;
    const y = b.services[i]!;
    if (x.id !== y.id || x.family !== y.family || x.protocol !== y.protocol) return false;
  }
  return true;
}

/** Rule `ruleNumber` (from 1) of a chain, without making the chain's other Rule objects. */
export function ruleOf(data: ExplorerData, ref: ChainRef, ruleNumber: number): Rule | null {
  const chain = data.chain(ref);
  return chain && ruleNumber >= 1 && ruleNumber <= chainRows(chain).size ? chainRows(chain).ruleAt(ruleNumber - 1) : null;
}

export function ruleCounters(data: ExplorerData, ref: ChainRef, ruleNumber: number): Counters | null {
  const chain = data.chain(ref);
  return chain && ruleNumber >= 1 && ruleNumber <= chainRows(chain).size ? chainRows(chain).countersAt(ruleNumber - 1) : null;
}

/**
 * The chain view a trace step was taken in: an iptables table, or an nft table by its label
 * ("ip kube-proxy"); null for a step naming neither.
 */
export function stepChainRef(step: PathStep, family: Family): ChainRef | null {
  if (step.nftFamily !== undefined) {
    const table = { family: step.nftFamily as NftFamily, name: step.table };
    return { family: nftViewFamily(table), table: nftTableLabel(table), chain: step.chain };
  }
  return isTableName(step.table) ? { family, table: step.table, chain: step.chain } : null;
}
