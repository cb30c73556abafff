/**
 * The built bin in a real pseudo-terminal, through util-linux `script` (no native module needed):
 * what a person's terminal receives is read back byte for byte (standard output and error share
 * the terminal, lines end in CRLF), keys are typed through script's standard input.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { builtMain } from '../cli/harness.js';
import { repoRoot } from '../helpers/paths.js';

export const hasScript = spawnSync('script', ['--version']).status === 0;

export const ENTER_ALT_SCREEN = '\u001b[?1049h';
export const LEAVE_ALT_SCREEN = '\u001b[?1049l';

/** Single-quoted for /bin/sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface PtyOptions {
  readonly cols?: number;
  readonly rows?: number;
  /** A file for the bin's standard input (e.g. the dump for `kubechains -`); else the terminal. */
  readonly stdinFile?: string;
}

const sessions = new Set<PtySession>();

export class PtySession {
  private readonly chunks: Buffer[] = [];
  private readonly child: ChildProcess;
  /** Exit code of the bin (`script -e` passes it on; 128+N for a signal). */
  readonly exited: Promise<number | null>;

  constructor(argv: readonly string[], options: PtyOptions = {}) {
    const command =
      `stty rows ${options.rows ?? 24} cols ${options.cols ?? 80}; exec ` +
      [process.execPath, builtMain, ...argv].map(shq).join(' ') +
      (options.stdinFile !== undefined ? ` < ${shq(options.stdinFile)}` : '');
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: repoRoot,
      env: { ...process.env, TERM: 'xterm-256color', LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', KUBECHAINS_DEBUG: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    sessions.add(this);
    this.child.stdout!.on('data', (b: Buffer) => this.chunks.push(b));
    this.child.stderr!.on('data', (b: Buffer) => this.chunks.push(b));
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        sessions.delete(this);
        resolve(code ?? (signal ? -1 : null));
      });
    });
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  /** Lines as the terminal got them, without the CR of CRLF. */
  lines(): string[] {
    return this.text().split(/\r?\n/);
  }

  send(keys: string): void {
    this.child.stdin!.write(keys);
  }

  /** Waits until the terminal has received what `predicate` looks for; fails after a generous timeout. */
  async waitFor(predicate: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (predicate(this.text())) return;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (predicate(this.text())) return;
    throw new Error(`waited for ${what}; the terminal got:\n${JSON.stringify(this.text().slice(-2000))}`);
  }

  /** The exit code, or a failure when the bin has not ended in time. */
  async exit(timeoutMs = 20_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const code = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (code === 'timeout') {
      this.kill();
      throw new Error(`the bin did not end within ${timeoutMs} ms; the terminal got:\n${JSON.stringify(this.text().slice(-2000))}`);
    }
    return code;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Ends every session a test left running (only the ones these tests started). */
export function killSessions(): void {
  for (const s of sessions) s.kill();
}

/** How often `needle` occurs in `text`. */
export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}
