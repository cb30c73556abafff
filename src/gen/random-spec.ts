/**
 * randomClusterSpec: a realistic, seeded mix of Services for one node — mostly ClusterIP, some
 * NodePort and LoadBalancer (some with loadBalancerSourceRanges), externalTrafficPolicy Local,
 * session affinity, services without endpoints, UDP DNS — with every address range
 * configurable so kernel tests can fit the result to their namespaces.
 */
import { addressAt, cidrContains, cidrSize, parseCidr, type Cidr, type IpFamily } from './addr.js';
import type { ClusterSpec, EndpointSpec, Protocol, ServicePortSpec, ServiceSpec, ServiceType } from './spec.js';

export interface RandomClusterOptions {
  readonly seed: number;
  /** How many services (system services included). */
  readonly services: number;
  /** Default 10. */
  readonly maxEndpointsPerService?: number;
  /** Default ipv4; every default below has an IPv6 counterpart. */
  readonly ipFamily?: IpFamily;
  /** Default 10.96.0.0/16 (fd00:10:96::/112). */
  readonly serviceCIDR?: string;
  /** The cluster's pod CIDR, default 10.244.0.0/16 (fd00:10:244::/56). */
  readonly podCIDR?: string;
  /** This node's pod CIDR (its local endpoints), default 10.244.0.0/24 (fd00:10:244::/64). */
  readonly nodePodCIDR?: string;
  /** Default 192.168.0.10 (fd00:192:168::10). */
  readonly nodeIP?: string;
  /** The apiserver endpoint of default/kubernetes, default the node IP. */
  readonly apiserverIP?: string;
  /** Nodes in the cluster: an endpoint is local with probability 1/nodes. Default 10. */
  readonly nodes?: number;
  /** Where LoadBalancer ingress IPs come from. Default 198.18.0.0/16 (fd00:198:18::/112). */
  readonly loadBalancerCIDR?: string;
  /** Where externalIPs come from. Default 198.19.0.0/16 (fd00:198:19::/112). */
  readonly externalIPCIDR?: string;
  /** kube-proxy's --cluster-cidr; default the pod CIDR, null for none. */
  readonly clusterCIDR?: string | null;
  /** default/kubernetes and kube-system/kube-dns first (default true). */
  readonly systemServices?: boolean;
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMESPACES = ['default', 'prod', 'staging', 'monitoring', 'payments', 'search', 'web', 'data', 'auth', 'batch'];
const WORDS = ['api', 'web', 'cart', 'checkout', 'db', 'cache', 'queue', 'search', 'auth', 'users', 'orders', 'billing', 'metrics', 'logs', 'gateway', 'frontend', 'backend', 'worker', 'admin', 'images'];
const NAMED_PORTS: ReadonlyArray<[string, number]> = [['http', 80], ['https', 443], ['metrics', 9090], ['grpc', 9000], ['admin', 8081]];
const SOURCE_RANGES_V4 = ['203.0.113.0/25', '198.51.100.0/24', '192.0.2.0/28', '100.64.0.0/10'];
const SOURCE_RANGES_V6 = ['2001:db8:1::/48', '2001:db8:2::/64', 'fd00:dead::/32'];

/** Hands out addresses of a CIDR in order, wrapping, skipping what `skip` rejects. */
class Pool {
  private next: bigint;
  private readonly size: bigint;
  constructor(
    private readonly cidr: Cidr,
    private readonly skip: (offset: bigint, address: string) => boolean = () => false,
    private readonly start = 1n,
  ) {
    this.size = cidrSize(cidr);
    this.next = start;
  }
  take(): string {
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (this.next >= this.size - (this.cidr.family === 'ipv4' ? 1n : 0n)) this.next = this.start;
      const off = this.next++;
      const a = addressAt(this.cidr, off);
      if (!this.skip(off, a)) return a;
    }
    throw new Error(`no free address in ${addressAt(this.cidr, 0n)}/${this.cidr.prefix}`);
  }
  /** The address at an offset, without taking it (for fixed addresses such as .1 and .10). */
  at(offset: bigint): string {
    return addressAt(this.cidr, offset);
  }
}

