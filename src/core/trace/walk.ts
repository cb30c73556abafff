/**
 * Walking one table's built-in chain for one hook, with every branch the rules can take:
 * jumps, gotos, RETURN, verdicts, NAT, marks, random splits, loops and the chain policy.
 */
import { ASSUMED_LINE } from '../parse/kube-jumps.js';
import type { Chain, Family, Table, TableName } from '../parse/types.js';
import { LocalAddresses, hostPort, parseIp, splitHostPort } from './addr.js';
import { assume, cloneBranch, ruleRef, type Branch, type RuleRef } from './branch.js';
import type { CompiledRule, HookEnv, MatchCtx } from './compile.js';
import { verdictReason } from './reasons.js';
import { caseNote, decideUndecided, type UndecidedPolicy, type UndecidedTest } from './undecided.js';
import { passesPrefilter, type RulesetIndex } from './ruleset-index.js';

/** The undecided-match policy (the user's --assume answers, the cases so far) comes from UndecidedPolicy. */
export interface WalkCtx extends UndecidedPolicy {
  readonly index: RulesetIndex;
  readonly match: MatchCtx;
  readonly family: Family;
  readonly localAddresses: readonly string[];
  readonly maxDepth: number;
  /** The work limit (TraceOptions.maxSteps) and what is left of it. */
  readonly maxSteps: number;
  stepsLeft: number;
  readonly masqBit: number;
  readonly dropBit: number;
  /** Reused buffer for the notes of one rule's evaluation. */
  readonly scratch: string[];
}

/** How a chain walk ended for one branch: fell through/RETURNed, or a verdict for this table. */
export type End = 'return' | 'ACCEPT' | 'DROP' | 'REJECT';

export interface Ended {
  readonly b: Branch;
  readonly end: End;
}

/** The call stack: who jumped into the chain being walked. */
interface Frame {
  readonly chain: string;
  readonly rule: CompiledRule;
  readonly parent: Frame | null;
  readonly depth: number;
}

/**
 * Runs the built-in `hook` chain of `tableName` on the branch. Every result ends in ACCEPT
 * (go on to the next table/hook), DROP or REJECT. A table or chain absent from the dump is skipped.
 */
export function runHook(ctx: WalkCtx, tableName: TableName, env: HookEnv, b: Branch): Ended[] {
  const table = ctx.index.table(ctx.family, tableName);
  const chain = table?.chainsByName.get(env.hook);
  if (!table || !chain) return [{ b, end: 'ACCEPT' }];
  const out: Ended[] = [];
  for (const r of runChain(ctx, table, chain, b, env, null)) {
    if (r.end !== 'return') {
      out.push(r);
      continue;
    }
    // Fell off the end (or RETURN at top level): the built-in chain's policy decides.
    let policy = chain.policy;
    if (policy === null) {
      assume(r.b, `${tableName} ${chain.name} has no policy in the dump (restore form "-"); assumed ACCEPT`);
      policy = 'ACCEPT';
    }
    const verdict = policy === 'DROP' ? 'DROP' : 'ACCEPT';
    if (policy !== 'ACCEPT' && policy !== 'DROP') assume(r.b, `${tableName} ${chain.name} policy ${policy} treated as ACCEPT`);
    r.b.path.push({ table: tableName, chain: chain.name, rule: null, target: `policy ${policy}`, line: chain.line });
    if (verdict === 'DROP') r.b.reason = `policy DROP of ${tableName} ${chain.name}`;
    out.push({ b: r.b, end: verdict });
  }
  return out;
}

