/**
 * nftables mode against the kernel: load kube-proxy's nftables transaction (our generator's, for
 * a ClusterSpec) into the node namespace with `nft -f`, host its endpoints, dial every service
 * entry from the external client (inside and outside loadBalancerSourceRanges), the node and a
 * pod, plus the two things only nftables mode answers (an unserved ClusterIP port: reject; an
 * unallocated service-CIDR address: drop), and compare each connection's fate (conntrack) with
 * what the tracer predicts. The topology, listeners, connectors and conntrack oracle are the
 * iptables suite's (scenario.ts, netns.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addressAt, cidrContains, parseCidr } from '../../src/gen/addr.js';
import { generateKubeProxyNftables, type ClusterSpec, type NftGenerateOptions, type ServiceSpec } from '../../src/gen/kubeproxy.js';
import type { NodeContext, Packet } from '../../src/core/trace/types.js';
import type { EntryKind } from '../../src/core/kube/index.js';
import { inNs } from './exec.js';
import { conntrackFlush, isIPv6, resetRuleset, type Topology } from './netns.js';
import {
  SOURCES,
  dialAndCompare,
  planProbe,
  probePacket,
  sourceAddress,
  type DialProtocol,
  type DialReport,
  type Probe,
  type SourceKind,
} from './scenario.js';

// ---------------------------------------------------------------------------------------------
// nft in the node namespace (never the host's)

/** `nft -f FILE` inside the namespace, the file in a fresh mkdtemp directory. */
export function nftLoad(ns: string, text: string): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-nft-'));
  try {
    const file = path.join(dir, 'ruleset.nft');
    fs.writeFileSync(file, text, { mode: 0o600 });
    inNs(ns, 'nft', ['-f', file]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `nft flush ruleset` inside the namespace: every nft table there, iptables-nft's included. */
export function nftFlushRuleset(ns: string): void {
  inNs(ns, 'nft', ['flush', 'ruleset']);
}

/** What `nft list ruleset` prints in the namespace: text, text with `# handle N` (-a), or JSON (-j). */
export function nftListRuleset(ns: string, form: 'text' | 'text-handles' | 'json'): string {
  const args = form === 'json' ? ['-j', 'list', 'ruleset'] : form === 'text-handles' ? ['-a', 'list', 'ruleset'] : ['list', 'ruleset'];
  return inNs(ns, 'nft', args);
}

/** Empty the node's netfilter state: nft tables, legacy iptables tables (when any exist), conntrack. */
export function resetNftNode(topo: Topology): void {
  nftFlushRuleset(topo.nodeNs);
  for (const family of ['ipv4', 'ipv6'] as const) {
    const legacy = inNs(topo.nodeNs, family === 'ipv4' ? 'iptables-legacy-save' : 'ip6tables-legacy-save', []);
    if (/^\*/m.test(legacy)) resetRuleset(topo.nodeNs, { family, backend: 'legacy' });
  }
  conntrackFlush(topo.nodeNs);
}

// ---------------------------------------------------------------------------------------------
// The cluster, per service port, as the probes need it

interface PortFacts {
  readonly spn: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly protocol: DialProtocol;
  readonly clusterIP: string;
  readonly port: number;
  readonly nodePort: number | null;
  readonly externalIPs: readonly string[];
  readonly lbIPs: readonly string[];
  readonly sourceRanges: readonly string[];
  readonly eTPLocal: boolean;
  readonly iTPLocal: boolean;
  readonly affinity: boolean;
  /** Endpoint "ip:port" and whether it is on this node. */
  readonly endpoints: ReadonlyArray<{ readonly ip: string; readonly port: number; readonly local: boolean }>;
}

function portFacts(spec: ClusterSpec, s: ServiceSpec): PortFacts[] {
  const type = s.type ?? 'ClusterIP';
  const external = type === 'NodePort' || type === 'LoadBalancer';
  return s.ports.map((p) => {
    const portName = p.name ?? '';
    const nodePort = external && p.nodePort ? p.nodePort : null;
    const lbIPs = type === 'LoadBalancer' ? (s.loadBalancerIPs ?? []) : [];
    const externalIPs = s.externalIPs ?? [];
    const externallyAccessible = nodePort !== null || lbIPs.length > 0 || externalIPs.length > 0;
    return {
      spn: portName ? `${s.namespace}/${s.name}:${portName}` : `${s.namespace}/${s.name}`,
      family: spec.ipFamily ?? 'ipv4',
      protocol: p.protocol ?? 'tcp',
      clusterIP: s.clusterIP,
      port: p.port,
      nodePort,
      externalIPs,
      lbIPs,
      sourceRanges: type === 'LoadBalancer' ? (s.loadBalancerSourceRanges ?? []) : [],
      eTPLocal: external && externallyAccessible && s.externalTrafficPolicy === 'Local',
      iTPLocal: s.internalTrafficPolicy === 'Local',
      affinity: (s.sessionAffinitySeconds ?? null) !== null,
      endpoints: s.endpoints.map((e) => ({ ip: e.ip, port: e.ports?.[portName] ?? e.port ?? p.targetPort ?? p.port, local: e.local === true })),
    };
  });
}

/** The endpoints a service port can reach from this node (kube-proxy's allLocallyReachableEndpoints). */
export function reachableEndpoints(f: PortFacts): string[] {
  const externallyAccessible = f.nodePort !== null || f.externalIPs.length > 0 || f.lbIPs.length > 0;
  const usesCluster = !f.iTPLocal || externallyAccessible;
  const eps = usesCluster ? f.endpoints : f.endpoints.filter((e) => e.local);
  return eps.map((e) => (isIPv6(e.ip) ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`));
}

export function clusterPorts(specs: readonly ClusterSpec[]): PortFacts[] {
  return specs.flatMap((spec) => spec.services.flatMap((s) => portFacts(spec, s)));
}

/** A port no service of the cluster uses on any ClusterIP: the "unserved port" probes dial it. */
export const UNSERVED_PORT = 9;

/** The first address of each service CIDR that no Service holds (offset 200 and up). */
export function unallocatedAddresses(spec: ClusterSpec): string[] {
  const used = new Set(spec.services.map((s) => s.clusterIP));
  return (spec.serviceCIDRs ?? []).map((c) => {
    const cidr = parseCidr(c);
    for (let off = 200n; off < 4096n; off++) {
      const a = addressAt(cidr, off);
      if (!used.has(a)) return a;
    }
    throw new Error(`no unallocated address in ${c}`);
  });
}

function policyTag(f: PortFacts, local: boolean): string {
  if (!local) return 'policy Cluster';
  return f.endpoints.some((e) => e.local) ? 'policy Local, local endpoints' : 'policy Local, no local endpoints';
}

/**
 * Every TCP, UDP and SCTP service entry from every source that makes sense for it (as the
 * iptables suite's probesFor), each tagged with what it exercises; then, per ClusterIP, a TCP
 * port no service uses, and per service CIDR an address no Service holds.
 */
export function nftProbesFor(topo: Topology, specs: readonly ClusterSpec[]): Probe[] {
  const probes: Probe[] = [];
  for (const spec of specs) {
    const family = spec.ipFamily ?? 'ipv4';
    const nodeIP = spec.nodeIPs.find((ip) => isIPv6(ip) === (family === 'ipv6'));
    if (!nodeIP) throw new Error(`no ${family} node IP in the spec`);
    const ports = spec.services.flatMap((s) => portFacts(spec, s));
    for (const f of ports) {
      const common = [
        ...(f.endpoints.length === 0 ? ['no endpoints'] : []),
        ...(f.affinity ? ['affinity'] : []),
        `${family}/${f.protocol}`,
      ];
      const add = (entry: EntryKind, entryTag: string, dst: string, dport: number, sources: readonly SourceKind[], tags: readonly string[]) => {
        for (const source of sources) {
          const src = sourceAddress(topo, source, family);
          const ranges =
            entry === 'loadBalancer' && f.sourceRanges.length > 0
              ? [f.sourceRanges.some((r) => cidrContains(parseCidr(r), src)) ? 'LB source range inside' : 'LB source range outside']
              : [];
          probes.push({
            family,
            protocol: f.protocol,
            source,
            dst,
            dport,
            service: f.spn,
            entry,
            affinity: f.affinity,
            tags: [entryTag, ...tags, ...ranges, ...common, `from ${source}`],
          });
        }
      };
      const internal = [policyTag(f, f.iTPLocal)];
      const external = [policyTag(f, f.eTPLocal)];
      add('clusterIP', 'ClusterIP', f.clusterIP, f.port, ['client', 'node', 'pod'], internal);
      if (f.nodePort !== null) {
        add('nodePort', 'NodePort', nodeIP, f.nodePort, ['client', 'node', 'pod'], external);
        // nftables mode never serves node ports on 127.0.0.1 (IPv4; ::1 never was): the node's own
        // listener there answers (installNftRuleset), which tells "not DNATed" from a reject. TCP
        // only: an SCTP INIT to the SCTP-less node stack looks like a drop to the oracle.
        if (family === 'ipv4' && f.protocol === 'tcp') {
          add('nodePort', 'NodePort on 127.0.0.1', '127.0.0.1', f.nodePort, ['node-loopback'], external);
        }
      }
      for (const ip of f.externalIPs) add('externalIP', 'external IP', ip, f.port, ['client', 'node', 'pod'], external);
      for (const ip of f.lbIPs) add('loadBalancer', 'LB IP', ip, f.port, SOURCES, external);
    }
    for (const clusterIP of [...new Set(ports.map((f) => f.clusterIP))]) {
      if (ports.some((f) => f.clusterIP === clusterIP && f.port === UNSERVED_PORT)) throw new Error(`${clusterIP} serves port ${UNSERVED_PORT}`);
      for (const source of ['client', 'node', 'pod'] as const) {
        probes.push({
          family,
          protocol: 'tcp',
          source,
          dst: clusterIP,
          dport: UNSERVED_PORT,
          service: `${clusterIP} (unserved port)`,
          entry: 'clusterIP',
          affinity: false,
          tags: ['unserved ClusterIP port', `${family}/tcp`, `from ${source}`],
        });
      }
    }
    for (const ip of unallocatedAddresses(spec)) {
      for (const source of ['client', 'node', 'pod'] as const) {
        probes.push({
          family,
          protocol: 'tcp',
          source,
          dst: ip,
          dport: 80,
          service: `${ip} (unallocated)`,
          entry: 'clusterIP',
          affinity: false,
          tags: ['unallocated service-CIDR address', `${family}/tcp`, `from ${source}`],
        });
      }
    }
  }
  return probes;
}

// ---------------------------------------------------------------------------------------------
// Install and run

export interface NftClusterUnderTest {
  readonly name: string;
  /** One spec per family the node runs: an `ip` table, and on a dual-stack node an `ip6` table too. */
  readonly specs: readonly ClusterSpec[];
  readonly options?: NftGenerateOptions;
  /** The client pod (inside the node's pod CIDR), and its IPv6 twin for an IPv6 spec. */
  readonly podClientAddress: string;
  readonly podClientAddress6?: string;
  /** Changes each generated transaction before `nft -f` (a test adding `counter` statements); as generated without. */
  readonly edit?: (transaction: string) => string;
}

export interface NftInstalled {
  /** The transactions fed to `nft -f`, one per spec. */
  readonly transactions: readonly string[];
  /** `nft list ruleset`, `nft -a list ruleset` and `nft -j list ruleset` right after loading. */
  readonly listing: { readonly text: string; readonly textHandles: string; readonly json: string };
  readonly node: NodeContext;
}

/**
 * Empty the node's netfilter state, put the cluster's node IPs, client pod and endpoints in place
 * (listening: TCP, TCP over IPv6, UDP), route its service addresses from the client, and load
 * each spec's transaction with `nft -f`.
 */
export async function installNftRuleset(topo: Topology, cut: NftClusterUnderTest): Promise<NftInstalled> {
  const ports = clusterPorts(cut.specs);
  if (ports.some((f) => f.family === 'ipv6') && !topo.ipv6) throw new Error(`${cut.name}: an IPv6 spec needs a dual-stack topology`);
  resetNftNode(topo);
  const nodeIPs = [...new Set(cut.specs.flatMap((s) => s.nodeIPs))].sort((a, b) => Number(isIPv6(a)) - Number(isIPv6(b)));
  topo.setNodeIPs(nodeIPs);
  topo.setPodClientAddress(cut.podClientAddress);
  if (cut.podClientAddress6 !== undefined) topo.setPodClientAddress(cut.podClientAddress6);
  const endpoints = ports.flatMap((f) => f.endpoints.map((e) => ({ ...e, protocol: f.protocol })));
  topo.addPodAddresses(endpoints.map((e) => e.ip));
  const tcp = endpoints.filter((e) => e.protocol === 'tcp');
  await topo.startListeners(
    tcp.filter((e) => !isIPv6(e.ip)).map((e) => e.port),
    { tcp6Ports: tcp.filter((e) => isIPv6(e.ip)).map((e) => e.port), udp: endpoints.filter((e) => e.protocol === 'udp') },
  );
  // The node's own listener on 127.0.0.1:NODEPORT (see nftProbesFor).
  await topo.startNodeListeners(
    [...new Set(ports.filter((f) => f.family === 'ipv4' && f.protocol === 'tcp' && f.nodePort !== null).map((f) => f.nodePort!))].map(
      (p) => `tcp:127.0.0.1:${p}`,
    ),
  );
  const serviceAddresses = [
    ...ports.flatMap((f) => [f.clusterIP, ...f.externalIPs, ...f.lbIPs]),
    ...cut.specs.flatMap(unallocatedAddresses),
  ];
  topo.routeFromClient([...new Set(serviceAddresses)].map((ip) => `${ip}/${isIPv6(ip) ? 128 : 32}`));
  const transactions = cut.specs.map((spec) => generateKubeProxyNftables(spec, cut.options)).map((t) => (cut.edit ? cut.edit(t) : t));
  for (const t of transactions) nftLoad(topo.nodeNs, t);
  topo.keepSctpEntries();
  return {
    transactions,
    listing: {
      text: nftListRuleset(topo.nodeNs, 'text'),
      textHandles: nftListRuleset(topo.nodeNs, 'text-handles'),
      json: nftListRuleset(topo.nodeNs, 'json'),
    },
    node: { localAddresses: topo.nodeLocalAddresses() },
  };
}

/** Per input form, the tracer's outcome keys and probabilities for one packet (see compare.ts possibleKeys). */
export type NftPredictFn = (packet: Packet, probe: Probe) => Record<string, Map<string, number>>;

export interface NftRunReport extends DialReport {
  readonly name: string;
  readonly probes: number;
  /** Endpoints of services without affinity that no connection reached (every one must be seen). */
  readonly endpointsNeverSeen: string[];
}

/** Dial every probe, compare with `predict`'s forms (planForm sets counts and coverage), check endpoint coverage. */
export async function runNftAgainstKernel(
  topo: Topology,
  cut: NftClusterUnderTest,
  installed: NftInstalled,
  predict: NftPredictFn,
  planForm: string,
): Promise<NftRunReport> {
  const probes = nftProbesFor(topo, cut.specs);
  const planned = probes.map((probe) => {
    const { src, packet } = probePacket(topo, probe);
    return planProbe(probe, src, predict(packet, probe), planForm);
  });
  const dial = await dialAndCompare(topo, cut.name, planned, installed.node);
  const endpointsNeverSeen: string[] = [];
  for (const f of clusterPorts(cut.specs)) {
    if (f.affinity) continue;
    for (const ep of reachableEndpoints(f)) {
      if (!dial.dnatsPerEndpoint.has(`${f.spn}|${ep}`)) endpointsNeverSeen.push(`${cut.name}: ${f.spn} endpoint ${ep}`);
    }
  }
  return { ...dial, name: cut.name, probes: probes.length, endpointsNeverSeen };
}

/** The per-kind table for the log: kind, connections, matched in every form. */
export function probeKindTable(r: NftRunReport): string {
  const rows = Object.entries(r.byProbeKind).sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(...rows.map(([k]) => k.length), 10);
  return [
    `${'probe kind'.padEnd(width)}  connections  matched (every form)`,
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${String(v.connections).padStart(11)}  ${String(v.matched).padStart(7)}`),
  ].join('\n');
}
