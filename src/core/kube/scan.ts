/**
 * The few options the kube model reads, taken from a rule's text in one pass. `rule.args`
 * re-tokenizes on every uncached access, which costs seconds over the ~200k SVC->SEP and DNAT
 * rules of a 10k-service dump; this reads only what the model needs and keeps no objects.
 * Words are the parser's (parse/scanner.ts).
 */
import {
  OPT_COMMENT,
  OPT_DESTINATION,
  OPT_DPORT,
  OPT_DST_TYPE,
  OPT_EVERY,
  OPT_GOTO,
  OPT_JUMP,
  OPT_MATCH,
  OPT_MODE,
  OPT_OTHER,
  OPT_PROBABILITY,
  OPT_PROTOCOL,
  OPT_RANDOM_FULLY,
  OPT_RCHECK,
  OPT_REAP,
  OPT_SECONDS,
  OPT_SET,
  OPT_SOURCE,
  OPT_SRC_TYPE,
  OPT_TO_DESTINATION,
  OPT_UPDATE,
  optionId,
} from '../parse/options.js';
import { outsideQuotes, WordScanner } from '../parse/scanner.js';

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

/**
 * Reads a rule's words; the options listed in parse/options.ts are recognised by id. `words`:
 * a scanner to reuse, for callers that read many rules (one scanner instead of one per rule).
 */
export function scanRule(text: string, words: WordScanner = new WordScanner()): RuleFacts {
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
  const w = words.reset(text);
  // One place reads the next word, and a state says what the word is expected to be: the
  // optimizing compiler inlines the reader once instead of at every step (scanRule runs for
  // tens of thousands of rules, and compiling a version with eight inlined readers cost more
  // than the rules themselves).
  let state = ANY;
  let skip = 2; // "-A CHAIN"
  let negated = false;
  let afterTarget = false;
  /** The option (OPT_* id) waiting for its value (state VALUE), and whether it was negated. */
  let pending = OPT_OTHER;
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
        if (!w.isOptionName() && !w.is('!')) {
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
        if (w.isBang() || w.isOptionName()) {
          // A flag we do not list (--rsource, ...): the word is the next option, not a value.
        } else {
          // Only the options record() keeps need their value as a string.
          if (RECORDED[pending] === 1) record(f, pending, w.text(), pendingNegated);
          continue;
        }
      }
    }
    if (w.quoted) {
      negated = false;
      continue;
    }
    if (w.isBang()) {
      negated = true;
      continue;
    }
    if (!w.isOptionName()) {
      negated = false;
      continue;
    }
    const id = w.option();
    const neg = negated;
    negated = false;
    const jump = id === OPT_JUMP || id === OPT_GOTO;
    if (jump) afterTarget = true;
    if (id === OPT_COMMENT) {
      comment = null;
      state = COMMENT_FIRST;
      continue;
    }
    if (id === OPT_MATCH) {
      state = MODULE;
      continue;
    }
    if (!afterTarget && !jump) f.conditions++;
    if (id === OPT_RCHECK) {
      f.rcheck = true;
      continue;
    }
    if (id === OPT_REAP || id === OPT_SET || id === OPT_UPDATE || id === OPT_RANDOM_FULLY) continue;
    pending = id;
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

/** 1 for the OPT_* ids whose value record() keeps. */
const RECORDED = new Uint8Array(64);
for (const id of [
  OPT_PROTOCOL, OPT_DESTINATION, OPT_SOURCE, OPT_DPORT, OPT_MODE, OPT_PROBABILITY, OPT_EVERY, OPT_SECONDS,
  OPT_SRC_TYPE, OPT_DST_TYPE, OPT_TO_DESTINATION,
]) RECORDED[id] = 1;

function record(f: RuleFacts, id: number, value: string, negated: boolean): void {
  switch (id) {
    case OPT_PROTOCOL:
      f.protocol ??= value.toLowerCase();
      f.protocolNegated ||= negated;
      break;
    case OPT_DESTINATION:
      f.destination ??= value;
      f.destinationNegated ||= negated;
      break;
    case OPT_SOURCE:
      f.source ??= value;
      f.sourceNegated ||= negated;
      break;
    case OPT_DPORT:
      if (!negated) f.dport ??= value;
      break;
    case OPT_MODE:
      f.mode ??= value;
      f.modeNegated ||= negated;
      break;
    case OPT_PROBABILITY:
      f.probability ??= value;
      break;
    case OPT_EVERY:
      f.every ??= value;
      break;
    case OPT_SECONDS:
      f.seconds ??= value;
      break;
    case OPT_SRC_TYPE:
      f.srcType ??= value;
      break;
    case OPT_DST_TYPE:
      f.dstType ??= value;
      break;
    case OPT_TO_DESTINATION:
      f.toDestination ??= value;
      break;
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
  const n = text.length;
  let start = at + name.length + 1;
  while (start < n && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  let end = start;
  for (; end < n; end++) {
    const c = text.charCodeAt(end);
    if (c === 32 || c === 9) break;
    // A quoted part: the scanner decides where the word ends and what it says.
    if (c === 34) return scanValue(text, optionId(name));
  }
  // Unquoted, the word is its span: outside quotes nothing is escaped (parse/scanner.ts).
  return end > start ? text.slice(start, end) : undefined;
}

/** Whether the rule has option `name` (a flag such as --rcheck) outside quotes. */
export function hasOption(text: string, name: string): boolean {
  return optionIndex(text, name) >= 0;
}

/** Index of " name" followed by a space, a tab or the end, outside quotes; -1 when absent. */
function optionIndex(text: string, name: string): number {
  const needle = ' ' + name;
  let from = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) return -1;
    const after = at + needle.length;
    const c = after < text.length ? text.charCodeAt(after) : 32;
    if ((c === 32 || c === 9) && outsideQuotes(text, at)) return at;
    from = after;
  }
}

/** Slow path for a quoted value. */
function scanValue(text: string, id: number): string | undefined {
  const f = scanRule(text);
  if (id === OPT_TO_DESTINATION) return f.toDestination;
  if (id === OPT_PROTOCOL) return f.protocol;
  if (id === OPT_PROBABILITY) return f.probability;
  if (id === OPT_SECONDS) return f.seconds;
  if (id === OPT_MODE) return f.mode;
  return undefined;
}
