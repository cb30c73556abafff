/** Large-cluster mode: no comments on SVC->SEP jumps or in SEP chains; endpoints come from jumps only. */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { buildKubeModel, endpointChainName, serviceChainName } from '../../src/core/kube/index.js';
import { LARGE_CLUSTER } from './dumps.js';
import { generateDump, makeServices } from './generate.js';

describe('large-cluster mode (inline dump)', () => {
  const model = buildKubeModel(parseIptablesSave(LARGE_CLUSTER));

  it('finds the endpoints through the jump graph, with their probabilities and counters', () => {
    const s = model.byId.get('big/api:https')!;
    expect(s.endpoints.map((e) => [e.address, e.chain, e.packets])).toEqual([
      ['10.244.5.1:8443', 'KUBE-SEP-3E4PPGAMCGBJMYZY', 10],
      ['10.244.5.2:8443', 'KUBE-SEP-MBYZ2PBDR35Z7M56', 9],
      ['10.244.5.3:8443', 'KUBE-SEP-2XMQB3RB4Z6ZUPO5', 11],
    ]);
    for (const e of s.endpoints) expect(e.probability).toBeCloseTo(1 / 3, 9);
    expect(s.packets).toBe(30);
    expect(s.nodePort).toBe(30444);
    expect(model.chainOwner.get('ipv4/KUBE-SEP-MBYZ2PBDR35Z7M56')).toBe(s);
  });

  it('takes the id the chain names hash to when comments disagree', () => {
    // "big/apii:https cluster IP" comes first, but only "big/api:https" hashes to FFYIPLVXZRKVR6K5.
    expect(model.byId.has('big/apii:https')).toBe(false);
    const s = model.byId.get('big/api:https')!;
    expect(s.clusterIP).toBe('10.96.50.1');
    expect(s.chains.svc).toBe(serviceChainName('KUBE-SVC-', 'big/api:https', 'tcp'));
  });

  it('recovers an id its entry rules do not name, from its own chains, confirmed by the hash', () => {
    const s = model.byId.get('big/nocomment')!;
    expect([s.namespace, s.name, s.portName, s.protocol]).toEqual(['big', 'nocomment', null, 'udp']);
    expect([s.clusterIP, s.port, s.nodePort]).toEqual(['10.96.50.2', 5000, 30500]);
    expect(s.endpoints.map((e) => [e.address, e.probability])).toEqual([['10.244.6.1:5000', 1]]);
  });

  it('names a service nothing names by its chain', () => {
    const s = model.services.find((x) => x.clusterIP === '10.96.50.3')!;
    expect(s.id).toBe('KUBE-SVC-HI3CXHY4CKN7NN3B');
    expect(s.chains.svc).toBe('KUBE-SVC-HI3CXHY4CKN7NN3B');
    expect(s.endpoints).toEqual([]);
  });
});

describe('large-cluster mode (generated: 300 services, 1200 endpoints, no SVC->SEP comments)', () => {
  const services = makeServices(300, 4);
  const text = generateDump(services, { largeCluster: true, counters: true });
  const model = buildKubeModel(parseIptablesSave(text));

  it('the generated dump really has no comments on SVC->SEP jumps and in SEP chains', () => {
    const sepJumps = text.split('\n').filter((l) => / -j KUBE-SEP-/.test(l) || / -A KUBE-SEP-/.test(l));
    expect(sepJumps.length).toBe(1200 * 3);
    expect(sepJumps.filter((l) => l.includes('--comment'))).toEqual([]);
  });

  it('every service has exactly its endpoints, in order, at 1/4 each, with its node port', () => {
    expect(model.services.length).toBe(300);
    for (const g of services) {
      const s = model.byId.get(g.id);
      expect(s, g.id).toBeDefined();
      expect([s!.protocol, s!.clusterIP, s!.port, s!.nodePort]).toEqual([g.protocol, g.clusterIP, g.port, g.nodePort ?? null]);
      expect(s!.endpoints.map((e) => e.address)).toEqual(g.endpoints);
      expect(s!.endpoints.map((e) => e.chain)).toEqual(g.endpoints.map((ep) => endpointChainName(g.id, g.protocol, ep)));
      for (const e of s!.endpoints) expect(e.probability).toBeCloseTo(0.25, 9);
    }
  });

  it('counts packets per endpoint and sums them per service', () => {
    services.forEach((g, i) => {
      const s = model.byId.get(g.id)!;
      // The generator gives endpoint e of service i (e + i + 1) packets.
      expect(s.endpoints.map((e) => e.packets)).toEqual([i + 1, i + 2, i + 3, i + 4]);
      expect(s.packets).toBe(4 * i + 10);
    });
  });
});
