/**
 * Filter terms of the services list, for what fuzzy text cannot find: `ep:0` (no endpoints),
 * `local:0` (no local endpoint where the dump tells), `type:nodeport`, `policy:local`,
 * `ns:NAME`, `problems` (what doctor names). Terms and text combine: every term must hold and
 * the remaining words filter as before (`ns:prod ep:0 web`).
 */
import type { ServiceType } from '../../core/kube/index.js';
import type { ServiceRow } from './explorer-data.js';

/** What a term may need beyond the row: the services doctor has findings about (by family and id). */
export interface TermContext {
  problemServices(): ReadonlySet<string>;
}

export type ServiceTerm = (row: ServiceRow, context: TermContext) => boolean;

export interface ParsedServiceFilter {
  readonly terms: readonly ServiceTerm[];
  /** The words that are not terms, for the substring and fuzzy search. */
  readonly text: string;
  /** A term whose value makes no sense (`type:foo`): said instead of an empty list. */
  readonly error: string | null;
}

export const FILTER_TERMS_HELP = 'ep:N local:N type:clusterip|nodeport|loadbalancer|external policy:local|cluster ns:NAME problems';

/** Term names, for completion and "did you mean". */
export const TERM_NAMES: readonly string[] = ['ep:', 'local:', 'type:', 'policy:', 'ns:', 'problems'];

const TYPES: readonly (readonly [string, ServiceType])[] = [
  ['clusterip', 'ClusterIP'],
  ['nodeport', 'NodePort'],
  ['loadbalancer', 'LoadBalancer'],
  ['lb', 'LoadBalancer'],
  ['externalip', 'ExternalIP'],
  ['external', 'ExternalIP'],
];

const TERM = /^(ep|endpoints|local|type|policy|ns|namespace):(.*)$/i;

export function parseServiceFilter(filter: string): ParsedServiceFilter {
  const terms: ServiceTerm[] = [];
  const text: string[] = [];
  let error: string | null = null;
  for (const word of filter.trim().split(/\s+/).filter(Boolean)) {
    if (word.toLowerCase() === 'problems') {
      terms.push((r, c) => c.problemServices().has(r.key));
      continue;
    }
    const m = TERM.exec(word);
    if (!m) {
      text.push(word);
      continue;
    }
    const name = m[1]!.toLowerCase();
    const value = m[2]!.toLowerCase();
    // A term being typed ("type:") keeps every row until it has a value.
    if (value === '') continue;
    const parsed = termOf(name, value);
    if (typeof parsed === 'string') error ??= parsed;
    else terms.push(parsed);
  }
  return { terms, text: text.join(' '), error };
}

function termOf(name: string, value: string): ServiceTerm | string {
  switch (name) {
    case 'ep':
    case 'endpoints': {
      const test = countTest(value);
      return test ? (r) => test(r.endpointsTotal) : `${name}: expects a count (ep:0, ep:>2, ep:<3), got "${value}"`;
    }
    case 'local': {
      const test = countTest(value);
      // Only where the dump tells which endpoints are local (a KUBE-SVL/XLB chain): never a guess.
      return test ? (r) => r.endpointsLocal !== null && test(r.endpointsLocal) : `local: expects a count (local:0), got "${value}"`;
    }
    case 'type': {
      // A prefix is enough while typing (type:n), as long as it names one type.
      const types = new Set(TYPES.filter(([word]) => word.startsWith(value)).map(([, t]) => t));
      if (types.size === 0) return `type: expects clusterip, nodeport, loadbalancer or external, got "${value}"`;
      return (r) => types.has(r.type);
    }
    case 'policy': {
      if ('local'.startsWith(value)) return (r) => r.service.externalTrafficPolicy === 'Local' || r.service.internalTrafficPolicy === 'Local';
      if ('cluster'.startsWith(value)) return (r) => r.service.externalTrafficPolicy === 'Cluster';
      return `policy: expects local or cluster, got "${value}"`;
    }
    default:
      return (r) => r.service.namespace.toLowerCase() === value;
  }
}

/** "0", "3", ">2", "<3", ">=1", "<=1" as a test of a count; null when it is none of those. */
function countTest(value: string): ((n: number) => boolean) | null {
  const m = /^(>=|<=|>|<|=)?(\d+)$/.exec(value);
  if (!m) return null;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>': return (x) => x > n;
    case '<': return (x) => x < n;
    case '>=': return (x) => x >= n;
    case '<=': return (x) => x <= n;
    default: return (x) => x === n;
  }
}
