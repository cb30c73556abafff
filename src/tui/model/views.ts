/**
 * What each screen lists for a frame (filter and sort applied), memoised per snapshot so the
 * render and the key handlers (which read the newest state) share one computation.
 */
import { connectionFindings, sortFindings, type ConnectionReport, DEFAULT_CLIENT, nftVerdictOf, nftElementText, nftViewFamily, traceDump, type Finding, type NftElement, type TableName } from '../../core/index.js';
import type { ServicePort } from '../../core/kube/index.js';
import { caseCondition, parseAssumption, traceCases, type Outcome, type TraceResult } from '../../core/trace/index.js';
import type { ChainRef, Frame, RuleSort, Screen, ServiceSort, SetRef, TraceRequest } from '../state.js';
import { compareRates } from '../../core/counters/index.js';
import { chainRows, liveTables, type Rule } from '../../core/parse/index.js';
import { refKey, type ExplorerData, type HookRow, type RuleRow, type ServiceRow } from './explorer-data.js';
import { resolveCursor } from '../state/list-window.js';
import { detailHeight, linesFor, ruleDetail, serviceDetailLength, serviceRuleDetail } from './details.js';
import { parseServiceFilter, type TermContext } from './filter-terms.js';
import { serviceConnections, type Connections } from './connections.js';
import { display } from './format.js';
import { createSearcher, type Searcher } from './search.js';
import { buildServiceTree, elementKey, flattenTree, toPacket, type TreeRow } from './service-tree.js';

const caches = new WeakMap<ExplorerData, Map<string, unknown>>();
const MAX_ENTRIES = 64;

