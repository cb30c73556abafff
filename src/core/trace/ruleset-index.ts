/** Per-Ruleset lookups built once and kept in a WeakMap: tables by family, compiled chains, mark bits. */
import { OPT_DESTINATION, OPT_DPORT, OPT_GOTO, OPT_JUMP, OPT_OTHER } from '../parse/options.js';
import { findArg } from '../parse/query.js';
import { liveTables } from '../parse/live-tables.js';
import { WordScanner } from '../parse/scanner.js';
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
  const words = new WordScanner();
  return {
    prefilters: rules.map((rule) => prefilterOf(rule, words)),
    compiled: (i) => (compiled[i] ??= compileRule(rules[i]!)),
  };
}

/**
 * Reads a rule's words (the parser's scanner) without building tokens: this runs over every
 * rule of a 20k-rule chain on the first trace. Stops at the target: what follows belongs to it.
 */
function prefilterOf(rule: Rule, words: WordScanner): Prefilter | null {
  if (rule.target === null) return null;
  words.reset(rule.text);
  // "-A CHAIN"
  if (!words.next() || !words.next()) return null;
  let dst: Cidr | null = null;
  let dport: PortRange | null = null;
  let negated = false;
  /** The option whose value comes next: OPT_DESTINATION or OPT_DPORT, else OPT_OTHER. */
  let expecting = OPT_OTHER;
  while (words.next()) {
    if (expecting !== OPT_OTHER) {
      // A quoted value is left to the compiled rule (no narrowing here), as is a "!".
      if (!words.quoted && !words.isBang()) {
        const value = words.text();
        if (expecting === OPT_DESTINATION && !value.includes(',')) dst = parseCidr(value) ?? dst;
        else if (expecting === OPT_DPORT) dport = parsePortRange(value) ?? dport;
      }
      expecting = OPT_OTHER;
      negated = false;
      continue;
    }
    if (words.isBang()) {
      negated = true;
      continue;
    }
    const id = words.isOptionName() ? words.option() : OPT_OTHER;
    if (id === OPT_JUMP || id === OPT_GOTO) break;
    if ((id === OPT_DESTINATION || id === OPT_DPORT) && !negated) expecting = id;
    negated = false;
  }
  return dst === null && dport === null ? null : { dst, dport };
}
