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
  const w = reader;
  w.reset(text);
  // One place reads the next word, and a state says what the word is expected to be: the
  // optimizing compiler inlines the reader once instead of at every step (scanRule runs for
  // tens of thousands of rules, and compiling a version with eight inlined readers cost more
  // than the rules themselves).
  let state = ANY;
  let skip = 2; // "-A CHAIN"
  let negated = false;
  let afterTarget = false;
  /** The option waiting for its value (state VALUE), and whether it was negated. */
  let pending: string | undefined;
  let pendingNegated = false;
  /** The comment being read (states COMMENT_FIRST, COMMENT_MORE). */
  let comment: string | null = null;
  for (;;) {
    const more = w.next();
    if (skip > 0) {
      skip--;
      continue;
    }
    if (!more) {
      if (state === COMMENT_MORE) {
        if (f.comment === undefined && comment !== null) f.comment = comment;
      } else if (state === MODULE) {
        // "-m" at the very end: no module name, so not a comment.
        if (!afterTarget) f.conditions++;
      }
      return f;
    }
    if (state !== ANY) {
      if (state === COMMENT_FIRST) {
        comment = w.text();
        state = COMMENT_MORE;
        continue;
      }
      if (state === COMMENT_MORE) {
        // An unquoted multi-word comment runs to the next option.
        if ((w.quoted || !w.isOptionName()) && !w.is('!')) {
          comment = `${comment ?? ''} ${w.text()}`;
          continue;
        }
        if (f.comment === undefined && comment !== null) f.comment = comment;
        state = ANY; // and this word starts what follows
      } else if (state === MODULE) {
        if (!w.is('comment') && !afterTarget) f.conditions++;
        state = ANY;
        continue;
      } else {
        // VALUE
        state = ANY;
        if (!w.quoted && (w.is('!') || w.isOptionName())) {
          // A flag we do not list (--rsource, ...): the word is the next option, not a value.
        } else {
          // Only the options record() keeps need their value as a string.
          if (pending !== undefined && RECORDED.has(pending)) record(f, pending, w.text(), pendingNegated);
          continue;
        }
      }
    }
    if (w.quoted) {
      negated = false;
      continue;
    }
    if (w.is('!')) {
      negated = true;
      continue;
    }
    if (!w.isOptionName()) {
      negated = false;
      continue;
    }
    const name = w.name();
    const neg = negated;
    negated = false;
    const jump = name === '-j' || name === '-g';
    if (jump) afterTarget = true;
    if (name === '--comment') {
      comment = null;
      state = COMMENT_FIRST;
      continue;
    }
    if (name === '-m') {
      state = MODULE;
      continue;
    }
    if (!afterTarget && !jump) f.conditions++;
    if (name === '--rcheck') {
      f.rcheck = true;
      continue;
    }
    if (name === '--reap' || name === '--set' || name === '--update' || name === '--random-fully') continue;
    pending = name;
    pendingNegated = neg;
    state = VALUE;
  }
}

/** What scanRule expects the next word to be. */
const ANY = 0;
const COMMENT_FIRST = 1;
const COMMENT_MORE = 2;
const MODULE = 3;
const VALUE = 4;

/** Option names scanRule acts on; any other option is only counted and skipped. */
const KNOWN_NAMES = [
  '-j', '-g', '-m', '-p', '-d', '-s', '--comment', '--rcheck', '--reap', '--set', '--update', '--random-fully',
  '--protocol', '--destination', '--dst', '--source', '--src', '--dport', '--destination-port', '--mode',
  '--probability', '--every', '--seconds', '--src-type', '--dst-type', '--to-destination',
];
/** Names whose value record() keeps. */
const RECORDED: ReadonlySet<string> = new Set([
  '-p', '--protocol', '-d', '--destination', '--dst', '-s', '--source', '--src', '--dport', '--destination-port',
  '--mode', '--probability', '--every', '--seconds', '--src-type', '--dst-type', '--to-destination',
]);
/**
 * KNOWN_NAMES by length and one character (the third, or the second of "-x"): a word is compared
 * with the one or two names of its key, not with every name of its length (six for "-x").
 */
