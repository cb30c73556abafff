/**
 * Where a traced branch ends, and the Outcome it makes: shared by the iptables and the nftables
 * tracers, whose branches differ in what they track on the way but end the same way.
 */
import { decisionText } from './undecided.js';
import type { Outcome, PathStep, Verdict } from './types.js';

/** What every tracer's branch knows at its end. */
export interface EndedBranch {
  readonly probability: number;
  readonly dnat: string | null;
  readonly masquerade: boolean;
  readonly path: PathStep[];
  readonly assumptions: string[];
  readonly decided: ReadonlyArray<{ readonly name: string; readonly value: boolean }>;
  readonly reason: string | null;
  readonly endpointChain: string | null;
}

export interface Final<B extends EndedBranch> {
  readonly b: B;
  readonly verdict: Verdict;
  readonly delivery: Outcome['delivery'];
}

/** Branches that got through every hook: accepted, and delivered locally, forwarded or sent out. */
export function deliver<B extends EndedBranch>(branches: readonly B[], delivery: 'local' | 'forward' | 'output', finals: Final<B>[]): void {
  for (const b of branches) finals.push({ b, verdict: 'ACCEPT', delivery });
}

/** The Outcome of a final; `natReason` says why an accepted packet was NATed, a drop keeps its branch's reason. */
export function outcomeOf<B extends EndedBranch>(f: Final<B>, natReason: (b: B) => string | null): Outcome {
  const b = f.b;
  return {
    probability: b.probability,
    verdict: f.verdict,
    dnat: b.dnat,
    masquerade: b.masquerade,
    path: b.path,
    assumptions: b.assumptions,
    case: b.decided.map((d) => decisionText(d.name, d.value)),
    reason: f.verdict === 'ACCEPT' ? natReason(b) : b.reason,
    delivery: f.delivery,
    endpointChain: b.endpointChain,
  };
}
