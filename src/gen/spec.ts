/** What the generator takes: the Services and endpoints one node's kube-proxy sees, and the node. */
import type { Protocol } from '../core/index.js';
import type { IpFamily } from './addr.js';

export type { IpFamily } from './addr.js';
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';
export type { Protocol } from '../core/index.js';
export type TrafficPolicy = 'Cluster' | 'Local';

export interface ServicePortSpec {
  /** The port's name; '' or absent for an unnamed port (servicePortName is then "ns/name"). */
  readonly name?: string;
  readonly port: number;
  /** Default tcp. */
  readonly protocol?: Protocol;
  /** Used for NodePort and LoadBalancer services only. */
  readonly nodePort?: number;
  /** The endpoints' port when an endpoint does not give one (default: `port`). */
  readonly targetPort?: number;
}

export interface EndpointSpec {
  readonly ip: string;
  /** The endpoint's port for every service port (else `ports[portName]`, else the targetPort). */
  readonly port?: number;
  /** Per service-port name ('' for the unnamed port). */
  readonly ports?: Readonly<Record<string, number>>;
  /** The endpoint runs on this node. */
  readonly local?: boolean;
}

export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  /** Default ClusterIP. */
  readonly type?: ServiceType;
  readonly clusterIP: string;
  readonly ports: readonly ServicePortSpec[];
  readonly externalIPs?: readonly string[];
  /** status.loadBalancer.ingress IPs (LoadBalancer services only). */
  readonly loadBalancerIPs?: readonly string[];
  readonly loadBalancerSourceRanges?: readonly string[];
  /** Default Cluster; only meaningful for NodePort and LoadBalancer services. */
  readonly externalTrafficPolicy?: TrafficPolicy;
  /** Default Cluster. The legacy layout ignores it (treated as Cluster). */
  readonly internalTrafficPolicy?: TrafficPolicy;
  /** sessionAffinity ClientIP with this timeout; null/absent for None. */
  readonly sessionAffinitySeconds?: number | null;
  /** LoadBalancer + externalTrafficPolicy Local: the health check node port (filter KUBE-NODEPORTS ACCEPT). */
  readonly healthCheckNodePort?: number;
  /** Ready endpoints, in the order kube-proxy should list them. */
  readonly endpoints: readonly EndpointSpec[];
}

export interface ClusterSpec {
  /** Family of every address in the spec; one kube-proxy (iptables or ip6tables) per family. Default ipv4. */
  readonly ipFamily?: IpFamily;
  /** The node's own addresses (the first is kube-proxy's nodeIP, used for loadBalancerSourceRanges). */
  readonly nodeIPs: readonly string[];
  /** This node's pod CIDR (where its local endpoints live); informational for the generator. */
  readonly podCIDR?: string;
  /**
   * kube-proxy's --cluster-cidr (the local-traffic detector): adds `! -s CIDR -j KUBE-MARK-MASQ`
   * to service chains and the "pod traffic" short-circuit. Null or absent: no detector.
   */
  readonly clusterCIDR?: string | null;
  readonly masqueradeAll?: boolean;
  /**
   * kube-proxy's service CIDRs (--service-cluster-ip-range or the ServiceCIDR objects). The
   * nftables proxier drops traffic to addresses in them that no Service holds; the iptables
   * proxier does not use them.
   */
  readonly serviceCIDRs?: readonly string[];
  readonly services: readonly ServiceSpec[];
}
