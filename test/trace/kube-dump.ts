/**
 * kube-proxy-shaped rules for the tracer's tests: services with N endpoints, written by the one
 * kube-proxy generator (src/gen/kubeproxy.ts), in either form kube-proxy's rules are seen in.
 */
import { endpointChainName, serviceChainName } from '../../src/core/kube/index.js';
import { generateKubeProxyRules, type ServiceSpec as GenServiceSpec } from '../../src/gen/kubeproxy.js';
import { iptablesProbability, kubeProxyProbability } from '../../src/gen/probability.js';

export interface ServiceSpec {
  readonly ns: string;
  readonly name: string;
  readonly clusterIP: string;
  readonly port: number;
  readonly endpoints: readonly string[]; // "ip:port"
  /** Session affinity timeout (ClientIP), when set. */
  readonly affinitySeconds?: number;
}

/** 'restore': what kube-proxy feeds iptables-restore (%0.10f); 'save': what iptables-save prints (%.11f of the kernel value). */
export type Form = 'restore' | 'save';

/** The probability kube-proxy writes for 1/n, in that form. */
export function probabilityText(n: number, form: Form): string {
  return form === 'restore' ? kubeProxyProbability(n) : iptablesProbability(kubeProxyProbability(n));
}

export function svcChain(s: ServiceSpec): string {
  return serviceChainName('KUBE-SVC-', `${s.ns}/${s.name}`, 'tcp');
}

export function sepChain(s: ServiceSpec, ep: string): string {
  return endpointChainName(`${s.ns}/${s.name}`, 'tcp', ep);
}

function genService(s: ServiceSpec): GenServiceSpec {
  return {
    namespace: s.ns,
    name: s.name,
    clusterIP: s.clusterIP,
    ports: [{ port: s.port, protocol: 'tcp' }],
    sessionAffinitySeconds: s.affinitySeconds ?? null,
    endpoints: s.endpoints.map((ep) => {
      const colon = ep.lastIndexOf(':');
      return { ip: ep.slice(0, colon), port: Number(ep.slice(colon + 1)) };
    }),
  };
}

/** The rules (nat with the built-in jumps, and filter) for these services, pod network 10.244.0.0/16. */
export function natTable(services: readonly ServiceSpec[], form: Form = 'save'): string {
  return generateKubeProxyRules(
    { nodeIPs: ['172.16.1.10'], clusterCIDR: '10.244.0.0/16', services: services.map(genService) },
    { form, counters: form === 'save' ? 'zero' : 'none' },
  );
}