function runChain(ctx: WalkCtx, table: Table, chain: Chain, start: Branch, env: HookEnv, frames: Frame | null): Ended[] {
  const rules = chain.rules;
  const plan = ctx.index.plan(chain);
  const done: Ended[] = [];
  // Branches still to walk in this chain, each from a rule position (LIFO keeps rule order).
  const work: Array<{ b: Branch; from: number }> = [{ b: start, from: 0 }];
  while (work.length > 0) {
    const item = work.pop()!;
    const b = item.b;
    let finished = false;
    for (let i = item.from; i < rules.length && !finished; i++) {
      if (--ctx.stepsLeft < 0) {
        done.push(outOfSteps(ctx, b, table, chain, i));
        finished = true;
        break;
      }
      if (rules[i]!.target === null) continue; // counting-only rules change nothing
      const pre = plan.prefilters[i];
      if (pre && !passesPrefilter(pre, b.dstBytes, b.dport)) continue;
      const cr = plan.compiled(i);
      const m = evalRule(ctx, cr, b, env);
      if (m === null) continue;
      if ('split' in m) {
        // Nobody can tell which way the match goes: one case each way, each with its whole chance.
        ctx.splitTests.add(m.split.name);
        ctx.stepsLeft -= 1 + b.path.length + b.assumptions.length;
        const other = cloneBranch(b);
        decide(other, m.split, false, cr.where);
        decide(b, m.split, true, cr.where);
        work.push({ b: other, from: i });
        i--; // this branch looks at the rule again, now decided
        continue;
      }
      if (m.p < 1) {
        // Nested tiny chances (--probability 0.00000000047 forty jumps deep) underflow to 0:
        // a side with no representable chance is not an outcome, the other side takes it all.
        const taken = b.probability * m.p;
        const rest = b.probability * (1 - m.p);
        if (taken === 0) continue;
        if (rest > 0) {
          // Copying the branch costs what it carries: splits inside splits must run out of steps too.
          ctx.stepsLeft -= 1 + b.path.length + b.assumptions.length;
          const other = cloneBranch(b);
          other.probability = rest;
          for (const n of m.notes) assume(other, n);
          work.push({ b: other, from: i + 1 });
          b.probability = taken;
        }
      }
      for (const n of m.notes) assume(b, n);
      const res = applyTarget(ctx, table, chain, cr, b, env, frames);
      if (res === 'next') continue;
      finished = true;
      if (res.kind === 'end') {
        done.push(res.ended);
        continue;
      }
      // Back from a jumped-to chain: RETURNs continue after this rule (or, for goto, leave this chain too).
      const pending: Array<{ b: Branch; from: number }> = [];
      for (const r of res.results) {
        if (r.end !== 'return') done.push(r);
        else if (res.goto) done.push(r);
        else pending.push({ b: r.b, from: i + 1 });
      }
      for (let k = pending.length - 1; k >= 0; k--) work.push(pending[k]!);
    }
    if (!finished) done.push({ b, end: 'return' });
  }
  return done;
}

/** The trace ran out of its work limit while this branch was still walking: it stops here. */
function outOfSteps(ctx: WalkCtx, b: Branch, table: Table, chain: Chain, i: number): Ended {
  const where = `${table.name} ${chain.name} rule ${i + 1}`;
  const why = `trace stopped after ${ctx.maxSteps} rule steps (the rules branch or nest too much to follow every path)`;
  assume(b, `${why}; this branch was stopped at ${where}`);
  b.reason = `${why}; stopped at ${where}`;
  return { b, end: 'DROP' };
}

interface Matched {
  /** Chance the rule's target is taken (1 unless statistic). */
  readonly p: number;
  readonly notes: readonly string[];
}

/** The rule needs a match nobody decides: the branch splits into two cases. */
interface Split {
  readonly split: UndecidedTest;
}

function evalRule(ctx: WalkCtx, cr: CompiledRule, b: Branch, env: HookEnv): Matched | Split | null {
  const notes = ctx.scratch;
  notes.length = 0;
  let p = 1;
  let assumedFalse = false;
  for (const c of cr.conds) {
    const before = notes.length;
    const v = c(b, env, ctx.match, notes);
    if (v === true) continue;
    if (v === false) {
      // A certain "no" ends it; a "no" resting on an assumption is recorded if it decides.
      if (notes.length === before) return null;
      assumedFalse = true;
      continue;
    }
    p *= v;
  }
  if (!assumedFalse && p > 0) {
    for (const t of cr.tests) {
      const v = decideTest(ctx, cr, t, b, env, notes);
      if (v === 'split') return { split: t };
      if (v === t.negated) assumedFalse = true;
      if (assumedFalse) break;
    }
  }
  if (assumedFalse) {
    for (const n of notes) assume(b, n);
    return null;
  }
  if (p <= 0) return null;
  return { p, notes: notes.slice() };
}

/** The truth of an undecided match for this branch (before the rule's "!"); see decideUndecided. */
function decideTest(ctx: WalkCtx, cr: CompiledRule, t: UndecidedTest, b: Branch, env: HookEnv, notes: string[]): boolean | 'split' {
  const byContext = t.byContext;
  return decideUndecided(ctx, cr.where, t, b.decided, byContext ? () => byContext.answer(b, env) : null, notes);
}

/** Puts the branch in the case where `t` is `value`, and says so in its assumptions. */
function decide(b: Branch, t: UndecidedTest, value: boolean, where: string): void {
  b.decided.push({ name: t.name, value });
  assume(b, caseNote(where, t, value));
}

type TargetResult =
  | 'next'
  | { readonly kind: 'end'; readonly ended: Ended }
  | { readonly kind: 'sub'; readonly results: Ended[]; readonly goto: boolean };

