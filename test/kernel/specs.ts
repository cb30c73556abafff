/**
 * Clusters for the kernel tests, in addresses that fit the test topology: the node is
 * 172.16.1.10 (its pods 10.64.2.0/24, local endpoints), other nodes' pods are 10.64.1.0/24 and
 * 10.64.3.0/24 (remote endpoints, hosted in the same pod namespace), cluster IPs 10.32.0.0/16,
 * LoadBalancer IPs 10.33.0.0/24, external IPs 10.34.0.0/24. The client's first address
 * (172.16.1.152) is inside the loadBalancerSourceRanges 172.16.1.0/24, its second
 * (172.16.9.152) is outside.
 */
import type { ClusterSpec, EndpointSpec, ServiceSpec } from '../../src/gen/kubeproxy.js';

export const NODE_IP = '172.16.1.10';
export const NODE_POD_CIDR = '10.64.2.0/24';
export const CLUSTER_CIDR = '10.64.0.0/16';
export const SERVICE_CIDR = '10.32.0.0/16';
export const LB_SOURCE_RANGE = '172.16.1.0/24';

const local = (ip: string, port = 8080): EndpointSpec => ({ ip, port, local: true });
const remote = (ip: string, port = 8080): EndpointSpec => ({ ip, port, local: false });
const eps = (n: number, third: number): EndpointSpec[] =>
  Array.from({ length: n }, (_, i) => (i % 3 === 0 ? local(`10.64.2.${third + i}`) : remote(`10.64.${i % 3 === 1 ? 1 : 3}.${third + i}`)));

/** The test node's cluster (node, pod, cluster and service ranges) with these services. */
const onTestNode = (services: ServiceSpec[]): ClusterSpec => ({
  nodeIPs: [NODE_IP],
  podCIDR: NODE_POD_CIDR,
  clusterCIDR: CLUSTER_CIDR,
  serviceCIDRs: [SERVICE_CIDR],
  services,
});

const svc = (name: string, spec: Omit<ServiceSpec, 'namespace' | 'name'>): ServiceSpec => ({ namespace: 'kc', name, ...spec });

