/**
 * A windowed list: renders only the rows that fit (`height` lines, padded), keeps the selection
 * in view, and marks it with ">" (plus reverse video when colour is on). 10k+ rows cost the
 * same as 20.
 */
import React from 'react';
import { Box } from 'ink';
import { scrollInto } from '../state/list-window.js';
import { useTheme } from '../theme.js';
import { Line, type Segment } from './Line.js';

export const MARKER = '> ';
const NO_MARKER = '  ';

export interface ListViewProps<T> {
  readonly rows: readonly T[];
  readonly cursor: number;
  readonly top: number;
  readonly height: number;
  readonly render: (row: T, index: number) => string | readonly Segment[];
  /** Shown when there are no rows. */
  readonly empty?: string;
  /** False for a list that does not have the keyboard: no marker, no highlight. */
  readonly focused?: boolean;
  /** Rows that need attention: a "!" after the marker, and the theme's flagged style. */
  readonly flagged?: (row: T) => boolean;
}

/** The first row a list of `count` rows shows, for a selection at `cursor`. */
export function visibleTop(top: number, cursor: number, height: number, count: number): number {
  return scrollInto(top, cursor, height, count);
}

export function ListView<T>({ rows, cursor, top, height, render, empty, focused = true, flagged }: ListViewProps<T>): React.ReactElement {
  const theme = useTheme();
  const first = visibleTop(top, cursor, height, rows.length);
  const lines: React.ReactElement[] = [];
  if (rows.length === 0 && height > 0) lines.push(<Line key="empty" text={`  ${empty ?? '(nothing)'}`} style={theme.dim} />);
  for (let i = first; i < Math.min(rows.length, first + height); i++) {
    const selected = focused && i === cursor;
    const content = render(rows[i]!, i);
    const flag = flagged?.(rows[i]!) === true;
    const prefix = (selected ? MARKER : NO_MARKER).slice(0, 1) + (flag ? '!' : ' ');
    const segments: Segment[] = typeof content === 'string' ? [{ text: prefix + content }] : [{ text: prefix }, ...content];
    const style = selected ? { ...(flag ? theme.flagged : {}), ...theme.selected } : flag ? theme.flagged : undefined;
    lines.push(<Line key={i} segments={segments} style={style} />);
  }
  while (lines.length < height) lines.push(<Line key={`pad${lines.length}`} text="" />);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      {lines}
    </Box>
  );
}
