import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave, serializeRuleset } from '../../src/core/parse/index.js';
import { corpusDir } from '../helpers/paths.js';

const corpusLines = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.dump'))
  .flatMap((f) => readFileSync(path.join(corpusDir, f), 'utf8').split('\n'));

/** Lines that look like a dump: real corpus lines, mutated, plus the syntax's special characters. */
const dumpLine = fc.oneof(
  fc.constantFrom(...corpusLines),
  fc.constantFrom('*nat', '*filter', 'COMMIT', ':X - [0:0]', '[1:2] -A X -j X', '-X X', '! -s', '"', '\\', '\r', '-A', '-I X 0', '-F'),
  fc.tuple(fc.constantFrom(...corpusLines), fc.nat(200), fc.string({ maxLength: 8 })).map(
    ([line, at, insert]) => line.slice(0, at) + insert + line.slice(at + insert.length),
  ),
  fc.string({ maxLength: 80, unit: 'binary' }),
);

/** Every string the parser returns must be usable: no throw, serialize works, positions in range. */
function checkParse(text: string): void {
  const rs = parseIptablesSave(text);
  const lines = text.split('\n').length;
  for (const d of rs.diagnostics) {
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.line).toBeLessThanOrEqual(lines);
    expect(d.column).toBeGreaterThanOrEqual(1);
  }
  for (const t of rs.tables) for (const r of t.rules) expect(Array.isArray(r.args)).toBe(true);
  serializeRuleset(rs);
}

describe('parser fuzz (fast-check)', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (s) => checkParse(s)), { numRuns: 400 });
  });

  it('never throws on dump-like lines in any order', () => {
    fc.assert(fc.property(fc.array(dumpLine, { maxLength: 60 }), (ls) => checkParse(ls.join('\n'))), { numRuns: 400 });
  });

  it('a parsed dump serializes to text that parses to the same rules', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...corpusLines), { maxLength: 60 }), (ls) => {
        const rs = parseIptablesSave(ls.join('\n'));
        const again = parseIptablesSave(serializeRuleset(rs));
        const ruleTexts = (x: typeof rs) =>
          x.tables.flatMap((t) => t.rules.map((r) => JSON.stringify([r.chain, r.target, r.args.map((a) => [a.name, a.negated, a.values])])));
        expect(ruleTexts(again)).toEqual(ruleTexts(rs));
      }),
      { numRuns: 200 },
    );
  });
});
