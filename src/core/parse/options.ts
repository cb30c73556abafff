/**
 * The option names readers of rule text act on, each spelling (short and long) mapped to one
 * id: the generic options iptables itself parses, and the extension options the kube model and
 * the tracer read. Any other option name has id 0 (OPT_OTHER).
 */

export const OPT_OTHER = 0;
// Generic options (iptables' own; parseRuleArgs names them by their short spelling).
export const OPT_SOURCE = 1;
export const OPT_DESTINATION = 2;
export const OPT_PROTOCOL = 3;
export const OPT_IN_INTERFACE = 4;
export const OPT_OUT_INTERFACE = 5;
export const OPT_JUMP = 6;
export const OPT_GOTO = 7;
export const OPT_MATCH = 8;
export const OPT_FRAGMENT = 9;
export const OPT_IPV4 = 10;
export const OPT_IPV6 = 11;
// Extension options.
export const OPT_COMMENT = 12;
export const OPT_DPORT = 13;
export const OPT_MODE = 14;
export const OPT_PROBABILITY = 15;
export const OPT_EVERY = 16;
export const OPT_SECONDS = 17;
export const OPT_RCHECK = 18;
export const OPT_REAP = 19;
export const OPT_SET = 20;
export const OPT_UPDATE = 21;
export const OPT_RANDOM_FULLY = 22;
export const OPT_SRC_TYPE = 23;
export const OPT_DST_TYPE = 24;
export const OPT_TO_DESTINATION = 25;

const SPELLINGS: readonly (readonly [string, number])[] = [
  ['-s', OPT_SOURCE], ['--source', OPT_SOURCE], ['--src', OPT_SOURCE],
  ['-d', OPT_DESTINATION], ['--destination', OPT_DESTINATION], ['--dst', OPT_DESTINATION],
  ['-p', OPT_PROTOCOL], ['--protocol', OPT_PROTOCOL],
  ['-i', OPT_IN_INTERFACE], ['--in-interface', OPT_IN_INTERFACE],
  ['-o', OPT_OUT_INTERFACE], ['--out-interface', OPT_OUT_INTERFACE],
  ['-j', OPT_JUMP], ['--jump', OPT_JUMP],
  ['-g', OPT_GOTO], ['--goto', OPT_GOTO],
  ['-m', OPT_MATCH], ['--match', OPT_MATCH],
  ['-f', OPT_FRAGMENT], ['--fragment', OPT_FRAGMENT],
  ['-4', OPT_IPV4],
  ['-6', OPT_IPV6],
  ['--comment', OPT_COMMENT],
  ['--dport', OPT_DPORT], ['--destination-port', OPT_DPORT],
  ['--mode', OPT_MODE],
  ['--probability', OPT_PROBABILITY],
  ['--every', OPT_EVERY],
  ['--seconds', OPT_SECONDS],
  ['--rcheck', OPT_RCHECK],
  ['--reap', OPT_REAP],
  ['--set', OPT_SET],
  ['--update', OPT_UPDATE],
  ['--random-fully', OPT_RANDOM_FULLY],
  ['--src-type', OPT_SRC_TYPE],
  ['--dst-type', OPT_DST_TYPE],
  ['--to-destination', OPT_TO_DESTINATION],
];

/** The short spelling of each generic option, by id: how parseRuleArgs names it. */
const GENERIC_NAMES: readonly (string | undefined)[] = [
  undefined, '-s', '-d', '-p', '-i', '-o', '-j', '-g', '-m', '-f', '-4', '-6',
];

/** The generic options that take exactly this many values (-j, -g, -m take one or more). */
const GENERIC_ARITY: readonly number[] = [-1, 1, 1, 1, 1, 1, -1, -1, -1, 0, 0, 0];

/** Whether `id` is a generic option (parseRuleArgs checks its values, names it by its short spelling). */
export function isGeneric(id: number): boolean {
  return id >= OPT_SOURCE && id <= OPT_IPV6;
}

