/**
 * How a parsed dump keeps its rules: as rows of typed arrays in one RuleStore (text span,
 * counters, line, target, position), and as Rule objects only when someone asks for them.
 *
 * A rule keeps its text and re-derives its options on demand (a bounded cache per store keeps
 * the options of recently read rules): the text is in memory already, and objects for every
 * option of a big dump would cost far more memory and time than re-reading the few rules a view
 * or a trace looks at. `chain.rules` and `table.rules` make their Rule objects on first use, one
 * object per rule however it is reached. Readers that scan many rules for a few facts (the kube
 * model, the counter diff) read the rows through chainRows() / tableRows() and make only the
 * Rule objects they hand out. BENCHMARKS.md has the measurements behind this layout.
 */
import { parseRuleArgs } from './args.js';
import { SpanNameMap } from './span-name-map.js';
import { tokenize } from './tokenize.js';
import type { Chain, Counters, Family, Rule, RuleArg, Table, TableName } from './types.js';

/**
 * How many rules of a store keep their parsed options (the most recently read): a view or a
 * trace touches far fewer; more would keep options alive long enough to cost GC time on a scan
 * of every rule.
 */
const ARGS_KEPT = 1024;

const ZERO_COUNTERS: Counters = Object.freeze({ packets: 0, bytes: 0 });

const BLOCK_BITS = 10;
const BLOCK_MASK = (1 << BLOCK_BITS) - 1;

/** `meta` bits: goto, where the options start (2 or 3 words in), the text's column offset. */
const GOTO_BIT = 1;
const ARGS_SHIFT = 1;
const ARGS_MASK = 3;
const OFFSET_SHIFT = 3;

/** A RuleStore's rows as plain typed arrays (see RuleStore.rows). */
export interface StoreRows {
  readonly count: number;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly lines: Int32Array;
  readonly targets: Int32Array;
  readonly meta: Int32Array;
  readonly indexes: Int32Array;
  readonly owners: Int32Array;
  readonly extensionTargets: readonly string[];
}

/** Where a parsed chain's rules are in its store (see ParsedChain): a run of ids, or a list. */
export interface ChainPlace {
  readonly first: number;
  readonly count: number;
  readonly ids: readonly number[] | null;
  readonly deleted: boolean;
}

/** Where a parsed table's rules are in its store, and whether its chains are still found by span. */
export interface TablePlace {
  readonly firstId: number;
  readonly endId: number;
  readonly spanNames: boolean;
}

/** Every rule of one parse, by id (the order rules were read). */
export class RuleStore {
  private size = 0;
  private start: Int32Array;
  private end: Int32Array;
  /** -1: the rule has no counters. */
  private packets: Float64Array;
  private bytes: Float64Array;
  private lines: Int32Array;
  /** >= 0: a chain of `chains` (its name); <= -2: `extensionTargets[-2 - t]`; -1: no target. */
  private targets: Int32Array;
  private meta: Int32Array;
  /** The rule's position in its chain from 1, as the parser numbered it. */
  private indexes: Int32Array;
  /** The chain (of `chains`) the rule was added to. */
  private owners: Int32Array;
  /** Rule objects made so far, in blocks of BLOCK ids (made on first use: most are never asked for). */
  private readonly objects: (StoredRule | undefined)[][] = [];
  /** Every chain of the parse, deleted ones too: rules and targets refer to them by number. */
  readonly chains: ParsedChain[] = [];
  private readonly extensionTargets: string[] = [];
  private readonly extensionIndex = new Map<string, number>();
  /** The same names, found by the characters of a span (the parser's fast path). */
  readonly extensionNames = new SpanNameMap();
  /** The rules whose parsed options are kept, in a ring: the next to drop them at `argsKeptNext`. */
  private readonly argsKept: (StoredRule | undefined)[] = new Array(ARGS_KEPT);
  private argsKeptNext = 0;

