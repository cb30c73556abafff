/**
 * "Did you mean": the candidates nearest a mistyped word (a command, a chain name), by edit
 * distance, case-insensitively. Shared by the CLI and the explorer's `:` line so both suggest alike.
 */

/** Edits between a and b (insert, delete, substitute, swap two neighbours), stopping early once over `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      // "chian" is one slip from "chain", not two.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      row.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidates worth suggesting for `word`, best first (at most `max`): those it is a prefix of
 * (case-insensitively), else those within a third of its length in edits (at least 1, at most 3).
 */
export function suggestions(word: string, candidates: Iterable<string>, max = 3): string[] {
  const lower = word.toLowerCase();
  if (lower === '') return [];
  const prefixed: string[] = [];
  const near: { text: string; d: number }[] = [];
  const limit = Math.min(3, Math.max(1, Math.floor(lower.length / 3)));
  for (const c of candidates) {
    const cl = c.toLowerCase();
    if (cl === lower) return [c];
    if (cl.startsWith(lower)) prefixed.push(c);
    else {
      const d = editDistance(lower, cl, limit);
      if (d <= limit) near.push({ text: c, d });
    }
  }
  if (prefixed.length > 0) return prefixed.sort((a, b) => a.length - b.length || (a < b ? -1 : 1)).slice(0, max);
  return near.sort((a, b) => a.d - b.d || (a.text < b.text ? -1 : 1)).slice(0, max).map((n) => n.text);
}

/** " (did you mean X?)", " (did you mean X or Y?)", or '' when nothing is near. */
export function didYouMean(word: string, candidates: Iterable<string>, max = 3): string {
  const s = suggestions(word, candidates, max);
  if (s.length === 0) return '';
  const list = s.length === 1 ? s[0]! : `${s.slice(0, -1).join(', ')} or ${s[s.length - 1]!}`;
  return ` (did you mean ${list}?)`;
}
