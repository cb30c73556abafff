/** Small inline dumps and one-line traces for the tracer's unit tests. */
import { expect } from 'vitest';
import type { Ruleset } from '../../src/core/parse/index.js';
import { parseCleanly } from '../helpers/parse.js';
import { tracePacket, traceCases, type Outcome, type Packet, type TraceOptions, type TraceResult } from '../../src/core/trace/index.js';

/** The node's addresses in these tests. */
export const NODE_IPS = ['192.168.0.2', '2001:db8::2'];

/** A filter table whose CHECK chain (reached from INPUT, FORWARD and OUTPUT: every path) holds `rules`. */
export function checkDump(rules: readonly string[]): Ruleset {
  return save(`
    *filter
    :INPUT ACCEPT [0:0]
    :FORWARD ACCEPT [0:0]
    :OUTPUT ACCEPT [0:0]
    :CHECK - [0:0]
    [0:0] -A INPUT -j CHECK
    [0:0] -A FORWARD -j CHECK
    [0:0] -A OUTPUT -j CHECK
    ${rules.map((r) => `[0:0] -A CHECK ${r}`).join('\n')}
    COMMIT
  `);
}

/** Parses an inline iptables-save text (indentation removed); fails the test on parse errors. */
export function save(text: string): Ruleset {
  const lines = text.split('\n');
  const body = lines.map((l) => l.trim()).filter((l, i) => l !== '' || (i > 0 && i < lines.length - 1));
  return parseCleanly(body.join('\n') + '\n');
}

export function trace(
  rs: Ruleset,
  packet: Partial<Packet> & Pick<Packet, 'dst' | 'dport'>,
  options: TraceOptions = {},
  localAddresses: readonly string[] = NODE_IPS,
): TraceResult {
  const r = tracePacket(rs, { protocol: 'tcp', src: '203.0.113.7', ...packet }, { localAddresses }, options);
  expect(r.error).toBeUndefined();
  expectCasesSumToOne(r);
  return r;
}

/** Within each case the chances sum to 1, and every outcome is in some case. */
export function expectCasesSumToOne(r: TraceResult): void {
  const cases = traceCases(r.outcomes);
  for (const c of cases) expect(c.outcomes.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 9);
  const covered = new Set(cases.flatMap((c) => c.outcomes));
  for (const o of r.outcomes) expect(covered.has(o)).toBe(true);
}

export function total(r: TraceResult): number {
  return r.outcomes.reduce((s, o) => s + o.probability, 0);
}

/** The one outcome of a trace that has no split. */
export function only(r: TraceResult): Outcome {
  expect(r.outcomes).toHaveLength(1);
  return r.outcomes[0]!;
}

/** A path as short strings: "nat KUBE-SERVICES#3>KUBE-SVC-X", policies as "filter FORWARD#policy ACCEPT". */
export function steps(o: Outcome): string[] {
  return o.path.map((s) => `${s.table} ${s.chain}#${s.rule ?? s.target}${s.rule === null ? '' : '>' + s.target}`);
}

/** True when some assumption mentions every one of the given fragments. */
export function hasAssumption(o: Outcome, ...fragments: string[]): boolean {
  return o.assumptions.some((a) => fragments.every((f) => a.includes(f)));
}
