/**
 * Proof of `kubechains nodes` on real rules: each node is a network namespace with its own
 * generated kube-proxy ruleset loaded by the kernel (iptables-restore, and nft -f for the
 * nftables node), read back with `ip netns exec {node} iptables-save -c` (nft -j list ruleset for
 * the nftables node). One node is stale (an extra endpoint), one lacks a service, one's command
 * fails (its namespace does not exist), one hangs past --timeout (the test's command maps its name
 * to a sleep). The built bin's `nodes --json` must show exactly that, and so must the Nodes screen
 * rendered over the same reads (and the stale node opened from it, with the diverging services marked). Needs root, iptables and nft:
 * skipped outside CI when they are missing, never under CI=true.
 */
import { createElement } from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNodesReport } from '../../src/cli/commands/nodes.js';
import { DEFAULT_PARALLEL } from '../../src/cli/nodes-args.js';
import { readNodeSnapshot } from '../../src/sources/nodes.js';
import { NodesExplorer } from '../../src/tui/nodes/NodesExplorer.js';
import { builtMain, runProcess } from '../cli/harness.js';
import { KEY, lines, renderElement } from '../tui/harness.js';
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

  const command = `case {node} in *-ndhang) sleep 300 ;; *-ndnft*) ip netns exec {node} nft -j list ruleset ;; *) ip netns exec {node} iptables-save -c ;; esac`;

  it('nodes --json shows the stale node, the missing service, the failed and the timed-out node', async () => {
    const cmd = command;
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

  it('the Nodes screen shows the same, and a node opened from it shows its own rules with the diverging services marked', async () => {
    const options = { names: [names.good!, names.stale!, names.lacking!, gone, hang], commandTemplate: command, kubectl: false, context: null, parallel: DEFAULT_PARALLEL, timeoutSeconds: 3 };
    const report = await readNodesReport(options, { env: process.env }, false);
    const load = (name: string) => readNodeSnapshot(report.targets.find((t) => t.name === name)!, { timeoutMs: 3000 });
    const r = await renderElement(createElement(NodesExplorer, { launch: { nodes: report.nodes, services: report.services, load }, color: false, ascii: true }));
    try {
      const f = lines(r.frame());
      expect(f[1]).toBe('5 nodes | 3 read | 2 of 3 services diverge');
      expect(f[3]).toMatch(new RegExp(`^> ${names.good}\\s+ok\\s+iptables\\s+3\\s+0$`));
      expect(f[4]).toMatch(new RegExp(`^  ${names.stale}\\s+ok\\s+iptables\\s+3\\s+1$`));
      expect(f[5]).toMatch(new RegExp(`^  ${names.lacking}\\s+ok\\s+iptables\\s+2\\s+1$`));
      expect(f[6]).toMatch(new RegExp(`^ !${gone}\\s+error\\s+-\\s+-\\s+-$`));
      expect(f[7]).toMatch(new RegExp(`^ !${hang}\\s+error\\s+-\\s+-\\s+-$`));
      await r.press('G');
      expect(r.frame()).toContain(`${hang} | error: timed out after 3 s (killed)`);
      await r.press('g', 'j', KEY.enter);
      const opened = lines(await r.waitFor((x) => x.includes(`node ${names.stale}`), 'the stale node opened'));
      expect(opened[0]).toMatch(new RegExp(`^node ${names.stale} > Services`));
      expect(opened.find((l) => /^[> ] /.test(l) && l.includes(WEB.id))).toMatch(/^[> ] != shop\/web:http/);
      expect(opened.find((l) => /^[> ] /.test(l) && l.includes(DB.id))).toMatch(/^[> ] != shop\/db/);
      expect(opened.find((l) => /^[> ] /.test(l) && l.includes('kube-dns'))).toMatch(/^[> ] {4}kube-s/);
    } finally {
      r.unmount();
    }
  });
});
