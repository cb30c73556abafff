/**
 * One terminal line of dump-derived text: escaped, never wrapped (cut at the edge instead). On a
 * terminal without UTF-8 (theme.ascii) the text is ASCII and cut here, with "~", before Ink would
 * cut it with "…".
 */
import React, { createContext, useContext } from 'react';
import { Text } from 'ink';
import { display, toAscii } from '../model/format.js';
import { useTheme, type TextStyle } from '../theme.js';

/** The terminal's width: where an ASCII line is cut. */
export const LineWidthContext = createContext<number>(Number.POSITIVE_INFINITY);

export interface Segment {
  readonly text: string;
  readonly style?: TextStyle;
}

export interface LineProps {
  readonly text?: string;
  readonly segments?: readonly Segment[];
  readonly style?: TextStyle;
  /** Columns the line may take when less than the terminal's (an item after a marker). */
  readonly width?: number;
}

export function Line({ text, segments, style, width }: LineProps): React.ReactElement {
  const theme = useTheme();
  const room = Math.min(width ?? Number.POSITIVE_INFINITY, useContext(LineWidthContext));
  const parts = (segments ?? [{ text: text ?? '' }]).map((s) => ({ ...s, text: display(s.text) }));
  if (theme.ascii) cutAscii(parts, room);
  // A space keeps an empty line one row tall.
  const empty = parts.every((p) => p.text === '');
  if (!segments) {
    return (
      <Text wrap="truncate-end" {...style}>
        {empty ? ' ' : parts[0]!.text}
      </Text>
    );
  }
  return (
    <Text wrap="truncate-end" {...style}>
      {parts.map((s, i) => (
        <Text key={i} {...s.style}>
          {s.text}
        </Text>
      ))}
      {segments.length === 0 ? ' ' : ''}
    </Text>
  );
}

/** ASCII in place, and cut to `room` columns with "~" at the edge, so Ink never adds its own "…". */
function cutAscii(parts: { text: string }[], room: number): void {
  let left = room;
  for (const p of parts) {
    p.text = toAscii(p.text);
    if (p.text.length > left) p.text = left <= 0 ? '' : p.text.slice(0, left - 1) + '~';
    left -= p.text.length;
  }
}
