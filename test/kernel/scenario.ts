/**
 * One ruleset against the kernel: load it into the node namespace, host its endpoints in the
 * pod namespace, dial every service entry (cluster IP, node port, external IP, LoadBalancer IP)
 * from the external client (inside and outside loadBalancerSourceRanges), the node and a pod,
 * and check each connection's fate against the tracer's outcomes. TCP services get connections,
 * UDP services a datagram and its answer; IPv6 services (an ip6tables ruleset on a dual-stack
 * topology) get the same over IPv6. SCTP services get one INIT chunk per attempt from a raw
 * socket (sctp-init.pl): this machine's kernel has no SCTP sockets (CONFIG_IP_SCTP is not set;
 * socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails with EPROTONOSUPPORT), but its conntrack and
 * NAT handle SCTP, and the INIT's fate is read like a TCP SYN's: the conntrack entry's reply
 * tuple, and the ICMP that comes back (port unreachable from a REJECT, protocol unreachable
 * from the endpoint's SCTP-less stack).
 *
 * Every address dialled or hosted lives in the test's own namespaces, which have no link to the
 * host: nothing can leave them.
 */
import { argValue } from '../../src/core/parse/query.js';
import type { Family } from '../../src/core/parse/types.js';
import type { Ruleset } from '../../src/core/parse/index.js';
import { parseCleanly } from '../helpers/parse.js';
import { buildKubeModel, type EntryKind, type KubeModel } from '../../src/core/kube/index.js';
import type { NodeContext, Outcome, Packet } from '../../src/core/trace/types.js';
import {
  attemptsForCoverage,
  canonicalHostPort,
  canonicalIp,
  indexConntrack,
  kernelOutcome,
  outcomeKey,
  possibleKeys,
} from './compare.js';
import {
  conntrackFlush,
  synRetransmits,
  conntrackList,
  conntrackStats,
  connectMany,
  isIPv6,
  loadRuleset,
  resetRuleset,
  saveRuleset,
  sctpMany,
  type ConnectAttempt,
  type Topology,
} from './netns.js';

export type TraceFn = (ruleset: Ruleset, packet: Packet, node: NodeContext) => readonly Outcome[];

/** Who dials: the external client (inside / outside loadBalancerSourceRanges), the node (from its node IP or from 127.0.0.1), a pod. */
export type SourceKind = 'client' | 'client-outside' | 'node' | 'node-loopback' | 'pod';
export const SOURCES: readonly SourceKind[] = ['client', 'client-outside', 'node', 'node-loopback', 'pod'];

export interface RulesetUnderTest {
  readonly name: string;
  /** Text fed to iptables-restore, built-in chains' jumps included. */
  readonly restoreText: string;
  /** Text fed to ip6tables-restore (a dual-stack node's IPv6 half; needs an `ipv6` topology). */
  readonly restoreText6?: string;
  /** The node's own addresses; the first is its node IP (the first IPv6 one its IPv6 node IP). */
  readonly nodeIPs: readonly string[];
  /** Where the client pod lives (an address inside the node's pod CIDR). */
  readonly podClientAddress: string;
  /** The client pod's IPv6 address (inside the node's IPv6 pod CIDR), with restoreText6. */
  readonly podClientAddress6?: string;
}

export type DialProtocol = 'tcp' | 'udp' | 'sctp';

export interface Probe {
  readonly family: Family;
  readonly protocol: DialProtocol;
  readonly source: SourceKind;
  readonly dst: string;
  readonly dport: number;
  readonly service: string;
  readonly entry: EntryKind;
  readonly affinity: boolean;
  /** What the probe exercises, for per-kind figures ("NodePort", "eTP=Local without local endpoints", …); default its entry kind. */
  readonly tags?: readonly string[];
}

