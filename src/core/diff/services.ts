/**
 * Services of two dumps side by side. A service port is known by its id and family (dual-stack
 * services repeat the id), never by its chains: chain names hash the endpoint too, and the
 * nftables mode names them otherwise, so an iptables dump and an nftables dump of one cluster
 * compare equal. Endpoints are compared by address.
 */
import type { Endpoint, KubeModel, ServicePort } from '../kube/types.js';
import type { FieldChange, ServiceChange, ServicesDiff } from './types.js';

/** The fields compared, by their `services --json` names. */
const FIELDS: readonly (readonly [string, (s: ServicePort) => unknown])[] = [
  ['clusterIP', (s) => s.clusterIP],
  ['port', (s) => s.port],
  ['protocol', (s) => s.protocol],
  ['nodePort', (s) => s.nodePort],
  ['externalIPs', (s) => sorted(s.externalIPs)],
  ['loadBalancerIPs', (s) => sorted(s.loadBalancerIPs)],
  ['loadBalancerSourceRanges', (s) => sorted(s.loadBalancerSourceRanges)],
  ['externalTrafficPolicy', (s) => s.externalTrafficPolicy],
  ['internalTrafficPolicy', (s) => s.internalTrafficPolicy],
  ['sessionAffinitySeconds', (s) => s.sessionAffinitySeconds],
  // Which endpoints this node serves itself (policy Local): node against node, the difference
  // that decides whether a node port answers here. null where the dump does not tell.
  ['localEndpoints', localEndpoints],
  // An endpoint chain without its DNAT, or missing (a partial sync): the address alone looks fine.
  ['endpointProblems', (s) => sorted(s.endpoints.filter((e) => e.problem !== null).map((e) => `${e.address ?? `(${e.chain})`} ${e.problem}`))],
];

export const COMPARED_SERVICE_FIELDS: readonly string[] = FIELDS.map(([name]) => name);

/** The key a service port is matched by, and the id the diff names it with. */
export function serviceDiffId(s: Pick<ServicePort, 'id' | 'family'>): string {
  return s.family === 'ipv6' ? s.id + IPV6_SUFFIX : s.id;
}

/** serviceDiffId read back: the service port's own id and family. */
export function parseServiceDiffId(diffId: string): { readonly family: 'ipv4' | 'ipv6'; readonly id: string } {
  return diffId.endsWith(IPV6_SUFFIX) ? { family: 'ipv6', id: diffId.slice(0, -IPV6_SUFFIX.length) } : { family: 'ipv4', id: diffId };
}

const IPV6_SUFFIX = ' (ipv6)';

export function diffServices(a: KubeModel, b: KubeModel): ServicesDiff {
  const before = byDiffId(a.services);
  const after = byDiffId(b.services);
  const added: string[] = [];
  const removed: string[] = [];
  const changed: ServiceChange[] = [];
  for (const [id, old] of before) {
    const now = after.get(id);
    if (now === undefined) removed.push(id);
    else {
      const change = diffService(id, old, now);
      if (change !== null) changed.push(change);
    }
  }
  for (const id of after.keys()) if (!before.has(id)) added.push(id);
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)) };
}

/** The first of an id wins, as the model's own byId does. */
function byDiffId(services: readonly ServicePort[]): Map<string, ServicePort> {
  const map = new Map<string, ServicePort>();
  for (const s of services) {
    const id = serviceDiffId(s);
    if (!map.has(id)) map.set(id, s);
  }
  return map;
}

function diffService(id: string, a: ServicePort, b: ServicePort): ServiceChange | null {
  const fields: Record<string, FieldChange> = {};
  for (const [name, read] of FIELDS) {
    const old = read(a);
    const now = read(b);
    if (JSON.stringify(old) !== JSON.stringify(now)) fields[name] = [old, now];
  }
  const before = endpointKeys(a.endpoints);
  const after = endpointKeys(b.endpoints);
  const endpointsAdded = [...after].filter((e) => !before.has(e)).sort();
  const endpointsRemoved = [...before].filter((e) => !after.has(e)).sort();
  if (endpointsAdded.length === 0 && endpointsRemoved.length === 0 && Object.keys(fields).length === 0) return null;
  return { id, endpointsAdded, endpointsRemoved, fields };
}

/** An endpoint without a DNAT and without an address in a comment is named by its chain (the dump shows no address). */
function endpointKeys(endpoints: readonly Endpoint[]): Set<string> {
  return new Set(endpoints.map((e) => e.address ?? `(${e.chain})`));
}

function localEndpoints(s: ServicePort): string[] | null {
  if (s.endpoints.every((e) => e.local === null)) return null;
  return sorted([...endpointKeys(s.endpoints.filter((e) => e.local === true))]);
}

function sorted(list: readonly string[]): string[] {
  return [...list].sort();
}
