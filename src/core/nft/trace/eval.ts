/**
 * What an nft expression is for one packet, and whether a match or a set lookup holds. Headers
 * the packet does not have make the expression "absent" (nft's implicit dependencies: `tcp dport`
 * only matches TCP, `ip saddr` only IPv4), so the rule does not match, whatever its operator.
 */
import { compareIp, inCidr, type IpBytes, type LocalAddresses } from '../../trace/addr.js';
import { anonymousEntry, anonymousSet, body, field, kindOf } from '../expr.js';
import type { NftElement, NftExpr, NftSet } from '../types.js';
import { cidrOf, ipKey, ipOf, numberOf, protocolNumberOf } from '../values.js';
import type { NftBranch } from './branch.js';

export type Value =
  | { readonly t: 'ip'; readonly bytes: IpBytes }
  | { readonly t: 'num'; readonly n: number }
  | { readonly t: 'str'; readonly s: string }
  | { readonly t: 'concat'; readonly parts: readonly Value[] }
  /** numgen: each of `values` with the same chance. */
  | { readonly t: 'random'; readonly values: readonly number[]; readonly mode: string }
  /** Flag bits (ct status): those set, among those the tracer knows. */
  | { readonly t: 'flags'; readonly set: readonly string[]; readonly known: readonly string[] }
  /** The packet has no such header: nothing about it matches. */
  | { readonly t: 'absent' }
  /** Something the tracer does not model. */
  | { readonly t: 'unknown' };

export const ABSENT: Value = { t: 'absent' };
export const UNKNOWN: Value = { t: 'unknown' };

/** Where the packet is: the hook and the interfaces the kernel would show. */
export interface NftEnv {
  readonly hook: string;
  readonly iif: string;
  readonly iifAssumed: boolean;
  readonly oif: string;
  readonly oifAssumed: boolean;
}

export interface EvalCtx {
  readonly v6: boolean;
  readonly protocol: number;
  readonly local: LocalAddresses;
}

/** Largest `numgen … mod N` followed value by value. */
export const MAX_NUMGEN_MOD = 65_536;

const PORT_PROTOCOLS = new Set([6, 17, 132, 136]);
const L4_NAMES: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, udplite: 136 };
/** Transport headers the tracer does not read, by protocol number. */
const OTHER_L4: Readonly<Record<string, number>> = { icmp: 1, icmpv6: 58, igmp: 2, dccp: 33, esp: 50, ah: 51, comp: 108 };

