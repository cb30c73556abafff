/**
 * Walking one nftables base chain for one branch (nftables.md §5): matches, vmap/map lookups (a
 * missing key is no match), jump/goto/return (falling off a goto target resumes after the last
 * jump, or ends at the base chain's policy), numgen splits, marks, NAT, reject/drop, and what
 * cannot be decided split into cases as iptables' undecided matches are.
 */
import type { PathStep } from '../../trace/types.js';
import { caseNote, decideUndecided, namedTest, type UndecidedTest } from '../../trace/undecided.js';
import { body, elementText, entryText, field, kindOf, setRef, statementText, verdictOf, type NftVerdict } from '../expr.js';
import { serviceIdFromElementComment } from '../names.js';
import type { NftChain, NftExpr, NftStatement, NftTable } from '../types.js';
import { cloneNftBranch, noteOn, type NftBranch } from './branch.js';
import { applyMangle, applyNat, xtStatement } from './effects.js';
import { evalExpr, lookupAnonymous, lookupNamed, type NftEnv, type Value } from './eval.js';
import { evalMatch } from './match.js';
import { dropReason } from './reasons.js';
import { makeStep, where, type End, type Ended, type NftWalkCtx, type RuleCtx } from './rule-ctx.js';

export type { End, Ended, NftWalkCtx } from './rule-ctx.js';

/** Statements that change nothing the trace follows (`set`/`map`: adding the packet to a set, e.g. affinity). */
const NO_EFFECT = new Set(['counter', 'log', 'set', 'map']);

/** Runs a base chain: every result ends in accept (on to the next chain or hook), drop or reject. */
export function runBaseChain(ctx: NftWalkCtx, table: NftTable, chain: NftChain, b: NftBranch, env: NftEnv): Ended[] {
  const out: Ended[] = [];
  b.element = null;
  for (const r of runChain(ctx, table, chain, b, env, null, 0)) {
    if (r.end !== 'return') {
      out.push(r);
      continue;
    }
    const policy = chain.base?.policy ?? 'accept';
    r.b.path.push({ table: table.name, nftFamily: table.family, chain: chain.name, rule: null, target: `policy ${policy.toUpperCase()}`, line: chain.line, handle: chain.handle });
    if (policy === 'drop') r.b.reason = `policy drop of ${table.family} ${table.name} ${chain.name}`;
    out.push({ b: r.b, end: policy === 'drop' ? 'drop' : 'accept' });
  }
  return out;
}

type RuleResult =
  | { readonly b: NftBranch; readonly kind: 'next' }
  | { readonly b: NftBranch; readonly kind: 'end'; readonly end: End }
  | { readonly b: NftBranch; readonly kind: 'call'; readonly goto: boolean; readonly target: string };

function runChain(ctx: NftWalkCtx, table: NftTable, chain: NftChain, start: NftBranch, env: NftEnv, entry: PathStep | null, depth: number): Ended[] {
  const rules = chain.rules;
  const done: Ended[] = [];
  const work: Array<{ b: NftBranch; from: number }> = [{ b: start, from: 0 }];
  while (work.length > 0) {
    const item = work.pop()!;
    let b = item.b;
    let i = item.from;
    for (; i < rules.length; i++) {
      if (--ctx.stepsLeft < 0) {
        const where = `${table.name} ${chain.name} rule ${i + 1}`;
        const why = `trace stopped after ${ctx.maxSteps} rule steps (the rules branch or nest too much to follow every path)`;
        noteOn(b, `${why}; this branch was stopped at ${where}`);
        b.reason = `${why}; stopped at ${where}`;
        done.push({ b, end: 'drop' });
        break;
      }
      const results: RuleResult[] = [];
      evalRule(ctx, { table, chain, rule: rules[i]!, env, entry }, b, 0, false, results);
      if (results.length === 1 && results[0]!.kind === 'next') {
        b = results[0]!.b;
        continue;
      }
      // Several ways on (or a verdict): each continues from here on its own (LIFO keeps rule order).
      const pending: Array<{ b: NftBranch; from: number }> = [];
      for (const r of results) {
        if (r.kind === 'next') pending.push({ b: r.b, from: i + 1 });
        else if (r.kind === 'end') done.push({ b: r.b, end: r.end });
        else {
          const target = table.chainsByName.get(r.target);
          const step = r.b.path[r.b.path.length - 1] ?? null;
          if (!target) {
            noteOn(r.b, `${table.name} ${chain.name} rule ${i + 1}: chain ${r.target} is not in the dump; taken as empty`);
            if (r.goto) done.push({ b: r.b, end: 'return' });
            else pending.push({ b: r.b, from: i + 1 });
            continue;
          }
          if (depth + 1 > ctx.maxDepth) {
            noteOn(r.b, `chains nest deeper than ${ctx.maxDepth} at ${table.name} ${chain.name}; this branch stops here`);
            r.b.reason = `chains nest deeper than ${ctx.maxDepth}`;
            done.push({ b: r.b, end: 'drop' });
            continue;
          }
          for (const s of runChain(ctx, table, target, r.b, env, step, depth + 1)) {
            // Back from the called chain: a jump continues after its rule; a goto leaves this chain too.
            if (s.end === 'return' && !r.goto) pending.push({ b: s.b, from: i + 1 });
            else done.push(s);
          }
        }
      }
      for (let k = pending.length - 1; k >= 0; k--) work.push(pending[k]!);
      break;
    }
    if (i >= rules.length) done.push({ b, end: 'return' });
  }
  return done;
}

