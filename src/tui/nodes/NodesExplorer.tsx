/**
 * `kubechains --nodes …`: a Nodes screen (each node's status, mode, services and how many of them
 * diverge), and the whole explorer over one node at a time. Enter reads the node's rules again
 * (its snapshot is the only whole one kept) and opens the usual screens on them; N comes back.
 */
import React, { useMemo, useRef, useState } from 'react';
import { Box, useApp, useInput } from 'ink';
import { divergingOn, type ServiceAcrossNodes } from '../../core/index.js';
import type { NodeResult } from '../../sources/nodes.js';
import type { Snapshot } from '../../sources/types.js';
import { App } from '../App.js';
import { Detail } from '../components/Detail.js';
import { Line, LineWidthContext } from '../components/Line.js';
import { ListView } from '../components/ListView.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { movementOf, splitKeys, isCtrlC } from '../keys/keypress.js';
import type { ExplorerData } from '../model/explorer-data.js';
import { cell, plural, rcell } from '../model/format.js';
import { snapshotData } from '../model/snapshot-data.js';
import { moveCursor, scrollInto } from '../state/list-window.js';
import { makeTheme, ThemeContext } from '../theme.js';
import type { NodesInApp } from '../model/nodes.js';

export interface NodesLaunch {
  readonly nodes: readonly NodeResult[];
  readonly services: readonly ServiceAcrossNodes[];
  /** Reads one node's whole snapshot (again). Rejects with a SourceError-like message when it cannot. */
  load(name: string): Promise<Snapshot>;
}

export interface NodesExplorerProps {
  readonly launch: NodesLaunch;
  readonly color?: boolean;
  readonly ascii?: boolean;
  readonly nodeAddresses?: readonly string[];
  readonly onQuit?: () => void;
}

interface Current {
  readonly name: string;
  readonly data: ExplorerData;
}

export function NodesExplorer({ launch, color = true, ascii = false, nodeAddresses, onQuit }: NodesExplorerProps): React.ReactElement {
  const [current, setCurrent] = useState<Current | null>(null);
  // Kept here, not in the Nodes screen: coming back (N) finds the node that was opened selected.
  const [position, setPosition] = useState<ListPosition>({ cursor: 0, top: 0 });
  const diverging = useMemo(() => new Map(launch.services.filter((s) => s.diverges).map((s) => [s.id, s])), [launch.services]);
  const theme = useMemo(() => makeTheme(color, ascii), [color, ascii]);
  if (current !== null) {
    const nodes: NodesInApp = { current: current.name, diverging, back: () => setCurrent(null) };
    return <App key={current.name} data={current.data} color={color} ascii={ascii} onQuit={onQuit} nodes={nodes} />;
  }
  return (
    <ThemeContext.Provider value={theme}>
      <NodesScreen launch={launch} position={position} onMove={setPosition} onOpen={(name, data) => setCurrent({ name, data })} nodeAddresses={nodeAddresses} onQuit={onQuit} />
    </ThemeContext.Provider>
  );
}

/** Columns: NODE STATUS MODE SVCS DIFF. */
const W = { status: 6, mode: 8, services: 5, diff: 5 };

export function nodeLine(n: NodeResult, services: readonly ServiceAcrossNodes[], width: number): string {
  const nameWidth = Math.max(8, width - 2 - (W.status + W.mode + W.services + W.diff + 4));
  const summary = n.summary;
  return [
    cell(n.name, nameWidth),
    cell(n.ok ? 'ok' : 'error', W.status),
    cell(summary ? (summary.mode ?? 'none') : '-', W.mode),
    rcell(summary ? String(summary.services.size) : '-', W.services),
    rcell(summary ? String(divergingOn(services, n.name)) : '-', W.diff),
  ].join(' ');
}

function nodeHeader(width: number): string {
  const nameWidth = Math.max(8, width - 2 - (W.status + W.mode + W.services + W.diff + 4));
  return [cell('NODE', nameWidth), cell('STATUS', W.status), cell('MODE', W.mode), rcell('SVCS', W.services), rcell('DIFF', W.diff)].join(' ');
}

