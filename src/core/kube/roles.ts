/** kube-proxy's per-service chains (KUBE-SVC-, KUBE-SVL-, KUBE-EXT-, KUBE-FW-, KUBE-XLB-): their roles, by name. */
import type { ServiceChains } from './types.js';

export type Role = keyof ServiceChains;

const ROLE_PREFIXES: readonly string[] = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-XLB-'];
const ROLES: readonly Role[] = ['svc', 'svl', 'ext', 'fw', 'xlb'];

/** A kube-proxy per-service chain's role and hash ("KUBE-SVC-ABC" -> svc, "ABC"), or null. */
export function serviceChainRole(name: string): { role: Role; hash: string } | null {
  const i = rolePrefix(name);
  return i < 0 ? null : { role: ROLES[i]!, hash: name.slice(ROLE_PREFIXES[i]!.length) };
}

/** The roles of `roleOrder`, in the order found. */
export function rolesInOrder(order: number): Role[] {
  const out: Role[] = [];
  for (let o = order; o > 0; o = Math.floor(o / 8)) out.unshift(ROLES[(o % 8) - 1]!);
  return out;
}

export function roleNumber(role: Role): number {
  return ROLES.indexOf(role) + 1;
}

/** The chain name prefix of a role ("KUBE-SVC-" for svc). */
export function chainPrefix(role: Role): string {
  return ROLE_PREFIXES[ROLES.indexOf(role)]!;
}

/** serviceChainRole without the hash (no allocation): the role, or null. */
export function serviceChainRoleOf(name: string): Role | null {
  const i = rolePrefix(name);
  return i < 0 ? null : ROLES[i]!;
}

// Plain loops over arrays: this runs for every kube chain and jump, much of it before the
// optimizing compiler has caught up, where for-of and destructuring allocate.
function rolePrefix(name: string): number {
  if (!name.startsWith('KUBE-')) return -1;
  for (let i = 0; i < ROLE_PREFIXES.length; i++) if (name.startsWith(ROLE_PREFIXES[i]!)) return i;
  return -1;
}