/** 27 services covering every path kube-proxy writes: each policy, with and without (local) endpoints; TCP, UDP and SCTP. */
export function kernelClusterSpec(): ClusterSpec {
  const http = [{ port: 80, targetPort: 8080 }];
  return onTestNode([
    svc('web', { clusterIP: '10.32.0.11', ports: http, endpoints: eps(3, 11) }),
    svc('api', {
      clusterIP: '10.32.0.12',
      ports: [
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'https', port: 443, targetPort: 8443 },
      ],
      endpoints: [
        { ip: '10.64.2.12', ports: { http: 8080, https: 8443 }, local: true },
        { ip: '10.64.1.12', ports: { http: 8080, https: 8443 }, local: false },
      ],
    }),
    svc('single', { clusterIP: '10.32.0.13', ports: [{ port: 80 }], endpoints: [remote('10.64.1.13', 80)] }),
    svc('empty', { clusterIP: '10.32.0.14', ports: http, endpoints: [] }),
    svc('np-cluster', { type: 'NodePort', clusterIP: '10.32.0.21', ports: [{ port: 80, targetPort: 8080, nodePort: 30021 }], endpoints: eps(2, 21) }),
    svc('np-local', {
      type: 'NodePort',
      clusterIP: '10.32.0.22',
      externalTrafficPolicy: 'Local',
      ports: [{ port: 80, targetPort: 8080, nodePort: 30022 }],
      endpoints: [local('10.64.2.22'), remote('10.64.1.22')],
    }),
    svc('np-local-remote', {
      type: 'NodePort',
      clusterIP: '10.32.0.23',
      externalTrafficPolicy: 'Local',
      ports: [{ port: 80, targetPort: 8080, nodePort: 30023 }],
      endpoints: [remote('10.64.1.23'), remote('10.64.3.23')],
    }),
    svc('np-empty', { type: 'NodePort', clusterIP: '10.32.0.24', ports: [{ port: 80, nodePort: 30024 }], endpoints: [] }),
    svc('lb-ranges', {
      type: 'LoadBalancer',
      clusterIP: '10.32.0.31',
      ports: [{ port: 80, targetPort: 8080, nodePort: 30031 }],
      loadBalancerIPs: ['10.33.0.31'],
      loadBalancerSourceRanges: [LB_SOURCE_RANGE],
      endpoints: eps(3, 31),
    }),
    svc('lb-local-ranges', {
      type: 'LoadBalancer',
      clusterIP: '10.32.0.32',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 32032,
      ports: [{ port: 80, targetPort: 8080, nodePort: 30032 }],
      loadBalancerIPs: ['10.33.0.32'],
      loadBalancerSourceRanges: [LB_SOURCE_RANGE],
      endpoints: [local('10.64.2.32'), remote('10.64.1.32'), local('10.64.2.33')],
    }),
    svc('lb-open', {
      type: 'LoadBalancer',
      clusterIP: '10.32.0.33',
      ports: [{ port: 80, targetPort: 8080, nodePort: 30033 }],
      loadBalancerIPs: ['10.33.0.33'],
      endpoints: eps(4, 34),
    }),
    svc('lb-local-remote', {
      type: 'LoadBalancer',
      clusterIP: '10.32.0.34',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 32034,
      ports: [{ port: 80, targetPort: 8080, nodePort: 30034 }],
      loadBalancerIPs: ['10.33.0.34'],
      endpoints: [remote('10.64.1.39'), remote('10.64.3.39')],
    }),
    svc('lb-empty', {
      type: 'LoadBalancer',
      clusterIP: '10.32.0.35',
      ports: [{ port: 80, nodePort: 30035 }],
      loadBalancerIPs: ['10.33.0.35'],
      endpoints: [],
    }),
    svc('lb-pods-only', {
      type: 'LoadBalancer',
      clusterIP: '10.32.0.36',
      ports: [{ port: 80, targetPort: 8080, nodePort: 30036 }],
      loadBalancerIPs: ['10.33.0.36'],
      loadBalancerSourceRanges: [CLUSTER_CIDR],
      endpoints: eps(2, 36),
    }),
    svc('ext-ip', { clusterIP: '10.32.0.41', ports: http, externalIPs: ['10.34.0.41'], endpoints: eps(2, 41) }),
    svc('ext-ip-local', {
      type: 'NodePort',
      clusterIP: '10.32.0.42',
      externalTrafficPolicy: 'Local',
      ports: [{ port: 80, targetPort: 8080, nodePort: 30042 }],
      externalIPs: ['10.34.0.42'],
      endpoints: [local('10.64.2.42'), remote('10.64.1.42')],
    }),
    svc('ext-ip-empty', { clusterIP: '10.32.0.43', ports: http, externalIPs: ['10.34.0.43'], endpoints: [] }),
    svc('sticky', { clusterIP: '10.32.0.51', ports: http, sessionAffinitySeconds: 10800, endpoints: eps(3, 51) }),
    svc('np-sticky', {
      type: 'NodePort',
      clusterIP: '10.32.0.52',
      ports: [{ port: 80, targetPort: 8080, nodePort: 30052 }],
      sessionAffinitySeconds: 600,
      endpoints: eps(2, 55),
    }),
    svc('itp-local', { clusterIP: '10.32.0.61', ports: http, internalTrafficPolicy: 'Local', endpoints: [local('10.64.2.61'), remote('10.64.1.61')] }),
    svc('itp-local-remote', { clusterIP: '10.32.0.62', ports: http, internalTrafficPolicy: 'Local', endpoints: [remote('10.64.1.62')] }),
    svc('dns', {
      clusterIP: '10.32.0.10',
      ports: [
        { name: 'dns', port: 53, protocol: 'udp' },
        { name: 'dns-tcp', port: 53, protocol: 'tcp' },
      ],
      endpoints: [
        { ip: '10.64.2.2', port: 53, local: true },
        { ip: '10.64.1.2', port: 53, local: false },
      ],
    }),
    svc('five', { clusterIP: '10.32.0.71', ports: http, endpoints: eps(5, 71) }),
    svc('seven', { clusterIP: '10.32.0.72', ports: [{ port: 8000, targetPort: 9000 }], endpoints: eps(7, 80).map((e) => ({ ...e, port: 9000 })) }),
    svc('np-multi', {
      type: 'NodePort',
      clusterIP: '10.32.0.73',
      ports: [
        { name: 'http', port: 80, targetPort: 8080, nodePort: 30073 },
        { name: 'https', port: 443, targetPort: 8443, nodePort: 30074 },
      ],
      endpoints: eps(3, 90).map((e) => ({ ip: e.ip, local: e.local, ports: { http: 8080, https: 8443 } })),
    }),
    // SCTP (Diameter's port): a node port to three endpoints, and one without endpoints (REJECT).
    svc('sctp', {
      type: 'NodePort',
      clusterIP: '10.32.0.81',
      ports: [{ port: 3868, protocol: 'sctp', nodePort: 30081 }],
      endpoints: eps(3, 101).map((e) => ({ ...e, port: 3868 })),
    }),
    svc('sctp-empty', { clusterIP: '10.32.0.82', ports: [{ port: 3868, protocol: 'sctp' }], endpoints: [] }),
  ]);
}

/**
 * The same cluster in IPv6, for the other half of a dual-stack node: every IPv4 address a.b.c.d
 * becomes fd00:a:b:c::d (canonical text; decimal digits kept as hex digits, so 10.64.2.11 is fd00:10:64:2::11),
 * and a /8k prefix becomes /(16 + 16k) (10.64.0.0/16 -> fd00:10:64::/48, 10.64.2.0/24 ->
 * fd00:10:64:2::/64): containment is kept, so every CIDR holds what it held in IPv4. The test
 * topology's IPv6 clients fd00:172:16:1::152 and fd00:172:16:9::152 are then inside and outside
 * the loadBalancerSourceRanges, like their IPv4 twins.
 */
