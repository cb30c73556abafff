/**
 * A rule's statements in nft's text syntax, parsed into libnftables-json statement objects:
 * the same objects `nft -j list ruleset` gives for the rule. Both the listing (`meta mark set
 * meta mark | 0x00004000`, `ct state new`) and kube-proxy's input spelling (`mark set mark or
 * 0x4000`, `ip daddr { 10.0.0.0/8 }`) land on the kernel's shapes.
 *
 * What kubechains does not know becomes {"unknown": "raw text"} up to the end of the rule, never
 * an error: other tables (iptables-nft, firewalld) may hold anything.
 */
import type { NftExpr, NftFamily, NftStatement } from '../types.js';
import { COMMA, EOF, HANDLE, LBRACE, Lexer, NL, RBRACE, SEMI, STRING, WORD } from './lexer.js';
import { scalar } from './values.js';

/** Protocols whose header fields are payload expressions: `ip daddr`, `th dport`. */
const PAYLOAD_PROTOCOLS = new Set([
  'ip', 'ip6', 'tcp', 'udp', 'udplite', 'sctp', 'dccp', 'th', 'icmp', 'icmpv6', 'igmp', 'ah', 'esp',
  'comp', 'ether', 'vlan', 'arp', 'gre', 'dst', 'hbh', 'frag', 'rt', 'mh',
]);

/** meta keys nft accepts (and, for some, prints) without the `meta` keyword. */
const BARE_META_KEYS = new Set([
  'mark', 'iif', 'iifname', 'iiftype', 'oif', 'oifname', 'oiftype', 'l4proto', 'nfproto', 'skuid',
  'skgid', 'priority', 'pkttype', 'cpu', 'iifgroup', 'oifgroup', 'cgroup', 'nftrace', 'rtclassid',
  'length', 'secmark', 'random',
]);

/** Keys whose values are names, never numbers or ranges (`iifname "eth-0"`). */
const STRING_META_KEYS = new Set(['iifname', 'oifname', 'iif', 'oif', 'iifkind', 'oifkind', 'sdifname']);

const RELATIONAL_OPS: Record<string, string> = {
  '==': '==', eq: '==', '!=': '!=', ne: '!=', '<': '<', lt: '<', '>': '>', gt: '>', '<=': '<=', le: '<=',
  '>=': '>=', ge: '>=',
};

const BINARY_OPS: Record<string, string> = {
  '&': '&', and: '&', '|': '|', or: '|', '^': '^', xor: '^', '<<': '<<', lshift: '<<', '>>': '>>', rshift: '>>',
};

const VERDICTS_BARE = new Set(['accept', 'drop', 'return', 'continue']);
const NAT_FLAGS = new Set(['random', 'fully-random', 'persistent', 'netmap']);

export interface ParsedRule {
  readonly expr: NftStatement[];
  readonly comment: string | null;
}

/** Thrown inside this module only, to fall back to an {"unknown"} statement. */
class NotUnderstood extends Error {}

/** Whether the current token ends a rule. */
export function atRuleEnd(lx: Lexer): boolean {
  const k = lx.kind;
  return k === NL || k === SEMI || k === RBRACE || k === EOF || k === HANDLE;
}

/**
 * Parse statements from the current token to the end of the rule (newline, `;`, `}` of the
 * enclosing block, `# handle`, or the end), leaving the lexer on that terminator.
 */
export function parseRuleStatements(lx: Lexer, family: NftFamily): ParsedRule {
  const expr: NftStatement[] = [];
  let comment: string | null = null;
  while (!atRuleEnd(lx)) {
    if (lx.kind === WORD && lx.text === 'comment') {
      lx.next();
      if (lx.kind === STRING || lx.kind === WORD) {
        comment = lx.text;
        lx.next();
        continue;
      }
      expr.push(unknownToRuleEnd(lx, lx.start));
      break;
    }
    const start = lx.start;
    const line = lx.tokLine;
    const lineStart = lx.currentLineStart;
    try {
      expr.push(parseStatement(lx, family));
    } catch (err) {
      if (!(err instanceof NotUnderstood)) throw err;
      lx.rewind(start, line, lineStart);
      expr.push(unknownToRuleEnd(lx, start));
      break;
    }
  }
  return { expr, comment };
}

