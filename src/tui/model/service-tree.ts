/**
 * The service detail tree: for each way into a service (cluster IP, node port, external and
 * load-balancer IPs) the tracer's outcomes for a new connection from a client off the node,
 * merged into one tree of path steps. Built from tracePacket, so the tree and `trace` agree.
 *
 * A path runs through every hook; the tree shows the nat stage that picks the endpoint (all of
 * it) and after that only the steps that decide something (accept, drop, reject, masquerade),
 * the rest is one click away in the trace screen.
 */
import { DEFAULT_CLIENT, hostPort, nftTableLabel, planEntryProbes, traceDump } from '../../core/index.js';
import type { EntryKind, EntryPoint, ServicePort } from '../../core/kube/index.js';
import type { Counters, Family, Rule } from '../../core/parse/index.js';
import { caseCondition, pathTree, stepKey, traceCases, type PathNode, type Outcome, type PathStep, type TraceProtocol } from '../../core/trace/index.js';
import type { ChainRef, SetRef, TraceRequest } from '../state.js';
import { ruleCounters, ruleOf, stepChainRef, type ExplorerData } from './explorer-data.js';

const DECISIVE = new Set(['ACCEPT', 'DROP', 'REJECT', 'MASQUERADE', 'SNAT', 'KUBE-MARK-DROP']);

export interface TreeRow {
  readonly key: string;
  readonly depth: number;
  readonly kind: 'entry' | 'step' | 'outcome' | 'note';
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
  /** nftables: Enter opens this map at the element that names the service (entry rows). */
  readonly openSet?: { readonly ref: SetRef; readonly element: string } | null;
  /** Trace request behind this entry point (for `t` on an entry row). */
  readonly request: TraceRequest | null;
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
  return { protocol, src: r.src || DEFAULT_CLIENT[family], dst: r.dst, dport: r.dport };
}

export function buildServiceTree(data: ExplorerData, service: ServicePort): TreeRow[] {
  const rows: TreeRow[] = [];
  const family = service.family;
  for (const t of traceEntries(data, service)) {
    const { entry, request } = t;
    const isNat = natStage(data, family);
    if (!entry.rule) {
      // nftables mode: the entry is an element of a map (service-ips, service-nodeports).
      const key = `${entry.kind}:${request.dst}:${request.dport}`;
      const set = entry.element?.set;
      rows.push({
        key,
        depth: 0,
        kind: 'entry',
        text: `${ENTRY_LABEL[entry.kind]} ${hostPort(request.dst, request.dport)}/${entry.protocol}  from ${request.src}${set ? `  (@${set.name})` : ''}`,
        probability: null,
        counters: null,
        rule: null,
        policyOf: null,
        open: null,
        openSet: set && entry.element ? { ref: { table: nftTableLabel({ family: set.family, name: set.table }), name: set.name }, element: elementKey(entry.element.element) } : null,
        request,
      });
      if (t.error) rows.push(note(`${key}:error`, `cannot trace: ${t.error}`));
      else emitCases(data, family, t.outcomes, key, rows, request, isNat);
      continue;
    }
    const entryRule = entry.rule;
    const entryRef: ChainRef = { family, table: entryRule.table, chain: entryRule.chain };
    const key = `${entry.kind}:${request.dst}:${request.dport}`;
    rows.push({
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
    });
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
  if (rows.length === 0) rows.push(note('none', 'no entry points: kube-proxy wrote no rule that leads into this service'));
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
  node.outcomes.forEach((o, i) => rows.push(outcomeRow(o, `${prefix}|=${i}`, childDepth, family)));
  node.children.forEach((c) => {
    const step = c.step!;
    const key = `${prefix}|${stepKey(step)}`;
    const ref = stepChainRef(step, family);
    if (!ref) return;
    const rule = step.rule === null ? null : ruleOf(data, ref, step.rule);
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
      request,
    });
    emit(data, family, c, key, childDepth, rows, request);
  });
}

function stepText(s: PathStep): string {
  const where = s.table === 'nat' || s.nftFamily !== undefined ? s.chain : `${s.table} ${s.chain}`;
  if (s.rule === null) return `${where} ${s.target}`;
  const element = s.element ? ` [${s.element}]` : '';
  return `${where} #${s.rule}${element} ${s.goto ? (s.nftFamily === undefined ? '-g' : 'goto') : '→'} ${s.target}`;
}

function outcomeRow(o: Outcome, key: string, depth: number, family: Family): TreeRow {
  const parts = [`= ${o.verdict}`];
  if (o.dnat) parts.push(`to ${o.dnat}`);
  if (o.masquerade) parts.push('masquerade');
  if (o.delivery) parts.push(o.delivery === 'forward' ? 'forwarded' : o.delivery);
  if (o.reason) parts.push(`· ${o.reason}`);
  const last = o.path[o.path.length - 1];
  const sep = o.endpointChain;
  // The endpoint chain, at its DNAT rule when the path shows it; else the last step.
  const dnatStep = sep ? [...o.path].reverse().find((s) => s.chain === sep) : undefined;
  const dnatRef = dnatStep ? stepChainRef(dnatStep, family) : null;
  const lastRef = last ? stepChainRef(last, family) : null;
  const open = dnatRef && dnatStep
    ? { ref: dnatRef, rule: dnatStep.rule }
    : sep
      ? { ref: { family, table: 'nat' as const, chain: sep }, rule: null }
      : lastRef && last
        ? { ref: lastRef, rule: last.rule }
        : null;
  return { key, depth, kind: 'outcome', text: parts.join(' '), probability: o.probability, counters: null, rule: null, policyOf: null, open, request: null };
}