/** The selected node whole: its error, or what differs on it. */
export function nodeDetail(n: NodeResult, services: readonly ServiceAcrossNodes[]): string {
  const pod = n.pod === null ? '' : ` · pod ${n.pod}`;
  if (!n.ok) return `${n.name}${pod} · error: ${n.error ?? 'not read'}`;
  const differs = services.filter((s) => s.diverges && divergingOn([s], n.name) === 1).map((s) => s.id);
  const what = differs.length === 0 ? 'agrees with the other nodes' : `differs on ${differs.join(', ')}`;
  return `${n.name}${pod} · ${plural(n.summary!.services.size, 'service')} · ${what} · Enter reads its rules`;
}

interface ListPosition {
  readonly cursor: number;
  readonly top: number;
}

interface NodesScreenProps {
  readonly launch: NodesLaunch;
  readonly position: ListPosition;
  readonly onMove: (p: ListPosition) => void;
  readonly onOpen: (name: string, data: ExplorerData) => void;
  readonly nodeAddresses?: readonly string[];
  readonly onQuit?: () => void;
}

const DETAIL_ROWS = 2;
/** Crumbs, two header lines, detail, message and status lines. */
const CHROME = 5 + DETAIL_ROWS;

function NodesScreen({ launch, position, onMove, onOpen, nodeAddresses, onQuit }: NodesScreenProps): React.ReactElement {
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();
  const { cursor, top } = position;
  const [message, setMessage] = useState<string | null>(null);
  const loading = useRef<string | null>(null);
  const nodes = launch.nodes;
  const height = Math.max(1, rows - 1);
  const page = Math.max(1, height - CHROME);

  useInput((input, key) => {
    // Keys typed in one burst each move on from where the one before left the selection.
    let at = { cursor, top };
    for (const k of splitKeys(input, key)) {
      if (isCtrlC(k) || k.char === 'q') {
        onQuit?.();
        exit();
        return;
      }
      const movement = movementOf(k);
      if (movement) {
        const next = moveCursor(at.cursor, movement, nodes.length, page);
        at = { cursor: next, top: scrollInto(at.top, next, page, nodes.length) };
        onMove(at);
        continue;
      }
      if ((k.name === 'return' || k.name === 'right' || k.char === 'l') && nodes.length > 0 && loading.current === null) {
        const name = nodes[at.cursor]!.name;
        loading.current = name;
        setMessage(`reading ${name}…`);
        launch.load(name).then(
          (snapshot) => {
            loading.current = null;
            onOpen(name, snapshotData(snapshot, nodeAddresses));
          },
          (e: unknown) => {
            loading.current = null;
            const detail = (e as { detail?: unknown }).detail;
            setMessage(`${name}: ${typeof detail === 'string' ? detail : e instanceof Error ? e.message : String(e)}`);
          },
        );
      }
    }
  });

  const read = nodes.filter((n) => n.ok).length;
  const diverging = launch.services.filter((s) => s.diverges).length;
  const selected = nodes[cursor];
  return (
    <LineWidthContext.Provider value={columns}>
      <Box flexDirection="column" width={columns} height={height} overflow="hidden">
        <Line text="Nodes" />
        <Line text={`${plural(nodes.length, 'node')} · ${read} read · ${diverging} of ${plural(launch.services.length, 'service')} diverge`} />
        <Line text={`  ${nodeHeader(columns)}`} />
        <ListView rows={nodes} cursor={cursor} top={top} height={page} render={(n) => nodeLine(n, launch.services, columns)} flagged={(n) => !n.ok} empty="no node to show" />
        <Detail text={selected ? nodeDetail(selected, launch.services) : ''} width={columns} height={DETAIL_ROWS} />
        <Line text={message ?? 'Enter open node · j/k move · N back here from any screen · q quit'} />
        <Line text="kubechains --nodes" />
      </Box>
    </LineWidthContext.Provider>
  );
}
