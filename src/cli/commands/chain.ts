/** `kubechains chain NAME`: one chain's rules with counters, like `iptables -L -v -n --line-numbers`. */
import { chainReferences, findNftChains, humanCount, isTableName, listingColumns, listingOptions, nftChainListing, type NftChain, type NftChainListing, type NftRuleset } from '../../core/index.js';
import { ASSUMED_LINE, liveTables, type Chain, type Family, type Ruleset, type TableName } from '../../core/parse/index.js';
import { EXIT_NO_ANSWER, EXIT_OK } from '../io.js';
import { renderTable, type Column } from '../table.js';
import type { CommandContext } from './context.js';

/** Where `chain NAME` looks without --table. */
export const CHAIN_SEARCH_ORDER: readonly TableName[] = ['nat', 'filter', 'mangle', 'raw', 'security'];

export function chainCommand(ctx: CommandContext): number {
  const { snapshot, options, out, dump } = ctx;
  const name = options.chainName ?? '';
  const iptablesTable = options.table === null || isTableName(options.table) ? options.table : undefined;
  const found = iptablesTable === undefined ? { chains: [], alsoIn: [], suggestions: [] } : lookupChain(snapshot.ruleset, name, iptablesTable);
  if (found.chains.length === 0 && dump.nft) {
    const nft = lookupNftChain(dump.nft, name, options.table);
    if (nft.chains.length > 0) return printNftChains(nft.chains, dump.nft, ctx);
    found.suggestions.push(...nft.suggestions);
  }
  if (found.chains.length === 0) {
    const where = options.table ? `table ${options.table}` : dump.nft ? 'any table' : 'nat, filter, mangle, raw or security';
    const hint = found.suggestions.length > 0 ? ` (did you mean ${found.suggestions.slice(0, 3).join(', ')}?)` : '';
    out.error(`kubechains: no chain ${quote(name)} in ${where}${hint}`);
    return EXIT_NO_ANSWER;
  }
  if (options.json) {
    out.json({ chains: found.chains.map((c) => chainJson(snapshot.ruleset, c)) });
    return EXIT_OK;
  }
  found.chains.forEach((chain, i) => {
    if (i > 0) out.line();
    printChain(snapshot.ruleset, chain, ctx);
  });
  if (found.alsoIn.length > 0) {
    out.line();
    out.line(`also in table ${found.alsoIn.join(', ')} (use --table)`);
  }
  return EXIT_OK;
}

interface Lookup {
  readonly chains: Chain[];
  /** Other tables with a chain of that name, when --table was not given. */
  readonly alsoIn: TableName[];
  readonly suggestions: string[];
}

/** The chain in the first table (of --table or the search order) that has it, in every family. */
export function lookupChain(ruleset: Ruleset, name: string, table: TableName | null): Lookup {
  const order = table ? [table] : CHAIN_SEARCH_ORDER;
  for (const exact of [true, false]) {
    const match = (c: string) => (exact ? c === name : c.toUpperCase() === name.toUpperCase());
    const tablesWith = order.filter((t) => chainsIn(ruleset, t).some((c) => match(c.name)));
    const first = tablesWith[0];
    if (first === undefined) continue;
    return {
      chains: chainsIn(ruleset, first).filter((c) => match(c.name)),
      alsoIn: tablesWith.slice(1),
      suggestions: [],
    };
  }
  return { chains: [], alsoIn: [], suggestions: suggest(ruleset, name, order) };
}

function chainsIn(ruleset: Ruleset, table: TableName): Chain[] {
  return liveTables(ruleset).filter((t) => t.name === table).flatMap((t) => t.chains);
}

/** A few chain names containing what was typed, for the "did you mean" hint. */
function suggest(ruleset: Ruleset, name: string, order: readonly TableName[]): string[] {
  const needle = name.toUpperCase();
  if (needle.length < 3) return [];
  const names = new Set<string>();
  for (const t of order) for (const c of chainsIn(ruleset, t)) if (c.name.toUpperCase().includes(needle)) names.add(c.name);
  return [...names].slice(0, 3);
}

function familyLabel(f: Family): string {
  return f === 'ipv6' ? 'IPv6' : 'IPv4';
}

