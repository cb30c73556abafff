/** What a rule does to the packet besides its verdict: marks, NAT, and the iptables-nft targets `nft -j` names. */
import { hostPort, parseIp } from '../../trace/addr.js';
import { body, exprText, field } from '../expr.js';
import type { NftStatement } from '../types.js';
import { numberOf } from '../values.js';
import { noteOn, type NftBranch } from './branch.js';
import { evalExpr } from './eval.js';
import { dropReason } from './reasons.js';
import { makeStep, where, type End, type NftWalkCtx, type RuleCtx } from './rule-ctx.js';

/** iptables-nft statements `nft -j` keeps as {"xt": {type, name}}, without their options. */
const XT_NO_EFFECT = new Set(['LOG', 'NFLOG', 'TRACE', 'AUDIT']);

/**
 * What an xt statement does when its name alone tells: `-m comment` always matches, MASQUERADE
 * and REJECT need no options; DNAT/SNAT/REDIRECT end the chain as NAT does, but where to is lost
 * in the JSON; MARK/CONNMARK set a value it does not show. Anything else is undecided.
 */
export function xtStatement(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, stmt: NftStatement): 'continue' | 'next' | End | 'undecided' {
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

/** meta mark / ct mark set …: returns whether the packet changed. */
export function applyMangle(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, stmt: NftStatement): boolean {
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
  const newBits = (v.n & ~b.mark) >>> 0;
  const unset = b.markSetters.reduce((all, s) => (all | s.bits) >>> 0, 0);
  const firstSet = (newBits & ~unset) >>> 0;
  // kube-proxy's mark-for-masquerade is jumped to: who asked is the rule that jumped.
  if (firstSet !== 0) b.markSetters = [...b.markSetters, { bits: firstSet, by: rc.entry ?? makeStep(rc, 'MARK') }];
  b.clearedBits = (b.mark & ~v.n) >>> 0;
  b.mark = v.n;
  return true;
}

export function applyNat(ctx: NftWalkCtx, rc: RuleCtx, b: NftBranch, kind: string, stmt: NftStatement): End {
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
