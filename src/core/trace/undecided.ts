/**
 * Matches the tracer cannot decide from the dump (`-m set`, `-m owner`, …) and the few it decides
 * only from the node context (`-m physdev`: a routed packet is not bridged). Each is a test with
 * a name the user can answer with `--assume 'EXPR=true|false'`; what nobody answers is split into
 * cases, never into chances.
 */
import type { RuleArg } from '../parse/types.js';
import type { Branch } from './branch.js';
import type { HookEnv } from './compile.js';
import type { Assumption } from './types.js';

/** The node context's answer to a test, with why (null when it is certain, not an assumption). */
export interface ContextAnswer {
  readonly value: boolean;
  readonly why: string | null;
}

export interface UndecidedTest {
  /** Module and option without the rule's "!": "set --match-set KUBE-LOOP-BACK dst,dst,src". */
  readonly name: string;
  /** `name`'s words without leading dashes, what an Assumption's words are looked for in. */
  readonly words: readonly string[];
  /** The option as the rule writes it: "-m set ! --match-set KUBE-LOOP-BACK dst,dst,src". */
  readonly written: string;
  /** The rule's "!": the rule matches when the test is false. */
  readonly negated: boolean;
  /** The match module ("set", "physdev"), null for an unknown generic option. */
  readonly module: string | null;
  /** How the kernel would answer from the packet and the node, when it can (physdev). */
  readonly byContext: ContextRule | null;
}

/** A test the node context answers: the rule in words, and the answer for a packet at a hook. */
export interface ContextRule {
  readonly rule: string;
  readonly answer: (b: Branch, env: HookEnv) => ContextAnswer;
}

/** A word of a match name as --assume compares it: leading dashes (and an nft set's "@") do not count. */
export function assumeWord(word: string): string {
  return word.replace(/^[-@]+/, '');
}

function nameWords(name: string): string[] {
  return name.split(/\s+/).filter(Boolean).map(assumeWord).filter(Boolean);
}

/**
 * One test per option of a match the tracer does not model (`module` null for a generic option).
 * `byContext` is the node context's answer when the kernel's is known without the dump.
 */
export function undecidedTest(
  module: string | null,
  a: RuleArg | null,
  byContext: UndecidedTest['byContext'] = null,
): UndecidedTest {
  const option = a === null ? '' : [a.name, ...a.values.map(quoteValue)].join(' ');
  const name = [module ?? '', option].filter(Boolean).join(' ');
  const negated = a?.negated ?? false;
  const written = [module !== null ? `-m ${module}` : '', negated ? '!' : '', option].filter(Boolean).join(' ');
  return { name, words: nameWords(name), written, negated, module, byContext };
}

function quoteValue(v: string): string {
  return /\s/.test(v) || v === '' ? JSON.stringify(v) : v;
}

/** The decision as a case and `--assume` write it: "physdev --physdev-is-in=false". */
export function decisionText(name: string, value: boolean): string {
  return `${name}=${value}`;
}

/** Does the user's EXPR name this test: its words, side by side, somewhere in the test's? */
export function assumptionNames(a: Assumption, t: UndecidedTest): boolean {
  const w = a.words;
  const have = t.words;
  for (let i = 0; i + w.length <= have.length; i++) {
    let all = true;
    for (let j = 0; j < w.length && all; j++) all = have[i + j] === w[j];
    if (all) return true;
  }
  return false;
}

/**
 * `EXPR=true|false` -> an Assumption, or why it is not one. EXPR names a match by its module,
 * option and values as the outcome's `case` writes them ("set --match-set KUBE-LOOP-BACK",
 * "match-set KUBE-LOOP-BACK", "physdev --physdev-is-in"); leading dashes are optional. The value
 * is the match's own truth: a rule that writes "!" before it matches when it is false.
 */
export function parseAssumption(text: string): Assumption | { readonly error: string } {
  const eq = text.lastIndexOf('=');
  const usage = `expected EXPR=true or EXPR=false (e.g. 'match-set KUBE-LOOP-BACK=false')`;
  if (eq < 0) return { error: `--assume ${JSON.stringify(text)}: no "=": ${usage}` };
  const expr = text.slice(0, eq).trim();
  const valueText = text.slice(eq + 1).trim().toLowerCase();
  if (valueText !== 'true' && valueText !== 'false') {
    return { error: `--assume ${JSON.stringify(text)}: value ${JSON.stringify(text.slice(eq + 1).trim())} is neither true nor false: ${usage}` };
  }
  const raw = expr.split(/\s+/).filter(Boolean);
  if (raw.includes('!')) {
    return { error: `--assume ${JSON.stringify(text)}: name the match without "!" and give its own truth (a rule with "!" matches when it is false)` };
  }
  // "-m set --match-set X": the "-m" is how rules write it, not part of the name.
  const words = raw.filter((w) => w !== '-m').map(assumeWord).filter(Boolean);
  if (words.length === 0) return { error: `--assume ${JSON.stringify(text)}: no match named before "=": ${usage}` };
  return { text: `${expr}=${valueText}`, words, value: valueText === 'true' };
}

/** Where a trace takes its undecided matches from: the user's answers, the cases split so far, the option for the rest. */
export interface UndecidedPolicy {
  readonly assume: readonly Assumption[];
  /** The --assume answers that named a match met in this trace (by their text). */
  readonly usedAssumptions: Set<string>;
  readonly unknownMatches: 'split' | 'match' | 'nomatch';
  readonly maxUnknownSplits: number;
  /** The undecided matches split into cases so far in this trace (by name). */
  readonly splitTests: Set<string>;
}

/**
 * The truth of an undecided match for a branch (before the rule's "!"): the user's --assume,
 * else the case the branch is in (`decided`), else the node context, else 'split'. `where`
 * names the rule in the notes ("nat KUBE-SERVICES rule 3").
 */
export function decideUndecided(
  policy: UndecidedPolicy,
  where: string,
  t: UndecidedTest,
  decided: readonly { readonly name: string; readonly value: boolean }[],
  byContext: (() => ContextAnswer) | null,
  notes: string[],
): boolean | 'split' {
  for (const a of policy.assume) {
    if (!assumptionNames(a, t)) continue;
    policy.usedAssumptions.add(a.text);
    notes.push(`${where}: ${t.written} taken as ${a.value} (--assume '${a.text}')`);
    return a.value;
  }
  for (const d of decided) if (d.name === t.name) return d.value;
  if (byContext) {
    const { value, why } = byContext();
    if (why !== null) notes.push(`${where}: ${t.written}: ${why}; taken as ${value}`);
    return value;
  }
  const what = `${where}: ${t.written} cannot be decided from the dump`;
  if (policy.unknownMatches !== 'split') {
    const matching = policy.unknownMatches === 'match';
    notes.push(`${what}; treated as ${matching ? 'matching' : 'not matching'}`);
    return matching !== t.negated;
  }
  if (!policy.splitTests.has(t.name) && policy.splitTests.size >= policy.maxUnknownSplits) {
    notes.push(`${what}; more than ${policy.maxUnknownSplits} such matches in one trace, so this one is treated as matching`);
    return !t.negated;
  }
  return 'split';
}

/** The assumption a case split adds to each side. */
export function caseNote(where: string, t: UndecidedTest, value: boolean): string {
  return `${where}: ${t.written} cannot be decided from the dump; this case takes ${decisionText(t.name, value)}`;
}

/** A test named by its own text (nftables: "ip saddr @affinity-X"), with no module or context answer. */
export function namedTest(name: string, written: string, negated: boolean): UndecidedTest {
  return { name, words: nameWords(name), written, negated, module: null, byContext: null };
}
