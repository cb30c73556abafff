/**
 * The bottom line: warnings, doctor's errors and warnings, and live alerts first (never cut off),
 * then the source, its cadence or date, and its size.
 */
import React from 'react';
import { useTheme } from '../theme.js';
import { Line } from './Line.js';

export interface StatusLineProps {
  readonly parts: readonly string[];
  readonly warnings: number;
  /** "PAUSED", "refresh failed 3 s ago": shown first, as errors. */
  readonly alerts?: readonly string[];
  /** doctor's error and warning findings (the Problems screen, `:problems`). */
  readonly problems?: { readonly error: number; readonly warning: number };
}

export function StatusLine({ parts, warnings, alerts = [], problems }: StatusLineProps): React.ReactElement {
  const theme = useTheme();
  const warn = warnings > 0 ? `! ${warnings} warning${warnings === 1 ? '' : 's'} · ` : '';
  const found = problems !== undefined && problems.error + problems.warning > 0 ? `${problemsText(problems)} (:problems) · ` : '';
  const alert = alerts.length > 0 ? `${alerts.join(' · ')} · ` : '';
  return (
    <Line
      segments={[
        { text: warn, style: theme.error },
        { text: found, style: theme.error },
        { text: alert, style: theme.error },
        { text: parts.join(' · '), style: theme.dim },
      ]}
    />
  );
}

/** "2 errors, 1 warning", leaving out a zero count. */
export function problemsText({ error, warning }: { readonly error: number; readonly warning: number }): string {
  const parts: string[] = [];
  if (error > 0) parts.push(`${error} error${error === 1 ? '' : 's'}`);
  if (warning > 0) parts.push(`${warning} warning${warning === 1 ? '' : 's'}`);
  return parts.join(', ');
}
