/**
 * The tracer against the kernel. Each ruleset is loaded into the node namespace; real TCP
 * connections, UDP exchanges (a datagram and the endpoint's answer) and SCTP INITs (raw
 * sockets, see sctp-init.pl) from an external client (inside and outside
 * loadBalancerSourceRanges), from the node itself and from a pod go to every TCP, UDP and SCTP
 * service entry; what conntrack and the client saw
 * must be one of tracePacket's outcomes (same verdict, DNAT and masquerade), and every outcome
 * the tracer predicts must show up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracePacket } from '../../src/core/trace/index.js';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { generateKubeProxyRules, randomClusterSpec, type ClusterSpec } from '../../src/gen/kubeproxy.js';
import { fixturesDir } from '../helpers/paths.js';
import { CLUSTER_CIDR, NODE_IP, NODE_POD_CIDR, SERVICE_CIDR, kernelClusterSpec } from './specs.js';
import { Topology, kernelGate } from './netns.js';
import {
  dnatTargets,
  podClientAddressIn,
  runAgainstKernel,
  type RulesetUnderTest,
  type RunReport,
  type TraceFn,
} from './scenario.js';

const trace: TraceFn = (ruleset, packet, node) => tracePacket(ruleset, packet, node).outcomes;

interface NodeInfo {
  nodeIPs: string[];
  podCIDRs: string[];
}

/** fixtures/NAME.save with its node from fixtures/nodes.json mapped onto the node namespace. */
function fixtureRulesets(files: readonly string[]): RulesetUnderTest[] {
  const nodes = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'nodes.json'), 'utf8')) as Record<string, NodeInfo>;
  return files.map((file) => {
      const info = nodes[file];
      if (!info) throw new Error(`fixtures/nodes.json has no entry for ${file}`);
      const text = fs.readFileSync(path.join(fixturesDir, file), 'utf8');
      const endpointIPs = dnatTargets(parseIptablesSave(text)).map((e) => e.ip);
      return {
        name: file,
        restoreText: text,
        nodeIPs: info.nodeIPs,
        podClientAddress: podClientAddressIn(info.podCIDRs[0]!, endpointIPs),
      };
  });
}

const seedFiles = () => fs.readdirSync(fixturesDir).filter((f) => /^seed-.*\.save$/.test(f)).sort();

function summary(r: RunReport): string {
  return `${r.name}: ${r.probes} probes, ${r.connections} connections ${JSON.stringify(r.byKind)}, ${r.matched} matched, verdicts ${JSON.stringify(r.byVerdict)}, ${r.endpointsSeen} endpoints seen, ${r.dnatPackets} DNAT packets counted, conntrack lost ${r.conntrackLost}`;
}

function expectAgreement(r: RunReport): void {
  console.log(summary(r));
  expect(r.errors, 'connections the harness could not classify').toEqual([]);
  expect(r.mismatches, 'kernel results the tracer did not predict').toEqual([]);
  expect(r.uncovered, 'tracer outcomes the kernel never produced').toEqual([]);
  expect(r.connections).toBeGreaterThan(0);
  expect(r.matched).toBe(r.connections);
  expect(r.counterMismatches, 'DNAT counters the model reads vs connections conntrack saw').toEqual([]);
  expect(r.dnatConnections).toBeGreaterThan(0);
  expect(r.dnatPackets - r.dnatRecounts, 'DNAT packets the model counts over all endpoints, less SYNs NATed again').toBe(r.dnatConnections);
}

const gate = kernelGate();

describe.skipIf(gate.skip)(gate.title('tracer vs kernel: seed fixtures'), () => {
  let topo: Topology;
  const seeds = fixtureRulesets(seedFiles());

  beforeAll(() => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'tk' });
  });
  afterAll(() => topo?.destroy());

  it('has the four seed fixtures', () => {
    expect(seeds.map((s) => s.name)).toEqual([
      'seed-clusterip.save',
      'seed-nodeport-cluster.save',
      'seed-nodeport-local-other.save',
      'seed-nodeport-local-worker02.save',
    ]);
  });

  it.each(seeds.map((s) => [s.name, s] as const))('%s', async (_name, rut) => {
    const report = await runAgainstKernel(topo, rut, trace);
    expectAgreement(report);
    if (rut.name === 'seed-nodeport-local-other.save') {
      // The Local node port on a node without the pod drops external clients.
      expect(report.byVerdict.DROP ?? 0).toBeGreaterThan(0);
    }
  }, 120_000);
});

