/**
 * The list filter: substring hits over every key in list order, fuse.js over names only when
 * nothing contains the query. Its shortcuts — one sweep over all rows' keys joined, and
 * skipping names that cannot be within fuse's threshold — must never change an answer: both
 * are compared with the plain computation on random input.
 */
import fc from 'fast-check';
import Fuse from 'fuse.js';
import { describe, expect, it } from 'vitest';
import { createSearcher, editsTo, FUZZY_THRESHOLD, type SearchRow } from '../../src/tui/model/search.js';

const rows: SearchRow[] = [
  { names: ['default/nginx'], keys: ['10.32.0.61', 'KUBE-SVC-2CMXP7HKUVJN7L6M', '10.64.2.4:80'] },
  { names: ['kube-system/kube-dns:dns'], keys: ['10.32.0.10', '10.64.0.2:53'] },
  { names: ['default/kubernetes:https'], keys: ['10.32.0.1'] },
];

describe('search', () => {
  it('finds by substring of any key, every word must match', () => {
    const s = createSearcher(rows);
    expect(s.search('').indices).toEqual([0, 1, 2]);
    expect(s.search('nginx')).toEqual({ indices: [0], fuzzy: false });
    expect(s.search('NGINX')).toEqual({ indices: [0], fuzzy: false });
    expect(s.search('10.64.2.4').indices).toEqual([0]);
    expect(s.search('2cmxp').indices).toEqual([0]);
    expect(s.search('10.32.0.1').indices).toEqual([1, 2]);
    expect(s.search('default https').indices).toEqual([2]);
    expect(s.search('https default').indices).toEqual([2]);
  });

  it('does not match across two keys or two rows', () => {
    const s = createSearcher([{ names: ['ab'], keys: ['cd'] }, { names: ['ef'] }]);
    expect(s.search('bc').indices).toEqual([]);
    expect(s.search('de').indices).toEqual([]);
    expect(s.search('fa').indices).toEqual([]);
    expect(s.search('cd').indices).toEqual([0]);
    expect(s.search('ef').indices).toEqual([1]);
  });

  it('keeps rows apart when lower case is longer than the text ("İ")', () => {
    const s = createSearcher([{ names: ['İİİ-web'] }, { names: ['api'] }, { names: ['db'] }]);
    expect(s.search('api').indices).toEqual([1]);
    expect(s.search('db').indices).toEqual([2]);
    expect(s.search('web').indices).toEqual([0]);
  });

  it('keeps the list order while typing and on backspace', () => {
    const s = createSearcher(rows);
    expect(s.search('d').indices).toEqual([0, 1, 2]);
    expect(s.search('de').indices).toEqual([0, 2]);
    expect(s.search('def').indices).toEqual([0, 2]);
    expect(s.search('def ng').indices).toEqual([0]);
    expect(s.search('def').indices).toEqual([0, 2]);
    expect(s.search('kube').indices).toEqual([0, 1, 2]);
  });

  it('falls back to fuzzy matching for typos in names, with a limit', () => {
    const s = createSearcher(rows, { fuzzyLimit: 1 });
    const r = s.search('ngnix');
    expect(r.fuzzy).toBe(true);
    expect(r.indices).toEqual([0]);
    expect(s.search('zz').indices).toEqual([]);
  });

  it('does not fuzz addresses and chain names (a wrong digit is another address)', () => {
    const s = createSearcher(rows);
    expect(s.search('10.32.0.16')).toEqual({ indices: [], fuzzy: true });
    expect(s.search('KUBE-SVC-2CMXP7HKUVJN7L6N').indices).toEqual([]);
  });

  it('gives every row a name shares, once', () => {
    const s = createSearcher([{ names: ['kube-dns', 'kube-dns:dns'] }, { names: ['kube-dns', 'kube-dns:dns-tcp'] }, { names: ['other'] }]);
    const r = s.search('kbue-dns');
    expect(r.fuzzy).toBe(true);
    expect([...r.indices].sort()).toEqual([0, 1]);
  });
});

/** The filter as its contract says, without an index: rows with every word inside some key. */
function reference(list: readonly SearchRow[], query: string): number[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const kept: number[] = [];
  list.forEach((row, i) => {
    const keys = [...row.names, ...(row.keys ?? [])].map((k) => k.toLowerCase());
    if (words.every((w) => keys.some((k) => k.includes(w)))) kept.push(i);
  });
  return kept;
}