  constructor(
    readonly input: string,
    capacity: number,
  ) {
    const n = Math.max(16, capacity);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.packets = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.lines = new Int32Array(n);
    this.targets = new Int32Array(n);
    this.meta = new Int32Array(n);
    this.indexes = new Int32Array(n);
    this.owners = new Int32Array(n);
  }

  get count(): number {
    return this.size;
  }

  newChain(chain: ParsedChain): number {
    this.chains.push(chain);
    return this.chains.length - 1;
  }

  /** The number standing for target `name` in `add`: its chain when it is one, else an extension target. */
  targetRef(name: string, chain: ParsedChain | undefined): number {
    if (chain) return chain.ref;
    let i = this.extensionIndex.get(name);
    if (i === undefined) {
      i = this.extensionTargets.length;
      this.extensionTargets.push(name);
      this.extensionIndex.set(name, i);
      this.extensionNames.set(name, i);
    }
    return -2 - i;
  }

  /** The name of a target number from targetRef(). */
  targetName(ref: number): string | null {
    if (ref >= 0) return this.chains[ref]!.name;
    return ref === -1 ? null : this.extensionTargets[-2 - ref]!;
  }

  /**
   * Records a rule whose text is input[start, end) and returns its id. `packets` -1: no counters.
   * `target`: from targetRef(), -1 for none.
   */
  add(
    start: number,
    end: number,
    packets: number,
    bytes: number,
    line: number,
    target: number,
    goto: boolean,
    argsFrom: number,
    textOffset: number,
    owner: number,
  ): number {
    const id = this.size;
    if (id === this.start.length) this.grow();
    this.start[id] = start;
    this.end[id] = end;
    this.packets[id] = packets;
    this.bytes[id] = bytes;
    this.lines[id] = line;
    this.targets[id] = target;
    this.meta[id] = (goto ? GOTO_BIT : 0) | ((argsFrom & ARGS_MASK) << ARGS_SHIFT) | (textOffset << OFFSET_SHIFT);
    this.owners[id] = owner;
    this.size = id + 1;
    return id;
  }

  setIndex(id: number, index: number): void {
    this.indexes[id] = index;
    const made = this.made(id);
    if (made) made.index = index;
  }

  text(id: number): string {
    return this.input.slice(this.start[id]!, this.end[id]!);
  }

  counters(id: number): Counters | null {
    const packets = this.packets[id]!;
    if (packets < 0) return null;
    const bytes = this.bytes[id]!;
    return packets === 0 && bytes === 0 ? ZERO_COUNTERS : { packets, bytes };
  }

  hasCounters(id: number): boolean {
    return this.packets[id]! >= 0;
  }

  line(id: number): number {
    return this.lines[id]!;
  }

  target(id: number): string | null {
    return this.targetName(this.targets[id]!);
  }

  /** The number of the chain rule `id` jumps to, -1 when its target is not a chain of the parse. */
  targetChain(id: number): number {
    const t = this.targets[id]!;
    return t >= 0 ? t : -1;
  }

  goto(id: number): boolean {
    return (this.meta[id]! & GOTO_BIT) !== 0;
  }

  owner(id: number): ParsedChain {
    return this.chains[this.owners[id]!]!;
  }

  /** The Rule object of `id`, made on first request and the same object ever after. */
  rule(id: number): StoredRule {
    const block = (this.objects[id >>> BLOCK_BITS] ??= new Array<StoredRule | undefined>(1 << BLOCK_BITS));
    const slot = id & BLOCK_MASK;
    let r = block[slot];
    if (r === undefined) {
      const chain = this.owner(id);
      const m = this.meta[id]!;
      r = new StoredRule(
        this,
        id,
        chain.family,
        chain.table,
        chain.name,
        this.lines[id]!,
        this.target(id),
        (m & GOTO_BIT) !== 0,
        m >>> OFFSET_SHIFT,
        (m >>> ARGS_SHIFT) & ARGS_MASK,
      );
      r.index = this.indexes[id]!;
      block[slot] = r;
    }
    return r;
  }

