/** One possible history of the packet while it is walked: mutated in place, cloned at a split. */
import type { Rule, TableName } from '../parse/types.js';
import type { IpBytes } from './addr.js';
import type { PathStep } from './types.js';

/** A rule that did something worth naming in a reason. */
export interface RuleRef {
  readonly table: TableName;
  readonly chain: string;
  readonly index: number;
  readonly comment: string | undefined;
}

export interface Branch {
  probability: number;
  src: string;
  srcBytes: IpBytes;
  sport: number;
  dst: string;
  dstBytes: IpBytes;
  dport: number;
  /** Destination before any DNAT (conntrack's original tuple). */
  readonly origDst: string;
  readonly origDstBytes: IpBytes;
  readonly origDport: number;
  mark: number;
  ctmark: number;
  ctstate: string;
  dnatted: boolean;
  snatted: boolean;
  untracked: boolean;
  dnat: string | null;
  endpointChain: string | null;
  masquerade: boolean;
  /** The MASQUERADE/SNAT rule taken, and what it did ("masqueraded", "SNAT to …"). */
  natRule: RuleRef | null;
  natAction: string | null;
  /** The rule that first set the masquerade mark bit (e.g. the KUBE-EXT rule that jumped to KUBE-MARK-MASQ). */
  masqMarkedBy: RuleRef | null;
  /** The rule that first set the drop mark bit (old layouts' KUBE-MARK-DROP). */
  dropMarkedBy: RuleRef | null;
  path: PathStep[];
  assumptions: string[];
  /** How the undecided matches met on this path were taken: this branch's case, in the order met. */
  decided: Array<{ readonly name: string; readonly value: boolean }>;
  reason: string | null;
}

export function cloneBranch(b: Branch): Branch {
  return { ...b, path: b.path.slice(), assumptions: b.assumptions.slice(), decided: b.decided.slice() };
}

export function assume(b: Branch, note: string): void {
  if (!b.assumptions.includes(note)) b.assumptions.push(note);
}

export function ruleRef(rule: Rule, comment: string | undefined): RuleRef {
  return { table: rule.table, chain: rule.chain, index: rule.index, comment };
}

/** "KUBE-EXT-X rule 1 (masquerade traffic for …)" */
export function describeRef(ref: RuleRef): string {
  return `${ref.chain} rule ${ref.index}${ref.comment ? ` (${ref.comment})` : ''}`;
}
