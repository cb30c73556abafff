/**
 * The parser's fast path for the line that makes up nearly all of a dump: `[p:b] -A CHAIN ...`.
 *
 * tokenize() + parseRuleArgs() allocate a Token per word, a RuleArg and a values array per
 * option, and the parser kept none of it (rules re-derive their options on demand): on a
 * 10k-service dump that garbage was most of the parse time. This scan walks the same words
 * (same splitting: space/tab, double quotes, backslash) with word boundaries in reused typed
 * arrays, applies the same checks as parseRuleArgs, and allocates nothing but the target's name.
 *
 * It never reports an error itself: anything it does not fully understand (a backslash, an
 * unbalanced quote, `-I`, a quoted command or chain or target, any check that would fail, a
 * line of very many words) makes it answer "not mine", and the parser takes the full path, which
 * produces the exact message and column it always did. A test checks both paths agree on
 * generated and fuzzed input (test/bench/parse-fast.test.ts).
 */

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const DASH = 45;
const BANG = 33;
const COLON = 58;

/** More words than this and the line goes the full path (no kube-proxy rule comes close). */
const MAX_WORDS = 512;
const wordStart = new Int32Array(MAX_WORDS);
const wordEnd = new Int32Array(MAX_WORDS);
/** 1 when any part of the word was quoted (never an option name, never a "!"). */
const wordQuoted = new Uint8Array(MAX_WORDS);

/**
 * Off only in tests, which parse the same text both ways and compare: the fast paths must give
 * exactly what the full path gives.
 */
export const fastPaths = { enabled: true };

/** What scanRuleLine found; one object, overwritten by every call. */
export interface FastRule {
  /** Index of the `-A` in the line (the rule's text starts there). */
  cmdStart: number;
  chainStart: number;
  chainEnd: number;
  /** Span of the -j/-g target, -1 when the rule has none. */
  targetStart: number;
  targetEnd: number;
  goto: boolean;
  /** An -s/-d value with a ':' (an IPv6 address). */
  hasV6Address: boolean;
}

const result: FastRule = {
  cmdStart: 0,
  chainStart: 0,
  chainEnd: 0,
  targetStart: -1,
  targetEnd: -1,
  goto: false,
  hasV6Address: false,
};

/** Generic options as parseRuleArgs knows them (long spellings mapped), by what is checked. */
type Kind = 0 | 1 | 2 | 3 | 4 | 5 | 6;
const OTHER = 0;
const MATCH = 1;
const JUMP = 2;
const GOTO = 3;
/** -s / -d: one value, checked for ':' */
const ADDRESS = 4;
/** -p, -i, -o: one value */
const ONE = 5;
/** -f, -4, -6: no value */
const NONE = 6;

/**
 * Scans `line` from `start` (after the counters). Returns the shared FastRule when the line is
 * a valid `-A CHAIN options...` rule that parseRuleArgs would accept, null otherwise.
 */
export function scanRuleLine(line: string, start: number, end: number): FastRule | null {
  if (!fastPaths.enabled) return null;
  const n = splitWords(line, start, end);
  if (n < 2) return null;
  // "-A" or "--append", unquoted.
  if (wordQuoted[0] !== 0) return null;
  const c0 = wordStart[0]!;
  const len0 = wordEnd[0]! - c0;
  if (len0 === 2) {
    if (line.charCodeAt(c0) !== DASH || line.charCodeAt(c0 + 1) !== 65 /* A */) return null;
  } else if (len0 !== 8 || !line.startsWith('--append', c0)) {
    return null;
  }
  if (wordQuoted[1] !== 0) return null;

  let targetStart = -1;
  let targetEnd = -1;
  let goto = false;
  let hasV6Address = false;
  let i = 2;
  while (i < n) {
    let nameAt = i;
    if (isBang(line, i)) {
      i++;
      if (i >= n || !isOptionName(line, i)) return null;
      nameAt = i;
    } else if (!isOptionName(line, i)) {
      return null;
    }
    i++;
    const kind = optionKind(line, wordStart[nameAt]!, wordEnd[nameAt]!);
    let count = 0;
    const valuesFrom = i;
    while (i < n) {
      if (isOptionName(line, i)) break;
      if (isBang(line, i)) {
        // Old style "--opt ! value" negates this option; otherwise "!" belongs to the next one.
        if (count === 0 && i + 1 < n && !isOptionName(line, i + 1) && !isBang(line, i + 1)) {
          i++;
          continue;
        }
        break;
      }
      count++;
      i++;
    }
    // The first value (skipping an old-style "!" before it).
    const first = count === 0 ? -1 : isBang(line, valuesFrom) ? valuesFrom + 1 : valuesFrom;
    switch (kind) {
      case OTHER:
        break;
      case MATCH:
        if (count === 0) return null;
        break;
      case JUMP:
      case GOTO:
        if (targetStart >= 0 || count === 0 || wordQuoted[first] !== 0) return null;
        targetStart = wordStart[first]!;
        targetEnd = wordEnd[first]!;
        goto = kind === GOTO;
        break;
      case NONE:
        if (count !== 0) return null;
        break;
      case ADDRESS:
        if (count !== 1) return null;
        if (!hasV6Address && hasColon(line, wordStart[first]!, wordEnd[first]!)) hasV6Address = true;
        break;
      case ONE:
        if (count !== 1) return null;
        break;
    }
  }
  result.cmdStart = c0;
  result.chainStart = wordStart[1]!;
  result.chainEnd = wordEnd[1]!;
  result.targetStart = targetStart;
  result.targetEnd = targetEnd;
  result.goto = goto;
  result.hasV6Address = hasV6Address;
  return result;
}

