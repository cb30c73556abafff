/**
 * The parser's fast path for the line that makes up nearly all of a dump: `[p:b] -A CHAIN ...`.
 *
 * tokenize() + parseRuleArgs() allocate a Token per word, a RuleArg and a values array per
 * option, and the parser keeps none of it (rules re-derive their options on demand). This scan
 * takes the same words (scanner.ts' splitWords) into typed arrays it owns, applies the same
 * checks as parseRuleArgs, and allocates nothing but the target's name.
 *
 * It never reports an error itself: anything it does not fully understand (an unbalanced quote,
 * a character outside printable ASCII, `-I`, a quoted command or chain or target, any check that
 * would fail, a line of very many words) makes it answer "not mine", and the parser takes the
 * full path, which produces the exact message and column. A test checks both paths agree on
 * generated and fuzzed input (test/parse/parse-fast.test.ts).
 */
import {
  OPT_DESTINATION,
  OPT_FRAGMENT,
  OPT_GOTO,
  OPT_IN_INTERFACE,
  OPT_IPV4,
  OPT_IPV6,
  OPT_JUMP,
  OPT_MATCH,
  OPT_OUT_INTERFACE,
  OPT_PROTOCOL,
  OPT_SOURCE,
  genericOptionIdOf,
} from './options.js';
import { splitWords, WORD_BANG, WORD_NOT_ASCII, WORD_OPTION, WORD_QUOTED, WORD_UNBALANCED, WordSpans } from './scanner.js';

const DASH = 45;
const BANG = 33;
const COLON = 58;

/** More words than this and the line goes the full path (no kube-proxy rule comes close). */
const MAX_WORDS = 512;

/** What RuleLineScanner.scan found. */
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

/**
 * Reads rule lines for one parse. Word spans go to arrays reused from line to line, and scan()
 * answers with the same FastRule object each time: a parse reads some 200k rule lines.
 */
export class RuleLineScanner {
  private readonly words = new WordSpans(MAX_WORDS);
  private readonly result: FastRule = {
    cmdStart: 0,
    chainStart: 0,
    chainEnd: 0,
    targetStart: -1,
    targetEnd: -1,
    goto: false,
    hasV6Address: false,
  };

  /**
   * Scans line[start, end) (after the counters). Returns this scanner's FastRule, overwritten by
   * the next call, when the line is a valid `-A CHAIN options...` rule that parseRuleArgs would
   * accept; null otherwise.
   */
  scan(line: string, start: number, end: number): FastRule | null {
    const words = this.words;
    const n = splitWords(line, start, end, words);
    // An unbalanced quote or a character outside printable ASCII: the full path has the messages.
    if (n < 2 || (words.allFlags & (WORD_UNBALANCED | WORD_NOT_ASCII)) !== 0) return null;
    const wordStart = words.starts;
    const wordEnd = words.ends;
    /** Each word's WORD_* flags (quoted, an option name, a "!"...). */
    const wordIs = words.flags;
    // "-A" or "--append", unquoted.
    if ((wordIs[0]! & WORD_QUOTED) !== 0) return null;
    const c0 = wordStart[0]!;
    const len0 = wordEnd[0]! - c0;
    if (len0 === 2) {
      if (line.charCodeAt(c0) !== DASH || line.charCodeAt(c0 + 1) !== 65 /* A */) return null;
    } else if (len0 !== 8 || !line.startsWith('--append', c0)) {
      return null;
    }
    if ((wordIs[1]! & WORD_QUOTED) !== 0) return null;

    let targetStart = -1;
    let targetEnd = -1;
    let goto = false;
    let hasV6Address = false;
    let i = 2;
    while (i < n) {
      let nameAt = i;
      if ((wordIs[i]! & WORD_BANG) !== 0) {
        i++;
        if (i >= n || (wordIs[i]! & WORD_OPTION) === 0) return null;
        nameAt = i;
      } else if ((wordIs[i]! & WORD_OPTION) === 0) {
        return null;
      }
      i++;
      const kind = KIND_OF_OPTION[genericOptionIdOf(line, wordStart[nameAt]!, wordEnd[nameAt]!)]!;
      let count = 0;
      const valuesFrom = i;
      while (i < n) {
        const is = wordIs[i]!;
        if ((is & WORD_OPTION) !== 0) break;
        if ((is & WORD_BANG) !== 0) {
          // Old style "--opt ! value" negates this option; otherwise "!" belongs to the next one.
          if (count === 0 && i + 1 < n && (wordIs[i + 1]! & (WORD_OPTION | WORD_BANG)) === 0) {
            i++;
            continue;
          }
          break;
        }
        count++;
        i++;
      }
      // The first value (skipping an old-style "!" before it).
      const first = count === 0 ? -1 : (wordIs[valuesFrom]! & WORD_BANG) !== 0 ? valuesFrom + 1 : valuesFrom;
      switch (kind) {
        case OTHER:
          break;
        case MATCH:
          if (count === 0) return null;
          break;
        case JUMP:
        case GOTO:
          if (targetStart >= 0 || count === 0 || (wordIs[first]! & WORD_QUOTED) !== 0) return null;
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
    const result = this.result;
    result.cmdStart = c0;
    result.chainStart = wordStart[1]!;
    result.chainEnd = wordEnd[1]!;
    result.targetStart = targetStart;
    result.targetEnd = targetEnd;
    result.goto = goto;
    result.hasV6Address = hasV6Address;
    return result;
  }
}

function hasColon(line: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (line.charCodeAt(i) === COLON) return true;
  return false;
}

/** What parseRuleArgs checks of a generic option. */
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

/** By OPT_* id (options.ts); options not listed are OTHER. */
const KIND_OF_OPTION = new Uint8Array(64);
KIND_OF_OPTION[OPT_SOURCE] = ADDRESS;
KIND_OF_OPTION[OPT_DESTINATION] = ADDRESS;
KIND_OF_OPTION[OPT_PROTOCOL] = ONE;
KIND_OF_OPTION[OPT_IN_INTERFACE] = ONE;
KIND_OF_OPTION[OPT_OUT_INTERFACE] = ONE;
KIND_OF_OPTION[OPT_JUMP] = JUMP;
KIND_OF_OPTION[OPT_GOTO] = GOTO;
KIND_OF_OPTION[OPT_MATCH] = MATCH;
KIND_OF_OPTION[OPT_FRAGMENT] = NONE;
KIND_OF_OPTION[OPT_IPV4] = NONE;
KIND_OF_OPTION[OPT_IPV6] = NONE;
