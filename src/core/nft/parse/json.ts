/**
 * `nft -j list ruleset`: {"nftables": [{"metainfo"}, {"table"}, {"chain"}, {"set"}, {"map"},
 * {"rule"}, {"element"} …]}. Rules' "expr" are already the statement shapes and are kept as read.
 * JSON.parse does the parsing; one extra scan finds where each object starts (line and column:
 * nft writes the whole ruleset on one line) so that answers and diagnostics can point at it.
 */
import type { NftBaseChain, NftElement, NftExpr, NftFamily, NftRuleset, NftSet, NftStatement } from '../types.js';
import { RulesetBuilder, type Position } from './builder.js';
import { shareExpressions } from './statements.js';
import { isFamily, priorityName } from './values.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function parseNftJson(src: string): NftRuleset {
  // nft's own shape, {"nftables": [ item, item, … ]}, is parsed a chunk of items at a time: the
  // wrapper objects of one chunk die before the next is parsed, so the peak holds the model and
  // one chunk instead of a second tree of the whole ruleset (63 MB of JSON for 10k services)
  const spans = splitItems(src);
  if (spans === null) return wholeDocument(src, new RulesetBuilder());
  const { start, end, line, column } = spans;
  const count = start.length;
  const b = new RulesetBuilder();
  let first = 0;
  while (first < count) {
    let last = first;
    while (last + 1 < count && end[last + 1]! - start[first]! < CHUNK_CHARS) last++;
    let items: unknown;
    try {
      items = JSON.parse(`[${src.slice(start[first], end[last])}]`);
    } catch {
      return wholeDocument(src, new RulesetBuilder());
    }
    const list = items as unknown[];
    for (let k = 0; k < list.length; k++) readTopItem(b, list[k], { line: line[first + k]!, column: column[first + k]! });
    first = last + 1;
  }
  return b.finish('json');
}

const CHUNK_CHARS = 1 << 20;

/** Each item's offsets and where it starts, in flat lists of numbers: 200k span objects would only be more for the collector to copy. */
interface ItemSpans {
  readonly start: number[];
  readonly end: number[];
  readonly line: number[];
  readonly column: number[];
}

const HEAD = /\s*\{\s*"nftables"\s*:\s*\[/y;
const TAIL = /\s*\]\s*\}\s*$/y;

/**
 * Where each item of `{"nftables": [ {…}, {…} ]}` starts and ends, when the text has exactly that
 * shape (as nft writes it); null for anything else, which then goes through one JSON.parse. Only
 * strings and nesting are tracked (JSON strings hold no raw newlines, so lines are counted outside).
 */
function splitItems(src: string): ItemSpans | null {
  HEAD.lastIndex = 0;
  if (!HEAD.test(src)) return null;
  const n = src.length;
  let i = HEAD.lastIndex;
  let line = 1;
  let lineStart = 0;
  for (let k = src.indexOf('\n'); k >= 0 && k < i; k = src.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  const out: ItemSpans = { start: [], end: [], line: [], column: [] };
  for (;;) {
    // before an item: whitespace then `{` (or `]` for an empty list)
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 10) {
        line++;
        lineStart = i + 1;
      } else if (c !== 32 && c !== 9 && c !== 13) break;
      i++;
    }
    if (src.charCodeAt(i) === 93 && out.start.length === 0) break;
    if (src.charCodeAt(i) !== 123) return null;
    const start = i;
    const startLine = line;
    const startColumn = i - lineStart + 1;
    let depth = 0;
    for (; i < n; i++) {
      const d = src.charCodeAt(i);
      if (d === 34) {
        i = stringEnd(src, i);
        if (i < 0) return null;
      } else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        if (--depth === 0) break;
      } else if (d === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    if (i >= n) return null;
    i++;
    out.start.push(start);
    out.end.push(i);
    out.line.push(startLine);
    out.column.push(startColumn);
    // after an item: whitespace then `,` or `]`
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 10) {
        line++;
        lineStart = i + 1;
      } else if (c !== 32 && c !== 9 && c !== 13) break;
      i++;
    }
    if (src.charCodeAt(i) === 44) {
      i++;
      continue;
    }
    break;
  }
  TAIL.lastIndex = i;
  return TAIL.test(src) ? out : null;
}

