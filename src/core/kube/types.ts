/** The kube-proxy view of a Ruleset: one ServicePort per (service, port), as `services --json` lists them. */
import type { Family, Protocol, Rule } from '../parse/types.js';
import type { NftElement, NftRule, NftSet } from '../nft/types.js';

export type { Protocol } from '../parse/types.js';
export type TrafficPolicy = 'Cluster' | 'Local';

/** kube-proxy's per-service chains, by role (servicePortChainName, externalTrafficChain, ...). */
export interface ServiceChains {
  svc?: string;
  ext?: string;
  svl?: string;
  fw?: string;
  /** Older layouts' KUBE-XLB-… (externalTrafficPolicy Local before KUBE-EXT/KUBE-SVL). */
  xlb?: string;
}

export type EndpointProblem = 'empty-endpoint-chain' | 'missing-endpoint-chain';

export interface Endpoint {
  /**
   * "ip:port", "[v6]:port" for IPv6: the DNAT --to-destination. Without a DNAT rule (see
   * `problem`): what the SVC rule's comment "ns/svc:p -> ip:port" names, else null (never a guess).
   */
  readonly address: string | null;
  /** KUBE-SEP-… */
  readonly chain: string;
  /**
   * What is wrong with the endpoint's chain: declared without a DNAT rule (a cut paste, a broken
   * sync; the packet leaves it undNATed), or not in the dump at all; null when it DNATs.
   */
  readonly problem: EndpointProblem | null;
  /**
   * Chance that a new connection through the service's SVC chain picks this endpoint (the product
   * of the statistic splits); for an endpoint only the SVL/XLB chain reaches, the chance through that chain.
   */
  readonly probability: number;
  /**
   * Reachable through SVL/XLB (a local endpoint); false for all when a Local policy has no such
   * chain (no local endpoints); null when the dump does not tell.
   */
  readonly local: boolean | null;
  /** The DNAT rule's counters, null when the dump has no counters. */
  readonly packets: number | null;
  readonly bytes: number | null;
  /** The DNAT rule itself, for views that open it (null in nftables mode: see nftDnatRule). */
  readonly dnatRule: Rule | null;
  /** nftables mode: the endpoint chain's `dnat to` rule. */
  readonly nftDnatRule?: NftRule | null;
}

/** nftables mode: a map element that names a service (service-ips, service-nodeports, no-endpoint-*, firewall-ips). */
export interface NftElementRef {
  readonly set: NftSet;
  readonly element: NftElement;
}

/** nftables mode: a client pinned to an endpoint by session affinity (an element of its affinity-… set). */
export interface AffinityClient {
  /** The endpoint's address ("ip:port"). */
  readonly endpoint: string;
  readonly client: string;
  /** Seconds left as the dump shows them, null when it shows none. */
  readonly expiresInSeconds: number | null;
}

export type EntryKind = 'clusterIP' | 'nodePort' | 'externalIP' | 'loadBalancer';

/** A rule through which traffic enters this service: KUBE-SERVICES / KUBE-NODEPORTS / filter rules. */
export interface EntryPoint {
  readonly kind: EntryKind;
  /** The address matched (-d), null for node ports (any local address). */
  readonly address: string | null;
  readonly port: number;
  readonly protocol: Protocol;
  /** The iptables rule; null in nftables mode, where the entry is a map element. */
  readonly rule: Rule | null;
  /** nftables mode: the service-ips / service-nodeports / firewall-ips element. */
  readonly element?: NftElementRef;
}

export interface ServicePort {
  /** kube-proxy's servicePortName: "namespace/name:port" or "namespace/name". */
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly portName: string | null;
  readonly protocol: Protocol;
  readonly family: Family;
  readonly clusterIP: string | null;
  readonly port: number | null;
  readonly nodePort: number | null;
  /** healthCheckNodePort (externalTrafficPolicy Local load balancers): filter KUBE-NODEPORTS ACCEPT rule. */
  readonly healthCheckNodePort?: number | null;
  /**
   * For a service without endpoints this also holds its load-balancer IPs: both are refused by the
   * same filter KUBE-EXTERNAL-SERVICES REJECT rules, which do not tell them apart.
   */
  readonly externalIPs: readonly string[];
  readonly loadBalancerIPs: readonly string[];
  /** loadBalancerSourceRanges as the KUBE-FW chain allows them (-s CIDRs). */
  readonly loadBalancerSourceRanges: readonly string[];
  readonly externalTrafficPolicy: TrafficPolicy | null;
  /** Local when cluster-IP traffic goes to KUBE-SVL (internalTrafficPolicy: Local). */
  readonly internalTrafficPolicy: TrafficPolicy;
  readonly sessionAffinitySeconds: number | null;
  readonly chains: ServiceChains;
  /** Every endpoint in SVC order (then SVL-only ones), [] when the service has none. */
  readonly endpoints: readonly Endpoint[];
  /** Sum of the endpoints' DNAT counters; null without counters. */
  readonly packets: number | null;
  readonly bytes: number | null;
  readonly entryPoints: readonly EntryPoint[];
  /** Rules that reject or drop this service's traffic ("has no endpoints", "has no local endpoints", firewall). */
  readonly blockingRules: readonly Rule[];
  /** Which kube-proxy mode wrote the service's rules; absent means iptables. */
  readonly mode?: 'iptables' | 'nftables';
  /** nftables mode: the no-endpoint-services / no-endpoint-nodeports elements that drop or reject it. */
  readonly blockingElements?: readonly NftElementRef[];
  /** nftables mode: the clients pinned by session affinity, per endpoint. */
  readonly affinityClients?: readonly AffinityClient[];
}

export interface KubeModel {
  readonly services: ServicePort[];
  readonly byId: ReadonlyMap<string, ServicePort>;
  /** Which service owns a KUBE-SVC/SVL/EXT/FW/XLB/SEP chain (per family: key `${family}/${chain}`). */
  readonly chainOwner: ReadonlyMap<string, ServicePort>;
  /** Layout recognised: "current" (EXT/SVL), "legacy" (XLB/KUBE-MARK-DROP), or "none" (no kube-proxy rules). */
  readonly layout: 'current' | 'legacy' | 'none';
}