/** The value of `e` for branch `b`; `notes` gets what the value rests on (an assumed interface). */
export function evalExpr(ctx: EvalCtx, b: NftBranch, env: NftEnv, e: NftExpr | undefined, notes: string[]): Value {
  if (typeof e === 'number') return { t: 'num', n: e };
  if (typeof e === 'string') {
    const n = numberOf(e);
    return n !== null ? { t: 'num', n } : { t: 'str', s: e };
  }
  const kind = kindOf(e);
  const x = kind === null ? undefined : body(e, kind);
  switch (kind) {
    case 'payload': {
      const proto = field(x, 'protocol');
      const f = field(x, 'field');
      if (proto === 'ip' || proto === 'ip6') {
        if ((proto === 'ip6') !== ctx.v6) return ABSENT;
        if (f === 'saddr') return { t: 'ip', bytes: b.srcBytes };
        if (f === 'daddr') return { t: 'ip', bytes: b.dstBytes };
        if (f === 'protocol' || f === 'nexthdr') return { t: 'num', n: ctx.protocol };
        return UNKNOWN;
      }
      if (proto === 'th' || (typeof proto === 'string' && proto in L4_NAMES)) {
        if (proto === 'th' ? !PORT_PROTOCOLS.has(ctx.protocol) : L4_NAMES[proto as string] !== ctx.protocol) return ABSENT;
        if (f === 'dport') return { t: 'num', n: b.dport };
        if (f === 'sport') return { t: 'num', n: b.sport };
        // A connection's first TCP packet is a bare SYN; later ones are not known.
        if (f === 'flags' && proto === 'tcp' && b.ctstate === 'NEW') return { t: 'str', s: 'syn' };
        return UNKNOWN;
      }
      // Another protocol's header (`icmp type …` on a TCP packet) is not there: no match.
      if (typeof proto === 'string' && proto in OTHER_L4 && OTHER_L4[proto] !== ctx.protocol) return ABSENT;
      return UNKNOWN;
    }
    case 'meta': {
      const key = field(x, 'key');
      switch (key) {
        case 'l4proto':
          return { t: 'num', n: ctx.protocol };
        case 'nfproto':
          return { t: 'str', s: ctx.v6 ? 'ipv6' : 'ipv4' };
        case 'protocol':
          return { t: 'str', s: ctx.v6 ? 'ip6' : 'ip' };
        case 'mark':
          return { t: 'num', n: b.mark };
        case 'pkttype': {
          // Routed unicast arrives for the node's own MAC ("host"); only the address tells the rest.
          const d = addressType(b.dstBytes);
          return { t: 'str', s: d === 'unicast' ? 'host' : d };
        }
        case 'iifname':
        case 'iif':
          if (env.iif === '') return ABSENT;
          if (env.iifAssumed) notes.push(`the packet is taken to arrive on ${env.iif} (no interface given)`);
          return { t: 'str', s: env.iif };
        case 'oifname':
        case 'oif':
          if (env.oif === '') return ABSENT;
          if (env.oifAssumed) notes.push(`the packet is taken to leave by ${env.oif} (the route is not known)`);
          return { t: 'str', s: env.oif };
        default:
          return UNKNOWN;
      }
    }
    case 'ct': {
      const key = field(x, 'key');
      if (field(x, 'dir') !== undefined) return UNKNOWN;
      if (key === 'state') return { t: 'str', s: b.untracked ? 'untracked' : b.ctstate.toLowerCase() };
      if (key === 'mark') return { t: 'num', n: b.ctmark };
      if (key === 'status') {
        // Only the NAT bits are known: a new connection is not yet confirmed, assured or seen-reply.
        const flags = [...(b.dstNatDone ? ['dnat'] : []), ...(b.srcNatDone ? ['snat'] : [])];
        return { t: 'flags', set: flags, known: ['dnat', 'snat'] };
      }
      return UNKNOWN;
    }
    case 'fib': {
      const flags = field(x, 'flags');
      const list = Array.isArray(flags) ? (flags as readonly NftExpr[]) : [flags];
      if (field(x, 'result') !== 'type') return UNKNOWN;
      const addr = list.includes('saddr') ? b.srcBytes : list.includes('daddr') ? b.dstBytes : null;
      if (addr === null) return UNKNOWN;
      const local = ctx.local.has(addr);
      // "local on the interface" (iif/oif): a local address may be another interface's.
      if (local && (list.includes('iif') || list.includes('oif'))) return UNKNOWN;
      return { t: 'str', s: local ? 'local' : addressType(addr) };
    }
    case 'numgen': {
      const mod = numberOf(field(x, 'mod'));
      const offset = numberOf(field(x, 'offset')) ?? 0;
      const mode = field(x, 'mode');
      // A modulus beyond any endpoint count is not kube-proxy's and would be a branch per number.
      if (mod === null || mod <= 0 || mod > MAX_NUMGEN_MOD || (mode !== 'random' && mode !== 'inc')) return UNKNOWN;
      return { t: 'random', values: Array.from({ length: mod }, (_, i) => offset + i), mode };
    }
    case 'concat': {
      if (!Array.isArray(x)) return UNKNOWN;
      const parts: Value[] = [];
      for (const p of x as readonly NftExpr[]) {
        const v = evalExpr(ctx, b, env, p, notes);
        if (v.t === 'absent' || v.t === 'unknown') return v;
        if (v.t === 'random' || v.t === 'concat') return UNKNOWN;
        parts.push(v);
      }
      return { t: 'concat', parts };
    }
    case '&':
    case '|':
    case '^':
    case '<<':
    case '>>': {
      if (!Array.isArray(x) || x.length !== 2) return UNKNOWN;
      const [l, r] = (x as readonly NftExpr[]).map((y) => evalExpr(ctx, b, env, y, notes));
      if (l!.t === 'absent' || r!.t === 'absent') return ABSENT;
      if (l!.t !== 'num' || r!.t !== 'num') return UNKNOWN;
      return { t: 'num', n: binary(kind, l!.n, r!.n) };
    }
    default:
      return UNKNOWN;
  }
}

