/**
 * kube-proxy's rule comments, read back into service ids. The comments are hints only: the
 * model follows jumps, and uses these to name what it found (confirmed by hashing when in doubt).
 */
import type { EntryKind } from './types.js';

/** Comments on KUBE-SERVICES rules: "ns/svc:port cluster IP" and its siblings. */
const ENTRY_SUFFIXES: readonly (readonly [string, EntryKind])[] = [
  [' cluster IP', 'clusterIP'],
  [' external IP', 'externalIP'],
  [' loadbalancer IP', 'loadBalancer'],
];

/** "<id> has no endpoints" and the other comments that end after the id. */
const ID_SUFFIXES = [
  ' cluster IP',
  ' external IP',
  ' loadbalancer IP',
  ' has no endpoints',
  ' has no local endpoints',
  ' health check node port',
];

/** Comments that name the service after a fixed prefix, followed by more words. */
const ID_PREFIXES = [
  'masquerade traffic for ',
  'pod traffic for ',
  'masquerade LOCAL traffic for ',
  'route LOCAL traffic for ',
  'other traffic to ',
];

/** The kind of address a KUBE-SERVICES comment announces, with the service id. */
export function entryComment(comment: string): { id: string; kind: EntryKind } | null {
  for (let i = 0; i < ENTRY_SUFFIXES.length; i++) {
    const suffix = ENTRY_SUFFIXES[i]![0];
    const kind = ENTRY_SUFFIXES[i]![1];
    if (comment.endsWith(suffix)) {
      const id = comment.slice(0, -suffix.length);
      return looksLikeServiceId(id) ? { id, kind } : null;
    }
  }
  return null;
}

/** The service id ("ns/name:port" or "ns/name") a kube-proxy comment talks about, or null. */
export function serviceIdFromComment(comment: string): string | null {
  let id: string | null = null;
  for (const suffix of ID_SUFFIXES) {
    if (comment.endsWith(suffix)) {
      id = comment.slice(0, -suffix.length);
      break;
    }
  }
  if (id === null) {
    const notAccepted = comment.indexOf(' traffic not accepted by ');
    const arrow = comment.indexOf(' -> ');
    if (notAccepted > 0) id = comment.slice(0, notAccepted);
    else if (arrow > 0) id = comment.slice(0, arrow);
  }
  if (id === null) {
    for (const prefix of ID_PREFIXES) {
      if (comment.startsWith(prefix)) {
        id = firstWord(comment.slice(prefix.length));
        break;
      }
    }
  }
  if (id === null && comment.startsWith('Balancing rule ')) {
    const at = comment.indexOf(' for ');
    if (at > 0) id = comment.slice(at + 5);
  }
  if (id === null) id = comment;
  return looksLikeServiceId(id) ? id : null;
}

/** The endpoint named by "ns/svc:port -> 10.0.0.1:80", or null. */
export function endpointFromComment(comment: string): string | null {
  const arrow = comment.indexOf(' -> ');
  if (arrow < 0) return null;
  const ep = comment.slice(arrow + 4);
  return ep !== '' && ep.indexOf(' ') < 0 ? ep : null;
}

/** "ns/name" or "ns/name:port" (kube-proxy before 1.9 wrote "ns/name:" for unnamed ports). */
export function looksLikeServiceId(s: string): boolean {
  if (s.indexOf(' ') >= 0) return false;
  const slash = s.indexOf('/');
  if (slash <= 0 || slash === s.length - 1 || s.indexOf('/', slash + 1) >= 0) return false;
  const colon = s.indexOf(':', slash);
  if (colon === slash + 1) return false;
  return colon < 0 || s.indexOf(':', colon + 1) < 0;
}

/** Split an id into its parts; the port name is null for single-port services. */
export function splitServiceId(id: string): { namespace: string; name: string; portName: string | null } {
  const slash = id.indexOf('/');
  if (slash < 0) return { namespace: '', name: id, portName: null };
  const colon = id.indexOf(':', slash);
  const namespace = id.slice(0, slash);
  if (colon < 0) return { namespace, name: id.slice(slash + 1), portName: null };
  const portName = id.slice(colon + 1);
  return { namespace, name: id.slice(slash + 1, colon), portName: portName === '' ? null : portName };
}

function firstWord(s: string): string {
  const sp = s.indexOf(' ');
  return sp < 0 ? s : s.slice(0, sp);
}