function step(b: Branch, cr: CompiledRule, target: string, goto = false): void {
  const r = cr.rule;
  // A jump --kube-jumps added: the path holds a rule the dump does not.
  if (r.line === ASSUMED_LINE) assume(b, `${r.table} ${r.chain}: assumed kube-proxy's jump (--kube-jumps), not in the dump: ${r.text}`);
  b.path.push({
    table: r.table,
    chain: r.chain,
    rule: r.index,
    target,
    line: r.line,
    ...(cr.comment !== undefined ? { comment: cr.comment } : {}),
    ...(goto ? { goto: true } : {}),
  });
}

function applyTarget(
  ctx: WalkCtx,
  table: Table,
  chain: Chain,
  cr: CompiledRule,
  b: Branch,
  env: HookEnv,
  frames: Frame | null,
): TargetResult {
  const a = cr.action;
  const end = (e: End): TargetResult => ({ kind: 'end', ended: { b, end: e } });
  switch (a.kind) {
    case 'none':
      return 'next';
    case 'verdict':
      step(b, cr, a.verdict);
      if (a.verdict !== 'ACCEPT') b.reason = verdictReason(cr, b, a.verdict, ctx.dropBit);
      return end(a.verdict);
    case 'return':
      step(b, cr, 'RETURN');
      return end('return');
    case 'continue':
      step(b, cr, cr.rule.target ?? '');
      if (a.note) assume(b, a.note);
      return 'next';
    case 'mark': {
      step(b, cr, 'MARK');
      setMark(ctx, b, a.op(b.mark), cr, frames);
      return 'next';
    }
    case 'connmark':
      step(b, cr, 'CONNMARK');
      a.apply(b);
      return 'next';
    case 'notrack':
      step(b, cr, cr.rule.target ?? 'NOTRACK');
      b.untracked = true;
      return 'next';
    case 'queue':
      step(b, cr, cr.rule.target ?? 'NFQUEUE');
      assume(b, `${cr.where}: ${cr.rule.target} hands the packet to a userspace program; assumed it accepts`);
      return end('ACCEPT');
    case 'dnat':
      step(b, cr, cr.rule.target ?? 'DNAT');
      if (!applyDnat(ctx, cr, b, env)) return 'next';
      return end('ACCEPT');
    case 'snat':
      step(b, cr, a.masquerade ? 'MASQUERADE' : 'SNAT');
      b.masquerade = true;
      b.snatted = true;
      b.natRule = ruleRef(cr.rule, cr.comment);
      b.natAction = a.masquerade ? 'masqueraded' : `SNAT to ${a.to ?? '?'}`;
      return end('ACCEPT');
    case 'jump':
      return jump(ctx, table, chain, cr, b, env, frames, a.chain, a.goto);
  }
}

function jump(
  ctx: WalkCtx,
  table: Table,
  chain: Chain,
  cr: CompiledRule,
  b: Branch,
  env: HookEnv,
  frames: Frame | null,
  name: string,
  goto: boolean,
): TargetResult {
  step(b, cr, name, goto);
  const target = table.chainsByName.get(name);
  if (!target) {
    // kube-proxy's partial dumps jump to chains they do not declare.
    if (name === 'KUBE-MARK-MASQ' || name === 'KUBE-MARK-DROP') {
      const bit = name === 'KUBE-MARK-MASQ' ? ctx.masqBit : ctx.dropBit;
      assume(b, `${name} is not in the dump; assumed it sets mark 0x${bit.toString(16)} (--or-mark)`);
      setMark(ctx, b, (b.mark | bit) >>> 0, cr, null);
    } else {
      assume(b, `${cr.where}: jump to ${name}, which is not in the dump; treated as an empty chain`);
    }
    return 'next';
  }
  // Is the target already on the call stack? Checked without building the stack (this runs on every jump).
  let looped = chain.name === name;
  for (let f = frames; f && !looped; f = f.parent) looped = f.chain === name;
  if (looped) {
    const stack: string[] = [chain.name];
    for (let f = frames; f; f = f.parent) stack.push(f.chain);
    const loopAt = stack.indexOf(name);
    const cycle = [...stack.slice(0, loopAt + 1).reverse(), name].join(' -> ');
    assume(b, `loop in the jump graph: ${cycle} (${cr.where}); branch stopped`);
    b.reason = `loop in the jump graph: ${cycle}; the kernel refuses such a ruleset, this branch was stopped`;
    return { kind: 'end', ended: { b, end: 'DROP' } };
  }
  const depth = (frames?.depth ?? 0) + 1;
  if (depth > ctx.maxDepth) {
    assume(b, `jump depth limit ${ctx.maxDepth} reached at ${cr.where}; branch stopped`);
    b.reason = `jump depth limit ${ctx.maxDepth} reached at ${cr.where}`;
    return { kind: 'end', ended: { b, end: 'DROP' } };
  }
  const results = runChain(ctx, table, target, b, env, { chain: chain.name, rule: cr, parent: frames, depth });
  return { kind: 'sub', results, goto };
}

