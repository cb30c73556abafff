/**
 * What `doctor` finds in the snapshot (and in the conntrack table on screen: skewed-connections),
 * most severe first; the selected finding's message and hint below.
 */
import React from 'react';
import { Box } from 'ink';
import { countBySeverity, type Finding } from '../../core/index.js';
import { Line } from '../components/Line.js';
import { Detail } from '../components/Detail.js';
import { ListView } from '../components/ListView.js';
import { useProblemsKeys } from '../hooks/use-problems-keys.js';
import { cell, plural } from '../model/format.js';
import { allFindings, problemsView } from '../model/views.js';
import { resolveCursor } from '../state/list-window.js';
import { useTheme } from '../theme.js';
import type { ScreenProps } from '../hooks/screen-props.js';

const SEVERITY_LABEL: Readonly<Record<Finding['severity'], string>> = { error: 'ERROR', warning: 'WARN', info: 'info' };

/** "nat KUBE-SERVICES #3", "filter KUBE-FORWARD", "-". */
export function findingPlace(f: Finding): string {
  if (f.table === null) return '-';
  const v6 = f.family === 'ipv6' ? ' (v6)' : '';
  return `${f.table} ${f.chain}${f.rule === null ? '' : ` #${f.rule}`}${v6}`;
}

function problemLine(f: Finding): string {
  return [cell(SEVERITY_LABEL[f.severity], 5), cell(f.kind, 25), cell(f.service ?? findingPlace(f), 32), f.message].join(' ');
}

export function ProblemsScreen(props: ScreenProps): React.ReactElement {
  const { data, frame, height, width } = props;
  const theme = useTheme();
  // Title, column header, the list, then the selection's message and hint.
  const page = Math.max(1, height - 6);
  useProblemsKeys(props, page);
  const connections = props.connections ?? null;
  const rows = problemsView(data, frame.filter, connections);
  const cursor = resolveCursor(frame.main, rows.length, (i) => rows[i]!.key);
  const counts = countBySeverity(allFindings(data, connections));
  const selected = rows[cursor]?.finding;
  const header = [cell('SEV', 5), cell('KIND', 25), cell('SERVICE / WHERE', 32), 'WHAT IS WRONG'].join(' ');
  const empty = frame.filter ? `no finding matches "${frame.filter}"` : 'no problems found';
  return (
    <Box flexDirection="column" height={height}>
      <Line
        text={`Problems · ${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${counts.info} info · Enter opens the service or the rule`}
        style={theme.header}
      />
      <Line text={`  ${header}`} style={theme.dim} />
      <ListView rows={rows} cursor={cursor} top={frame.main.top} height={page} render={(r) => problemLine(r.finding)} empty={empty} />
      <Detail text={selected ? `${findingPlace(selected)}: ${selected.message}` : ''} width={width} height={2} style={theme.dim} />
      <Detail text={selected ? `hint: ${selected.hint}` : ''} width={width} height={2} style={theme.dim} />
    </Box>
  );
}
