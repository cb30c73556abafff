/** One terminal line of dump-derived text: escaped, never wrapped (cut at the edge instead). */
import React from 'react';
import { Text } from 'ink';
import { display } from '../model/format.js';
import type { TextStyle } from '../theme.js';

export interface Segment {
  readonly text: string;
  readonly style?: TextStyle;
}

export interface LineProps {
  readonly text?: string;
  readonly segments?: readonly Segment[];
  readonly style?: TextStyle;
}

export function Line({ text, segments, style }: LineProps): React.ReactElement {
  if (segments) {
    return (
      <Text wrap="truncate-end" {...style}>
        {segments.map((s, i) => (
          <Text key={i} {...s.style}>
            {display(s.text)}
          </Text>
        ))}
        {segments.length === 0 ? ' ' : ''}
      </Text>
    );
  }
  // A space keeps an empty line one row tall.
  return (
    <Text wrap="truncate-end" {...style}>
      {display(text ?? '') || ' '}
    </Text>
  );
}
