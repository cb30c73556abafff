/**
 * The service detail tree: for each way into a service (cluster IP, node port, external and
 * load-balancer IPs) the tracer's outcomes for a new connection from a client off the node,
 * merged into one tree of path steps. Built from tracePacket, so the tree and `trace` agree.
 *
 * A path runs through every hook; the tree shows the nat stage that picks the endpoint (all of
 * it) and after that only the steps that decide something (accept, drop, reject, masquerade),
 * the rest is one click away in the trace screen.
 */
import { defaultSource, hostPort, nftTableLabel, planEntryProbes, setsNamedBy, traceDump } from '../../core/index.js';
import type { AffinityClient, Endpoint, EntryKind, EntryPoint, ServicePort } from '../../core/kube/index.js';
import type { Counters, Family, Rule } from '../../core/parse/index.js';
import { caseCondition, pathTree, stepKey, traceCases, type PathNode, type Outcome, type PathStep, type TraceProtocol } from '../../core/trace/index.js';
import type { ChainRef, SetRef, TraceRequest } from '../state.js';
import { ruleCounters, ruleOf, stepChainRef, type ExplorerData } from './explorer-data.js';

const DECISIVE = new Set(['ACCEPT', 'DROP', 'REJECT', 'MASQUERADE', 'SNAT', 'KUBE-MARK-DROP']);

export interface TreeRow {
  readonly key: string;
  readonly depth: number;
  /** endpoint: a row of the endpoint table at the top; entry: an entry point, its tree collapsed until opened. */
  readonly kind: 'endpoint' | 'entry' | 'step' | 'outcome' | 'note';
  readonly text: string;
  /** Chance a new connection through this entry point passes here; null on entry rows. */
  readonly probability: number | null;
  readonly counters: Counters | null;
  /** The rule behind the row (entry and step rows), for its live delta and rate; null elsewhere. */
  readonly rule: Rule | null;
  /** A built-in chain's policy step: the chain whose own counters these are. */
  readonly policyOf: ChainRef | null;
  /** Enter opens this chain with this rule (1-based) selected. */
  readonly open: { readonly ref: ChainRef; readonly rule: number | null } | null;
  /** nftables: a step that looked a packet up in a map; Enter opens the map at the element that matched (as the trace printed it). */
  readonly openSet?: { readonly ref: SetRef; readonly element: string } | null;
  /** Trace request behind this entry point (for `t` on an entry row). */
  readonly request: TraceRequest | null;
  /**
   * Why the PKTS column does not show the rule's count: `others`, the rule is not this service's
   * (PREROUTING, KUBE-MARK-MASQ, KUBE-FORWARD count every service's packets); `shared`, more than
   * one of its entry points passes the rule (the count is theirs together, not this entry's);
   * `repeat`, the rule was shown above in this entry's tree. The detail pane still gives the count.
   */
  readonly countersNote?: 'shared' | 'others' | 'repeat' | null;
  /** Endpoint rows: the endpoint, and its share of the service's DNAT packets (null without counters). */
  readonly endpoint?: Endpoint;
  readonly share?: number | null;
  /** nftables session affinity: the clients pinned to this endpoint, as its affinity set shows them. */
  readonly pinned?: readonly AffinityClient[];
  /** Entry rows: how many rows its tree holds (shown when opened). */
  readonly size?: number;
}

/** One entry point and its tree. */
export interface EntryTree {
  readonly entry: TreeRow;
  readonly children: readonly TreeRow[];
}

/** The service screen's rows: the endpoint table, then each entry point with its tree. */
export interface ServiceTree {
  readonly endpoints: readonly TreeRow[];
  readonly entries: readonly EntryTree[];
  /** Notes about the service as a whole (no entry points). */
  readonly notes: readonly TreeRow[];
}

export interface EntryTrace {
  readonly entry: EntryPoint;
  readonly request: TraceRequest;
  readonly outcomes: readonly Outcome[];
  readonly localAddresses: readonly string[];
  readonly error: string | null;
}

const ENTRY_LABEL: Record<EntryKind, string> = {
  clusterIP: 'cluster IP',
  nodePort: 'node port',
  externalIP: 'external IP',
  loadBalancer: 'load balancer IP',
};

/** The entry probes `which` traces (core/entry-probes.ts), one per entry rule that has one. */
export function traceEntries(data: ExplorerData, service: ServicePort): EntryTrace[] {
  const traces: EntryTrace[] = [];
  for (const probe of planEntryProbes(service, { nodeAddresses: data.nodeAddresses, client: null }).probes) {
    if (probe.entry === null) continue;
    const { packet, node } = probe;
    const request: TraceRequest = { src: packet.src, dst: packet.dst, dport: packet.dport, proto: probe.protocol };
    const result = traceDump(data.dump, packet, node);
    traces.push({ entry: probe.entry, request, outcomes: result.outcomes, localAddresses: node.localAddresses, error: result.error ?? null });
  }
  return traces;
}

