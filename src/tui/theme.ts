/**
 * Styles by role. With NO_COLOR no role has a colour: the selection is in reverse video (an
 * attribute, not a colour, which NO_COLOR leaves alone) besides its ">" marker, and a row that
 * needs attention is bold besides its "!" marker, so nothing relies on colour alone. Without a
 * UTF-8 locale (LANG=C) the explorer draws ASCII only.
 */
import { createContext, useContext } from 'react';

export interface TextStyle {
  readonly color?: string;
  readonly bold?: boolean;
  readonly inverse?: boolean;
  readonly dimColor?: boolean;
}

export interface Theme {
  readonly color: boolean;
  /** Draw ASCII only: the terminal's locale is not UTF-8. */
  readonly ascii: boolean;
  /** A row that needs attention: no endpoints, or none on this node under a Local policy. */
  readonly flagged: TextStyle;
  readonly selected: TextStyle;
  readonly header: TextStyle;
  readonly crumbs: TextStyle;
  readonly dim: TextStyle;
  readonly error: TextStyle;
  readonly input: TextStyle;
  verdict(verdict: string): TextStyle;
}

const PLAIN: TextStyle = {};

export function makeTheme(color: boolean, ascii = false): Theme {
  if (!color) {
    return { color, ascii, selected: { inverse: true }, flagged: { bold: true }, header: PLAIN, crumbs: PLAIN, dim: PLAIN, error: PLAIN, input: PLAIN, verdict: () => PLAIN };
  }
  return {
    color,
    ascii,
    flagged: { color: 'yellow', bold: true },
    selected: { inverse: true },
    header: { bold: true, color: 'cyan' },
    crumbs: { color: 'yellow' },
    dim: { dimColor: true },
    error: { color: 'red', bold: true },
    input: { color: 'green' },
    verdict: (v) => (v === 'ACCEPT' ? { color: 'green' } : v === 'DROP' || v === 'REJECT' ? { color: 'red' } : PLAIN),
  };
}

/** NO_COLOR (https://no-color.org): present and not empty disables colour. */
export function colorWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env['NO_COLOR'];
  return v === undefined || v === '';
}

/**
 * The terminal takes UTF-8 when the locale says so: the first of LC_ALL, LC_CTYPE and LANG that
 * is set names a UTF-8 codeset. LANG=C, POSIX or nothing at all: ASCII.
 */
export function unicodeWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  const locale = env['LC_ALL'] || env['LC_CTYPE'] || env['LANG'] || '';
  return /utf-?8/i.test(locale);
}

export const ThemeContext = createContext<Theme>(makeTheme(false));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
