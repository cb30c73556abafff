/**
 * nftables mode against the kernel. The iptables suite's cluster (kernelClusterSpec, and its
 * IPv6 twin on a dual-stack node) goes through our nftables generator into the node namespace
 * (`nft -f`); real TCP connections, UDP exchanges and SCTP INITs from an external client (inside
 * and outside loadBalancerSourceRanges), the node and a pod go to every service entry, to a
 * ClusterIP port no service serves and to an unallocated service-CIDR address. The kernel's own
 * `nft list ruleset` and `nft -j list ruleset` are read back and traced; each connection's fate,
 * as conntrack and the client saw it, must be among traceNftPacket's outcomes in BOTH forms (and
 * among those the cluster spec gives by nftables.md §4), every predicted outcome must show up,
 * and the two forms' `trace --json` must be identical but for line numbers (and handles, which
 * the plain listing does not show); so must the whole trace (every path step, map element and
 * handle) of `nft -a list ruleset` and the JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomClusterSpec, type ClusterSpec } from '../../src/gen/kubeproxy.js';
import { parseNftables, traceNftPacket, type NftRuleset } from '../../src/core/nft/index.js';
import { traceJson } from '../../src/cli/json.js';
import { possibleKeys } from './compare.js';
import { CLUSTER_CIDR, NODE_IP, NODE_POD_CIDR, SERVICE_CIDR, kernelClusterSpec, toIPv6Spec } from './specs.js';
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

/** A JSON value with every `line` field (and the other `drop` fields) removed: the two forms put a rule on different lines. */
function withoutLines(v: unknown, drop: readonly string[] = ['line']): unknown {
  if (Array.isArray(v)) return v.map((x) => withoutLines(x, drop));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => !drop.includes(k)).map(([k, x]) => [k, withoutLines(x, drop)]));
  }
  return v;
}

/** `nft list ruleset` without -a shows no handles: trace --json says null there, the JSON form's numbers. */
const LINES_AND_HANDLES = ['line', 'handle'];

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
}

/** Every probe kind issue 13 names was exercised. */
function expectEveryKind(r: NftRunReport): void {
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

/**
 * Load the cluster, read the kernel's listings back in both forms, trace every probe in both and
 * dial it: the kernel's fates must agree with both forms and with the spec, and the forms with
 * each other.
 */
async function agreeWithKernel(topo: Topology, cut: NftClusterUnderTest): Promise<NftRunReport> {
  const installed = await installNftRuleset(topo, cut);
  // The kernel took every table we loaded.
  for (const spec of cut.specs) {
    expect(installed.listing.text).toContain(`table ${spec.ipFamily === 'ipv6' ? 'ip6' : 'ip'} kube-proxy {`);
  }
  const forms: Record<'text' | 'json' | 'textHandles', NftRuleset> = {
    text: parseNftables(installed.listing.text),
    json: parseNftables(installed.listing.json),
    textHandles: parseNftables(installed.listing.textHandles),
  };
  expect(forms.text.form).toBe('text');
  expect(forms.json.form).toBe('json');
  expect(forms.textHandles.form).toBe('text');
  for (const [form, nft] of Object.entries(forms)) {
    expect(nft.diagnostics.filter((d) => d.severity === 'error'), `${form} form diagnostics`).toEqual([]);
  }
  let traced = 0;
  const formDifferences: string[] = [];
  const report = await runNftAgainstKernel(
    topo,
    cut,
    installed,
    (packet, probe) => {
      const text = traceNftPacket(forms.text, packet, installed.node);
      const json = traceNftPacket(forms.json, packet, installed.node);
      for (const r of [text, json]) if (r.error) throw new Error(`${probe.service}: ${r.error}`);
      traced++;
      const a = JSON.stringify(withoutLines(traceJson(text), LINES_AND_HANDLES));
      const b = JSON.stringify(withoutLines(traceJson(json), LINES_AND_HANDLES));
      if (a !== b) formDifferences.push(`${probe.source} ${packet.src} -> ${probe.dst}:${probe.dport} (${probe.service}):\n  text ${a}\n  json ${b}`);
      // Beyond the CLI's JSON: every step's element, comment, goto and handle (nft -a shows handles).
      const full = JSON.stringify(withoutLines(traceNftPacket(forms.textHandles, packet, installed.node)));
      const fullJson = JSON.stringify(withoutLines(json));
      if (full !== fullJson) formDifferences.push(`${probe.source} ${packet.src} -> ${probe.dst}:${probe.dport} (${probe.service}), whole trace:\n  nft -a ${full}\n  nft -j ${fullJson}`);
      return {
        text: possibleKeys(text.outcomes),
        json: possibleKeys(json.outcomes),
        spec: expectedNftOutcomes(cut.specs, probe, packet.src),
      };
    },
    'json',
  );
  console.log(`${cut.name}: ${traced} probes traced in both forms, ${formDifferences.length} differing (trace --json of nft list vs nft -j; whole trace of nft -a list vs nft -j; lines aside)`);
  expect(formDifferences.slice(0, 5), 'trace --json of nft list ruleset vs nft -j list ruleset').toEqual([]);
  expectAgreement(report);
  return report;
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
    const report = await agreeWithKernel(topo, cut);
    expect(report.byVerdict.REJECT ?? 0).toBeGreaterThan(0);
    expect(report.byVerdict.DROP ?? 0).toBeGreaterThan(0);
    expect(report.byKind['ipv4/udp'] ?? 0).toBeGreaterThan(0);
    expect(report.clientResults['ipv4/sctp connected'] ?? 0).toBeGreaterThan(0);
    if (cut.specs.length > 1) expect(report.byKind['ipv6/tcp'] ?? 0).toBeGreaterThan(0);
    expectEveryKind(report);
  }, 240_000);
});

describe.skipIf(gate.skip)(gate.title('nftables mode vs kernel: a random kube-proxy ruleset'), () => {
  let topo: Topology;
  // randomClusterSpec draws loadBalancerSourceRanges from documentation ranges: the first client
  // sits in 203.0.113.0/25, the second in none of them.
  const spec: ClusterSpec = {
    ...randomClusterSpec({
      seed: 3,
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
    }),
    serviceCIDRs: [SERVICE_CIDR],
  };

  beforeAll(() => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'nr', clientAddresses: ['203.0.113.7', '172.16.9.152'] });
  });
  afterAll(() => topo?.destroy());

  it('random cluster (seed 3), IPv4', async () => {
    const report = await agreeWithKernel(topo, { name: 'random cluster (seed 3), IPv4', specs: [spec], podClientAddress: '10.64.2.250' });
    expect(report.probes).toBeGreaterThan(100);
  }, 240_000);
});
