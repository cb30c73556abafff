/**
 * Property-based fuzz over parser + kube model + tracer together, on the random rulesets and
 * packets of fuzz-gen.ts. Whatever the dump, the model and the tracer never throw, every trace
 * ends, and every outcome is well formed: probabilities in (0, 1] summing to 1 within each case
 * (an undecided match splits cases, never chances), every outcome in some case, verdicts ACCEPT,
 * DROP or REJECT, and every path step a rule (with the target it took) or a built-in chain's policy.
 *
 * fast-check cannot interrupt synchronous code, so "ends" rests on the tracer's work limit
 * (TraceOptions.maxSteps): each trace here runs under a small one (at most MAX_STEPS), and a branch
 * that runs out of it must end with DROP and say so. No wall-clock bound: vitest's timeout is the
 * only guard against a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { findChain, isTableName, parseIptablesSave, type Ruleset } from '../../src/core/parse/index.js';
import { tracePacket, traceCases, type TraceResult } from '../../src/core/trace/index.js';
import { whichService } from '../../src/core/which.js';
import { dumpArb, packetArb, renderDump, type PacketSpec } from './fuzz-gen.js';

/** The largest work limit a trace here runs under (fuzz-gen draws 50, 2,000 or 20,000). */
const MAX_STEPS = 20_000;

/** Everything that must hold for any trace of any dump. */
function checkTrace(rs: Ruleset, r: TraceResult): void {
  if (r.error !== undefined) {
    expect(r.outcomes).toEqual([]);
    expect(r.error).toMatch(/\S/);
    return;
  }
  expect(r.outcomes.length).toBeGreaterThan(0);
  for (const o of r.outcomes) {
    expect(o.probability).toBeGreaterThan(0);
    expect(o.probability).toBeLessThanOrEqual(1);
    expect(['ACCEPT', 'DROP', 'REJECT']).toContain(o.verdict);
    expect(o.delivery === null).toBe(o.verdict !== 'ACCEPT');
    for (const step of o.path) {
      const chain = isTableName(step.table) ? findChain(rs, step.table, step.chain, r.packet.family) : undefined;
      expect(chain, `${step.table} ${step.chain} is not a chain of the dump`).toBeDefined();
      if (step.rule === null) {
        expect(chain!.builtin).toBe(true);
        expect(step.target).toMatch(/^policy \S+$/);
      } else {
        expect(step.rule).toBeGreaterThanOrEqual(1);
        expect(step.rule).toBeLessThanOrEqual(chain!.rules.length);
        expect(step.target).toBe(chain!.rules[step.rule - 1]!.target);
      }
    }
    for (const a of o.assumptions) expect(typeof a).toBe('string');
  }
  const cases = traceCases(r.outcomes);
  for (const c of cases) {
    const sum = c.outcomes.reduce((s, o) => s + o.probability, 0);
    expect(Math.abs(sum - 1), `case ${c.assumes.join(', ') || '(none)'}`).toBeLessThan(1e-9);
  }
  const inSomeCase = new Set(cases.flatMap((c) => c.outcomes));
  for (const o of r.outcomes) expect(inSomeCase.has(o)).toBe(true);
}

/** A trace under a bounded work limit: what ran out of it stopped with DROP and says why. */
function traceChecked(rs: Ruleset, p: PacketSpec): TraceResult {
  const budget = p.options.maxSteps;
  expect(budget, 'every trace here runs under a work limit').toBeDefined();
  expect(budget!).toBeLessThanOrEqual(MAX_STEPS);
  const r = tracePacket(rs, p.packet, { localAddresses: p.node }, p.options);
  checkTrace(rs, r);
  const why = `trace stopped after ${budget} rule steps`;
  for (const o of r.outcomes) {
    const stopped = o.reason?.startsWith(why) ?? false;
    expect(o.assumptions.some((a) => a.startsWith(why))).toBe(stopped);
    if (stopped) expect(o.verdict).toBe('DROP');
  }
  return r;
}

/** Model, every packet's trace, and `which` on each service (it traces every entry point). */
function checkDump(rs: Ruleset, packets: readonly PacketSpec[]): void {
  const model = buildKubeModel(rs);
  for (const s of model.services) {
    // Every chain of a service has an owner of its family that claims that chain (s, or an earlier
    // service claiming the same chain: the first in model order wins).
    const own = [...Object.values(s.chains), ...s.endpoints.map((e) => e.chain)].filter((c): c is string => c !== undefined);
    for (const chain of own) {
      const owner = model.chainOwner.get(`${s.family}/${chain}`);
      expect(owner, `${s.family}/${chain} has no owner`).toBeDefined();
      expect(owner!.family).toBe(s.family);
      expect([...Object.values(owner!.chains), ...owner!.endpoints.map((e) => e.chain)]).toContain(chain);
      if (owner !== s) expect(model.services.indexOf(owner!)).toBeLessThan(model.services.indexOf(s));
    }
    for (const e of s.endpoints) expect(e.probability).toBeGreaterThanOrEqual(0);
  }
  for (const p of packets) traceChecked(rs, p);
  const p = packets[0]!;
  for (const s of model.services.slice(0, 3)) {
    const w = whichService(rs, s, { nodeAddresses: p.node, client: null }, (r, packet, node) => tracePacket(r, packet, node, p.options));
    for (const probe of w.probes) checkTrace(rs, probe.result);
  }
}

