/**
 * Every corpus dump, every KUBE-SERVICES entry: the tracer answers cleanly (partial dumps included),
 * and a complete dump sends each entry to an endpoint or says why not.
 */
import { describe, expect, it } from 'vitest';
import { argValue, findArg, type Ruleset } from '../../src/core/parse/index.js';
import { tracePacket, type TraceResult } from '../../src/core/trace/index.js';
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

/** Traces every service entry of a dump from three sources; checks each trace, and each outcome with `outcome`. */
function traceEntries(file: string, local: string[] | undefined, outcome: (o: TraceResult['outcomes'][number]) => void): void {
  const rs = loadCorpusDump(file);
  const node = { localAddresses: local ?? ['192.168.0.2'] };
  const targets = dnatTargets(rs);
  const entries = serviceEntries(rs);
  // Every corpus dump, partial ones included, holds service entries: none would test nothing.
  expect(entries.length).toBeGreaterThan(0);
  for (const { dst, dport } of entries) {
    for (const src of ['203.0.113.2', '10.0.0.2', '192.168.0.2']) {
      const r = tracePacket(rs, { protocol: 'tcp', src, dst, dport }, node);
      expect(r.error).toBeUndefined();
      expect(r.outcomes.length).toBeGreaterThan(0);
      const sum = r.outcomes.reduce((s, o) => s + o.probability, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
      for (const o of r.outcomes) {
        expect(o.probability).toBeGreaterThan(0);
        // A DNAT goes to an address some rule of the dump names.
        expect(o.dnat === null || targets.has(o.dnat), `${o.dnat}`).toBe(true);
        outcome(o);
      }
    }
  }
}

const isComplete = (kind: string) => kind === 'expected-full-sync' || kind === 'static-input';

describe('complete corpus dumps', () => {
  for (const entry of dumpsIndex().dumps.filter((e) => isComplete(e.kind))) {
    it(`${entry.file}: every service entry reaches one of its endpoints, or a verdict that says why not`, () => {
      traceEntries(entry.file, entry.environment?.tracer_local_ips, (o) => {
        expect(o.dnat !== null || (o.verdict !== 'ACCEPT' && o.reason !== null), `${o.verdict} ${o.reason}`).toBe(true);
      });
    });
  }
});

describe('partial corpus dumps (a sync of only what changed)', () => {
  for (const entry of dumpsIndex().dumps.filter((e) => !isComplete(e.kind))) {
    it(`${entry.file}: every service entry traces cleanly, DNAT only to its endpoints`, () => {
      // A partial dump may lack the chains an entry jumps to: any well-formed verdict will do.
      traceEntries(entry.file, entry.environment?.tracer_local_ips, (o) => expect(['ACCEPT', 'DROP', 'REJECT']).toContain(o.verdict));
    });
  }
});
