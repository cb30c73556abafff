/**
 * One nft chain as the CLI's `chain NAME` lists it: each rule with its handle, text, verdict and
 * counters (null: kube-proxy writes no counter statements), and how many rules go to the chain.
 */
import { body, field, kindOf, verdictOf } from './expr.js';
import type { NftChain, NftExpr, NftRule, NftRuleset, NftStatement } from './types.js';

export interface NftRuleListing {
  /** Position from 1. */
  readonly number: number;
  readonly handle: number | null;
  readonly line: number;
  readonly text: string;
  /** The verdict the rule gives ("goto service-…", "DNAT", "DROP"); a map lookup gives "vmap @name"; null when none. */
  readonly target: string | null;
  readonly goto: boolean;
  readonly comment: string | null;
  readonly packets: number | null;
  readonly bytes: number | null;
}

export interface NftChainListing {
  readonly family: string;
  readonly table: string;
  readonly name: string;
  readonly line: number;
  readonly handle: number | null;
  /** Base chains: type, hook, priority and policy; null for a regular chain. */
  readonly base: NftChain['base'];
  /** Rules (and map elements) in the same table that jump or go to this chain. */
  readonly references: number;
  readonly rules: NftRuleListing[];
}

const NAT_TARGETS: Readonly<Record<string, string>> = { dnat: 'DNAT', snat: 'SNAT', masquerade: 'MASQUERADE', redirect: 'REDIRECT', reject: 'REJECT' };

/** The verdict a rule ends in, as listings name targets. */
export function nftRuleTarget(rule: NftRule): { target: string | null; goto: boolean } {
  for (const s of rule.expr) {
    const v = verdictOf(s);
    if (v) return { target: v.target ?? v.kind.toUpperCase(), goto: v.kind === 'goto' };
    const kind = kindOf(s);
    if (kind !== null && kind in NAT_TARGETS) return { target: NAT_TARGETS[kind]!, goto: false };
    if (kind === 'vmap') {
      const data = field(body(s, 'vmap'), 'data');
      return { target: typeof data === 'string' ? `vmap ${data}` : 'vmap', goto: false };
    }
  }
  return { target: null, goto: false };
}

export function nftChainListing(nft: NftRuleset, chain: NftChain): NftChainListing {
  return {
    family: chain.family,
    table: chain.table,
    name: chain.name,
    line: chain.line,
    handle: chain.handle,
    base: chain.base,
    references: nftChainReferences(nft, chain),
    rules: chain.rules.map((r) => ({
      number: r.index,
      handle: r.handle,
      line: r.line,
      text: r.text,
      ...nftRuleTarget(r),
      comment: r.comment,
      packets: r.counters?.packets ?? null,
      bytes: r.counters?.bytes ?? null,
    })),
  };
}

/** The chains named by a verdict anywhere in `e` (statements, anonymous vmaps). */
function collectTargets(e: NftExpr | NftStatement | undefined, out: string[]): void {
  if (e === undefined || e === null || typeof e !== 'object') return;
  const v = verdictOf(e as NftExpr);
  if (v?.target) {
    out.push(v.target);
    return;
  }
  if (Array.isArray(e)) {
    for (const x of e as readonly NftExpr[]) collectTargets(x, out);
    return;
  }
  for (const k in e) collectTargets((e as Record<string, NftExpr>)[k], out);
}

export function nftChainReferences(nft: NftRuleset, chain: NftChain): number {
  const table = nft.tables.find((t) => t.family === chain.family && t.name === chain.table);
  if (!table) return 0;
  let n = 0;
  const targets: string[] = [];
  for (const c of table.chains) {
    for (const r of c.rules) {
      targets.length = 0;
      collectTargets(r.expr as unknown as NftExpr, targets);
      n += targets.filter((t) => t === chain.name).length;
    }
  }
  for (const set of table.sets) {
    for (const el of set.elements) if (verdictOf(el.data ?? undefined)?.target === chain.name) n++;
  }
  return n;
}

/** The chains called `name` in every table (a name may exist in several tables and families). */
export function findNftChains(nft: NftRuleset, name: string): NftChain[] {
  return nft.tables.flatMap((t) => {
    const c = t.chainsByName.get(name);
    return c ? [c] : [];
  });
}