export interface RunReport {
  readonly name: string;
  readonly probes: number;
  readonly connections: number;
  /** Connections compared with the tracer, by "family/protocol" (ipv4/tcp, ipv6/udp, …). */
  readonly byKind: Record<string, number>;
  /** What the dialling side saw, by "family/protocol result" (ipv4/sctp connected, ipv6/udp refused, …). */
  readonly clientResults: Record<string, number>;
  /** Connections whose kernel fate was among the tracer's outcomes, in both forms. */
  readonly matched: number;
  readonly byVerdict: Record<string, number>;
  /** Distinct endpoints seen answering. */
  readonly endpointsSeen: number;
  readonly mismatches: string[];
  readonly uncovered: string[];
  readonly errors: string[];
  /** Endpoints whose DNAT counter (as the model reads `iptables-save -c`) differs from the connections conntrack saw DNATed there. */
  readonly counterMismatches: string[];
  /** DNAT rule packets counted, summed over every endpoint the model knows. */
  readonly dnatPackets: number;
  /** Connections conntrack shows DNATed. */
  readonly dnatConnections: number;
  /** DNAT counts over the connections, each explained by a SYN the clients sent again (at most that many). */
  readonly dnatRecounts: number;
  /** conntrack -S insert_failed + drop in the node: packets conntrack itself lost (should be 0). */
  readonly conntrackLost: number;
}

export interface DnatTarget {
  readonly ip: string;
  readonly port: number;
  /** The DNAT rule's -p (kube-proxy always writes one); tcp when it has none. */
  readonly protocol: string;
}

/** Every DNAT target in the nat tables (IPv4 and IPv6): the endpoints the pod namespace has to host. */
export function dnatTargets(ruleset: Ruleset): DnatTarget[] {
  const seen = new Map<string, DnatTarget>();
  for (const t of ruleset.tables) {
    if (t.name !== 'nat') continue;
    for (const r of t.rules) {
      if (r.target !== 'DNAT') continue;
      const to = argValue(r, '--to-destination');
      const m = to === undefined ? null : t.family === 'ipv4' ? /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(to) : /^\[([0-9a-fA-F:]+)\]:(\d+)$/.exec(to);
      if (!m) throw new Error(`line ${r.line}: DNAT target ${to ?? '(none)'} is not ${t.family === 'ipv4' ? 'ip:port' : '[ip]:port'}`);
      const protocol = argValue(r, '-p') ?? 'tcp';
      seen.set(`${protocol} ${to}`, { ip: canonicalIp(m[1]!), port: Number(m[2]), protocol });
    }
  }
  return [...seen.values()];
}