export function toIPv6Spec(spec: ClusterSpec): ClusterSpec {
  const addr = (ip: string): string => {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
    if (!m) throw new Error(`not an IPv4 address: ${ip}`);
    // In canonical text (fd00:10:32::11, not fd00:10:32:0::11), as kube-proxy writes addresses.
    return new URL(`http://[fd00:${m[1]}:${m[2]}:${m[3]}::${m[4]}]/`).hostname.slice(1, -1);
  };
  const cidr = (c: string): string => {
    const [ip, len] = c.split('/') as [string, string];
    const bits = Number(len);
    if (bits === 32) return `${addr(ip)}/128`;
    if (bits % 8 !== 0 || bits < 8) throw new Error(`prefix /${bits} has no IPv6 twin here`);
    const octets = ip.split('.').slice(0, bits / 8);
    return `fd00:${octets.join(':')}::/${16 + 2 * bits}`;
  };
  return {
    ...spec,
    ipFamily: 'ipv6',
    nodeIPs: spec.nodeIPs.map(addr),
    ...(spec.podCIDR ? { podCIDR: cidr(spec.podCIDR) } : {}),
    ...(spec.clusterCIDR ? { clusterCIDR: cidr(spec.clusterCIDR) } : {}),
    ...(spec.serviceCIDRs ? { serviceCIDRs: spec.serviceCIDRs.map(cidr) } : {}),
    services: spec.services.map((s) => ({
      ...s,
      clusterIP: addr(s.clusterIP),
      ...(s.externalIPs ? { externalIPs: s.externalIPs.map(addr) } : {}),
      ...(s.loadBalancerIPs ? { loadBalancerIPs: s.loadBalancerIPs.map(addr) } : {}),
      ...(s.loadBalancerSourceRanges ? { loadBalancerSourceRanges: s.loadBalancerSourceRanges.map(cidr) } : {}),
      endpoints: s.endpoints.map((e) => ({ ...e, ip: addr(e.ip) })),
    })),
  };
}

/** The live-counter suites' cluster (iptables and nftables alike): connections go to kc/web, the others must stay uncounted. */
export function liveCountersClusterSpec(): ClusterSpec {
  const ep = (ip: string, local: boolean): EndpointSpec => ({ ip, local });
  return {
    nodeIPs: [NODE_IP],
    podCIDR: NODE_POD_CIDR,
    clusterCIDR: CLUSTER_CIDR,
    services: [
      { namespace: 'kc', name: 'web', clusterIP: '10.32.0.41', ports: [{ port: 80, targetPort: 8080 }], endpoints: [ep('10.64.2.41', true), ep('10.64.1.42', false), ep('10.64.3.43', false)] },
      { namespace: 'kc', name: 'api', clusterIP: '10.32.0.42', ports: [{ port: 80, targetPort: 8080 }], endpoints: [ep('10.64.2.44', true), ep('10.64.1.45', false)] },
      { namespace: 'kc', name: 'db', clusterIP: '10.32.0.43', ports: [{ port: 80, targetPort: 8080 }], endpoints: [ep('10.64.1.46', false)] },
      { namespace: 'kc', name: 'cache', clusterIP: '10.32.0.44', ports: [{ port: 80, targetPort: 8080 }], endpoints: [ep('10.64.3.47', false), ep('10.64.2.48', true)] },
    ],
  };
}
export const LIVE_COUNTERS_TARGET = 'kc/web';
export const LIVE_COUNTERS_OTHERS = ['kc/api', 'kc/db', 'kc/cache'];

/**
 * The conns suites' cluster (iptables and nftables alike): kc/web, a LoadBalancer (policy Cluster)
 * with four endpoints, node port 30041 and LB IP 10.33.0.41, takes every held connection; kc/api
 * takes none, so a connection attributed to it would be a wrong attribution.
 */
export function connsClusterSpec(): ClusterSpec {
  return onTestNode([
    svc('web', {
      type: 'LoadBalancer',
      clusterIP: '10.32.0.41',
      ports: [{ port: 80, targetPort: 8080, nodePort: 30041 }],
      loadBalancerIPs: ['10.33.0.41'],
      endpoints: [local('10.64.2.41'), remote('10.64.1.42'), remote('10.64.3.43'), local('10.64.2.44')],
    }),
    svc('api', { clusterIP: '10.32.0.42', ports: [{ port: 80, targetPort: 8080 }], endpoints: [local('10.64.2.45'), remote('10.64.1.46')] }),
  ]);
}
export const CONNS_TARGET = 'kc/web';
export const CONNS_IDLE = 'kc/api';
