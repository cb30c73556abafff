import { describe, expect, it } from 'vitest';
import { compareNodes, differingNodes, divergingOn, parseDump, summarizeDump, type NodeRead } from '../../src/core/index.js';
import { DB, DNS, nodeIptablesDump, nodeNftablesRuleset, STALE_ENDPOINT, WEB } from '../helpers/nodes-cluster.js';

const summary = (text: string) => summarizeDump(parseDump(text));

describe('node summaries', () => {
  it('keeps each service id with its sorted endpoints and the mode', () => {
    const s = summary(nodeIptablesDump('good'));
    expect(s.mode).toBe('iptables');
    expect([...s.services.keys()]).toEqual([DNS.id, DB.id, WEB.id].sort());
    expect(s.services.get(WEB.id)).toEqual([...WEB.endpoints].sort());
    expect(s.services.get(DB.id)).toEqual(DB.endpoints);
  });

  it('reads an nftables ruleset alike', () => {
    const s = summary(nodeNftablesRuleset('good'));
    expect(s.mode).toBe('nftables');
    expect(s.services).toEqual(summary(nodeIptablesDump('good')).services);
  });

  it('says null for a dump without kube-proxy rules', () => {
    const s = summary('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(s.mode).toBeNull();
    expect(s.services.size).toBe(0);
  });
});

describe('compareNodes', () => {
  const reads: NodeRead[] = [
    { name: 'a', summary: summary(nodeIptablesDump('good')) },
    { name: 'b', summary: summary(nodeNftablesRuleset('good')) },
    { name: 'stale', summary: summary(nodeIptablesDump('stale')) },
    { name: 'lacking', summary: summary(nodeIptablesDump('lacking')) },
    { name: 'down', summary: null },
  ];
  const rows = compareNodes(reads);
  const row = (id: string) => rows.find((r) => r.id === id)!;

  it('marks the services whose endpoint sets differ, diverging first', () => {
    expect(rows.map((r) => [r.id, r.diverges])).toEqual([
      [DB.id, true],
      [WEB.id, true],
      [DNS.id, false],
    ]);
  });

  it('gives each read node its set or null, and leaves unread nodes out', () => {
    expect([...row(WEB.id).nodes.keys()]).toEqual(['a', 'b', 'stale', 'lacking']);
    expect(row(WEB.id).nodes.get('stale')).toEqual([...WEB.endpoints, STALE_ENDPOINT].sort());
    expect(row(DB.id).nodes.get('lacking')).toBeNull();
    expect(row(DB.id).nodes.get('a')).toEqual(DB.endpoints);
  });

  it('names the nodes that differ from the most common set', () => {
    expect(differingNodes(row(WEB.id))).toEqual(['stale']);
    expect(differingNodes(row(DB.id))).toEqual(['lacking']);
    expect(differingNodes(row(DNS.id))).toEqual([]);
    expect(divergingOn(rows, 'stale')).toBe(1);
    expect(divergingOn(rows, 'a')).toBe(0);
  });

  it('does not diverge with one node, nor with none', () => {
    expect(compareNodes([reads[2]!]).every((r) => !r.diverges)).toBe(true);
    expect(compareNodes([{ name: 'x', summary: null }])).toEqual([]);
  });
});
