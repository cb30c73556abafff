/**
 * physdev on a routed packet, as the kernel decides it: a packet from a veth that is in no bridge
 * carries no bridge information, so `--physdev-is-in` is false and `! --physdev-is-in` matches
 * (kube-proxy <= 1.5's external-IP rule). The tracer must say the same, with no coin flip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { tracePacket, traceCases } from '../../src/core/trace/index.js';
import { Topology, connectMany, kernelGate, loadRuleset, saveRuleset } from './netns.js';

const gate = kernelGate();

const RULES = [
  '*mangle',
  ':PREROUTING ACCEPT [0:0]',
  '-A PREROUTING -d 10.32.0.50/32 -p tcp -m tcp --dport 80 -m physdev --physdev-is-in -j DROP',
  'COMMIT',
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  '-A PREROUTING -d 10.32.0.50/32 -p tcp -m tcp --dport 80 -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j DNAT --to-destination 10.64.1.1:8080',
  'COMMIT',
  '',
].join('\n');

describe.skipIf(gate.skip)(gate.title('physdev: a packet from an unbridged veth is not bridged'), () => {
  let topo: Topology;

  beforeAll(async () => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'pd' });
    topo.addPodAddresses(['10.64.1.1']);
    topo.routeFromClient(['10.32.0.0/16']);
    loadRuleset(topo.nodeNs, RULES);
    await topo.startListeners([8080]);
  });
  afterAll(() => topo?.destroy());

  it('the kernel: --physdev-is-in does not match, ! --physdev-is-in does; the tracer agrees with certainty', async () => {
    const attempts = await connectMany(topo.clientNs, [{ ip: '10.32.0.50', port: 80, count: 3 }], { timeoutMs: 1000 });
    for (const a of attempts) {
      expect(a.result).toBe('connected');
      expect(a.answeredBy).toBe('10.64.1.1:8080');
    }
    const dump = saveRuleset(topo.nodeNs);
    const rs = parseIptablesSave(dump);
    const counted = (table: 'mangle' | 'nat') => rs.tables.find((t) => t.name === table)!.chainsByName.get('PREROUTING')!.rules[0]!.counters!.packets;
    expect(counted('mangle')).toBe(0);
    expect(counted('nat')).toBe(attempts.length);

    const r = tracePacket(rs, { protocol: 'tcp', src: topo.clientAddresses[0]!, dst: '10.32.0.50', dport: 80 }, { localAddresses: topo.nodeLocalAddresses() });
    expect(r.outcomes).toHaveLength(1);
    expect(traceCases(r.outcomes)).toHaveLength(1);
    expect(r.outcomes[0]!.probability).toBe(1);
    expect(r.outcomes[0]!.dnat).toBe('10.64.1.1:8080');
    expect(r.outcomes[0]!.verdict).toBe('ACCEPT');
  });
});
