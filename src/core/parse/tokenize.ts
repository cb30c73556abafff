/**
 * A dump line as a list of words (scanner.ts splits them), for the parser's full path and for a
 * rule's options: each word's text, whether any of it was quoted, and its column.
 */
import { WORD_UNBALANCED, WordScanner } from './scanner.js';

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

/** Tokenizes `line` from `start` (0-based); columns are reported 1-based. */
export function tokenize(line: string, start = 0): TokenizeResult {
  const tokens: Token[] = [];
  const words = new WordScanner(line, start);
  while (words.next()) {
    if ((words.flags & WORD_UNBALANCED) !== 0) {
      return { ok: false, message: 'unbalanced quote: no closing "', column: words.openQuote + 1 };
    }
    tokens.push({ text: words.text(), quoted: words.quoted, column: words.start + 1 });
  }
  return { ok: true, tokens };
}
