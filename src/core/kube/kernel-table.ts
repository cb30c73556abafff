import { liveTable } from '../parse/live-tables.js';
import { tableRows } from '../parse/rule.js';
import type { Chain, Family, Ruleset, Table, TableName } from '../parse/types.js';

/** One table of one family as the kernel holds it (parse/live-tables.ts), or its absence. */
export class KernelTable {
  readonly table: Table | undefined;
  constructor(ruleset: Ruleset, name: TableName, family: Family) {
    this.table = liveTable(ruleset, name, family);
  }
  get empty(): boolean {
    return this.table === undefined;
  }
  get chains(): readonly Chain[] {
    return this.table?.chains ?? [];
  }
  chain(name: string): Chain | undefined {
    return this.table === undefined ? undefined : tableRows(this.table).chainNamed(name);
  }
}
