/**
 * A parsed ruleset in a form that crosses threads: the live poller parses in a worker thread
 * (src/sources/parse-worker.ts) and the explorer uses the result on the main thread.
 *
 * Structured clone cannot carry the parse as it is (RuleStore, ParsedChain and ParsedTable keep
 * private state, and rebuilding 50k chain objects from cloned objects would cost the main thread
 * what the worker saved). So the rows go as typed arrays whose buffers are transferred, not
 * copied, the chains as columns, and the dump's text not at all: the main thread read it and
 * still has it. unpackRuleset builds the same classes over them; nothing is parsed again.
 */
import { finishSteps, type Steps } from '../steps.js';
import { ParsedChain, ParsedTable, RuleStore, type StoreRows, type TablePlace } from './rule.js';
import type { Counters, Diagnostic, DumpInfo, Family, Ruleset, TableName } from './types.js';

/** What the store's text is, against the text the receiver has: the same, that text and more (--kube-jumps' rules), or another. */
export type PackedInput = { readonly kind: 'same' } | { readonly kind: 'tail'; readonly tail: string } | { readonly kind: 'own'; readonly text: string };

/** The store's chains (every one of the parse, deleted ones too), a column per field, by ref. */
export interface PackedChains {
  /** Names joined by newlines (a name never holds one: the dump is read line by line). */
  readonly names: string;
  readonly tableNames: readonly string[];
  readonly table: Int32Array;
  /** 0: ipv4, 1: ipv6. */
  readonly family: Uint8Array;
  readonly builtin: Uint8Array;
  readonly deleted: Uint8Array;
  readonly policyNames: readonly string[];
  /** -1: no policy. */
  readonly policy: Int32Array;
  /** -1: no counters. */
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly line: Int32Array;
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** A chain whose rules are a list (see ParsedChain): its ids at listFrom, listLength of them; -1: a run. */
  readonly listFrom: Int32Array;
  readonly listLength: Int32Array;
  readonly lists: Int32Array;
}

export interface PackedTable {
  readonly family: Family;
  readonly name: TableName;
  readonly line: number;
  readonly leadingLines: string[];
  readonly commitLine: number | null;
  readonly deletedChains: string[];
  /** The table's chains in its order, by ref. */
  readonly chains: Int32Array;
  readonly place: TablePlace;
}

export interface PackedRuleset {
  readonly info: DumpInfo;
  readonly diagnostics: Diagnostic[];
  readonly trailingLines: string[];
  readonly tables: PackedTable[];
  /** null when there are no tables. */
  readonly store: { readonly input: PackedInput; readonly rows: StoreRows; readonly chains: PackedChains } | null;
}

/**
 * `ruleset` (parsed from `text` by parseIptablesSave) for another thread. Throws for a ruleset
 * that was not parsed (tables built otherwise) or whose tables do not share one store.
 */
export function packRuleset(ruleset: Ruleset, text: string): PackedRuleset {
  const tables = ruleset.tables.map((t) => {
    if (!(t instanceof ParsedTable)) throw new TypeError(`table ${t.name} was not parsed: it cannot be packed`);
    return t;
  });
  const store = tables[0]?.store ?? null;
  if (tables.some((t) => t.store !== store)) throw new TypeError('the tables of a ruleset to pack come from more than one parse');
  return {
    info: ruleset.info,
    diagnostics: ruleset.diagnostics,
    trailingLines: ruleset.trailingLines,
    tables: tables.map((t) => ({
      family: t.family,
      name: t.name,
      line: t.line,
      leadingLines: t.leadingLines,
      commitLine: t.commitLine,
      deletedChains: t.deletedChains,
      chains: Int32Array.from(t.chains, (c) => (c as ParsedChain).ref),
      place: t.place,
    })),
    store: store === null ? null : { input: packedInput(store.input, text), rows: store.rows(), chains: packChains(store.chains) },
  };
}