/**
 * Word boundaries of line[start, end) as tokenize() splits them into the shared arrays; the
 * count, or -1 when the line has a backslash, an unbalanced quote, too many words, or any
 * character but printable ASCII and tab (control characters and binary data have their own
 * messages on the full path).
 */
function splitWords(line: string, start: number, end: number): number {
  const n = end;
  let count = 0;
  let i = start;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      i++;
      continue;
    }
    if (count === MAX_WORDS) return -1;
    const begin = i;
    let quoted = 0;
    let inQuotes = false;
    while (i < n) {
      c = line.charCodeAt(i);
      if (c === QUOTE) {
        inQuotes = !inQuotes;
        quoted = 1;
      } else if (c === BACKSLASH || c > 126 || (c < SPACE && c !== TAB)) {
        return -1;
      } else if (!inQuotes && (c === SPACE || c === TAB)) {
        break;
      }
      i++;
    }
    if (inQuotes) return -1;
    wordStart[count] = begin;
    wordEnd[count] = i;
    wordQuoted[count] = quoted;
    count++;
  }
  return count;
}

/** As parseRuleArgs decides: unquoted, "-x" or longer, and not a negative number. */
function isOptionName(line: string, w: number): boolean {
  if (wordQuoted[w] !== 0) return false;
  const s = wordStart[w]!;
  if (wordEnd[w]! - s < 2 || line.charCodeAt(s) !== DASH) return false;
  const c = line.charCodeAt(s + 1);
  return !(c >= 48 && c <= 57);
}

function isBang(line: string, w: number): boolean {
  return wordQuoted[w] === 0 && wordEnd[w]! - wordStart[w]! === 1 && line.charCodeAt(wordStart[w]!) === BANG;
}

function hasColon(line: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (line.charCodeAt(i) === COLON) return true;
  return false;
}

/** Long spellings of the generic options (args.ts' LONG_GENERIC), by length and third character. */
const LONG_NAMES: (readonly [string, Kind] | undefined)[] = [];
for (const [name, kind] of [
  ['--src', ADDRESS],
  ['--dst', ADDRESS],
  ['--jump', JUMP],
  ['--goto', GOTO],
  ['--match', MATCH],
  ['--source', ADDRESS],
  ['--protocol', ONE],
  ['--fragment', NONE],
  ['--destination', ADDRESS],
  ['--in-interface', ONE],
  ['--out-interface', ONE],
] as const) {
  const key = name.length * 128 + name.charCodeAt(2);
  if (LONG_NAMES[key] !== undefined) throw new Error(`two long options share a key: ${name}`);
  LONG_NAMES[key] = [name, kind];
}

/** The option's kind after LONG_GENERIC's mapping (args.ts), without slicing the name. */
function optionKind(line: string, s: number, e: number): Kind {
  const len = e - s;
  const c = line.charCodeAt(s + 1);
  if (len === 2) {
    switch (c) {
      case 109 /* m */:
        return MATCH;
      case 106 /* j */:
        return JUMP;
      case 103 /* g */:
        return GOTO;
      case 115 /* s */:
      case 100 /* d */:
        return ADDRESS;
      case 112 /* p */:
      case 105 /* i */:
      case 111 /* o */:
        return ONE;
      case 102 /* f */:
      case 52 /* 4 */:
      case 54 /* 6 */:
        return NONE;
      default:
        return OTHER;
    }
  }
  if (c !== DASH || len > 15) return OTHER;
  // At most one long generic option per (length, third character): one comparison decides.
  const candidate = LONG_NAMES[len * 128 + line.charCodeAt(s + 2)];
  return candidate !== undefined && line.startsWith(candidate[0], s) ? candidate[1] : OTHER;
}