export function toPacket(r: TraceRequest, family: Family = r.dst.includes(':') ? 'ipv6' : 'ipv4') {
  const protocol: TraceProtocol = r.proto;
  return { protocol, src: r.src || defaultSource(r.dst, family), dst: r.dst, dport: r.dport };
}

export function buildServiceTree(data: ExplorerData, service: ServicePort): ServiceTree {
  const family = service.family;
  const entries: { entry: TreeRow; children: TreeRow[] }[] = [];
  for (const t of traceEntries(data, service)) {
    const { entry, request } = t;
    const isNat = natStage(data, family);
    if (!entry.rule) {
      // nftables mode: the entry is an element of a map (service-ips, service-nodeports).
      const key = `${entry.kind}:${request.dst}:${request.dport}`;
      const rows: TreeRow[] = [];
      const set = entry.element?.set;
      const head: TreeRow = {
        key,
        depth: 0,
        kind: 'entry',
        text: `${ENTRY_LABEL[entry.kind]} ${hostPort(request.dst, request.dport)}/${entry.protocol}  from ${request.src}${set ? `  (@${set.name})` : ''}`,
        probability: null,
        counters: null,
        rule: null,
        policyOf: null,
        open: null,
        request,
      };
      entries.push({ entry: head, children: rows });
      if (t.error) rows.push(note(`${key}:error`, `cannot trace: ${t.error}`));
      else emitCases(data, family, t.outcomes, key, rows, request, isNat);
      continue;
    }
    const entryRule = entry.rule;
    const entryRef: ChainRef = { family, table: entryRule.table, chain: entryRule.chain };
    const key = `${entry.kind}:${request.dst}:${request.dport}`;
    const rows: TreeRow[] = [];
    const head: TreeRow = {
      key,
      depth: 0,
      kind: 'entry',
      text: `${ENTRY_LABEL[entry.kind]} ${hostPort(request.dst, request.dport)}/${entry.protocol}  from ${request.src}`,
      probability: null,
      counters: entryRule.counters,
      rule: entryRule,
      policyOf: null,
      open: { ref: entryRef, rule: entryRule.index },
      request,
    };
    entries.push({ entry: head, children: rows });
    if (t.error) {
      rows.push(note(`${key}:error`, `cannot trace: ${t.error}`));
      continue;
    }
    const reached = t.outcomes.some((o) =>
      o.path.some((st) => st.table === entryRule.table && st.chain === entryRule.chain && st.rule === entryRule.index),
    );
    if (!reached) {
      // kube-proxy's own test dumps (restore form) lack the built-in chains' jumps, for one.
      rows.push(note(`${key}:unreached`, `the hooks never reach ${entryRule.chain} #${entryRule.index} in this dump (no jump leads there)`));
    }
    emitCases(data, family, t.outcomes, key, rows, request, isNat);
  }
  const notes = entries.length === 0 ? [note('none', 'no entry points: kube-proxy wrote no rule that leads into this service')] : [];
  const own = new Set<string>([...Object.values(service.chains).filter((c): c is string => typeof c === 'string'), ...service.endpoints.map((e) => e.chain)]);
  return {
    endpoints: endpointRows(service),
    entries: entries.map((e) => ({ entry: { ...e.entry, size: e.children.length }, children: markCounters(e.children, entries, own, ruleId(e.entry)) })),
    notes,
  };
}

/** The endpoint table: one row per endpoint, opening its KUBE-SEP at the DNAT rule. */
function endpointRows(service: ServicePort): TreeRow[] {
  const total = service.endpoints.reduce((n, e) => n + (e.packets ?? 0), 0);
  const counted = service.endpoints.some((e) => e.packets !== null);
  return service.endpoints.map((e) => ({
    key: `ep:${e.chain}`,
    depth: 0,
    kind: 'endpoint',
    text: e.address ?? '(no DNAT rule)',
    probability: e.probability,
    counters: e.packets === null ? null : { packets: e.packets, bytes: e.bytes ?? 0 },
    rule: e.dnatRule,
    policyOf: null,
    open: e.nftDnatRule
      ? { ref: { family: service.family, table: nftTableLabel({ family: e.nftDnatRule.family, name: e.nftDnatRule.table }), chain: e.chain }, rule: e.nftDnatRule.index }
      : { ref: { family: service.family, table: 'nat', chain: e.chain }, rule: e.dnatRule?.index ?? null },
    request: null,
    endpoint: e,
    share: counted && total > 0 ? (e.packets ?? 0) / total : null,
    pinned: (service.affinityClients ?? []).filter((c) => c.endpoint === e.address),
  }));
}