export function randomClusterSpec(opts: RandomClusterOptions): ClusterSpec {
  const v6 = opts.ipFamily === 'ipv6';
  const rnd = prng(opts.seed);
  const chance = (p: number) => rnd() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maxEp = Math.max(1, opts.maxEndpointsPerService ?? 10);
  const nodes = Math.max(1, opts.nodes ?? 10);
  const nodeIP = opts.nodeIP ?? (v6 ? 'fd00:192:168::10' : '192.168.0.10');
  const podCIDR = opts.podCIDR ?? (v6 ? 'fd00:10:244::/56' : '10.244.0.0/16');
  const nodePodCIDR = opts.nodePodCIDR ?? (v6 ? 'fd00:10:244::/64' : '10.244.0.0/24');
  const nodePod = parseCidr(nodePodCIDR);
  const v4HostSkip = (_off: bigint, a: string) => !v6 && (a.endsWith('.0') || a.endsWith('.255'));

  const serviceCidr = parseCidr(opts.serviceCIDR ?? (v6 ? 'fd00:10:96::/112' : '10.96.0.0/16'));
  const systemServices = opts.systemServices ?? true;
  // .1 is the kubernetes service, .10 cluster DNS: keep them out of the pool.
  const servicePool = new Pool(serviceCidr, (off) => off === 1n || off === 10n);
  const localPods = new Pool(nodePod, v4HostSkip);
  const clusterPods = parseCidr(podCIDR);
  // Other nodes' pods: start past this node's block when it opens the cluster range.
  const remoteStart = clusterPods.network === nodePod.network ? cidrSize(nodePod) + 1n : 1n;
  const remotePods = new Pool(clusterPods, (off, a) => v4HostSkip(off, a) || cidrContains(nodePod, a), remoteStart);
  const lbPool = new Pool(parseCidr(opts.loadBalancerCIDR ?? (v6 ? 'fd00:198:18::/112' : '198.18.0.0/16')));
  const extPool = new Pool(parseCidr(opts.externalIPCIDR ?? (v6 ? 'fd00:198:19::/112' : '198.19.0.0/16')));
  const sourceRanges = v6 ? SOURCE_RANGES_V6 : SOURCE_RANGES_V4;

  let nextNodePort = 30000;
  const takeNodePort = (): number | null => (nextNodePort <= 32767 ? nextNodePort++ : null);

  const services: ServiceSpec[] = [];
  if (systemServices && opts.services > 0) {
    services.push({
      namespace: 'default',
      name: 'kubernetes',
      clusterIP: servicePool.at(1n),
      ports: [{ name: 'https', port: 443, targetPort: 6443 }],
      endpoints: [{ ip: opts.apiserverIP ?? nodeIP }],
    });
  }
  if (systemServices && opts.services > 1) {
    const dnsPods: EndpointSpec[] = [{ ip: remotePods.take() }, { ip: localPods.take(), local: true }];
    services.push({
      namespace: 'kube-system',
      name: 'kube-dns',
      clusterIP: servicePool.at(10n),
      ports: [
        { name: 'dns', port: 53, protocol: 'udp' },
        { name: 'dns-tcp', port: 53, protocol: 'tcp' },
        { name: 'metrics', port: 9153, protocol: 'tcp' },
      ],
      endpoints: dnsPods,
    });
  }

  for (let i = services.length; i < opts.services; i++) {
    const r = rnd();
    let type: ServiceType = r < 0.65 ? 'ClusterIP' : r < 0.85 ? 'NodePort' : 'LoadBalancer';
    const portCount = chance(0.7) ? 1 : chance(0.83) ? 2 : 3;
    const protocol: Protocol = chance(0.05) ? 'udp' : 'tcp';
    const ports: ServicePortSpec[] = [];
    const usedNames = new Set<string>();
    for (let p = 0; p < portCount; p++) {
      let [name, port] = pick(NAMED_PORTS);
      if (usedNames.has(name)) [name, port] = [`port-${p}`, 8000 + p];
      usedNames.add(name);
      const unnamed = portCount === 1 && chance(0.5);
      ports.push({ ...(unnamed ? {} : { name }), port, protocol, ...(port < 1024 && chance(0.5) ? { targetPort: 8080 + p } : {}) });
    }
    if (type !== 'ClusterIP') {
      for (let p = 0; p < ports.length; p++) {
        const np = takeNodePort();
        if (np === null) {
          type = 'ClusterIP'; // the node-port range is used up: kube would refuse more
          break;
        }
        ports[p] = { ...ports[p]!, nodePort: np };
      }
      if (type === 'ClusterIP') for (let p = 0; p < ports.length; p++) ports[p] = { ...ports[p]!, nodePort: undefined };
    }
    const external = type !== 'ClusterIP';
    const eTPLocal = external && chance(0.3);
    const withRanges = type === 'LoadBalancer' && chance(0.4);
    const ranges = withRanges ? (chance(0.3) ? [pick(sourceRanges), `${nodeIP}/${v6 ? 128 : 32}`] : [pick(sourceRanges)]) : [];
    const noEndpoints = chance(0.05);
    const epCount = noEndpoints ? 0 : 1 + Math.floor(rnd() * rnd() * maxEp);
    const endpoints: EndpointSpec[] = [];
    for (let e = 0; e < epCount; e++) {
      const local = chance(1 / nodes);
      endpoints.push(local ? { ip: localPods.take(), local: true } : { ip: remotePods.take() });
    }
    const spec: ServiceSpec = {
      namespace: pick(NAMESPACES),
      name: `${pick(WORDS)}-${i}`,
      type,
      clusterIP: servicePool.take(),
      ports,
      ...(type !== 'LoadBalancer' && chance(0.04) ? { externalIPs: [extPool.take()] } : {}),
      ...(type === 'LoadBalancer' ? { loadBalancerIPs: [lbPool.take()] } : {}),
      ...(ranges.length > 0 ? { loadBalancerSourceRanges: ranges } : {}),
      ...(eTPLocal ? { externalTrafficPolicy: 'Local' as const } : {}),
      ...(type === 'ClusterIP' && chance(0.03) ? { internalTrafficPolicy: 'Local' as const } : {}),
      ...(chance(0.08) ? { sessionAffinitySeconds: 10800 } : {}),
      ...(type === 'LoadBalancer' && eTPLocal ? { healthCheckNodePort: takeNodePort() ?? undefined } : {}),
      endpoints,
    };
    services.push(spec);
  }
  return {
    ipFamily: v6 ? 'ipv6' : 'ipv4',
    nodeIPs: [nodeIP],
    podCIDR: nodePodCIDR,
    clusterCIDR: opts.clusterCIDR === undefined ? podCIDR : opts.clusterCIDR,
    services,
  };
}
