/**
 * Statements back to nft's text syntax, the way `nft list ruleset` (1.0.6) prints them:
 * `meta mark set meta mark | 0x00004000`, `ip daddr 10.32.0.0/16`, `dnat to [fd00::1]:80`,
 * `numgen random mod 2 vmap { 0 : goto a, 1 : goto b }`. The JSON form's rule text comes from here.
 */
import type { NftElement, NftExpr, NftStatement } from '../types.js';

const UNQUALIFIED_META = new Set(['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup']);
const NAME_TYPED_META = new Set(['iif', 'oif', 'iifname', 'oifname', 'iifkind', 'oifkind', 'sdifname']);

type Obj = { readonly [k: string]: NftExpr };

function asObj(e: NftExpr): Obj | null {
  return e !== null && typeof e === 'object' && !Array.isArray(e) ? (e as Obj) : null;
}

function onlyKey(o: Obj): string | undefined {
  for (const k in o) return k;
  return undefined;
}

/** Context for values: marks print as 0x%08x, interface names in quotes. */
interface ValueStyle {
  readonly hex: boolean;
  readonly quote: boolean;
}

const PLAIN: ValueStyle = { hex: false, quote: false };

function styleOf(e: NftExpr): ValueStyle {
  const o = asObj(e);
  if (!o) return PLAIN;
  const meta = asObj(o.meta ?? null);
  if (meta) {
    const key = meta.key;
    if (key === 'mark') return { hex: true, quote: false };
    if (typeof key === 'string' && NAME_TYPED_META.has(key)) return { hex: false, quote: true };
    return PLAIN;
  }
  const ct = asObj(o.ct ?? null);
  if (ct) return ct.key === 'mark' ? { hex: true, quote: false } : PLAIN;
  for (const op of ['&', '|', '^', '<<', '>>']) {
    const args = o[op];
    if (Array.isArray(args) && args.length > 0) return styleOf(args[0]!);
  }
  return PLAIN;
}

function isBinop(e: NftExpr): boolean {
  const o = asObj(e);
  if (!o) return false;
  const k = onlyKey(o);
  return k === '&' || k === '|' || k === '^' || k === '<<' || k === '>>';
}

