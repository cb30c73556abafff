/**
 * Reading a load-balancing chain (KUBE-SVC, KUBE-SVL, KUBE-XLB): which KUBE-SEP chains it jumps
 * to and with what chance. Only the jumps are used, never the comments, so large-cluster dumps
 * (no comments on these rules) read the same.
 */
import type { Chain, Rule } from '../parse/types.js';
import { hasOption, optionWord, scanRule, type RuleFacts } from './scan.js';

export interface EndpointJump {
  readonly chain: string;
  /** Chance that a new connection entering the chain takes this jump. */
  probability: number;
  /** The first rule that jumps there by statistics (or the affinity rule when there is none). */
  readonly rule: Rule;
  /** Filled by the model: the KUBE-SEP chain's DNAT, null when the chain is missing or has none. */
  dnat?: { readonly rule: Rule; readonly address: string } | null;
}

export interface EndpointSplit {
  readonly jumps: EndpointJump[];
  /** `-m recent --rcheck --seconds N` on the affinity rules: ClientIP session affinity. */
  readonly affinitySeconds: number | null;
  /** Rules that mark the traffic for dropping (old layouts: "has no local endpoints" -> KUBE-MARK-DROP). */
  readonly dropRules: Rule[];
}

export const SEP_PREFIX = 'KUBE-SEP-';

/**
 * Walk the chain's rules in order, splitting the remaining chance at each
 * `-m statistic --mode random --probability p` jump: p of what is left goes to the jump.
 * Affinity checks (`--rcheck`) do not split: a new client has no entry in the recent list.
 */
export function splitEndpoints(chain: Chain): EndpointSplit {
  const jumps: EndpointJump[] = [];
  /** Built once a chain has many jumps; small chains search the array. */
  let index: Map<string, EndpointJump> | undefined;
  const dropRules: Rule[] = [];
  let affinitySeconds: number | null = null;
  let rest = 1;
  for (const rule of chain.rules) {
    const target = rule.target;
    if (target === null) continue;
    if (target === 'KUBE-MARK-DROP' || target === 'DROP') {
      dropRules.push(rule);
      continue;
    }
    if (!target.startsWith(SEP_PREFIX)) continue;
    const text = rule.text;
    let probability: number;
    if (hasOption(text, '--rcheck')) {
      const seconds = Number(optionWord(text, '--seconds'));
      if (affinitySeconds === null && Number.isFinite(seconds)) affinitySeconds = seconds;
      probability = 0;
    } else {
      const p = textProbability(text);
      probability = p === null ? rest : rest * p;
      rest = p === null ? 0 : rest * (1 - p);
    }
    // A chain jumping twice to one endpoint gives it both chances (not something kube-proxy writes).
    let seen: EndpointJump | undefined;
    if (jumps.length < 16) {
      seen = findJump(jumps, target);
    } else {
      index ??= new Map(jumps.map((j) => [j.chain, j]));
      seen = index.get(target);
    }
    if (seen) {
      seen.probability += probability;
    } else {
      const jump: EndpointJump = { chain: target, probability, rule };
      jumps.push(jump);
      index?.set(target, jump);
    }
  }
  return { jumps, affinitySeconds, dropRules };
}

/** p of `-m statistic --mode random --probability p` (1/n for `--mode nth --every n`), null when the rule has no such match. */
export function statisticProbability(rule: Rule): number | null {
  return factsProbability(scanRule(rule.text));
}

function findJump(jumps: readonly EndpointJump[], chain: string): EndpointJump | undefined {
  for (const j of jumps) if (j.chain === chain) return j;
  return undefined;
}

/** Fast path: kube-proxy's statistic rules read without building RuleFacts. */
function textProbability(text: string): number | null {
  const mode = optionWord(text, '--mode');
  if (mode === undefined) return null;
  if (mode !== 'random' || text.indexOf('! --mode') >= 0) return factsProbability(scanRule(text));
  const p = Number(optionWord(text, '--probability'));
  return Number.isFinite(p) && p >= 0 && p <= 1 ? p : null;
}

function factsProbability(f: RuleFacts): number | null {
  if (f.mode === undefined || f.modeNegated) return null;
  if (f.mode === 'nth') {
    const every = Number(f.every);
    return every > 0 ? 1 / every : null;
  }
  if (f.probability === undefined) return null;
  const p = Number(f.probability);
  return Number.isFinite(p) && p >= 0 && p <= 1 ? p : null;
}

/** The DNAT rule of a KUBE-SEP chain and where it sends the packet. */
export function endpointDnat(chain: Chain): { rule: Rule; address: string } | null {
  for (const rule of chain.rules) {
    if (rule.target !== 'DNAT') continue;
    const address = optionWord(rule.text, '--to-destination');
    if (address !== undefined) return { rule, address };
  }
  return null;
}
