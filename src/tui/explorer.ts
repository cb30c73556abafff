/**
 * The full-screen explorer over one loaded snapshot, until the user quits: alternate screen,
 * keyboard, Ink. Loaded by run.ts (see there why not imported directly).
 */
import { createElement } from 'react';
import { render } from 'ink';
import type { Snapshot, SourceSpec } from '../sources/types.js';
import { App } from './App.js';
import { buildExplorerData, type ExplorerData } from './model/explorer-data.js';
import { AltScreen, openKeyboard } from './terminal.js';
import { colorWanted } from './theme.js';

export interface ExplorerOptions {
  readonly snapshot: Snapshot;
  readonly source?: SourceSpec;
  /** A source worth re-reading (command, local node); live refresh comes with a later issue. */
  readonly live?: boolean;
  readonly intervalSeconds?: number;
  /** --node-ip, else the local node's addresses, else the snapshot's. */
  readonly nodeAddresses?: readonly string[];
  readonly reload?: () => Promise<Snapshot>;
  /** For tests and embedding: default process.stdin/stdout/stderr/env. */
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const EXIT_OK = 0;
const EXIT_USAGE = 2;
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

export function explorerData(snapshot: Snapshot, nodeAddresses?: readonly string[]): ExplorerData {
  return buildExplorerData({
    ruleset: snapshot.ruleset,
    source: snapshot.origin,
    takenAt: snapshot.takenAt,
    nodeAddresses: nodeAddresses ?? snapshot.nodeAddresses,
  });
}

export async function startExplorer(options: ExplorerOptions): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const keyboard = openKeyboard(options.stdin ?? process.stdin, options.source?.kind === 'stdin');
  if (!keyboard) {
    stderr.write('kubechains: the explorer reads keys from a terminal, and there is none (/dev/tty cannot be opened)\n');
    return EXIT_USAGE;
  }
  const data = explorerData(options.snapshot, options.nodeAddresses);

  const screen = new AltScreen(stdout);
  const restore = () => screen.leave();
  const onSignal = (signal: NodeJS.Signals) => {
    instance.unmount();
    restore();
    keyboard.close();
    process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 1));
  };
  // Leave the alternate screen before anyone prints the error, or the message vanishes with it.
  const onCrash = () => restore();
  process.on('exit', restore);
  process.prependListener('uncaughtException', onCrash);
  process.prependListener('unhandledRejection', onCrash);
  for (const s of SIGNALS) process.on(s, onSignal);

  screen.enter();
  const instance = render(createElement(App, { data, color: colorWanted(env) }), {
    stdin: keyboard.stream,
    stdout,
    stderr,
    exitOnCtrlC: false,
    // Stray console output would tear the frame; only the real terminal needs it caught.
    patchConsole: stdout === process.stdout,
    // ink 6.8's incremental mode draws a frame one line low after the first render (seen in tmux).
    incrementalRendering: false,
  });
  try {
    await instance.waitUntilExit();
  } finally {
    instance.cleanup();
    restore();
    keyboard.close();
    process.off('exit', restore);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    for (const s of SIGNALS) process.off(s, onSignal);
  }
  return EXIT_OK;
}
