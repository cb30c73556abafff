/**
 * The one reader of rule text: splits it into words, as spans of the text, and says what a word
 * is (an option name, a "!", which option). The tokenizer, the kube model's fact scan and the
 * tracer's prefilter walk words with a WordScanner, the parser's fast path takes a line's words
 * all at once with splitWords(); so they cannot disagree on where a word ends or what it says.
 *
 * Words split as iptables-restore splits them (xtables' add_param_to_argv), which is what
 * iptables-save's quoting (xtables_save_string) is written for:
 *  - space and tab separate words;
 *  - a double quote opens a quoted part and the next unescaped one closes it; a quoted part may
 *    sit inside a word (a"b c"d is the one word "ab cd");
 *  - inside quotes, a backslash makes the next character literal: iptables-save writes the
 *    comment `say "hi" \o/` as "say \"hi\" \\o/";
 *  - outside quotes, a backslash is an ordinary character (iptables-restore reads it so, and
 *    iptables-save never writes one there).
 * A word with any quoted part is never an option name nor a "!".
 */
import { optionIdOf } from './options.js';

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const DASH = 45;
const BANG = 33;

// The WORD_* bits of a word's flags: what it holds and what it is.
/** Some part of the word was quoted. */
export const WORD_QUOTED = 1;
/** A backslash escape inside quotes: the word's text is not its span without the quotes. */
export const WORD_ESCAPED = 2;
/** A character that is neither printable ASCII nor a tab. */
export const WORD_NOT_ASCII = 4;
/** A quote opened in the word never closes: the word runs to the end of the text. */
export const WORD_UNBALANCED = 8;
/** An option name: unquoted, "-x" or longer, and not a negative number ("-1" is a value). */
export const WORD_OPTION = 16;
/** An unquoted "!" (negation). */
export const WORD_BANG = 32;

/**
 * Walks the words of text[from, to) one at a time. After next() returned true, `start` and
 * `end` are the current word's span (its quotes included) and `flags` what it holds; text()
 * builds its string only when asked.
 */
export class WordScanner {
  private s = '';
  private pos = 0;
  private limit = 0;
  /** The current word: its span in the text, quotes included. */
  start = 0;
  end = 0;
  /** WORD_* bits of the current word. */
  flags = 0;
  /** Where the unclosed quote of a WORD_UNBALANCED word opened. */
  openQuote = -1;

  constructor(text = '', from = 0, to = text.length) {
    this.reset(text, from, to);
  }

  /** Starts over on text[from, to). */
  reset(text: string, from = 0, to = text.length): this {
    this.s = text;
    this.pos = from;
    this.limit = to;
    this.start = this.end = from;
    this.flags = 0;
    this.openQuote = -1;
    return this;
  }

  /** Moves to the next word; false when there is none. */
  next(): boolean {
    const s = this.s;
    const n = this.limit;
    let i = this.pos;
    let c = 0;
    while (i < n && ((c = s.charCodeAt(i)) === SPACE || c === TAB)) i++;
    if (i >= n) {
      this.pos = i;
      return false;
    }
    this.start = i;
    let flags = 0;
    /** Where the quoted part we are in opened, -1 outside quotes. */
    let open = -1;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      // Printable ASCII but space, "!", quote and backslash: nothing to decide.
      if (c > QUOTE && c !== BACKSLASH && c < 127) continue;
      if (c === QUOTE) {
        if (open < 0) {
          open = i;
          flags |= WORD_QUOTED;
        } else {
          open = -1;
        }
      } else if (c === SPACE || c === TAB) {
        if (open < 0) break;
      } else if (c === BACKSLASH) {
        if (open >= 0 && i + 1 < n) {
          flags |= WORD_ESCAPED;
          i++;
          if (isNotAscii(s.charCodeAt(i))) flags |= WORD_NOT_ASCII;
        }
      } else if (c !== BANG) {
        flags |= WORD_NOT_ASCII;
      }
    }
    if (open >= 0) {
      flags |= WORD_UNBALANCED;
      this.openQuote = open;
    } else if ((flags & WORD_QUOTED) === 0) {
      flags |= kindOf(s, this.start, i);
    }
    this.end = this.pos = i;
    this.flags = flags;
    return true;
  }

  get quoted(): boolean {
    return (this.flags & WORD_QUOTED) !== 0;
  }

  /** The current word's text: its quotes removed and escapes resolved. */
  text(): string {
    if ((this.flags & WORD_QUOTED) === 0) return this.s.slice(this.start, this.end);
    return decodeWord(this.s, this.start, this.end);
  }

  /** The current word's text is `lit` (quoted or not). */
  is(lit: string): boolean {
    if ((this.flags & WORD_QUOTED) !== 0) return this.text() === lit;
    return this.end - this.start === lit.length && this.s.startsWith(lit, this.start);
  }

  /** An unquoted "!". */
  isBang(): boolean {
    return (this.flags & WORD_BANG) !== 0;
  }

  /** An option name: unquoted, "-x" or longer, and not a negative number. */
  isOptionName(): boolean {
    return (this.flags & WORD_OPTION) !== 0;
  }

  /** The OPT_* id of the current word when it is an option name listed in options.ts, else 0. */
  option(): number {
    return (this.flags & WORD_OPTION) !== 0 ? optionIdOf(this.s, this.start, this.end) : 0;
  }
}

