/** The Nodes screen and a node made current, at 80x24 in ASCII (LANG=C), over a fake node reader. */
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { compareNodes, parseDump, summarizeDump } from '../../src/core/index.js';
import type { NodeResult } from '../../src/sources/nodes.js';
import { SourceError, type Snapshot } from '../../src/sources/types.js';
import { NodesExplorer, type NodesLaunch } from '../../src/tui/nodes/NodesExplorer.js';
import { unicodeWanted } from '../../src/tui/theme.js';
import { DB, nodeIptablesDump, WEB, type NodeKind } from '../helpers/nodes-cluster.js';
import { KEY, lines, renderElement } from './harness.js';

const KINDS: Record<string, NodeKind> = { 'node-a': 'good', 'node-b': 'stale', 'node-c': 'lacking', 'node-d': 'good' };

function snapshotOf(name: string): Snapshot {
  const text = nodeIptablesDump(KINDS[name]!);
  const dump = parseDump(text);
  return { text, ruleset: dump.ruleset, nft: dump.nft, origin: `fake read ${name}`, takenAt: new Date(0), nodeAddresses: [] };
}

function fakeLaunch(): NodesLaunch & { loads: string[] } {
  const ok = (name: string): NodeResult => ({ name, pod: null, ok: true, error: null, summary: summarizeDump(parseDump(nodeIptablesDump(KINDS[name]!))), command: `read ${name}` });
  const nodes: NodeResult[] = [ok('node-a'), ok('node-b'), ok('node-c'), { name: 'node-x', pod: null, ok: false, error: 'timed out after 30 s (killed)', summary: null, command: null }];
  const loads: string[] = [];
  return {
    nodes,
    services: compareNodes(nodes),
    loads,
    load(name) {
      loads.push(name);
      return KINDS[name] ? Promise.resolve(snapshotOf(name)) : Promise.reject(new SourceError(`--source-cmd failed`, 'exited with status 1: no route to host'));
    },
  };
}

let unmount: (() => void) | null = null;
afterEach(() => unmount?.());

async function renderNodes(launch: NodesLaunch) {
  // As the explorer decides it: LANG=C is not UTF-8, so ASCII only.
  const ascii = !unicodeWanted({ LANG: 'C' });
  const r = await renderElement(<NodesExplorer launch={launch} color={false} ascii={ascii} />);
  unmount = r.unmount;
  return r;
}

describe('Nodes screen', () => {
  it('lists each node with status, mode, services and how many diverge; the error in the detail pane', async () => {
    const r = await renderNodes(fakeLaunch());
    const f = lines(r.frame());
    expect(f.length).toBeLessThanOrEqual(24);
    expect(f.every((l) => l.length <= 80)).toBe(true);
    expect(f[0]).toBe('Nodes');
    // ASCII: the separators are "|".
    expect(f[1]).toBe('4 nodes | 3 read | 2 of 3 services diverge');
    expect(f[2]).toMatch(/^ {2}NODE\s+STATUS\s+MODE\s+SVCS\s+DIFF$/);
    expect(f[3]).toMatch(/^> node-a\s+ok\s+iptables\s+3\s+0$/);
    expect(f[4]).toMatch(/^ {2}node-b\s+ok\s+iptables\s+3\s+1$/);
    expect(f[5]).toMatch(/^ {2}node-c\s+ok\s+iptables\s+2\s+1$/);
    expect(f[6]).toMatch(/^ !node-x\s+error\s+-\s+-\s+-$/);
    expect(r.frame()).toContain('node-a | 3 services | agrees with the other nodes');
    await r.press('j');
    expect(r.frame()).toContain(`node-b | 3 services | differs on ${WEB.id}`);
    await r.press('G');
    expect(r.frame()).toContain('node-x | error: timed out after 30 s (killed)');
  });

  it('Enter reads the node and every screen shows it; the services list marks what diverges; N goes back', async () => {
    const launch = fakeLaunch();
    const r = await renderNodes(launch);
    await r.press('j', 'j', KEY.enter);
    const frame = await r.waitFor((f) => f.includes('node node-c'), 'node-c current');
    expect(launch.loads).toEqual(['node-c']);
    const f = lines(frame);
    expect(f[0]).toMatch(/^node node-c > Services/);
    expect(f.every((l) => l.length <= 80)).toBe(true);
    // node-c lacks DB: it shows only WEB (diverging: "!=") and DNS.
    const row = (id: string) => f.find((l) => l.includes(id) && !l.includes(' sort '))!;
    const webRow = row(WEB.id);
    expect(webRow).toMatch(/^[> ] != shop\/web:http/);
    const dnsRow = row('kube-dns');
    expect(dnsRow).toMatch(/^[> ] {4}kube-sys/);
    expect(f.some((l) => l.includes(DB.id))).toBe(false);
    // The detail pane of the selected (first, by id) service says which nodes differ.
    await r.press('/', 'web', KEY.enter, KEY.esc);
    await r.waitFor((x) => x.includes('differs across nodes'), 'detail');
    expect(r.frame()).toContain('differs across nodes: node-b has 3 endpoints, 2 others have 2');
    await r.press('N');
    await r.waitFor((x) => lines(x)[0] === 'Nodes', 'back on Nodes');
    expect(lines(r.frame())[5]).toMatch(/^> node-c/);
  });

  it('a node that cannot be read says why and stays on the Nodes screen', async () => {
    const r = await renderNodes(fakeLaunch());
    await r.press('G', KEY.enter);
    const frame = await r.waitFor((f) => f.includes('no route to host'), 'the error');
    expect(frame).toContain('node-x: exited with status 1: no route to host');
    expect(lines(frame)[0]).toBe('Nodes');
  });
});
