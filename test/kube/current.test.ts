/**
 * The current layout as `iptables-save -c` prints it (KUBE-EXT / KUBE-SVL, filter-side drops),
 * with services chosen to exercise one feature each, next to Docker and Calico chains.
 */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { CURRENT } from './dumps.js';

describe('current layout', () => {
  const ruleset = parseIptablesSave(CURRENT);
  const model = buildKubeModel(ruleset);

  it('lists every kube service port and nothing from Docker or Calico', () => {
    expect(ruleset.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(model.layout).toBe('current');
    expect(model.services.map((s) => s.id)).toEqual([
      'shop/cart:admin',
      'shop/cart:http',
      'shop/counted:http',
      'shop/edge:https',
      'shop/itp:grpc',
      'shop/itpnone:grpc',
      'shop/sticky:web',
      'telecom/sig:sctp',
    ]);
    const addresses = model.services.flatMap((s) => s.endpoints.map((e) => e.address));
    expect(addresses).not.toContain('172.17.0.2:80');
    expect([...model.chainOwner.keys()].some((k) => k.includes('DOCKER') || k.includes('cali'))).toBe(false);
  });

  it('three endpoints get 1/3 each from the 0.33333333349 / 0.5 splits, summing to 1', () => {
    const s = model.byId.get('shop/cart:http')!;
    expect(s.endpoints.map((e) => e.address)).toEqual(['10.244.1.10:8080', '10.244.2.11:8080', '10.244.3.12:8080']);
    for (const e of s.endpoints) expect(e.probability).toBeCloseTo(1 / 3, 9);
    expect(s.endpoints.reduce((sum, e) => sum + e.probability, 0)).toBeCloseTo(1, 12);
    // The first split is exactly what iptables-save printed.
    expect(s.endpoints[0]!.probability).toBe(0.33333333349);
    expect(s.nodePort).toBe(30080);
    expect(s.externalTrafficPolicy).toBe('Cluster');
    expect(s.chains).toEqual({ svc: 'KUBE-SVC-I5LIAMPLWKMBJ54B', ext: 'KUBE-EXT-I5LIAMPLWKMBJ54B' });
  });

  it('a port with no endpoints is listed from its filter REJECT rules: cluster IP, external IP, node port', () => {
    const s = model.byId.get('shop/cart:admin')!;
    expect(s.endpoints).toEqual([]);
    expect([s.clusterIP, s.port, s.nodePort, s.externalIPs]).toEqual(['10.96.20.1', 9000, 30900, ['192.0.2.50']]);
    expect(s.blockingRules.map((r) => `${r.chain}/${r.target}`)).toEqual([
      'KUBE-SERVICES/REJECT',
      'KUBE-EXTERNAL-SERVICES/REJECT',
      'KUBE-EXTERNAL-SERVICES/REJECT',
    ]);
    expect(s.packets).toBe(0);
  });

  it('session affinity: --rcheck --seconds gives the timeout and does not split the chance', () => {
    const s = model.byId.get('shop/sticky:web')!;
    expect(s.sessionAffinitySeconds).toBe(3600);
    expect(s.endpoints.map((e) => [e.address, e.probability])).toEqual([
      ['10.244.1.20:80', 0.5],
      ['10.244.2.21:80', 0.5],
    ]);
    expect(model.byId.get('shop/cart:http')!.sessionAffinitySeconds).toBeNull();
  });

  it('internalTrafficPolicy Local: the cluster IP rule jumps to KUBE-SVL', () => {
    const s = model.byId.get('shop/itp:grpc')!;
    expect(s.internalTrafficPolicy).toBe('Local');
    expect(s.externalTrafficPolicy).toBeNull();
    expect(s.chains).toEqual({ svl: 'KUBE-SVL-C2ZCXMP3W4BF5YQB' });
    expect(s.endpoints.map((e) => [e.address, e.probability, e.local])).toEqual([['10.244.1.30:9090', 1, true]]);
  });

  it('internalTrafficPolicy Local with no local endpoint: the filter DROP names the cluster IP', () => {
    const s = model.byId.get('shop/itpnone:grpc')!;
    expect(s.internalTrafficPolicy).toBe('Local');
    expect([s.clusterIP, s.port]).toEqual(['10.96.30.8', 9090]);
    expect(s.endpoints).toEqual([]);
    expect(s.blockingRules.map((r) => r.target)).toEqual(['DROP']);
  });

  it('externalTrafficPolicy Local with a local endpoint: EXT -> SVL, health check node port', () => {
    const s = model.byId.get('shop/edge:https')!;
    expect(s.externalTrafficPolicy).toBe('Local');
    expect(s.loadBalancerIPs).toEqual(['192.0.2.80']);
    expect(s.loadBalancerSourceRanges).toEqual([]);
    expect(s.nodePort).toBe(30443);
    expect(s.healthCheckNodePort).toBe(31999);
    expect(s.chains).toEqual({
      svc: 'KUBE-SVC-TFCKRJ4VVZESZDQY',
      ext: 'KUBE-EXT-TFCKRJ4VVZESZDQY',
      svl: 'KUBE-SVL-TFCKRJ4VVZESZDQY',
    });
    expect(s.endpoints.map((e) => [e.address, e.probability, e.local])).toEqual([
      ['10.244.1.70:8443', 0.5, true],
      ['10.244.2.71:8443', 0.5, false],
    ]);
  });

  it('counters: each endpoint has its DNAT rule counts, the service their sum', () => {
    const s = model.byId.get('shop/counted:http')!;
    expect(s.endpoints.map((e) => [e.address, e.packets, e.bytes])).toEqual([
      ['10.244.1.50:80', 5, 300],
      ['10.244.2.51:80', 7, 420],
    ]);
    expect([s.packets, s.bytes]).toEqual([12, 720]);
    expect(s.endpoints[1]!.dnatRule?.counters).toEqual({ packets: 7, bytes: 420 });
    const cart = model.byId.get('shop/cart:http')!;
    expect([cart.packets, cart.bytes]).toEqual([8, 480]);
  });

  it('SCTP services', () => {
    const s = model.byId.get('telecom/sig:sctp')!;
    expect([s.protocol, s.clusterIP, s.port]).toEqual(['sctp', '10.96.60.1', 3868]);
    expect(s.endpoints.map((e) => e.address)).toEqual(['10.244.1.60:3868']);
    expect(s.entryPoints.map((e) => e.protocol)).toEqual(['sctp']);
  });

  it('without counters in the dump every count is null', () => {
    const bare = buildKubeModel(parseIptablesSave(CURRENT.replace(/^\[\d+:\d+\] /gm, '')));
    expect(bare.services.length).toBe(model.services.length);
    for (const s of bare.services) {
      expect([s.packets, s.bytes]).toEqual([null, null]);
      for (const e of s.endpoints) expect([e.packets, e.bytes]).toEqual([null, null]);
    }
  });
});
