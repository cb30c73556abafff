/**
 * Builds an NftRuleset the way the kernel would hold it: tables, chains, sets and rules added,
 * flushed and deleted in input order (the transaction form is a sequence of such commands; the
 * listing and JSON forms only add).
 */
import type { Counters, Diagnostic } from '../../parse/types.js';
import { nftRuleText } from './render.js';
import type {
  NftBaseChain,
  NftChain,
  NftElement,
  NftExpr,
  NftFamily,
  NftForm,
  NftRule,
  NftRuleset,
  NftSet,
  NftStatement,
  NftTable,
} from '../types.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Chains after the last one looked up that are compared before the name index (chains without rules are skipped). */
const LOOK_AHEAD = 4;
/** How far a chain found by name is looked for in its table's list, to guess from it again. */
const RESYNC = 64;

export class RulesetBuilder {
  readonly tables: NftTable[] = [];
  private readonly tablesByKey = new Map<string, NftTable>();
  readonly diagnostics: Diagnostic[] = [];
  hasCounters = false;
  /** Element keys per set, built only when a transaction deletes or repeats elements. */
  private readonly elementIndex = new Map<NftSet, Map<string, number>>();

  error(message: string, at: Position): void {
    this.diagnostics.push({ severity: 'error', message, line: at.line, column: at.column });
  }

  warning(message: string, at: Position): void {
    this.diagnostics.push({ severity: 'warning', message, line: at.line, column: at.column });
  }

  /**
   * The last table and chain looked up: a listing names the same table on every item and gives a
   * chain's rules one after another, so most lookups skip building a key and hashing a long name.
   */
  private lastTable: NftTable | undefined;
  private lastChain: NftChain | undefined;
  /** Where lastChain is in its table's list (-1: not known). */
  private lastChainIndex = -1;

  table(family: NftFamily, name: string): NftTable | undefined {
    const last = this.lastTable;
    if (last !== undefined && last.name === name && last.family === family) return last;
    const t = this.tablesByKey.get(`${family} ${name}`);
    if (t !== undefined) this.lastTable = t;
    return t;
  }

  /**
   * A chain of `table` by name (undefined when it has none). nft lists rules chain by chain in
   * the order the chains were listed: the chain after the last one found is compared first.
   */
  chain(table: NftTable, name: string): NftChain | undefined {
    const last = this.lastChain;
    if (last !== undefined && last.table === table.name && last.family === table.family) {
      if (last.name === name) return last;
      const chains = table.chains;
      const at = this.lastChainIndex;
      if (chains[at] === last) {
        // a few chains further at most: chains without rules are skipped
        for (let i = at + 1; i <= at + LOOK_AHEAD && i < chains.length; i++) {
          if (chains[i]!.name === name) {
            this.lastChainIndex = i;
            return (this.lastChain = chains[i]!);
          }
        }
      }
    }
    const c = table.chainsByName.get(name);
    if (c !== undefined) {
      this.lastChain = c;
      // where it is, when that is near the start of the list or the last place (else unknown: no guess next time)
      const chains = table.chains;
      let found = -1;
      for (const from of [this.lastChainIndex + 1, 0]) {
        for (let i = Math.max(0, from); i < Math.min(chains.length, from + RESYNC); i++) {
          if (chains[i] === c) {
            found = i;
            break;
          }
        }
        if (found >= 0) break;
      }
      this.lastChainIndex = found;
    }
    return c;
  }

  /** `add table`: idempotent, as in nft. */
  addTable(family: NftFamily, name: string, at: Position, handle: number | null, comment: string | null): NftTable {
    const existing = this.table(family, name);
    if (existing) {
      if (comment !== null) (existing as { comment: string | null }).comment = comment;
      return existing;
    }
    const table: NftTable = {
      family,
      name,
      line: at.line,
      column: at.column,
      handle,
      comment,
      chains: [],
      chainsByName: new Map(),
      sets: [],
      setsByName: new Map(),
    };
    this.tables.push(table);
    this.tablesByKey.set(`${family} ${name}`, table);
    return table;
  }

  /** The table a command names; an error when it does not exist (nft says "No such file or directory"). */
  needTable(family: NftFamily, name: string, at: Position): NftTable | null {
    const t = this.table(family, name);
    if (!t) this.error(`no table ${family} ${name}`, at);
    return t ?? null;
  }

  deleteTable(family: NftFamily, name: string): boolean {
    const t = this.table(family, name);
    if (!t) return false;
    this.tables.splice(this.tables.indexOf(t), 1);
    this.tablesByKey.delete(`${family} ${name}`);
    this.lastTable = undefined;
    this.lastChain = undefined;
    return true;
  }

  addChain(
    table: NftTable,
    name: string,
    at: Position,
    handle: number | null,
    base: NftBaseChain | null,
    comment: string | null,
  ): NftChain {
    const existing = table.chainsByName.get(name);
    if (existing) {
      if (base !== null) (existing as { base: NftBaseChain | null }).base = base;
      if (comment !== null) (existing as { comment: string | null }).comment = comment;
      return existing;
    }
    const chain: NftChain = { family: table.family, table: table.name, name, line: at.line, column: at.column, handle, base, comment, rules: [] };
    table.chains.push(chain);
    table.chainsByName.set(name, chain);
    return chain;
  }

