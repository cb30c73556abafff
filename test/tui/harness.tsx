/**
 * Renders the explorer at a pinned terminal size (80x24 unless told), like Shopify cli's harness
 * around ink-testing-library: a fake stdout with columns/rows, a fake stdin, and waits that yield
 * to setImmediate so React 19's scheduled renders land before the frame is read.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type React from 'react';
import { render } from 'ink';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { parseDump } from '../../src/core/index.js';
import { App, type AppProps } from '../../src/tui/App.js';
import { buildExplorerData, type ExplorerData } from '../../src/tui/model/explorer-data.js';
import { fixturesDir } from '../helpers/paths.js';

export class FakeStdout extends EventEmitter {
  readonly frames: string[] = [];
  isTTY = false;
  constructor(
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  lastFrame = (): string => this.frames[this.frames.length - 1] ?? '';
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
  };
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(() => setTimeout(resolve, 0)));

export interface Rendered {
  readonly stdout: FakeStdout;
  readonly stdin: FakeStdin;
  frame(): string;
  /** Types keys (each argument is one write, as a terminal would deliver it) and lets React render. */
  press(...keys: string[]): Promise<void>;
  waitFor(predicate: (frame: string) => boolean, what?: string): Promise<string>;
  rerender(props: AppProps): void;
  unmount(): void;
  readonly exited: Promise<void>;
}

export const KEY = {
  enter: '\r',
  esc: '\x1b',
  backspace: '\x7f',
  tab: '\t',
  up: '\x1b[A',
  down: '\x1b[B',
  pageDown: '\x1b[6~',
  pageUp: '\x1b[5~',
  ctrlC: '\x03',
} as const;

export async function renderApp(props: AppProps, size: { columns?: number; rows?: number } = {}): Promise<Rendered> {
  return renderElement(<App {...props} />, size, (p) => <App {...p} />);
}

/** Any element of the explorer (the App, the --nodes explorer) rendered like renderApp. */
export async function renderElement(
  element: React.ReactElement,
  size: { columns?: number; rows?: number } = {},
  again: (props: AppProps) => React.ReactElement = () => element,
): Promise<Rendered> {
  const stdout = new FakeStdout(size.columns ?? 80, size.rows ?? 24);
  const stdin = new FakeStdin();
  const instance = render(element, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const waitFor = async (predicate: (frame: string) => boolean, what = 'a matching frame'): Promise<string> => {
    for (let i = 0; i < 400; i++) {
      if (predicate(stdout.lastFrame())) return stdout.lastFrame();
      await tick();
    }
    throw new Error(`timed out waiting for ${what}; last frame:\n${stdout.lastFrame()}`);
  };
  await tick();
  return {
    stdout,
    stdin,
    frame: () => stdout.lastFrame(),
    async press(...keys: string[]) {
      for (const k of keys) {
        stdin.write(k);
        // A lone ESC waits one setImmediate in Ink's parser before it counts as Escape.
        await tick();
        await tick();
      }
    },
    waitFor,
    rerender: (p: AppProps) => instance.rerender(again(p)),
    unmount: () => instance.unmount(),
    exited: instance.waitUntilExit() as Promise<void>,
  };
}

/** A bundled fixture in either mode (fixtures/NAME.save, fixtures/nftables/NAME.nft or .json). */
export function fixtureData(name: string, nodeAddresses: readonly string[] = []): ExplorerData {
  const text = readFileSync(path.join(fixturesDir, name), 'utf8');
  const dump = parseDump(text);
  return buildExplorerData({ ruleset: dump.ruleset, nft: dump.nft, source: `fixtures/${name}`, takenAt: null, nodeAddresses });
}

export function textData(text: string, source = 'test.save', nodeAddresses: readonly string[] = []): ExplorerData {
  return buildExplorerData({ ruleset: parseIptablesSave(text), source, takenAt: null, nodeAddresses });
}

/** The frame's lines (debug-mode frames are the plain text of one render). */
export function lines(frame: string): string[] {
  return frame.split('\n');
}

/**
 * Waits in wall-clock time, not in render ticks: for live tests, whose frames change when a real
 * poller's command has run. The limit only guards against a hang.
 */
export async function untilFrame(a: Rendered, predicate: (frame: string) => boolean, what: string, timeoutMs = 120_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (predicate(a.frame())) return a.frame();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}; last frame:\n${a.frame()}`);
}
