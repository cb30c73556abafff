/**
 * One ruleset against the kernel: load it into the node namespace, host its endpoints in the
 * pod namespace, dial every service entry (cluster IP, node port, external IP, LoadBalancer IP)
 * from the external client (inside and outside loadBalancerSourceRanges), the node and a pod,
 * and check each connection's fate against the tracer's outcomes.
 *
 * Every address dialled or hosted lives in the test's own namespaces, which have no link to the
 * host: nothing can leave them.
 */
import { argValue } from '../../src/core/parse/query.js';
import type { Ruleset } from '../../src/core/parse/index.js';
import { parseCleanly } from '../helpers/parse.js';
import { buildKubeModel, type EntryKind, type KubeModel } from '../../src/core/kube/index.js';
import type { NodeContext, Outcome, Packet } from '../../src/core/trace/types.js';
import {
  attemptsForCoverage,
  indexConntrack,
  kernelOutcome,
  outcomeKey,
  possibleKeys,
} from './compare.js';
import {
  conntrackFlush,
  conntrackList,
  conntrackStats,
  connectMany,
  loadRuleset,
  resetRuleset,
  saveRuleset,
  type ConnectAttempt,
  type Topology,
} from './netns.js';

export type TraceFn = (ruleset: Ruleset, packet: Packet, node: NodeContext) => readonly Outcome[];

/** Who dials: the external client (inside / outside loadBalancerSourceRanges), the node (from its node IP or from 127.0.0.1), a pod. */
export type SourceKind = 'client' | 'client-outside' | 'node' | 'node-loopback' | 'pod';
const SOURCES: readonly SourceKind[] = ['client', 'client-outside', 'node', 'node-loopback', 'pod'];

export interface RulesetUnderTest {
  readonly name: string;
  /** Text fed to iptables-restore, built-in chains' jumps included. */
  readonly restoreText: string;
  /** The node's own addresses; the first is its node IP. */
  readonly nodeIPs: readonly string[];
  /** Where the client pod lives (an address inside the node's pod CIDR). */
  readonly podClientAddress: string;
}

export interface Probe {
  readonly source: SourceKind;
  readonly dst: string;
  readonly dport: number;
  readonly service: string;
  readonly entry: EntryKind;
  readonly affinity: boolean;
}

export interface RunReport {
  readonly name: string;
  readonly probes: number;
  readonly connections: number;
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
  /** conntrack -S insert_failed + drop in the node: packets conntrack itself lost (should be 0). */
  readonly conntrackLost: number;
}

/** Every DNAT target in the nat table: the endpoints the pod namespace has to host. */
export function dnatTargets(ruleset: Ruleset): Array<{ ip: string; port: number }> {
  const seen = new Map<string, { ip: string; port: number }>();
  for (const t of ruleset.tables) {
    if (t.name !== 'nat' || t.family !== 'ipv4') continue;
    for (const r of t.rules) {
      if (r.target !== 'DNAT') continue;
      const to = argValue(r, '--to-destination');
      const m = to === undefined ? null : /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(to);
      if (!m) throw new Error(`line ${r.line}: DNAT target ${to ?? '(none)'} is not ip:port`);
      seen.set(to!, { ip: m[1]!, port: Number(m[2]) });
    }
  }
  return [...seen.values()];
}

/** Every TCP IPv4 service entry, from every source that makes sense for it. */
export function probesFor(model: KubeModel, nodeIP: string): Probe[] {
  const probes: Probe[] = [];
  for (const s of model.services) {
    if (s.protocol !== 'tcp' || s.family !== 'ipv4') continue; // the connector dials TCP only
    const affinity = s.sessionAffinitySeconds !== null;
    const add = (entry: EntryKind, dst: string, dport: number, sources: readonly SourceKind[]) => {
      for (const source of sources) probes.push({ source, dst, dport, service: s.id, entry, affinity });
    };
    if (s.clusterIP && s.port !== null) add('clusterIP', s.clusterIP, s.port, ['client', 'node', 'pod']);
    if (s.nodePort !== null) {
      add('nodePort', nodeIP, s.nodePort, ['client', 'node', 'pod']);
      // `curl localhost:NODEPORT` on the node (kube-proxy's localhost node ports, route_localnet=1).
      add('nodePort', '127.0.0.1', s.nodePort, ['node-loopback']);
    }
    if (s.port !== null) {
      for (const ip of s.externalIPs) add('externalIP', ip, s.port, ['client', 'node', 'pod']);
      for (const ip of s.loadBalancerIPs) add('loadBalancer', ip, s.port, SOURCES);
    }
  }
  return probes;
}

