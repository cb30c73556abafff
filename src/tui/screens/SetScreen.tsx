/** An nftables set or map: its type and flags, then its elements as rows (Enter follows a verdict). */
import React from 'react';
import { Box } from 'ink';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useSetKeys } from '../hooks/use-set-keys.js';
import { plural } from '../model/format.js';
import { resolveCursor } from '../state/list-window.js';
import { setView, type ElementRow } from '../model/views.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

export function SetScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, height } = props;
  const theme = useTheme();
  const page = Math.max(1, height - 3);
  useSetKeys(props, page);
  if (frame.screen.kind !== 'set') return <Box />;
  const ref = frame.screen.ref;
  const set = data.set(ref);
  const rows = setView(data, ref, frame.filter);
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const title = set
    ? [
        `${set.kind} ${ref.table} ${set.name}`,
        plural(set.elements.length, 'element'),
        `${set.keyType.join(' . ')}${set.dataType ? ` : ${set.dataType}` : ''}`,
        ...(set.flags.length > 0 ? [`flags ${set.flags.join(',')}`] : []),
        ...(set.timeout !== null ? [`timeout ${set.timeout}s`] : []),
      ].join(' · ')
    : `${ref.table} ${ref.name} · not in this dump`;
  const selected = rows[cursor];
  const detail = selected ? `line ${selected.element.line}: ${selected.text}` : set?.comment ? `comment: ${set.comment}` : '';
  return (
    <Box flexDirection="column" height={height}>
      <Line text={title} style={theme.header} />
      <Line text="  ELEMENT (key : verdict, comment, expiry)" style={theme.dim} />
      <ListView rows={rows} cursor={cursor} top={frame.main.top} height={page} render={(r: ElementRow) => r.text} empty={frame.filter ? `no element matches "${frame.filter}"` : 'no elements'} />
      <Line text={detail} style={theme.dim} />
    </Box>
  );
}
