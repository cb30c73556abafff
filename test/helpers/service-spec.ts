/** A one-port service for src/gen's kube-proxy generator, from the id and "ip:port" endpoints tests write. */
import type { Protocol, ServiceSpec } from '../../src/gen/kubeproxy.js';

export interface OnePortService {
  /** "ns/name:port" or "ns/name". */
  readonly id: string;
  readonly protocol: Protocol;
  readonly clusterIP: string;
  readonly port: number;
  /** A NodePort service when set. */
  readonly nodePort?: number;
  /** "ip:port" or "[v6]:port". */
  readonly endpoints: readonly string[];
}

export function onePortServiceSpec(svc: OnePortService): ServiceSpec {
  const [namespace, rest] = svc.id.split('/') as [string, string];
  const [name, portName] = rest.split(':') as [string, string | undefined];
  return {
    namespace,
    name,
    type: svc.nodePort === undefined ? 'ClusterIP' : 'NodePort',
    clusterIP: svc.clusterIP,
    ports: [{ name: portName ?? '', port: svc.port, protocol: svc.protocol, nodePort: svc.nodePort }],
    endpoints: svc.endpoints.map((ep) => {
      const colon = ep.lastIndexOf(':');
      return { ip: ep.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(ep.slice(colon + 1)) };
    }),
  };
}
