/**
 * Services for the model's large-cluster tests, written by the one kube-proxy generator
 * (src/gen/kubeproxy.ts) in `iptables-save -c` form, chain names hashed as kube-proxy hashes them.
 */
import { endpointChainName } from '../../src/core/kube/index.js';
import { generateKubeProxyRules, type ClusterSpec, type CounterRef } from '../../src/gen/kubeproxy.js';
import { onePortServiceSpec } from '../helpers/service-spec.js';

export interface GenService {
  id: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  clusterIP: string;
  port: number;
  nodePort?: number;
  endpoints: string[];
}

export interface GenOptions {
  /** Above 1000 endpoints kube-proxy drops these comments. */
  largeCluster?: boolean;
  /** Counters for endpoint i of service s: packets = s + i + 1. */
  counters?: boolean;
}

/** n services: every 10th UDP, every 3rd with a node port, `perService` endpoints each. */
export function makeServices(n: number, perService: number): GenService[] {
  const out: GenService[] = [];
  for (let s = 0; s < n; s++) {
    const endpoints: string[] = [];
    // Unique for s < 32768: 10.(128 + s/256).(s%256).(e+1)
    for (let e = 0; e < perService; e++) endpoints.push(`10.${128 + ((s >> 8) & 127)}.${s & 255}.${e + 1}:8080`);
    out.push({
      id: `ns${s % 37}/svc${s}:p${s % 5}`,
      protocol: s % 10 === 0 ? 'udp' : 'tcp',
      clusterIP: `10.96.${(s >> 8) & 255}.${s & 255}`,
      port: 80 + (s % 7),
      ...(s % 3 === 0 ? { nodePort: 30000 + (s % 2768) } : {}),
      endpoints,
    });
  }
  return out;
}

/** The generator's spec for these services: one port each, a NodePort service where it has a node port. */
function clusterSpec(services: readonly GenService[]): ClusterSpec {
  return {
    nodeIPs: ['172.16.1.10'],
    clusterCIDR: '10.244.0.0/16',
    services: services.map(onePortServiceSpec),
  };
}

export function generateDump(services: GenService[], opts: GenOptions = {}): string {
  // Endpoint i of service s counts s + i + 1 packets of 60 bytes, on every rule of its KUBE-SEP chain.
  const sepPackets = new Map<string, number>();
  services.forEach((svc, s) => svc.endpoints.forEach((ep, i) => sepPackets.set(endpointChainName(svc.id, svc.protocol, ep), s + i + 1)));
  const counters = (ref: CounterRef): readonly [number, number] => {
    const packets = ref.rule === null ? 0 : (sepPackets.get(ref.chain) ?? 0);
    return [packets, 60 * packets];
  };
  return generateKubeProxyRules(clusterSpec(services), {
    counters: opts.counters ? counters : 'none',
    largeClusterThreshold: opts.largeCluster ? 0 : Number.MAX_SAFE_INTEGER,
  });
}