const NAMES_BY_KEY: (string[] | undefined)[] = [];
for (const n of KNOWN_NAMES) (NAMES_BY_KEY[nameKey(n, 0, n.length)] ??= []).push(n);
const KNOWN: ReadonlySet<string> = new Set(KNOWN_NAMES);

function nameKey(s: string, start: number, end: number): number {
  const length = end - start;
  return length * 128 + (s.charCodeAt(start + (length > 2 ? 2 : 1)) & 127);
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

/**
 * Words of a rule's text as iptables-restore splits them, one at a time, as spans: a word is
 * sliced only when its value is wanted, and names are compared in place.
 */
class WordReader {
  private s = '';
  private i = 0;
  private start = 0;
  private end = 0;
  /** The word has no quotes or escapes: its text is s[start, end). */
  private plain = true;
  private decoded: string | null = null;
  /** Whether the current word had quoted parts. */
  quoted = false;

  reset(text: string): void {
    this.s = text;
    this.i = 0;
    this.decoded = null;
  }

  /** Moves to the next word; false at the end. */
  next(): boolean {
    const s = this.s;
    const n = s.length;
    let i = this.i;
    while (i < n && (s.charCodeAt(i) === SPACE || s.charCodeAt(i) === TAB)) i++;
    this.decoded = null;
    if (i >= n) {
      this.i = i;
      return false;
    }
    const start = i;
    let c = 0;
    while (i < n) {
      c = s.charCodeAt(i);
      if (c === SPACE || c === TAB || c === QUOTE || c === BACKSLASH) break;
      i++;
    }
    this.start = start;
    if (i >= n || c === SPACE || c === TAB) {
      this.i = this.end = i;
      this.quoted = false;
      this.plain = true;
      return true;
    }
    // Quotes or escapes: join the plain runs between them.
    let word = s.slice(start, i);
    let inQuotes = false;
    let quoted = false;
    let run = i;
    while (i < n) {
      c = s.charCodeAt(i);
      if (!inQuotes && (c === SPACE || c === TAB)) break;
      if (c === QUOTE) {
        if (i > run) word += s.slice(run, i);
        inQuotes = !inQuotes;
        quoted = true;
        run = i + 1;
      } else if (c === BACKSLASH && i + 1 < n) {
        if (i > run) word += s.slice(run, i);
        word += s[i + 1];
        i++;
        run = i + 1;
      }
      i++;
    }
    if (i > run) word += s.slice(run, i);
    this.i = this.end = i;
    this.quoted = quoted;
    this.plain = false;
    this.decoded = word;
    return true;
  }

  text(): string {
    return this.decoded ?? this.s.slice(this.start, this.end);
  }

  /** The word's text equals `lit`. */
  is(lit: string): boolean {
    if (!this.plain) return this.decoded === lit;
    return this.end - this.start === lit.length && this.s.startsWith(lit, this.start);
  }

  /** As the parser decides: "-x"/"--xyz", not a negative number (the caller checks quoting). */
  isOptionName(): boolean {
    if (!this.plain) return isOptionName(this.decoded!);
    const s = this.s;
    if (this.end - this.start < 2 || s.charCodeAt(this.start) !== 45) return false;
    const c = s.charCodeAt(this.start + 1);
    return !(c >= 48 && c <= 57);
  }

  /** The word as one of KNOWN_NAMES (the shared literal), or undefined for any other. */
  name(): string | undefined {
    if (!this.plain) return KNOWN.has(this.decoded!) ? this.decoded! : undefined;
    const candidates = NAMES_BY_KEY[nameKey(this.s, this.start, this.end)];
    if (candidates === undefined) return undefined;
    for (let i = 0; i < candidates.length; i++) if (this.s.startsWith(candidates[i]!, this.start)) return candidates[i];
    return undefined;
  }
}

const reader = new WordReader();

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
