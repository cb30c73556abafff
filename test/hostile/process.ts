/**
 * The built kubechains bin as a real process, for hostile inputs: every run has a timeout (a hang
 * fails the test instead of stalling it), output is kept as bytes (so raw control bytes can be
 * looked for), and the checks every run must pass live here.
 */
import { execFile } from 'node:child_process';
import { expect } from 'vitest';
import { builtMain } from '../cli/harness.js';
import { repoRoot } from '../helpers/paths.js';

export interface ProcResult {
  /** Exit code; null when a signal ended the process (the timeout's SIGKILL, an abort). */
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdoutBytes: Buffer;
  readonly stderrBytes: Buffer;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ProcOptions {
  /** Standard input; closed at once when absent. */
  readonly stdin?: string | Buffer;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
  /** Generous: only a hang should ever reach it. */
  readonly timeoutMs?: number;
  /** Run `node BIN ARGV` through /bin/sh with this prefix (e.g. `exec <&-` to close fd 0). */
  readonly shellPrefix?: string;
}

export const DEFAULT_TIMEOUT_MS = 20_000;

export function kubechains(argv: readonly string[], options: ProcOptions = {}): Promise<ProcResult> {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const [file, args] =
    options.shellPrefix === undefined
      ? [process.execPath, [builtMain, ...argv]]
      : ['/bin/sh', ['-c', `${options.shellPrefix} "$0" "$@"`, process.execPath, builtMain, ...argv]];
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        cwd: repoRoot,
        env: options.env ?? { ...process.env, KUBECHAINS_DEBUG: '' },
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
        timeout,
        killSignal: 'SIGKILL',
        uid: options.uid,
        gid: options.gid,
      },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: unknown }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
        resolve({
          code,
          signal: e?.signal ?? null,
          timedOut: Boolean(e?.killed) && e?.signal === 'SIGKILL',
          stdoutBytes: stdout,
          stderrBytes: stderr,
          stdout: stdout.toString('utf8'),
          stderr: stderr.toString('utf8'),
        });
      },
    );
    child.stdin!.on('error', () => undefined); // the CLI may exit before reading all of it
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
    else child.stdin!.end();
  });
}

/** C0 controls other than the newline between lines, DEL, and C1 controls (U+0080–U+009F). */
const RAW_CONTROL_CHAR = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** The first raw control in text output, as a readable "U+001B at 123", or null. */
export function rawControl(bytes: Buffer, text: string): string | null {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 0x0a) || b === 0x7f) return `byte 0x${b.toString(16).padStart(2, '0')} at ${i}`;
  }
  // C1 controls are two bytes in UTF-8 (0x9b is C2 9B): look for them as characters.
  const m = RAW_CONTROL_CHAR.exec(text);
  return m ? `U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index}` : null;
}

/** What every run must be: finished in time, no stack trace or internal error, no raw control characters. */
export function expectSane(r: ProcResult, what: string): void {
  expect(r.timedOut, `${what}: timed out`).toBe(false);
  expect(r.signal, `${what}: killed by a signal; stderr: ${r.stderr.slice(0, 500)}`).toBeNull();
  for (const [name, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
    expect(text, `${what}: ${name} has a stack trace`).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
    expect(text, `${what}: ${name} has an internal error`).not.toMatch(/internal error|FATAL ERROR|Maximum call stack/);
  }
  expect(rawControl(r.stdoutBytes, r.stdout), `${what}: raw control character in stdout`).toBeNull();
  expect(rawControl(r.stderrBytes, r.stderr), `${what}: raw control character in stderr`).toBeNull();
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Exit 2, nothing on stdout, and standard error opening with exactly
 * `LABEL:LINE:COL: error: MESSAGE` (MESSAGE one line, matching `message`). Returns that line.
 */
export function expectParseError(r: ProcResult, what: string, label: string, line: number, column: number, message: RegExp): string {
  expectSane(r, what);
  expect(r.code, `${what}: exit code; stderr: ${r.stderr.slice(0, 500)}`).toBe(2);
  expect(r.stdout, what).toBe('');
  const first = r.stderr.split('\n')[0]!;
  expect(first, what).toMatch(new RegExp(`^${escapeRe(label)}:${line}:${column}: error: \\S`));
  expect(first.slice(`${label}:${line}:${column}: error: `.length), what).toMatch(message);
  return first;
}

/** Exit 2 and exactly one line on standard error, `kubechains: MESSAGE` (a source that cannot be read). */
export function expectSourceError(r: ProcResult, what: string, message: RegExp): string {
  expectSane(r, what);
  expect(r.code, `${what}: exit code; stderr: ${r.stderr.slice(0, 500)}`).toBe(2);
  expect(r.stdout, what).toBe('');
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect(lines, what).toHaveLength(1);
  expect(lines[0], what).toMatch(/^kubechains: /);
  expect(lines[0]!.slice('kubechains: '.length), what).toMatch(message);
  return lines[0]!;
}
