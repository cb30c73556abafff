/**
 * The tables a dump leaves in the kernel. iptables-restore (legacy and nft alike, without
 * --noflush) replaces the whole table at each `*table … COMMIT` block, so when one family's
 * dump gives a table twice only the last block is loaded: the earlier one is gone, chains,
 * rules and counters. Every reader of a ruleset (tracer, model, chain lookup, counters) asks
 * here, so they all see the same tables.
 */
import type { Family, Ruleset, Table, TableName } from './types.js';

/** The tables that count, in dump order: of a table given twice for one family, the last. */
export function liveTables(ruleset: Ruleset): Table[] {
  const tables = ruleset.tables;
  return tables.filter((t, i) => !supersededAt(tables, t, i));
}

/** The table `name` of `family` (when undefined, of the first family in dump order that has it) that counts. */
export function liveTable(ruleset: Ruleset, name: TableName, family?: Family): Table | undefined {
  const tables = ruleset.tables;
  for (let i = 0; i < tables.length; i++) {
    const t = tables[i]!;
    if (t.name === name && (family === undefined || t.family === family) && !supersededAt(tables, t, i)) return t;
  }
  return undefined;
}

/** Whether a later block of the dump replaces table `t`, found at position `i`. */
function supersededAt(tables: readonly Table[], t: Table, i: number): boolean {
  for (let j = i + 1; j < tables.length; j++) {
    if (tables[j]!.name === t.name && tables[j]!.family === t.family) return true;
  }
  return false;
}
