/**
 * The explorer: a stack of screens over one snapshot's data, exactly the terminal's size.
 * The store holds navigation only; `data` can be replaced by a newer snapshot and every list
 * finds its selected row again by key.
 */
import React, { useEffect, useMemo } from 'react';
import { Box, useApp, useInput } from 'ink';
import { Breadcrumbs } from './components/Breadcrumbs.js';
import { CommandLine } from './components/CommandLine.js';
import { Line, LineWidthContext } from './components/Line.js';
import { Palette, paletteHeight } from './components/Palette.js';
import { StatusLine } from './components/StatusLine.js';
import { useCommandKeys } from './hooks/use-command-keys.js';
import { KeyQueueContext, type KeyQueue } from './hooks/use-keys.js';
import { useLive, type LiveProps } from './hooks/use-live.js';
import { useConnections, type ConntrackProps } from './hooks/use-connections.js';
import { conntrackStatusView } from './model/connections.js';
import { useStore } from './hooks/use-store.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { crumbLabel } from './model/crumbs.js';
import type { ExplorerData } from './model/explorer-data.js';
import { problemText, statusView } from './model/live-status.js';
import { warmSearch } from './model/views.js';
import { ChainScreen } from './screens/ChainScreen.js';
import { SetScreen } from './screens/SetScreen.js';
import { HelpScreen } from './screens/HelpScreen.js';
import { HooksScreen } from './screens/HooksScreen.js';
import { ProblemsScreen } from './screens/ProblemsScreen.js';
import { ServiceScreen } from './screens/ServiceScreen.js';
import { ServicesScreen } from './screens/ServicesScreen.js';
import { TraceScreen } from './screens/TraceScreen.js';
import { TopScreen } from './screens/TopScreen.js';
import { DiffScreen } from './screens/DiffScreen.js';
import type { ScreenProps } from './hooks/screen-props.js';
import { current, initialState, type Screen, type State, type Store } from './state.js';
import { makeTheme, ThemeContext } from './theme.js';
import { NodesContext, type NodesInApp } from './model/nodes.js';

export interface AppProps {
  readonly data: ExplorerData;
  /** False for NO_COLOR: no colour (the selection keeps reverse video). */
  readonly color?: boolean;
  /** True when the terminal's locale is not UTF-8 (LANG=C): ASCII only. */
  readonly ascii?: boolean;
  readonly initialScreen?: Screen;
  /** Called once when the user quits (q, :q, Ctrl-C). */
  readonly onQuit?: () => void;
  /** A live source: its snapshots replace `data` as they come (`p` pauses). */
  readonly live?: LiveProps;
  /** `--nodes`: the node shown among others; N goes back to the Nodes screen. */
  readonly nodes?: NodesInApp;
  /** A conntrack source (--conntrack, --conntrack-cmd, the local node): connections beside the rules. */
  readonly conntrack?: ConntrackProps;
  /** Why there is no conntrack source on a node that could have one (not root, no conntrack binary). */
  readonly conntrackNote?: string;
}

const HINTS: Record<Screen['kind'], string> = {
  services: 'Enter open · / filter · s sort · t trace · :hooks · ? help · q quit',
  hooks: 'Enter open chain · / filter · Esc back · : command · ? help · q quit',
  problems: 'Enter open service or rule · / filter · :svc · ? help · q quit',
  top: 'Enter open rule · / filter · R refresh now · :svc · ? help · q quit',
  chain: 'Enter follow jump · r raw · s sort · / filter · Esc back · ? help',
  set: 'Enter follow verdict · / filter · Esc back · ? help',
  service: 'Enter open chain at rule · t trace · / filter · Esc back · ? help',
  trace: 'Tab next field · Enter trace / open · e edit · f from… · Esc back · ? help',
  diff: 'Enter open service or chain · Esc back · ? help · q quit',
  help: 'Esc or ? back · q quit',
};

/** The services hints with a live source: `p` replaces `:hooks` (still in ? help). */
const LIVE_SERVICES_HINTS = 'Enter open · / filter · s sort · p pause · t trace · ? help · q quit';

/** Who owns the keyboard in `state`: the `:` line, else the screen on top. */
export function keyOwner(state: State): string {
  if (state.quit) return 'quit';
  if (state.input?.kind === 'command') return 'command';
  const screen = current(state).screen;
  if (screen.kind === 'trace' && screen.form.presets) return 'presets';
  return screen.kind;
}

/** A live status line's parts before doctor's count: the cadence and the refresh time. */
const LIVE_LEAD_PARTS = 2;

/** Rows the chrome takes: breadcrumbs, command line, status line. */
export const CHROME_ROWS = 3;
/** Quiet time before indexing the shown list for the filter: keys that come in a burst go first. */
const WARM_AFTER_MS = 150;

export function App({ data, color = true, ascii = false, initialScreen, onQuit, live, nodes, conntrack, conntrackNote }: AppProps): React.ReactElement {
  const store = useStore(() => initialState(initialScreen));
  const theme = useMemo(() => makeTheme(color, ascii), [color, ascii]);
  const queue = useMemo<KeyQueue>(() => ({ pending: [], owner: () => keyOwner(store.get()) }), [store.get]);
  return (
    <ThemeContext.Provider value={theme}>
      <KeyQueueContext.Provider value={queue}>
        <NodesContext.Provider value={nodes ?? null}>
          <Explorer initial={data} store={store} onQuit={onQuit} live={live} nodes={nodes} conntrack={conntrack} conntrackNote={conntrackNote} />
        </NodesContext.Provider>
      </KeyQueueContext.Provider>
    </ThemeContext.Provider>
  );
}

