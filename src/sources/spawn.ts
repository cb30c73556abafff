/** Runs one program (never through a shell unless the caller names /bin/sh) and collects its output. */
import { spawn } from 'node:child_process';
import { MAX_DUMP_BYTES } from './decode.js';

export interface ProgramResult {
  /** Exit status, null when a signal ended it or it could not start. */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  /** The first few KB of standard error, for messages. */
  readonly stderr: string;
  /** Set when the program could not be started (ENOENT, EACCES…). */
  readonly startError: string | null;
  readonly tooBig: boolean;
  /** Killed because it ran longer than `timeoutMs`. */
  readonly timedOut: boolean;
  /** Killed because `signal` was aborted (the caller stopped waiting). */
  readonly aborted: boolean;
  /** How long it ran, in milliseconds. */
  readonly ms: number;
  /** The limit it was given, for messages. */
  readonly timeoutMs: number | null;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the program (its whole process group) when it runs longer than this. */
  readonly timeoutMs?: number;
  /** Kill the program when this is aborted. */
  readonly signal?: AbortSignal;
}

const STDERR_KEEP = 8192;
/** After SIGTERM, how long a program gets before SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * Runs `file args`, in a process group of its own so that a timeout or an abort ends everything
 * it started (`/bin/sh -c 'ssh node iptables-save'` leaves no ssh behind), and resolves when it
 * has exited and its output is closed. Never rejects.
 */
export function runProgram(file: string, args: readonly string[], options: RunOptions = {}): Promise<ProgramResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let tooBig = false;
    let timedOut = false;
    let aborted = false;
    let startError: string | null = null;
    let exited = false;
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, detached: true });
    let killTimer: NodeJS.Timeout | null = null;
    const kill = () => {
      if (exited || child.pid === undefined) return;
      signalGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => {
        if (!exited && child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      }, KILL_GRACE_MS);
    };
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            kill();
          }, options.timeoutMs)
        : null;
    const onAbort = () => {
      aborted = true;
      kill();
    };
    if (options.signal) {
      if (options.signal.aborted) queueMicrotask(onAbort);
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_DUMP_BYTES) {
        tooBig = true;
        kill();
        return;
      }
      if (!tooBig) chunks.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr += b.toString('utf8');
    });
    child.on('exit', () => {
      exited = true;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      startError = e.code === 'ENOENT' ? `${file}: not found` : e.message;
    });
    child.on('close', (status, signal) => {
      exited = true;
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        status,
        signal,
        stdout: Buffer.concat(chunks),
        stderr: stderr.slice(0, STDERR_KEEP),
        startError,
        tooBig,
        timedOut,
        aborted,
        ms: Date.now() - started,
        timeoutMs: options.timeoutMs ?? null,
      });
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

/** "exited with status 1: iptables-save: permission denied" — the first non-empty stderr line. */
export function describeFailure(r: ProgramResult): string {
  if (r.startError) return r.startError;
  if (r.tooBig) return `printed more than ${MAX_DUMP_BYTES / 1024 / 1024} MB`;
  if (r.timedOut) return `timed out after ${seconds(r.timeoutMs ?? r.ms)} s (killed)`;
  if (r.aborted) return 'was stopped';
  const how = r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
  const first = r.stderr.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return first ? `${how}: ${first}` : how;
}

/** True when the result is a dump worth parsing. */
export function succeeded(r: ProgramResult): boolean {
  return r.status === 0 && !r.startError && !r.tooBig && !r.timedOut && !r.aborted;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return s >= 10 ? String(Math.round(s)) : String(Math.round(s * 10) / 10);
}