  /** `rule` has just parsed its options: it keeps them until ARGS_KEPT other rules have. */
  keepArgs(rule: StoredRule): void {
    this.argsKept[this.argsKeptNext]?.dropArgs();
    this.argsKept[this.argsKeptNext] = rule;
    this.argsKeptNext = (this.argsKeptNext + 1) % ARGS_KEPT;
  }

  private made(id: number): StoredRule | undefined {
    return this.objects[id >>> BLOCK_BITS]?.[id & BLOCK_MASK];
  }

  /** Rules made already get the family their table turned out to have. */
  setFamily(from: number, to: number, family: Family): void {
    if (this.objects.length === 0) return;
    for (let id = from; id < to; id++) {
      const r = this.made(id);
      if (r) (r as { family: Family }).family = family;
    }
  }

  /** The rows, cut to the rules there are (copies), for a parse handed from one thread to another (transfer.ts). */
  rows(): StoreRows {
    const n = this.size;
    return {
      count: n,
      start: this.start.slice(0, n),
      end: this.end.slice(0, n),
      packets: this.packets.slice(0, n),
      bytes: this.bytes.slice(0, n),
      lines: this.lines.slice(0, n),
      targets: this.targets.slice(0, n),
      meta: this.meta.slice(0, n),
      indexes: this.indexes.slice(0, n),
      owners: this.owners.slice(0, n),
      extensionTargets: [...this.extensionTargets],
    };
  }

  /** A store holding `rows` over `input`, without chains yet (the ParsedChains made next take refs 0, 1, …). */
  static fromRows(input: string, rows: StoreRows): RuleStore {
    const store = new RuleStore(input, 0);
    store.size = rows.count;
    store.start = rows.start;
    store.end = rows.end;
    store.packets = rows.packets;
    store.bytes = rows.bytes;
    store.lines = rows.lines;
    store.targets = rows.targets;
    store.meta = rows.meta;
    store.indexes = rows.indexes;
    store.owners = rows.owners;
    for (const name of rows.extensionTargets) store.targetRef(name, undefined);
    return store;
  }

  private grow(): void {
    const n = this.start.length * 2;
    const grownI = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const grownF = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.start = grownI(this.start);
    this.end = grownI(this.end);
    this.packets = grownF(this.packets);
    this.bytes = grownF(this.bytes);
    this.lines = grownI(this.lines);
    this.targets = grownI(this.targets);
    this.meta = grownI(this.meta);
    this.indexes = grownI(this.indexes);
    this.owners = grownI(this.owners);
  }
}

export class StoredRule implements Rule {
  index = 0;
  private parsedArgs: readonly RuleArg[] | undefined = undefined;

  constructor(
    private readonly store: RuleStore,
    /** The rule's row in its store. */
    readonly id: number,
    public readonly family: Family,
    public readonly table: TableName,
    public readonly chain: string,
    public readonly line: number,
    public readonly target: string | null,
    public readonly goto: boolean,
    /** Columns of the text within its line (0 when the line has no counters). */
    private readonly textOffset: number,
    /** Index of the first option word: 2 after "-A CHAIN", 3 after "-I CHAIN N". */
    private readonly argsFrom: number,
  ) {}

  /** The rule as written after the counters, from `-A`. */
  get text(): string {
    return this.store.text(this.id);
  }

  /** The chain the rule was added to. */
  ownerChain(): Chain {
    return this.store.owner(this.id);
  }

  get counters(): Counters | null {
    return this.store.counters(this.id);
  }

  get args(): readonly RuleArg[] {
    if (this.parsedArgs) return this.parsedArgs;
    const tok = tokenize(this.text);
    // The parser validated this text already, so both steps succeed.
    const parsed = tok.ok ? parseRuleArgs(tok.tokens, this.argsFrom, this.textOffset) : null;
    const args = parsed?.ok ? parsed.args : [];
    this.parsedArgs = args;
    this.store.keepArgs(this);
    return args;
  }