/**
 * Evaluates the rule's statements from `k` on, pushing each way the branch leaves the rule.
 * `acted` says an earlier statement changed the packet (a mark), worth a path step if no verdict follows.
 */
function evalRule(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, k: number, acted: boolean, out: RuleResult[]): void {
  const stmts = rc.rule.expr;
  for (let s = k; s < stmts.length; s++) {
    const stmt = stmts[s]!;
    const kind = kindOf(stmt);
    if (kind === 'match') {
      const r = evalMatch(ctx, rc, b, stmt);
      if (r === true) continue;
      if (r === false) return void out.push({ b, kind: 'next' });
      if ('split' in r) {
        ctx.splitTests.add(r.split.name);
        const other = cloneNftBranch(b);
        for (const n of r.notes) {
          noteOn(b, n);
          noteOn(other, n);
        }
        takeCase(b, r.split, true, where(rc));
        takeCase(other, r.split, false, where(rc));
        evalRule(ctx, rc, b, s, acted, out);
        evalRule(ctx, rc, other, s, acted, out);
        return;
      }
      // numgen compared with a value: each number with its chance.
      for (const { branch, holds } of r.random) {
        if (holds) evalRule(ctx, rc, branch, s + 1, acted, out);
        else out.push({ b: branch, kind: 'next' });
      }
      return;
    }
    if (kind === 'vmap') return void evalVmap(ctx, rc, b, stmt, out);
    const v = verdictOf(stmt);
    if (v) return void applyVerdict(rc, b, v, null, out);
    if (kind === 'mangle') {
      if (applyMangle(ctx, rc, b, stmt)) acted = true;
      continue;
    }
    if (kind === 'reject') {
      b.path.push(makeStep(rc, 'REJECT'));
      b.reason = dropReason(rc, b, 'reject');
      return void out.push({ b, kind: 'end', end: 'reject' });
    }
    if (kind === 'dnat' || kind === 'snat' || kind === 'masquerade' || kind === 'redirect') {
      // `dnat ip to …` in an inet chain does nothing to an IPv6 packet (and the reverse).
      const fam = field(body(stmt, kind), 'family');
      if ((fam === 'ip' && ctx.evalCtx.v6) || (fam === 'ip6' && !ctx.evalCtx.v6)) continue;
      return void out.push({ b, kind: 'end', end: applyNat(ctx, rc, b, kind, stmt) });
    }
    if (kind === 'notrack') {
      b.untracked = true;
      acted = true;
      continue;
    }
    if (kind !== null && NO_EFFECT.has(kind)) continue;
    if (kind === 'xt') {
      const xt = xtStatement(ctx, rc, b, stmt);
      if (xt === 'continue') continue;
      if (xt !== 'undecided') return void out.push(xt === 'next' ? { b, kind: 'next' } : { b, kind: 'end', end: xt });
    }
    // A statement the tracer does not model (xt, limit, quota, queue, …): whether the rule goes
    // on past it is a case, never a guess.
    const name = statementText(stmt);
    const t = namedTest(name, name, false);
    const notes: string[] = [];
    const d = decideUndecided(ctx, where(rc), t, b.decided, null, notes);
    for (const n of notes) noteOn(b, n);
    if (d === 'split') {
      ctx.splitTests.add(t.name);
      const other = cloneNftBranch(b);
      takeCase(b, t, true, where(rc));
      takeCase(other, t, false, where(rc));
      evalRule(ctx, rc, b, s, acted, out);
      evalRule(ctx, rc, other, s, acted, out);
      return;
    }
    if (!d) return void out.push({ b, kind: 'next' });
  }
  if (acted) b.path.push(makeStep(rc, 'MARK'));
  out.push({ b, kind: 'next' });
}

