/**
 * Search over a list's short keys, built once per list per snapshot.
 * Substring hits come first and need no fuzzy engine (fast at 10k+ rows); fuse.js runs only
 * when nothing contains the query (typos), with ignoreLocation and a result limit, and its
 * index is built on first use.
 */
import Fuse, { type FuseIndex } from 'fuse.js';

export interface SearchResult {
  /** Indices into the searched list, best first; the whole list (in order) for an empty query. */
  readonly indices: number[];
  /** True when no row contains the query and these are fuse.js's fuzzy matches, ranked. */
  readonly fuzzy: boolean;
}

export interface Searcher {
  search(query: string): SearchResult;
  readonly size: number;
}

export interface SearcherOptions {
  /** Cap on fuzzy results (substring hits are never capped: a filter must not hide matches). */
  readonly fuzzyLimit?: number;
  /** Queries shorter than this only match by substring: two letters match everything fuzzily. */
  readonly minFuzzyLength?: number;
}

interface Doc {
  readonly f: readonly string[];
}

/** `fields[i]` are the short strings that find row i (name, IPs, ports, chain names). */
export function createSearcher(fields: readonly (readonly string[])[], options: SearcherOptions = {}): Searcher {
  const fuzzyLimit = options.fuzzyLimit ?? 200;
  const minFuzzyLength = options.minFuzzyLength ?? 3;
  const lowered = fields.map((f) => f.map((s) => s.toLowerCase()));
  let fuse: Fuse<Doc> | null = null;

  const fuzzy = (query: string): number[] => {
    if (!fuse) {
      const docs: Doc[] = fields.map((f) => ({ f }));
      const keys = ['f'];
      const index: FuseIndex<Doc> = Fuse.createIndex(keys, docs);
      fuse = new Fuse(docs, { keys, ignoreLocation: true, threshold: 0.4, includeScore: false }, index);
    }
    return fuse.search(query, { limit: fuzzyLimit }).map((r) => r.refIndex);
  };

  return {
    size: fields.length,
    search(query: string): SearchResult {
      const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
      if (words.length === 0) return { indices: fields.map((_, i) => i), fuzzy: false };
      const hits = substringHits(lowered, words);
      if (hits.length > 0 || query.trim().length < minFuzzyLength) return { indices: hits, fuzzy: false };
      return { indices: fuzzy(query.trim()), fuzzy: true };
    },
  };
}

/** Rows where every word is inside some field; exact field matches rank first, then prefixes. */
function substringHits(lowered: readonly (readonly string[])[], words: readonly string[]): number[] {
  const ranked: { index: number; rank: number }[] = [];
  for (let i = 0; i < lowered.length; i++) {
    const row = lowered[i]!;
    let rank = 0;
    let all = true;
    for (const w of words) {
      let best = 3;
      for (const s of row) {
        if (s === w) { best = 0; break; }
        const at = s.indexOf(w);
        if (at === 0) best = Math.min(best, 1);
        else if (at > 0) best = Math.min(best, 2);
      }
      if (best === 3) { all = false; break; }
      rank += best;
    }
    if (all) ranked.push({ index: i, rank });
  }
  // Stable: equal ranks keep the list's own order.
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ranked.map((r) => r.index);
}