/**
 * The index of the quote closing the string that opens at `open`, -1 when it never closes. Most of
 * nft's JSON is inside strings (chain names, addresses): indexOf skips them far faster than a
 * character loop. A quote is escaped when an odd number of backslashes precede it.
 */
function stringEnd(src: string, open: number): number {
  let q = src.indexOf('"', open + 1);
  while (q >= 0) {
    let backslashes = 0;
    while (src.charCodeAt(q - 1 - backslashes) === 92) backslashes++;
    if ((backslashes & 1) === 0) return q;
    q = src.indexOf('"', q + 1);
  }
  return -1;
}

/** Any other JSON: one JSON.parse, then positions from a scan; a syntax error becomes a diagnostic at its line:column. */
function wholeDocument(src: string, b: RulesetBuilder): NftRuleset {
  let doc: unknown;
  try {
    doc = JSON.parse(src);
  } catch {
    const { offset, message } = jsonErrorAt(src);
    b.error(`bad JSON: ${message}`, positionAt(src, offset));
    return b.finish('json');
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) {
    b.error('expected {"nftables": [ … ]} (the output of nft -j list ruleset)', { line: 1, column: 1 });
    return b.finish('json');
  }
  const items = doc.nftables as unknown[];
  const positions = itemPositions(src, items.length);
  for (let i = 0; i < items.length; i++) readTopItem(b, items[i], positions[i] ?? { line: 1, column: 1 });
  return b.finish('json');
}

function readTopItem(b: RulesetBuilder, item: unknown, at: Position): void {
  if (!isObj(item)) {
    b.error('expected an object in the "nftables" array', at);
    return;
  }
  let kind: string | undefined;
  for (const k in item) {
    kind = k;
    break;
  }
  const body = kind === undefined ? undefined : item[kind];
  if (kind === undefined || !isObj(body)) {
    if (kind !== 'metainfo') b.error(`expected {"KIND": {…}}, found ${kind === undefined ? 'an empty object' : `"${kind}"`}`, at);
    return;
  }
  readItem(b, kind, body, at);
}

function familyOf(b: RulesetBuilder, body: Obj, at: Position): NftFamily | null {
  const f = str(body.family);
  if (f !== null && isFamily(f)) return f;
  b.error(`unknown family ${JSON.stringify(body.family)}`, at);
  return null;
}