/** The buffers of `packed` to transfer (postMessage's transfer list): the receiver owns them after. */
export function packedBuffers(packed: PackedRuleset): ArrayBuffer[] {
  if (packed.store === null) return [];
  const arrays: ArrayBufferView[] = [];
  for (const v of [...Object.values(packed.store.rows), ...Object.values(packed.store.chains)]) if (ArrayBuffer.isView(v)) arrays.push(v);
  for (const t of packed.tables) arrays.push(t.chains);
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** The ruleset `packed` holds, over `text` (the text it was parsed from, which the receiver has). */
export function unpackRuleset(packed: PackedRuleset, text: string): Ruleset {
  return finishSteps(unpackRulesetSteps(packed, text, Infinity));
}

/**
 * unpackRuleset in steps of `slice` chains (core/steps.ts): at 10k services the 54k chain
 * objects and their tables' name maps are some 40 ms of work, which the live explorer takes
 * with keys let in between. `packed` must not change meanwhile.
 */
export function* unpackRulesetSteps(packed: PackedRuleset, text: string, slice: number): Steps<Ruleset> {
  const tables: ParsedTable[] = [];
  if (packed.store !== null) {
    const { input, rows, chains } = packed.store;
    const store = RuleStore.fromRows(input.kind === 'same' ? text : input.kind === 'tail' ? text + input.tail : input.text, rows);
    const made = yield* unpackChains(store, chains, slice);
    let added = 0;
    for (const p of packed.tables) {
      const table = new ParsedTable(store, p.family, p.name, p.line, p.leadingLines);
      table.commitLine = p.commitLine;
      table.deletedChains.push(...p.deletedChains);
      // restorePlace with the chains added one by one: the same table, with pauses between. Its
      // chainsByName is filled meanwhile: the receiver's readers (the explorer's views and
      // counters) look chains up by name, and would build it in one piece.
      table.restorePlace(p.place, [], true);
      for (const ref of p.chains) {
        if (++added % slice === 0) yield;
        table.addChain(made[ref]!);
      }
      tables.push(table);
    }
  }
  return { tables, info: packed.info, diagnostics: packed.diagnostics, trailingLines: packed.trailingLines };
}

function packedInput(input: string, text: string): PackedInput {
  if (input === text) return { kind: 'same' };
  if (input.length > text.length && input.startsWith(text)) return { kind: 'tail', tail: input.slice(text.length) };
  return { kind: 'own', text: input };
}

function packChains(chains: readonly ParsedChain[]): PackedChains {
  const n = chains.length;
  const tableNames: string[] = [];
  const policyNames: string[] = [];
  const indexOf = (list: string[], name: string) => {
    let i = list.indexOf(name);
    if (i < 0) i = list.push(name) - 1;
    return i;
  };
  const out = {
    table: new Int32Array(n),
    family: new Uint8Array(n),
    builtin: new Uint8Array(n),
    deleted: new Uint8Array(n),
    policy: new Int32Array(n),
    packets: new Float64Array(n),
    bytes: new Float64Array(n),
    line: new Int32Array(n),
    first: new Int32Array(n),
    count: new Int32Array(n),
    listFrom: new Int32Array(n),
    listLength: new Int32Array(n),
  };
  const lists: number[] = [];
  const names: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const c = chains[i]!;
    if (c.ref !== i) throw new Error(`chain ${c.name} has ref ${c.ref} at ${i} of its store`);
    names[i] = c.name;
    out.table[i] = indexOf(tableNames, c.table);
    out.family[i] = c.family === 'ipv6' ? 1 : 0;
    out.builtin[i] = c.builtin ? 1 : 0;
    out.policy[i] = c.policy === null ? -1 : indexOf(policyNames, c.policy);
    out.packets[i] = c.counters === null ? -1 : c.counters.packets;
    out.bytes[i] = c.counters === null ? -1 : c.counters.bytes;
    out.line[i] = c.line;
    const place = c.place;
    out.deleted[i] = place.deleted ? 1 : 0;
    out.first[i] = place.first;
    out.count[i] = place.count;
    out.listFrom[i] = place.ids === null ? -1 : lists.length;
    out.listLength[i] = place.ids === null ? 0 : place.ids.length;
    if (place.ids !== null) for (const id of place.ids) lists.push(id);
  }
  return { ...out, names: names.join('\n'), tableNames, policyNames, lists: Int32Array.from(lists) };
}

function* unpackChains(store: RuleStore, p: PackedChains, slice: number): Steps<ParsedChain[]> {
  const n = p.table.length;
  const names = n === 0 ? [] : p.names.split('\n');
  const chains = new Array<ParsedChain>(n);
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % slice === 0) yield;
    const packets = p.packets[i]!;
    const counters: Counters | null = packets < 0 ? null : { packets, bytes: p.bytes[i]! };
    const policy = p.policy[i]!;
    const chain = new ParsedChain(
      store,
      p.family[i] === 1 ? 'ipv6' : 'ipv4',
      p.tableNames[p.table[i]!] as TableName,
      names[i]!,
      p.builtin[i] === 1,
      policy < 0 ? null : p.policyNames[policy]!,
      counters,
      p.line[i]!,
    );
    const from = p.listFrom[i]!;
    chain.restorePlace({
      first: p.first[i]!,
      count: p.count[i]!,
      ids: from < 0 ? null : Array.from(p.lists.subarray(from, from + p.listLength[i]!)),
      deleted: p.deleted[i] === 1,
    });
    chains[i] = chain;
  }
  return chains;
}
