/** The bottom line: warnings first (never cut off), then the source, the dump's date and its size. */
import React from 'react';
import { useTheme } from '../theme.js';
import { Line } from './Line.js';

export interface StatusLineProps {
  readonly parts: readonly string[];
  readonly warnings: number;
}

export function StatusLine({ parts, warnings }: StatusLineProps): React.ReactElement {
  const theme = useTheme();
  const warn = warnings > 0 ? `! ${warnings} warning${warnings === 1 ? '' : 's'} · ` : '';
  return <Line segments={[{ text: warn, style: theme.error }, { text: parts.join(' · '), style: theme.dim }]} />;
}
