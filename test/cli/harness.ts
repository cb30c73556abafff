/** Runs the CLI in-process (main() with captured output) or as a real process of a fresh build. */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
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

const buildRoot = path.join(repoRoot, 'tmp', 'cli-test-build');
const lockDir = path.join(repoRoot, 'tmp', 'cli-test-build.lock');
/** The built bin, in a private outDir so other builds in the checkout cannot race with the tests. */
export const builtMain = path.join(buildRoot, 'dist', 'cli', 'main.js');

/** Builds src/ once for all test files (a lock, and no rebuild when the build is newer than every source). */
export async function buildCli(): Promise<string> {
  mkdirSync(path.dirname(lockDir), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      if (Date.now() - started > 110_000) rmSync(lockDir, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (!existsSync(builtMain) || statSync(builtMain).mtimeMs < newestSource(path.join(repoRoot, 'src'))) {
      const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
      try {
        execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(buildRoot, 'dist')], { cwd: repoRoot, stdio: 'pipe' });
      } catch {
        // Type errors elsewhere in the checkout (other work in progress) still emit JavaScript.
      }
      // version.ts reads ../../package.json from dist/cli.
      copyFileSync(path.join(repoRoot, 'package.json'), path.join(buildRoot, 'package.json'));
    }
    if (!existsSync(builtMain)) throw new Error(`build did not produce ${builtMain}`);
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
  return builtMain;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

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