function readItem(b: RulesetBuilder, kind: string, body: Obj, at: Position): void {
  switch (kind) {
    case 'metainfo':
      return;
    case 'table': {
      const family = familyOf(b, body, at);
      const name = str(body.name);
      if (family === null || name === null) return b.error('a table needs "family" and "name"', at);
      b.addTable(family, name, at, num(body.handle), str(body.comment));
      return;
    }
    case 'chain': {
      const family = familyOf(b, body, at);
      const tableName = str(body.table);
      const name = str(body.name);
      if (family === null || tableName === null || name === null) return b.error('a chain needs "family", "table" and "name"', at);
      const table = b.needTable(family, tableName, at);
      if (!table) return;
      let base: NftBaseChain | null = null;
      if (typeof body.hook === 'string') {
        const prio = typeof body.prio === 'string' ? priorityName(family, body.prio) : num(body.prio);
        if (prio === null) b.error(`chain ${name}: unknown priority ${JSON.stringify(body.prio)}`, at);
        base = {
          type: str(body.type) ?? 'filter',
          hook: body.hook,
          priority: prio ?? 0,
          policy: body.policy === 'drop' ? 'drop' : 'accept',
          device: str(body.dev) ?? (Array.isArray(body.dev) ? (body.dev as unknown[]).map(String).join(',') : null),
        };
      }
      b.addChain(table, name, at, num(body.handle), base, str(body.comment));
      return;
    }
    case 'set':
    case 'map': {
      const family = familyOf(b, body, at);
      const tableName = str(body.table);
      const name = str(body.name);
      if (family === null || tableName === null || name === null) return b.error(`a ${kind} needs "family", "table" and "name"`, at);
      const table = b.needTable(family, tableName, at);
      if (!table) return;
      const type = body.type;
      const keyType = Array.isArray(type) ? type.map(String) : typeof type === 'string' ? [type] : [];
      const dataType = kind === 'map' ? (Array.isArray(body.map) ? body.map.map(String).join(' . ') : str(body.map)) : null;
      const flags = Array.isArray(body.flags) ? body.flags.map(String) : typeof body.flags === 'string' ? [body.flags] : [];
      const set: NftSet = {
        family,
        table: tableName,
        name,
        kind,
        keyType,
        dataType,
        flags,
        timeout: num(body.timeout),
        comment: str(body.comment),
        line: at.line,
        column: at.column,
        handle: num(body.handle),
        elements: [],
      };
      const target = b.addSet(table, set);
      if (Array.isArray(body.elem)) b.addElements(target, body.elem.map((e) => element(e, kind === 'map', at.line)), false);
      return;
    }
    case 'element': {
      const family = familyOf(b, body, at);
      const tableName = str(body.table);
      const name = str(body.name);
      if (family === null || tableName === null || name === null) return b.error('an element needs "family", "table" and "name"', at);
      const table = b.needTable(family, tableName, at);
      if (!table) return;
      const set = table.setsByName.get(name);
      if (!set) return b.error(`no set ${name} in table ${family} ${tableName}`, at);
      if (Array.isArray(body.elem)) b.addElements(set, body.elem.map((e) => element(e, set.kind === 'map', at.line)), false);
      return;
    }
    case 'rule': {
      const family = familyOf(b, body, at);
      const tableName = str(body.table);
      const chainName = str(body.chain);
      if (family === null || tableName === null || chainName === null) return b.error('a rule needs "family", "table" and "chain"', at);
      const table = b.needTable(family, tableName, at);
      if (!table) return;
      const chain = b.chain(table, chainName);
      if (!chain) return b.error(`no chain ${chainName} in table ${family} ${tableName}`, at);
      // statements are objects: the array JSON.parse made is kept as it is unless something else slipped in
      const list = body.expr;
      const expr = Array.isArray(list) ? (shareExpressions(list.every(isObj) ? list : list.filter(isObj)) as NftStatement[]) : [];
      b.addRule(chain, num(body.handle), at, expr, str(body.comment), null);
      return;
    }
    case 'flowtable':
    case 'counter':
    case 'quota':
    case 'ct helper':
    case 'ct timeout':
    case 'ct expectation':
    case 'limit':
    case 'secmark':
    case 'synproxy':
      return;
    default:
      b.warning(`"${kind}" objects are not read (only a listing's table, chain, set, map, rule and element)`, at);
  }
}

/** A JSON set element: a value, {"elem": {"val", "comment", "expires", "timeout"}}, or for maps [key, data]. */
function element(raw: unknown, isMap: boolean, line: number): NftElement {
  let key: unknown = raw;
  let data: unknown = null;
  if (isMap && Array.isArray(raw) && raw.length === 2) {
    key = raw[0];
    data = raw[1];
  }
  let comment: string | null = null;
  let expires: number | null = null;
  let timeout: number | null = null;
  if (isObj(key) && isObj(key.elem)) {
    const e = key.elem;
    comment = str(e.comment);
    expires = num(e.expires);
    timeout = num(e.timeout);
    key = e.val;
  }
  return { key: (key ?? null) as NftExpr, data: (data ?? null) as NftExpr, comment, expires, timeout, line };
}