  /** Forgets the parsed options (the store keeps only the most recent rules'). */
  dropArgs(): void {
    this.parsedArgs = undefined;
  }
}

/**
 * A chain whose rules are ids in its store: a run of consecutive ids (iptables-save lists a
 * chain's rules together) until something else happens (an insert, rules of another chain in
 * between), then a list. `rules` makes the Rule objects on first use.
 */
export class ParsedChain implements Chain, ChainRows {
  // Private fields: a Chain's own enumerable properties stay the interface's (spread, toEqual, JSON).
  readonly #store: RuleStore;
  readonly #ref: number;
  #first = 0;
  #count = 0;
  #ids: number[] | null = null;
  #rules: Rule[] | null = null;
  #deleted = false;

  constructor(
    store: RuleStore,
    public family: Family,
    readonly table: TableName,
    readonly name: string,
    readonly builtin: boolean,
    readonly policy: string | null,
    readonly counters: Counters | null,
    readonly line: number,
  ) {
    this.#store = store;
    this.#ref = store.newChain(this);
  }

  /** The chain's number in its store. */
  get ref(): number {
    return this.#ref;
  }

  /** Deleted by `-X`: its rules are no longer the table's. */
  get deleted(): boolean {
    return this.#deleted;
  }

  markDeleted(): void {
    this.#deleted = true;
  }

  targetAt(i: number): string | null {
    return this.#store.target(this.idAt(i));
  }

  /** The chain number (ref) of rule `i`'s target, -1 when the target is not a chain. */
  targetRefAt(i: number): number {
    return this.#store.targetChain(this.idAt(i));
  }

  textAt(i: number): string {
    return this.#store.text(this.idAt(i));
  }

  countersAt(i: number): Counters | null {
    return this.#store.counters(this.idAt(i));
  }

  ruleAt(i: number): Rule {
    return this.#rules !== null ? this.#rules[i]! : this.#store.rule(this.idAt(i));
  }

  get rules(): Rule[] {
    if (this.#rules === null) {
      const n = this.size;
      const rules = new Array<Rule>(n);
      for (let i = 0; i < n; i++) rules[i] = this.#store.rule(this.idAt(i));
      this.#rules = rules;
    }
    return this.#rules;
  }

  /** How many rules the chain has. */
  get size(): number {
    return this.#ids === null ? this.#count : this.#ids.length;
  }

  /** The id of the rule at position `i` (from 0). */
  idAt(i: number): number {
    return this.#ids === null ? this.#first + i : this.#ids[i]!;
  }