function takeCase(b: NftBranch, t: UndecidedTest, value: boolean, at: string): void {
  b.decided.push({ name: t.name, value });
  noteOn(b, caseNote(at, t, value));
}

function applyVerdict(rc: RuleCtx, b: NftBranch, v: NftVerdict, element: string | null, out: RuleResult[]): void {
  const extra = element !== null ? { element } : {};
  switch (v.kind) {
    case 'accept':
      b.path.push(makeStep(rc, 'ACCEPT', extra));
      return void out.push({ b, kind: 'end', end: 'accept' });
    case 'drop':
      b.path.push(makeStep(rc, 'DROP', extra));
      b.reason = dropReason(rc, b, 'drop');
      return void out.push({ b, kind: 'end', end: 'drop' });
    case 'return':
      b.path.push(makeStep(rc, 'RETURN', extra));
      return void out.push({ b, kind: 'end', end: 'return' });
    case 'continue':
      return void out.push({ b, kind: 'next' });
    default:
      b.path.push(makeStep(rc, v.target!, { ...extra, goto: v.kind === 'goto' }));
      return void out.push({ b, kind: 'call', goto: v.kind === 'goto', target: v.target! });
  }
}

/** A vmap lookup: the element's verdict, each numgen value with its chance, or no match for a missing key. */
function evalVmap(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, stmt: NftStatement, out: RuleResult[]): void {
  const vm = body(stmt, 'vmap');
  const data = field(vm, 'data');
  const notes: string[] = [];
  const key = evalExpr(ctx.evalCtx, b, rc.env, field(vm, 'key'), notes);
  for (const n of notes) noteOn(b, n);
  if (key.t === 'absent') return void out.push({ b, kind: 'next' });
  const setName = setRef(data);
  const set = setName !== null ? rc.table.setsByName.get(setName) : undefined;
  const entries = body(data, 'set');
  const lookup = (v: Value): { text: string; data: NftExpr | null; comment: string | null } | null | 'unknown' => {
    if (set) {
      const el = lookupNamed(set, v);
      return el === null || el === 'unknown' ? el : { text: elementText(el), data: el.data, comment: el.comment };
    }
    if (entries !== undefined) {
      const hit = lookupAnonymous(Array.isArray(entries) ? (entries as readonly NftExpr[]) : [entries as NftExpr], v);
      if (hit === null || hit === 'unknown') return hit;
      return { text: entryText(hit), data: hit.data, comment: hit.comment };
    }
    return 'unknown';
  };
  const take = (br: NftBranch, hit: ReturnType<typeof lookup>) => {
    if (hit === null) return void out.push({ b: br, kind: 'next' }); // a missing key: no match, on to the next rule
    const v = hit === 'unknown' ? null : verdictOf(hit.data ?? undefined);
    if (hit === 'unknown' || v === null) {
      noteOn(br, `${where(rc)}: ${statementText(stmt)} cannot be looked up (${set === undefined && setName !== null ? `@${setName} is not in the dump` : 'a key or element the tracer does not read'}); taken as no match`);
      return void out.push({ b: br, kind: 'next' });
    }
    const id = serviceIdFromElementComment(hit.comment);
    if (id !== null) br.element = { id, dropped: v.kind === 'drop', chain: v.target };
    applyVerdict(rc, br, v, hit.text, out);
  };
  if (key.t === 'random') {
    if (key.mode !== 'random') noteOn(b, `${where(rc)}: numgen ${key.mode} is a round-robin counter; each value is taken as equally likely`);
    const each = b.probability / key.values.length;
    // Numbers missing from the map all go on to the next rule: one branch for them together.
    let missing = 0;
    for (const n of key.values) {
      const hit = lookup({ t: 'num', n });
      if (hit === null) {
        missing++;
        continue;
      }
      // Copying the branch costs what it carries: splits inside splits must run out of steps too.
      ctx.stepsLeft -= 1 + b.path.length + b.assumptions.length;
      const br = cloneNftBranch(b);
      br.probability = each;
      take(br, hit);
    }
    if (missing > 0) {
      b.probability = each * missing;
      out.push({ b, kind: 'next' });
    }
    return;
  }
  if (key.t === 'unknown') {
    noteOn(b, `${where(rc)}: the key of ${statementText(stmt)} cannot be computed; taken as no match`);
    return void out.push({ b, kind: 'next' });
  }
  take(b, lookup(key));
}
