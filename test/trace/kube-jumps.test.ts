/**
 * --kube-jumps: kube-proxy's own test dumps hold none of the jumps from the built-in chains
 * (kube-proxy adds them with `iptables -I`). The option adds the standard ones a dump lacks, and
 * every path through one says the rule was assumed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASSUMED_LINE, parseErrors, parseIptablesSave } from '../../src/core/parse/index.js';
import { tracePacket } from '../../src/core/trace/index.js';

const corpus = path.join(import.meta.dirname, '../corpus/kube-proxy/iptables');
const overall = readFileSync(path.join(corpus, 'TestOverallIPTablesRules.dump'), 'utf8');
const packet = { protocol: 'tcp' as const, src: '10.0.0.2', dst: '172.30.0.41', dport: 80 };
const node = { localAddresses: ['192.168.0.2'] };

describe('--kube-jumps', () => {
  it('without it the corpus dump never reaches KUBE-SERVICES: no DNAT', () => {
    const rs = parseIptablesSave(overall);
    expect(tracePacket(rs, packet, node).outcomes.every((o) => o.dnat === null)).toBe(true);
  });

  it('adds the standard jumps the dump lacks, at the top of the built-in chains, at line 0, and says so in a note', () => {
    const rs = parseIptablesSave(overall, { kubeJumps: true });
    expect(parseErrors(rs)).toEqual([]);
    const nat = rs.tables.find((t) => t.name === 'nat')!;
    const pre = nat.chainsByName.get('PREROUTING')!;
    expect(pre.rules[0]).toMatchObject({ line: ASSUMED_LINE, index: 1, target: 'KUBE-SERVICES' });
    expect(pre.rules[0]!.text).toBe('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(nat.chainsByName.get('POSTROUTING')!.rules.map((r) => r.target)[0]).toBe('KUBE-POSTROUTING');
    const filter = rs.tables.find((t) => t.name === 'filter')!;
    // Only jumps to chains the table has: each added rule's target is a chain of its table.
    for (const t of [nat, filter]) for (const r of t.rules.filter((x) => x.line === ASSUMED_LINE)) expect(t.chainsByName.has(r.target!)).toBe(true);
    expect(rs.info.notes.filter((n) => n.startsWith('--kube-jumps:'))).toHaveLength(2);
  });

  it('the cluster IP is DNATed through the assumed jump, and the outcome says it was assumed', () => {
    const rs = parseIptablesSave(overall, { kubeJumps: true });
    const r = tracePacket(rs, packet, node);
    expect(r.outcomes.length).toBeGreaterThan(0);
    for (const o of r.outcomes) {
      expect(o.dnat).toMatch(/^10\.180\.0\.1:80$/);
      expect(o.path[0]).toMatchObject({ table: 'nat', chain: 'PREROUTING', rule: 1, line: 0, target: 'KUBE-SERVICES' });
      expect(o.assumptions).toContain(`nat PREROUTING: assumed kube-proxy's jump (--kube-jumps), not in the dump: -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`);
    }
  });

  it('a dump that has the jumps gets none added, and line numbers do not move', () => {
    const seed = readFileSync(path.join(import.meta.dirname, '../../fixtures/seed-nodeport-cluster.save'), 'utf8');
    const plain = parseIptablesSave(seed);
    const withJumps = parseIptablesSave(seed, { kubeJumps: true });
    const lines = (rs: typeof plain) => rs.tables.flatMap((t) => t.rules.map((r) => `${t.name} ${r.chain} ${r.index} ${r.line} ${r.text}`));
    expect(lines(withJumps).filter((l) => / 0 -A /.test(l)).length).toBeLessThanOrEqual(lines(withJumps).length - lines(plain).length);
    expect(lines(withJumps).filter((l) => l.startsWith('nat PREROUTING '))).toEqual(lines(plain).filter((l) => l.startsWith('nat PREROUTING ')));
    expect(withJumps.diagnostics).toEqual(plain.diagnostics);
  });
});
