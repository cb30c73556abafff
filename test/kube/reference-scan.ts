/**
 * An independent reading of a rule's facts, the reference scanRule (src/core/kube/scan.ts) is
 * checked against: a straightforward word-at-a-time version with its own word splitting and
 * names, sharing no code with src/core/parse/scanner.ts. Words split as iptables-restore splits
 * them: whitespace separates, double quotes group, and inside quotes (only there) a backslash
 * makes the next character literal. Long spellings of -j, -g and -m mean the same as the short.
 */
import type { RuleFacts } from '../../src/core/kube/scan.js';

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;

export function referenceScanRule(text: string): RuleFacts {
  const f: RuleFacts = {
    comment: undefined,
    protocol: undefined,
    protocolNegated: false,
    destination: undefined,
    destinationNegated: false,
    source: undefined,
    sourceNegated: false,
    dport: undefined,
    mode: undefined,
    modeNegated: false,
    probability: undefined,
    every: undefined,
    rcheck: false,
    seconds: undefined,
    srcType: undefined,
    dstType: undefined,
    toDestination: undefined,
    conditions: 0,
  };
  const words = new WordReader(text);
  // "-A CHAIN" first.
  words.next();
  words.next();
  let negated = false;
  let afterTarget = false;
  let word = words.next();
  while (word !== null) {
    if (word === '!' && !words.quoted) {
      negated = true;
      word = words.next();
      continue;
    }
    if (!words.quoted && isOptionName(word)) {
      const name = LONG_SPELLINGS[word] ?? word;
      const neg = negated;
      negated = false;
      if (name === '-j' || name === '-g') afterTarget = true;
      if (name === '--comment') {
        // An unquoted multi-word comment runs to the next option.
        let value = words.next();
        let next = words.next();
        while (next !== null && (words.quoted || !isOptionName(next)) && next !== '!') {
          value = `${value ?? ''} ${next}`;
          next = words.next();
        }
        if (f.comment === undefined && value !== null) f.comment = value;
        word = next;
        continue;
      }
      if (name === '-m') {
        const module = words.next();
        if (module !== 'comment' && !afterTarget) f.conditions++;
        word = words.next();
        continue;
      }
      if (!afterTarget && name !== '-j' && name !== '-g') f.conditions++;
      switch (name) {
        case '--rcheck':
          f.rcheck = true;
          break;
        case '--reap':
        case '--set':
        case '--update':
        case '--random-fully':
          break;
        default: {
          const value = words.next();
          if (value === null) return f;
          if (!words.quoted && (value === '!' || isOptionName(value))) {
            // A flag we do not list (--rsource, ...): the word is the next option, not a value.
            word = value;
            continue;
          }
          record(f, name, value, neg);
        }
      }
      word = words.next();
      continue;
    }
    negated = false;
    word = words.next();
  }
  return f;
}

function record(f: RuleFacts, name: string, value: string, negated: boolean): void {
  switch (name) {
    case '-p':
    case '--protocol':
      f.protocol ??= value.toLowerCase();
      f.protocolNegated ||= negated;
      break;
    case '-d':
    case '--destination':
    case '--dst':
      f.destination ??= value;
      f.destinationNegated ||= negated;
      break;
    case '-s':
    case '--source':
    case '--src':
      f.source ??= value;
      f.sourceNegated ||= negated;
      break;
    case '--dport':
    case '--destination-port':
      if (!negated) f.dport ??= value;
      break;
    case '--mode':
      f.mode ??= value;
      f.modeNegated ||= negated;
      break;
    case '--probability':
      f.probability ??= value;
      break;
    case '--every':
      f.every ??= value;
      break;
    case '--seconds':
      f.seconds ??= value;
      break;
    case '--src-type':
      f.srcType ??= value;
      break;
    case '--dst-type':
      f.dstType ??= value;
      break;
    case '--to-destination':
      f.toDestination ??= value;
      break;
  }
}

const LONG_SPELLINGS: Readonly<Record<string, string>> = { '--jump': '-j', '--goto': '-g', '--match': '-m' };

/** As the parser decides: "-x"/"--xyz", not a negative number, not quoted. */
function isOptionName(w: string): boolean {
  if (w.length < 2 || w.charCodeAt(0) !== 45) return false;
  const c = w.charCodeAt(1);
  return !(c >= 48 && c <= 57);
}

class WordReader {
  private i = 0;
  /** Whether the last word had quoted parts. */
  quoted = false;
  constructor(private readonly text: string) {}

  next(): string | null {
    const s = this.text;
    const n = s.length;
    let i = this.i;
    while (i < n && (s.charCodeAt(i) === SPACE || s.charCodeAt(i) === TAB)) i++;
    if (i >= n) {
      this.i = i;
      return null;
    }
    const start = i;
    let c = 0;
    while (i < n) {
      c = s.charCodeAt(i);
      if (c === SPACE || c === TAB || c === QUOTE || c === BACKSLASH) break;
      i++;
    }
    if (i >= n || c === SPACE || c === TAB) {
      this.i = i;
      this.quoted = false;
      return s.slice(start, i);
    }
    let word = s.slice(start, i);
    let inQuotes = false;
    this.quoted = false;
    while (i < n) {
      c = s.charCodeAt(i);
      if (!inQuotes && (c === SPACE || c === TAB)) break;
      if (c === QUOTE) {
        inQuotes = !inQuotes;
        this.quoted = true;
      } else if (c === BACKSLASH && inQuotes && i + 1 < n) {
        word += s[i + 1];
        i++;
      } else {
        word += s[i];
      }
      i++;
    }
    this.i = i;
    return word;
  }
}

