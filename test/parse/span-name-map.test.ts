import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpanNameMap } from '../../src/core/parse/span-name-map.js';

/** The index must answer as a Map of the same names would, whatever span of whatever text is asked. */
describe('SpanNameMap', () => {
  it('finds what a Map finds, for names set, set again and never set', () => {
    const name = fc.stringMatching(/^[A-Z][A-Z0-9-]{0,24}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.integer({ min: 0, max: 1 << 20 })), { maxLength: 400 }), fc.array(name, { maxLength: 50 }), (sets, probes) => {
        const index = new SpanNameMap();
        const map = new Map<string, number>();
        for (const [n, v] of sets) {
          index.set(n, v);
          map.set(n, v);
        }
        for (const n of [...map.keys(), ...probes]) {
          // The name as a span inside a longer text, as the parser asks.
          const text = `-A ${n} -j X`;
          expect(index.find(text, 3, 3 + n.length)).toBe(map.get(n) ?? -1);
        }
      }),
    );
  });

  it('keeps every entry through several growths', () => {
    const index = new SpanNameMap();
    const names = Array.from({ length: 5000 }, (_, i) => `KUBE-SEP-${i.toString(36).toUpperCase().padStart(16, '0')}`);
    names.forEach((n, i) => index.set(n, i));
    names.forEach((n, i) => expect(index.find(n, 0, n.length)).toBe(i));
    expect(index.find('KUBE-SEP-', 0, 9)).toBe(-1);
    // A prefix or an extension of a name is another name.
    const first = names[0]!;
    expect(index.find(first + 'X', 0, first.length + 1)).toBe(-1);
    expect(index.find(first, 0, first.length - 1)).toBe(-1);
  });
});
