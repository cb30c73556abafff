/** Every corpus dump, every KUBE-SERVICES entry: the tracer answers cleanly (partial dumps included). */
import { describe, expect, it } from 'vitest';
import { argValue, findArg, type Ruleset } from '../../src/core/parse/index.js';
import { tracePacket } from '../../src/core/trace/index.js';
import { dumpsIndex, loadCorpusDump } from './corpus-setup.js';

function dnatTargets(rs: Ruleset): Set<string> {
  const out = new Set<string>();
  for (const t of rs.tables) for (const r of t.rules) if (r.target === 'DNAT') out.add(argValue(r, '--to-destination') ?? '');
  return out;
}

function serviceEntries(rs: Ruleset): Array<{ dst: string; dport: number }> {
  const out: Array<{ dst: string; dport: number }> = [];
  for (const t of rs.tables) {
    if (t.name !== 'nat') continue;
    for (const r of t.chainsByName.get('KUBE-SERVICES')?.rules ?? []) {
      const d = findArg(r, '-d');
      const port = argValue(r, '--dport');
      if (d && !d.negated && port) out.push({ dst: d.values[0]!.replace(/\/\d+$/, ''), dport: Number(port) });
    }
  }
  return out;
}

describe('all corpus dumps', () => {
  const index = dumpsIndex();
  for (const entry of index.dumps) {
    it(`${entry.file}: every service entry traces to known endpoints or a verdict`, () => {
      const rs = loadCorpusDump(entry.file);
      const node = { localAddresses: entry.environment?.tracer_local_ips ?? ['192.168.0.2'] };
      const targets = dnatTargets(rs);
      const entries = serviceEntries(rs);
      const complete = entry.kind === 'expected-full-sync' || entry.kind === 'static-input';
      if (complete) expect(entries.length).toBeGreaterThan(0);
      for (const { dst, dport } of entries) {
        for (const src of ['203.0.113.2', '10.0.0.2', '192.168.0.2']) {
          const r = tracePacket(rs, { protocol: 'tcp', src, dst, dport }, node);
          expect(r.error).toBeUndefined();
          const sum = r.outcomes.reduce((s, o) => s + o.probability, 0);
          expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
          for (const o of r.outcomes) {
            expect(o.probability).toBeGreaterThan(0);
            if (o.dnat !== null) expect(targets.has(o.dnat)).toBe(true);
            // A complete kube-proxy ruleset sends every service entry to an endpoint or says why not.
            if (complete) expect(o.dnat !== null || (o.verdict !== 'ACCEPT' && o.reason !== null)).toBe(true);
          }
        }
      }
    });
  }
});
