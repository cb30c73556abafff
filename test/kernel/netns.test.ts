/** The harness itself: conntrack parsing, and a hand-written ruleset the kernel must obey. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Topology,
  conntrackList,
  connectMany,
  kernelGate,
  loadRuleset,
  parseConntrack,
  routeSource,
  saveRuleset,
} from './netns.js';

describe('parseConntrack', () => {
  it('reads the original and reply tuples, state, flags and mark', () => {
    const text = [
      'tcp      6 118 TIME_WAIT src=172.16.1.152 dst=10.32.0.251 sport=43400 dport=80 src=10.64.2.4 dst=172.16.1.152 sport=80 dport=43400 [ASSURED] mark=0 use=1',
      'tcp      6 119 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.255.0.1 sport=2 dport=7 mark=16384 use=1',
      'conntrack v1.4.7 (conntrack-tools): 2 flow entries have been shown.',
    ].join('\n');
    const entries = parseConntrack(text);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toEqual({
      protocol: 'tcp',
      state: 'TIME_WAIT',
      orig: { src: '172.16.1.152', dst: '10.32.0.251', sport: 43400, dport: 80 },
      reply: { src: '10.64.2.4', dst: '172.16.1.152', sport: 80, dport: 43400 },
      mark: 0,
      flags: ['ASSURED'],
    });
    expect(entries[1]!.flags).toEqual(['UNREPLIED']);
    expect(entries[1]!.reply.dst).toBe('10.255.0.1');
    expect(entries[1]!.mark).toBe(16384);
  });
});

const gate = kernelGate();

describe.skipIf(gate.skip)(gate.title('netns harness against the kernel'), () => {
  let topo: Topology;
  const ruleset = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':SVC - [0:0]',
    '-A PREROUTING -d 10.32.0.5/32 -p tcp --dport 80 -j SVC',
    '-A OUTPUT -d 10.32.0.5/32 -p tcp --dport 80 -j SVC',
    '-A SVC -p tcp -m statistic --mode random --probability 0.5 -j DNAT --to-destination 10.64.1.1:8080',
    '-A SVC -p tcp -j DNAT --to-destination 10.64.1.2:8080',
    '-A POSTROUTING -s 172.16.9.152/32 -j MASQUERADE',
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A FORWARD -d 10.32.0.6/32 -p tcp -j REJECT',
    '-A FORWARD -d 10.32.0.7/32 -p tcp -j DROP',
    'COMMIT',
    '',
  ].join('\n');

  beforeAll(async () => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'h' });
    topo.addPodAddresses(['10.64.1.1', '10.64.1.2']);
    topo.routeFromClient(['10.32.0.0/16']);
    loadRuleset(topo.nodeNs, ruleset);
    await topo.startListeners([8080]);
  });
  afterAll(() => topo?.destroy());

  it('builds namespaces whose addresses and routes are as planned', () => {
    expect(topo.nodeLocalAddresses().sort()).toEqual(['10.255.0.1', '127.0.0.1', '172.16.1.10']);
    expect(routeSource(topo.clientNs, '10.32.0.5')).toBe('172.16.1.152');
    expect(routeSource(topo.podClientNs, '10.32.0.5')).toBe('10.64.255.2');
    expect(routeSource(topo.nodeNs, '10.32.0.5')).toBe('172.16.1.10');
    expect(saveRuleset(topo.nodeNs)).toContain('-A SVC -p tcp -j DNAT --to-destination 10.64.1.2:8080');
  });

  it('sees DNAT to both endpoints, masquerade, REJECT and DROP as the ruleset says', async () => {
    const [fromClient, fromOtherClient, fromNode, fromPod] = await Promise.all([
      connectMany(topo.clientNs, [
        { ip: '10.32.0.5', port: 80, count: 30 },
        { ip: '10.32.0.6', port: 80, count: 2 },
        { ip: '10.32.0.7', port: 80, count: 2 },
      ], { timeoutMs: 300 }),
      connectMany(topo.clientNs, [{ ip: '10.32.0.5', port: 80, count: 4 }], { sourceAddress: '172.16.9.152' }),
      connectMany(topo.nodeNs, [{ ip: '10.32.0.5', port: 80, count: 4 }]),
      connectMany(topo.podClientNs, [{ ip: '10.32.0.5', port: 80, count: 4 }]),
    ]);
    const byTarget = (n: number) => fromClient.filter((a) => a.target === n);
    expect(byTarget(0).every((a) => a.result === 'connected')).toBe(true);
    expect(new Set(byTarget(0).map((a) => a.answeredBy))).toEqual(new Set(['10.64.1.1:8080', '10.64.1.2:8080']));
    expect(byTarget(1).map((a) => a.result)).toEqual(['refused', 'refused']);
    expect(byTarget(2).map((a) => a.result)).toEqual(['timeout', 'timeout']);
    for (const a of [...fromOtherClient, ...fromNode, ...fromPod]) expect(a.result).toBe('connected');

    const ct = conntrackList(topo.nodeNs);
    const find = (src: string, sport: number) => ct.find((e) => e.orig.src === src && e.orig.sport === sport);
    for (const a of byTarget(0)) {
      const e = find('172.16.1.152', a.sport);
      expect(e, `conntrack entry for sport ${a.sport}`).toBeDefined();
      expect(`${e!.reply.src}:${e!.reply.sport}`).toBe(a.answeredBy);
      expect(e!.reply.dst).toBe('172.16.1.152');
    }
    for (const a of fromOtherClient) expect(find('172.16.9.152', a.sport)!.reply.dst).toBe('10.255.0.1');
    for (const a of fromNode) expect(find('172.16.1.10', a.sport)).toBeDefined();
    for (const a of fromPod) expect(find('10.64.255.2', a.sport)!.reply.dst).toBe('10.64.255.2');
    // REJECTed and DROPped SYNs never confirm a conntrack entry.
    for (const a of [...byTarget(1), ...byTarget(2)]) expect(find('172.16.1.152', a.sport)).toBeUndefined();
  });
});
