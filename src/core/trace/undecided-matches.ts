/** Where a ruleset has matches the tracer cannot decide: by kind and place, for `doctor`. */
import { liveTables } from '../parse/live-tables.js';
import type { Family, Ruleset, TableName } from '../parse/types.js';
import { compileRule } from './compile.js';

/** A match of the dump the tracer cannot decide (or decides from the node context only), and where. */
export interface UndecidedMatch {
  readonly family: Family;
  readonly table: TableName;
  readonly chain: string;
  /** Rule number from 1. */
  readonly rule: number;
  readonly line: number;
  /** The module ("set", "owner", "physdev"), null for an unknown generic option. */
  readonly module: string | null;
  /** The name `--assume` and outcome cases use. */
  readonly name: string;
  /** As the rule writes it. */
  readonly written: string;
  /** How the tracer decides it without the user ("a routed packet is not bridged"), null when it splits into cases. */
  readonly decidedBy: string | null;
}

/**
 * Every match of the ruleset the tracer cannot decide from the dump, in dump order (those the
 * node context decides too, with `decidedBy`): what `doctor` lists as unknown matches.
 */
export function undecidedMatches(ruleset: Ruleset): UndecidedMatch[] {
  const out: UndecidedMatch[] = [];
  for (const table of liveTables(ruleset)) {
    for (const chain of table.chains) {
      for (const rule of chain.rules) {
        for (const t of compileRule(rule).tests) {
          out.push({
            family: rule.family,
            table: rule.table,
            chain: rule.chain,
            rule: rule.index,
            line: rule.line,
            module: t.module,
            name: t.name,
            written: t.written,
            decidedBy: t.byContext?.rule ?? null,
          });
        }
      }
    }
  }
  return out;
}