  deleteChain(table: NftTable, name: string): boolean {
    const c = table.chainsByName.get(name);
    if (!c) return false;
    table.chains.splice(table.chains.indexOf(c), 1);
    table.chainsByName.delete(name);
    this.lastChain = undefined;
    return true;
  }

  addSet(table: NftTable, set: NftSet): NftSet {
    const existing = table.setsByName.get(set.name);
    if (existing) return existing;
    table.sets.push(set);
    table.setsByName.set(set.name, set);
    return set;
  }

  deleteSet(table: NftTable, name: string): boolean {
    const s = table.setsByName.get(name);
    if (!s) return false;
    table.sets.splice(table.sets.indexOf(s), 1);
    table.setsByName.delete(name);
    this.elementIndex.delete(s);
    return true;
  }

  /** Append elements; with `dedupe` (transaction form) a key already in the set is not added again, as in nft. */
  addElements(set: NftSet, elements: readonly NftElement[], dedupe: boolean): void {
    if (!dedupe) {
      for (const e of elements) set.elements.push(e);
      return;
    }
    const index = this.indexOf(set);
    for (const e of elements) {
      const k = JSON.stringify(e.key);
      const at = index.get(k);
      if (at === undefined) {
        index.set(k, set.elements.length);
        set.elements.push(e);
      }
    }
  }

  /** Returns the keys that were not in the set. */
  deleteElements(set: NftSet, keys: readonly NftExpr[]): NftExpr[] {
    const index = this.indexOf(set);
    const missing: NftExpr[] = [];
    const drop = new Set<number>();
    for (const key of keys) {
      const k = JSON.stringify(key);
      const at = index.get(k);
      if (at === undefined) missing.push(key);
      else {
        drop.add(at);
        index.delete(k);
      }
    }
    if (drop.size > 0) {
      const kept = set.elements.filter((_, i) => !drop.has(i));
      set.elements.length = 0;
      set.elements.push(...kept);
      this.elementIndex.delete(set);
    }
    return missing;
  }

  flushSet(set: NftSet): void {
    set.elements.length = 0;
    this.elementIndex.delete(set);
  }

  private indexOf(set: NftSet): Map<string, number> {
    let index = this.elementIndex.get(set);
    if (!index) {
      index = new Map();
      set.elements.forEach((e, i) => index!.set(JSON.stringify(e.key), i));
      this.elementIndex.set(set, index);
    }
    return index;
  }

  /**
   * Append (or with `atStart` prepend) a rule. `text` null means "render it from the statements when
   * first read": the JSON form does not print rules, and rendering 100k rules nobody looks at would
   * double its load time.
   */
  addRule(
    chain: NftChain,
    handle: number | null,
    at: Position,
    expr: readonly NftStatement[],
    comment: string | null,
    text: string | null,
    atStart = false,
  ): NftRule {
    const line = at.line;
    const column = at.column;
    const counters = countersOf(expr);
    if (counters !== null) this.hasCounters = true;
    const rule: NftRule =
      text !== null
        ? { family: chain.family, table: chain.table, chain: chain.name, index: 0, handle, line, column, expr, comment, counters, text }
        : new LazyTextRule(chain, handle, line, column, expr, comment, counters);
    if (atStart) chain.rules.unshift(rule);
    else chain.rules.push(rule);
    return rule;
  }

  finish(form: NftForm): NftRuleset {
    for (const t of this.tables) for (const c of t.chains) c.rules.forEach((r, i) => (r.index = i + 1));
    return { form, tables: this.tables, diagnostics: this.diagnostics, hasCounters: this.hasCounters };
  }
}

/**
 * A rule whose text is rendered from its statements when first read. A class, not an object
 * literal with a getter: V8 keeps literals with accessors in dictionary mode, about 1 kB per rule
 * (150 MB for a 10k-service ruleset); instances of a class stay compact. `text` lives on the
 * prototype, so a spread copy (`{...rule}`) leaves it out: read it as rule.text.
 */
class LazyTextRule implements NftRule {
  readonly family: NftFamily;
  readonly table: string;
  readonly chain: string;
  index = 0;
  readonly handle: number | null;
  readonly line: number;
  readonly column: number;
  readonly expr: readonly NftStatement[];
  readonly comment: string | null;
  readonly counters: Counters | null;
  #text: string | null = null;

  constructor(chain: NftChain, handle: number | null, line: number, column: number, expr: readonly NftStatement[], comment: string | null, counters: Counters | null) {
    this.family = chain.family;
    this.table = chain.table;
    this.chain = chain.name;
    this.handle = handle;
    this.line = line;
    this.column = column;
    this.expr = expr;
    this.comment = comment;
    this.counters = counters;
  }

  get text(): string {
    if (this.#text === null) this.#text = nftRuleText(this.expr, this.comment);
    return this.#text;
  }
}

function countersOf(expr: readonly NftStatement[]): Counters | null {
  for (let i = 0; i < expr.length; i++) {
    const s = expr[i]!;
    if (!Object.prototype.hasOwnProperty.call(s, 'counter')) continue;
    const c = s.counter as { packets?: unknown; bytes?: unknown } | null | undefined;
    if (c && typeof c.packets === 'number' && typeof c.bytes === 'number') return { packets: c.packets, bytes: c.bytes };
  }
  return null;
}