/** Sets the mark and remembers which rule first set the masquerade/drop bits (for reasons). */
function setMark(ctx: WalkCtx, b: Branch, mark: number, cr: CompiledRule, frames: Frame | null): void {
  const old = b.mark;
  b.mark = mark;
  const newly = (mark & ~old) >>> 0;
  if (newly === 0) return;
  // A MARK inside KUBE-MARK-* was asked for by the rule that jumped there.
  const who: RuleRef =
    frames && cr.rule.chain.startsWith('KUBE-MARK-') ? ruleRef(frames.rule.rule, frames.rule.comment) : ruleRef(cr.rule, cr.comment);
  if (newly & ctx.masqBit && !b.masqMarkedBy) b.masqMarkedBy = who;
  if (newly & ctx.dropBit && !b.dropMarkedBy) b.dropMarkedBy = who;
}

/** DNAT/REDIRECT: rewrites destination address and port. False when the spec cannot be read. */
function applyDnat(ctx: WalkCtx, cr: CompiledRule, b: Branch, env: HookEnv): boolean {
  const a = cr.action;
  if (a.kind !== 'dnat') return false;
  let addr: string | null;
  let port: number | null;
  let ranged = false;
  if (a.redirect) {
    // REDIRECT goes to the node itself: loopback for local traffic, else the in-interface's address.
    if (env.hook === 'OUTPUT') addr = ctx.family === 'ipv4' ? '127.0.0.1' : '::1';
    else {
      addr = LocalAddresses.firstOf(ctx.localAddresses, ctx.family) ?? (ctx.family === 'ipv4' ? '127.0.0.1' : '::1');
      assume(b, `${cr.where}: REDIRECT sends to the in-interface's primary address; assumed ${addr}`);
    }
    const ports = a.toPorts === null ? null : parsePortSpec(a.toPorts);
    if (ports?.ranged) ranged = true;
    port = ports?.first ?? null;
  } else {
    const spec = a.to === null ? null : parseNatSpec(a.to, ctx.family);
    if (!spec) {
      assume(b, `${cr.where}: DNAT --to-destination ${a.to ?? '(missing)'} not understood; destination left unchanged`);
      return false;
    }
    addr = spec.addr;
    port = spec.port;
    ranged = spec.ranged;
  }
  if (ranged) assume(b, `${cr.where}: ${cr.rule.target} to a range; the first address/port was taken`);
  const newAddr = addr ?? b.dst;
  const bytes = parseIp(newAddr);
  if (!bytes) {
    assume(b, `${cr.where}: ${cr.rule.target} address ${newAddr} not understood; destination left unchanged`);
    return false;
  }
  b.dst = newAddr;
  b.dstBytes = bytes;
  if (port !== null) b.dport = port;
  b.dnatted = true;
  b.dnat = hostPort(newAddr, b.dport);
  b.endpointChain = cr.rule.chain.startsWith('KUBE-SEP-') ? cr.rule.chain : null;
  return true;
}

interface NatSpec {
  readonly addr: string | null;
  readonly port: number | null;
  readonly ranged: boolean;
}

/** `ip`, `ip:port`, `ip-ip:port-port`, `[v6]:port`, bare `v6`, `:port`. */
export function parseNatSpec(text: string, family: Family): NatSpec | null {
  const hp = splitHostPort(text);
  // A bare IPv6 address in an IPv4 rule is no address at all.
  if (hp === null || (family === 'ipv4' && !hp.bracketed && hp.host.includes(':'))) return null;
  const addrPart = hp.host;
  const portPart = hp.port;
  let ranged = false;
  let addr: string | null = null;
  if (addrPart !== '') {
    const dash = addrPart.indexOf('-');
    if (dash >= 0) ranged = true;
    addr = dash >= 0 ? addrPart.slice(0, dash) : addrPart;
    if (!parseIp(addr)) return null;
  }
  let port: number | null = null;
  if (portPart !== null) {
    const ps = parsePortSpec(portPart);
    if (!ps) return null;
    port = ps.first;
    ranged ||= ps.ranged;
  }
  if (addr === null && port === null) return null;
  return { addr, port, ranged };
}

function parsePortSpec(text: string): { first: number; ranged: boolean } | null {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return null;
  const first = Number(m[1]);
  if (first > 65535) return null;
  return { first, ranged: m[2] !== undefined && m[2] !== m[1] };
}