/** A restore text with a `# Generated by` line, so the parser knows its family even without an address in it. */
function withHeader(text: string, family: Family): string {
  if (/^#\s*Generated by /m.test(text)) return text;
  return `# Generated by ${family === 'ipv4' ? 'iptables' : 'ip6tables'}-save v1.8.9 (kernel test)\n${text}`;
}

/**
 * Every TCP, UDP and SCTP service entry of the families the node has an IP of (IPv4 always, IPv6
 * with `nodeIP6`), from every source that makes sense for it.
 */
export function probesFor(model: KubeModel, nodeIP: string, nodeIP6: string | null = null): Probe[] {
  const probes: Probe[] = [];
  for (const s of model.services) {
    if (s.protocol !== 'tcp' && s.protocol !== 'udp' && s.protocol !== 'sctp') continue;
    if (s.family === 'ipv6' && nodeIP6 === null) continue;
    const family = s.family;
    const protocol = s.protocol;
    const affinity = s.sessionAffinitySeconds !== null;
    const add = (entry: EntryKind, dst: string, dport: number, sources: readonly SourceKind[]) => {
      for (const source of sources) probes.push({ family, protocol, source, dst, dport, service: s.id, entry, affinity });
    };
    if (s.clusterIP && s.port !== null) add('clusterIP', s.clusterIP, s.port, ['client', 'node', 'pod']);
    if (s.nodePort !== null) {
      add('nodePort', family === 'ipv4' ? nodeIP : nodeIP6!, s.nodePort, ['client', 'node', 'pod']);
      // `curl localhost:NODEPORT` on the node (kube-proxy's localhost node ports, route_localnet=1;
      // IPv4 only: kube-proxy's IPv6 rules skip ::1, and the kernel has no route_localnet for IPv6).
      if (family === 'ipv4') add('nodePort', '127.0.0.1', s.nodePort, ['node-loopback']);
    }
    if (s.port !== null) {
      for (const ip of s.externalIPs) add('externalIP', ip, s.port, ['client', 'node', 'pod']);
      for (const ip of s.loadBalancerIPs) add('loadBalancer', ip, s.port, SOURCES);
    }
  }
  return probes;
}

export function sourceAddress(topo: Topology, source: SourceKind, family: Family = 'ipv4'): string {
  if (family === 'ipv6') {
    const need = (a: string | null | undefined): string => {
      if (!a) throw new Error(`no IPv6 address for the ${source} source: the topology is not dual-stack or the node has no IPv6 IP`);
      return a;
    };
    switch (source) {
      case 'client':
        return need(topo.clientAddresses6[0]);
      case 'client-outside':
        return need(topo.clientAddresses6[1]);
      case 'node':
        return need(topo.nodeIPs.find(isIPv6));
      case 'node-loopback':
        return '::1';
      case 'pod':
        return need(topo.podClientAddress6);
    }
  }
  switch (source) {
    case 'client':
      return topo.clientAddresses[0]!;
    case 'client-outside':
      return topo.clientAddresses[1]!;
    case 'node':
      return topo.nodeIPs.find((ip) => !isIPv6(ip))!;
    case 'node-loopback':
      return '127.0.0.1';
    case 'pod':
      return topo.podClientAddress;
  }
}

export function sourceNamespace(topo: Topology, source: SourceKind): string {
  if (source === 'node' || source === 'node-loopback') return topo.nodeNs;
  if (source === 'pod') return topo.podClientNs;
  return topo.clientNs;
}

/** The node's interface a probe's packets arrive on (none for the node's own). */
export function arrivalInterface(source: SourceKind): string | null {
  if (source === 'node' || source === 'node-loopback') return null;
  return source === 'pod' ? 'to-podc' : 'to-client';
}

const SHORT_TIMEOUT_MS = 300;
const LONG_TIMEOUT_MS = 2000;

export interface PlannedProbe {
  readonly probe: Probe;
  readonly src: string;
  /** Per input form ("restore", "save"; "text", "json"): the tracer's outcome keys and their probabilities. */
  readonly predicted: Readonly<Record<string, Map<string, number>>>;
  /** The form whose probabilities set the connection count and whose outcomes must all be seen. */
  readonly planForm: string;
  readonly count: number;
  readonly timeoutMs: number;
}

function describeKeys(keys: Map<string, number>): string {
  return [...keys].map(([k, p]) => `${k} p=${p.toFixed(4)}`).join('; ') || '(none)';
}

/** The node's ruleset as `iptables-save -c` (and `ip6tables-save -c` on a dual-stack topology) print it. */
export function saveBoth(topo: Topology): string {
  return saveRuleset(topo.nodeNs) + (topo.ipv6 ? saveRuleset(topo.nodeNs, { family: 'ipv6' }) : '');
}

/** A ruleset loaded into a topology's node, with what the tracer needs to trace against it. */
export interface InstalledRuleset {
  /** The restore text(s) as parsed, and what `iptables-save -c` (and ip6tables-save) printed after loading. */
  readonly restoreRs: Ruleset;
  readonly saveRs: Ruleset;
  readonly model: KubeModel;
  readonly node: NodeContext;
}

/**
 * Empty the node's tables and conntrack, put the ruleset's node IPs, client pod and endpoints
 * in place (endpoints listening: TCP, TCP over IPv6, UDP), route its service addresses from the
 * client, and load it (ip6tables-restore for its IPv6 half).
 */
export async function installRuleset(topo: Topology, rut: RulesetUnderTest): Promise<InstalledRuleset> {
  if (rut.restoreText6 !== undefined && !topo.ipv6) throw new Error(`${rut.name}: an IPv6 ruleset needs a dual-stack topology`);
  const restoreText =
    withHeader(rut.restoreText, 'ipv4') + (rut.restoreText6 === undefined ? '' : '\n' + withHeader(rut.restoreText6, 'ipv6'));
  const restoreRs = parseCleanly(restoreText, `${rut.name} (restore form)`);
  const model = buildKubeModel(restoreRs);
  const endpoints = dnatTargets(restoreRs);

  resetRuleset(topo.nodeNs);
  if (topo.ipv6) resetRuleset(topo.nodeNs, { family: 'ipv6' });
  conntrackFlush(topo.nodeNs);

  topo.setNodeIPs(rut.nodeIPs);
  topo.setPodClientAddress(rut.podClientAddress);
  if (rut.podClientAddress6 !== undefined) topo.setPodClientAddress(rut.podClientAddress6);
  topo.addPodAddresses(endpoints.map((e) => e.ip));
  const tcp = endpoints.filter((e) => e.protocol === 'tcp');
  await topo.startListeners(
    tcp.filter((e) => !isIPv6(e.ip)).map((e) => e.port),
    { tcp6Ports: tcp.filter((e) => isIPv6(e.ip)).map((e) => e.port), udp: endpoints.filter((e) => e.protocol === 'udp') },
  );
  topo.routeFromClient(
    model.services
      .filter((s) => s.family === 'ipv4' || topo.ipv6)
      .flatMap((s) => [...(s.clusterIP ? [s.clusterIP] : []), ...s.externalIPs, ...s.loadBalancerIPs])
      .map((ip) => `${ip}/${isIPv6(ip) ? 128 : 32}`),
  );
  loadRuleset(topo.nodeNs, rut.restoreText);
  if (rut.restoreText6 !== undefined) loadRuleset(topo.nodeNs, rut.restoreText6, { family: 'ipv6' });
  topo.keepSctpEntries();
  const saveRs = parseCleanly(saveBoth(topo), `${rut.name} (iptables-save -c)`);
  const node: NodeContext = { localAddresses: topo.nodeLocalAddresses() };
  return { restoreRs, saveRs, model, node };
}

/** The packet a probe sends, as the tracer takes it. */
export function probePacket(topo: Topology, probe: Probe): { src: string; packet: Packet } {
  const src = sourceAddress(topo, probe.source, probe.family);
  const inInterface = arrivalInterface(probe.source);
  return { src, packet: { protocol: probe.protocol, src, dst: probe.dst, dport: probe.dport, ...(inInterface ? { inInterface } : {}) } };
}

/**
 * How many connections a probe gets and how long each may take, from the tracer's prediction
 * (outcome key -> probability) in the form that plans the run.
 */
export function planProbe(probe: Probe, src: string, predicted: Readonly<Record<string, Map<string, number>>>, planForm: string): PlannedProbe {
  const plan = predicted[planForm];
  if (!plan) throw new Error(`no prediction in the ${planForm} form`);
  const keys = [...plan.keys()];
  const expectsDrop = keys.includes('DROP');
  let count: number;
  if (probe.affinity) count = 6; // ClientIP affinity pins a client to one endpoint: no coverage to gain
  else if (keys.length > 0 && keys.every((k) => !k.startsWith('ACCEPT'))) count = expectsDrop ? 2 : 3;
  else count = attemptsForCoverage([...plan.values()]);
  return { probe, src, predicted, planForm, count, timeoutMs: expectsDrop ? SHORT_TIMEOUT_MS : LONG_TIMEOUT_MS };
}

/** Per probe kind (a probe's tags, or its entry kind): connections made and those the tracer predicted in every form. */
export type ProbeKindReport = Record<string, { connections: number; matched: number }>;

/** What dialling the planned probes showed, compared with every form's prediction. */
export interface DialReport {
  readonly connections: number;
  readonly byKind: Record<string, number>;
  readonly clientResults: Record<string, number>;
  readonly matched: number;
  readonly byVerdict: Record<string, number>;
  readonly endpointsSeen: number;
  readonly mismatches: string[];
  readonly uncovered: string[];
  readonly errors: string[];
  readonly byProbeKind: ProbeKindReport;
  /** Connections conntrack shows DNATed, by "service|endpoint". */
  readonly dnatsPerEndpoint: Map<string, number>;
  /** SYNs the dialling namespaces sent again during the run. */
  readonly synRetransmits: number;
  readonly conntrackLost: number;
}

/**
 * Dial every planned probe (one connector run per source and family, one sctp-init.pl run for
 * SCTP, all at once), read the node's conntrack, and compare each connection's fate with the
 * tracer's outcomes in every form; every outcome the plan form predicts must show up.
 */
export async function dialAndCompare(topo: Topology, name: string, planned: readonly PlannedProbe[], node: NodeContext): Promise<DialReport> {
  const groups = SOURCES.flatMap((source) =>
    (['ipv4', 'ipv6'] as const).flatMap((family) => [false, true].map((sctp) => ({ source, family, sctp }))),
  );
  const dialling = [...new Set(SOURCES.map((source) => sourceNamespace(topo, source)))];
  const synRetransBefore = dialling.reduce((sum, ns) => sum + synRetransmits(ns), 0);
  const attemptsBySource = await Promise.all(
    groups.map(async ({ source, family, sctp }) => {
      const mine = planned.filter((p) => p.probe.source === source && p.probe.family === family && (p.probe.protocol === 'sctp') === sctp);
      if (mine.length === 0) return { mine, attempts: [] as ConnectAttempt[] };
      const from = sourceNamespace(topo, source);
      const src = sourceAddress(topo, source, family);
      const attempts = sctp
        ? await sctpMany(from, mine.map((p) => ({ ip: p.probe.dst, port: p.probe.dport, count: p.count })), { sourceAddress: src })
        : await connectMany(
            from,
            mine.map((p) => ({ ip: p.probe.dst, port: p.probe.dport, count: p.count, timeoutMs: p.timeoutMs, protocol: p.probe.protocol as 'tcp' | 'udp' })),
            { sourceAddress: src, parallel: 24, deadlineMs: 90_000 },
          );
      return { mine, attempts };
    }),
  );
  const conntrack = indexConntrack(conntrackList(topo.nodeNs));
  const synRetrans = dialling.reduce((sum, ns) => sum + synRetransmits(ns), 0) - synRetransBefore;
  const stats = conntrackStats(topo.nodeNs);
  const nodeAddresses = new Set(node.localAddresses);

  let connections = 0;
  let matched = 0;
  const byKind: Record<string, number> = {};
  const clientResults: Record<string, number> = {};
  const byVerdict: Record<string, number> = {};
  const byProbeKind: ProbeKindReport = {};
  const endpointsSeen = new Set<string>();
  const mismatchCounts = new Map<string, number>();
  const errors: string[] = [];
  const uncovered: string[] = [];
  const dnatsPerEndpoint = new Map<string, number>();
  for (const { mine, attempts } of attemptsBySource) {
    const seenPerProbe = mine.map(() => new Set<string>());
    for (const a of attempts) {
      const plan = mine[a.target]!;
      const p = plan.probe;
      const where = `${p.source} ${p.protocol} ${a.src} -> ${a.dst} (${p.service} ${p.entry})`;
      connections++;
      const kind = `${p.family}/${p.protocol}`;
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      clientResults[`${kind} ${a.result}`] = (clientResults[`${kind} ${a.result}`] ?? 0) + 1;
      const tags = p.tags ?? [p.entry];
      for (const t of tags) (byProbeKind[t] ??= { connections: 0, matched: 0 }).connections++;
      const k = kernelOutcome(a, conntrack, nodeAddresses, p.protocol);
      if ('error' in k) {
        errors.push(`${name}: ${where} sport ${a.sport}: ${k.error}`);
        continue;
      }
      const key = outcomeKey(k);
      byVerdict[k.verdict] = (byVerdict[k.verdict] ?? 0) + 1;
      if (k.dnat) {
        endpointsSeen.add(k.dnat);
        const at = `${p.service}|${k.dnat}`;
        dnatsPerEndpoint.set(at, (dnatsPerEndpoint.get(at) ?? 0) + 1);
      }
      seenPerProbe[a.target]!.add(key);
      let ok = true;
      for (const [form, keys] of Object.entries(plan.predicted)) {
        if (keys.has(key)) continue;
        ok = false;
        const msg = `${name}: ${where}: kernel ${key} (${k.evidence}) is not a tracer outcome of the ${form} form: ${describeKeys(keys)}`;
        mismatchCounts.set(msg, (mismatchCounts.get(msg) ?? 0) + 1);
      }
      if (ok) {
        matched++;
        for (const t of tags) byProbeKind[t]!.matched++;
      }
    }
    mine.forEach((plan, i) => {
      if (plan.probe.affinity) return;
      const missing = [...plan.predicted[plan.planForm]!.keys()].filter((key) => !seenPerProbe[i]!.has(key));
      if (missing.length === 0) return;
      const p = plan.probe;
      uncovered.push(
        `${name}: ${p.source} ${plan.src} -> ${p.dst}:${p.dport} (${p.service} ${p.entry}): predicted ${missing.join(', ')} never seen in ${plan.count} connections (seen: ${[...seenPerProbe[i]!].join(', ') || 'nothing'})`,
      );
    });
  }
  const mismatches = [...mismatchCounts].map(([m, n]) => (n > 1 ? `${m} [x${n}]` : m));
  return {
    connections,
    byKind,
    clientResults,
    matched,
    byVerdict,
    endpointsSeen: endpointsSeen.size,
    mismatches,
    uncovered,
    errors,
    byProbeKind,
    dnatsPerEndpoint,
    synRetransmits: synRetrans,
    conntrackLost: (stats.insert_failed ?? 0) + (stats.drop ?? 0),
  };
}

export async function runAgainstKernel(topo: Topology, rut: RulesetUnderTest, trace: TraceFn): Promise<RunReport> {
  const { restoreRs, saveRs, model, node } = await installRuleset(topo, rut);

  const nodeIP6 = rut.restoreText6 === undefined ? null : (rut.nodeIPs.find(isIPv6) ?? null);
  const probes = probesFor(model, rut.nodeIPs.find((ip) => !isIPv6(ip))!, nodeIP6);
  const planned = probes.map((probe) => {
    const { src, packet } = probePacket(topo, probe);
    const predicted = { restore: possibleKeys(trace(restoreRs, packet, node)), save: possibleKeys(trace(saveRs, packet, node)) };
    return planProbe(probe, src, predicted, 'save');
  });
  const dial = await dialAndCompare(topo, rut.name, planned, node);
  const dnatsPerEndpoint = dial.dnatsPerEndpoint;
  const synRetrans = dial.synRetransmits;

  // nat sees only a connection's first packet: each endpoint's DNAT rule must have counted
  // exactly the connections conntrack shows DNATed to it through that service, or more by at
  // most the SYNs the clients sent again (a SYN lost before conntrack confirmed it is NATed anew).
  const after = buildKubeModel(parseCleanly(saveBoth(topo), `${rut.name} (iptables-save -c after the connections)`));
  const counterMismatches: string[] = [];
  const recounted: string[] = [];
  let dnatPackets = 0;
  let excess = 0;
  for (const s of after.services) {
    for (const e of s.endpoints) {
      const expected = dnatsPerEndpoint.get(`${s.id}|${canonicalHostPort(e.address ?? 'no DNAT rule')}`) ?? 0;
      const packets = e.packets ?? 0;
      dnatPackets += packets;
      if (packets === expected) continue;
      const what = `${rut.name}: ${s.id} endpoint ${e.address} (${e.chain}): model reads ${e.packets} packets, conntrack saw ${expected} connections`;
      if (e.packets === null || packets < expected) counterMismatches.push(what);
      else {
        excess += packets - expected;
        recounted.push(what);
      }
    }
  }
  if (excess > synRetrans) counterMismatches.push(...recounted.map((r) => `${r} (${excess} more in all than connections, ${synRetrans} SYNs sent again)`));
  else if (excess > 0) console.log(`${rut.name}: ${excess} DNAT count(s) over the connections, within the ${synRetrans} SYN retransmission(s): ${recounted.join('; ')}`);
  return {
    name: rut.name,
    probes: probes.length,
    connections: dial.connections,
    byKind: dial.byKind,
    clientResults: dial.clientResults,
    matched: dial.matched,
    byVerdict: dial.byVerdict,
    endpointsSeen: dial.endpointsSeen,
    mismatches: dial.mismatches,
    uncovered: dial.uncovered,
    errors: dial.errors,
    counterMismatches,
    dnatPackets,
    dnatConnections: [...dnatsPerEndpoint.values()].reduce((a, b) => a + b, 0),
    dnatRecounts: excess,
    conntrackLost: dial.conntrackLost,
  };
}

/** An address in the node's pod CIDR for the client pod, avoiding the endpoints. */
export function podClientAddressIn(podCIDR: string, avoid: readonly string[]): string {
  const [base] = podCIDR.split('/');
  const octets = base!.split('.').map(Number);
  for (let last = 250; last > 1; last--) {
    const ip = `${octets[0]}.${octets[1]}.${octets[2]}.${last}`;
    if (!avoid.includes(ip)) return ip;
  }
  throw new Error(`no free client pod address in ${podCIDR}`);
}
