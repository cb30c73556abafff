/**
 * Running a program and measuring it from outside: wall time from here, CPU time and peak RSS
 * from the kernel's accounting of the child (through GNU time, which reads wait4's rusage).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ProcResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** User + system CPU of the program and its children; NaN when unknown. */
  readonly cpuMs: number;
  readonly userMs: number;
  readonly sysMs: number;
  /** Peak resident set size in MB; NaN when unknown. */
  readonly maxRssMB: number;
}

const GNU_TIME = '/usr/bin/time';
let timeAvailable: boolean | null = null;

/** Whether GNU time is there (it gives the child's CPU and peak RSS). */
export function hasGnuTime(): boolean {
  if (timeAvailable === null) {
    const r = spawnSync(GNU_TIME, ['-f', '%e', 'true'], { encoding: 'utf8' });
    timeAvailable = r.status === 0;
  }
  return timeAvailable;
}

export interface RunOptions {
  /** Discard standard output instead of keeping it (a 20 MB `services --json`). */
  readonly discardStdout?: boolean;
  /** Write standard output straight into this file (a program's output kept for the next step, no pipe through Node). */
  readonly stdoutFile?: string;
  readonly timeoutMs?: number;
  readonly input?: string;
}

/** Runs `cmd args` to completion, measured. Never throws for a failing program (see `code`). */
export async function runMeasured(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<ProcResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-bench-time-'));
  const timeFile = path.join(dir, 'time');
  const useTime = hasGnuTime();
  const argv = useTime ? ['-o', timeFile, '-f', '%e %U %S %M', cmd, ...args] : [...args];
  const program = useTime ? GNU_TIME : cmd;
  const outFd = options.stdoutFile === undefined ? null : openSync(options.stdoutFile, 'w', 0o600);
  const stdoutTo = outFd ?? (options.discardStdout ? 'ignore' : 'pipe');
  const t0 = performance.now();
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(program, argv, { stdio: [options.input === undefined ? 'ignore' : 'pipe', stdoutTo, 'pipe'] });
      let out = '';
      let err = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
      const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : null;
      child.on('error', reject);
      child.on('close', (c) => {
        if (timer) clearTimeout(timer);
        resolve({ code: c, stdout: out, stderr: err });
      });
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
    const wallMs = performance.now() - t0;
    let userMs = NaN;
    let sysMs = NaN;
    let maxRssMB = NaN;
    if (useTime) {
      // The last line: a failing program makes time print "Command exited with non-zero status" first.
      const line = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
      const [, u, s, m] = line.split(/\s+/).map(Number);
      userMs = (u ?? NaN) * 1000;
      sysMs = (s ?? NaN) * 1000;
      maxRssMB = (m ?? NaN) / 1024;
    }
    return { code, stdout, stderr, wallMs, cpuMs: userMs + sysMs, userMs, sysMs, maxRssMB };
  } finally {
    if (outFd !== null) closeSync(outFd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a command for its output (setup steps, not measured); throws with its stderr when it fails. */
export function runChecked(cmd: string, args: readonly string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${(r.stderr || '').trim().split('\n')[0]}`);
  return r.stdout;
}