interface ExplorerProps {
  readonly initial: ExplorerData;
  readonly store: Store;
  readonly onQuit?: () => void;
  readonly live?: LiveProps;
  readonly nodes?: NodesInApp;
  readonly conntrack?: ConntrackProps;
  readonly conntrackNote?: string;
}

function Explorer({ initial, store, onQuit, live, nodes, conntrack, conntrackNote }: ExplorerProps): React.ReactElement {
  const { state } = store;
  const { data, status, now } = useLive(initial, live, store);
  const connections = useConnections(conntrack, data, store);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();

  const tooSmall = rows < 8 || columns < 40;
  // Always listening: keeps raw mode on while the keyboard changes owner, and Ctrl-C always
  // quits (q too when the terminal is too small for any screen).
  useInput((input, key) => {
    if ((key.ctrl && input === 'c') || (tooSmall && input === 'q')) store.dispatch({ type: 'quit' });
    // N: back to the Nodes screen, unless a line (`:`, `/`, a trace field) takes the letters.
    if (nodes && input === 'N' && !key.ctrl && store.get().input === null && !['trace', 'presets', 'command'].includes(keyOwner(store.get()))) nodes.back();
  });
  useCommandKeys(store, data, state.input?.kind === 'command');
  const frame = current(state);

  // Once the screen has settled, index its list for the filter (again after each snapshot).
  useEffect(() => {
    const timer = setTimeout(() => warmSearch(data, frame.screen), WARM_AFTER_MS);
    return () => clearTimeout(timer);
  }, [data, frame.screen]);

  useEffect(() => {
    if (!state.quit) return;
    onQuit?.();
    exit();
  }, [state.quit]);

  // One line short of the terminal: ink 6 clears the whole screen on every render of a frame
  // as tall as the terminal (outputHeight >= rows), which flickers; rows - 1 updates in place.
  const height = Math.max(1, rows - 1);
  const choices = state.input?.kind === 'command' ? state.input.choices ?? [] : [];
  // The palette takes its rows from the screen above it, never more than half of them.
  const palette = Math.min(paletteHeight(choices.length), Math.floor((height - CHROME_ROWS) / 2));
  const bodyHeight = Math.max(1, height - CHROME_ROWS - palette);
  const crumbs = [...(nodes ? [`node ${nodes.current}`] : []), ...state.stack.map(crumbLabel)];
  const liveRules = status !== null && status.mode !== 'once';
  const conntrackLine = connections !== null ? conntrackStatusView(connections, now) : conntrackNote ? { counts: conntrackNote, source: '', alert: null, problem: null } : null;
  const statusLine = statusView(data, status, columns, now, conntrackLine);
  const screenProps: ScreenProps = {
    data,
    store,
    frame,
    width: columns,
    height: bodyHeight,
    active: keyOwner(state) === frame.screen.kind,
    counting: live !== undefined || data.diff.previous !== null,
    connections,
  };

  // Every line is cut at the terminal's width (ASCII terminals: by the Line itself).
  if (tooSmall) {
    return (
      <LineWidthContext.Provider value={columns}>
      <Box width={columns} height={height}>
        <Line text={`kubechains needs at least 40x8 (now ${columns}x${rows}); q quits`} />
      </Box>
      </LineWidthContext.Provider>
    );
  }

  return (
    <LineWidthContext.Provider value={columns}>
    <Box flexDirection="column" width={columns} height={height} overflow="hidden">
      <Breadcrumbs crumbs={crumbs} width={columns} />
      <Box height={bodyHeight} flexDirection="column" overflow="hidden">
        {renderScreen(frame.screen.kind, screenProps)}
      </Box>
      {palette > 0 ? <Palette choices={choices} choice={state.input?.choice ?? -1} height={palette} /> : null}
      <CommandLine
        input={state.input}
        message={state.message}
        hints={(nodes ? 'N nodes · ' : '') + (live && frame.screen.kind === 'services' ? LIVE_SERVICES_HINTS : HINTS[frame.screen.kind])}
        filter={frame.filter}
        problem={problemText(status) ?? conntrackLine?.problem ?? null}
      />
      <StatusLine parts={statusLine.parts} alerts={statusLine.alerts} warnings={data.warnings.length} problems={data.problemCounts()}
        problemsAt={liveRules ? LIVE_LEAD_PARTS : 0}
      />
    </Box>
    </LineWidthContext.Provider>
  );
}

/** Source, the dump's date, its size (a file read once); see statusView for live sources. */
export function statusParts(data: ExplorerData, width: number): string[] {
  return [...statusView(data, null, width, Date.now()).parts];
}

function renderScreen(kind: Screen['kind'], props: ScreenProps): React.ReactElement {
  // Keyed by kind and depth: a new screen starts with fresh hooks, the same one keeps them.
  const key = `${kind}:${props.store.state.stack.length}`;
  switch (kind) {
    case 'services': return <ServicesScreen key={key} {...props} />;
    case 'hooks': return <HooksScreen key={key} {...props} />;
    case 'problems': return <ProblemsScreen key={key} {...props} />;
    case 'top': return <TopScreen key={key} {...props} />;
    case 'chain': return <ChainScreen key={key} {...props} />;
    case 'set': return <SetScreen key={key} {...props} />;
    case 'service': return <ServiceScreen key={key} {...props} />;
    case 'trace': return <TraceScreen key={key} {...props} />;
    case 'diff': return <DiffScreen key={key} {...props} />;
    case 'help': return <HelpScreen key={key} {...props} />;
  }
}
