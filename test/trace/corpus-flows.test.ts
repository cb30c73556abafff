/**
 * Every packet-flow case of kube-proxy's own iptables test (flows.json) against its dump.
 * kube-proxy's test tracer lists every endpoint the random rules can reach; ours returns one
 * outcome per endpoint with its probability, so `output` maps onto the set of our DNATs.
 */
import { describe, expect, it } from 'vitest';
import { tracePacket, type TraceResult } from '../../src/core/trace/index.js';
import { dumpsIndex, flows, loadCorpusDump } from './corpus-setup.js';

const index = dumpsIndex();

function localIPs(dump: string): string[] {
  const env = index.dumps.find((d) => d.file === dump)?.environment;
  const ips = env?.tracer_local_ips ?? env?.testNodeIPs;
  if (!ips) throw new Error(`no local IPs for ${dump} in dumps.json`);
  return ips;
}

function probabilitySum(r: TraceResult): number {
  return r.outcomes.reduce((s, o) => s + o.probability, 0);
}

describe('kube-proxy flows.json', () => {
  const cases = flows();

  it('has cases to run', () => {
    expect(cases.length).toBeGreaterThanOrEqual(7);
  });

  for (const c of cases) {
    it(`${c.dump}: ${c.name} (${c.sourceIP} -> ${c.destIP}:${c.destPort}/${c.protocol}) gives "${c.output}"`, () => {
      const ruleset = loadCorpusDump(c.dump);
      const r = tracePacket(
        ruleset,
        { protocol: c.protocol, src: c.sourceIP, dst: c.destIP, dport: c.destPort },
        { localAddresses: localIPs(c.dump) },
      );
      expect(r.error).toBeUndefined();
      expect(r.outcomes.length).toBeGreaterThan(0);
      expect(probabilitySum(r)).toBeCloseTo(1, 9);
      for (const o of r.outcomes) expect(o.probability).toBeGreaterThan(0);

      const verdicts = new Set(['DROP', 'REJECT', 'ACCEPT']);
      if (c.output === '') {
        // Delivered unchanged: no DNAT anywhere, nothing dropped or rejected.
        for (const o of r.outcomes) {
          expect(o.dnat).toBeNull();
          expect(o.verdict).toBe('ACCEPT');
        }
      } else if (verdicts.has(c.output)) {
        for (const o of r.outcomes) {
          expect(o.verdict).toBe(c.output);
          if (c.output === 'ACCEPT') expect(o.dnat).toBeNull();
        }
      } else {
        const expected = c.output.split(', ').sort();
        const ours = [...new Set(r.outcomes.map((o) => o.dnat))].sort();
        expect(ours).toEqual(expected);
        for (const o of r.outcomes) expect(o.verdict).toBe('ACCEPT');
      }
      for (const o of r.outcomes) expect(o.masquerade).toBe(c.masq);
    });
  }
});

/**
 * TestOverallIPTablesRules has no flow cases of its own; these follow its rules hook by hook
 * (kernel order, implicit jumps added as kube-proxy installs them) for the paths the seed notes
 * and the design care about: source ranges, localhost node ports, eTP Local, no endpoints.
 */
describe('TestOverallIPTablesRules.dump, traced by hand', () => {
  const dump = 'TestOverallIPTablesRules.dump';
  const ruleset = loadCorpusDump(dump);
  const run = (src: string, dst: string, dport: number) =>
    tracePacket(ruleset, { protocol: 'tcp', src, dst, dport }, { localAddresses: localIPs(dump) });

  it('an allowed source reaches the LoadBalancer (session affinity, masqueraded by KUBE-EXT)', () => {
    const r = run('203.0.113.2', '5.6.7.8', 80);
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(o.dnat).toBe('10.180.0.3:80');
    expect(o.endpointChain).toBe('KUBE-SEP-I77PXRDZVX7PMWMN');
    expect(o.masquerade).toBe(true);
    expect(o.reason).toBe('masqueraded: KUBE-EXT-NUKIZ6OKUXPJNT4C rule 1 (masquerade traffic for ns5/svc5:p80 external destinations)');
    expect(o.assumptions.some((a) => a.includes('session affinity'))).toBe(true);
  });

  it('a source outside loadBalancerSourceRanges is dropped by KUBE-PROXY-FIREWALL', () => {
    const r = run('203.0.113.130', '5.6.7.8', 80);
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]!.verdict).toBe('DROP');
    expect(r.outcomes[0]!.reason).toMatch(/^source not in loadBalancerSourceRanges of ns5\/svc5:p80/);
  });

  it('a localhost node port is DNATed from nat OUTPUT and masqueraded', () => {
    const r = run('127.0.0.1', '127.0.0.1', 3001);
    expect(r.packet.origin).toBe('local');
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(o.dnat).toBe('10.180.0.2:80');
    expect(o.masquerade).toBe(true);
    expect(o.path.some((s) => s.chain === 'KUBE-NODEPORTS' && s.rule === 1)).toBe(true);
    expect(o.assumptions.some((a) => a.includes('nfacct'))).toBe(true);
  });

  it('an external client on a node port with eTP Local and no local endpoint is dropped', () => {
    const r = run('203.0.113.2', '192.168.0.2', 3001);
    expect(r.outcomes.map((o) => o.verdict)).toEqual(['DROP']);
    expect(r.outcomes[0]!.reason).toBe('ns2/svc2:p80 has no local endpoints (externalTrafficPolicy: Local and no endpoint on this node)');
  });

  it('a service without endpoints is rejected, and the health check node port accepted', () => {
    expect(run('10.0.0.2', '172.30.0.46', 80).outcomes.map((o) => [o.verdict, o.reason])).toEqual([
      ['REJECT', 'ns6/svc6:p80 has no endpoints'],
    ]);
    const hc = run('203.0.113.2', '192.168.0.2', 30000);
    expect(hc.outcomes.map((o) => [o.verdict, o.dnat, o.delivery])).toEqual([['ACCEPT', null, 'local']]);
  });
});
