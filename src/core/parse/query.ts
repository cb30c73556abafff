/** Small read helpers over parsed rules, shared by the kube model, the tracer and the views. */
import { liveTable, liveTables } from './live-tables.js';
import type { Chain, Family, Rule, RuleArg, Ruleset, Table, TableName } from './types.js';

/** The first option called `name` (optionally of one module), or undefined. */
export function findArg(rule: Rule, name: string, module?: string): RuleArg | undefined {
  for (const a of rule.args) {
    if (a.name === name && (module === undefined || a.module === module)) return a;
  }
  return undefined;
}

/** The value of the first option called `name`, multi-word values joined by spaces. */
export function argValue(rule: Rule, name: string, module?: string): string | undefined {
  const a = findArg(rule, name, module);
  return a ? a.values.join(' ') : undefined;
}

/** The rule's `-m comment --comment` text, or undefined. */
export function ruleComment(rule: Rule): string | undefined {
  return argValue(rule, '--comment');
}

/** The table as the kernel holds it after restoring the dump (see live-tables.ts). */
export function findTable(ruleset: Ruleset, name: TableName, family?: Family): Table | undefined {
  return liveTable(ruleset, name, family);
}

export function findChain(ruleset: Ruleset, table: TableName, chain: string, family?: Family): Chain | undefined {
  for (const t of liveTables(ruleset)) {
    if (t.name !== table || (family !== undefined && t.family !== family)) continue;
    const c = t.chainsByName.get(chain);
    if (c) return c;
  }
  return undefined;
}

/** Errors only: what makes a dump unusable for the CLI (warnings are printed and ignored). */
export function parseErrors(ruleset: Ruleset) {
  return ruleset.diagnostics.filter((d) => d.severity === 'error');
}
