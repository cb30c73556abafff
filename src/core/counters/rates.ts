/** Helpers for views that sort by rate. */
import type { Family } from '../parse/types.js';
import type { CounterDiff } from './types.js';

/** A service port's packets per second since the previous snapshot, or null (new, reset, first, no interval). */
export function serviceRate(diff: CounterDiff | null, id: string, family: Family): number | null {
  return diff?.service(id, family)?.packetRate ?? null;
}

/** An endpoint's (KUBE-SEP chain's DNAT rule's) packets per second, or null. */
export function endpointRate(diff: CounterDiff | null, chain: string, family: Family): number | null {
  return diff?.endpoint(chain, family)?.packetRate ?? null;
}

/** For Array.prototype.sort: highest rate first, unknown (null/undefined) rates last. */
export function compareRates(a: number | null | undefined, b: number | null | undefined): number {
  const an = a === null || a === undefined || Number.isNaN(a);
  const bn = b === null || b === undefined || Number.isNaN(b);
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return b! - a!;
}

