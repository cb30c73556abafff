/** The visible window of a long list: pure arithmetic shared by the reducer and ListView. */

export interface ListPos {
  /** Selected row. */
  readonly cursor: number;
  /** First visible row. */
  readonly top: number;
  /** Identity of the selected row, so a re-sorted, re-filtered or refreshed list keeps it. */
  readonly key: string | null;
}

export const START: ListPos = { cursor: 0, top: 0, key: null };

export type Movement = 'up' | 'down' | 'pageUp' | 'pageDown' | 'first' | 'last';

export function clamp(n: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, n));
}

/** The top row that shows `cursor`, moving the window as little as possible. */
export function scrollInto(top: number, cursor: number, height: number, count: number): number {
  if (height <= 0 || count <= height) return 0;
  let t = top;
  if (cursor < t) t = cursor;
  else if (cursor >= t + height) t = cursor - height + 1;
  return clamp(t, 0, count - height);
}

/** Row `movement` leads to from `cursor`, within [0, count). */
export function moveCursor(cursor: number, movement: Movement, count: number, page: number): number {
  if (count <= 0) return 0;
  const step = Math.max(1, page);
  switch (movement) {
    case 'up': return clamp(cursor - 1, 0, count - 1);
    case 'down': return clamp(cursor + 1, 0, count - 1);
    case 'pageUp': return clamp(cursor - step, 0, count - 1);
    case 'pageDown': return clamp(cursor + step, 0, count - 1);
    case 'first': return 0;
    case 'last': return count - 1;
  }
}

/**
 * Where the selection is in the list as it is now: the row with the remembered key when the
 * list changed under it (new snapshot, sort, filter), else the remembered row, clamped.
 */
export function resolveCursor(pos: ListPos, count: number, keyAt: (index: number) => string): number {
  if (count <= 0) return 0;
  const cursor = clamp(pos.cursor, 0, count - 1);
  if (pos.key === null || keyAt(cursor) === pos.key) return cursor;
  for (let i = 0; i < count; i++) if (keyAt(i) === pos.key) return i;
  return cursor;
}

/** Rows of a `count`-row list that a `height`-row window scrolled to show `cursor` leaves out, above and below. */
export function hiddenRows(top: number, cursor: number, height: number, count: number): { readonly above: number; readonly below: number } {
  if (count <= 0) return { above: 0, below: 0 };
  const first = scrollInto(top, cursor, height, count);
  return { above: first, below: Math.max(0, count - first - Math.max(0, height)) };
}