const withPackets = (wild: boolean) =>
  dumpArb(wild).chain((spec) => fc.tuple(fc.constant(spec), fc.array(packetArb(spec.family), { minLength: 1, maxLength: 3 })));

describe('parser + model + tracer fuzz (fast-check)', () => {
  it('never throw, always end, and give well-formed outcomes', () => {
    fc.assert(
      fc.property(withPackets(false), ([spec, packets]) => {
        const rs = parseIptablesSave(renderDump(spec));
        // The generator writes valid dumps: an error here is a parser bug or a generator bug.
        expect(rs.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        checkDump(rs, packets);
      }),
      { numRuns: 150 },
    );
  });

  it('cope with whatever the parser makes of out-of-range and malformed values', () => {
    fc.assert(
      fc.property(withPackets(true), ([spec, packets]) => {
        checkDump(parseIptablesSave(renderDump(spec)), packets);
      }),
      { numRuns: 150 },
    );
  });

  it('the work limit ends a trace of a ruleset that nests jumps exponentially, with probabilities still summing to 1', () => {
    // 30 chains, each jumping twice to the next: the kernel walks 2^30 rules. And 8 chains of
    // three 50% splits into the next: the branches multiply beyond memory without a limit.
    const diamond = ['*filter', ':FORWARD ACCEPT [0:0]'];
    for (let i = 1; i <= 31; i++) diamond.push(`:C${i} - [0:0]`);
    diamond.push('-A FORWARD -j C1');
    for (let i = 1; i <= 30; i++) diamond.push(`-A C${i} -j C${i + 1}`, `-A C${i} -j C${i + 1}`);
    const splits = ['*nat', ':PREROUTING ACCEPT [0:0]'];
    for (let i = 1; i <= 9; i++) splits.push(`:C${i} - [0:0]`);
    splits.push('-A PREROUTING -j C1');
    for (let i = 1; i <= 8; i++) for (let k = 0; k < 3; k++) splits.push(`-A C${i} -m statistic --mode random --probability 0.50000000000 -j C${i + 1}`);
    for (const text of [diamond, splits]) {
      const rs = parseIptablesSave([...text, 'COMMIT', ''].join('\n'));
      const r = traceChecked(rs, { packet: { protocol: 'tcp', src: '203.0.113.7', dst: '10.0.0.1', dport: 80 }, node: [], options: { maxSteps: 10_000 } });
      const stopped = r.outcomes.filter((o) => o.reason?.startsWith('trace stopped after 10000 rule steps'));
      expect(stopped.length).toBeGreaterThan(0);
      for (const o of stopped) {
        expect(o.verdict).toBe('DROP');
        expect(o.assumptions.some((a) => a.startsWith('trace stopped after 10000 rule steps'))).toBe(true);
      }
    }
  });

  it('nested tiny chances that underflow a double give no outcome of probability 0 (found by the fuzz)', () => {
    // 36 rungs of --probability 0.00000000047 (2^-31, the smallest the kernel keeps): the chance of
    // reaching the last ones is below 5e-324, and used to come out as outcomes of probability 0.
    const lines = ['*filter', ':FORWARD ACCEPT [0:0]'];
    for (let i = 1; i <= 36; i++) lines.push(`:L${i} - [0:0]`);
    lines.push('-A FORWARD -j L1');
    for (let i = 1; i < 36; i++) lines.push(`-A L${i} -m statistic --mode random --probability 0.00000000047 -j L${i + 1}`);
    lines.push('-A L36 -j DROP', 'COMMIT', '');
    const rs = parseIptablesSave(lines.join('\n'));
    const r = traceChecked(rs, { packet: { protocol: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', dport: 80 }, node: [], options: { maxSteps: MAX_STEPS } });
    // The rungs still representable are there, each its own outcome; the unrepresentable DROP is not.
    expect(r.outcomes.length).toBeGreaterThan(30);
    expect(r.outcomes.every((o) => o.verdict === 'ACCEPT')).toBe(true);
    expect(Math.min(...r.outcomes.map((o) => o.probability))).toBeGreaterThan(0);
  });
});
