/**
 * What a Service spec means for each of its ports, as kube-proxy's ServicePortInfo sees it, in
 * either mode: the service port name, node port and load-balancer facts by type, whether the
 * external policy applies, and each endpoint's port. Both generators (iptables and nftables)
 * build their chain names on top of these.
 */
import type { Protocol, ServiceSpec } from './spec.js';

export interface PortFacts {
  readonly portName: string;
  /** svcPortNameString: "ns/name:port" or "ns/name". */
  readonly spn: string;
  readonly proto: Protocol;
  readonly clusterIP: string;
  readonly port: number;
  readonly nodePort: number | null;
  readonly externalIPs: readonly string[];
  readonly lbIPs: readonly string[];
  readonly sourceRanges: readonly string[];
  readonly externallyAccessible: boolean;
  readonly eTPLocal: boolean;
  readonly iTPLocal: boolean;
  readonly affinity: number | null;
  readonly endpoints: ReadonlyArray<{ readonly ip: string; readonly port: number; readonly local: boolean }>;
}

export function servicePortFacts(s: ServiceSpec): PortFacts[] {
  const type = s.type ?? 'ClusterIP';
  const external = type === 'NodePort' || type === 'LoadBalancer';
  return s.ports.map((p) => {
    const portName = p.name ?? '';
    const nodePort = external && p.nodePort ? p.nodePort : null;
    const lbIPs = type === 'LoadBalancer' ? (s.loadBalancerIPs ?? []) : [];
    const externalIPs = s.externalIPs ?? [];
    const externallyAccessible = nodePort !== null || lbIPs.length > 0 || externalIPs.length > 0;
    return {
      portName,
      spn: portName ? `${s.namespace}/${s.name}:${portName}` : `${s.namespace}/${s.name}`,
      proto: p.protocol ?? 'tcp',
      clusterIP: s.clusterIP,
      port: p.port,
      nodePort,
      externalIPs,
      lbIPs,
      sourceRanges: type === 'LoadBalancer' ? (s.loadBalancerSourceRanges ?? []) : [],
      externallyAccessible,
      eTPLocal: external && externallyAccessible && s.externalTrafficPolicy === 'Local',
      iTPLocal: s.internalTrafficPolicy === 'Local',
      affinity: s.sessionAffinitySeconds ?? null,
      endpoints: s.endpoints.map((e) => ({ ip: e.ip, port: e.ports?.[portName] ?? e.port ?? p.targetPort ?? p.port, local: e.local === true })),
    };
  });
}