/** Everything from `start` to the end of the rule, braces balanced, as {"unknown": "…"}. */
function unknownToRuleEnd(lx: Lexer, start: number): NftStatement {
  let depth = 0;
  let end = start;
  for (;;) {
    const k = lx.kind;
    if (k === EOF) break;
    if (depth === 0 && (k === NL || k === SEMI || k === RBRACE || k === HANDLE)) break;
    if (k === LBRACE) depth++;
    else if (k === RBRACE) depth--;
    else if (k === NL && depth > 0) {
      // a brace left open inside one rule: stop at the line end rather than swallow the file
      break;
    }
    end = lx.end;
    lx.next();
  }
  return { unknown: lx.src.slice(start, end).trim() };
}

function fail(): never {
  throw new NotUnderstood();
}

function word(lx: Lexer): string {
  if (lx.kind !== WORD) fail();
  const w = lx.text;
  lx.next();
  return w;
}

function expectWord(lx: Lexer, w: string): void {
  if (lx.kind !== WORD || lx.text !== w) fail();
  lx.next();
}

function isWord(lx: Lexer, w: string): boolean {
  return lx.kind === WORD && lx.text === w;
}

function parseStatement(lx: Lexer, family: NftFamily): NftStatement {
  if (lx.kind !== WORD) fail();
  const w = lx.text;
  if (VERDICTS_BARE.has(w)) {
    lx.next();
    return { [w]: null };
  }
  switch (w) {
    case 'jump':
    case 'goto':
      return parseVerdict(lx);
    case 'counter':
      return parseCounter(lx);
    case 'notrack':
      lx.next();
      return { notrack: null };
    case 'masquerade':
    case 'redirect':
      return parseMasqueradeOrRedirect(lx, w);
    case 'snat':
    case 'dnat':
      return parseNat(lx, w);
    case 'reject':
      return parseReject(lx, family);
    case 'update':
    case 'add':
    case 'delete':
      return lx.peekWord()?.startsWith('@') ? parseSetStatement(lx) : fail();
    case 'log':
      return parseLog(lx);
    case 'limit':
      return parseLimit(lx);
    case 'queue':
      return parseQueue(lx);
    case 'xt':
      return parseXt(lx);
    default:
      return parseExpressionStatement(lx);
  }
}

/** `jump X`, `goto X`, `accept`, … as a statement object (also a map's data). */
export function parseVerdictAt(lx: Lexer): NftStatement {
  if (lx.kind !== WORD) fail();
  if (VERDICTS_BARE.has(lx.text)) {
    const v = lx.text;
    lx.next();
    return { [v]: null };
  }
  if (lx.text === 'jump' || lx.text === 'goto') return parseVerdict(lx);
  fail();
}

function parseVerdict(lx: Lexer): NftStatement {
  const kind = word(lx);
  if (lx.kind !== WORD && lx.kind !== STRING) fail();
  const target = lx.text;
  lx.next();
  return { [kind]: { target } };
}

function parseCounter(lx: Lexer): NftStatement {
  lx.next();
  if (isWord(lx, 'packets')) {
    lx.next();
    const packets = Number(word(lx));
    expectWord(lx, 'bytes');
    const bytes = Number(word(lx));
    if (!Number.isFinite(packets) || !Number.isFinite(bytes)) fail();
    return { counter: { packets, bytes } };
  }
  return { counter: null };
}

function natFlags(lx: Lexer): string[] {
  const flags: string[] = [];
  while (lx.kind === WORD && NAT_FLAGS.has(lx.text)) {
    flags.push(lx.text);
    lx.next();
    if (lx.kind === COMMA) lx.next();
  }
  return flags;
}

function flagsValue(flags: string[]): NftExpr {
  return flags.length === 1 ? flags[0]! : flags;
}

/** `:8080`, `:1000-2000` → the port expression. */
function portOnly(w: string): NftExpr {
  if (!w.startsWith(':')) fail();
  return scalar(w.slice(1));
}

function parseMasqueradeOrRedirect(lx: Lexer, kind: string): NftStatement {
  lx.next();
  const body: Record<string, NftExpr> = {};
  if (isWord(lx, 'to')) {
    lx.next();
    body.port = portOnly(word(lx));
  }
  const flags = natFlags(lx);
  if (flags.length > 0) body.flags = flagsValue(flags);
  return { [kind]: Object.keys(body).length === 0 ? null : body };
}

