/**
 * kube-proxy's proxy.CategorizeEndpoints (every endpoint ready, no topology hints), shared by the
 * iptables and the nftables generators: which endpoints the cluster and local policy chains get,
 * and which are reachable at all.
 */

export interface PolicyFacts {
  /** internalTrafficPolicy Local. */
  readonly iTPLocal: boolean;
  /** externalTrafficPolicy Local. */
  readonly eTPLocal: boolean;
  /** Has a node port, an external IP or a load-balancer IP. */
  readonly externallyAccessible: boolean;
}

export interface Categorized<E> {
  readonly usesClusterEndpoints: boolean;
  readonly usesLocalEndpoints: boolean;
  readonly clusterEps: readonly E[];
  readonly localEps: readonly E[];
  /** Every endpoint some policy chain reaches, cluster ones first; `key` tells one endpoint from another. */
  readonly reachable: readonly E[];
}

export function categorizeEndpoints<E extends { readonly local: boolean }>(p: PolicyFacts, endpoints: readonly E[], key: (e: E) => string): Categorized<E> {
  const usesClusterEndpoints = !p.iTPLocal || p.externallyAccessible;
  const usesLocalEndpoints = p.iTPLocal || p.eTPLocal;
  const clusterEps = usesClusterEndpoints ? endpoints : [];
  const localEps = usesLocalEndpoints ? endpoints.filter((e) => e.local) : [];
  let reachable: readonly E[];
  if (!usesLocalEndpoints) reachable = clusterEps;
  else if (!usesClusterEndpoints) reachable = localEps;
  else {
    const seen = new Set(clusterEps.map(key));
    reachable = [...clusterEps, ...localEps.filter((e) => !seen.has(key(e)))];
  }
  return { usesClusterEndpoints, usesLocalEndpoints, clusterEps, localEps, reachable };
}
