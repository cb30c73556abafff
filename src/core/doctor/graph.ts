/**
 * Which chains of a table reach which: the jump graph read from the rule rows by chain number
 * (no Rule objects, no name hashing per rule), for the findings about chains nothing reaches.
 */
import { chainRows } from '../parse/rule.js';
import type { Chain, Table } from '../parse/types.js';

export class JumpGraph {
  /** The table's chains; a chain is known below by its position here. */
  private readonly chains: readonly Chain[];
  private readonly position = new Map<string, number>();
  /** Per chain: the positions of the chains it jumps or goes to (repeats allowed). */
  private readonly targets: number[][];

  constructor(readonly table: Table) {
    this.chains = table.chains;
    const byRef = new Map<number, number>();
    this.chains.forEach((c, i) => {
      this.position.set(c.name, i);
      const ref = chainRows(c).ref;
      if (ref >= 0) byRef.set(ref, i);
    });
    this.targets = this.chains.map((c) => {
      const rows = chainRows(c);
      const out: number[] = [];
      for (let i = 0; i < rows.size; i++) {
        const ref = rows.targetRefAt(i);
        // A chain of the parse by number; else (a chain built otherwise) by name.
        const to = ref >= 0 ? byRef.get(ref) : rows.targetAt(i) === null ? undefined : this.position.get(rows.targetAt(i)!);
        if (to !== undefined) out.push(to);
      }
      return out;
    });
  }

  chain(name: string): Chain | undefined {
    const i = this.position.get(name);
    return i === undefined ? undefined : this.chains[i];
  }

  /** The names of every chain reachable from `roots` (the roots included), following jumps. */
  reachableFrom(roots: Iterable<string>): Set<string> {
    const seen = new Uint8Array(this.chains.length);
    const todo: number[] = [];
    for (const r of roots) {
      const i = this.position.get(r);
      if (i !== undefined && !seen[i]) {
        seen[i] = 1;
        todo.push(i);
      }
    }
    while (todo.length > 0) {
      for (const next of this.targets[todo.pop()!]!) {
        if (!seen[next]) {
          seen[next] = 1;
          todo.push(next);
        }
      }
    }
    const names = new Set<string>();
    seen.forEach((s, i) => s && names.add(this.chains[i]!.name));
    return names;
  }

  /** The chains with a rule that jumps to `name`. */
  referrersOf(name: string): readonly string[] {
    const to = this.position.get(name);
    if (to === undefined) return [];
    return this.chains.filter((_c, i) => this.targets[i]!.includes(to)).map((c) => c.name);
  }
}