/** `10.1.1.1:80`, `[fd00::1]:80`, `fd00::1`, `10.0.0.1-10.0.0.5` → addr and port. */
function natAddress(w: string): { addr: NftExpr | null; port: NftExpr | null } {
  if (w.startsWith('[')) {
    const close = w.indexOf(']');
    if (close < 0) fail();
    const addr = w.slice(1, close);
    const rest = w.slice(close + 1);
    if (rest === '') return { addr, port: null };
    if (!rest.startsWith(':')) fail();
    return { addr, port: scalar(rest.slice(1)) };
  }
  if (w.startsWith(':')) return { addr: null, port: scalar(w.slice(1)) };
  const colons = w.split(':').length - 1;
  if (colons === 1) {
    const [a, p] = w.split(':') as [string, string];
    return { addr: scalar(a), port: scalar(p) };
  }
  return { addr: scalar(w), port: null };
}

function parseNat(lx: Lexer, kind: string): NftStatement {
  lx.next();
  const body: Record<string, NftExpr> = {};
  if (isWord(lx, 'ip') || isWord(lx, 'ip6')) {
    body.family = lx.text;
    lx.next();
  }
  if (isWord(lx, 'to')) {
    lx.next();
    if (lx.kind !== WORD) fail();
    if (startsExpression(lx.text)) {
      const key = parseExpression(lx);
      if (isWord(lx, 'map')) {
        lx.next();
        body.addr = { map: { key, data: parseSetOrReference(lx, key, true) } };
      } else {
        body.addr = key;
      }
    } else {
      const { addr, port } = natAddress(word(lx));
      if (addr !== null) body.addr = addr;
      if (port !== null) body.port = port;
    }
  }
  const flags = natFlags(lx);
  if (flags.length > 0) body.flags = flagsValue(flags);
  return { [kind]: body };
}

const REJECT_DEFAULT_TYPE: Record<NftFamily, string> = {
  ip: 'icmp',
  ip6: 'icmpv6',
  inet: 'icmpx',
  bridge: 'icmpx',
  netdev: 'icmpx',
  arp: 'icmpx',
};

function parseReject(lx: Lexer, family: NftFamily): NftStatement {
  lx.next();
  if (!isWord(lx, 'with')) return { reject: { type: REJECT_DEFAULT_TYPE[family], expr: 'port-unreachable' } };
  lx.next();
  const type = word(lx);
  if (type === 'tcp') {
    expectWord(lx, 'reset');
    return { reject: { type: 'tcp reset' } };
  }
  if (type !== 'icmp' && type !== 'icmpv6' && type !== 'icmpx') fail();
  if (isWord(lx, 'type')) lx.next();
  const code = word(lx);
  return { reject: { type, expr: scalar(code) } };
}

function parseSetStatement(lx: Lexer): NftStatement {
  const op = word(lx);
  const set = word(lx);
  if (lx.kind !== LBRACE) fail();
  lx.next();
  const elem = parseExpression(lx);
  let timeout: number | null = null;
  if (isWord(lx, 'timeout')) {
    lx.next();
    const t = word(lx);
    timeout = /^[0-9]+$/.test(t) ? Number(t) : null;
    if (timeout === null) fail();
  }
  if (lx.kind !== RBRACE) fail();
  lx.next();
  const elemExpr: NftExpr = timeout === null ? elem : { elem: { val: elem, timeout } };
  return { set: { op, elem: elemExpr, set } };
}

function parseLog(lx: Lexer): NftStatement {
  lx.next();
  const body: Record<string, NftExpr> = {};
  for (;;) {
    if (isWord(lx, 'prefix')) {
      lx.next();
      if (lx.kind !== STRING && lx.kind !== WORD) fail();
      body.prefix = lx.text;
      lx.next();
    } else if (isWord(lx, 'level')) {
      lx.next();
      body.level = word(lx);
    } else if (isWord(lx, 'group') || isWord(lx, 'snaplen') || isWord(lx, 'queue-threshold')) {
      const key = lx.text === 'queue-threshold' ? 'queue-threshold' : lx.text;
      lx.next();
      body[key] = Number(word(lx));
    } else if (isWord(lx, 'flags')) {
      lx.next();
      const flags: string[] = [word(lx)];
      while (lx.kind === COMMA) {
        lx.next();
        flags.push(word(lx));
      }
      body.flags = flags;
    } else break;
  }
  return { log: Object.keys(body).length === 0 ? null : body };
}

