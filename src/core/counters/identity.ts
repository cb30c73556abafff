/**
 * Rule identity across snapshots. kube-proxy rewrites whole chains on every sync, so a rule is
 * known by (family, table, chain, its text without counters, which occurrence of that text in the
 * chain), never by its position. nftables rules the same way, by (table label, chain, the rule as
 * `nft list` prints it without counter values or handle, occurrence): handles change when
 * kube-proxy rewrites a chain, texts do not. A chain whose texts are unchanged (the common case) is matched
 * position by position without building anything.
 */
import { ruleArgsText } from '../parse/serialize.js';
import { liveTables } from '../parse/live-tables.js';
import { TABLE_NAMES, type Chain, type Family, type Rule, type Ruleset, type Table, type TableName } from '../parse/types.js';

/**
 * Slot of a (family, table) pair, for arrays instead of string-keyed maps on hot paths: 0..9 for
 * iptables' five tables per family; an nft table shown through the views (core/nft-display,
 * named by its label, "ip kube-proxy") gets the next free slot from 10 on, the same one for
 * every snapshot, so two snapshots of one nft table meet in one slot.
 */
export function tableSlot(family: Family, table: TableName): number {
  const i = TABLE_INDEX[table];
  if (i !== undefined) return (family === 'ipv6' ? TABLE_NAMES.length : 0) + i;
  return nftTableSlot(family, table);
}

/** iptables' slots: five tables, two families. */
export const TABLE_SLOTS = TABLE_NAMES.length * 2;

// Labels contain a space, so no label is a key of Object.prototype.
const TABLE_INDEX = Object.fromEntries(TABLE_NAMES.map((t, i) => [t, i])) as Record<string, number | undefined>;

/**
 * nft table slots by view family and label, shared by all snapshots of the process. It grows
 * with the distinct nft tables ever read (a node has a handful), never per snapshot.
 */
const nftSlots = new Map<string, number>();

function nftTableSlot(family: Family, label: string): number {
  const key = (family === 'ipv6' ? '6 ' : '4 ') + label;
  let slot = nftSlots.get(key);
  if (slot === undefined) {
    slot = TABLE_SLOTS + nftSlots.size;
    nftSlots.set(key, slot);
  }
  return slot;
}

/**
 * Where a snapshot's chains are: built once per snapshot (a few tables, no per-rule work), from
 * the tables the kernel holds (parse/live-tables.ts: of a table given twice, the last) and the
 * nft tables as the views show them (`nftTables`, core/nft-display: the same Table objects the
 * views hold, so a Rule a view shows is found by identity).
 */
export class SnapshotIndex {
  private readonly tables: (Table | undefined)[] = new Array<Table | undefined>(TABLE_SLOTS);
  private readonly live: Table[];

  constructor(
    readonly ruleset: Ruleset,
    nftTables: readonly Table[] = [],
  ) {
    this.live = nftTables.length === 0 ? liveTables(ruleset) : [...liveTables(ruleset), ...nftTables];
    for (const t of this.live) this.tables[tableSlot(t.family, t.name)] = t;
  }

  /** Arguments in the order of CounterDiff.chain and findChain: table, family, chain. */
  chain(table: TableName, family: Family, name: string): Chain | undefined {
    return this.chainInSlot(tableSlot(family, table), name);
  }

  chainInSlot(slot: number, name: string): Chain | undefined {
    return this.tables[slot]?.chainsByName.get(name);
  }

  /** Every chain, in dump order (iptables' tables, then nft's). */
  *chains(): IterableIterator<Chain> {
    for (const t of this.live) yield* t.chains;
  }
}

/**
 * For each current rule, the same rule in `prev` (or null: new). Rules are matched by text and
 * occurrence of that text; rules left unmatched on both sides get a second chance by their
 * normalised options (`ruleArgsText`), so restore-form and save-form spellings of one rule agree.
 */
export function matchRules(prev: readonly Rule[], cur: readonly Rule[]): readonly (Rule | null)[] {
  if (prev.length === cur.length) {
    let same = true;
    for (let i = 0; i < cur.length; i++) {
      if (prev[i]!.text !== cur[i]!.text) {
        same = false;
        break;
      }
    }
    if (same) return prev;
  }
  const matched: (Rule | null)[] = new Array<Rule | null>(cur.length).fill(null);
  if (prev.length === 0) return matched;

  const taken = matchByKey(prev, cur, matched, allIndexes(cur.length), (r) => r.text);
  const leftCur: number[] = [];
  for (let i = 0; i < cur.length; i++) if (matched[i] === null) leftCur.push(i);
  if (leftCur.length > 0 && taken.size < prev.length) {
    const leftPrev = prev.filter((r) => !taken.has(r));
    // A rule without options matched by text already if it could; skipping such rules also keeps
    // rules whose options failed to re-parse (args []) from all looking alike.
    matchByKey(leftPrev, cur, matched, leftCur, (r) => {
      const args = r.args;
      return args.length === 0 ? null : ruleArgsText(args);
    });
  }
  return matched;
}

/** Matches cur[i] (i in `which`, ascending) to the prev rule with the same key and occurrence. */
function matchByKey(
  prev: readonly Rule[],
  cur: readonly Rule[],
  matched: (Rule | null)[],
  which: Iterable<number>,
  key: (r: Rule) => string | null,
): Set<Rule> {
  const byKey = new Map<string, Rule | Rule[]>();
  for (const r of prev) {
    const k = key(r);
    if (k === null) continue;
    const e = byKey.get(k);
    if (e === undefined) byKey.set(k, r);
    else if (Array.isArray(e)) e.push(r);
    else byKey.set(k, [e, r]);
  }
  const used = new Map<string, number>();
  const taken = new Set<Rule>();
  for (const i of which) {
    const k = key(cur[i]!);
    if (k === null) continue;
    const e = byKey.get(k);
    if (e === undefined) continue;
    let m: Rule | undefined;
    if (!Array.isArray(e)) {
      m = e;
      byKey.delete(k); // a second occurrence in cur is new
    } else {
      const n = used.get(k) ?? 0;
      used.set(k, n + 1);
      m = e[n];
    }
    if (m) {
      matched[i] = m;
      taken.add(m);
    }
  }
  return taken;
}

function* allIndexes(n: number): IterableIterator<number> {
  for (let i = 0; i < n; i++) yield i;
}