function positionAt(src: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = src.indexOf('\n'); i >= 0 && i < offset; i = src.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Where each element of the top-level "nftables" array starts. One pass over the text that only
 * tracks strings and nesting (JSON strings hold no raw newlines, so lines are counted outside them).
 */
function itemPositions(src: string, expected: number): Position[] {
  const out: Position[] = [];
  const n = src.length;
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let inTarget = false;
  let expectValue = false;
  let lastKey = '';
  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 34) {
      let j = i + 1;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === 92) {
          j += 2;
          continue;
        }
        if (d === 34) break;
        j++;
      }
      if (depth === 1 && !inTarget) lastKey = src.slice(i + 1, j);
      else if (inTarget && depth === 2 && expectValue) {
        out.push({ line, column: i - lineStart + 1 });
        expectValue = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 10) {
      line++;
      lineStart = i + 1;
    } else if (c === 123 || c === 91) {
      if (inTarget && depth === 2 && expectValue) {
        out.push({ line, column: i - lineStart + 1 });
        expectValue = false;
      }
      depth++;
      if (c === 91 && depth === 2 && !inTarget && lastKey === 'nftables' && out.length === 0) {
        inTarget = true;
        expectValue = true;
      }
    } else if (c === 125 || c === 93) {
      depth--;
      if (inTarget && depth === 1) break;
    } else if (c === 44) {
      if (inTarget && depth === 2) expectValue = true;
    } else if (inTarget && depth === 2 && expectValue && c !== 32 && c !== 9 && c !== 13) {
      out.push({ line, column: i - lineStart + 1 });
      expectValue = false;
    }
    i++;
  }
  return out.length === expected ? out : [];
}

/** The offset of the first syntax error in text JSON.parse rejected, and what is wrong there. */
export function jsonErrorAt(src: string): { offset: number; message: string } {
  let i = 0;
  const n = src.length;
  const ws = (): void => {
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  class Bad {
    constructor(readonly offset: number, readonly message: string) {}
  }
  const unexpected = (): Bad => (i >= n ? new Bad(n, 'unexpected end of input (truncated?)') : new Bad(i, `unexpected ${JSON.stringify(src[i])}`));
  const value = (depth: number): void => {
    if (depth > 2000) throw new Bad(i, 'nested too deeply');
    ws();
    if (i >= n) throw unexpected();
    const c = src[i]!;
    if (c === '{') {
      i++;
      ws();
      if (src[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (src[i] !== '"') throw i >= n ? unexpected() : new Bad(i, `expected a "key", found ${JSON.stringify(src[i])}`);
        string();
        ws();
        if (src[i] !== ':') throw i >= n ? unexpected() : new Bad(i, `expected ":", found ${JSON.stringify(src[i])}`);
        i++;
        value(depth + 1);
        ws();
        if (src[i] === ',') {
          i++;
          continue;
        }
        if (src[i] === '}') {
          i++;
          return;
        }
        throw i >= n ? unexpected() : new Bad(i, `expected "," or "}", found ${JSON.stringify(src[i])}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (src[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (src[i] === ',') {
          i++;
          continue;
        }
        if (src[i] === ']') {
          i++;
          return;
        }
        throw i >= n ? unexpected() : new Bad(i, `expected "," or "]", found ${JSON.stringify(src[i])}`);
      }
    }
    if (c === '"') return string();
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null/y;
    m.lastIndex = i;
    if (m.exec(src)) {
      i = m.lastIndex;
      return;
    }
    throw unexpected();
  };
  const string = (): void => {
    i++;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c < 32) throw new Bad(i, 'control character in a string');
      if (c === 92) {
        const e = src[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) throw new Bad(i, 'bad \\u escape');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new Bad(i, 'bad escape in a string');
        i += 2;
        continue;
      }
      i++;
    }
    throw new Bad(n, 'unterminated string (truncated?)');
  };
  try {
    value(0);
    ws();
    if (i < n) return { offset: i, message: `unexpected ${JSON.stringify(src[i])} after the document` };
    return { offset: 0, message: 'not valid JSON' };
  } catch (e) {
    if (e instanceof Bad) return { offset: e.offset, message: e.message };
    return { offset: 0, message: 'not valid JSON' };
  }
}
