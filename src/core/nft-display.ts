/**
 * nftables rulesets through the views iptables rulesets have: each nft table becomes a Table
 * named "FAMILY NAME" ("ip kube-proxy"), its chains Chains (base chains carry their type, hook
 * and priority), its rules Rules with nft's own text and the verdict they end in as target.
 * The explorer's chain, hook and search screens then work on either mode. Only the views use
 * this: the nft model and tracer read the NftRuleset itself.
 */
import { nftRuleTarget } from './nft/listing.js';
import type { NftChain, NftExpr, NftRule, NftRuleset, NftSet, NftTable } from './nft/types.js';
import type { Chain, Family, NftTableLabel, Rule, Table } from './parse/types.js';

export function nftTableLabel(table: Pick<NftTable, 'family' | 'name'>): NftTableLabel {
  return `${table.family} ${table.name}`;
}

/** ip6 tables hold IPv6 rules; ip, inet and the others are listed with IPv4 (their label tells them apart). */
export function nftViewFamily(table: Pick<NftTable, 'family'>): Family {
  return table.family === 'ip6' ? 'ipv6' : 'ipv4';
}

/**
 * Every nft table as a Table of the views, in the ruleset's order. Made once per NftRuleset: the
 * views and the counters diff (core/counters) hold the same Rule objects, so a rule a view shows
 * is found in the diff by identity. Treat the result as read-only.
 */
export function nftDisplayTables(nft: NftRuleset): readonly Table[] {
  let tables = displayed.get(nft);
  if (!tables) {
    tables = nft.tables.map(displayTable);
    displayed.set(nft, tables);
  }
  return tables;
}

const displayed = new WeakMap<NftRuleset, readonly Table[]>();

/**
 * A rule's text with `counter packets N bytes M` as `counter`: the numbers are the counters'
 * (the views' PKTS/BYTES columns), and the text is the rule's identity across snapshots
 * (core/counters/identity.ts), as iptables' rule text leaves out `[p:b]`.
 */
export function nftRuleTextWithoutCounts(rule: Pick<NftRule, 'text' | 'counters'>): string {
  return rule.counters === null ? rule.text : rule.text.replace(COUNTER_VALUES, 'counter');
}

const COUNTER_VALUES = /\bcounter packets \d+ bytes \d+/g;

function displayTable(t: NftTable): Table {
  const label = nftTableLabel(t);
  const family = nftViewFamily(t);
  const chains = t.chains.map((c) => displayChain(c, label, family));
  return {
    family,
    name: label,
    line: t.line,
    commitLine: null,
    chains,
    chainsByName: new Map(chains.map((c) => [c.name, c])),
    rules: chains.flatMap((c) => c.rules),
    leadingLines: [],
    deletedChains: [],
  };
}

function displayChain(c: NftChain, table: NftTableLabel, family: Family): Chain {
  return {
    family,
    table,
    name: c.name,
    builtin: c.base !== null,
    policy: c.base ? c.base.policy.toUpperCase() : null,
    counters: null,
    line: c.line,
    rules: c.rules.map((r) => displayRule(r, table, family)),
    nftBase: c.base,
  };
}

function displayRule(r: NftRule, table: NftTableLabel, family: Family): Rule {
  return new NftDisplayRule(r, table, family);
}

/**
 * An nft rule as the views' Rule. Its text is the nft rule's, read when a screen shows it: the
 * JSON form renders rule text on demand, and the explorer opening on the services screen should
 * not render 140k rules first (a class with a getter, not a literal: see LazyTextRule).
 */
const NO_ARGS: Rule['args'] = Object.freeze([]);

class NftDisplayRule implements Rule {
  readonly chain: string;
  index: number;
  readonly line: number;
  readonly counters: NftRule['counters'];
  /** nft rules have no iptables options: one empty list shared by all. */
  readonly args: Rule['args'] = NO_ARGS;
  readonly target: string | null;
  readonly goto: boolean;

  constructor(
    readonly nft: NftRule,
    readonly table: NftTableLabel,
    readonly family: Family,
  ) {
    const verdict = nftRuleTarget(nft);
    this.chain = nft.chain;
    this.index = nft.index;
    this.line = nft.line;
    this.counters = nft.counters;
    this.target = verdict.target;
    this.goto = verdict.goto;
  }

  /** The nft rule's text without a counter's numbers (they are the views' PKTS/BYTES columns). */
  get text(): string {
    return nftRuleTextWithoutCounts(this.nft);
  }
}

/** The named set or map a rule looks up ("@service-ips" in `vmap @service-ips`, `ip daddr @cluster-ips`), first one first. */
export function setsNamedBy(rule: NftRule): string[] {
  const names: string[] = [];
  const visit = (e: NftExpr): void => {
    if (typeof e === 'string') {
      if (e.startsWith('@') && !names.includes(e.slice(1))) names.push(e.slice(1));
      return;
    }
    if (e === null || typeof e !== 'object') return;
    for (const v of Array.isArray(e) ? e : Object.values(e as { readonly [k: string]: NftExpr })) visit(v);
  };
  for (const s of rule.expr) visit(s);
  return names;
}

export function findNftSet(nft: NftRuleset, label: string, name: string): NftSet | undefined {
  return nft.tables.find((t) => nftTableLabel(t) === label)?.setsByName.get(name);
}
