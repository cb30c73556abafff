/** Runs the CLI in-process (main() with captured output) or as a real process of this run's build. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { inject } from 'vitest';
import type { ExplorerLaunch } from '../../src/cli/explore.js';
import { main } from '../../src/cli/run.js';
import { repoRoot } from '../helpers/paths.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly stdin?: string | Buffer;
  readonly env?: NodeJS.ProcessEnv;
  readonly tty?: { columns: number };
  readonly importExplorer?: () => Promise<unknown>;
}

class Capture {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns: number | undefined,
  ) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const stdout = new Capture(options.tty !== undefined, options.tty?.columns);
  const stderr = new Capture(false, undefined);
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await main(argv, { stdout, stderr, stdin, env: options.env ?? process.env, importExplorer: options.importExplorer });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export const fixture = (name: string) => path.join(repoRoot, 'fixtures', name);

/** The bin of this run's build (test/setup/build.ts builds it once, before any test file runs). */
export const builtMain = inject('builtMain');

/** Runs the built CLI as a real process. */
export function runProcess(
  argv: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [builtMain, ...argv],
      { env: options.env ?? process.env, cwd: options.cwd ?? repoRoot, maxBuffer: 64 * 1024 * 1024, uid: options.uid, gid: options.gid },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
    else child.stdin!.end();
  });
}

/** Stands in for src/tui/run.js (CliIO.importExplorer): records what the CLI hands the explorer. */
export function fakeExplorer(): { readonly launches: ExplorerLaunch[]; importExplorer(): Promise<{ runExplorer(launch: ExplorerLaunch): Promise<number> }> } {
  const launches: ExplorerLaunch[] = [];
  const importExplorer = async () => ({
    runExplorer: async (launch: ExplorerLaunch) => {
      launches.push(launch);
      return 0;
    },
  });
  return { launches, importExplorer };
}
