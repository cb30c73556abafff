/**
 * One table twice in a dump (two nat blocks of one family, as concatenated dumps give).
 * iptables-restore replaces the whole table at each `*nat … COMMIT`, so the kernel holds the
 * last block only (test/kernel/tables-twice.test.ts checks that on a real kernel). The model,
 * the tracer, the chain lookup and the counters must all read that block and nothing of the first.
 */
import { describe, expect, it } from 'vitest';
import { diffSnapshots } from '../../src/core/counters/index.js';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { findChain, liveTables, parseIptablesSave } from '../../src/core/parse/index.js';
import { tracePacket } from '../../src/core/trace/index.js';
import { natTwice } from './tables-twice-dump.js';

/** The line of the second block's KUBE-SEP-1111 DNAT rule. */
const SECOND_SEP_DNAT_LINE = 25;

describe('a nat table twice: the last block is the table', () => {
  const ruleset = parseIptablesSave(natTwice());

  it('parses both blocks without complaint, and counts only the last', () => {
    expect(ruleset.diagnostics).toEqual([]);
    expect(ruleset.tables.map((t) => t.line)).toEqual([1, 13]);
    expect(liveTables(ruleset).map((t) => t.line)).toEqual([13]);
  });

  it('models the services and endpoints of the last block only', () => {
    const model = buildKubeModel(ruleset);
    expect(model.services.map((s) => s.id)).toEqual(['ns/b:http']);
    expect(model.byId.get('ns/b:http')!.endpoints.map((e) => [e.chain, e.address, e.probability, e.packets, e.dnatRule?.line])).toEqual([
      ['KUBE-SEP-1111111111111111', '10.99.9.9:1', 0.5, 7, SECOND_SEP_DNAT_LINE],
      ['KUBE-SEP-2222222222222222', '10.64.0.2:8080', 0.5, 5, 26],
    ]);
  });

  it('finds a chain both blocks declare in the last one', () => {
    expect(findChain(ruleset, 'nat', 'KUBE-SEP-1111111111111111', 'ipv4')!.rules[0]!.line).toBe(SECOND_SEP_DNAT_LINE);
    expect(findChain(ruleset, 'nat', 'KUBE-SVC-AAAAAAAAAAAAAAAA', 'ipv4')).toBeUndefined();
  });

  it('traces through the last block: the first block\'s service is not there', () => {
    const node = { localAddresses: ['172.16.1.10'] };
    const gone = tracePacket(ruleset, { protocol: 'tcp', src: '10.0.0.5', dst: '10.96.0.10', dport: 80 }, node);
    expect(gone.outcomes.map((o) => o.dnat)).toEqual([null]);
    const there = tracePacket(ruleset, { protocol: 'tcp', src: '10.0.0.5', dst: '10.96.0.20', dport: 80 }, node);
    expect(there.outcomes.map((o) => [o.probability, o.dnat])).toEqual([
      [0.5, '10.99.9.9:1'],
      [0.5, '10.64.0.2:8080'],
    ]);
  });

  it('counts the last block\'s rules between snapshots', () => {
    const prev = parseIptablesSave(natTwice({ first: 3, second: 7 }));
    const cur = parseIptablesSave(natTwice({ first: 100, second: 9 }));
    const diff = diffSnapshots({ ruleset: prev, takenAtMs: 0 }, { ruleset: cur, takenAtMs: 1000 });
    expect(diff.chainRules('nat', 'ipv4', 'KUBE-SEP-1111111111111111')!.map((d) => d.deltaPackets)).toEqual([2]);
    expect(diff.countedRules().map((d) => [d.rule.line, d.deltaPackets])).toEqual([[SECOND_SEP_DNAT_LINE, 2]]);
    expect(diff.rule(cur.tables[0]!.rules.at(-1)!)).toBeUndefined();
  });
});
