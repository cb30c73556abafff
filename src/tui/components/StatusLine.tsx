/**
 * The bottom line: warnings and live alerts first (never cut off), then the source, its cadence
 * or date, and its size, with doctor's count of errors and warnings (`:problems`) where it
 * stays in view: first for a dump read once, after the cadence and refresh time when live.
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
  /** How many of `parts` come before the problems count. */
  readonly problemsAt?: number;
}

const SEP = ' · ';

export function StatusLine({ parts, warnings, alerts = [], problems, problemsAt = 0 }: StatusLineProps): React.ReactElement {
  const theme = useTheme();
  const warn = warnings > 0 ? `! ${warnings} warning${warnings === 1 ? '' : 's'} · ` : '';
  const alert = alerts.length > 0 ? `${alerts.join(SEP)} · ` : '';
  const found = problems !== undefined && problems.error + problems.warning > 0 ? `${problemsText(problems)} (:problems)` : '';
  // The parts before the count, the count, the parts after: each group joined to the next by SEP.
  const groups = [
    { text: parts.slice(0, problemsAt).join(SEP), style: theme.dim },
    { text: found, style: theme.error },
    { text: parts.slice(problemsAt).join(SEP), style: theme.dim },
  ].filter((g) => g.text !== '');
  return (
    <Line
      segments={[
        { text: warn, style: theme.error },
        { text: alert, style: theme.error },
        ...groups.map((g, i) => ({ text: i < groups.length - 1 ? g.text + SEP : g.text, style: g.style })),
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
