/**
 * A trace's outcomes grouped into cases: one per combination of the undecided matches that
 * matter, so that within each case the probabilities sum to 1. An outcome whose path met none of
 * a case's undecided matches belongs to every such case (its chance is the same in each).
 */
import type { Outcome } from './types.js';

export interface TraceCase {
  /** How each undecided match is taken in this case ("set --match-set X src=true"); empty when none was met. */
  readonly assumes: readonly string[];
  /** The outcomes possible in this case, in the trace's order; their probabilities sum to 1. */
  readonly outcomes: Outcome[];
}

/** "name=value" -> [name, value]. */
function splitDecision(d: string): [string, string] {
  const eq = d.lastIndexOf('=');
  return [d.slice(0, eq), d.slice(eq + 1)];
}

/**
 * The cases of `outcomes` (a TraceResult's): split on the first undecided match, in the order the
 * outcomes meet them, that the outcomes still possible disagree on, until none is left. A trace
 * with no undecided match is one case with no assumes.
 */
export function traceCases(outcomes: readonly Outcome[]): TraceCase[] {
  const decisions = outcomes.map((o) => o.case.map(splitDecision));
  const cases: TraceCase[] = [];
  const walk = (fixed: Map<string, string>, assumes: string[]): void => {
    const possible: number[] = [];
    for (let i = 0; i < outcomes.length; i++) {
      if (decisions[i]!.every(([name, value]) => (fixed.get(name) ?? value) === value)) possible.push(i);
    }
    for (const i of possible) {
      const open = decisions[i]!.find(([name]) => !fixed.has(name));
      if (!open) continue;
      const [name] = open;
      for (const value of ['true', 'false']) {
        fixed.set(name, value);
        walk(fixed, [...assumes, `${name}=${value}`]);
      }
      fixed.delete(name);
      return;
    }
    cases.push({ assumes, outcomes: possible.map((i) => outcomes[i]!) });
  };
  walk(new Map(), []);
  return cases;
}

/** "if set --match-set X src is true and physdev --physdev-is-in is false" (empty for no assumes). */
export function caseCondition(c: TraceCase): string {
  if (c.assumes.length === 0) return '';
  return `if ${c.assumes.map((d) => {
    const [name, value] = splitDecision(d);
    return `${name} is ${value}`;
  }).join(' and ')}`;
}
