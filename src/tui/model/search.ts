/**
 * Search over a list's short keys, built once per list per snapshot.
 *
 * Substring hits come first and need no fuzzy engine: every row's keys are lower-cased into one
 * string, so a word is found with one `indexOf` sweep over the whole list (fast at 10k+ rows).
 * They keep the list's order (the screen's sort, as k9s keeps it).
 * fuse.js runs only when nothing contains the query (typos), and only on the row's names — the
 * words people misspell, not addresses or hashed chain names — each name once, after a cheap
 * pre-filter that drops names which cannot be within fuse's error threshold.
 */
import Fuse from 'fuse.js';

export interface SearchResult {
  /** Indices into the searched list: substring hits in list order, fuzzy ones best first. */
  readonly indices: number[];
  /** True when no row contains the query and these are fuse.js's fuzzy matches, ranked. */
  readonly fuzzy: boolean;
}

export interface Searcher {
  search(query: string): SearchResult;
  readonly size: number;
}

/** What finds one row. */
export interface SearchRow {
  /** Names people type and misspell (service id, target, summary): substring and fuzzy. */
  readonly names: readonly string[];
  /** More keys (addresses, ports, chain names): substring only, fuzzy on them finds noise. */
  readonly keys?: readonly string[];
}

export interface SearcherOptions {
  /** Cap on fuzzy results (substring hits are never capped: a filter must not hide matches). */
  readonly fuzzyLimit?: number;
  /** Queries shorter than this only match by substring: two letters match everything fuzzily. */
  readonly minFuzzyLength?: number;
}

/** fuse.js's threshold: a match may have this many errors per character of the query. */
export const FUZZY_THRESHOLD = 0.4;
/** fuse.js splits longer patterns into chunks and scores them apart: such queries it judges alone. */
const MAX_PATTERN = 32;
/** Between a row's keys: whitespace, so never inside a query word. */
const SEP = '\n';

export function createSearcher(rows: readonly SearchRow[], options: SearcherOptions = {}): Searcher {
  const fuzzyLimit = options.fuzzyLimit ?? 200;
  const minFuzzyLength = options.minFuzzyLength ?? 3;
  const text = new RowText(rows);
  const names = new NameIndex(rows);

  return {
    size: rows.length,
    search(query: string): SearchResult {
      const lowered = query.trim().toLowerCase();
      const words = lowered.split(/\s+/).filter(Boolean);
      if (words.length === 0) return { indices: rows.map((_, i) => i), fuzzy: false };
      const hits = text.scan(words);
      if (hits.length > 0 || lowered.length < minFuzzyLength) return { indices: hits, fuzzy: false };
      return { indices: names.fuzzy(query.trim(), fuzzyLimit), fuzzy: true };
    },
  };
}

/** Every row's keys, lower-cased, in one string: `\nkey\nkey\n` per row, rows back to back. */
class RowText {
  private readonly all: string;
  /** Row i is all.slice(start[i], start[i + 1]). */
  private readonly start: Int32Array;

  constructor(rows: readonly SearchRow[]) {
    this.start = new Int32Array(rows.length + 1);
    const all = this.join(rows, (k) => k);
    // One toLowerCase over the whole text, not one per key, unless lower case is longer somewhere
    // ("İ" is two UTF-16 units in lower case): then the rows' offsets are the lower-cased keys'.
    const lowered = all.toLowerCase();
    this.all = lowered.length === all.length ? lowered : this.join(rows, (k) => k.toLowerCase());
  }

  /** The rows' keys as one string, through `map`; sets the rows' offsets. */
  private join(rows: readonly SearchRow[], map: (key: string) => string): string {
    let all = '';
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      this.start[i] = all.length;
      for (const name of row.names) all += SEP + map(name);
      if (row.keys) for (const key of row.keys) all += SEP + map(key);
      all += SEP;
    }
    this.start[rows.length] = all.length;
    return all;
  }

  /**
   * Rows containing every word, in list order: one indexOf sweep over all rows for the longest
   * word (jumping to the next row after each hit), then only the rows it found for the others.
   */
  scan(words: readonly string[]): number[] {
    let longest = words[0]!;
    for (const w of words) if (w.length > longest.length) longest = w;
    const found: number[] = [];
    const rowCount = this.start.length - 1;
    let r = 0;
    for (let pos = this.all.indexOf(longest); pos >= 0; ) {
      while (this.start[r + 1]! <= pos) r++;
      found.push(r);
      pos = r + 1 < rowCount ? this.all.indexOf(longest, this.start[r + 1]!) : -1;
    }
    if (words.length === 1) return found;
    return found.filter((i) => {
      const row = this.all.slice(this.start[i]!, this.start[i + 1]!);
      return words.every((w) => row.includes(w));
    });
  }
}

/** Each distinct name once, with the rows it names; fuse.js over the ones that could match. */
class NameIndex {
  private readonly names: string[] = [];
  /** Every name lower-cased, back to back: name n is lowered[start[n], start[n + 1]). */
  private readonly lowered: string;
  private readonly start: Int32Array;
  private readonly rowsOf: number[][] = [];

