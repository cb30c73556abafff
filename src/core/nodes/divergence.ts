/** Where nodes disagree: for every service id, each read node's endpoint set or null (no such service). */
import type { NodeSummary } from './summary.js';

export interface NodeRead {
  readonly name: string;
  /** null when the node could not be read: it takes no part in the comparison. */
  readonly summary: NodeSummary | null;
}

export interface ServiceAcrossNodes {
  readonly id: string;
  /** True when the nodes that were read do not all have the service with the same endpoint set. */
  readonly diverges: boolean;
  /** Per read node (in the order given): its sorted endpoints, or null when it lacks the service. */
  readonly nodes: ReadonlyMap<string, readonly string[] | null>;
}

/** Every service any read node has, diverging ones first, then by id. */
export function compareNodes(reads: readonly NodeRead[]): ServiceAcrossNodes[] {
  const read = reads.filter((r): r is NodeRead & { summary: NodeSummary } => r.summary !== null);
  const ids = new Set<string>();
  for (const r of read) for (const id of r.summary.services.keys()) ids.add(id);
  const rows: ServiceAcrossNodes[] = [];
  for (const id of ids) {
    const nodes = new Map<string, readonly string[] | null>();
    for (const r of read) nodes.set(r.name, r.summary.services.get(id) ?? null);
    rows.push({ id, diverges: diverges([...nodes.values()]), nodes });
  }
  return rows.sort((a, b) => Number(b.diverges) - Number(a.diverges) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function diverges(sets: readonly (readonly string[] | null)[]): boolean {
  const key = (s: readonly string[] | null) => (s === null ? null : s.join('\n'));
  const first = key(sets[0] ?? null);
  return sets.some((s) => key(s) !== first);
}

/** The nodes whose endpoint set differs from the most common one (ties: the first node's), for "which nodes differ". */
export function differingNodes(row: ServiceAcrossNodes): string[] {
  const counts = new Map<string, number>();
  const keyOf = (s: readonly string[] | null) => (s === null ? '\u0000none' : s.join('\n'));
  for (const s of row.nodes.values()) counts.set(keyOf(s), (counts.get(keyOf(s)) ?? 0) + 1);
  let majority: string | null = null;
  let best = 0;
  for (const [k, n] of counts) if (n > best) [majority, best] = [k, n];
  return [...row.nodes].filter(([, s]) => keyOf(s) !== majority).map(([name]) => name);
}

/** How many services diverge and have (or lack) a different set on this node. */
export function divergingOn(rows: readonly ServiceAcrossNodes[], node: string): number {
  let n = 0;
  for (const r of rows) if (r.diverges && r.nodes.has(node) && differingNodes(r).includes(node)) n++;
  return n;
}
