/**
 * A small cluster seen from several nodes, for the `nodes` tests: every node's kube-proxy rules
 * come from src/gen, one node stale (an extra endpoint on web), one lacking the db service.
 */
import { generateKubeProxyNftables, generateKubeProxyRules, type ClusterSpec } from '../../src/gen/kubeproxy.js';
import { onePortServiceSpec, type OnePortService } from './service-spec.js';

export const WEB: OnePortService = { id: 'shop/web:http', protocol: 'tcp', clusterIP: '10.96.0.10', port: 80, endpoints: ['10.244.1.5:8080', '10.244.2.6:8080'] };
export const DB: OnePortService = { id: 'shop/db', protocol: 'tcp', clusterIP: '10.96.0.20', port: 5432, endpoints: ['10.244.1.7:5432'] };
export const DNS: OnePortService = { id: 'kube-system/kube-dns:dns', protocol: 'udp', clusterIP: '10.96.0.53', port: 53, nodePort: 30053, endpoints: ['10.244.3.2:53'] };
/** The endpoint only the stale node still has. */
export const STALE_ENDPOINT = '10.244.9.9:8080';

export type NodeKind = 'good' | 'stale' | 'lacking';

export function nodeServices(kind: NodeKind): OnePortService[] {
  switch (kind) {
    case 'good':
      return [WEB, DB, DNS];
    case 'stale':
      return [{ ...WEB, endpoints: [...WEB.endpoints, STALE_ENDPOINT] }, DB, DNS];
    case 'lacking':
      return [WEB, DNS];
  }
}

export function nodeClusterSpec(kind: NodeKind, nodeIP = '192.168.50.2'): ClusterSpec {
  return { nodeIPs: [nodeIP], clusterCIDR: '10.244.0.0/16', services: nodeServices(kind).map(onePortServiceSpec) };
}

/** iptables-save -c form, zero counters. */
export function nodeIptablesDump(kind: NodeKind): string {
  return generateKubeProxyRules(nodeClusterSpec(kind), { counters: 'zero' });
}

/** kube-proxy's nftables ruleset in nft -f form. */
export function nodeNftablesRuleset(kind: NodeKind): string {
  return generateKubeProxyNftables(nodeClusterSpec(kind));
}
