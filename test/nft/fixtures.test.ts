/**
 * The bundled nftables fixtures (fixtures/nftables/NAME.nft and NAME.json): each is what the
 * kernel listed after kube-proxy's nftables transaction for an iptables fixture's node
 * (fixtures/src/NAME.nft, generated from fixtures/NAME.save) was loaded with `nft -f`. So each
 * seed flow exists in both modes, and the two modes must tell the same story: the same services
 * and endpoints, and the same outcome for every entry point of every service.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildDumpModel,
  buildKubeModel,
  parseDump,
  parseIptablesSave,
  planEntryProbes,
  traceDump,
  tracePacket,
  type Outcome,
  type ServicePort,
} from '../../src/core/index.js';
import { nftablesTwin, type FixtureNode } from '../../src/gen/spec-from-model.js';
import { fixturesDir } from '../helpers/paths.js';
import { inNs } from '../kernel/exec.js';
import { ScratchNamespace, kernelGate } from '../kernel/netns.js';
import { canonical } from './canonical.js';

const NAMES = [
  'seed-clusterip',
  'seed-nodeport-cluster',
  'seed-nodeport-local-worker02',
  'seed-nodeport-local-other',
  'multi-endpoint',
  'session-affinity',
  'loadbalancer-source-ranges',
  'dual-stack',
];
const nodes = JSON.parse(readFileSync(path.join(fixturesDir, 'nodes.json'), 'utf8')) as Record<string, FixtureNode & { clientIP?: string }>;
const read = (...p: string[]) => readFileSync(path.join(fixturesDir, ...p), 'utf8');

function parsedNft(file: string) {
  const dump = parseDump(read('nftables', file));
  expect(dump.nft, file).not.toBeNull();
  expect(dump.nft!.diagnostics, file).toEqual([]);
  return dump;
}

/** The contract fields both modes must agree on (chain names differ by mode; nft dumps carry no counters). */
function serviceFacts(s: ServicePort) {
  return {
    id: s.id,
    family: s.family,
    protocol: s.protocol,
    clusterIP: s.clusterIP,
    port: s.port,
    nodePort: s.nodePort,
    externalIPs: [...s.externalIPs].sort(),
    loadBalancerIPs: [...s.loadBalancerIPs].sort(),
    loadBalancerSourceRanges: [...s.loadBalancerSourceRanges].sort(),
    externalTrafficPolicy: s.externalTrafficPolicy,
    internalTrafficPolicy: s.internalTrafficPolicy,
    sessionAffinitySeconds: s.sessionAffinitySeconds,
    endpoints: s.endpoints.map((e) => `${e.address} ${e.probability.toFixed(6)} ${e.local}`).sort(),
  };
}

/** An outcome as both modes can state it: the packet's fate, not the chains it took. */
function fate(o: Outcome): string {
  return `${o.verdict} ${o.dnat ?? '-'} masq=${o.masquerade} p=${o.probability.toFixed(6)} case=${o.case.length}`;
}

describe('nftables fixtures', () => {
  it.each(NAMES)('%s: the transaction is the generator\'s, for the node the iptables fixture shows', (name) => {
    expect(read('src', `${name}.nft`)).toBe(nftablesTwin(read(`${name}.save`), nodes[`${name}.save`]!));
  });

  // (The kernel lists anonymous sets sorted, so the listings are compared with each other; that
  // they are what the transaction loads into is the kernel test below.)
  it.each(NAMES)('%s: the listed text and JSON read the same', (name) => {
    const text = parsedNft(`${name}.nft`).nft!;
    const json = parsedNft(`${name}.json`).nft!;
    const options = { handles: false, objectComments: false };
    expect(canonical(text, options)).toEqual(canonical(json, options));
    expect(text.form).toBe('text');
    expect(json.form).toBe('json');
  });

  it.each(NAMES)('%s: the same services and endpoints as in iptables mode', (name) => {
    const iptables = buildKubeModel(parseIptablesSave(read(`${name}.save`)));
    for (const file of [`${name}.nft`, `${name}.json`]) {
      const nft = buildDumpModel(parsedNft(file));
      expect(nft.services.every((s) => s.mode === 'nftables'), file).toBe(true);
      expect(nft.services.map(serviceFacts), file).toEqual(iptables.services.map(serviceFacts));
    }
  });

  it.each(NAMES)('%s: every entry point of every service has the same fates in both modes', (name) => {
    const node = nodes[`${name}.save`]!;
    const iptables = parseIptablesSave(read(`${name}.save`));
    const model = buildKubeModel(iptables);
    const nft = parsedNft(`${name}.json`);
    let probes = 0;
    for (const service of model.services) {
      for (const probe of planEntryProbes(service, { nodeAddresses: node.nodeIPs, client: node.clientIP ?? null }).probes) {
        // nftables mode serves node ports on the node's primary addresses only, never on 127.0.0.1 (nftables.md §8).
        if (probe.packet.dst.startsWith('127.')) continue;
        const before = tracePacket(iptables, probe.packet, probe.node).outcomes.map(fate).sort();
        const after = traceDump(nft, probe.packet, probe.node).outcomes.map(fate).sort();
        expect(after, `${name} ${service.id} ${probe.kind} ${probe.packet.src} -> ${probe.packet.dst}:${probe.packet.dport}`).toEqual(before);
        probes++;
      }
    }
    expect(probes).toBeGreaterThan(0);
  });
});

const gate = kernelGate();
const nftMissing = (() => {
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return null;
  } catch {
    return 'needs nft (apt-get install nftables)';
  }
})();
const why = gate.reason ?? nftMissing;
const skip = why !== null && process.env.CI !== 'true';

describe.skipIf(skip)(skip ? `nftables fixtures are the kernel's listings (skipped outside CI: ${why})` : "nftables fixtures are the kernel's listings", () => {
  it.each(NAMES)('%s: nft -f the transaction in a fresh namespace lists exactly the committed text and JSON', (name) => {
    if (why !== null) throw new Error(`real-kernel tests cannot run: ${why}`);
    const ns = ScratchNamespace.create('fixnft');
    try {
      inNs(ns.name, 'nft', ['-f', path.join(fixturesDir, 'src', `${name}.nft`)]);
      expect(inNs(ns.name, 'nft', ['list', 'ruleset'])).toBe(read('nftables', `${name}.nft`));
      expect(inNs(ns.name, 'nft', ['-j', 'list', 'ruleset'])).toBe(read('nftables', `${name}.json`));
    } finally {
      ns.destroy();
    }
  });
});