export function binary(op: string, a: number, b: number): number {
  switch (op) {
    case '&': return (a & b) >>> 0;
    case '|': return (a | b) >>> 0;
    case '^': return (a ^ b) >>> 0;
    case '<<': return (a << b) >>> 0;
    default: return a >>> b;
  }
}

function addressType(addr: IpBytes): string {
  if (addr.length === 4) {
    if (addr[0]! >= 224 && addr[0]! < 240) return 'multicast';
    if (addr.every((x) => x === 255)) return 'broadcast';
    return 'unicast';
  }
  return addr[0] === 0xff ? 'multicast' : 'unicast';
}

/** Does one element part (a value, prefix, range, wildcard name) hold `v`? 'unknown' when the forms do not compare. */
export function partHolds(v: Value, part: NftExpr): boolean | 'unknown' {
  const range = body(part, 'range');
  if (v.t === 'ip') {
    const cidr = cidrOf(part);
    if (cidr) return inCidr(v.bytes, cidr);
    if (Array.isArray(range)) {
      const lo = ipOf((range as readonly NftExpr[])[0]);
      const hi = ipOf((range as readonly NftExpr[])[1]);
      if (!lo || !hi) return 'unknown';
      return lo.length === v.bytes.length && compareIp(lo, v.bytes) <= 0 && compareIp(v.bytes, hi) <= 0;
    }
    const ip = ipOf(part);
    return ip ? ip.length === v.bytes.length && compareIp(ip, v.bytes) === 0 : 'unknown';
  }
  if (v.t === 'num') {
    if (Array.isArray(range)) {
      const lo = protocolNumberOf((range as readonly NftExpr[])[0]);
      const hi = protocolNumberOf((range as readonly NftExpr[])[1]);
      return lo === null || hi === null ? 'unknown' : lo <= v.n && v.n <= hi;
    }
    const n = protocolNumberOf(part);
    return n === null ? 'unknown' : n === v.n;
  }
  if (v.t === 'str') {
    if (typeof part !== 'string') return 'unknown';
    if (part.endsWith('*')) return v.s.startsWith(part.slice(0, -1));
    return part === v.s;
  }
  return 'unknown';
}

/** Does an element key (maybe a concatenation) hold `v`? */
export function keyHolds(v: Value, key: NftExpr): boolean | 'unknown' {
  if (v.t === 'concat') {
    const c = body(key, 'concat');
    const parts = Array.isArray(c) ? (c as readonly NftExpr[]) : null;
    if (!parts || parts.length !== v.parts.length) return 'unknown';
    let unknown = false;
    for (let i = 0; i < parts.length; i++) {
      const h = partHolds(v.parts[i]!, parts[i]!);
      if (h === false) return false;
      if (h === 'unknown') unknown = true;
    }
    return unknown ? 'unknown' : true;
  }
  return partHolds(v, key);
}

/** A value as an exact-lookup key; element parts that are prefixes, ranges or wildcards have none. */
function valueKey(v: Value): string | null {
  switch (v.t) {
    case 'ip': return `i${ipKey(v.bytes)}`;
    case 'num': return `n${v.n}`;
    case 'str': return `s${v.s}`;
    case 'concat': {
      const parts = v.parts.map(valueKey);
      return parts.every((p) => p !== null) ? parts.join('\u0000') : null;
    }
    default: return null;
  }
}

