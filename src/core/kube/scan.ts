/**
 * The few options the kube model reads, taken from a rule's text in one pass. `rule.args`
 * re-tokenizes on every uncached access, which costs seconds over the ~200k SVC->SEP and DNAT
 * rules of a 10k-service dump; this reads only what the model needs and keeps no objects.
 * Words split as iptables-restore splits them (whitespace, double quotes, backslash escapes).
 */

export interface RuleFacts {
  comment: string | undefined;
  protocol: string | undefined;
  protocolNegated: boolean;
  destination: string | undefined;
  destinationNegated: boolean;
  source: string | undefined;
  sourceNegated: boolean;
  dport: string | undefined;
  /** -m statistic */
  mode: string | undefined;
  modeNegated: boolean;
  probability: string | undefined;
  every: string | undefined;
  /** -m recent --rcheck (a session-affinity check) and its --seconds. */
  rcheck: boolean;
  seconds: string | undefined;
  srcType: string | undefined;
  dstType: string | undefined;
  toDestination: string | undefined;
  /** Match options other than -m comment / --comment: 0 means the jump is unconditional. */
  conditions: number;
}

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;

export function scanRule(text: string): RuleFacts {
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
      const name = word;
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
      } else if (c === BACKSLASH && i + 1 < n) {
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

/**
 * The word after option `name` (" --to-destination 10.0.0.1:80" -> "10.0.0.1:80"), found by
 * substring search outside quotes: for the hot SVC->SEP and DNAT rules, where building the
 * whole RuleFacts would only feed the garbage collector. Undefined when absent or quoted.
 */
export function optionWord(text: string, name: string): string | undefined {
  const at = optionIndex(text, name);
  if (at < 0) return undefined;
  let start = at + name.length + 1;
  const n = text.length;
  while (start < n && (text.charCodeAt(start) === SPACE || text.charCodeAt(start) === TAB)) start++;
  let end = start;
  while (end < n) {
    const c = text.charCodeAt(end);
    if (c === SPACE || c === TAB) break;
    if (c === QUOTE || c === BACKSLASH) return scanValue(text, name);
    end++;
  }
  return end > start ? text.slice(start, end) : undefined;
}

/** Whether the rule has option `name` (a flag such as --rcheck) outside quotes. */
export function hasOption(text: string, name: string): boolean {
  return optionIndex(text, name) >= 0;
}

/** Index of " name" followed by a space or the end, outside double quotes; -1 when absent. */
function optionIndex(text: string, name: string): number {
  const needle = ' ' + name;
  let from = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) return -1;
    const after = at + needle.length;
    const c = after < text.length ? text.charCodeAt(after) : SPACE;
    if ((c === SPACE || c === TAB) && !insideQuotes(text, at)) return at;
    from = after;
  }
}

function insideQuotes(text: string, at: number): boolean {
  let open = false;
  for (let i = text.indexOf('"'); i >= 0 && i < at; i = text.indexOf('"', i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) === BACKSLASH) continue;
    open = !open;
  }
  return open;
}

/** Slow path for a quoted or escaped value. */
function scanValue(text: string, name: string): string | undefined {
  const f = scanRule(text);
  if (name === '--to-destination') return f.toDestination;
  if (name === '-p') return f.protocol;
  if (name === '--probability') return f.probability;
  if (name === '--seconds') return f.seconds;
  if (name === '--mode') return f.mode;
  return undefined;
}
