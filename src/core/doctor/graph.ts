/**
 * Which chains of a table reach which: the jump graph read from the rule rows (no Rule objects),
 * for the findings about chains that nothing reaches.
 */
import { chainRows, tableRows } from '../parse/rule.js';
import type { Chain, Table } from '../parse/types.js';

export class JumpGraph {
  /** chain name -> the chains it jumps or goes to (chains of this table only). */
  private readonly targets = new Map<string, Set<string>>();
  /** chain name -> the chains with a rule that jumps to it. */
  private readonly referrers = new Map<string, Set<string>>();

  constructor(readonly table: Table) {
    const rows = tableRows(table);
    for (const chain of table.chains) {
      const out = new Set<string>();
      const r = chainRows(chain);
      for (let i = 0; i < r.size; i++) {
        const t = r.targetAt(i);
        if (t === null || rows.chainNamed(t) === undefined) continue;
        out.add(t);
        let from = this.referrers.get(t);
        if (from === undefined) this.referrers.set(t, (from = new Set()));
        from.add(chain.name);
      }
      this.targets.set(chain.name, out);
    }
  }

  chain(name: string): Chain | undefined {
    return tableRows(this.table).chainNamed(name);
  }

  /** Every chain reachable from `roots` (the roots included), following jumps. */
  reachableFrom(roots: Iterable<string>): Set<string> {
    const seen = new Set<string>();
    const todo: string[] = [];
    for (const r of roots) {
      if (this.targets.has(r) && !seen.has(r)) {
        seen.add(r);
        todo.push(r);
      }
    }
    while (todo.length > 0) {
      for (const next of this.targets.get(todo.pop()!) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          todo.push(next);
        }
      }
    }
    return seen;
  }

  /** The chains with a rule that jumps to `name`. */
  referrersOf(name: string): readonly string[] {
    return [...(this.referrers.get(name) ?? [])];
  }
}
