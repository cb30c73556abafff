/** statistic random splits: exact probabilities per endpoint, equal shares, sums of 1, merging. */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { tracePacket, type Outcome } from '../../src/core/trace/index.js';
import { mergeOutcomes } from '../../src/core/trace/tracer.js';
import { hasAssumption, total, trace } from './helpers.js';
import { natTable, probabilityText, sepChain, type Form, type ServiceSpec } from './kube-dump.js';

function service(n: number, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    ns: 'default',
    name: `web${n}`,
    clusterIP: '10.96.0.10',
    port: 80,
    endpoints: Array.from({ length: n }, (_, i) => `10.244.${i}.5:8080`),
    ...extra,
  };
}

describe('kube-proxy endpoint selection', () => {
  for (const form of ['restore', 'save'] as Form[]) {
    for (const n of [2, 3, 10]) {
      it(`${n} endpoints (${form} form, e.g. ${probabilityText(3, form)}): one outcome each, equal, summing to 1`, () => {
        const svc = service(n);
        const rs = parseIptablesSave(natTable([svc], form));
        const r = trace(rs, { src: '10.244.7.7', dst: '10.96.0.10', dport: 80 });
        expect(r.outcomes).toHaveLength(n);
        expect(r.outcomes.map((o) => o.dnat)).toEqual(svc.endpoints);
        expect(r.outcomes.map((o) => o.endpointChain)).toEqual(svc.endpoints.map((e) => sepChain(svc, e)));
        expect(Math.abs(total(r) - 1)).toBeLessThan(1e-9);
        for (const o of r.outcomes) expect(Math.abs(o.probability - 1 / n)).toBeLessThan(1e-9);
      });
    }
  }

  it('uses the kernel’s value: endpoint i gets p_i × Π(1 − p_j) over the rules before it', () => {
    const rs = parseIptablesSave(natTable([service(3)], 'save'));
    const r = trace(rs, { src: '10.244.7.7', dst: '10.96.0.10', dport: 80 });
    const p1 = Math.round(0.33333333349 * 2 ** 31) / 2 ** 31;
    const p2 = 0.5;
    expect(r.outcomes[0]!.probability).toBe(p1);
    expect(r.outcomes[1]!.probability).toBe((1 - p1) * p2);
    expect(r.outcomes[2]!.probability).toBe((1 - p1) * (1 - p2));
  });

  it('a client from outside the pod network is masqueraded on every branch', () => {
    const rs = parseIptablesSave(natTable([service(2)]));
    const r = trace(rs, { src: '10.1.2.3', dst: '10.96.0.10', dport: 80 });
    expect(r.outcomes.map((o) => o.masquerade)).toEqual([true, true]);
    for (const o of r.outcomes) expect(o.reason).toMatch(/^masqueraded: KUBE-SVC-\S+ rule 1 \(default\/web2 cluster IP\)$/);
  });

  it('a pod reaching itself through the service is masqueraded by its KUBE-SEP hairpin rule', () => {
    const svc = service(2);
    const rs = parseIptablesSave(natTable([svc]));
    const r = trace(rs, { src: '10.244.1.5', dst: '10.96.0.10', dport: 80 });
    const self = r.outcomes.find((o) => o.dnat === '10.244.1.5:8080')!;
    const other = r.outcomes.find((o) => o.dnat === '10.244.0.5:8080')!;
    expect(self.masquerade).toBe(true);
    expect(self.reason).toBe(`masqueraded: ${sepChain(svc, '10.244.1.5:8080')} rule 1 (default/web2)`);
    expect(other.masquerade).toBe(false);
  });
});

describe('session affinity', () => {
  it('a new client skips the --rcheck rules and is spread like without affinity', () => {
    const svc = service(3, { affinitySeconds: 10800 });
    const rs = parseIptablesSave(natTable([svc]));
    const r = trace(rs, { src: '10.244.7.7', dst: '10.96.0.10', dport: 80 });
    expect(r.outcomes.map((o) => o.dnat)).toEqual(svc.endpoints);
    for (const o of r.outcomes) {
      expect(Math.abs(o.probability - 1 / 3)).toBeLessThan(1e-9);
      expect(hasAssumption(o, 'session affinity', 'new client')).toBe(true);
      // The DNAT rule's `-m recent --set` matches: the endpoint's DNAT is taken.
      expect(o.path.find((s) => s.target === 'DNAT')?.chain).toBe(o.endpointChain);
    }
  });
});

describe('merging', () => {
  const o = (p: number, extra: Partial<Outcome> = {}): Outcome => ({
    probability: p,
    verdict: 'ACCEPT',
    dnat: '10.244.0.5:8080',
    masquerade: false,
    path: [{ table: 'nat', chain: 'X', rule: 1, target: 'DNAT', line: 3 }],
    assumptions: [],
    case: [],
    reason: null,
    delivery: 'forward',
    endpointChain: null,
    ...extra,
  });

  it('sums identical outcomes and keeps different ones apart', () => {
    const merged = mergeOutcomes([
      o(0.25, { assumptions: ['a'] }),
      o(0.5, { dnat: '10.244.1.5:8080' }),
      o(0.25, { assumptions: ['b', 'a'] }),
    ]);
    expect(merged).toHaveLength(2);
    expect(merged[0]!.probability).toBe(0.5);
    expect(merged[0]!.assumptions).toEqual(['a', 'b']);
    expect(merged[1]!.dnat).toBe('10.244.1.5:8080');
  });

  it('keeps outcomes apart that differ only in their path', () => {
    const other = o(0.5, { path: [{ table: 'nat', chain: 'Y', rule: 1, target: 'DNAT', line: 4 }] });
    expect(mergeOutcomes([o(0.5), other])).toHaveLength(2);
  });
});

describe('nested and unusual splits', () => {
  it('multiplies probabilities along the path and stays exact across nested chains', () => {
    const rs = parseIptablesSave(`*filter
:FORWARD ACCEPT [0:0]
:A - [0:0]
[0:0] -A FORWARD -m statistic --mode random --probability 0.25000000000 -j A
[0:0] -A FORWARD -j REJECT
[0:0] -A A -m statistic --mode random --probability 0.50000000000 -j DROP
COMMIT
`);
    const r = tracePacket(rs, { protocol: 'tcp', src: '10.1.2.3', dst: '10.96.0.10', dport: 80 }, { localAddresses: [] });
    const sumOf = (v: string) => r.outcomes.filter((x) => x.verdict === v).reduce((s, x) => s + x.probability, 0);
    expect(sumOf('DROP')).toBe(0.125);
    expect(sumOf('REJECT')).toBe(0.875);
    expect(r.outcomes.filter((x) => x.verdict === 'REJECT')).toHaveLength(2);
  });

  it('! --probability takes the complement', () => {
    const rs = parseIptablesSave(`*filter
:FORWARD ACCEPT [0:0]
[0:0] -A FORWARD -m statistic --mode random ! --probability 0.25000000000 -j DROP
COMMIT
`);
    const r = tracePacket(rs, { protocol: 'tcp', src: '10.1.2.3', dst: '10.96.0.10', dport: 80 }, { localAddresses: [] });
    expect(r.outcomes.find((x) => x.verdict === 'DROP')!.probability).toBe(0.75);
  });
});