function memo<T>(data: ExplorerData, key: string, build: () => T): T {
  let cache = caches.get(data);
  if (!cache) {
    cache = new Map();
    caches.set(data, cache);
  }
  if (cache.has(key)) return cache.get(key) as T;
  const value = build();
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

/**
 * Rows matching `filter`: substring hits in `ordered`'s order (the list's own sort, as k9s
 * keeps it), fuzzy matches (typos) best first.
 */
function filtered<T>(all: readonly T[], ordered: readonly T[], searcher: () => Searcher, filter: string): readonly T[] {
  if (filter.trim() === '') return ordered;
  const result = searcher().search(filter);
  const rows = result.indices.map((i) => all[i]!);
  if (result.fuzzy) return rows;
  const hits = new Set<T>(rows);
  return ordered.filter((r) => hits.has(r));
}

/**
 * `connections`: the live connections on screen, which the `conns` sort orders by (without them
 * it is the id order). Rows sorted by connections are kept per Connections, which each conntrack
 * refresh replaces, so they follow the table on screen.
 */
export function servicesView(data: ExplorerData, filter: string, sort: ServiceSort, connections: Connections | null = null): readonly ServiceRow[] {
  // The order by connections, and the `problems` term (skewed-connections), depend on the table on screen too.
  if (connections !== null && (sort === 'conns' || PROBLEMS_TERM.test(filter))) {
    return memoBy(connectionCaches, connections, data, `svc\0${sort}\0${filter}`, () =>
      servicesRows(data, filter, sort === 'conns' ? byConnections(data, connections) : data.sortedServices(sort), connections),
    );
  }
  return memo(data, `svc\0${sort}\0${filter}`, () => servicesRows(data, filter, data.sortedServices(sort === 'conns' ? 'id' : sort), null));
}

const PROBLEMS_TERM = /(^|\s)problems(\s|$)/i;

/** Most connections first, then by id; the order of `data.serviceRows` breaks no ties (ids are unique per family). */
function byConnections(data: ExplorerData, connections: Connections): readonly ServiceRow[] {
  return memoBy(connectionCaches, connections, data, 'svc-conns', () => {
    const count = new Map(data.serviceRows.map((r) => [r, serviceConnections(connections, r.service) ?? -1]));
    return data.sortedServices('id').slice().sort((a, b) => count.get(b)! - count.get(a)!);
  });
}

const connectionCaches = new WeakMap<Connections, WeakMap<ExplorerData, Map<string, unknown>>>();

/** memo() for what depends on `owner` besides the snapshot's data. */
function memoBy<O extends object, T>(caches: WeakMap<O, WeakMap<ExplorerData, Map<string, unknown>>>, owner: O, data: ExplorerData, key: string, build: () => T): T {
  let perData = caches.get(owner);
  if (!perData) caches.set(owner, (perData = new WeakMap()));
  let cache = perData.get(data);
  if (!cache) perData.set(data, (cache = new Map()));
  if (cache.has(key)) return cache.get(key) as T;
  const value = build();
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

/** The rows of `ordered` that `filter`'s words and terms keep. */
function servicesRows(data: ExplorerData, filter: string, ordered: readonly ServiceRow[], connections: Connections | null): readonly ServiceRow[] {
  const parsed = parseServiceFilter(filter);
  if (parsed.error !== null) return [];
  const byText = filtered(data.serviceRows, ordered, () => data.serviceSearcher(), parsed.text);
  if (parsed.terms.length === 0) return byText;
  const context: TermContext = { problemServices: () => problemServices(data, connections) };
  return byText.filter((r) => parsed.terms.every((t) => t(r, context)));
}

/**
 * The services doctor has a finding about, by serviceKey (a finding without a family names both);
 * with a conntrack table on screen, its skewed-connections findings too.
 */
export function problemServices(data: ExplorerData, connections: Connections | null = null): ReadonlySet<string> {
  const report = connections?.report ?? null;
  const build = () => {
    const keys = new Set<string>();
    for (const f of allFindings(data, connections)) {
      if (f.service === null) continue;
      for (const family of f.family ? [f.family] : (['ipv4', 'ipv6'] as const)) keys.add(`${family} ${f.service}`);
    }
    return keys;
  };
  return report === null ? memo(data, 'problem-services', build) : memoBy(reportCaches, report, data, 'problem-services', build);
}

export function hooksView(data: ExplorerData, filter: string): readonly HookRow[] {
  return memo(data, `hooks\0${filter}`, () => filtered(data.hookRows, data.hookRows, () => data.hookSearcher(), filter));
}

/** A finding on the Problems screen; its key is what it says and where, so it stays selected across snapshots. */
export interface ProblemRow {
  readonly key: string;
  readonly finding: Finding;
}

/** doctor's findings in the snapshot, and with a conntrack table on screen its skewed-connections too, most severe first. */
export function allFindings(data: ExplorerData, connections: Connections | null = null): readonly Finding[] {
  const report = connections?.report ?? null;
  if (report === null) return data.findings();
  return memoBy(reportCaches, report, data, 'findings', () => sortFindings([...data.findings(), ...connectionFindings(report)]));
}

const reportCaches = new WeakMap<ConnectionReport, WeakMap<ExplorerData, Map<string, unknown>>>();

/** The findings whose kind, service, place or message hold every word of `filter`. */
export function problemsView(data: ExplorerData, filter: string, connections: Connections | null = null): readonly ProblemRow[] {
  const report = connections?.report ?? null;
  const build = () => {
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    const rows: ProblemRow[] = [];
    for (const f of allFindings(data, connections)) {
      const place = `${f.family ?? ''} ${f.table ?? ''} ${f.chain ?? ''} ${f.rule ?? ''}`;
      const text = `${f.severity} ${f.kind} ${f.service ?? ''} ${place} ${f.message}`;
      const lower = text.toLowerCase();
      if (words.every((w) => lower.includes(w))) rows.push({ key: `${f.kind}\0${f.service ?? ''}\0${place}\0${f.message}`, finding: f });
    }
    return rows;
  };
  return report === null ? memo(data, `problems\0${filter}`, build) : memoBy(reportCaches, report, data, `problems\0${filter}`, build);
}

/** An element of an nftables set or map, as the set screen lists it. */
export interface ElementRow {
  readonly key: string;
  readonly element: NftElement;
  /** As nft prints it: `10.96.0.10 . tcp . 53 : goto service-…`. */
  readonly text: string;
  /** The chain the element's verdict jumps or goes to (Enter opens it). */
  readonly into: ChainRef | null;
}

/** A set's or map's elements that hold every word of `filter`, in the dump's order. */
export function setView(data: ExplorerData, ref: SetRef, filter: string): readonly ElementRow[] {
  return memo(data, `set\0${ref.table}\0${ref.name}\0${filter}`, () => {
    const set = data.set(ref);
    if (!set) return [];
    const family = nftViewFamily(set);
    const all = memo(data, `set\0${ref.table}\0${ref.name}`, () =>
      set.elements.map((element) => {
        const target = element.data === null ? null : (nftVerdictOf(element.data)?.target ?? null);
        const into = target === null ? null : { family, table: ref.table as TableName, chain: target };
        return { key: elementKey(element), element, text: nftElementText(element), into };
      }),
    );
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) return all;
    return all.filter((r) => words.every((w) => r.text.toLowerCase().includes(w)));
  });
}

export function chainView(data: ExplorerData, ref: ChainRef, filter: string, sort: RuleSort = 'order'): readonly RuleRow[] {
  return memo(data, `chain\0${refKey(ref)}\0${filter}\0${sort}`, () => {
    const rows = data.ruleRows(ref);
    const kept = filtered(rows, rows, () => data.ruleSearcher(ref), filter);
    if (sort === 'order') return kept;
    // Busiest first: by packets/s (then packets), or by packets; the kernel's order breaks ties.
    const packets = (r: RuleRow) => r.rule.counters?.packets ?? -1;
    const byPackets = (a: RuleRow, b: RuleRow) => packets(b) - packets(a) || a.rule.index - b.rule.index;
    if (sort === 'packets') return kept.slice().sort(byPackets);
    const rate = new Map(kept.map((r) => [r, data.diff.rule(r.rule)?.packetRate ?? null]));
    return kept.slice().sort((a, b) => compareRates(rate.get(a), rate.get(b)) || byPackets(a, b));
  });
}

/** A rule of the `:top` list: where it is, its counts, and its rate since the last snapshot. */
export interface TopRow {
  readonly key: string;
  readonly ref: ChainRef;
  readonly rule: Rule;
  readonly packets: number;
  readonly bytes: number;
  readonly rate: number | null;
}

/** `:top`: every rule that counted, across all chains, busiest first (packets/s, then packets), like htop. */
export function topView(data: ExplorerData, filter: string): readonly TopRow[] {
  const all = memo(data, 'top', () => {
    const rows: TopRow[] = [];
    for (const t of liveTables(data.display)) {
      for (const chain of t.chains) {
        const cr = chainRows(chain);
        for (let i = 0; i < cr.size; i++) {
          const c = cr.countersAt(i);
          if (c === null || c.packets === 0) continue;
          const rule = cr.ruleAt(i);
          const ref = { family: t.family, table: t.name, chain: chain.name };
          rows.push({ key: `${refKey(ref)}\0${i}\0${rule.text}`, ref, rule, packets: c.packets, bytes: c.bytes, rate: data.diff.rule(rule)?.packetRate ?? null });
        }
      }
    }
    return rows.sort((a, b) => compareRates(a.rate, b.rate) || b.packets - a.packets || (a.key < b.key ? -1 : 1));
  });
  if (filter.trim() === '') return all;
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  return memo(data, `top\0${filter}`, () => all.filter((r) => words.every((w) => `${r.ref.table} ${r.ref.chain} ${r.rule.text}`.toLowerCase().includes(w))));
}

/** Every row of the service screen, every tree open. */
export function serviceTreeRows(data: ExplorerData, service: ServicePort): readonly TreeRow[] {
  const id = `${service.family} ${service.id}`;
  return memo(data, `tree\0${id}\0all`, () => flattenTree(memo(data, `tree\0${id}`, () => buildServiceTree(data, service)), new Set(), true));
}

/** The service screen's rows: the endpoint table and the entry points, the `expanded` ones (keys) with their trees. */
export function serviceTreeView(data: ExplorerData, service: ServicePort, filter: string, expanded: readonly string[] = []): readonly TreeRow[] {
  const id = `${service.family} ${service.id}`;
  const tree = memo(data, `tree\0${id}`, () => buildServiceTree(data, service));
  if (filter.trim() === '') return memo(data, `tree\0${id}\0open:${expanded.join('\0')}`, () => flattenTree(tree, new Set(expanded), false));
  // A filter searches every row, the trees of closed entry points too.
  const all = serviceTreeRows(data, service);
  const searcher = () => memo(data, `tree-search\0${id}`, () => createSearcher(all.map((r) => ({ names: [r.text] }))));
  return memo(data, `tree\0${id}\0${filter}`, () => filtered(all, all, searcher, filter));
}

/**
 * Builds the search index of the list `screen` shows, so the first character typed into its
 * filter does not wait for it (at 10k services the index takes ~100 ms, a keystroke ~2 ms).
 */
export function warmSearch(data: ExplorerData, screen: Screen): void {
  switch (screen.kind) {
    case 'services':
      data.serviceSearcher();
      return;
    case 'hooks':
      data.hookSearcher();
      return;
    case 'chain':
      data.ruleSearcher(screen.ref);
      return;
    default:
      return; // small lists: their index is built on the first character
  }
}

export interface TraceView {
  readonly result: TraceResult | null;
  readonly localAddresses: readonly string[];
}

export function traceView(data: ExplorerData, request: TraceRequest | null): TraceView {
  if (!request) return { result: null, localAddresses: data.nodeAddresses };
  const family = request.dst.includes(':') ? 'ipv6' : 'ipv4';
  // The node's addresses as known, and no stand-in: the packet is the user's own, as `trace` takes it.
  const localAddresses = data.nodeAddresses;
  const assume = (request.assume ?? []).flatMap((text) => {
    const a = parseAssumption(text);
    return 'error' in a ? [] : [a]; // validated by the form already
  });
  const key = `trace\0${request.src}\0${request.dst}\0${request.dport}\0${request.proto}\0${assume.map((a) => a.text).join('\0')}`;
  const result = memo(data, key, () => traceDump(data.dump, toPacket(request, family), { localAddresses }, { assume }));
  return { result, localAddresses };
}

/** A row of the trace screen's outcome list: an outcome, or the "if …" heading of a case. */
export interface TraceRow {
  readonly outcome: Outcome | null;
  /** "if set --match-set X src is true:" on a case heading, null on an outcome. */
  readonly heading: string | null;
  /** The outcome's number in the trace (from 1), as `trace` numbers it; 0 on a heading. */
  readonly number: number;
}

/**
 * The outcomes `filter` keeps, grouped by case under "if …" headings when the dump leaves some
 * match undecided (chances sum to 1 within a case, never across cases).
 */
export function traceRows(view: TraceView, filter: string): readonly TraceRow[] {
  const all = view.result?.outcomes ?? [];
  const shown = outcomesView(view, filter);
  return memoRows(shown, () => {
    const kept = new Set(shown);
    const cases = traceCases(all);
    const rows: TraceRow[] = [];
    for (const c of cases) {
      const outcomes = c.outcomes.filter((o) => kept.has(o));
      if (outcomes.length === 0) continue;
      if (cases.length > 1) rows.push({ outcome: null, heading: `${caseCondition(c)}:`, number: 0 });
      for (const o of outcomes) rows.push({ outcome: o, heading: null, number: all.indexOf(o) + 1 });
    }
    return rows;
  });
}

const rowCache = new WeakMap<readonly Outcome[], readonly TraceRow[]>();

function memoRows(shown: readonly Outcome[], build: () => readonly TraceRow[]): readonly TraceRow[] {
  let rows = rowCache.get(shown);
  if (!rows) {
    rows = build();
    rowCache.set(shown, rows);
  }
  return rows;
}

const outcomeSearchers = new WeakMap<readonly Outcome[], Searcher>();

export function outcomesView(view: TraceView, filter: string): readonly Outcome[] {
  const outcomes = view.result?.outcomes ?? [];
  if (filter.trim() === '') return outcomes;
  const fields = (o: Outcome) => ({ names: [o.verdict, o.reason ?? ''], keys: [o.dnat ?? '', o.endpointChain ?? '', ...o.path.map((s) => s.chain)] });
  const searcher = () => {
    let s = outcomeSearchers.get(outcomes);
    if (!s) {
      s = createSearcher(outcomes.map(fields));
      outcomeSearchers.set(outcomes, s);
    }
    return s;
  };
  return filtered(outcomes, outcomes, searcher, filter);
}

/**
 * For each frame of the stack, the key of the row its selection shows in `data` (null for
 * screens whose rows have no lasting identity, or an empty list): what a new snapshot's lists
 * look the selection up by.
 */
export function selectionKeys(data: ExplorerData, stack: readonly Frame[]): (string | null)[] {
  return stack.map((f) => {
    const keyAt = <T extends { readonly key: string }>(rows: readonly T[]) =>
      rows.length === 0 ? null : rows[resolveCursor(f.main, rows.length, (i) => rows[i]!.key)]!.key;
    const s = f.screen;
    switch (s.kind) {
      case 'services':
        return keyAt(servicesView(data, f.filter, f.sort));
      case 'hooks':
        return keyAt(hooksView(data, f.filter));
      case 'problems':
        return keyAt(problemsView(data, f.filter));
      case 'chain':
        return keyAt(chainView(data, s.ref, f.filter, f.ruleSort));
      case 'set':
        return keyAt(setView(data, s.ref, f.filter));
      case 'top':
        return keyAt(topView(data, f.filter));
      case 'service': {
        const service = data.findService(s.family, s.id);
        return service ? keyAt(serviceTreeView(data, service, f.filter, f.expanded)) : null;
      }
      case 'trace':
      case 'diff':
      case 'help':
        return null;
    }
  });
}

/** The widest id and CLUSTER-IP:PORT/PROTO among the services: what their columns are laid out from. */
export function serviceContent(data: ExplorerData): { readonly id: number; readonly cluster: number } {
  // Ids and addresses follow from the rules: a refresh with new counts takes them over (SearchIndexes).
  return (data.searchIndexes.serviceContent ??= (() => {
    let id = 0;
    let cluster = 0;
    for (const r of data.serviceRows) {
      id = Math.max(id, display(r.service.id).length);
      cluster = Math.max(cluster, display(r.cluster).length);
    }
    return { id, cluster };
  })());
}

/** Detail lines the services list needs at `width` (its longest row's, at most `max`). */
export function servicesDetailHeight(data: ExplorerData, width: number, max: number): number {
  return memo(data, `svc-detail\0${width}\0${max}`, () => linesFor(longestServiceDetail(data), width, max));
}

/**
 * The longest service detail line (serviceDetail, as displayed). Its part before the packet count
 * follows from the rules, so each row's length of it is kept for the next snapshot with the same
 * rules (SearchIndexes); a refresh then measures only the counts.
 */
function longestServiceDetail(data: ExplorerData): number {
  return memo(data, 'svc-detail-longest', () => {
    const rows = data.serviceRows;
    const ruleLengths = (data.searchIndexes.serviceDetailLengths ??= Int32Array.from(rows, (r) => display(serviceRuleDetail(r)).length));
    let longest = 0;
    for (let i = 0; i < rows.length; i++) longest = Math.max(longest, serviceDetailLength(rows[i]!, ruleLengths[i]!));
    return longest;
  });
}

/** Detail lines a chain's list needs at `width`, as written or readable. */
export function chainDetailHeight(data: ExplorerData, ref: ChainRef, raw: boolean, width: number, max: number): number {
  return memo(data, `chain-detail\0${refKey(ref)}\0${raw}\0${width}\0${max}`, () => detailHeight(data.ruleRows(ref).map((r) => ruleDetail(r, raw)), width, max));
}

/** A source the trace form offers: from a pod, from the node, from outside. */
export interface TracePreset {
  readonly label: string;
  readonly src: string;
}

/**
 * Where a packet to `dst` may come from: a pod (an endpoint of the service that answers on `dst`,
 * else of any service), the node (its address as known, else loopback, which is always the
 * node's), a client outside the cluster. Only addresses of `dst`'s family.
 */
export function tracePresets(data: ExplorerData, dst: string): readonly TracePreset[] {
  const family = dst.includes(':') && !/^[\d.]+:\d+$/.test(dst) ? 'ipv6' : 'ipv4';
  const host = (a: string) => (a.startsWith('[') ? a.slice(1, a.indexOf(']')) : a.replace(/:\d+$/, ''));
  const sameFamily = (a: string) => (a.includes(':') ? 'ipv6' : 'ipv4') === family;
  const presets: TracePreset[] = [];
  const target = data.model.services.find((s) => s.clusterIP !== null && s.port !== null && dst === (family === 'ipv6' ? `[${s.clusterIP}]:${s.port}` : `${s.clusterIP}:${s.port}`));
  const services = target ? [target, ...data.model.services] : data.model.services;
  for (const s of services) {
    const e = s.endpoints.find((x) => x.address !== null && sameFamily(host(x.address)));
    if (e) {
      presets.push({ label: `from a pod: ${host(e.address!)} (an endpoint of ${s.id})`, src: host(e.address!) });
      break;
    }
  }
  const node = data.nodeAddresses.find(sameFamily);
  presets.push(node ? { label: `from the node: ${node}`, src: node } : { label: `from the node: ${family === 'ipv6' ? '::1' : '127.0.0.1'} (no node address known: --node-ip)`, src: family === 'ipv6' ? '::1' : '127.0.0.1' });
  presets.push({ label: `from outside: ${DEFAULT_CLIENT[family]} (a client off the node)`, src: DEFAULT_CLIENT[family] });
  return presets;
}
