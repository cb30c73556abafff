/**
 * Keys as the explorer handles them: one KeyPress per key. Ink hands over a run of typed or
 * pasted characters as one event ("/ngi" typed fast over SSH); splitting it lets each key go
 * to whoever owns the keyboard after the previous one (the list, then the filter line).
 */
import type { Key } from 'ink';
import type { Movement } from '../state/list-window.js';

export type KeyName =
  | 'up' | 'down' | 'left' | 'right' | 'pageUp' | 'pageDown' | 'home' | 'end'
  | 'return' | 'escape' | 'tab' | 'backspace' | 'delete';

export interface KeyPress {
  /** A named key, or null for a character. */
  readonly name: KeyName | null;
  /** The character typed ('' for named keys); with ctrl, the letter. */
  readonly char: string;
  readonly ctrl: boolean;
  readonly shift: boolean;
}

export function press(char: string, name: KeyName | null = null, mods: { ctrl?: boolean; shift?: boolean } = {}): KeyPress {
  return { name, char, ctrl: mods.ctrl ?? false, shift: mods.shift ?? false };
}

const NAMED: readonly (readonly [keyof Key, KeyName])[] = [
  ['upArrow', 'up'], ['downArrow', 'down'], ['leftArrow', 'left'], ['rightArrow', 'right'],
  ['pageUp', 'pageUp'], ['pageDown', 'pageDown'], ['home', 'home'], ['end', 'end'],
  ['return', 'return'], ['escape', 'escape'], ['tab', 'tab'], ['backspace', 'backspace'], ['delete', 'delete'],
];

const CONTROL_CHARS: Readonly<Record<string, KeyName>> = {
  '\r': 'return', '\n': 'return', '\t': 'tab', '\x7f': 'delete', '\b': 'backspace', '\x1b': 'escape',
};

/** Ink's (input, key) -> one KeyPress per key. */
export function splitKeys(input: string, key: Key): KeyPress[] {
  for (const [flag, name] of NAMED) {
    if (key[flag]) return [press('', name, { ctrl: key.ctrl, shift: key.shift })];
  }
  if (key.ctrl) return [press(input, null, { ctrl: true, shift: key.shift })];
  const out: KeyPress[] = [];
  for (const ch of input) {
    const name = CONTROL_CHARS[ch];
    out.push(name ? press('', name) : press(ch, null, { shift: ch !== ch.toLowerCase() }));
  }
  return out;
}

/** List movement keys: arrows, j/k, PgUp/PgDn, Ctrl-F/B/D/U, g/G, Home/End. */
export function movementOf(k: KeyPress): Movement | null {
  switch (k.name) {
    case 'up': return 'up';
    case 'down': return 'down';
    case 'pageUp': return 'pageUp';
    case 'pageDown': return 'pageDown';
    case 'home': return 'first';
    case 'end': return 'last';
    default: break;
  }
  if (k.ctrl) {
    if (k.char === 'f' || k.char === 'd') return 'pageDown';
    if (k.char === 'b' || k.char === 'u') return 'pageUp';
    return null;
  }
  switch (k.char) {
    case 'j': return 'down';
    case 'k': return 'up';
    case 'g': return 'first';
    case 'G': return 'last';
    default: return null;
  }
}

/** Movement keys that still work while the filter line takes the letters. */
export function filteringMovementOf(k: KeyPress): Movement | null {
  if (k.name === null) return null;
  return movementOf(k);
}

export function isCtrlC(k: KeyPress): boolean {
  return k.ctrl && k.char === 'c';
}

export function isBack(k: KeyPress): boolean {
  return k.name === 'escape' || k.name === 'backspace' || k.name === 'delete' || k.name === 'left';
}

/** Typing in a one-line field: printable characters append, Backspace/Delete remove the last one. */
export function editLine(text: string, k: KeyPress): string | null {
  if (k.name === 'backspace' || k.name === 'delete') return text.slice(0, -1);
  if (k.ctrl && k.char === 'u') return '';
  if (k.name === null && !k.ctrl && k.char !== '' && k.char >= ' ') return text + k.char;
  return null;
}
