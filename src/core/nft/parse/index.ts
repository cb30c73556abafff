/**
 * Reading an nftables ruleset in any of its three forms: `nft list ruleset` text (with or without
 * -a), `nft -j list ruleset` JSON, and kube-proxy's transaction input (`add …`, `flush …`).
 */
import type { NftForm, NftRuleset } from '../types.js';
import { parseNftJson } from './json.js';
import { parseNftText } from './text.js';

export { nftStatementText, nftRuleText, nftElementText, nftExprText, nftDurationText } from './render.js';
export { parseDuration, priorityName } from './values.js';

export interface NftParseOptions {
  /** Read the input as this form instead of detecting it. */
  readonly form?: NftForm;
}

const TRANSACTION_WORDS = new Set(['add', 'create', 'insert', 'flush', 'delete', 'destroy', 'replace', 'define', 'include']);

/** The first word or character that is not blank or a `#` comment. */
function firstSignificant(text: string, limit = 65_536): { char: string; word: string; offset: number } | null {
  const n = Math.min(text.length, limit);
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) {
      i++;
      continue;
    }
    if (c === 35) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return null;
      i = nl + 1;
      continue;
    }
    let j = i;
    while (j < n && !/[\s{};]/.test(text[j]!)) j++;
    return { char: text[i]!, word: text.slice(i, j), offset: i };
  }
  return null;
}

/** Which form a text is in; the text form when nothing says otherwise. */
export function detectNftForm(text: string): NftForm {
  const first = firstSignificant(text);
  if (first === null) return 'text';
  if (first.char === '{' || first.char === '[') return 'json';
  if (TRANSACTION_WORDS.has(first.word)) return 'transaction';
  return 'text';
}

/**
 * A cheap sniff for sources choosing a parser: JSON naming "nftables", a `table FAMILY NAME {`
 * block, or a transaction command (`add table`, `flush chain`, …). iptables-save text is not.
 */
export function looksLikeNftables(text: string): boolean {
  const first = firstSignificant(text);
  if (first === null) return false;
  const head = text.slice(first.offset, first.offset + 512);
  if (first.char === '{') return /^\{\s*"nftables"\s*:/.test(head);
  if (first.word === 'table') return /^table\s+(?:(?:ip|ip6|inet|arp|bridge|netdev)\s+)?[^\s{}]+\s*\{/.test(head);
  if (TRANSACTION_WORDS.has(first.word)) {
    return /^(?:add|create|insert|flush|delete|destroy|replace)\s+(?:table|chain|set|map|rule|element|ruleset|counter|quota|flowtable)\b/.test(head);
  }
  return false;
}

/** Parse an nftables ruleset in whichever form it is; never throws, problems are diagnostics. */
export function parseNftables(text: string, options: NftParseOptions = {}): NftRuleset {
  const form = options.form ?? detectNftForm(text);
  try {
    return form === 'json' ? parseNftJson(text) : parseNftText(text, form);
  } catch (err) {
    // a bug in the reader must still give the user a position, not a stack trace
    return {
      form,
      tables: [],
      diagnostics: [{ severity: 'error', message: `internal error reading the ruleset: ${(err as Error).message}`, line: 1, column: 1 }],
      hasCounters: false,
    };
  }
}