  get place(): ChainPlace {
    return { first: this.#first, count: this.#count, ids: this.#ids, deleted: this.#deleted };
  }

  /** Puts the rules back where `place` (of the chain this one copies) says. */
  restorePlace(place: ChainPlace): void {
    this.#rules = null;
    this.#first = place.first;
    this.#count = place.count;
    this.#ids = place.ids === null ? null : [...place.ids];
    this.#deleted = place.deleted;
  }

  /** Appends rule `id`; returns its position from 1. */
  append(id: number): number {
    this.#rules = null;
    if (this.#ids !== null) {
      this.#ids.push(id);
      return this.#ids.length;
    }
    if (this.#count === 0) this.#first = id;
    else if (this.#first + this.#count !== id) {
      this.#ids = this.listIds();
      this.#ids.push(id);
      return this.#ids.length;
    }
    return ++this.#count;
  }

  /** Inserts rule `id` at position `at` (from 1, clamped) and renumbers the chain. */
  insert(at: number, id: number): void {
    this.#rules = null;
    const ids = (this.#ids ??= this.listIds());
    ids.splice(Math.max(0, Math.min(at - 1, ids.length)), 0, id);
    for (let i = 0; i < ids.length; i++) this.#store.setIndex(ids[i]!, i + 1);
  }

  /** Restore semantics for a repeated declaration and `-F`: the chain is emptied. */
  flush(): void {
    this.#rules = null;
    this.#ids = null;
    this.#count = 0;
  }

  private listIds(): number[] {
    const ids: number[] = [];
    for (let i = 0; i < this.#count; i++) ids.push(this.#first + i);
    return ids;
  }
}

/** A table whose `rules` (every rule in dump order, flushed ones too, deleted chains' not) are made on first use. */
export class ParsedTable implements Table, TableRows {
  readonly #store: RuleStore;
  /** Rules of this table are the ids from `firstId` up to `endId` (set when the table closes). */
  #firstId: number;
  #endId = -1;
  #rules: Rule[] | null = null;
  commitLine: number | null = null;
  readonly chains: Chain[] = [];
  readonly deletedChains: string[] = [];
  /**
   * The table's chains found by the characters of their name (see SpanNameMap); null once a chain
   * was deleted, and from then on names are looked up in chainsByName.
   */
  #names: SpanNameMap | null;
  /**
   * Built on first use: the parser and the kube model find chains through #names, so a Map of a
   * 10k-service dump's ~54k chains is made only for readers that want one.
   */
  #byName: Map<string, Chain> | null = null;

  constructor(
    store: RuleStore,
    public family: Family,
    readonly name: TableName,
    readonly line: number,
    readonly leadingLines: string[],
  ) {
    this.#store = store;
    this.#firstId = store.count;
    this.#names = new SpanNameMap();
  }

  get chainsByName(): Map<string, Chain> {
    if (this.#byName === null) {
      const byName = new Map<string, Chain>();
      for (const c of this.chains) byName.set(c.name, c);
      this.#byName = byName;
    }
    return this.#byName;
  }

  /** The store of the table's rules. */
  get store(): RuleStore {
    return this.#store;
  }

  get place(): TablePlace {
    return { firstId: this.#firstId, endId: this.#endId, spanNames: this.#names !== null };
  }

  /**
   * Puts back the chains and rules of the table this one copies (`chains`: already restored, in
   * its order). `byName`: chainsByName is kept as chains are added (addChain), not built on first use.
   */
  restorePlace(place: TablePlace, chains: readonly ParsedChain[], byName = false): void {
    this.#firstId = place.firstId;
    this.#endId = place.endId;
    this.#rules = null;
    this.#byName = byName ? new Map() : null;
    this.#names = place.spanNames ? new SpanNameMap() : null;
    this.chains.length = 0;
    for (const c of chains) this.addChain(c);
  }

  /** Adds a chain the parser just made (no chain of the table has its name). */
  addChain(chain: ParsedChain): void {
    this.chains.push(chain);
    this.#names?.set(chain.name, chain.ref);
    this.#byName?.set(chain.name, chain);
  }

  /** Deletes a chain (-X). */
  removeChain(chain: ParsedChain): void {
    this.#names = null;
    this.chainsByName.delete(chain.name);
    this.chains.splice(this.chains.indexOf(chain), 1);
  }

  /** The chain of this name, undefined when the table has none. */
  chainNamed(name: string): ParsedChain | undefined {
    return this.findChain(name, 0, name.length);
  }

  /** The chain named s[start, end), undefined when the table has none. */
  findChain(s: string, start: number, end: number): ParsedChain | undefined {
    if (this.#names === null) return this.chainsByName.get(s.slice(start, end)) as ParsedChain | undefined;
    const ref = this.#names.find(s, start, end);
    return ref < 0 ? undefined : this.#store.chains[ref];
  }

  close(): void {
    this.#endId = this.#store.count;
  }

  get rules(): Rule[] {
    if (this.#rules === null) {
      const end = this.#endId < 0 ? this.#store.count : this.#endId;
      const rules: Rule[] = [];
      for (let id = this.#firstId; id < end; id++) if (!this.#store.owner(id).deleted) rules.push(this.#store.rule(id));
      this.#rules = rules;
    }
    return this.#rules;
  }

  /** How many rules `rules` holds, counted in the store (no Rule objects). */
  ruleTotal(): number {
    if (this.#rules !== null) return this.#rules.length;
    const end = this.#endId < 0 ? this.#store.count : this.#endId;
    let n = 0;
    for (let id = this.#firstId; id < end; id++) if (!this.#store.owner(id).deleted) n++;
    return n;
  }

  /** Whether any rule of the table has counters, read from the store (no Rule objects). */
  anyRuleCounted(): boolean {
    const end = this.#endId < 0 ? this.#store.count : this.#endId;
    for (let id = this.#firstId; id < end; id++) if (this.#store.hasCounters(id) && !this.#store.owner(id).deleted) return true;
    return false;
  }

  setFamily(family: Family): void {
    this.family = family;
    for (const c of this.chains) (c as { family: Family }).family = family;
    this.#store.setFamily(this.#firstId, this.#endId < 0 ? this.#store.count : this.#endId, family);
  }
}

/**
 * A chain's rules read by position without making a Rule object for each: the kube model and
 * the counter diff scan tens of thousands of rules for their targets, texts and counters, and
 * keep a Rule object for few of them. Positions count from 0.
 */
export interface ChainRows {
  /** The chain's number in its parse (dense from 0), -1 for a chain that did not come from the parser. */
  readonly ref: number;
  /** How many rules the chain has. */
  readonly size: number;
  targetAt(i: number): string | null;
  /**
   * The number (ref) of the chain rule `i` jumps to: -1 when the target is no chain of the
   * parse, or the chain did not come from the parser. Readers find a target by it without
   * hashing its name.
   */
  targetRefAt(i: number): number;
  textAt(i: number): string;
  countersAt(i: number): Counters | null;
  /** The Rule object at position `i`: the same object `chain.rules[i]` is. */
  ruleAt(i: number): Rule;
}

/** The rows of `chain`: the parsed chain itself, or its `rules` for a chain built otherwise. */
export function chainRows(chain: Chain): ChainRows {
  return chain instanceof ParsedChain ? chain : new ListedRows(chain.rules);
}

/** Rows of a chain that did not come from the parser, read from its Rule objects. */
class ListedRows implements ChainRows {
  constructor(private readonly rules: readonly Rule[]) {}

  get ref(): number {
    return -1;
  }

  get size(): number {
    return this.rules.length;
  }

  targetAt(i: number): string | null {
    return this.rules[i]!.target;
  }

  targetRefAt(): number {
    return -1;
  }

  textAt(i: number): string {
    return this.rules[i]!.text;
  }

  countersAt(i: number): Counters | null {
    return this.rules[i]!.counters;
  }

  ruleAt(i: number): Rule {
    return this.rules[i]!;
  }
}

/** A table's rules and chains read without making Rule objects (or, for a parsed table, its chainsByName Map). */
export interface TableRows {
  /** `table.rules.length`. */
  ruleTotal(): number;
  /** Whether any rule of the table has counters. */
  anyRuleCounted(): boolean;
  /** The table's chain of this name. */
  chainNamed(name: string): Chain | undefined;
}

/** The rows of `table`: the parsed table itself, or its `rules` and `chainsByName` for a table built otherwise. */
export function tableRows(table: Table): TableRows {
  return table instanceof ParsedTable ? table : new ListedTableRows(table);
}

class ListedTableRows implements TableRows {
  constructor(private readonly table: Table) {}

  ruleTotal(): number {
    return this.table.rules.length;
  }

  anyRuleCounted(): boolean {
    return this.table.rules.some((r) => r.counters !== null);
  }

  chainNamed(name: string): Chain | undefined {
    return this.table.chainsByName.get(name);
  }
}

/** The chain a parsed rule belongs to; null for a rule that did not come from the parser. */
export function ownerChain(rule: Rule): Chain | null {
  return rule instanceof StoredRule ? rule.ownerChain() : null;
}
