/**
 * Whether two dumps hold the same rules. A live source prints the same rules again and again
 * with new counts; what depends on the rules alone (the kube model's services and endpoints)
 * then carries over from one snapshot to the next instead of being derived again.
 */
import { finishSteps, type Steps } from '../steps.js';
import { chainRows } from './rule.js';
import type { Chain, Ruleset } from './types.js';

/**
 * For rulesets `a` and `b` holding the same rules — the same tables (name, family), chains
 * (name, built-in, policy, deleted ones) and every rule's text, all in the same order; counters
 * and line numbers may differ — b's chain for each of a's. Null when anything differs.
 */
export function counterpartChains(a: Ruleset, b: Ruleset): Map<Chain, Chain> | null {
  return finishSteps(counterpartChainsSteps(a, b, Infinity));
}

/** counterpartChains in steps of `slice` chains (see core/steps.ts); the rulesets must not change meanwhile. */
export function* counterpartChainsSteps(a: Ruleset, b: Ruleset, slice: number): Steps<Map<Chain, Chain> | null> {
  const counterpart = yield* compare(a, b, slice);
  // A refresh asks twice (carrying the model over, then diffing counters): the answer is kept,
  // as a yes or no beside a weak reference, so no snapshot keeps an older one alive.
  compared.set(b, { a: new WeakRef(a), same: counterpart !== null });
  return counterpart;
}

/** Whether `a` and `b` hold the same rules (see counterpartChains), remembered per pair. */
export function holdSameRules(a: Ruleset, b: Ruleset): boolean {
  const known = compared.get(b);
  if (known !== undefined && known.a.deref() === a) return known.same;
  return counterpartChains(a, b) !== null;
}

const compared = new WeakMap<Ruleset, { readonly a: WeakRef<Ruleset>; readonly same: boolean }>();

/** Rulesets known to hold the same rules as another (noteSameRules): b -> a. */
const knownSame = new WeakMap<Ruleset, WeakRef<Ruleset>>();

/**
 * Records that `b` holds the same rules as `a`, compared already elsewhere: the live poller's
 * parse thread compares each text's rules with the previous text's as it parses. Then
 * counterpartChains pairs their chains by position without reading every rule's text again on
 * the main thread (the structure is still checked).
 */
export function noteSameRules(a: Ruleset, b: Ruleset): void {
  knownSame.set(b, new WeakRef(a));
}

function* compare(a: Ruleset, b: Ruleset, slice: number): Steps<Map<Chain, Chain> | null> {
  if (a.tables.length !== b.tables.length) return null;
  const textsCompared = knownSame.get(b)?.deref() === a;
  const counterpart = new Map<Chain, Chain>();
  let done = 0;
  for (let t = 0; t < a.tables.length; t++) {
    const ta = a.tables[t]!;
    const tb = b.tables[t]!;
    if (ta.name !== tb.name || ta.family !== tb.family || ta.chains.length !== tb.chains.length) return null;
    if (ta.deletedChains.join('\n') !== tb.deletedChains.join('\n')) return null;
    for (let c = 0; c < ta.chains.length; c++) {
      if (++done % slice === 0) yield;
      const ca = ta.chains[c]!;
      const cb = tb.chains[c]!;
      if (ca.name !== cb.name || ca.builtin !== cb.builtin || ca.policy !== cb.policy) return null;
      const ra = chainRows(ca);
      const rb = chainRows(cb);
      const n = ra.size;
      if (n !== rb.size) return null;
      if (!textsCompared) for (let i = 0; i < n; i++) if (ra.textAt(i) !== rb.textAt(i)) return null;
      counterpart.set(ca, cb);
    }
  }
  return counterpart;
}