  constructor(rows: readonly SearchRow[]) {
    const byName = new Map<string, number>();
    for (let i = 0; i < rows.length; i++) {
      for (const name of rows[i]!.names) {
        if (name === '') continue;
        let n = byName.get(name);
        if (n === undefined) {
          n = this.names.length;
          byName.set(name, n);
          this.names.push(name);
          this.rowsOf.push([]);
        }
        const list = this.rowsOf[n]!;
        if (list[list.length - 1] !== i) list.push(i);
      }
    }
    // Joined once (a flat string, not a rope of 13k pieces flattened by the first fuzzy keystroke).
    this.start = new Int32Array(this.names.length + 1);
    const parts: string[] = [];
    let length = 0;
    for (let n = 0; n < this.names.length; n++) {
      this.start[n] = length;
      const part = this.names[n]!.toLowerCase();
      parts.push(part);
      length += part.length;
    }
    this.start[this.names.length] = length;
    this.lowered = parts.join('');
  }

  /**
   * Rows whose names fuse.js matches, best first, at most `limit`. fuse scores a name without
   * spaces by its fewest edits alone, ties in list order, so fuse need only rank the names that
   * order puts first, enough for `limit` rows; a name with spaces it also scores per word, so
   * when one is among those, fuse ranks every match.
   */
  fuzzy(query: string, limit: number): number[] {
    const matches = this.matches(query.toLowerCase());
    if (matches.length === 0) return [];
    // Fewest edits first, equal edits in list order; enough names to name `limit` rows.
    const levels: number[][] = [];
    for (const { name, edits } of matches) (levels[edits] ??= []).push(name);
    const best: number[] = [];
    const covered = new Set<number>();
    for (const level of levels) {
      for (const name of level ?? []) {
        if (covered.size >= limit) break;
        best.push(name);
        for (const row of this.rowsOf[name]!) covered.add(row);
      }
    }
    const candidates = best.some((n) => this.names[n]!.includes(' ')) ? matches.map((x) => x.name) : best.sort((x, y) => x - y);
    const fuse = new Fuse(candidates.map((n) => this.names[n]!), { ignoreLocation: true, threshold: FUZZY_THRESHOLD });
    const rows: number[] = [];
    const seen = new Set<number>();
    for (const r of fuse.search(query)) {
      for (const row of this.rowsOf[candidates[r.refIndex]!]!) {
        if (seen.has(row)) continue;
        seen.add(row);
        rows.push(row);
        if (rows.length >= limit) return rows;
      }
    }
    return rows;
  }

  /**
   * The names fuse.js will match, in list order, with their fewest edits: those where some
   * substring is within k edits of the query (fuse's bitap, k/m within its threshold), found
   * here without fuse's per-name allocations.
   */
  private matches(query: string): { name: number; edits: number }[] {
    const m = query.length;
    if (m > MAX_PATTERN) return this.names.map((_, name) => ({ name, edits: 0 })); // fuse chunks long queries: it judges
    let k = 0;
    while ((k + 1) / m <= FUZZY_THRESHOLD) k++; // fuse.js's own test, error by error
    const edits = new NearestEdits(query);
    const found: { name: number; edits: number }[] = [];
    for (let i = 0; i < this.names.length; i++) {
      const e = edits.within(this.lowered, this.start[i]!, this.start[i + 1]!);
      if (e <= k) found.push({ name: i, edits: e });
    }
    return found;
  }
}

/**
 * For a pattern of at most 32 UTF-16 units, a function giving the fewest edits (insert, delete,
 * substitute) between it and any substring of a text: Myers' bit-parallel algorithm, one step
 * per text character, a match may start anywhere.
 */
export function editsTo(pattern: string): (text: string) => number {
  const edits = new NearestEdits(pattern);
  return (text) => edits.within(text, 0, text.length);
}

/**
 * editsTo for one pattern over many texts, each a span of one string (NameIndex keeps every name
 * in one): the per-pattern tables are built once and the loop reads locals, not a closure's
 * captured variables, which made the 13k-name pass several times slower.
 */
export class NearestEdits {
  private readonly m: number;
  private readonly mask: number;
  private readonly high: number;
  /** Per character, the pattern positions holding it: a table for ASCII, a map for the rest. */
  private readonly ascii = new Int32Array(128);
  private readonly other = new Map<number, number>();

  constructor(pattern: string) {
    const m = pattern.length;
    if (m > MAX_PATTERN) throw new RangeError(`pattern longer than ${MAX_PATTERN}`);
    this.m = m;
    this.mask = m === 32 ? 0xffffffff : (1 << m) - 1;
    this.high = m === 0 ? 0 : 1 << (m - 1);
    for (let i = 0; i < m; i++) {
      const c = pattern.charCodeAt(i);
      if (c < 128) this.ascii[c]! |= 1 << i;
      else this.other.set(c, (this.other.get(c) ?? 0) | (1 << i));
    }
  }

  /** The fewest edits between the pattern and any substring of text[from, to). */
  within(text: string, from: number, to: number): number {
    const { m, mask, high, ascii, other } = this;
    if (m === 0) return 0;
    const hasOther = other.size > 0;
    let pv = mask;
    let mv = 0;
    let score = m;
    let best = m;
    for (let j = from; j < to && best > 0; j++) {
      const c = text.charCodeAt(j);
      const eq = c < 128 ? ascii[c]! : hasOther ? (other.get(c) ?? 0) : 0;
      const xv = eq | mv;
      const xh = ((((eq & pv) + pv) & mask) ^ pv) | eq;
      let ph = mv | (~(xh | pv) & mask);
      let mh = pv & xh;
      if (ph & high) score++;
      else if (mh & high) score--;
      // Shifted in as 0: row 0 of the table is all zeros, a match may begin at any column.
      ph = (ph << 1) & mask;
      mh = (mh << 1) & mask;
      pv = mh | (~(xv | ph) & mask);
      mv = ph & xv;
      if (score < best) best = score;
    }
    return best;
  }
}
