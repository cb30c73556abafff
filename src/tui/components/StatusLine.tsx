/** The bottom line: warnings and live alerts first (never cut off), then the source, its cadence or date, and its size. */
import React from 'react';
import { useTheme } from '../theme.js';
import { Line } from './Line.js';

export interface StatusLineProps {
  readonly parts: readonly string[];
  readonly warnings: number;
  /** "PAUSED", "refresh failed 3 s ago": shown first, as errors. */
  readonly alerts?: readonly string[];
}

export function StatusLine({ parts, warnings, alerts = [] }: StatusLineProps): React.ReactElement {
  const theme = useTheme();
  const warn = warnings > 0 ? `! ${warnings} warning${warnings === 1 ? '' : 's'} · ` : '';
  const alert = alerts.length > 0 ? `${alerts.join(' · ')} · ` : '';
  return (
    <Line
      segments={[
        { text: warn, style: theme.error },
        { text: alert, style: theme.error },
        { text: parts.join(' · '), style: theme.dim },
      ]}
    />
  );
}
