/** Per-Ruleset lookups built once and kept in a WeakMap: tables by family, compiled chains, mark bits. */
import { findArg } from '../parse/query.js';
import { liveTables } from '../parse/live-tables.js';
import type { Chain, Family, Rule, Ruleset, Table, TableName } from '../parse/types.js';
import { inCidr, parseCidr, type Cidr, type IpBytes } from './addr.js';
import { compileRule, type CompiledRule } from './compile.js';
import { inPortRanges, parseMark, parsePortRange, parseUint32, type PortRange } from './values.js';

/** kube-proxy's defaults (--iptables-masquerade-bit 14; the old drop bit 15). */
const DEFAULT_MASQ_BIT = 0x4000;
const DEFAULT_DROP_BIT = 0x8000;

/**
 * What a rule's text says about the destination, read without parsing the whole rule: a
 * non-negated `-d` and `--dport`. A rule whose prefilter fails cannot match, so the 20k rules
 * of a big KUBE-SERVICES are skipped without compiling (or even parsing) them.
 */
export interface Prefilter {
  readonly dst: Cidr | null;
  readonly dport: PortRange | null;
}

/** A chain as the walk needs it: prefilters for every rule, compiled rules on first use. */
export interface ChainPlan {
  readonly prefilters: readonly (Prefilter | null)[];
  compiled(i: number): CompiledRule;
}

export function passesPrefilter(p: Prefilter, dst: IpBytes, dport: number): boolean {
  return (p.dst === null || inCidr(dst, p.dst)) && (p.dport === null || inPortRanges(dport, [p.dport]));
}

export interface RulesetIndex {
  table(family: Family, name: TableName): Table | undefined;
  plan(chain: Chain): ChainPlan;
  /** The bit KUBE-MARK-MASQ sets (from its MARK rule), per family. */
  masqBit(family: Family): number;
  /** The bit KUBE-MARK-DROP sets (older layouts), per family. */
  dropBit(family: Family): number;
  hasFamily(family: Family): boolean;
}

const cache = new WeakMap<Ruleset, RulesetIndex>();

export function indexRuleset(ruleset: Ruleset): RulesetIndex {
  let idx = cache.get(ruleset);
  if (!idx) {
    idx = buildIndex(ruleset);
    cache.set(ruleset, idx);
  }
  return idx;
}

function buildIndex(ruleset: Ruleset): RulesetIndex {
  const tables = new Map<string, Table>();
  for (const t of liveTables(ruleset)) tables.set(`${t.family}/${t.name}`, t);
  const plans = new Map<Chain, ChainPlan>();
  const bits = new Map<string, number>();
  const markBit = (family: Family, chain: string, fallback: number): number => {
    const key = `${family}/${chain}`;
    let bit = bits.get(key);
    if (bit === undefined) {
      bit = markBitOf(tables.get(`${family}/nat`)?.chainsByName.get(chain)) ?? fallback;
      bits.set(key, bit);
    }
    return bit;
  };
  return {
    table: (family, name) => tables.get(`${family}/${name}`),
    plan(chain) {
      let p = plans.get(chain);
      if (!p) {
        p = planChain(chain);
        plans.set(chain, p);
      }
      return p;
    },
    masqBit: (family) => markBit(family, 'KUBE-MARK-MASQ', DEFAULT_MASQ_BIT),
    dropBit: (family) => markBit(family, 'KUBE-MARK-DROP', DEFAULT_DROP_BIT),
    hasFamily: (family) => ruleset.tables.some((t) => t.family === family),
  };
}

/** The bit a KUBE-MARK-* chain's MARK rule sets: `--or-mark 0x4000` or `--set-xmark 0x4000/0x4000`. */
function markBitOf(chain: Chain | undefined): number | null {
  for (const r of chain?.rules ?? []) {
    if (r.target !== 'MARK') continue;
    const or = findArg(r, '--or-mark');
    if (or) return parseUint32(or.values[0]);
    const x = findArg(r, '--set-xmark') ?? findArg(r, '--set-mark');
    if (x) return parseMark(x.values[0])?.value ?? null;
  }
  return null;
}

function planChain(chain: Chain): ChainPlan {
  const rules = chain.rules;
  const compiled: (CompiledRule | undefined)[] = new Array(rules.length);
  return {
    prefilters: rules.map(prefilterOf),
    compiled: (i) => (compiled[i] ??= compileRule(rules[i]!)),
  };
}

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;

/** Which option a word names: 1 = destination, 2 = destination port, 3 = the target (stop). */
function optionKind(text: string, start: number, end: number): 0 | 1 | 2 | 3 {
  const word = (w: string): boolean => end - start === w.length && text.startsWith(w, start);
  if (word('-d') || word('--destination') || word('--dst')) return 1;
  if (word('--dport') || word('--destination-port')) return 2;
  if (word('-j') || word('-g') || word('--jump') || word('--goto')) return 3;
  return 0;
}

/**
 * Reads a rule's text word by word (quotes and backslashes as the tokenizer treats them)
 * without building tokens: this runs over every rule of a 20k-rule chain on the first trace.
 */
function prefilterOf(rule: Rule): Prefilter | null {
  if (rule.target === null) return null;
  const text = rule.text;
  const n = text.length;
  let dst: Cidr | null = null;
  let dport: PortRange | null = null;
  let words = 0;
  let negated = false;
  let expecting: 0 | 1 | 2 = 0;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      i++;
      continue;
    }
    const start = i;
    let quoted = false;
    let inQuotes = false;
    while (i < n) {
      c = text.charCodeAt(i);
      if (!inQuotes && (c === SPACE || c === TAB)) break;
      if (c === QUOTE) {
        inQuotes = !inQuotes;
        quoted = true;
      } else if (c === BACKSLASH) {
        quoted = true; // an escaped word is never an option name, nor a plain value
        i++;
      }
      i++;
    }
    if (++words <= 2) continue; // "-A CHAIN"
    if (expecting !== 0) {
      const value = quoted ? '!' : text.slice(start, i);
      if (value !== '!') {
        if (expecting === 1 && !value.includes(',')) dst = parseCidr(value) ?? dst;
        else if (expecting === 2) dport = parsePortRange(value) ?? dport;
      }
      expecting = 0;
      negated = false;
      continue;
    }
    if (quoted) {
      negated = false;
      continue;
    }
    if (i - start === 1 && text.charCodeAt(start) === 33 /* ! */) {
      negated = true;
      continue;
    }
    const kind = optionKind(text, start, i);
    if (kind === 3) break;
    if (kind !== 0 && !negated) expecting = kind;
    negated = false;
  }
  return dst === null && dport === null ? null : { dst, dport };
}
