/**
 * Text from a dump (comments, chain names, whole rules) can hold control characters and escape
 * sequences. Everything shown on a terminal goes through `escapeForTerminal`, so a rule can never
 * move the cursor, change colours or retitle the window.
 */

// C0 controls, DEL, C1 controls (U+0080–U+009F; U+009B alone is a CSI on many terminals).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters, DEL and C1 controls become `\xNN`; everything else is kept as is. */
export function escapeForTerminal(text: string): string {
  return text.replace(CONTROL, hexEscape);
}

/** True when `text` holds anything `escapeForTerminal` would change. */
export function hasControlCharacters(text: string): boolean {
  CONTROL.lastIndex = 0;
  const found = CONTROL.test(text);
  CONTROL.lastIndex = 0;
  return found;
}

function hexEscape(c: string): string {
  return '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
}
