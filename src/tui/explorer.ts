/**
 * The full-screen explorer until the user quits: alternate screen, keyboard, Ink, and for a live
 * source (a command, the local node, a file) the poller that re-reads it. Loaded by run.ts (see
 * there why not imported directly).
 */
import { createElement } from 'react';
import { render } from 'ink';
import { EXIT_OK, EXIT_USAGE } from '../cli/io.js';
import { parseWorkerUrl } from '../sources/parse-off-thread.js';
import { createConntrackPoller, type ConntrackSnapshot, type ConntrackSpec } from '../sources/conntrack.js';
import { createPoller, DEFAULT_INTERVAL_SECONDS, pollModeOf, type Poller } from '../sources/poller.js';
import type { Snapshot, SourceSpec } from '../sources/types.js';
import { App } from './App.js';
import { NodesExplorer, type NodesLaunch } from './nodes/NodesExplorer.js';
import type { LiveProps } from './hooks/use-live.js';
import type { ConntrackProps } from './hooks/use-connections.js';
import type { ExplorerData } from './model/explorer-data.js';
import { snapshotData } from './model/snapshot-data.js';
import { AltScreen, openKeyboard } from './terminal.js';
import { colorWanted, unicodeWanted } from './theme.js';

export interface ExplorerOptions {
  /** The dump shown; absent with `nodes`, where the user picks a node first. */
  readonly snapshot?: Snapshot;
  /** `--nodes`: open on the Nodes screen; each node's snapshot is read when it is opened. */
  readonly nodes?: NodesLaunch;
  readonly source?: SourceSpec;
  /**
   * What to re-read: a command or the local node is re-run every interval, a file re-read when
   * it changes, standard input read once.
   */
  /** Seconds between refreshes (default 2). */
  readonly intervalSeconds?: number;
  /** --node-ip, else the local node's addresses, else the snapshot's. */
  readonly nodeAddresses?: readonly string[];
  /** For tests and embedding: default process.stdin/stdout/stderr/env. */
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** --kube-jumps: each re-read is parsed with kube-proxy's standard jumps added, as the first was. */
  readonly kubeJumps?: boolean;
  /** The conntrack table, read once already: re-read at the rules' interval (a file when it changes). */
  readonly conntrack?: { readonly spec: ConntrackSpec; readonly initial: ConntrackSnapshot } | null;
  /** Why there is no conntrack table (the local node's cannot be read), for the status line. */
  readonly conntrackNote?: string | null;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

export function explorerData(snapshot: Snapshot, nodeAddresses?: readonly string[]): ExplorerData {
  return snapshotData(snapshot, nodeAddresses);
}

/** The poller for a source worth re-reading, or null (standard input, or no source named). */
export function livePoller(options: ExplorerOptions): Poller | null {
  const source = options.source;
  if (!source || !options.snapshot || pollModeOf(source) === 'once') return null;
  return createPoller({
    spec: source,
    intervalSeconds: options.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
    initial: options.snapshot,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    kubeJumps: options.kubeJumps === true,
    parseWorker: parseWorkerUrl(),
  });
}

/** The conntrack table's poller, or null without a conntrack source. */
export function conntrackPoller(options: ExplorerOptions): Poller<ConntrackSnapshot> | null {
  const conntrack = options.conntrack;
  if (!conntrack) return null;
  return createConntrackPoller({
    spec: conntrack.spec,
    intervalSeconds: options.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
    initial: conntrack.initial,
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
}

export async function startExplorer(options: ExplorerOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const keyboard = openKeyboard(options.stdin ?? process.stdin, options.source?.kind === 'stdin' || options.conntrack?.spec.kind === 'stdin');
  if (!keyboard) {
    stderr.write('kubechains: the explorer reads keys from a terminal, and there is none (/dev/tty cannot be opened)\n');
    return EXIT_USAGE;
  }
  if (!options.snapshot && !options.nodes) throw new Error('the explorer needs a snapshot or nodes');
  const data = options.snapshot ? explorerData(options.snapshot, options.nodeAddresses) : null;
  const poller = livePoller(options);
  const connections = conntrackPoller(options);
  const conntrack: ConntrackProps | undefined = connections ? { feed: connections } : undefined;
  const conntrackNote = options.conntrackNote ?? undefined;
  // --node-ip wins over what each snapshot reads; a local source's own addresses otherwise.
  const nodeAddresses = options.nodeAddresses && options.nodeAddresses.length > 0 ? options.nodeAddresses : undefined;

  const screen = new AltScreen(stdout);
  const restore = () => screen.leave();
  const onSignal = (signal: NodeJS.Signals) => {
    void poller?.stop();
    void connections?.stop();
    instance.unmount();
    restore();
    keyboard.close();
    process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 1));
  };
  // Leave the alternate screen before anyone prints the error, or the message vanishes with it.
  const onCrash = () => restore();
  // Listening turns off Node's default for a rejection (raise it as an uncaught exception, which
  // the bin reports and exits on): the explorer went on running off its screen. Raise it still.
  const onRejection = (reason: unknown) => {
    restore();
    throw reason;
  };
  process.on('exit', restore);
  process.prependListener('uncaughtException', onCrash);
  process.prependListener('unhandledRejection', onRejection);
  for (const s of SIGNALS) process.on(s, onSignal);

  screen.enter();
  const color = colorWanted(env);
  const ascii = !unicodeWanted(env);
  // Each snapshot shown becomes the App's `data`: no prop holds the first one all session.
  const live: LiveProps | undefined = poller
    ? { feed: poller, nodeAddresses, shown: (d) => instance.rerender(createElement(App, { data: d, color, ascii, live, conntrack, conntrackNote })) }
    : undefined;
  const element =
    options.nodes || data === null
      ? createElement(NodesExplorer, { launch: options.nodes!, color, ascii, ...(options.nodeAddresses ? { nodeAddresses: options.nodeAddresses } : {}) })
      : createElement(App, { data, color, ascii, live, conntrack, conntrackNote });
  const instance = render(element, {
    stdin: keyboard.stream,
    stdout,
    stderr,
    exitOnCtrlC: false,
    // Stray console output would tear the frame; only the real terminal needs it caught.
    patchConsole: stdout === process.stdout,
    // ink 6.8's incremental mode draws a frame one line low after the first render (seen in tmux).
    incrementalRendering: false,
  });
  poller?.start();
  connections?.start();
  try {
    await instance.waitUntilExit();
  } finally {
    await Promise.all([poller?.stop(), connections?.stop()]);
    instance.cleanup();
    restore();
    keyboard.close();
    process.off('exit', restore);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onRejection);
    for (const s of SIGNALS) process.off(s, onSignal);
  }
  return EXIT_OK;
}
