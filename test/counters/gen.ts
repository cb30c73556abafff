/**
 * `iptables-save -c` text of a current-layout kube-proxy with the given services and counters,
 * written by the one kube-proxy generator (src/gen/kubeproxy.ts): a service's endpoints count on
 * their SVC->SEP jump and their DNAT rule, its cluster IP jump on `jump`.
 */
import { endpointChainName, serviceChainName } from '../../src/core/kube/index.js';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { generateKubeProxyRules, type ClusterSpec, type CounterRef } from '../../src/gen/kubeproxy.js';
import { onePortServiceSpec } from '../helpers/service-spec.js';

export interface GenEndpoint {
  address: string;
  packets: number;
  bytes: number;
}

export interface GenService {
  id: string;
  protocol: 'tcp' | 'udp';
  clusterIP: string;
  port: number;
  endpoints: GenEndpoint[];
  /** Counters of the KUBE-SERVICES -> KUBE-SVC jump. */
  jump?: [number, number];
}

export interface GenOptions {
  /** Without counters (`iptables-save` without -c). */
  noCounters?: boolean;
  /** ip6tables-save: the services' addresses are IPv6. */
  program?: 'iptables-save' | 'ip6tables-save';
  /** List the services (and so KUBE-SERVICES' rules) in reverse order, as if kube-proxy reordered them. */
  reverseServices?: boolean;
}

/** Hashing is the slow part of writing a big dump; both dumps of a pair share the names. */
const names = new Map<string, string>();

function memo(key: string, make: () => string): string {
  let v = names.get(key);
  if (v === undefined) {
    v = make();
    names.set(key, v);
  }
  return v;
}

export function svcChain(s: GenService): string {
  return memo(`svc ${s.id} ${s.protocol}`, () => serviceChainName('KUBE-SVC-', s.id, s.protocol));
}

export function sepChain(s: GenService, address: string): string {
  return memo(`sep ${s.id} ${s.protocol} ${address}`, () => endpointChainName(s.id, s.protocol, address));
}

function clusterSpec(services: readonly GenService[], opts: GenOptions): ClusterSpec {
  const specs = services.map((svc) => onePortServiceSpec({ ...svc, endpoints: svc.endpoints.map((e) => e.address) }));
  const ipv6 = opts.program === 'ip6tables-save';
  return { ipFamily: ipv6 ? 'ipv6' : 'ipv4', nodeIPs: [ipv6 ? 'fd00::a' : '172.16.1.10'], services: opts.reverseServices ? specs.reverse() : specs };
}

export function natDump(services: readonly GenService[], opts: GenOptions = {}): string {
  const spec = clusterSpec(services, opts);
  // Comments at any size (kube-proxy drops some past 1000 endpoints).
  const options = { largeClusterThreshold: Number.MAX_SAFE_INTEGER } as const;
  if (opts.noCounters) return generateKubeProxyRules(spec, options);
  // The counters are asked for by rule position: a first rendering tells which rule jumps where.
  const counts = new Map<string, readonly [number, number]>();
  const countsOf = new Map<string, readonly [number, number]>();
  for (const svc of services) {
    if (svc.jump) countsOf.set(`KUBE-SERVICES>${svcChain(svc)}`, svc.jump);
    for (const ep of svc.endpoints) {
      const sep = sepChain(svc, ep.address);
      countsOf.set(`${svcChain(svc)}>${sep}`, [ep.packets, ep.bytes]);
      countsOf.set(`${sep}>DNAT`, [ep.packets, ep.bytes]);
    }
  }
  for (const t of parseIptablesSave(generateKubeProxyRules(spec, options)).tables) {
    if (t.name !== 'nat') continue;
    for (const r of t.rules) {
      const c = countsOf.get(`${r.chain}>${r.target}`);
      if (c) counts.set(`${r.chain}#${r.index}`, c);
    }
  }
  const counters = (ref: CounterRef) => (ref.table === 'nat' && ref.rule !== null ? counts.get(`${ref.chain}#${ref.rule}`) : undefined) ?? ([0, 0] as const);
  return generateKubeProxyRules(spec, { ...options, counters });
}

/** n services with `per` endpoints each; endpoint e of service s counts (s + e + 1) * k packets. */
export function makeServices(n: number, per: number, k = 1): GenService[] {
  const out: GenService[] = [];
  for (let s = 0; s < n; s++) {
    const endpoints: GenEndpoint[] = [];
    for (let e = 0; e < per; e++) {
      const packets = (s + e + 1) * k;
      endpoints.push({ address: `10.${128 + ((s >> 8) & 127)}.${s & 255}.${e + 1}:8080`, packets, bytes: packets * 60 });
    }
    out.push({
      id: `ns${s % 13}/svc${s}:p${s % 3}`,
      protocol: s % 10 === 0 ? 'udp' : 'tcp',
      clusterIP: `10.96.${(s >> 8) & 255}.${s & 255}`,
      port: 80 + (s % 7),
      endpoints,
    });
  }
  return out;
}
