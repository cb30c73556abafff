/**
 * Reading a load-balancing chain (KUBE-SVC, KUBE-SVL, KUBE-XLB): which KUBE-SEP chains it jumps
 * to and with what chance. Only the jumps are used, never the comments, so large-cluster dumps
 * (no comments on these rules) read the same.
 *
 * The model reads every such chain of a dump into flat arrays (SplitTable: no object per jump,
 * no Rule object per rule; a 10k-service dump has ~40k jumps).
 */
import { chainRows } from '../parse/rule.js';
import type { Chain, Rule } from '../parse/types.js';
import { hasOption, optionWord, scanRule, type RuleFacts } from './scan.js';

export const SEP_PREFIX = 'KUBE-SEP-';

/**
 * Splits in flat arrays: split `s` is jumps `start[s]` .. `start[s] + count[s]` of the jump
 * arrays; a jump is its KUBE-SEP chain, its chance, and the position in the split chain of its
 * first rule. Sized up front (`splits` chains with `rules` rules in all): big arrays that grow
 * one push at a time are copied again and again.
 */
export class SplitTable {
  readonly chain: Chain[];
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** NaN: no affinity. */
  readonly affinity: Float64Array;
  /** Positions of the KUBE-MARK-DROP / DROP rules, null when none. */
  readonly drops: (number[] | null)[];
  readonly jumpChain: string[];
  /** The KUBE-SEP chain's number (ChainRows.targetRefAt), -1 when it has none: found again without its name. */
  readonly jumpRef: Int32Array;
  readonly jumpProbability: Float64Array;
  readonly jumpAt: Int32Array;
  private splits = 0;
  private jumps = 0;

  constructor(splits: number, rules: number) {
    this.chain = new Array<Chain>(splits);
    this.start = new Int32Array(splits);
    this.count = new Int32Array(splits);
    this.affinity = new Float64Array(splits);
    this.drops = new Array<number[] | null>(splits).fill(null);
    this.jumpChain = new Array<string>(rules);
    this.jumpRef = new Int32Array(rules);
    this.jumpProbability = new Float64Array(rules);
    this.jumpAt = new Int32Array(rules);
  }

  /**
   * Walks the chain's rules in order, splitting the remaining chance at each
   * `-m statistic --mode random --probability p` jump: p of what is left goes to the jump.
   * Affinity checks (`--rcheck`) do not split: a new client has no entry in the recent list.
   * Returns the split's number.
   */
  read(chain: Chain): number {
    const start = this.jumps;
    const jumpChain = this.jumpChain;
    const jumpProbability = this.jumpProbability;
    /** Built once a chain has many jumps; small chains search the arrays. */
    let index: Map<string, number> | undefined;
    let drops: number[] | null = null;
    let affinity = NaN;
    let rest = 1;
    let end = start;
    const rows = chainRows(chain);
    const n = rows.size;
    for (let r = 0; r < n; r++) {
      const target = rows.targetAt(r);
      if (target === null) continue;
      if (target === 'KUBE-MARK-DROP' || target === 'DROP') {
        (drops ??= []).push(r);
        continue;
      }
      if (!target.startsWith(SEP_PREFIX)) continue;
      const text = rows.textAt(r);
      let probability: number;
      if (hasOption(text, '--rcheck')) {
        const seconds = Number(optionWord(text, '--seconds'));
        if (Number.isNaN(affinity) && Number.isFinite(seconds)) affinity = seconds;
        probability = 0;
      } else {
        const p = textProbability(text);
        probability = p === null ? rest : rest * p;
        rest = p === null ? 0 : rest * (1 - p);
      }
      // A chain jumping twice to one endpoint gives it both chances (not something kube-proxy writes).
      let seen = -1;
      if (end - start < 16) {
        for (let j = start; j < end; j++) {
          if (jumpChain[j] === target) {
            seen = j;
            break;
          }
        }
      } else {
        if (index === undefined) {
          index = new Map();
          for (let j = start; j < end; j++) index.set(jumpChain[j]!, j);
        }
        seen = index.get(target) ?? -1;
      }
      if (seen >= 0) {
        jumpProbability[seen] = jumpProbability[seen]! + probability;
      } else {
        index?.set(target, end);
        jumpChain[end] = target;
        this.jumpRef[end] = rows.targetRefAt(r);
        jumpProbability[end] = probability;
        this.jumpAt[end] = r;
        end++;
      }
    }
    const s = this.splits++;
    this.jumps = end;
    this.chain[s] = chain;
    this.start[s] = start;
    this.count[s] = end - start;
    this.affinity[s] = affinity;
    this.drops[s] = drops;
    return s;
  }

  affinitySeconds(split: number): number | null {
    const a = this.affinity[split]!;
    return Number.isNaN(a) ? null : a;
  }

  dropRules(split: number): Rule[] {
    const at = this.drops[split];
    if (!at) return [];
    const chain = this.chain[split]!;
    return at.map((i) => chainRows(chain).ruleAt(i));
  }

  /** Whether split `split` jumps to KUBE-SEP chain `sep`. */
  hasJump(split: number, sep: string): boolean {
    const end = this.start[split]! + this.count[split]!;
    for (let j = this.start[split]!; j < end; j++) if (this.jumpChain[j] === sep) return true;
    return false;
  }
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

/** The position of the DNAT rule of a KUBE-SEP chain and where it sends the packet, or null. */
export function dnatOf(chain: Chain): { at: number; address: string } | null {
  const rows = chainRows(chain);
  const n = rows.size;
  for (let i = 0; i < n; i++) {
    if (rows.targetAt(i) !== 'DNAT') continue;
    const address = optionWord(rows.textAt(i), '--to-destination');
    if (address !== undefined) return { at: i, address };
  }
  return null;
}

