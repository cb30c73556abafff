/**
 * Splits one dump line into words the way iptables-restore does: whitespace separates,
 * double quotes group (and may sit inside a word), a backslash escapes the next character.
 */

export interface Token {
  readonly text: string;
  /** True when any part of the word was quoted: such a word is never an option name. */
  readonly quoted: boolean;
  /** Column of the word's first character, from 1. */
  readonly column: number;
}

export type TokenizeResult =
  | { readonly ok: true; readonly tokens: Token[] }
  | { readonly ok: false; readonly message: string; readonly column: number };

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;

/** Tokenizes `line` from `start` (0-based); columns are reported 1-based. */
export function tokenize(line: string, start = 0): TokenizeResult {
  const tokens: Token[] = [];
  const n = line.length;
  let i = start;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      i++;
      continue;
    }
    const tokenStart = i;
    let quoted = false;
    let inQuotes = false;
    let quoteStart = -1;
    // Fast path: a plain word is one slice, no copying char by char.
    let plainEnd = i;
    while (plainEnd < n) {
      c = line.charCodeAt(plainEnd);
      if (c === SPACE || c === TAB || c === QUOTE || c === BACKSLASH) break;
      plainEnd++;
    }
    if (plainEnd === n || c === SPACE || c === TAB) {
      tokens.push({ text: line.slice(tokenStart, plainEnd), quoted: false, column: tokenStart + 1 });
      i = plainEnd;
      continue;
    }
    let text = line.slice(tokenStart, plainEnd);
    i = plainEnd;
    while (i < n) {
      c = line.charCodeAt(i);
      if (!inQuotes && (c === SPACE || c === TAB)) break;
      if (c === QUOTE) {
        inQuotes = !inQuotes;
        quoted = true;
        if (inQuotes) quoteStart = i;
        i++;
        continue;
      }
      if (c === BACKSLASH && i + 1 < n) {
        text += line[i + 1];
        i += 2;
        continue;
      }
      text += line[i];
      i++;
    }
    if (inQuotes) {
      return { ok: false, message: 'unbalanced quote: no closing "', column: quoteStart + 1 };
    }
    tokens.push({ text, quoted, column: tokenStart + 1 });
  }
  return { ok: true, tokens };
}
