/** One possible history of a packet through an nftables ruleset: mutated in place, cloned at a split. */
import type { IpBytes } from '../../trace/addr.js';
import type { PathStep } from '../../trace/types.js';

export interface NftBranch {
  probability: number;
  src: string;
  srcBytes: IpBytes;
  sport: number;
  dst: string;
  dstBytes: IpBytes;
  dport: number;
  mark: number;
  ctmark: number;
  ctstate: string;
  untracked: boolean;
  /** The connection has its destination (DNAT) / source (SNAT, masquerade) binding: later nat chains of that kind are skipped. */
  dstNatDone: boolean;
  srcNatDone: boolean;
  /** "ip:port" after DNAT, null before. */
  dnat: string | null;
  endpointChain: string | null;
  masquerade: boolean;
  /** The NAT rule that masqueraded or SNATed, and what it did. */
  natStep: PathStep | null;
  natAction: string | null;
  /**
   * Who set each mark bit first: the rule whose chain set it (the jump into mark-for-masquerade),
   * so that a masquerade can name the rule that asked for it. Only ever appended to.
   */
  markSetters: ReadonlyArray<{ readonly bits: number; readonly by: PathStep }>;
  /** The mark bits the last mark change cleared (kube-proxy's masquerading clears its bit just before masquerading). */
  clearedBits: number;
  /**
   * The last map element with a service comment ("ns/svc:p") this branch went through: whether it
   * dropped at once, else the chain it went to (a drop or reject there is the element's doing).
   */
  element: { readonly id: string; readonly dropped: boolean; readonly chain: string | null } | null;
  path: PathStep[];
  assumptions: string[];
  /** How the undecided matches met on this path were taken: this branch's case, in the order met. */
  decided: Array<{ readonly name: string; readonly value: boolean }>;
  reason: string | null;
}

export function cloneNftBranch(b: NftBranch): NftBranch {
  return { ...b, path: b.path.slice(), assumptions: b.assumptions.slice(), decided: b.decided.slice() };
}

export function noteOn(b: NftBranch, note: string): void {
  if (!b.assumptions.includes(note)) b.assumptions.push(note);
}

/** "external-… rule 2 (masquerade local traffic)" */
export function stepRef(step: PathStep): string {
  return `${step.chain} rule ${step.rule ?? '?'}${step.comment ? ` (${step.comment})` : ''}`;
}
