/**
 * Walking one nftables base chain for one branch (nftables.md §5): matches, vmap/map lookups (a
 * missing key is no match), jump/goto/return (falling off a goto target resumes after the last
 * jump, or ends at the base chain's policy), numgen splits, marks, NAT, reject/drop, and what
 * cannot be decided split into cases as iptables' undecided matches are.
 */
import { hostPort, parseIp } from '../../trace/addr.js';
import type { PathStep } from '../../trace/types.js';
import { caseNote, decideUndecided, namedTest, type UndecidedPolicy, type UndecidedTest } from '../../trace/undecided.js';
import { body, elementText, entryText, exprText, field, kindOf, setRef, statementText, verdictOf, type NftVerdict } from '../expr.js';
import { serviceIdFromElementComment } from '../names.js';
import type { NftChain, NftExpr, NftRule, NftStatement, NftTable } from '../types.js';
import { numberOf } from '../values.js';
import { cloneNftBranch, noteOn, type NftBranch } from './branch.js';
import { evalExpr, lookupAnonymous, lookupNamed, rightHolds, type EvalCtx, type NftEnv, type Value } from './eval.js';
import { dropReason } from './reasons.js';

export interface NftWalkCtx extends UndecidedPolicy {
  readonly evalCtx: EvalCtx;
  readonly maxDepth: number;
  readonly maxSteps: number;
  stepsLeft: number;
  /** The node's addresses, for REDIRECT. */
  readonly localAddresses: readonly string[];
}

export type End = 'return' | 'accept' | 'drop' | 'reject';

export interface Ended {
  readonly b: NftBranch;
  readonly end: End;
}

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

interface RuleCtx {
  readonly table: NftTable;
  readonly chain: NftChain;
  readonly rule: NftRule;
  readonly env: NftEnv;
  /** The step that entered this chain (a jump or goto), null in a base chain. */
  readonly entry: PathStep | null;
}

function where(rc: RuleCtx): string {
  return `${rc.table.name} ${rc.chain.name} rule ${rc.rule.index}`;
}

