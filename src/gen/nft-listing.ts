/**
 * What the kernel would give back for a loaded nftables ruleset, without loading it: the text of
 * `nft list ruleset` and the JSON of `nft -j list ruleset` (nft 1.0.6), rendered from the
 * ruleset as read from its transaction. Loading a 10k-service kube-proxy ruleset into a kernel
 * and listing it takes minutes; this renders the same forms in seconds for the benchmark.
 *
 * Matches what the kernel tests show nft printing (test/kernel/nft-listing.test.ts compares it
 * with the kernel's own listing): sets and maps first in creation order, then chains, each rule
 * as nft prints it; named-set elements wrapped two to a line (maps and concatenations one) with
 * nft's continuation indent; base-chain priorities by name where nft names them; dynamic sets
 * with the `size 65535` the kernel gives them, and in JSON only the `timeout` flag. Handles are
 * numbered per table in creation order, as the kernel numbers them. Element order is the input's
 * (the kernel lists named sets in its hash order: the forms hold the same elements, not in the
 * same order).
 */
import { nftElementText, nftDurationText, nftRuleText } from '../core/nft/index.js';
import type { NftChain, NftElement, NftExpr, NftFamily, NftRule, NftRuleset, NftSet, NftStatement, NftTable } from '../core/nft/index.js';
import { parseAddress } from './addr.js';

/** The size the kernel gives a dynamic set created without one. */
const DYNAMIC_SET_SIZE = 65535;
const ELEMENT_CONTINUATION = '\n\t\t\t     ';

/** Standard priorities as nft 1.0.6 names them (ip, ip6, inet): name, value, hooks where the name is valid (null: all). */
const STANDARD_PRIORITIES: ReadonlyArray<readonly [string, number, readonly string[] | null]> = [
  ['raw', -300, null],
  ['mangle', -150, null],
  ['dstnat', -100, ['prerouting']],
  ['filter', 0, null],
  ['security', 50, null],
  ['srcnat', 100, ['postrouting']],
];

/** A base chain's priority as `nft list` prints it: `dstnat - 10`, `filter`, or the bare number. */
export function nftPriorityText(family: NftFamily, hook: string, priority: number): string {
  if (family === 'ip' || family === 'ip6' || family === 'inet') {
    for (const [name, value, hooks] of STANDARD_PRIORITIES) {
      if (hooks !== null && !hooks.includes(hook)) continue;
      const diff = priority - value;
      if (Math.abs(diff) > 10) continue;
      return diff === 0 ? name : `${name} ${diff < 0 ? '-' : '+'} ${Math.abs(diff)}`;
    }
  }
  return String(priority);
}

/** An address or prefix item of an anonymous set, as a sort key (network value, then prefix length); null for anything else. */
function addressKey(item: NftExpr): [bigint, number] | null {
  try {
    if (typeof item === 'string' && /^[0-9a-fA-F:.]+$/.test(item) && /[.:]/.test(item)) return [parseAddress(item).value, 999];
    if (item !== null && typeof item === 'object' && !Array.isArray(item) && 'prefix' in item) {
      const p = (item as { prefix: { addr: string; len: number } }).prefix;
      return [parseAddress(p.addr).value, p.len];
    }
  } catch {
    return null;
  }
  return null;
}

/**
 * The expression as the kernel gives it back: an anonymous set of addresses and prefixes is an
 * interval set, listed in address order whatever order the transaction wrote it in.
 */
function kernelOrder(e: NftExpr): NftExpr {
  if (Array.isArray(e)) return e.map(kernelOrder);
  if (e === null || typeof e !== 'object') return e;
  const out: Record<string, NftExpr> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'set' && Array.isArray(v)) {
      const keys = v.map(addressKey);
      if (keys.every((x) => x !== null)) {
        const order = v.map((item, i) => ({ item, key: keys[i]! }));
        order.sort((a, b) => (a.key[0] < b.key[0] ? -1 : a.key[0] > b.key[0] ? 1 : a.key[1] - b.key[1]));
        out[k] = order.map((o) => o.item);
        continue;
      }
    }
    out[k] = kernelOrder(v);
  }
  return out;
}

function ruleExpr(r: NftRule): NftStatement[] {
  return r.expr.map((st) => kernelOrder(st) as NftStatement);
}

/**
 * Anonymous sets the kernel creates for a rule (each takes a handle from the table's counter just
 * before the rule does): every `{ … }` of a vmap, and every set of a match with more than one
 * element (nft turns a one-element set into a plain value).
 */
function anonymousSets(e: NftExpr, inMatch = false): number {
  if (Array.isArray(e)) return e.reduce((n: number, x) => n + anonymousSets(x, inMatch), 0);
  if (e === null || typeof e !== 'object') return 0;
  let n = 0;
  for (const [k, v] of Object.entries(e)) {
    if (k === 'set' && Array.isArray(v)) n += !inMatch || v.length > 1 ? 1 : 0;
    else n += anonymousSets(v, k === 'match' ? true : k === 'vmap' ? false : inMatch);
  }
  return n;
}

const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const isDynamic = (s: NftSet): boolean => s.flags.includes('dynamic');
const isConcatOrMap = (s: NftSet): boolean => s.kind === 'map' || s.keyType.length > 1;

function elementsText(s: NftSet): string {
  const texts = s.elements.map(nftElementText);
  const perLine = isConcatOrMap(s) ? 1 : 2;
  let out = '';
  texts.forEach((t, i) => {
    if (i > 0) out += i % perLine === 0 ? `,${ELEMENT_CONTINUATION}` : ', ';
    out += t;
  });
  return `elements = { ${out} }`;
}

