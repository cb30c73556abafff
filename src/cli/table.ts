/** Plain text tables: columns sized to their content, numbers right-aligned. */

export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
  /** The column may be cut (with "…" in the middle) when the table is wider than allowed. */
  readonly shrinkable?: boolean;
  /** Narrowest a shrinkable column gets. */
  readonly min?: number;
  /** A shorter header for narrow terminals ("NODE-PORT" -> "NPORT"). */
  readonly narrowHeader?: string;
}

/**
 * Lays out rows under headers with two spaces between columns. When the table is wider than
 * `maxWidth`, shrinkable columns are cut in the middle (the end of an id says which port it is);
 * the last column is never padded.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], maxWidth: number | null): string[] {
  const gap = 2;
  const measure = (headers: readonly string[]) => headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const total = (w: readonly number[]) => w.reduce((a, b) => a + b, 0) + gap * (w.length - 1);
  let headers = columns.map((c) => c.header);
  let widths = measure(headers);
  if (maxWidth !== null && total(widths) > maxWidth) {
    // First shorter headers, then cut the shrinkable columns.
    headers = columns.map((c) => c.narrowHeader ?? c.header);
    widths = measure(headers);
    for (let i = 0; i < columns.length && total(widths) > maxWidth; i++) {
      const c = columns[i]!;
      if (!c.shrinkable) continue;
      const min = Math.min(widths[i]!, Math.max(c.min ?? 8, headers[i]!.length));
      widths[i] = Math.max(min, widths[i]! - (total(widths) - maxWidth));
    }
  }
  const renderRow = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const w = widths[i]!;
        const text = fit(cells[i] ?? '', w);
        if (c.align === 'right') return text.padStart(w);
        return i === columns.length - 1 ? text : text.padEnd(w);
      })
      .join(' '.repeat(gap))
      .trimEnd();
  return [renderRow(headers), ...rows.map(renderRow)];
}

/** Cuts in the middle so both the start and the end stay readable. */
export function fit(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return text.slice(0, head) + '…' + (tail > 0 ? text.slice(text.length - tail) : '');
}
