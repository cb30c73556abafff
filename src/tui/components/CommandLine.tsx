/** The line above the status: the open `/` filter or `:` command, else a message or key hints. */
import React from 'react';
import type { InputLine } from '../state.js';
import { useTheme } from '../theme.js';
import { Line } from './Line.js';

export interface CommandLineProps {
  readonly input: InputLine | null;
  readonly message: { readonly text: string; readonly error: boolean } | null;
  readonly hints: string;
  /** The active filter when the line is closed. */
  readonly filter: string;
  /** A live refresh that failed: shown instead of the hints until a refresh succeeds. */
  readonly problem?: string | null;
}

export function CommandLine({ input, message, hints, filter, problem }: CommandLineProps): React.ReactElement {
  const theme = useTheme();
  if (input) {
    const sigil = input.kind === 'filter' ? '/' : ':';
    return <Line segments={[{ text: sigil + input.text, style: theme.input }, { text: '_' }]} />;
  }
  if (message) return <Line text={message.text} style={message.error ? theme.error : undefined} />;
  if (problem) return <Line text={problem} style={theme.error} />;
  const filterNote = filter ? `filter "${filter}" (Esc clears) · ` : '';
  return <Line segments={[{ text: filterNote, style: theme.input }, { text: hints, style: theme.dim }]} />;
}