function printChain(ruleset: Ruleset, chain: Chain, { out }: CommandContext): void {
  const refs = chainReferences(ruleset, chain);
  out.line(`# table ${chain.table} (${familyLabel(chain.family)}), line ${chain.line}`);
  if (chain.builtin) {
    const c = chain.counters;
    const policy = chain.policy ?? 'ACCEPT';
    out.line(c ? `Chain ${chain.name} (policy ${policy} ${humanCount(c.packets)} packets, ${humanCount(c.bytes)} bytes)` : `Chain ${chain.name} (policy ${policy})`);
  } else {
    out.line(`Chain ${chain.name} (${refs} reference${refs === 1 ? '' : 's'})`);
  }
  const columns: Column[] = [
    { header: 'num', align: 'left' },
    { header: 'pkts', align: 'right' },
    { header: 'bytes', align: 'right' },
    { header: 'target' },
    { header: 'prot' },
    { header: 'opt' },
    { header: 'in' },
    { header: 'out' },
    { header: 'source' },
    { header: 'destination' },
    { header: '' },
  ];
  const rows = chain.rules.map((r) => {
    const cols = listingColumns(r);
    return [
      String(r.index),
      r.counters ? humanCount(r.counters.packets) : '-',
      r.counters ? humanCount(r.counters.bytes) : '-',
      r.target === null ? '' : r.goto ? `${r.target} (goto)` : r.target,
      cols.prot,
      cols.opt,
      cols.in,
      cols.out,
      cols.source,
      cols.destination,
      listingOptions(r),
    ];
  });
  for (const line of renderTable(columns, rows, null)) out.line(line);
  if (chain.rules.length === 0) out.line('(no rules)');
  // Rules --kube-jumps added have no line of the dump: say so under the listing.
  for (const r of chain.rules) {
    if (r.line === ASSUMED_LINE) out.line(`rule ${r.index}: assumed kube-proxy's jump (--kube-jumps), not in the dump`);
  }
}

function chainJson(ruleset: Ruleset, chain: Chain) {
  return {
    table: chain.table,
    family: chain.family,
    name: chain.name,
    builtin: chain.builtin,
    policy: chain.policy,
    packets: chain.counters?.packets ?? null,
    bytes: chain.counters?.bytes ?? null,
    references: chainReferences(ruleset, chain),
    line: chain.line,
    rules: chain.rules.map((r) => {
      const cols = listingColumns(r);
      return {
        number: r.index,
        line: r.line,
        packets: r.counters?.packets ?? null,
        bytes: r.counters?.bytes ?? null,
        target: r.target,
        goto: r.goto,
        prot: cols.prot,
        opt: cols.opt,
        in: cols.in,
        out: cols.out,
        source: cols.source,
        destination: cols.destination,
        summary: listingOptions(r),
        text: r.text,
      };
    }),
  };
}

function quote(s: string): string {
  return /^[\w.:/-]+$/.test(s) ? s : JSON.stringify(s);
}

/** nftables: the chains of that name (exact, then any case) in the tables --table names, every table without it. */
function lookupNftChain(nft: NftRuleset, name: string, table: string | null): { chains: NftChain[]; suggestions: string[] } {
  const inTable = (c: NftChain) => table === null || c.table === table || `${c.family} ${c.table}` === table;
  const exact = findNftChains(nft, name).filter(inTable);
  if (exact.length > 0) return { chains: exact, suggestions: [] };
  const all = nft.tables.flatMap((t) => t.chains).filter(inTable);
  const anyCase = all.filter((c) => c.name.toLowerCase() === name.toLowerCase());
  if (anyCase.length > 0) return { chains: anyCase, suggestions: [] };
  const needle = name.toLowerCase();
  const suggestions = needle.length < 3 ? [] : all.filter((c) => c.name.toLowerCase().includes(needle)).map((c) => c.name);
  return { chains: [], suggestions: [...new Set(suggestions)].slice(0, 3) };
}

/** Like `nft -a list chain`: the rules in order with their handles, as nft prints them. */
function printNftChains(chains: readonly NftChain[], nft: NftRuleset, { options, out }: CommandContext): number {
  const listings = chains.map((c) => nftChainListing(nft, c));
  if (options.json) {
    out.json({ chains: listings.map(nftChainJson) });
    return EXIT_OK;
  }
  listings.forEach((chain, i) => {
    if (i > 0) out.line();
    out.line(`# table ${chain.family} ${chain.table}, line ${chain.line}`);
    const b = chain.base;
    const n = chain.references;
    out.line(b ? `chain ${chain.name} (type ${b.type} hook ${b.hook} priority ${b.priority}; policy ${b.policy})` : `chain ${chain.name} (${n} reference${n === 1 ? '' : 's'})`);
    const counted = chain.rules.some((r) => r.packets !== null);
    const columns: Column[] = [
      { header: 'num', align: 'left' },
      { header: 'handle', align: 'right' },
      ...(counted ? [{ header: 'pkts', align: 'right' as const }, { header: 'bytes', align: 'right' as const }] : []),
      { header: 'rule' },
    ];
    const rows = chain.rules.map((r) => [
      String(r.number),
      r.handle === null ? '-' : String(r.handle),
      ...(counted ? [humanCount(r.packets), humanCount(r.bytes)] : []),
      r.text,
    ]);
    for (const line of renderTable(columns, rows, null)) out.line(line);
    if (chain.rules.length === 0) out.line('(no rules)');
    else if (!counted) out.line('(no counters: no counter statement in this chain; kube-proxy writes none)');
  });
  return EXIT_OK;
}

/** The iptables chain JSON's fields where they mean the same, plus nft's own (handle, base, comment). */
function nftChainJson(chain: NftChainListing) {
  return {
    table: chain.table,
    family: chain.family,
    name: chain.name,
    builtin: chain.base !== null,
    base: chain.base,
    policy: chain.base ? chain.base.policy.toUpperCase() : null,
    packets: null,
    bytes: null,
    references: chain.references,
    line: chain.line,
    handle: chain.handle,
    rules: chain.rules,
  };
}