/** Bitmask types (ct state, ct status, tcp flags). */
function isFlagTyped(e: NftExpr): boolean {
  const o = asObj(e);
  if (!o) return false;
  const ct = asObj(o.ct ?? null);
  if (ct) return ct.key === 'state' || ct.key === 'status';
  const p = asObj(o.payload ?? null);
  return p !== null && p.protocol === 'tcp' && p.field === 'flags';
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

function quoteString(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/** One value or expression as nft prints it. */
export function nftExprText(e: NftExpr, style: ValueStyle = PLAIN): string {
  if (e === null) return 'null';
  if (typeof e === 'string') return style.quote && !e.startsWith('@') ? quoteString(e) : e;
  if (typeof e === 'number') return style.hex ? hex32(e) : String(e);
  if (typeof e === 'boolean') return e ? 'true' : 'false';
  if (Array.isArray(e)) return e.map((x) => nftExprText(x, style)).join(',');
  const o = e as Obj;
  const kind = onlyKey(o);
  if (kind === undefined) return '';
  const v = o[kind]!;
  const body = asObj(v);
  switch (kind) {
    case 'payload':
      if (body && typeof body.protocol === 'string') return `${body.protocol} ${String(body.field)}`;
      if (body && typeof body.base === 'string') return `@${body.base},${String(body.offset)},${String(body.len)}`;
      break;
    case 'meta':
      if (body && typeof body.key === 'string') return UNQUALIFIED_META.has(body.key) ? body.key : `meta ${body.key}`;
      break;
    case 'ct':
      if (body && typeof body.key === 'string') return body.dir ? `ct ${String(body.dir)} ${body.key}` : `ct ${body.key}`;
      break;
    case 'fib':
      if (body) {
        const flags = Array.isArray(body.flags) ? body.flags.map(String).join(' . ') : String(body.flags);
        return `fib ${flags} ${String(body.result)}`;
      }
      break;
    case 'numgen':
      if (body) {
        const offset = typeof body.offset === 'number' && body.offset !== 0 ? ` offset ${body.offset}` : '';
        return `numgen ${String(body.mode)} mod ${String(body.mod)}${offset}`;
      }
      break;
    case 'prefix':
      if (body) return `${nftExprText(body.addr ?? null)}/${String(body.len)}`;
      break;
    case 'range':
      if (Array.isArray(v) && v.length === 2) return `${nftExprText(v[0]!, style)}-${nftExprText(v[1]!, style)}`;
      break;
    case 'concat':
      if (Array.isArray(v)) return v.map((x) => nftExprText(x)).join(' . ');
      break;
    case 'set':
      if (Array.isArray(v)) return `{ ${v.map((x) => setItemText(x, style)).join(', ')} }`;
      return nftExprText(v, style);
    case 'elem':
      if (body) return elemText(body, style);
      break;
    case 'map':
      if (body) return `${nftExprText(body.key ?? null)} map ${nftExprText(body.data ?? null)}`;
      break;
    case '&':
    case '|':
    case '^':
    case '<<':
    case '>>':
      if (Array.isArray(v) && v.length === 2) {
        const s = styleOf(v[0]!);
        return `${nftExprText(v[0]!, s)} ${kind} ${nftExprText(v[1]!, s)}`;
      }
      break;
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
    case 'jump':
    case 'goto':
      return nftStatementText(o);
    default:
      break;
  }
  return JSON.stringify(e);
}

function setItemText(x: NftExpr, style: ValueStyle): string {
  if (Array.isArray(x) && x.length === 2) {
    const data = asObj(x[1]!);
    const dataText = data && isVerdict(data) ? nftStatementText(data) : nftExprText(x[1]!);
    return `${nftExprText(x[0]!, style)} : ${dataText}`;
  }
  return nftExprText(x, style);
}

function isVerdict(o: Obj): boolean {
  const k = onlyKey(o);
  return k === 'accept' || k === 'drop' || k === 'return' || k === 'continue' || k === 'jump' || k === 'goto' || k === 'queue';
}

function elemText(body: Obj, style: ValueStyle): string {
  let s = nftExprText(body.val ?? null, style);
  if (typeof body.timeout === 'number') s += ` timeout ${nftDurationText(body.timeout)}`;
  if (typeof body.expires === 'number') s += ` expires ${nftDurationText(body.expires)}`;
  if (typeof body.comment === 'string') s += ` comment ${quoteString(body.comment)}`;
  return s;
}

/** Seconds as nft prints durations: 10800 → `3h`, 10799.776 → `2h59m59s776ms`. */
export function nftDurationText(seconds: number): string {
  let ms = Math.round(seconds * 1000);
  if (ms === 0) return '0s';
  let out = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(ms / size);
    if (n > 0) {
      out += `${n}${unit}`;
      ms -= n * size;
    }
  }
  return out;
}

function natAddrText(body: Obj): string {
  const addr = body.addr;
  const port = body.port;
  const addrObj = asObj(addr ?? null);
  let a = '';
  if (addr !== undefined && addr !== null) {
    a = addrObj && 'map' in addrObj ? nftExprText(addr) : nftExprText(addr);
    if (port !== undefined && typeof addr === 'string' && addr.includes(':')) a = `[${a}]`;
  }
  if (port !== undefined && port !== null) a += `:${nftExprText(port)}`;
  return a;
}

function flagsText(flags: NftExpr | undefined): string {
  if (flags === undefined || flags === null) return '';
  return ' ' + (Array.isArray(flags) ? flags.map(String).join(',') : String(flags));
}

/** One statement as nft prints it. */
export function nftStatementText(stmt: NftStatement): string {
  const kind = onlyKey(stmt);
  if (kind === undefined) return '';
  const v = stmt[kind]!;
  const body = asObj(v);
  switch (kind) {
    case 'match': {
      if (!body) break;
      const left = body.left ?? null;
      const right = body.right ?? null;
      const op = String(body.op);
      const style = styleOf(left);
      // (flags & mask) == value prints as `tcp flags value / mask`
      const bitAnd = asObj(left);
      const masked = bitAnd && Array.isArray(bitAnd['&']) ? (bitAnd['&'] as NftExpr[]) : null;
      if (op === '==' && masked && masked.length === 2 && isFlagTyped(masked[0]!)) {
        return `${nftExprText(masked[0]!)} ${nftExprText(right)} / ${nftExprText(masked[1]!)}`;
      }
      if (typeof right === 'boolean' && asObj(left) && 'fib' in asObj(left)!) {
        return `${nftExprText(left)}${op === '!=' ? ' != ' : ' '}${right ? 'exists' : 'missing'}`;
      }
      // nft prints `==` after a binary operation (`meta mark & 0x4000 == 0`) and before a single flag value
      const eqShown = op === '==' && (isBinop(left) || (isFlagTyped(left) && !(asObj(right) && 'set' in asObj(right)!)));
      const sep = op === 'in' || (op === '==' && !eqShown) ? ' ' : ` ${op} `;
      return `${nftExprText(left)}${sep}${nftExprText(right, style)}`;
    }
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
      return kind;
    case 'jump':
    case 'goto':
      return `${kind} ${body ? String(body.target) : ''}`;
    case 'vmap':
      if (body) return `${nftExprText(body.key ?? null)} vmap ${nftExprText(body.data ?? null, styleOf(body.key ?? null))}`;
      break;
    case 'counter':
      if (v === null) return 'counter';
      if (body) return `counter packets ${String(body.packets)} bytes ${String(body.bytes)}`;
      break;
    case 'mangle':
      if (body) {
        const key = body.key ?? null;
        return `${nftExprText(key)} set ${nftExprText(body.value ?? null, styleOf(key))}`;
      }
      break;
    case 'dnat':
    case 'snat': {
      if (!body) return kind;
      const fam = typeof body.family === 'string' ? ` ${body.family}` : '';
      const to = body.addr !== undefined || body.port !== undefined ? ` to ${natAddrText(body)}` : '';
      return `${kind}${fam}${to}${flagsText(body.flags)}`;
    }
    case 'masquerade':
    case 'redirect': {
      if (!body) return kind;
      const to = body.port !== undefined ? ` to :${nftExprText(body.port)}` : '';
      return `${kind}${to}${flagsText(body.flags)}`;
    }
    case 'reject': {
      if (!body) return 'reject';
      if (body.type === 'tcp reset') return 'reject with tcp reset';
      if (body.expr === 'port-unreachable' || body.expr === undefined) return 'reject';
      return `reject with ${String(body.type)} ${nftExprText(body.expr ?? null)}`;
    }
    case 'set':
      if (body) return `${String(body.op)} ${String(body.set)} { ${nftExprText(body.elem ?? null)} }`;
      break;
    case 'notrack':
      return 'notrack';
    case 'log': {
      if (!body) return 'log';
      let s = 'log';
      if (typeof body.prefix === 'string') s += ` prefix ${quoteString(body.prefix)}`;
      if (body.level !== undefined) s += ` level ${String(body.level)}`;
      if (body.group !== undefined) s += ` group ${String(body.group)}`;
      if (body.snaplen !== undefined) s += ` snaplen ${String(body.snaplen)}`;
      if (body['queue-threshold'] !== undefined) s += ` queue-threshold ${String(body['queue-threshold'])}`;
      if (Array.isArray(body.flags)) s += ` flags ${body.flags.map(String).join(',')}`;
      return s;
    }
    case 'limit': {
      if (!body) break;
      const over = body.inv === true ? 'over ' : '';
      const unit = typeof body.rate_unit === 'string' && body.rate_unit !== 'packets' ? ` ${body.rate_unit}` : '';
      let s = `limit rate ${over}${String(body.rate)}${unit}/${String(body.per)}`;
      const packetRate = typeof body.rate_unit !== 'string' || body.rate_unit === 'packets';
      // nft leaves out a burst of 0, and a packet rate's default burst of 5
      if (typeof body.burst === 'number' && body.burst !== 0 && !(packetRate && body.burst === 5)) {
        const bu = typeof body.burst_unit === 'string' ? body.burst_unit : 'packets';
        s += ` burst ${body.burst} ${bu}`;
      }
      return s;
    }
    case 'queue': {
      if (!body) return 'queue';
      let s = 'queue';
      if (body.flags !== undefined) s += ` flags ${Array.isArray(body.flags) ? body.flags.map(String).join(',') : String(body.flags)}`;
      if (body.num !== undefined) s += ` to ${nftExprText(body.num)}`;
      return s;
    }
    case 'xt':
      if (body) return `xt ${String(body.type)} ${quoteString(String(body.name))}`;
      break;
    case 'unknown':
      return typeof v === 'string' ? v : JSON.stringify(v);
    default:
      break;
  }
  return `${kind} ${JSON.stringify(v)}`;
}

/** A rule as nft prints it (without the handle): its statements, then `comment "…"`. */
export function nftRuleText(expr: readonly NftStatement[], comment: string | null = null): string {
  const text = expr.map(nftStatementText).join(' ');
  return comment === null ? text : `${text} comment ${quoteString(comment)}`;
}

/** A set or map element as nft prints it: `10.96.0.10 . tcp . 53 comment "ns/svc:dns" : goto service-…`. */
export function nftElementText(el: NftElement): string {
  let s = nftExprText(el.key);
  if (el.timeout !== null) s += ` timeout ${nftDurationText(el.timeout)}`;
  if (el.expires !== null) s += ` expires ${nftDurationText(el.expires)}`;
  if (el.comment !== null) s += ` comment ${quoteString(el.comment)}`;
  if (el.data !== null) {
    const data = asObj(el.data);
    s += ` : ${data && isVerdict(data) ? nftStatementText(data) : nftExprText(el.data)}`;
  }
  return s;
}
