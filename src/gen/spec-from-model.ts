/**
 * The cluster an iptables-mode dump shows, as a ClusterSpec: what the nftables fixtures are
 * generated from, so that each seed node exists in both kube-proxy modes with the same services,
 * endpoints and policies. Only what the dump tells is carried over; the node facts (addresses,
 * pod and service CIDRs) come from fixtures/nodes.json.
 */
import { buildKubeModel, parseIptablesSave, splitHostPort, type ServicePort } from '../core/index.js';
import { generateKubeProxyNftables } from './nftables.js';
import type { ClusterSpec, EndpointSpec, ServicePortSpec, ServiceSpec } from './spec.js';

/** A fixture's node as fixtures/nodes.json describes it. */
export interface FixtureNode {
  readonly nodeIPs: readonly string[];
  readonly podCIDRs?: readonly string[];
  readonly serviceCIDRs?: readonly string[];
}

/**
 * kube-proxy's nftables transaction for the node an iptables-save dump shows: per family, the
 * dump's services as a ClusterSpec, generated as kube-proxy's nftables mode would write them.
 */
export function nftablesTwin(saveText: string, node: FixtureNode): string {
  const model = buildKubeModel(parseIptablesSave(saveText));
  const parts: string[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const services = model.services.filter((s) => s.family === family);
    if (services.length === 0) continue;
    const ofFamily = (list: readonly string[] | undefined) => (list ?? []).filter((a) => a.includes(':') === (family === 'ipv6'));
    const podCIDR = ofFamily(node.podCIDRs)[0];
    const spec = specFromModel(services, {
      nodeIPs: ofFamily(node.nodeIPs),
      ...(podCIDR ? { podCIDR } : {}),
      serviceCIDRs: ofFamily(node.serviceCIDRs),
      clusterCIDR: clusterCIDRIn(saveText, family),
    });
    // A real node's mark, as kube-proxy formats it (%#08x), not its unit tests' 0x4000.
    parts.push(generateKubeProxyNftables(spec, { masqueradeMark: '0x004000' }));
  }
  return parts.join('\n');
}

/** kube-proxy's --cluster-cidr as a dump shows it: the `! -s CIDR` of a KUBE-SVC masquerade rule; null without (no detector). */
function clusterCIDRIn(saveText: string, family: 'ipv4' | 'ipv6'): string | null {
  for (const m of saveText.matchAll(/-A KUBE-SVC-\S+ ! -s (\S+) .*-j KUBE-MARK-MASQ/g)) {
    if (m[1]!.includes(':') === (family === 'ipv6')) return m[1]!;
  }
  return null;
}

export interface NodeFacts {
  readonly nodeIPs: readonly string[];
  readonly podCIDR?: string;
  readonly serviceCIDRs?: readonly string[];
  /** kube-proxy's --cluster-cidr, null when it ran without one (no local-traffic detector). */
  readonly clusterCIDR?: string | null;
}

/** The services of one family (a ClusterSpec is one family's: kube-proxy writes one table per family). */
export function specFromModel(services: readonly ServicePort[], node: NodeFacts): ClusterSpec {
  const byService = new Map<string, ServicePort[]>();
  for (const s of services) {
    const key = `${s.namespace}/${s.name}`;
    byService.set(key, [...(byService.get(key) ?? []), s]);
  }
  const family = services[0]?.family ?? 'ipv4';
  return {
    ipFamily: family,
    nodeIPs: node.nodeIPs,
    ...(node.podCIDR ? { podCIDR: node.podCIDR } : {}),
    clusterCIDR: node.clusterCIDR ?? null,
    ...(node.serviceCIDRs ? { serviceCIDRs: node.serviceCIDRs } : {}),
    services: [...byService.values()].map(serviceSpec),
  };
}

function serviceSpec(ports: readonly ServicePort[]): ServiceSpec {
  const first = ports[0]!;
  if (first.clusterIP === null) throw new Error(`${first.id}: no cluster IP in the dump`);
  const endpoints = new Map<string, { local: boolean; ports: Record<string, number> }>();
  for (const p of ports) {
    for (const e of p.endpoints) {
      const hp = e.address === null ? null : splitHostPort(e.address);
      if (hp === null || hp.port === null) throw new Error(`${p.id}: endpoint ${e.chain} has no address and port`);
      const known = endpoints.get(hp.host) ?? { local: false, ports: {} };
      known.ports[p.portName ?? ''] = Number(hp.port);
      known.local ||= e.local === true;
      endpoints.set(hp.host, known);
    }
  }
  const nodePort = ports.some((p) => p.nodePort !== null);
  const type = first.loadBalancerIPs.length > 0 ? 'LoadBalancer' : nodePort ? 'NodePort' : 'ClusterIP';
  const portSpecs: ServicePortSpec[] = ports.map((p) => ({
    name: p.portName ?? '',
    port: p.port ?? 0,
    protocol: p.protocol,
    ...(p.nodePort !== null ? { nodePort: p.nodePort } : {}),
  }));
  const endpointSpecs: EndpointSpec[] = [...endpoints].map(([ip, e]) => ({ ip, ports: e.ports, local: e.local }));
  return {
    namespace: first.namespace,
    name: first.name,
    type,
    clusterIP: first.clusterIP,
    ports: portSpecs,
    ...(first.externalIPs.length > 0 ? { externalIPs: first.externalIPs } : {}),
    ...(first.loadBalancerIPs.length > 0 ? { loadBalancerIPs: first.loadBalancerIPs } : {}),
    ...(first.loadBalancerSourceRanges.length > 0 ? { loadBalancerSourceRanges: first.loadBalancerSourceRanges } : {}),
    ...(first.externalTrafficPolicy ? { externalTrafficPolicy: first.externalTrafficPolicy } : {}),
    internalTrafficPolicy: first.internalTrafficPolicy,
    sessionAffinitySeconds: first.sessionAffinitySeconds,
    endpoints: endpointSpecs,
  };
}