const alphabet = fc.constantFrom(...'abcdeknsx-./:019 İ'.split(''));
const key = fc.array(alphabet.filter((c) => c !== ' '), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
const rowArb = fc.record({ names: fc.array(key, { minLength: 1, maxLength: 2 }), keys: fc.array(key, { maxLength: 3 }) });

describe('search agrees with the plain computation (fast-check)', () => {
  /** Sellers' table, column by column: the fewest edits between `p` and a substring of `t`. */
  function sellers(p: string, t: string): number {
    let col = [...Array(p.length + 1).keys()];
    let best = col[p.length]!;
    for (const c of t) {
      const next = [0];
      for (let i = 1; i <= p.length; i++) next[i] = Math.min(col[i - 1]! + (p[i - 1] === c ? 0 : 1), col[i]! + 1, next[i - 1]! + 1);
      col = next;
      best = Math.min(best, col[p.length]!);
    }
    return best;
  }

  it('edit distance to the nearest substring: Myers bit-parallel equals the table, patterns up to 32', () => {
    const ch = fc.constantFrom('a', 'b', 'c', '-');
    const str = (max: number) => fc.array(ch, { maxLength: max }).map((a) => a.join(''));
    fc.assert(
      fc.property(str(32), str(40), (p, t) => {
        expect(editsTo(p)(t)).toBe(sellers(p, t));
      }),
      { numRuns: 3000 },
    );
    expect(editsTo('a'.repeat(32))('a'.repeat(31))).toBe(1);
    expect(editsTo('ab'.repeat(16))('x' + 'ab'.repeat(16) + 'y')).toBe(0);
  });

  it('substring hits, typed one character at a time, with backspaces', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 25 }), fc.array(alphabet, { minLength: 1, maxLength: 8 }), fc.nat(8), (list, typed, back) => {
        const s = createSearcher(list, { minFuzzyLength: 99 });
        const query = typed.join('');
        const prefixes = [...Array(query.length).keys()].map((n) => query.slice(0, n + 1));
        const steps = [...prefixes, ...prefixes.slice(0, Math.max(0, prefixes.length - back)).reverse()];
        for (const q of steps) {
          const expected = reference(list, q);
          expect(s.search(q).indices, JSON.stringify(q)).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  // Few letters, so names share many of them and near-misses abound; upper case, a space and a non-BMP character too.
  const letters = fc.constantFrom(...['a', 'b', 'n', 'N', 'g', 'i', 'x', '-', '/', '\u{1F600}']);
  const word = fc.array(letters, { minLength: 1, maxLength: 20 }).map((a) => a.join(''));
  const spaced = fc.array(fc.oneof(letters, fc.constant(' ')), { minLength: 1, maxLength: 20 }).map((a) => a.join(''));

  /** Rows in the order fuse.js ranks every distinct name of `list`, each row once. */
  function fuseOrder(list: readonly SearchRow[], query: string): number[] {
    const distinct = [...new Set(list.flatMap((row) => row.names))];
    const fuse = new Fuse(distinct, { ignoreLocation: true, threshold: FUZZY_THRESHOLD });
    const expected: number[] = [];
    for (const hit of fuse.search(query)) {
      list.forEach((row, i) => {
        if (row.names.includes(hit.item) && !expected.includes(i)) expected.push(i);
      });
    }
    return expected;
  }

  it('fuzzy results equal fuse.js over every distinct name (the pre-filter drops nothing)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ names: fc.array(fc.oneof(word, spaced), { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 30 }), word, (list, query) => {
        const r = createSearcher(list, { fuzzyLimit: 10_000, minFuzzyLength: 1 }).search(query);
        if (r.fuzzy) expect(r.indices).toEqual(fuseOrder(list, query));
      }),
      { numRuns: 2000 },
    );
  });

  it('a fuzzy limit keeps the best rows fuse.js ranks (it ranks only the fewest-edit levels)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ names: fc.array(fc.oneof(word, word, spaced), { minLength: 1, maxLength: 2 }) }), { minLength: 1, maxLength: 40 }), word, fc.integer({ min: 1, max: 6 }), (list, query, limit) => {
        const r = createSearcher(list, { fuzzyLimit: limit, minFuzzyLength: 1 }).search(query);
        if (r.fuzzy) expect(r.indices).toEqual(fuseOrder(list, query).slice(0, limit));
      }),
      { numRuns: 2000 },
    );
  });

  it('lets fuse.js rank every match when names have spaces (its per-word norm can beat fewer edits)', () => {
    // 'aaaaaa' is 4 edits from the query, 'aaaaaaa b' 3; fuse still ranks the one-word name first.
    const list = [{ names: ['aaaaaaa b'] }, { names: ['aaaaaa'] }];
    const r = createSearcher(list, { fuzzyLimit: 1 }).search('aaaaaaaaaa');
    expect(r).toEqual({ indices: fuseOrder(list, 'aaaaaaaaaa').slice(0, 1), fuzzy: true });
    expect(r.indices).toEqual([1]);
  });

  it('answers 10k rows like 3 (the index is not a cache of the first query)', () => {
    const many: SearchRow[] = Array.from({ length: 10_000 }, (_, i) => ({
      names: [`ns${i % 50}/svc-${i}`],
      keys: [`10.${(i >> 8) & 255}.${i & 255}.1`, `KUBE-SVC-${String(i).padStart(16, 'A')}`],
    }));
    const s = createSearcher(many);
    expect(s.search('svc-9').indices.length).toBe(1111);
    expect(s.search('svc-9999').indices).toEqual([9999]);
    expect(s.search('ns7/').indices).toEqual(reference(many, 'ns7/'));
    expect(s.search('10.39.15.1').indices).toEqual([9999]);
    const typo = s.search('svc-9998x');
    expect(typo.fuzzy).toBe(true);
    expect(typo.indices).toContain(9998);
    expect(typo.indices.length).toBeLessThanOrEqual(200);
  });
});
