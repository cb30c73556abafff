/** Small pure formatters for the views: numbers as `iptables -v` prints them, padding, percentages. */
import { escapeForTerminal, humanCount } from '../../core/index.js';

/** Counters as `iptables -v` prints them: the core's formatter, so CLI and views agree. */
export { humanCount };

/**
 * The one escape function for anything that came from a dump: control characters and ESC
 * become `\xNN`, so a comment can never move the cursor or recolour the terminal.
 */
export function display(text: string): string {
  return escapeForTerminal(text);
}

/** Probability as a short percentage: 1 -> "100%", 1/3 -> "33.3%". */
export function percent(p: number): string {
  const v = p * 100;
  if (v === 100 || v === 0) return `${v}%`;
  if (v >= 10) return `${trimZeros(v.toFixed(1))}%`;
  if (v >= 0.1) return `${trimZeros(v.toFixed(2))}%`;
  return `${v.toPrecision(2)}%`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * Left-aligned cell: cut to `width` (with "…") and padded with spaces. Cells escape their text
 * first, so a control character's \xNN counts in the width and columns stay aligned.
 */
export function cell(raw: string, width: number): string {
  const text = display(raw);
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : text.slice(0, width - 1) + '…';
  return text + ' '.repeat(width - text.length);
}

/** Left-aligned cell cut in the middle: "kube-sys…dns:dns-tcp" keeps both the namespace and the port name. */
export function midCell(raw: string, width: number): string {
  const text = display(raw);
  if (text.length <= width || width < 8) return cell(text, width);
  const tail = Math.ceil((width - 1) * 0.6);
  return text.slice(0, width - 1 - tail) + '…' + text.slice(text.length - tail);
}

/** Right-aligned cell, for numbers. */
export function rcell(raw: string, width: number): string {
  const text = display(raw);
  if (width <= 0) return '';
  if (text.length > width) return text.slice(0, width);
  return ' '.repeat(width - text.length) + text;
}

/** Keep the end of a long string (breadcrumbs): "…" + last `width - 1` characters. */
export function keepEnd(raw: string, width: number): string {
  const text = display(raw);
  if (text.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  return '…' + text.slice(text.length - width + 1);
}

export function plural(n: number, word: string, many = word + 's'): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Packets (or bytes) per second in a narrow column: "-" unknown, "0", "2.5", "840", "12K". */
export function rateText(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '-';
  if (rate === 0) return '0';
  if (rate < 0.05) return '<0.1';
  if (rate < 9.95) return trimZeros(rate.toFixed(1));
  return humanCount(Math.round(rate));
}

/** A change since the last refresh: "-" unknown, "0", "+12", "+3K". */
export function deltaText(delta: number | null | undefined): string {
  if (delta === null || delta === undefined) return '-';
  return delta === 0 ? '0' : `+${humanCount(delta)}`;
}

/** The marker of a row that counted since the last refresh (a character: never colour alone). */
export const COUNTED_MARK = '•';

export function countedMark(counted: boolean | undefined): string {
  return counted ? COUNTED_MARK : ' ';
}

/** "3.1 s", "12 s", "4 min", "2 h": how long, for ages and durations. */
export function seconds(s: number): string {
  if (s < 0) s = 0;
  if (s < 10) return `${trimZeros(s.toFixed(1))} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** Wall-clock time of day, HH:MM:SS, in the local time zone. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** "3 more below", "2 more above, 3 below", or '' when the whole list shows. */
export function moreText({ above, below }: { readonly above: number; readonly below: number }): string {
  if (above > 0 && below > 0) return `${above} more above, ${below} below`;
  if (above > 0) return `${above} more above`;
  if (below > 0) return `${below} more below`;
  return '';
}

/**
 * `raw` (escaped) cut into lines of `width` characters, at most `max` of them: the last one ends
 * with "…" when the text goes on. Lines break at a space near the edge; when that would take more
 * than `max` lines, every line is filled to the edge instead, so a text of up to `max * width`
 * characters is always shown whole.
 */
export function wrapText(raw: string, width: number, max: number): string[] {
  const text = display(raw);
  if (width <= 0 || max <= 0) return [];
  if (text.length <= width) return [text];
  const soft = softWrap(text, width);
  if (soft.length <= max) return soft;
  const hard: string[] = [];
  for (let i = 0; i < text.length && hard.length < max; i += width) hard.push(text.slice(i, i + width));
  if (text.length > max * width) hard[max - 1] = hard[max - 1]!.slice(0, width - 1) + '…';
  return hard;
}

function softWrap(text: string, width: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > width) {
    // Break after the last space in the line's second half; a long token is cut where it must be.
    const space = rest.lastIndexOf(' ', width);
    const cut = space >= width / 2 ? space + 1 : width;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut);
  }
  if (rest.length > 0) out.push(rest);
  return out;
}

/** The explorer's own glyphs in ASCII, one character for one so that columns stay aligned. */
const ASCII_GLYPHS: Readonly<Record<string, string>> = {
  '·': '|', '…': '~', '•': '+', '▸': '+', '▾': '-', '→': '>', '←': '<', '↑': '^', '↓': 'v',
  'Δ': 'd', '⌫': '<', '❯': '>', '─': '-', '×': 'x', '–': '-', '—': '-', '“': '"', '”': '"', '‘': "'", '’': "'",
};

/**
 * `text` (already escaped) for a terminal without UTF-8: the explorer's glyphs as ASCII look-alikes,
 * anything else outside ASCII (a dump's own UTF-8) as "?", one column for one.
 */
export function toAscii(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += code < 0x80 ? ch : ASCII_GLYPHS[ch] ?? '?';
  }
  return out;
}
