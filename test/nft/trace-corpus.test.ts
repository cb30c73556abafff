/**
 * Every packet-flow case of kube-proxy's nftables test (flows.json) against its ruleset. kube-proxy's
 * test tracer lists every endpoint `numgen` can pick; ours gives one outcome per endpoint with its
 * probability, so `output` is the set of our DNATs, "DROP"/"REJECT" the verdict of every outcome,
 * and "" a packet delivered unchanged.
 */
import { describe, expect, it } from 'vitest';
import { traceNftPacket } from '../../src/core/nft/index.js';
import { loadNftCorpus, nftFlows, nftLocalIPs } from './nft-corpus.js';

describe('kube-proxy nftables flows.json', () => {
  const cases = nftFlows();

  it('has the 11 linked cases', () => {
    expect(cases).toHaveLength(11);
  });

  for (const c of cases) {
    it(`${c.dump}: ${c.name} (${c.sourceIP} -> ${c.destIP}:${c.destPort}/${c.protocol}) gives "${c.output}"${c.masq ? ', masqueraded' : ''}`, () => {
      const nft = loadNftCorpus(c.dump);
      expect(nft.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const r = traceNftPacket(nft, { protocol: c.protocol, src: c.sourceIP, dst: c.destIP, dport: c.destPort }, { localAddresses: nftLocalIPs(c.dump) });
      expect(r.error).toBeUndefined();
      expect(r.outcomes.length).toBeGreaterThan(0);
      expect(r.outcomes.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 12);
      for (const o of r.outcomes) expect(o.case).toEqual([]);
      if (c.output === '') {
        for (const o of r.outcomes) {
          expect(o.verdict).toBe('ACCEPT');
          expect(o.dnat).toBeNull();
        }
      } else if (c.output === 'DROP' || c.output === 'REJECT') {
        for (const o of r.outcomes) expect(o.verdict).toBe(c.output);
      } else {
        const expected = c.output.split(', ').sort();
        expect([...new Set(r.outcomes.map((o) => o.dnat))].sort()).toEqual(expected);
        for (const o of r.outcomes) {
          expect(o.verdict).toBe('ACCEPT');
          expect(o.probability).toBeCloseTo(1 / expected.length, 12);
          expect(o.endpointChain).toMatch(/^endpoint-/);
        }
      }
      for (const o of r.outcomes) expect(o.masquerade).toBe(c.masq);
    });
  }
});