function setText(s: NftSet): string[] {
  const lines = [`\t${s.kind} ${s.name} {`];
  lines.push(`\t\ttype ${s.keyType.join(' . ')}${s.kind === 'map' ? ` : ${s.dataType ?? 'verdict'}` : ''}`);
  if (isDynamic(s)) lines.push(`\t\tsize ${DYNAMIC_SET_SIZE}`);
  if (s.flags.length > 0) lines.push(`\t\tflags ${s.flags.join(',')}`);
  if (s.timeout !== null) lines.push(`\t\ttimeout ${nftDurationText(s.timeout)}`);
  if (s.comment !== null) lines.push(`\t\tcomment ${quote(s.comment)}`);
  if (s.elements.length > 0) lines.push(`\t\t${elementsText(s)}`);
  lines.push('\t}');
  return lines;
}

function chainText(c: NftChain): string[] {
  const lines = [`\tchain ${c.name} {`];
  if (c.base) {
    const b = c.base;
    lines.push(`\t\ttype ${b.type} hook ${b.hook}${b.device ? ` device ${quote(b.device)}` : ''} priority ${nftPriorityText(c.family, b.hook, b.priority)}; policy ${b.policy};`);
  }
  if (c.comment !== null) lines.push(`\t\tcomment ${quote(c.comment)}`);
  for (const r of c.rules) lines.push(`\t\t${nftRuleText(ruleExpr(r), r.comment)}`);
  lines.push('\t}');
  return lines;
}

/** `nft list ruleset` for these tables. */
export function renderNftListText(nft: NftRuleset): string {
  const out: string[] = [];
  for (const t of nft.tables) {
    out.push(`table ${t.family} ${t.name} {`);
    if (t.comment !== null) out.push(`\tcomment ${quote(t.comment)}`);
    const blocks = [...t.sets.map(setText), ...t.chains.map(chainText)];
    blocks.forEach((b, i) => {
      if (i > 0) out.push('');
      out.push(...b);
    });
    out.push('}');
  }
  return out.join('\n') + '\n';
}

/** An element as `nft -j` writes it: the key (wrapped in {"elem": …} with a comment), and for maps [key, data]. */
function elementJson(s: NftSet, e: NftElement): NftExpr {
  let key: NftExpr = e.key;
  if (e.comment !== null || e.timeout !== null || e.expires !== null) {
    key = {
      elem: {
        val: e.key,
        ...(e.timeout !== null ? { timeout: e.timeout } : {}),
        ...(e.expires !== null ? { expires: e.expires } : {}),
        ...(e.comment !== null ? { comment: e.comment } : {}),
      },
    };
  }
  return s.kind === 'map' ? [key, e.data] : key;
}

/** Handles as the kernel gives them: one counter per table, in creation order (sets, chains, rules as the transaction added them). */
function handlesOf(t: NftTable): { set: Map<NftSet, number>; chain: Map<NftChain, number>; rule: Map<object, number> } {
  const set = new Map<NftSet, number>();
  const chain = new Map<NftChain, number>();
  const rule = new Map<object, number>();
  const created: Array<{ line: number; before: number; take: (h: number) => void }> = [];
  for (const s of t.sets) created.push({ line: s.line, before: 0, take: (h) => set.set(s, h) });
  for (const c of t.chains) {
    created.push({ line: c.line, before: 0, take: (h) => chain.set(c, h) });
    for (const r of c.rules) created.push({ line: r.line, before: anonymousSets(r.expr as unknown as NftExpr), take: (h) => rule.set(r, h) });
  }
  created.sort((a, b) => a.line - b.line);
  let next = 1;
  for (const c of created) {
    next += c.before;
    c.take(next++);
  }
  return { set, chain, rule };
}

/** `nft -j list ruleset` for these tables (nft 1.0.6: no table or chain comments in JSON). */
export function renderNftListJson(nft: NftRuleset): string {
  const items: unknown[] = [{ metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } }];
  nft.tables.forEach((t, ti) => {
    const h = handlesOf(t);
    items.push({ table: { family: t.family, name: t.name, handle: ti + 1 } });
    for (const s of t.sets) {
      const body: Record<string, unknown> = {
        family: t.family,
        name: s.name,
        table: t.name,
        type: s.keyType.length === 1 ? s.keyType[0] : s.keyType,
        handle: h.set.get(s),
      };
      if (isDynamic(s)) body.size = DYNAMIC_SET_SIZE;
      if (s.comment !== null) body.comment = s.comment;
      if (s.kind === 'map') body.map = s.dataType ?? 'verdict';
      // nft 1.0.6 quirk: a dynamic set's JSON flags list only "timeout".
      const flags = s.flags.filter((f) => f !== 'dynamic');
      if (flags.length > 0) body.flags = flags;
      if (s.timeout !== null) body.timeout = s.timeout;
      if (s.elements.length > 0) body.elem = s.elements.map((e) => elementJson(s, e));
      items.push({ [s.kind]: body });
    }
    for (const c of t.chains) {
      const body: Record<string, unknown> = { family: t.family, table: t.name, name: c.name, handle: h.chain.get(c) };
      if (c.base) {
        body.type = c.base.type;
        body.hook = c.base.hook;
        if (c.base.device) body.dev = c.base.device;
        body.prio = c.base.priority;
        body.policy = c.base.policy;
      }
      items.push({ chain: body });
    }
    for (const c of t.chains) {
      for (const r of c.rules) {
        items.push({
          rule: { family: t.family, table: t.name, chain: c.name, handle: h.rule.get(r), ...(r.comment !== null ? { comment: r.comment } : {}), expr: ruleExpr(r) },
        });
      }
    }
  });
  return JSON.stringify({ nftables: items }) + '\n';
}