/** An element part's exact key, read the way the looked-up value's part is typed. */
function partKey(part: NftExpr, like: Value): string | null {
  if (like.t === 'ip') {
    const ip = ipOf(part);
    return ip ? `i${ipKey(ip)}` : null;
  }
  if (like.t === 'num') {
    const n = protocolNumberOf(part);
    return n === null ? null : `n${n}`;
  }
  if (like.t === 'str') return typeof part === 'string' && !part.endsWith('*') ? `s${part}` : null;
  return null;
}

function elementKey(key: NftExpr, like: Value): string | null {
  if (like.t !== 'concat') return partKey(key, like);
  const c = body(key, 'concat');
  if (!Array.isArray(c) || c.length !== like.parts.length) return null;
  const parts = (c as readonly NftExpr[]).map((p, i) => partKey(p, like.parts[i]!));
  return parts.every((p) => p !== null) ? parts.join('\u0000') : null;
}

/** A named set's elements by exact key (built once per set and shape of value), plus the ones that need a scan. */
interface SetIndex {
  readonly exact: Map<string, NftElement>;
  readonly scan: NftElement[];
}

const setIndexes = new WeakMap<NftSet, Map<string, SetIndex>>();

function shapeOf(v: Value): string {
  return v.t === 'concat' ? v.parts.map((p) => p.t).join('.') : v.t;
}

function indexOf(set: NftSet, like: Value): SetIndex {
  let byShape = setIndexes.get(set);
  if (!byShape) setIndexes.set(set, (byShape = new Map()));
  const shape = shapeOf(like);
  let idx = byShape.get(shape);
  if (!idx) {
    idx = { exact: new Map(), scan: [] };
    for (const el of set.elements) {
      const k = elementKey(el.key, like);
      if (k === null) idx.scan.push(el);
      else if (!idx.exact.has(k)) idx.exact.set(k, el);
    }
    byShape.set(shape, idx);
  }
  return idx;
}

/** The element of a named set or map holding `v`: the element, null for none, 'unknown' when an element cannot be compared. */
export function lookupNamed(set: NftSet, v: Value): NftElement | null | 'unknown' {
  const key = valueKey(v);
  if (key === null) return 'unknown';
  const idx = indexOf(set, v);
  const hit = idx.exact.get(key);
  if (hit) return hit;
  let unknown = false;
  for (const el of idx.scan) {
    const h = keyHolds(v, el.key);
    if (h === true) return el;
    if (h === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : null;
}

/** The entry of an anonymous set or map ({"set": [...]}) holding `v`. */
export function lookupAnonymous(entries: readonly NftExpr[], v: Value): { key: NftExpr; data: NftExpr | null; comment: string | null } | null | 'unknown' {
  let unknown = false;
  for (const raw of entries) {
    const entry = anonymousEntry(raw);
    const h = keyHolds(v, entry.key);
    if (h === true) return entry;
    if (h === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : null;
}

/** Whether `v` is in the right-hand side of a match that is not a named set: a value, prefix, range, set or flag list. */
export function rightHolds(v: Value, right: NftExpr | undefined): boolean | 'unknown' {
  if (right === undefined) return 'unknown';
  if (v.t === 'flags') {
    // `ct status dnat`: any of the named bits set.
    const names = Array.isArray(right) ? (right as readonly NftExpr[]) : anonymousSet(right) ?? [right];
    if (!names.every((n) => typeof n === 'string' && v.known.includes(n))) return 'unknown';
    return names.some((n) => v.set.includes(n as string));
  }
  const entries = anonymousSet(right) ?? (Array.isArray(right) && kindOf(right) === null ? (right as readonly NftExpr[]) : null);
  if (entries !== null) {
    const hit = lookupAnonymous(entries, v);
    return hit === 'unknown' ? 'unknown' : hit !== null;
  }
  return keyHolds(v, right);
}
