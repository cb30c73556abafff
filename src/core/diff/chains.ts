/**
 * Chains of two dumps, rule by rule. kube-proxy's per-service chains (KUBE-SVC/SEP/EXT/…, the
 * nftables service-/endpoint- chains) and the rules that jump to them or name a service in
 * their comment are the services part of the diff: their hashed names change with the service,
 * and listing them again here would bury the chains nobody else reports (DOCKER, cali-*, a
 * hand-made rule in KUBE-SERVICES). Rules are compared by text without counters, so counters
 * alone never make a difference.
 */
import { nftDisplayTables } from '../nft-display.js';
import { serviceIdFromComment } from '../kube/comments.js';
import type { KubeModel } from '../kube/types.js';
import { liveTables } from '../parse/live-tables.js';
import { ruleComment } from '../parse/query.js';
import type { Chain, Rule, Table } from '../parse/types.js';
import type { Dump } from '../dump.js';
import type { ChainChange, ChainRef, ChainsDiff } from './types.js';

/** What both dumps say about services, to tell service rules from the rest. */
export class ServiceRules {
  private readonly ownedChains = new Set<string>();
  private readonly ids = new Set<string>();

  constructor(models: readonly KubeModel[]) {
    for (const model of models) {
      for (const s of model.services) {
        this.ids.add(s.id);
        this.ids.add(`${s.namespace}/${s.name}`);
      }
      for (const key of model.chainOwner.keys()) this.ownedChains.add(key);
    }
  }

  ownsChain(chain: Chain): boolean {
    return this.ownedChains.has(`${chain.family}/${chain.name}`);
  }

  /** A rule that jumps to a service's chain, or whose comment names a service of either dump. */
  ownsRule(rule: Rule): boolean {
    if (rule.target !== null && this.ownedChains.has(`${rule.family}/${rule.target}`)) return true;
    const comment = rule.nft ? rule.nft.comment : ruleComment(rule);
    if (comment === undefined || comment === null) return false;
    const id = serviceIdFromComment(comment);
    return id !== null && this.ids.has(id);
  }
}

export interface ChainsResult {
  readonly chains: ChainsDiff;
  readonly notes: readonly string[];
}

/** Chains of the same mode only: an iptables table and an nftables table are never compared. */
export function diffChains(a: Dump, b: Dump, services: ServiceRules): ChainsResult {
  const added: ChainRef[] = [];
  const removed: ChainRef[] = [];
  const changed: ChainChange[] = [];
  const notes: string[] = [];
  const modes = [
    { mode: 'iptables', tables: (d: Dump) => liveTables(d.ruleset) },
    { mode: 'nftables', tables: (d: Dump): readonly Table[] => (d.nft ? nftDisplayTables(d.nft) : []) },
  ] as const;
  for (const { mode, tables } of modes) {
    const before = tables(a);
    const after = tables(b);
    if (before.length === 0 && after.length === 0) continue;
    if (before.length === 0 || after.length === 0) {
      const side = before.length === 0 ? 'B' : 'A';
      notes.push(`only ${side} has ${mode} rules: chains are compared only within one mode, so ${side}'s ${mode} chains were not compared`);
      continue;
    }
    const old = chainsByKey(before, services);
    const now = chainsByKey(after, services);
    for (const [key, chain] of old) {
      const other = now.get(key);
      if (other === undefined) removed.push(chainRef(chain));
      else {
        const change = diffChain(chain, other, services);
        if (change !== null) changed.push(change);
      }
    }
    for (const [key, chain] of now) if (!old.has(key)) added.push(chainRef(chain));
  }
  return { chains: { added, removed, changed }, notes };
}

function chainsByKey(tables: readonly Table[], services: ServiceRules): Map<string, Chain> {
  const map = new Map<string, Chain>();
  for (const table of tables) {
    for (const chain of table.chains) {
      if (services.ownsChain(chain)) continue;
      map.set(`${chain.family}\t${chain.table}\t${chain.name}`, chain);
    }
  }
  return map;
}

function chainRef(chain: Chain): ChainRef {
  return { family: chain.family, table: chain.table, chain: chain.name };
}

function diffChain(a: Chain, b: Chain, services: ServiceRules): ChainChange | null {
  const before = ruleTexts(a, services);
  const after = ruleTexts(b, services);
  const rulesAdded = missingFrom(after, before);
  const rulesRemoved = missingFrom(before, after);
  const reordered = rulesAdded.length === 0 && rulesRemoved.length === 0 && before.some((text, i) => text !== after[i]);
  const policy = a.policy !== b.policy ? ([a.policy, b.policy] as const) : null;
  if (rulesAdded.length === 0 && rulesRemoved.length === 0 && !reordered && policy === null) return null;
  return { ...chainRef(a), rulesAdded, rulesRemoved, reordered, policy };
}

function ruleTexts(chain: Chain, services: ServiceRules): string[] {
  return chain.rules.filter((r) => !services.ownsRule(r)).map((r) => r.text);
}

/** The texts of `list` that `other` lacks, counted: a rule written twice in A and once in B is one removal. */
function missingFrom(list: readonly string[], other: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const text of other) left.set(text, (left.get(text) ?? 0) + 1);
  const missing: string[] = [];
  for (const text of list) {
    const n = left.get(text) ?? 0;
    if (n > 0) left.set(text, n - 1);
    else missing.push(text);
  }
  return missing;
}