/** The short spelling of a generic option ("--src" -> "-s"); undefined for others. */
export function genericName(id: number): string | undefined {
  return GENERIC_NAMES[id];
}

/** How many values a generic option takes: 1 or 0, -1 for -j/-g/-m (at least one) and other options. */
export function genericArity(id: number): number {
  return id < GENERIC_ARITY.length ? GENERIC_ARITY[id]! : -1;
}

/** Ids of the "-x" spellings, by the code of x. */
const SHORT = new Uint8Array(128);
/**
 * Long spellings by length and third character, and their ids: a word is compared with the one
 * or two spellings of its key, no string is made.
 */
const LONG_NAMES: (string[] | undefined)[] = [];
const LONG_IDS: (number[] | undefined)[] = [];
/** The same for the generic options alone: the parser's fast path asks only about those. */
const GENERIC_LONG_NAMES: (string[] | undefined)[] = [];
const GENERIC_LONG_IDS: (number[] | undefined)[] = [];
const LONGEST = Math.max(...SPELLINGS.map(([name]) => name.length));
for (const [name, id] of SPELLINGS) {
  if (name.length === 2) {
    SHORT[name.charCodeAt(1)] = id;
    continue;
  }
  const key = longKey(name, 0, name.length);
  (LONG_NAMES[key] ??= []).push(name);
  (LONG_IDS[key] ??= []).push(id);
  if (!isGeneric(id)) continue;
  (GENERIC_LONG_NAMES[key] ??= []).push(name);
  (GENERIC_LONG_IDS[key] ??= []).push(id);
}

function longKey(s: string, start: number, end: number): number {
  return (end - start) * 128 + (s.charCodeAt(start + 2) & 127);
}

/** The OPT_* id of the option name s[start, end), OPT_OTHER when it is not listed here. */
export function optionIdOf(s: string, start: number, end: number): number {
  return lookUp(s, start, end, LONG_NAMES, LONG_IDS);
}

/**
 * As optionIdOf, for generic options only (others are OPT_OTHER): an extension option such as
 * --comment or --dport costs no string compare, as the fast path reads every rule's options.
 */
export function genericOptionIdOf(s: string, start: number, end: number): number {
  // lookUp()'s steps over the generic buckets, written out: one function that always sees the
  // same arrays compiles once, where the shared one is compiled again for each caller's arrays.
  const length = end - start;
  if (length === 2) {
    const c = s.charCodeAt(start + 1);
    return c < 128 && s.charCodeAt(start) === 45 /* - */ ? SHORT[c]! : OPT_OTHER;
  }
  if (length < 2 || length > LONGEST) return OPT_OTHER;
  const key = longKey(s, start, end);
  const names = GENERIC_LONG_NAMES[key];
  if (names === undefined) return OPT_OTHER;
  for (let k = 0; k < names.length; k++) if (s.startsWith(names[k]!, start)) return GENERIC_LONG_IDS[key]![k]!;
  return OPT_OTHER;
}

function lookUp(
  s: string,
  start: number,
  end: number,
  longNames: readonly (string[] | undefined)[],
  longIds: readonly (number[] | undefined)[],
): number {
  const length = end - start;
  if (length === 2) {
    const c = s.charCodeAt(start + 1);
    return c < 128 && s.charCodeAt(start) === 45 /* - */ ? SHORT[c]! : OPT_OTHER;
  }
  if (length < 2 || length > LONGEST) return OPT_OTHER;
  const key = longKey(s, start, end);
  const names = longNames[key];
  if (names === undefined) return OPT_OTHER;
  for (let k = 0; k < names.length; k++) if (s.startsWith(names[k]!, start)) return longIds[key]![k]!;
  return OPT_OTHER;
}

/** The OPT_* id of an option name given as a string. */
export function optionId(name: string): number {
  return optionIdOf(name, 0, name.length);
}
