/**
 * Proof of `kubechains nodes` on real rules: each node is a network namespace with its own
 * generated kube-proxy ruleset loaded by the kernel (iptables-restore, and nft -f for the
 * nftables node), read back with `ip netns exec {node} iptables-save -c` (nft -j list ruleset for
 * the nftables node). One node is stale (an extra endpoint), one lacks a service, one's command
 * fails (its namespace does not exist), one hangs past --timeout (the test's command maps its name
 * to a sleep). The built bin's `nodes --json` must show exactly that. Needs root, iptables and nft:
 * skipped outside CI when they are missing, never under CI=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtMain, runProcess } from '../cli/harness.js';
import { DB, DNS, nodeIptablesDump, nodeNftablesRuleset, STALE_ENDPOINT, WEB, type NodeKind } from '../helpers/nodes-cluster.js';
import { NFT_TOOL, ScratchNamespace, kernelGate, loadRuleset } from './netns.js';
import { nftLoad } from './nft-scenario.js';

const gate = kernelGate([NFT_TOOL]);

describe.skipIf(gate.skip)(gate.title('kubechains nodes over network namespaces'), () => {
  const namespaces: ScratchNamespace[] = [];
  const names: Record<string, string> = {};
  // Names no namespace has: `ip netns exec` fails for the first, the command sleeps for the second.
  const gone = `kc-${process.pid}-ndgone`;
  const hang = `kc-${process.pid}-ndhang`;

  beforeAll(() => {
    gate.assertAvailable();
    expect(builtMain).toMatch(/main\.js$/);
    const iptablesNodes: [string, NodeKind][] = [
      ['good', 'good'],
      ['good2', 'good'],
      ['stale', 'stale'],
      ['lacking', 'lacking'],
    ];
    for (const [role, kind] of iptablesNodes) {
      const ns = ScratchNamespace.create('nd');
      namespaces.push(ns);
      loadRuleset(ns.name, nodeIptablesDump(kind), { counters: true });
      names[role] = ns.name;
    }
    const nft = ScratchNamespace.create('ndnft');
    namespaces.push(nft);
    nftLoad(nft.name, nodeNftablesRuleset('good'));
    names.nft = nft.name;
  });
  afterAll(() => {
    for (const ns of namespaces) ns.destroy();
  });

  it('nodes --json shows the stale node, the missing service, the failed and the timed-out node', async () => {
    const cmd = `case {node} in *-ndhang) sleep 300 ;; *-ndnft*) ip netns exec {node} nft -j list ruleset ;; *) ip netns exec {node} iptables-save -c ;; esac`;
    const order = [names.good!, names.nft!, names.stale!, names.lacking!, gone, hang, names.good2!];
    const r = await runProcess(['nodes', ...order, '--source-cmd', cmd, '--timeout', '3', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    const ok = (name: string, services: number, mode: string) => ({ name, ok: true, error: null, services, mode });
    expect(json.nodes).toEqual([
      ok(names.good!, 3, 'iptables'),
      ok(names.nft!, 3, 'nftables'),
      ok(names.stale!, 3, 'iptables'),
      ok(names.lacking!, 2, 'iptables'),
      { name: gone, ok: false, error: expect.stringMatching(/^exited with status \d+: Cannot open network namespace "kc-\d+-ndgone"/), services: null, mode: null },
      { name: hang, ok: false, error: 'timed out after 3 s (killed)', services: null, mode: null },
      ok(names.good2!, 3, 'iptables'),
    ]);
    const read = [names.good!, names.nft!, names.stale!, names.lacking!, names.good2!];
    const each = (f: (node: string) => unknown) => Object.fromEntries(read.map((n) => [n, f(n)]));
    const web = [...WEB.endpoints].sort();
    expect(json.services).toEqual([
      { id: DB.id, diverges: true, nodes: each((n) => (n === names.lacking ? null : { endpoints: DB.endpoints })) },
      { id: WEB.id, diverges: true, nodes: each((n) => ({ endpoints: n === names.stale ? [...web, STALE_ENDPOINT].sort() : web })) },
      { id: DNS.id, diverges: false, nodes: each(() => ({ endpoints: DNS.endpoints })) },
    ]);
  });
});