function generated(name: string, spec: ClusterSpec, layout: 'current' | 'legacy', podClientAddress: string): RulesetUnderTest {
  return {
    name,
    restoreText: generateKubeProxyRules(spec, { layout, form: 'restore' }),
    nodeIPs: spec.nodeIPs,
    podClientAddress,
  };
}

describe.skipIf(gate.skip)(gate.title('tracer vs kernel: other fixtures'), () => {
  let topo: Topology;
  // These fixtures' loadBalancerSourceRanges include 198.51.100.0/24: the first client is inside.
  const clientAddresses = ['198.51.100.7', '172.16.9.152'];
  const rulesets = fixtureRulesets([
    'multi-endpoint.save',
    'session-affinity.save',
    'loadbalancer-source-ranges.save',
    'old-layout.save',
  ]);

  beforeAll(() => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'tf', clientAddresses });
  });
  afterAll(() => topo?.destroy());

  it.each(rulesets.map((r) => [r.name, r] as const))('%s', async (_name, rut) => {
    const report = await runAgainstKernel(topo, rut, trace);
    expectAgreement(report);
  }, 120_000);
});

describe.skipIf(gate.skip)(gate.title('tracer vs kernel: generated kube-proxy rulesets'), () => {
  let topo: Topology;
  const spec = kernelClusterSpec();
  const rulesets = (['current', 'legacy'] as const).map((layout) =>
    generated(`${spec.services.length} hand-picked services, ${layout} layout`, spec, layout, '10.64.2.250'),
  );

  beforeAll(() => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'tg' });
  });
  afterAll(() => topo?.destroy());

  it.each(rulesets.map((r) => [r.name, r] as const))('%s', async (_name, rut) => {
    expect(spec.services.length).toBeGreaterThanOrEqual(20);
    const report = await runAgainstKernel(topo, rut, trace);
    expectAgreement(report);
    // The spec has services without endpoints (REJECT) and Local policies without local ones (DROP).
    expect(report.byVerdict.REJECT ?? 0).toBeGreaterThan(0);
    expect(report.byVerdict.DROP ?? 0).toBeGreaterThan(0);
    // kc/dns has a UDP port: its datagrams are compared too.
    expect(report.byKind['ipv4/udp'] ?? 0).toBeGreaterThan(0);
    // kc/sctp's INITs reached endpoints (their protocol unreachable came back) and kc/sctp-empty's were rejected.
    expect(report.clientResults['ipv4/sctp connected'] ?? 0).toBeGreaterThan(0);
    expect(report.clientResults['ipv4/sctp refused'] ?? 0).toBeGreaterThan(0);
  }, 150_000);
});

describe.skipIf(gate.skip)(gate.title('tracer vs kernel: random kube-proxy rulesets'), () => {
  let topo: Topology;
  // randomClusterSpec draws loadBalancerSourceRanges from fixed documentation ranges: the first
  // client sits in 203.0.113.0/25, the second in none of them.
  const clientAddresses = ['203.0.113.7', '172.16.9.152'];
  const random = (seed: number) =>
    randomClusterSpec({
      seed,
      services: 30,
      maxEndpointsPerService: 5,
      serviceCIDR: SERVICE_CIDR,
      podCIDR: CLUSTER_CIDR,
      nodePodCIDR: NODE_POD_CIDR,
      nodeIP: NODE_IP,
      apiserverIP: '10.64.9.1',
      nodes: 3,
      loadBalancerCIDR: '10.33.0.0/24',
      externalIPCIDR: '10.34.0.0/24',
      clusterCIDR: CLUSTER_CIDR,
    });
  const rulesets = [
    generated('random cluster (seed 1), current layout', random(1), 'current', '10.64.2.250'),
    generated('random cluster (seed 2), legacy layout', random(2), 'legacy', '10.64.2.250'),
  ];

  beforeAll(() => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'tr', clientAddresses });
  });
  afterAll(() => topo?.destroy());

  it.each(rulesets.map((r) => [r.name, r] as const))('%s', async (_name, rut) => {
    const report = await runAgainstKernel(topo, rut, trace);
    expectAgreement(report);
  }, 150_000);
});
