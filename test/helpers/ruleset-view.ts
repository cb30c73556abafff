/**
 * Everything a parsed Ruleset tells its readers, as plain data to compare: its tables, chains and
 * rules (options, counters, owner), read every way the program reads them (the objects, the rows
 * of chainRows/tableRows, the lookups by name). Two rulesets with equal views read alike.
 */
import { chainRows, tableRows, type Rule, type Ruleset } from '../../src/core/parse/index.js';
import { ownerChain } from '../../src/core/parse/rule.js';

/** A rule as every reader sees it, its options and owner included. */
const ruleView = (r: Rule) => ({
  family: r.family,
  table: r.table,
  chain: r.chain,
  index: r.index,
  line: r.line,
  counters: r.counters,
  args: r.args,
  target: r.target,
  goto: r.goto,
  text: r.text,
  owner: ownerChain(r)?.name ?? null,
});

/** Everything a ruleset shows its readers, through each way of reading it (objects, rows, lookups). */
export function rulesetView(rs: Ruleset) {
  return {
    info: rs.info,
    diagnostics: rs.diagnostics,
    trailingLines: rs.trailingLines,
    tables: rs.tables.map((t) => ({
      family: t.family,
      name: t.name,
      line: t.line,
      commitLine: t.commitLine,
      leadingLines: t.leadingLines,
      deletedChains: t.deletedChains,
      ruleTotal: tableRows(t).ruleTotal(),
      anyRuleCounted: tableRows(t).anyRuleCounted(),
      rules: t.rules.map(ruleView),
      chains: t.chains.map((c) => {
        const rows = chainRows(c);
        return {
          family: c.family,
          table: c.table,
          name: c.name,
          builtin: c.builtin,
          policy: c.policy,
          counters: c.counters,
          line: c.line,
          found: tableRows(t).chainNamed(c.name) === c && t.chainsByName.get(c.name) === c,
          rows: Array.from({ length: rows.size }, (_, i) => [rows.textAt(i), rows.countersAt(i), rows.targetAt(i), rows.targetRefAt(i) >= 0]),
          rules: c.rules.map(ruleView),
        };
      }),
    })),
  };
}