function sourceAddress(topo: Topology, source: SourceKind): string {
  switch (source) {
    case 'client':
      return topo.clientAddresses[0]!;
    case 'client-outside':
      return topo.clientAddresses[1]!;
    case 'node':
      return topo.nodeIPs[0]!;
    case 'node-loopback':
      return '127.0.0.1';
    case 'pod':
      return topo.podClientAddress;
  }
}

function sourceNamespace(topo: Topology, source: SourceKind): string {
  if (source === 'node' || source === 'node-loopback') return topo.nodeNs;
  if (source === 'pod') return topo.podClientNs;
  return topo.clientNs;
}

/** The node's interface a probe's packets arrive on (none for the node's own). */
function arrivalInterface(source: SourceKind): string | null {
  if (source === 'node' || source === 'node-loopback') return null;
  return source === 'pod' ? 'to-podc' : 'to-client';
}

const SHORT_TIMEOUT_MS = 300;
const LONG_TIMEOUT_MS = 2000;

interface PlannedProbe {
  readonly probe: Probe;
  readonly src: string;
  readonly predicted: { restore: Map<string, number>; save: Map<string, number> };
  readonly count: number;
  readonly timeoutMs: number;
}

function describeKeys(keys: Map<string, number>): string {
  return [...keys].map(([k, p]) => `${k} p=${p.toFixed(4)}`).join('; ') || '(none)';
}