function parseLimit(lx: Lexer): NftStatement {
  lx.next();
  expectWord(lx, 'rate');
  const body: Record<string, NftExpr> = {};
  if (isWord(lx, 'over')) {
    lx.next();
    body.inv = true;
  }
  const rate = word(lx);
  const m = /^([0-9]+)(?:\s*([a-z]+))?\/([a-z]+)$/.exec(rate);
  if (!m) fail();
  body.rate = Number(m[1]);
  if (m[2]) body.rate_unit = m[2];
  body.per = m[3]!;
  if (isWord(lx, 'burst')) {
    lx.next();
    body.burst = Number(word(lx));
    if (isWord(lx, 'packets') || isWord(lx, 'bytes') || isWord(lx, 'kbytes') || isWord(lx, 'mbytes')) {
      if (lx.text !== 'packets') body.burst_unit = lx.text;
      lx.next();
    }
  } else if (body.rate_unit === undefined) {
    // a packet rate's burst defaults to 5: nft -j shows it, nft list leaves it out
    body.burst = 5;
  }
  return { limit: body };
}

function parseQueue(lx: Lexer): NftStatement {
  lx.next();
  const body: Record<string, NftExpr> = {};
  for (;;) {
    if (isWord(lx, 'num') || isWord(lx, 'to')) {
      lx.next();
      body.num = scalar(word(lx));
    } else if (isWord(lx, 'bypass') || isWord(lx, 'fanout')) {
      body.flags = lx.text;
      lx.next();
    } else if (isWord(lx, 'flags')) {
      lx.next();
      const flags: string[] = [word(lx)];
      while (lx.kind === COMMA) {
        lx.next();
        flags.push(word(lx));
      }
      body.flags = flags.length === 1 ? flags[0]! : flags;
    } else break;
  }
  return { queue: Object.keys(body).length === 0 ? null : body };
}

/** iptables-nft's compat statements: `xt match "comment"`, `xt target "MASQUERADE"`. */
function parseXt(lx: Lexer): NftStatement {
  lx.next();
  const type = word(lx);
  if (lx.kind !== STRING && lx.kind !== WORD) fail();
  const name = lx.text;
  lx.next();
  return { xt: { type, name } };
}

// ---------------------------------------------------------------------------------------------
// Expressions

/** Whether a word begins an expression (a payload, meta, ct, fib or numgen). */
export function startsExpression(w: string): boolean {
  return PAYLOAD_PROTOCOLS.has(w) || w === 'meta' || w === 'ct' || w === 'fib' || w === 'numgen' || BARE_META_KEYS.has(w);
}

/**
 * Payload and meta expressions repeat on every rule (`ip daddr`, `meta l4proto`): one shared,
 * frozen object per spelling keeps a 100k-rule ruleset's memory and load time down.
 */
const interned = { payload: new Map<string, Map<string, NftExpr>>(), meta: new Map<string, NftExpr>(), ct: new Map<string, NftExpr>() };
/** Spellings kept: a bound, so that odd input cannot grow the tables without end. */
const INTERN_LIMIT = 10_000;
let internedCount = 0;

/**
 * The JSON form's expressions with the same sharing: payload, meta and ct objects replaced by the
 * interned ones, in place (JSON.parse made them, nobody else holds them). Halves what 100k rules
 * of nft -j keep in memory.
 */
export function shareExpressions(e: unknown): unknown {
  if (e === null || typeof e !== 'object') return e;
  if (Array.isArray(e)) {
    for (let i = 0; i < e.length; i++) e[i] = shareExpressions(e[i]);
    return e;
  }
  const o = e as Record<string, unknown>;
  let only: string | undefined;
  let count = 0;
  for (const k in o) {
    only = k;
    if (++count > 1) break;
  }
  if (count === 1) {
    const body = o[only!] as Record<string, unknown> | null;
    if (only === 'payload' && body && typeof body.protocol === 'string' && typeof body.field === 'string' && keyCount(body) === 2) {
      return internPayload(body.protocol, body.field);
    }
    if ((only === 'meta' || only === 'ct') && body && typeof body.key === 'string' && keyCount(body) === 1) {
      return internKeyed(only, body.key);
    }
  }
  for (const k in o) o[k] = shareExpressions(o[k]);
  return o;
}

function keyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/** Looked up by protocol then field (no key string built per rule: 100k rules each have a few). */
function internPayload(protocol: string, field: string): NftExpr {
  let byField = interned.payload.get(protocol);
  let e = byField?.get(field);
  if (e === undefined) {
    e = deepFreeze({ payload: { protocol, field } });
    if (internedCount < INTERN_LIMIT) {
      if (byField === undefined) interned.payload.set(protocol, (byField = new Map()));
      byField.set(field, e);
      internedCount++;
    }
  }
  return e;
}

function internKeyed(kind: 'meta' | 'ct', key: string): NftExpr {
  const byKey = interned[kind];
  let e = byKey.get(key);
  if (e === undefined) {
    e = deepFreeze(kind === 'meta' ? { meta: { key } } : { ct: { key } });
    if (internedCount < INTERN_LIMIT) {
      byKey.set(key, e);
      internedCount++;
    }
  }
  return e;
}

function deepFreeze(e: NftExpr): NftExpr {
  if (e !== null && typeof e === 'object') {
    for (const v of Object.values(e)) deepFreeze(v as NftExpr);
    Object.freeze(e);
  }
  return e;
}

function parsePrimary(lx: Lexer): NftExpr {
  const w = word(lx);
  if (PAYLOAD_PROTOCOLS.has(w)) {
    const field = word(lx);
    return internPayload(w, field);
  }
  if (w === 'meta') {
    const key = word(lx);
    return internKeyed('meta', key);
  }
  if (BARE_META_KEYS.has(w)) return internKeyed('meta', w);
  if (w === 'ct') {
    let dir: string | null = null;
    if (isWord(lx, 'original') || isWord(lx, 'reply')) dir = word(lx);
    let key = word(lx);
    // `ct original ip saddr`: the JSON key is "ip saddr"
    if ((key === 'ip' || key === 'ip6') && lx.kind === WORD) key = `${key} ${word(lx)}`;
    return dir === null ? internKeyed('ct', key) : { ct: { key, dir } };
  }
  if (w === 'fib') {
    const flags: string[] = [word(lx)];
    while (isWord(lx, '.')) {
      lx.next();
      flags.push(word(lx));
    }
    const result = word(lx);
    if (result !== 'type' && result !== 'oif' && result !== 'oifname' && result !== 'check') fail();
    return { fib: { result, flags } };
  }
  if (w === 'numgen') {
    const mode = word(lx);
    expectWord(lx, 'mod');
    const mod = Number(word(lx));
    let offset = 0;
    if (isWord(lx, 'offset')) {
      lx.next();
      offset = Number(word(lx));
    }
    if (!Number.isInteger(mod) || !Number.isInteger(offset)) fail();
    return { numgen: { mode, mod, offset } };
  }
  fail();
}

/** Whether values compared with this expression are names (interface names). */
function stringTyped(e: NftExpr): boolean {
  if (e !== null && typeof e === 'object' && !Array.isArray(e)) {
    const meta = (e as { meta?: { key?: string } }).meta;
    if (meta && typeof meta.key === 'string') return STRING_META_KEYS.has(meta.key);
  }
  return false;
}

/** Flag-typed keys: an implicit match on one of them is `in`, as nft -j shows (`ct state new`). */
function bitmaskTyped(e: NftExpr): boolean {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return false;
  const o = e as Record<string, Record<string, unknown>>;
  if (o.ct) return o.ct.key === 'state' || o.ct.key === 'status';
  if (o.payload) return o.payload.protocol === 'tcp' && o.payload.field === 'flags';
  return false;
}

/** The parts of a concatenation, or the expression alone. */
function parts(e: NftExpr): readonly NftExpr[] {
  if (e !== null && typeof e === 'object' && !Array.isArray(e) && 'concat' in e) {
    const c = (e as { concat: NftExpr }).concat;
    if (Array.isArray(c)) return c;
  }
  return [e];
}

/** A primary with binary operators (`meta mark & 0x4000`), then concatenation (`ip daddr . th dport`). */
export function parseExpression(lx: Lexer): NftExpr {
  const items: NftExpr[] = [parseBinary(lx)];
  while (isWord(lx, '.')) {
    lx.next();
    items.push(parseBinary(lx));
  }
  return items.length === 1 ? items[0]! : { concat: items };
}

function parseBinary(lx: Lexer): NftExpr {
  let left = parsePrimary(lx);
  while (lx.kind === WORD && BINARY_OPS[lx.text] !== undefined) {
    const op = BINARY_OPS[lx.text]!;
    lx.next();
    const right = bitmaskTyped(left) ? flagList(lx) : valueWord(lx, stringTyped(left));
    left = { [op]: [left, right] };
  }
  return left;
}

