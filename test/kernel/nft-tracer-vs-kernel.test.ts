/**
 * nftables mode against the kernel. The iptables suite's cluster (kernelClusterSpec, and its
 * IPv6 twin on a dual-stack node) goes through our nftables generator into the node namespace
 * (`nft -f`); real TCP connections, UDP exchanges and SCTP INITs from an external client (inside
 * and outside loadBalancerSourceRanges), the node and a pod go to every service entry, to a
 * ClusterIP port no service serves and to an unallocated service-CIDR address. Each connection's
 * fate, as conntrack and the client saw it, must be among the outcomes predicted for it by the
 * cluster spec (nftables.md §4), and every predicted outcome must show up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../src/gen/kubeproxy.js';
import { kernelClusterSpec, toIPv6Spec } from './specs.js';
import { NFT_TOOL, Topology, kernelGate } from './netns.js';
import { expectedNftOutcomes } from './nft-expected.js';
import {
  installNftRuleset,
  probeKindTable,
  runNftAgainstKernel,
  type NftClusterUnderTest,
  type NftRunReport,
} from './nft-scenario.js';

const gate = kernelGate([NFT_TOOL]);

function summary(r: NftRunReport): string {
  return `${r.name}: ${r.probes} probes, ${r.connections} connections ${JSON.stringify(r.byKind)}, ${r.matched} matched, verdicts ${JSON.stringify(r.byVerdict)}, client results ${JSON.stringify(r.clientResults)}, ${r.endpointsSeen} endpoints seen, conntrack lost ${r.conntrackLost}\n${probeKindTable(r)}`;
}

function expectAgreement(r: NftRunReport): void {
  console.log(summary(r));
  expect(r.errors, 'connections the harness could not classify').toEqual([]);
  expect(r.mismatches, 'kernel results not predicted').toEqual([]);
  expect(r.uncovered, 'predicted outcomes the kernel never produced').toEqual([]);
  expect(r.endpointsNeverSeen, 'endpoints no connection reached').toEqual([]);
  expect(r.connections).toBeGreaterThan(0);
  expect(r.matched).toBe(r.connections);
  // Every probe kind the brief names was exercised.
  for (const kind of [
    'ClusterIP',
    'NodePort',
    'external IP',
    'LB IP',
    'LB source range inside',
    'LB source range outside',
    'policy Cluster',
    'policy Local, local endpoints',
    'policy Local, no local endpoints',
    'affinity',
    'no endpoints',
    'unserved ClusterIP port',
    'unallocated service-CIDR address',
    'from client',
    'from client-outside',
    'from node',
    'from pod',
  ]) {
    expect(r.byProbeKind[kind]?.connections ?? 0, kind).toBeGreaterThan(0);
  }
}

describe.skipIf(gate.skip)(gate.title('nftables mode vs kernel: generated kube-proxy rulesets'), () => {
  let topo: Topology;
  const spec4: ClusterSpec = kernelClusterSpec();
  const spec6: ClusterSpec = toIPv6Spec(spec4);
  const clusters: NftClusterUnderTest[] = [
    { name: `${spec4.services.length} hand-picked services, IPv4`, specs: [spec4], podClientAddress: '10.64.2.250' },
    {
      name: `${spec4.services.length} hand-picked services, dual-stack (ip and ip6 tables)`,
      specs: [spec4, spec6],
      podClientAddress: '10.64.2.250',
      podClientAddress6: 'fd00:10:64:2::250',
    },
  ];

  beforeAll(() => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'nk', ipv6: true });
  });
  afterAll(() => topo?.destroy());

  it.each(clusters.map((c) => [c.name, c] as const))('%s', async (_name, cut) => {
    const installed = await installNftRuleset(topo, cut);
    // The kernel took every table we loaded.
    for (const spec of cut.specs) {
      expect(installed.listing.text).toContain(`table ${spec.ipFamily === 'ipv6' ? 'ip6' : 'ip'} kube-proxy {`);
    }
    const report = await runNftAgainstKernel(
      topo,
      cut,
      installed,
      (packet, probe) => ({ spec: expectedNftOutcomes(cut.specs, probe, packet.src) }),
      'spec',
    );
    expectAgreement(report);
    expect(report.byVerdict.REJECT ?? 0).toBeGreaterThan(0);
    expect(report.byVerdict.DROP ?? 0).toBeGreaterThan(0);
    expect(report.byKind['ipv4/udp'] ?? 0).toBeGreaterThan(0);
    expect(report.clientResults['ipv4/sctp connected'] ?? 0).toBeGreaterThan(0);
    if (cut.specs.length > 1) expect(report.byKind['ipv6/tcp'] ?? 0).toBeGreaterThan(0);
  }, 240_000);
});