/** The rule behind a row, as one string. */
function ruleId(r: TreeRow): string | null {
  if (r.rule === null || r.open === null) return null;
  return `${r.open.ref.family} ${r.open.ref.table} ${r.open.ref.chain} ${r.rule.index}`;
}

/**
 * A rule's count belongs on one row: not on a rule more than one entry point passes (the cluster
 * IP's tree would show node-port packets), and in one entry's tree only where the rule is first shown.
 */
function markCounters(rows: readonly TreeRow[], entries: readonly { readonly children: readonly TreeRow[] }[], own: ReadonlySet<string>, entryRule: string | null): TreeRow[] {
  const entriesOf = new Map<string, number>();
  for (const e of entries) {
    for (const id of new Set(e.children.map(ruleId).filter((x): x is string => x !== null))) entriesOf.set(id, (entriesOf.get(id) ?? 0) + 1);
  }
  const seen = new Set<string>();
  return rows.map((r) => {
    const id = ruleId(r);
    if (id === null || r.counters === null) return r;
    // Only the entry rule itself and the rules of the service's own chains count this service alone.
    if (id !== entryRule && !own.has(r.open!.ref.chain)) return { ...r, countersNote: 'others' };
    if ((entriesOf.get(id) ?? 0) > 1) return { ...r, countersNote: 'shared' };
    if (seen.has(id)) return { ...r, countersNote: 'repeat' };
    seen.add(id);
    return r;
  });
}

/**
 * The rows shown: the endpoint table, then each entry point, its tree only when it is open
 * (`open` holds entry keys) or a filter is searching the rows.
 */
export function flattenTree(tree: ServiceTree, open: ReadonlySet<string>, all: boolean): TreeRow[] {
  const rows: TreeRow[] = tree.endpoints.length > 0 ? [...tree.endpoints] : [note('no-endpoints', 'no endpoints in this dump')];
  if (tree.entries.length > 0) rows.push({ ...note('entries', 'entry points · Enter opens a tree, o all of them, t traces'), depth: 0 });
  for (const e of tree.entries) {
    rows.push(e.entry);
    if (all || open.has(e.entry.key)) rows.push(...e.children);
  }
  rows.push(...tree.notes);
  return rows;
}

function emitCases(data: ExplorerData, family: Family, outcomes: readonly Outcome[], key: string, rows: TreeRow[], request: TraceRequest, isNat: NatStage): void {
  const visible = (path: readonly PathStep[]) => visibleSteps(path, isNat);
  const cases = traceCases(outcomes);
  if (cases.length === 1) {
    emit(data, family, pathTree(outcomes, visible), key, 1, rows, request);
    return;
  }
  // Matches the dump cannot decide: one tree per case, each summing to 100%, never one tree across them.
  for (const c of cases) {
    const caseKey = `${key}|case:${c.assumes.join(';')}`;
    rows.push(note(caseKey, `${caseCondition(c)}:`));
    emit(data, family, pathTree(c.outcomes, visible), caseKey, 2, rows, request);
  }
}

/** How an element is known on the set screen: its key as the parser keeps it. */
export function elementKey(element: { readonly key: unknown }): string {
  return JSON.stringify(element.key);
}

/**
 * Where a path's steps sit: 'nat' for the chain that starts the DNAT stage (iptables' nat
 * table; nftables' base chain of type nat), 'base' for another hook's chain, 'inner' for a chain
 * reached by a jump. The nat stage runs from its first step to the next hook.
 */
type NatStage = (step: PathStep) => 'nat' | 'base' | 'inner';

function natStage(data: ExplorerData, family: Family): NatStage {
  return (step) => {
    if (step.nftFamily === undefined) return step.table === 'nat' ? 'nat' : 'base';
    const ref = stepChainRef(step, family);
    const base = ref ? data.chain(ref)?.nftBase : null;
    if (!base) return 'inner';
    return base.type === 'nat' ? 'nat' : 'base';
  };
}

function note(key: string, text: string): TreeRow {
  return { key, depth: 1, kind: 'note', text, probability: null, counters: null, rule: null, policyOf: null, open: null, request: null };
}

