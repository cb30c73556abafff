/**
 * A trace's outcomes as one tree of their paths: steps the outcomes share appear once, and each
 * step carries the chance that a packet takes it (the sum over the outcomes below it). Views draw
 * it; the sums are arithmetic on the tracer's probabilities, so they live with the tracer.
 */
import type { Outcome, PathStep } from './types.js';

export interface PathNode {
  /** null for the root (before the first step). */
  readonly step: PathStep | null;
  readonly children: PathNode[];
  /** Outcomes whose (chosen) path ends here. */
  readonly outcomes: Outcome[];
  /** Chance of reaching this step: the sum of the probabilities of every outcome under it (1 at the root). */
  readonly probability: number;
}

/** What identifies a step among its siblings: table, chain, rule (or policy) and target. */
export function stepKey(s: PathStep): string {
  return `${s.table}/${s.chain}/${s.rule ?? 'policy'}/${s.target}`;
}

/**
 * The tree of `outcomes`' paths. `steps` picks the steps to show of each path (all by default):
 * outcomes whose shown steps agree share their nodes.
 */
export function pathTree(outcomes: readonly Outcome[], steps: (path: readonly PathStep[]) => readonly PathStep[] = (p) => p): PathNode {
  const root: MutableNode = { step: null, children: [], outcomes: [], probability: 0, byKey: new Map() };
  for (const o of outcomes) {
    let node = root;
    node.probability += o.probability;
    for (const step of steps(o.path)) {
      const key = stepKey(step);
      let child = node.byKey.get(key);
      if (!child) {
        child = { step, children: [], outcomes: [], probability: 0, byKey: new Map() };
        node.byKey.set(key, child);
        node.children.push(child);
      }
      child.probability += o.probability;
      node = child;
    }
    node.outcomes.push(o);
  }
  return root;
}

interface MutableNode extends PathNode {
  probability: number;
  readonly children: MutableNode[];
  readonly byKey: Map<string, MutableNode>;
}