function makeStep(rc: RuleCtx, target: string, extra: { goto?: boolean; element?: string } = {}): PathStep {
  const r = rc.rule;
  return {
    table: rc.table.name,
    nftFamily: rc.table.family,
    chain: rc.chain.name,
    rule: r.index,
    handle: r.handle,
    target,
    line: r.line,
    ...(r.comment !== null ? { comment: r.comment } : {}),
    ...(extra.goto ? { goto: true } : {}),
    ...(extra.element !== undefined ? { element: extra.element } : {}),
  };
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

/** iptables-nft statements `nft -j` keeps as {"xt": {type, name}}, without their options. */
const XT_NO_EFFECT = new Set(['LOG', 'NFLOG', 'TRACE', 'AUDIT']);

/**
 * What an xt statement does when its name alone tells: `-m comment` always matches, MASQUERADE
 * and REJECT need no options; DNAT/SNAT/REDIRECT end the chain as NAT does, but where to is lost
 * in the JSON; MARK/CONNMARK set a value it does not show. Anything else is undecided.
 */
function xtStatement(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, stmt: NftStatement): 'continue' | 'next' | End | 'undecided' {
  const xt = body(stmt, 'xt');
  const type = field(xt, 'type');
  const name = field(xt, 'name');
  if (typeof name !== 'string') return 'undecided';
  if (type === 'match') return name === 'comment' ? 'continue' : 'undecided';
  if (type !== 'target') return 'undecided';
  if (XT_NO_EFFECT.has(name)) return 'continue';
  if (name === 'MASQUERADE') return applyNat(ctx, rc, b, 'masquerade', { masquerade: null });
  if (name === 'REJECT') {
    b.path.push(makeStep(rc, 'REJECT'));
    b.reason = dropReason(rc, b, 'reject');
    return 'reject';
  }
  if (name === 'MARK' || name === 'CONNMARK') {
    noteOn(b, `${where(rc)}: xt target ${name}: the value it sets is not in this listing (nft -j keeps only the name); the mark is taken as unchanged`);
    b.path.push(makeStep(rc, name));
    return 'continue';
  }
  if (name === 'DNAT' || name === 'SNAT' || name === 'REDIRECT') {
    noteOn(b, `${where(rc)}: xt target ${name}: its address is not in this listing (nft -j keeps only the name); the ${name === 'SNAT' ? 'source' : 'destination'} is taken as unchanged`);
    b.path.push(makeStep(rc, name));
    if (name === 'SNAT') b.srcNatDone = true;
    else {
      b.dstNatDone = true;
      b.endpointChain = rc.chain.name.startsWith('KUBE-SEP-') ? rc.chain.name : b.endpointChain;
    }
    return 'accept';
  }
  return 'undecided';
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

type MatchResult = boolean | { readonly split: UndecidedTest; readonly notes: string[] } | { readonly random: Array<{ branch: NftBranch; holds: boolean }> };

const OPS = new Set(['==', '!=', 'in', '<', '>', '<=', '>=']);

function evalMatch(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, stmt: NftStatement): MatchResult {
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
    const each = b.probability / left.values.length;
    if (left.mode !== 'random') noteOn(b, `${where(rc)}: numgen ${left.mode} is a round-robin counter; each value is taken as equally likely`);
    const random: Array<{ branch: NftBranch; holds: boolean }> = [];
    for (const n of left.values) {
      const h = holds({ t: 'num', n }, op, rightExpr, rc);
      if (h === 'unknown' || typeof h === 'object') return undecided(null);
      const branch = cloneNftBranch(b);
      branch.probability = each;
      random.push({ branch, holds: h });
    }
    return { random };
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
    for (const n of key.values) {
      const br = cloneNftBranch(b);
      br.probability = each;
      take(br, lookup({ t: 'num', n }));
    }
    return;
  }
  if (key.t === 'unknown') {
    noteOn(b, `${where(rc)}: the key of ${statementText(stmt)} cannot be computed; taken as no match`);
    return void out.push({ b, kind: 'next' });
  }
  take(b, lookup(key));
}

/** meta mark / ct mark set …: returns whether the packet changed. */
function applyMangle(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, stmt: NftStatement): boolean {
  const mg = body(stmt, 'mangle');
  const key = field(mg, 'key');
  const notes: string[] = [];
  const target = body(key, 'meta') !== undefined ? field(body(key, 'meta'), 'key') : body(key, 'ct') !== undefined ? `ct ${String(field(body(key, 'ct'), 'key'))}` : null;
  if (target !== 'mark' && target !== 'ct mark') {
    noteOn(b, `${where(rc)}: ${exprText(key)} set … is not followed by the tracer`);
    return false;
  }
  const v = evalExpr(ctx.evalCtx, b, rc.env, field(mg, 'value'), notes);
  for (const n of notes) noteOn(b, n);
  if (v.t !== 'num') {
    noteOn(b, `${where(rc)}: the value set to ${exprText(key)} cannot be computed; the mark is taken as unchanged`);
    return false;
  }
  if (target === 'ct mark') {
    b.ctmark = v.n;
    return true;
  }
  const newBits = v.n & ~b.mark;
  if (newBits !== 0 && b.markedBy === null) {
    // kube-proxy's mark-for-masquerade is jumped to: who asked is the rule that jumped.
    b.markedBy = rc.entry ?? makeStep(rc, 'MARK');
  }
  b.mark = v.n;
  return true;
}

function applyNat(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, kind: string, stmt: NftStatement): End {
  const nat = body(stmt, kind);
  if (kind === 'masquerade') {
    const step = makeStep(rc, 'MASQUERADE');
    b.path.push(step);
    b.masquerade = true;
    b.srcNatDone = true;
    b.natStep = step;
    b.natAction = 'masqueraded';
    return 'accept';
  }
  const addr = field(nat, 'addr');
  const port = numberOf(field(nat, 'port'));
  if (kind === 'snat') {
    const step = makeStep(rc, 'SNAT');
    b.path.push(step);
    b.srcNatDone = true;
    b.natStep = step;
    if (typeof addr === 'string' && parseIp(addr)) {
      b.src = addr;
      b.srcBytes = parseIp(addr)!;
      b.natAction = `SNAT to ${hostPort(addr, port)}`;
    } else {
      noteOn(b, `${where(rc)}: the SNAT address ${exprText(addr)} is not followed by the tracer`);
      b.natAction = 'SNAT';
    }
    if (port !== null) b.sport = port;
    return 'accept';
  }
  let to: string | null = typeof addr === 'string' && parseIp(addr) ? addr : null;
  if (kind === 'redirect') {
    // REDIRECT goes to the node itself: its primary address on the way in, loopback from the node.
    const v6 = ctx.evalCtx.v6;
    to = rc.env.hook === 'output' ? (v6 ? '::1' : '127.0.0.1') : ctx.localAddresses.find((a) => (a.includes(':') === v6) && parseIp(a.split('/')[0]!)) ?? (v6 ? '::1' : '127.0.0.1');
    to = to.split('/')[0]!;
  }
  b.path.push(makeStep(rc, kind === 'redirect' ? 'REDIRECT' : 'DNAT'));
  b.dstNatDone = true;
  if (to === null) {
    noteOn(b, `${where(rc)}: the DNAT address ${exprText(addr)} is not followed by the tracer; the destination is taken as unchanged`);
    return 'accept';
  }
  b.dst = to;
  b.dstBytes = parseIp(to)!;
  if (port !== null) b.dport = port;
  b.dnat = hostPort(to, b.dport);
  b.endpointChain = rc.chain.name.startsWith('endpoint-') ? rc.chain.name : null;
  return 'accept';
}