/** All of the first nat stage (where the endpoint is picked); elsewhere only what decides. */
export function visibleSteps(path: readonly PathStep[], stage: NatStage = (s) => (s.table === 'nat' ? 'nat' : 'base')): PathStep[] {
  const firstNat = path.findIndex((s) => stage(s) === 'nat');
  let endNat = firstNat;
  if (firstNat >= 0) {
    const natChain = path[firstNat]!.chain;
    // iptables: every nat step; nftables: the nat base chain and the chains it reaches.
    while (endNat < path.length && (stage(path[endNat]!) === 'inner' || (stage(path[endNat]!) === 'nat' && (path[endNat]!.nftFamily === undefined || path[endNat]!.chain === natChain)))) endNat++;
  }
  return path.filter((s, i) => {
    if (s.rule === null) return s.target !== 'policy ACCEPT' && !(i >= firstNat && i < endNat);
    if (i >= firstNat && i < endNat) return true;
    return DECISIVE.has(s.target);
  });
}

/** Indent only where the paths split, so a 10-endpoint service stays 2 levels deep. */
function emit(data: ExplorerData, family: Family, node: PathNode, prefix: string, depth: number, rows: TreeRow[], request: TraceRequest): void {
  const branches = node.children.length + node.outcomes.length;
  const childDepth = branches > 1 ? depth + 1 : depth;
  node.outcomes.forEach((o, i) => rows.push(outcomeRow(data, o, `${prefix}|=${i}`, childDepth, family)));
  node.children.forEach((c) => {
    const step = c.step!;
    const key = `${prefix}|${stepKey(step)}`;
    const ref = stepChainRef(step, family);
    if (!ref) return;
    const rule = step.rule === null ? null : ruleOf(data, ref, step.rule);
    const setName = step.element && rule?.nft ? setsNamedBy(rule.nft).find((n) => data.set({ table: ref.table, name: n })?.kind === 'map') : undefined;
    rows.push({
      key,
      depth: childDepth,
      kind: 'step',
      text: stepText(step),
      probability: c.probability,
      counters: step.rule === null ? data.chain(ref)?.counters ?? null : ruleCounters(data, ref, step.rule),
      rule,
      policyOf: step.rule === null ? ref : null,
      open: { ref, rule: step.rule },
      ...(setName !== undefined && step.element ? { openSet: { ref: { table: ref.table, name: setName }, element: step.element } } : {}),
      request,
    });
    emit(data, family, c, key, childDepth, rows, request);
  });
}

function stepText(s: PathStep): string {
  const where = s.table === 'nat' || s.nftFamily !== undefined ? s.chain : `${s.table} ${s.chain}`;
  if (s.rule === null) return `${where} ${s.target}`;
  const element = s.element ? ` [${s.element}]` : '';
  return `${where} #${s.rule}${element} ${s.goto ? (s.nftFamily === undefined ? '-g' : 'goto') : '->'} ${s.target}`;
}

function outcomeRow(data: ExplorerData, o: Outcome, key: string, depth: number, family: Family): TreeRow {
  const parts = [`= ${o.verdict}`];
  if (o.dnat) parts.push(`to ${o.dnat}`);
  if (o.masquerade) parts.push('masquerade');
  if (o.delivery) parts.push(o.delivery === 'forward' ? 'forwarded' : o.delivery);
  if (o.reason) parts.push(`· ${o.reason}`);
  const last = o.path[o.path.length - 1];
  const sep = o.endpointChain;
  // `= ACCEPT to …` opens the endpoint's chain at the DNAT rule that picked the address (as the path shows it).
  const dnatStep = sep ? [...o.path].reverse().find((s) => s.chain === sep) : undefined;
  const dnatRef = dnatStep ? stepChainRef(dnatStep, family) : null;
  const lastRef = last ? stepChainRef(last, family) : null;
  const open = dnatRef && dnatStep
    ? { ref: dnatRef, rule: dnatStep.rule }
    : sep
      ? { ref: { family, table: 'nat' as const, chain: sep }, rule: dnatRuleIndex(data, family, sep) }
      : lastRef && last
        ? { ref: lastRef, rule: last.rule }
        : null;
  return { key, depth, kind: 'outcome', text: parts.join(' '), probability: o.probability, counters: null, rule: null, policyOf: null, open, request: null };
}

/** The (first) DNAT rule of a KUBE-SEP chain, from 1; null when it has none. */
function dnatRuleIndex(data: ExplorerData, family: Family, chain: string): number | null {
  const rules = data.chain({ family, table: 'nat', chain })?.rules ?? [];
  const i = rules.findIndex((r) => r.target === 'DNAT');
  return i < 0 ? null : i + 1;
}
