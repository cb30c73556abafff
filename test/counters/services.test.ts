import { describe, expect, it } from 'vitest';
import { compareRates, diffSnapshots, endpointRate, serviceRate } from '../../src/core/counters/index.js';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { parseCleanly } from '../helpers/parse.js';
import { natDump, sepChain, svcChain, type GenService } from './gen.js';

const parse = parseCleanly;

function service(id: string, clusterIP: string, endpoints: [string, number][]): GenService {
  return {
    id,
    protocol: 'tcp',
    clusterIP,
    port: 80,
    endpoints: endpoints.map(([address, packets]) => ({ address, packets, bytes: packets * 100 })),
  };
}

const web = (eps: [string, number][]) => service('shop/web:http', '10.96.0.10', eps);
const api = (eps: [string, number][]) => service('shop/api:grpc', '10.96.0.20', eps);

describe('service and endpoint deltas', () => {
  it('sums the endpoints DNAT deltas; totals equal the model', () => {
    const prevSvcs = [web([['10.244.1.1:8080', 100], ['10.244.1.2:8080', 50]])];
    const curSvcs = [web([['10.244.1.1:8080', 160], ['10.244.1.2:8080', 70]])];
    const prev = parse(natDump(prevSvcs));
    const cur = parse(natDump(curSvcs));
    const prevModel = buildKubeModel(prev);
    const curModel = buildKubeModel(cur);
    const diff = diffSnapshots({ ruleset: prev, takenAtMs: 0, model: prevModel }, { ruleset: cur, takenAtMs: 4000, model: curModel });
    expect(diff.model).toBe(curModel);

    const s = diff.service('shop/web:http', 'ipv4')!;
    const m = curModel.byId.get('shop/web:http')!;
    expect(s.service).toBe(m);
    expect(s.state).toBe('ok');
    expect(s.packets).toBe(m.packets);
    expect(s.bytes).toBe(m.bytes);
    const sum = (svcs: GenService[]) => svcs[0]!.endpoints.reduce((a, e) => a + e.packets, 0);
    expect(s.packets).toBe(sum(curSvcs));
    // With the same endpoints, the delta is the change of the model's sum.
    expect(s.deltaPackets).toBe(m.packets! - prevModel.byId.get('shop/web:http')!.packets!);
    expect(s.deltaPackets).toBe(sum(curSvcs) - sum(prevSvcs));
    expect(s.deltaBytes).toBe(m.bytes! - prevModel.byId.get('shop/web:http')!.bytes!);
    expect(s.packetRate).toBeCloseTo((sum(curSvcs) - sum(prevSvcs)) / 4);
    expect(serviceRate(diff, 'shop/web:http', 'ipv4')).toBe(s.packetRate);
    expect(s.countedSinceLast).toBe(true);
    expect(s.newEndpoints).toBe(0);

    expect(s.endpoints.map((e) => e.deltaPackets)).toEqual([60, 20]);
    const chain = sepChain(curSvcs[0]!, '10.244.1.2:8080');
    const ep = diff.endpoint(chain, 'ipv4')!;
    expect(ep.endpoint.chain).toBe(chain);
    expect(ep.packets).toBe(70);
    expect(ep.deltaPackets).toBe(20);
    expect(ep.packetRate).toBe(5);
    expect(endpointRate(diff, chain, 'ipv4')).toBe(5);
    // The endpoint delta is its DNAT rule's delta.
    expect(diff.rule(ep.endpoint.dnatRule!)!.deltaPackets).toBe(20);

    expect(diff.service('shop/web:http', 'ipv6')).toBeUndefined();
    expect(diff.service('shop/nope:http', 'ipv4')).toBeUndefined();
    expect(diff.endpoint('KUBE-SEP-NOTACHAIN', 'ipv4')).toBeUndefined();
    expect(diff.endpoint(svcChain(curSvcs[0]!), 'ipv4')).toBeUndefined(); // a SVC chain is no endpoint
  });

  it('builds the model itself when not given one, and agrees with it', () => {
    const prev = parse(natDump([web([['10.244.1.1:8080', 10]]), api([['10.244.2.1:9000', 3]])]));
    const cur = parse(natDump([web([['10.244.1.1:8080', 25]]), api([['10.244.2.1:9000', 3]])]));
    const diff = diffSnapshots({ ruleset: prev, takenAtMs: 0 }, { ruleset: cur, takenAtMs: 1000 });
    const model = buildKubeModel(cur);
    for (const m of model.services) {
      const d = diff.service(m.id, m.family)!;
      expect(d.packets).toBe(m.packets);
      expect(d.bytes).toBe(m.bytes);
    }
    expect(diff.service('shop/web:http', 'ipv4')!.deltaPackets).toBe(15);
    expect(diff.service('shop/api:grpc', 'ipv4')!.deltaPackets).toBe(0);
    expect(diff.service('shop/api:grpc', 'ipv4')!.countedSinceLast).toBe(false);
  });

  it('a service that appears has no delta; one that disappears is not found', () => {
    const prev = parse(natDump([web([['10.244.1.1:8080', 10]])]));
    const cur = parse(natDump([web([['10.244.1.1:8080', 12]]), api([['10.244.2.1:9000', 40]])]));
    const later = parse(natDump([api([['10.244.2.1:9000', 45]])]));
    const d1 = diffSnapshots({ ruleset: prev, takenAtMs: 0 }, { ruleset: cur, takenAtMs: 1000 });
    const fresh = d1.service('shop/api:grpc', 'ipv4')!;
    expect(fresh).toMatchObject({ state: 'new', packets: 40, deltaPackets: null, packetRate: null, countedSinceLast: false });
    expect(fresh.endpoints.map((e) => e.state)).toEqual(['new']);
    expect(serviceRate(d1, 'shop/api:grpc', 'ipv4')).toBeNull();

    const d2 = diffSnapshots({ ruleset: cur, takenAtMs: 1000 }, { ruleset: later, takenAtMs: 3000 });
    expect(d2.service('shop/web:http', 'ipv4')).toBeUndefined();
    expect(d2.endpoint(sepChain(web([]), '10.244.1.1:8080'), 'ipv4')).toBeUndefined();
    expect(serviceRate(d2, 'shop/web:http', 'ipv4')).toBeNull();
    expect(d2.service('shop/api:grpc', 'ipv4')).toMatchObject({ state: 'ok', deltaPackets: 5, packetRate: 2.5 });
  });

  it('endpoint churn: a new endpoint adds nothing, a removed one takes nothing away', () => {
    const prev = parse(natDump([web([['10.244.1.1:8080', 100], ['10.244.1.2:8080', 900]])]));
    // .2 went away (its 900 leave the sum), .3 is new with 30.
    const cur = parse(natDump([web([['10.244.1.1:8080', 110], ['10.244.1.3:8080', 30]])]));
    const diff = diffSnapshots({ ruleset: prev, takenAtMs: 0 }, { ruleset: cur, takenAtMs: 2000 });
    const s = diff.service('shop/web:http', 'ipv4')!;
    expect(s.packets).toBe(140);
    expect(s.state).toBe('ok');
    expect(s.deltaPackets).toBe(10);
    expect(s.packetRate).toBe(5);
    expect(s.newEndpoints).toBe(1);
    expect(s.endpoints.map((e) => [e.endpoint.address, e.state])).toEqual([
      ['10.244.1.1:8080', 'ok'],
      ['10.244.1.3:8080', 'new'],
    ]);
  });

  it('a service whose endpoints are all new has no delta', () => {
    const prev = parse(natDump([web([['10.244.1.1:8080', 100]])]));
    const cur = parse(natDump([web([['10.244.1.7:8080', 5]])]));
    const diff = diffSnapshots({ ruleset: prev, takenAtMs: 0 }, { ruleset: cur, takenAtMs: 2000 });
    expect(diff.service('shop/web:http', 'ipv4')).toMatchObject({ state: 'new', packets: 5, deltaPackets: null, newEndpoints: 1 });
  });

  it('a reset in any endpoint makes the service delta unknown, never negative', () => {
    const prev = parse(natDump([web([['10.244.1.1:8080', 100], ['10.244.1.2:8080', 900]])]));
    const cur = parse(natDump([web([['10.244.1.1:8080', 150], ['10.244.1.2:8080', 4]])]));
    const diff = diffSnapshots({ ruleset: prev, takenAtMs: 0 }, { ruleset: cur, takenAtMs: 2000 });
    const s = diff.service('shop/web:http', 'ipv4')!;
    expect(s).toMatchObject({ state: 'reset', packets: 154, deltaPackets: null, deltaBytes: null, packetRate: null, byteRate: null });
    expect(s.countedSinceLast).toBe(false);
    expect(s.endpoints.map((e) => e.state)).toEqual(['ok', 'reset']);
    expect(s.endpoints[0]!.deltaPackets).toBe(50);
    expect(serviceRate(diff, 'shop/web:http', 'ipv4')).toBeNull();
  });

  it('keeps service identity when KUBE-SERVICES is reordered', () => {
    const a = [web([['10.244.1.1:8080', 10]]), api([['10.244.2.1:9000', 20]])];
    a[0]!.jump = [3, 180];
    a[1]!.jump = [7, 420];
    const b = [web([['10.244.1.1:8080', 11]]), api([['10.244.2.1:9000', 29]])];
    b[0]!.jump = [4, 240];
    b[1]!.jump = [10, 600];
    const prev = parse(natDump(a));
    const cur = parse(natDump(b, { reverseServices: true }));
    const diff = diffSnapshots({ ruleset: prev, takenAtMs: 0 }, { ruleset: cur, takenAtMs: 1000 });
    const jumps = diff.chainRules('nat', 'ipv4', 'KUBE-SERVICES')!;
    expect(jumps.map((d) => [d.rule.target, d.deltaPackets])).toEqual([
      [svcChain(b[1]!), 3],
      [svcChain(b[0]!), 1],
      ['KUBE-NODEPORTS', 0], // kube-proxy's last rule of KUBE-SERVICES
    ]);
    expect(diff.service('shop/api:grpc', 'ipv4')!.deltaPackets).toBe(9);
  });

  it('the first snapshot and a dump without counters', () => {
    const cur = parse(natDump([web([['10.244.1.1:8080', 10]])]));
    const d0 = diffSnapshots(null, { ruleset: cur, takenAtMs: 0 });
    expect(d0.service('shop/web:http', 'ipv4')).toMatchObject({ state: 'first', packets: 10, deltaPackets: null });
    const plain = parse(natDump([web([['10.244.1.1:8080', 10]])], { noCounters: true }));
    const d1 = diffSnapshots({ ruleset: cur, takenAtMs: 0 }, { ruleset: plain, takenAtMs: 1000 });
    expect(d1.service('shop/web:http', 'ipv4')).toMatchObject({ state: 'uncounted', packets: null, deltaPackets: null });
  });

  it('IPv6 services are looked up by their family', () => {
    const v6 = (n: number) => service('shop/web:http', 'fd00::10', [['[fd00:1::1]:8080', n]]);
    const prev = parse(natDump([v6(5)], { program: 'ip6tables-save' }));
    const cur = parse(natDump([v6(9)], { program: 'ip6tables-save' }));
    const diff = diffSnapshots({ ruleset: prev, takenAtMs: 0 }, { ruleset: cur, takenAtMs: 1000 });
    expect(diff.service('shop/web:http', 'ipv4')).toBeUndefined();
    expect(diff.service('shop/web:http', 'ipv6')).toMatchObject({ state: 'ok', deltaPackets: 4 });
    expect(diff.service('shop/web:http', 'ipv6', 'udp')).toBeUndefined();
    expect(diff.service('shop/web:http', 'ipv6', 'tcp')!.deltaPackets).toBe(4);
  });
});

describe('compareRates', () => {
  it('sorts highest first, unknown rates last', () => {
    const rates = [null, 3, undefined, 10, 0, Number.NaN, 5];
    const sorted = [...rates].sort(compareRates);
    expect(sorted.slice(0, 4)).toEqual([10, 5, 3, 0]);
    expect(sorted.slice(4).every((r) => r === null || r === undefined || Number.isNaN(r))).toBe(true);
  });
});
