/**
 * `:diff FILE`: what differs between FILE (before) and the snapshot on screen (now): services
 * first, then the chains no service owns; the selected row's differences below, old -> new.
 */
import React from 'react';
import { Box } from 'ink';
import { Detail } from '../components/Detail.js';
import { Line } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useDiffFile } from '../hooks/use-diff-file.js';
import { useDiffKeys } from '../hooks/use-diff-keys.js';
import { diffView, type DiffRow } from '../model/diff-view.js';
import { plural, wrapText } from '../model/format.js';
import { resolveCursor } from '../state/list-window.js';
import { useTheme } from '../theme.js';
import type { FrameOf } from '../hooks/use-keys.js';
import type { ScreenProps } from '../hooks/screen-props.js';

const NO_ROWS: readonly DiffRow[] = [];

/** Title, the list, a rule, the detail pane. */
const DETAIL_MIN = 4;

export function DiffScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, height, width } = props;
  const screen = (frame as FrameOf<'diff'>).screen;
  const theme = useTheme();
  const file = useDiffFile(screen.path, screen.run);
  const view = file.state === 'ready' ? diffView(data, file.dump) : null;
  const rows = view?.rows ?? NO_ROWS;
  const detailHeight = Math.max(DETAIL_MIN, Math.floor((height - 2) / 3));
  const page = Math.max(1, height - 2 - detailHeight);
  useDiffKeys(props, rows, page);
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const selected = rows[cursor];
  const title = `${screen.path} (before) -> on screen (now)`;
  if (view === null) {
    const text = file.state === 'error' ? file.message : `reading ${screen.path} ...`;
    return (
      <Box flexDirection="column" height={height}>
        <Line text={`Diff · ${title}`} style={theme.header} />
        <Detail text={text} width={width} height={height - 1} style={file.state === 'error' ? theme.error : theme.dim} />
      </Box>
    );
  }
  const { services, chains } = view.diff;
  const counts = `${plural(services.added.length + services.removed.length + services.changed.length, 'service')}, ${plural(chains.added.length + chains.removed.length + chains.changed.length, 'chain')} differ`;
  const notes = view.diff.notes.length > 0 ? ' · chains of one mode only compared' : '';
  return (
    <Box flexDirection="column" height={height}>
      <Line text={`Diff · ${counts}${notes} · ${title}`} style={theme.header} />
      <ListView rows={rows} cursor={cursor} top={frame.main.top} height={page} render={diffLine} empty="no difference (counters aside)" />
      <Line text={selected ? `${selected.mark} ${selected.label}` : ''} style={theme.dim} />
      {detailLines(selected?.details ?? [], width, detailHeight).map((l, i) => (
        <Line key={i} text={l} />
      ))}
    </Box>
  );
}

/** Each difference on its own lines (long rules wrapped), cut to the pane. */
function detailLines(details: readonly string[], width: number, height: number): string[] {
  const lines = details.flatMap((d) => wrapText(d, width, height));
  if (lines.length > height) lines.splice(height - 1, lines.length, `... ${plural(details.length, 'difference')} in all`);
  while (lines.length < height) lines.push('');
  return lines;
}

function diffLine(row: DiffRow): string {
  const what = row.what === 'service' ? 'service' : 'chain  ';
  const count = row.mark === '~' ? `  (${plural(row.details.length, 'difference')})` : '';
  return `${row.mark} ${what} ${row.label}${count}`;
}
