/**
 * The selected row whole, under a list: whatever a column had to cut (an id, a rule, a comment,
 * a drop reason) wrapped over the pane's lines, so it can be read in full at 80x24.
 */
import React from 'react';
import { Box } from 'ink';
import { wrapText } from '../model/format.js';
import type { TextStyle } from '../theme.js';
import { Line } from './Line.js';

export interface DetailProps {
  readonly text: string;
  readonly width: number;
  readonly height: number;
  readonly style?: TextStyle;
}

export function Detail({ text, width, height, style }: DetailProps): React.ReactElement {
  // Already escaped by wrapText: Line escapes again only what is still a control character (none).
  const lines = wrapText(text, width, height);
  while (lines.length < height) lines.push('');
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      {lines.map((l, i) => (
        <Line key={i} text={l} style={style} />
      ))}
    </Box>
  );
}
