/**
 * Styles by role. With NO_COLOR every role is plain: no colour and no other SGR attribute, and
 * the selection still shows by its ">" marker, so nothing relies on colour alone.
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
  readonly selected: TextStyle;
  readonly header: TextStyle;
  readonly crumbs: TextStyle;
  readonly dim: TextStyle;
  readonly error: TextStyle;
  readonly input: TextStyle;
  verdict(verdict: string): TextStyle;
}

const PLAIN: TextStyle = {};

export function makeTheme(color: boolean): Theme {
  if (!color) {
    return { color, selected: PLAIN, header: PLAIN, crumbs: PLAIN, dim: PLAIN, error: PLAIN, input: PLAIN, verdict: () => PLAIN };
  }
  return {
    color,
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

export const ThemeContext = createContext<Theme>(makeTheme(false));

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