/** The words of a text all at once, for readers that need every word and look back and ahead. */
export class WordSpans {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** WORD_* bits of each word. */
  readonly flags: Uint8Array;
  /** The WORD_* bits of all the words together (after splitWords). */
  allFlags = 0;

  constructor(readonly capacity: number) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
  }
}

/**
 * Splits text[from, to) into `spans`: the word count, or -1 when there are more words than
 * spans.capacity. The same loop as WordScanner.next(), written out again on purpose: the
 * parser's fast path splits some 200k rule lines, and one word-reading function shared by both
 * made the load slower (BENCHMARKS.md, "One scanner"). A property test holds the two to the same
 * words, flags and spans.
 */
export function splitWords(s: string, from: number, to: number, spans: WordSpans): number {
  const { starts, ends, flags, capacity } = spans;
  const n = to;
  let i = from;
  let count = 0;
  let all = 0;
  let c = 0;
  for (;;) {
    while (i < n && ((c = s.charCodeAt(i)) === SPACE || c === TAB)) i++;
    if (i >= n) break;
    if (count === capacity) return -1;
    const start = i;
    let f = 0;
    let open = -1;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c > QUOTE && c !== BACKSLASH && c < 127) continue;
      if (c === QUOTE) {
        if (open < 0) {
          open = i;
          f |= WORD_QUOTED;
        } else {
          open = -1;
        }
      } else if (c === SPACE || c === TAB) {
        if (open < 0) break;
      } else if (c === BACKSLASH) {
        if (open >= 0 && i + 1 < n) {
          f |= WORD_ESCAPED;
          i++;
          if (isNotAscii(s.charCodeAt(i))) f |= WORD_NOT_ASCII;
        }
      } else if (c !== BANG) {
        f |= WORD_NOT_ASCII;
      }
    }
    if (open >= 0) f |= WORD_UNBALANCED;
    else if ((f & WORD_QUOTED) === 0 && ((c = s.charCodeAt(start)) === DASH || c === BANG)) f |= kindOf(s, start, i);
    starts[count] = start;
    ends[count] = i;
    flags[count] = f;
    all |= f;
    count++;
  }
  spans.allFlags = all;
  return count;
}

/** WORD_OPTION, WORD_BANG or 0 for the unquoted word s[start, end). */
function kindOf(s: string, start: number, end: number): number {
  if (isOptionSpan(s, start, end)) return WORD_OPTION;
  return end - start === 1 && s.charCodeAt(start) === BANG ? WORD_BANG : 0;
}

function isNotAscii(c: number): boolean {
  return c > 126 || (c < SPACE && c !== TAB);
}

/**
 * Whether the unquoted word s[start, end) names an option: "-x" or longer, and not a negative
 * number ("-1" is a value).
 */
export function isOptionSpan(s: string, start: number, end: number): boolean {
  if (end - start < 2 || s.charCodeAt(start) !== DASH) return false;
  const c = s.charCodeAt(start + 1);
  return !(c >= 48 && c <= 57);
}

/** The text of the word s[start, end): quotes removed, escapes inside them resolved. */
function decodeWord(s: string, start: number, end: number): string {
  let out = '';
  let run = start;
  let inQuotes = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === QUOTE) {
      if (i > run) out += s.slice(run, i);
      inQuotes = !inQuotes;
      run = i + 1;
    } else if (c === BACKSLASH && inQuotes && i + 1 < end) {
      if (i > run) out += s.slice(run, i);
      run = i + 1; // the escaped character starts the next run
      i++;
    }
  }
  if (end > run) out += s.slice(run, end);
  return out;
}

/**
 * Whether s[at] lies outside every quoted part, reading only the quoted parts before it: for
 * readers that find an option by substring search and must not take one inside a comment.
 */
export function outsideQuotes(s: string, at: number): boolean {
  const n = s.length;
  let open = s.indexOf('"');
  while (open >= 0 && open < at) {
    let close = open + 1;
    for (; close < n; close++) {
      const c = s.charCodeAt(close);
      if (c === QUOTE) break;
      if (c === BACKSLASH) close++;
    }
    if (close >= at) return false;
    open = s.indexOf('"', close + 1);
  }
  return true;
}
