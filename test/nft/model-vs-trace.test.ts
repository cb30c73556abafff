/**
 * The model and the tracer read the same rules two ways: for every service with endpoints in
 * every corpus ruleset, a packet to its cluster IP must reach exactly the model's endpoints with
 * the model's probabilities (in each case, when affinity splits the trace), and one to a service
 * the model lists without endpoints must be refused.
 */
import { describe, expect, it } from 'vitest';
import { whichService } from '../../src/core/index.js';
import { buildNftKubeModel, traceNftPacket } from '../../src/core/nft/index.js';
import { traceCases } from '../../src/core/trace/index.js';
import { loadNftCorpus, nftCorpusFiles, nftLocalIPs } from './nft-corpus.js';

describe('model and tracer agree on every corpus ruleset', () => {
  for (const file of nftCorpusFiles()) {
    it(file, () => {
      const nft = loadNftCorpus(file);
      const model = buildNftKubeModel(nft);
      let checked = 0;
      for (const s of model.services) {
        if (s.clusterIP === null || s.port === null) continue;
        const w = whichService(nft, s, { nodeAddresses: nftLocalIPs(file), client: null }, traceNftPacket);
        const probe = w.probes.find((p) => p.kind === 'clusterIP')!;
        const cases = traceCases(probe.result.outcomes);
        for (const c of cases) {
          expect(c.outcomes.reduce((sum, o) => sum + o.probability, 0)).toBeCloseTo(1, 12);
          if (s.endpoints.length === 0) {
            for (const o of c.outcomes) expect(o.verdict).not.toBe('ACCEPT');
            continue;
          }
          const reached = new Map<string, number>();
          for (const o of c.outcomes) {
            expect(o.verdict).toBe('ACCEPT');
            reached.set(o.dnat!, (reached.get(o.dnat!) ?? 0) + o.probability);
          }
          const pinned = c.assumes.some((a) => a.endsWith('=true'));
          const expected = s.internalTrafficPolicy === 'Local' ? s.endpoints.filter((e) => e.local) : s.endpoints;
          if (pinned) {
            // Affinity pins the client to one endpoint: certainly one of the model's.
            expect([...reached.keys()].every((a) => expected.some((e) => e.address === a))).toBe(true);
            continue;
          }
          expect([...reached.entries()].sort()).toEqual(
            expected.map((e) => [e.address!, e.probability] as [string, number]).sort().map(([a, p]) => [a, expect.closeTo(p, 12)]),
          );
        }
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