function valueWord(lx: Lexer, asString: boolean): NftExpr {
  if (lx.kind === STRING) {
    const s = lx.text;
    lx.next();
    return s;
  }
  if (lx.kind !== WORD) fail();
  const w = lx.text;
  lx.next();
  return scalar(w, asString);
}

/** One element of a set literal or of `elements = { … }`: values joined by ` . `. */
function valueConcat(lx: Lexer, keyParts: readonly NftExpr[]): NftExpr {
  const items: NftExpr[] = [valueWord(lx, stringTyped(keyParts[0] ?? null))];
  while (isWord(lx, '.')) {
    lx.next();
    items.push(valueWord(lx, stringTyped(keyParts[items.length] ?? null)));
  }
  return items.length === 1 ? items[0]! : { concat: items };
}

function skipNewlines(lx: Lexer): void {
  while (lx.kind === NL) lx.next();
}

/**
 * `@name`, or an anonymous set `{ a, b }` / map `{ k : v, … }`. With `verdicts`, data are
 * verdict statements (vmap); with `mapData`, values (`map { 1.2.3.4 : 10.0.0.1 }`).
 */
function parseSetOrReference(lx: Lexer, key: NftExpr, mapData: boolean, verdicts = false): NftExpr {
  if (lx.kind === WORD && lx.text.startsWith('@')) return word(lx);
  if (lx.kind !== LBRACE) fail();
  lx.next();
  const keyParts = parts(key);
  const items: NftExpr[] = [];
  skipNewlines(lx);
  while (lx.kind !== RBRACE) {
    const k = valueConcat(lx, keyParts);
    if (mapData || verdicts) {
      expectWord(lx, ':');
      const v = verdicts ? parseVerdictAt(lx) : valueConcat(lx, []);
      items.push([k, v]);
    } else {
      items.push(k);
    }
    skipNewlines(lx);
    if (lx.kind === COMMA) {
      lx.next();
      skipNewlines(lx);
    } else if (lx.kind !== RBRACE) fail();
  }
  lx.next();
  return { set: items };
}

function parseExpressionStatement(lx: Lexer): NftStatement {
  if (lx.kind !== WORD || !startsExpression(lx.text)) fail();
  const left = parseExpression(lx);
  if (isWord(lx, 'vmap')) {
    lx.next();
    return { vmap: { key: left, data: parseSetOrReference(lx, left, false, true) } };
  }
  if (isWord(lx, 'set')) {
    lx.next();
    let value: NftExpr;
    if (lx.kind === WORD && startsExpression(lx.text) && !PAYLOAD_PROTOCOLS.has(lx.text)) value = parseExpression(lx);
    else if (lx.kind === WORD && PAYLOAD_PROTOCOLS.has(lx.text) && lx.peekKind() === WORD) value = parseExpression(lx);
    else {
      value = valueWord(lx, stringTyped(left));
      while (lx.kind === WORD && BINARY_OPS[lx.text] !== undefined) {
        const op = BINARY_OPS[lx.text]!;
        lx.next();
        value = { [op]: [value, valueWord(lx, false)] };
      }
    }
    return { mangle: { key: left, value } };
  }
  let op: string | null = null;
  if (lx.kind === WORD && RELATIONAL_OPS[lx.text] !== undefined) {
    op = RELATIONAL_OPS[lx.text]!;
    lx.next();
  }
  let right = parseRight(lx, left);
  // `tcp flags syn / fin,syn,rst,ack`: (flags & mask) == value, as nft -j writes it
  if (isWord(lx, '/') && bitmaskTyped(left)) {
    lx.next();
    const mask = flagList(lx);
    return { match: { op: op ?? '==', left: { '&': [left, mask] }, right } };
  }
  // fib … oif missing / exists: a boolean in nft -j
  if (isFib(left) && (right === 'missing' || right === 'exists')) right = right === 'exists';
  if (op === null) {
    if (Array.isArray(right)) op = 'in';
    else if (bitmaskTyped(left) && !isSet(right)) op = 'in';
    else op = '==';
  }
  return { match: { op, left, right } };
}

