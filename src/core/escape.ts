/**
 * Text from a dump (comments, chain names, whole rules) can hold control characters and escape
 * sequences. Everything shown on a terminal goes through `escapeForTerminal`, so a rule can never
 * move the cursor, change colours, retitle the window, or reorder or break what the user reads.
 *
 * Escaped, and nothing else:
 * - C0 controls, DEL, C1 controls (U+0000–001F, U+007F–009F; U+009B alone is a CSI on many
 *   terminals), as `\xNN`;
 * - the bidirectional formatting characters, which reorder the text around them ("Trojan
 *   Source"): embeddings and overrides U+202A–202E, isolates U+2066–2069, and the marks U+061C,
 *   U+200E, U+200F (a mark only moves neutral characters, but is invisible: shown so that what
 *   the user reads is what the dump holds), as `\uNNNN`;
 * - the line and paragraph separators U+2028/2029, which some terminals and viewers break a line
 *   at, as `\uNNNN`;
 * - lone surrogates (U+D800–DFFF not in a pair), as `\uNNNN`: written to a terminal they would
 *   become U+FFFD and hide what was there. (A dump decoded from UTF-8 holds none; argv might.)
 * Other invisible characters (zero-width space, joiners) neither reorder nor break text: kept.
 */

/** What escapeForTerminal replaces; with `u`, a surrogate pair is one code point and does not match. */
export const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]/gu;

/** Those characters become `\xNN` (up to U+00FF) or `\uNNNN`; everything else is kept as is. */
export function escapeForTerminal(text: string): string {
  return text.replace(TERMINAL_UNSAFE, hexEscape);
}

/** True when `text` holds anything `escapeForTerminal` would change. */
export function hasControlCharacters(text: string): boolean {
  TERMINAL_UNSAFE.lastIndex = 0;
  const found = TERMINAL_UNSAFE.test(text);
  TERMINAL_UNSAFE.lastIndex = 0;
  return found;
}

function hexEscape(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? '\\x' + code.toString(16).padStart(2, '0') : '\\u' + code.toString(16).padStart(4, '0');
}
