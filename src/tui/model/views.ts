/**
 * What each screen lists for a frame (filter and sort applied), memoised per snapshot so the
 * render and the key handlers (which read the newest state) share one computation.
 */
import { nftVerdictOf, nftElementText, nftViewFamily, probeNode, traceDump, type Finding, type NftElement, type TableName } from '../../core/index.js';
import type { ServicePort } from '../../core/kube/index.js';
import { caseCondition, parseAssumption, traceCases, type Outcome, type TraceResult } from '../../core/trace/index.js';
import type { ChainRef, Frame, Screen, ServiceSort, SetRef, TraceRequest } from '../state.js';
import { refKey, type ExplorerData, type HookRow, type RuleRow, type ServiceRow } from './explorer-data.js';
import { resolveCursor } from '../state/list-window.js';
import { createSearcher, type Searcher } from './search.js';
import { buildServiceTree, elementKey, toPacket, type TreeRow } from './service-tree.js';

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

export function servicesView(data: ExplorerData, filter: string, sort: ServiceSort): readonly ServiceRow[] {
  return memo(data, `svc\0${sort}\0${filter}`, () =>
    filtered(data.serviceRows, data.sortedServices(sort), () => data.serviceSearcher(), filter),
  );
}

export function hooksView(data: ExplorerData, filter: string): readonly HookRow[] {
  return memo(data, `hooks\0${filter}`, () => filtered(data.hookRows, data.hookRows, () => data.hookSearcher(), filter));
}

/** A finding on the Problems screen; its key is what it says and where, so it stays selected across snapshots. */
export interface ProblemRow {
  readonly key: string;
  readonly finding: Finding;
}

/** The findings whose kind, service, place or message hold every word of `filter`. */
export function problemsView(data: ExplorerData, filter: string): readonly ProblemRow[] {
  return memo(data, `problems\0${filter}`, () => {
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    const rows: ProblemRow[] = [];
    for (const f of data.findings()) {
      const place = `${f.family ?? ''} ${f.table ?? ''} ${f.chain ?? ''} ${f.rule ?? ''}`;
      const text = `${f.severity} ${f.kind} ${f.service ?? ''} ${place} ${f.message}`;
      const lower = text.toLowerCase();
      if (words.every((w) => lower.includes(w))) rows.push({ key: `${f.kind}\0${f.service ?? ''}\0${place}\0${f.message}`, finding: f });
    }
    return rows;
  });
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

export function chainView(data: ExplorerData, ref: ChainRef, filter: string): readonly RuleRow[] {
  return memo(data, `chain\0${refKey(ref)}\0${filter}`, () => {
    const rows = data.ruleRows(ref);
    return filtered(rows, rows, () => data.ruleSearcher(ref), filter);
  });
}

export function serviceTreeView(data: ExplorerData, service: ServicePort, filter: string): readonly TreeRow[] {
  const all = memo(data, `tree\0${service.family} ${service.id}`, () => buildServiceTree(data, service));
  if (filter.trim() === '') return all;
  const id = `${service.family} ${service.id}`;
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
  const localAddresses = probeNode(data.nodeAddresses, family).node.localAddresses;
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
        return keyAt(chainView(data, s.ref, f.filter));
      case 'set':
        return keyAt(setView(data, s.ref, f.filter));
      case 'service': {
        const service = data.findService(s.family, s.id);
        return service ? keyAt(serviceTreeView(data, service, f.filter)) : null;
      }
      case 'trace':
      case 'help':
        return null;
    }
  });
}
