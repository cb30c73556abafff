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
}

const STDERR_KEEP = 8192;

export function runProgram(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<ProgramResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let tooBig = false;
    let startError: string | null = null;
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_DUMP_BYTES) {
        tooBig = true;
        child.kill('SIGTERM');
        return;
      }
      chunks.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr += b.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      startError = e.code === 'ENOENT' ? `${file}: not found` : e.message;
    });
    child.on('close', (status, signal) => {
      resolve({ status, signal, stdout: Buffer.concat(chunks), stderr: stderr.slice(0, STDERR_KEEP), startError, tooBig });
    });
  });
}

/** "exited with status 1: iptables-save: permission denied" — the first non-empty stderr line. */
export function describeFailure(r: ProgramResult): string {
  if (r.startError) return r.startError;
  if (r.tooBig) return `printed more than ${MAX_DUMP_BYTES / 1024 / 1024} MB`;
  const how = r.signal ? `was killed by ${r.signal}` : `exited with status ${r.status}`;
  const first = r.stderr.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return first ? `${how}: ${first}` : how;
}
