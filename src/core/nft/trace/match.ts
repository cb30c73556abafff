/** Whether a match statement holds for a branch: certain, a chance (numgen, meta random), or a case (undecided). */
import { decideUndecided, namedTest, type UndecidedTest } from '../../trace/undecided.js';
import { body, exprText, field, setRef, statementText } from '../expr.js';
import type { NftExpr, NftStatement } from '../types.js';
import { numberOf } from '../values.js';
import { cloneNftBranch, noteOn, type NftBranch } from './branch.js';
import { evalExpr, lookupNamed, rightHolds, type Value } from './eval.js';
import { where, type NftWalkCtx, type RuleCtx } from './rule-ctx.js';

export type MatchResult = boolean | { readonly split: UndecidedTest; readonly notes: string[] } | { readonly random: Array<{ branch: NftBranch; holds: boolean }> };

const OPS = new Set(['==', '!=', 'in', '<', '>', '<=', '>=']);

export function evalMatch(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, stmt: NftStatement): MatchResult {
  const m = body(stmt, 'match');
  const op = String(field(m, 'op') ?? '==');
  const rightExpr = field(m, 'right');
  const notes: string[] = [];
  const left = evalExpr(ctx.evalCtx, b, rc.env, field(m, 'left'), notes);
  if (left.t === 'absent') return false;
  const negated = op === '!=';
  const undecided = (extraNote: string | null): MatchResult => {
    // The test is named without its "!=", so that --assume gives the match's own truth.
    const name = statementText({ match: { op: '==', left: field(m, 'left') ?? null, right: rightExpr ?? null } });
    const t = namedTest(name, statementText(stmt), negated);
    if (extraNote !== null) notes.push(extraNote);
    const d = decideUndecided(ctx, where(rc), t, b.decided, null, notes);
    if (d === 'split') return { split: t, notes };
    for (const n of notes) noteOn(b, n);
    return d !== negated;
  };
  const chance = randomChance(field(m, 'left'), op, rightExpr);
  if (chance !== null) {
    // iptables-nft's `-m statistic --mode random` as nft prints it: `meta random & 2147483647 < T`.
    const hit = cloneNftBranch(b);
    hit.probability = b.probability * chance;
    const miss = b;
    miss.probability = b.probability * (1 - chance);
    return { random: [{ branch: hit, holds: true }, { branch: miss, holds: false }].filter((x) => x.branch.probability > 0) };
  }
  if (!OPS.has(op) || left.t === 'unknown') return undecided(null);
  if (left.t === 'random') {
    if (left.mode !== 'random') noteOn(b, `${where(rc)}: numgen ${left.mode} is a round-robin counter; each value is taken as equally likely`);
    // The numbers that match all lead the same way, as do the others: two branches, whatever N.
    let matching = 0;
    for (const n of left.values) {
      const h = holds({ t: 'num', n }, op, rightExpr, rc);
      if (h === 'unknown' || typeof h === 'object') return undecided(null);
      if (h) matching++;
    }
    const share = matching / left.values.length;
    const hit = cloneNftBranch(b);
    hit.probability = b.probability * share;
    b.probability *= 1 - share;
    return { random: [{ branch: hit, holds: true }, { branch: b, holds: false }].filter((x) => x.branch.probability > 0) };
  }
  const h = holds(left, op, rightExpr, rc);
  if (h === 'unknown') return undecided(null);
  if (typeof h === 'object' && 'value' in h) {
    for (const n of [...notes, h.note]) noteOn(b, n);
    return h.value;
  }
  if (typeof h === 'object') return undecided(h.note);
  for (const n of notes) noteOn(b, n);
  return h;
}

/** `meta random & MASK < T` (or without the mask): the chance it holds, null for any other match. */
function randomChance(left: NftExpr | undefined, op: string, right: NftExpr | undefined): number | null {
  if (op !== '<') return null;
  const t = numberOf(right);
  if (t === null) return null;
  const isRandom = (e: NftExpr | undefined) => field(body(e, 'meta'), 'key') === 'random';
  if (isRandom(left)) return Math.min(1, t / 2 ** 32);
  const and = body(left, '&');
  if (!Array.isArray(and) || and.length !== 2 || !isRandom((and as readonly NftExpr[])[0])) return null;
  const mask = numberOf((and as readonly NftExpr[])[1]);
  // A mask of low bits (2^k - 1) makes the value uniform over 0 .. 2^k - 1.
  if (mask === null || (mask & (mask + 1)) !== 0) return null;
  return Math.min(1, t / (mask + 1));
}

/**
 * The truth of `left op right`. A dynamic named set (session affinity) is read as the dump shows
 * it, and says so: the clients it holds are pinned until they expire; any other client is a new
 * one, as iptables mode takes a client with no `recent` entry yet.
 */
function holds(left: Value, op: string, right: NftExpr | undefined, rc: RuleCtx): boolean | 'unknown' | { note: string | null } | { value: boolean; note: string } {
  const setName = setRef(right);
  let inSet: boolean | 'unknown';
  if (setName !== null) {
    const set = rc.table.setsByName.get(setName);
    if (!set) return { note: `@${setName} is not in the dump` };
    if (isDynamic(set)) {
      const hit = lookupNamed(set, left);
      if (hit === 'unknown') return { note: `@${setName} is filled by traffic (${set.timeout !== null ? `timeout ${set.timeout}s` : 'dynamic'})` };
      const pinned = hit !== null && (hit.expires === null || hit.expires > 0);
      const note = pinned
        ? `${where(rc)}: session affinity as the dump shows it: ${exprText(hit.key)} is in @${setName}${hit.expires !== null ? ` (expires in ${hit.expires}s)` : ''}`
        : `${where(rc)}: session affinity as the dump shows it: the client is not in @${setName} (${set.elements.length} pinned there), so it is taken as a new client`;
      return { value: op === '!=' ? !pinned : pinned, note };
    }
    const hit = lookupNamed(set, left);
    inSet = hit === 'unknown' ? 'unknown' : hit !== null;
  } else if (op === '<' || op === '>' || op === '<=' || op === '>=') {
    const r = numberOf(right);
    if (left.t !== 'num' || r === null) return 'unknown';
    return op === '<' ? left.n < r : op === '>' ? left.n > r : op === '<=' ? left.n <= r : left.n >= r;
  } else {
    inSet = rightHolds(left, right);
  }
  if (inSet === 'unknown') return 'unknown';
  return op === '!=' ? !inSet : inSet;
}

function isDynamic(set: { readonly flags: readonly string[]; readonly timeout: number | null }): boolean {
  return set.flags.includes('dynamic') || set.flags.includes('timeout') || set.timeout !== null;
}