/** `fin,syn,rst,ack` (as listed) or `(fin|syn|rst|ack)` (as written) → ["fin", "syn", "rst", "ack"]. */
function flagList(lx: Lexer): NftExpr {
  const flags: string[] = [];
  for (;;) {
    const w = word(lx);
    for (const f of w.replace(/[()]/g, '').split('|')) if (f !== '') flags.push(f);
    if (lx.kind === COMMA && !lx.spaceBefore) {
      lx.next();
      continue;
    }
    break;
  }
  return flags.length === 1 ? flags[0]! : flags;
}

function isFib(e: NftExpr): boolean {
  return e !== null && typeof e === 'object' && !Array.isArray(e) && 'fib' in e;
}

function isSet(e: NftExpr): boolean {
  return e !== null && typeof e === 'object' && !Array.isArray(e) && 'set' in e;
}

/** The right side of a match: a value, a flag list (`established,related`), `@set`, or `{ … }`. */
function parseRight(lx: Lexer, left: NftExpr): NftExpr {
  if (lx.kind === LBRACE) {
    const set = parseSetOrReference(lx, left, false) as { set: NftExpr[] };
    // nft stores a one-element anonymous set as the value itself (`ip daddr 10.32.0.0/16`)
    if (set.set.length === 1) return set.set[0]!;
    return set;
  }
  if (lx.kind !== WORD && lx.kind !== STRING) fail();
  const value = valueConcat(lx, parts(left));
  if (lx.kind === COMMA && !lx.spaceBefore) {
    const list: NftExpr[] = [value];
    while (lx.kind === COMMA) {
      lx.next();
      list.push(valueWord(lx, stringTyped(left)));
    }
    return list;
  }
  return value;
}

/** Elements of a named set or map (`elements = { … }`, `add element … { … }`). */
export interface ParsedElement {
  key: NftExpr;
  data: NftExpr | null;
  comment: string | null;
  expires: number | null;
  timeout: number | null;
  line: number;
}

/**
 * Parse `{ e1, e2, … }` at the current LBRACE: keys typed by nothing but their spelling (the
 * set's type adds nothing the words do not say), comments inside the key, `timeout`/`expires`,
 * `: data` for maps. Newlines inside the braces are continuation. Throws nothing: returns null on
 * a syntax error and leaves the lexer where it stopped, so the caller can report line:column.
 */
export function parseElementList(
  lx: Lexer,
  keyTypeStrings: readonly boolean[],
  /** Whether each element carries `: data` (a map's `add element`), may carry it (`delete element`), or not. */
  data: 'required' | 'optional' | 'none',
  parseDurationWord: (w: string) => number | null,
): ParsedElement[] | null {
  if (lx.kind !== LBRACE) return null;
  lx.next();
  const out: ParsedElement[] = [];
  try {
    skipNewlines(lx);
    while (lx.kind !== RBRACE) {
      const line = lx.tokLine;
      const items: NftExpr[] = [valueWord(lx, keyTypeStrings[0] ?? false)];
      while (isWord(lx, '.')) {
        lx.next();
        items.push(valueWord(lx, keyTypeStrings[items.length] ?? false));
      }
      const key = items.length === 1 ? items[0]! : { concat: items };
      let comment: string | null = null;
      let expires: number | null = null;
      let timeout: number | null = null;
      for (;;) {
        if (isWord(lx, 'comment')) {
          lx.next();
          if (lx.kind !== STRING && lx.kind !== WORD) fail();
          comment = lx.text;
          lx.next();
        } else if (isWord(lx, 'expires') || isWord(lx, 'timeout')) {
          const which = lx.text;
          lx.next();
          const d = parseDurationWord(word(lx));
          if (d === null) fail();
          if (which === 'expires') expires = d;
          else timeout = d;
        } else if (isWord(lx, 'counter')) {
          parseCounter(lx);
        } else break;
      }
      let value: NftExpr | null = null;
      if (data === 'required' || (data === 'optional' && isWord(lx, ':'))) {
        expectWord(lx, ':');
        if (lx.kind === WORD && (VERDICTS_BARE.has(lx.text) || lx.text === 'jump' || lx.text === 'goto')) value = parseVerdictAt(lx);
        else value = valueConcat(lx, []);
      }
      out.push({ key, data: value, comment, expires, timeout, line });
      skipNewlines(lx);
      if (lx.kind === COMMA) {
        lx.next();
        skipNewlines(lx);
      } else if (lx.kind !== RBRACE) fail();
    }
    lx.next();
    return out;
  } catch (err) {
    if (err instanceof NotUnderstood) return null;
    throw err;
  }
}