/** Load the ruleset into the topology's node, dial every entry, compare with the tracer. */
export async function runAgainstKernel(topo: Topology, rut: RulesetUnderTest, trace: TraceFn): Promise<RunReport> {
  const restoreRs = parseCleanly(rut.restoreText, `${rut.name} (restore form)`);
  const model = buildKubeModel(restoreRs);
  const endpoints = dnatTargets(restoreRs);

  resetRuleset(topo.nodeNs);
  conntrackFlush(topo.nodeNs);

  topo.setNodeIPs(rut.nodeIPs);
  topo.setPodClientAddress(rut.podClientAddress);
  topo.addPodAddresses(endpoints.map((e) => e.ip));
  await topo.startListeners(endpoints.map((e) => e.port));
  topo.routeFromClient(
    model.services.flatMap((s) => [...(s.clusterIP ? [s.clusterIP] : []), ...s.externalIPs, ...s.loadBalancerIPs]).map((ip) => `${ip}/32`),
  );
  loadRuleset(topo.nodeNs, rut.restoreText);
  const saveRs = parseCleanly(saveRuleset(topo.nodeNs), `${rut.name} (iptables-save -c)`);
  const node: NodeContext = { localAddresses: topo.nodeLocalAddresses() };

  const probes = probesFor(model, rut.nodeIPs[0]!);
  const planned: PlannedProbe[] = probes.map((probe) => {
    const src = sourceAddress(topo, probe.source);
    const inInterface = arrivalInterface(probe.source);
    const packet: Packet = { protocol: 'tcp', src, dst: probe.dst, dport: probe.dport, ...(inInterface ? { inInterface } : {}) };
    const predicted = { restore: possibleKeys(trace(restoreRs, packet, node)), save: possibleKeys(trace(saveRs, packet, node)) };
    const keys = [...predicted.save.keys()];
    const expectsDrop = keys.includes('DROP');
    let count: number;
    if (probe.affinity) count = 6; // ClientIP affinity pins a client to one endpoint: no coverage to gain
    else if (keys.length > 0 && keys.every((k) => !k.startsWith('ACCEPT'))) count = expectsDrop ? 2 : 3;
    else count = attemptsForCoverage([...predicted.save.values()]);
    return { probe, src, predicted, count, timeoutMs: expectsDrop ? SHORT_TIMEOUT_MS : LONG_TIMEOUT_MS };
  });

  // One connector run per source, all sources at once.
  const attemptsBySource = await Promise.all(
    SOURCES.map(async (source) => {
      const mine = planned.filter((p) => p.probe.source === source);
      if (mine.length === 0) return { mine, attempts: [] as ConnectAttempt[] };
      const attempts = await connectMany(
        sourceNamespace(topo, source),
        mine.map((p) => ({ ip: p.probe.dst, port: p.probe.dport, count: p.count, timeoutMs: p.timeoutMs })),
        { sourceAddress: sourceAddress(topo, source), parallel: 24, deadlineMs: 90_000 },
      );
      return { mine, attempts };
    }),
  );
  const conntrack = indexConntrack(conntrackList(topo.nodeNs));
  const stats = conntrackStats(topo.nodeNs);
  const nodeAddresses = new Set(node.localAddresses);

  let connections = 0;
  let matched = 0;
  const byVerdict: Record<string, number> = {};
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
      const where = `${p.source} ${a.src} -> ${p.dst}:${p.dport} (${p.service} ${p.entry})`;
      connections++;
      const k = kernelOutcome(a, conntrack, nodeAddresses);
      if ('error' in k) {
        errors.push(`${rut.name}: ${where} sport ${a.sport}: ${k.error}`);
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
      for (const form of ['restore', 'save'] as const) {
        const keys = plan.predicted[form];
        if (keys.has(key)) continue;
        ok = false;
        const msg = `${rut.name}: ${where}: kernel ${key} (${k.evidence}) is not a tracer outcome of the ${form} form: ${describeKeys(keys)}`;
        mismatchCounts.set(msg, (mismatchCounts.get(msg) ?? 0) + 1);
      }
      if (ok) matched++;
    }
    mine.forEach((plan, i) => {
      if (plan.probe.affinity) return;
      const missing = [...plan.predicted.save.keys()].filter((key) => !seenPerProbe[i]!.has(key));
      if (missing.length === 0) return;
      const p = plan.probe;
      uncovered.push(
        `${rut.name}: ${p.source} ${plan.src} -> ${p.dst}:${p.dport} (${p.service} ${p.entry}): predicted ${missing.join(', ')} never seen in ${plan.count} connections (seen: ${[...seenPerProbe[i]!].join(', ') || 'nothing'})`,
      );
    });
  }
  const mismatches = [...mismatchCounts].map(([m, n]) => (n > 1 ? `${m} [x${n}]` : m));

  // nat sees only a connection's first packet: each endpoint's DNAT rule must have counted
  // exactly the connections conntrack shows DNATed to it through that service.
  const after = buildKubeModel(parseCleanly(saveRuleset(topo.nodeNs), `${rut.name} (iptables-save -c after the connections)`));
  const counterMismatches: string[] = [];
  let dnatPackets = 0;
  for (const s of after.services) {
    for (const e of s.endpoints) {
      const expected = dnatsPerEndpoint.get(`${s.id}|${e.address}`) ?? 0;
      dnatPackets += e.packets ?? 0;
      if (e.packets !== expected) {
        counterMismatches.push(`${rut.name}: ${s.id} endpoint ${e.address} (${e.chain}): model reads ${e.packets} packets, conntrack saw ${expected} connections`);
      }
    }
  }
  return {
    name: rut.name,
    probes: probes.length,
    connections,
    matched,
    byVerdict,
    endpointsSeen: endpointsSeen.size,
    mismatches,
    uncovered,
    errors,
    counterMismatches,
    dnatPackets,
    dnatConnections: [...dnatsPerEndpoint.values()].reduce((a, b) => a + b, 0),
    conntrackLost: (stats.insert_failed ?? 0) + (stats.drop ?? 0),
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
