/**
 * Driving a program in a real terminal: a tmux server of its own (a private socket, so the
 * user's tmux and other test files are never touched), sessions of a given size running a
 * command, keys typed with send-keys, the screen read back with capture-pane, waiting until the
 * screen shows something, and the screens saved as text for the issue notes (to $KC_SCREENS_DIR).
 *
 *   const server = new TmuxServer('kubechains-e2e');
 *   const term = server.startShell('e2e1');          // `sh` with the prompt "$ " at 80x24
 *   term.type('node dist/cli/main.js …'); term.keys('Enter');
 *   const screen = await term.waitFor((s) => s.includes('sort id'), 'the services screen');
 *   server.kill();                                    // in afterAll; never throws
 */
import { expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** True when a tmux binary answers `tmux -V`. */
export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** UTF-8 so tmux keeps "·", "→" and "…"; TERM like a common terminal. */
export const TMUX_ENV: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', TERM: 'xterm-256color' };

/** Where save() writes the screens: a folder the user names, never a fixed path two runs would share. */
const SCREENS_DIR = process.env.KC_SCREENS_DIR;

/** The pane's rows (capture-pane ends with a newline). */
export const rows = (screen: string): string[] => screen.replace(/\n$/, '').split('\n');

/**
 * The terminal given back clean after the explorer quit: none of its screen left (the alternate
 * screen is gone), the shell's `exit=N` line and its prompt last.
 */
export function expectShellBack(screen: string, exit: number): void {
  expect(screen).not.toContain('sort id');
  expect(screen).not.toContain('KUBE-');
  const shellLines = screen.split('\n').filter((l) => l.trim() !== '');
  expect(shellLines.at(-1)).toBe('$');
  expect(shellLines.at(-2)).toBe(`exit=${exit}`);
}

/** Writes a screen's text to $KC_SCREENS_DIR/NAME.txt when that is set (a record for issue notes, not a check). */
export function save(name: string, screen: string): void {
  if (!SCREENS_DIR) return;
  mkdirSync(SCREENS_DIR, { recursive: true });
  writeFileSync(path.join(SCREENS_DIR, `${name}.txt`), screen);
}

export interface SessionOptions {
  readonly width?: number;
  readonly height?: number;
  /** The command's working directory (tmux -c). */
  readonly cwd?: string;
  /** How long waitFor waits by default. */
  readonly timeoutMs?: number;
}

/** A tmux server on a private socket: `<prefix>-<pid>`, one per test file. */
export class TmuxServer {
  readonly socket: string;

  constructor(prefix: string) {
    this.socket = `${prefix}-${process.pid}`;
  }

  /** Runs `tmux -L SOCKET ARGS…`; its stdout, or an error with tmux's message. */
  tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { env: TMUX_ENV, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr ?? r.error?.message ?? ''}`);
    return r.stdout;
  }

  /** A detached session NAME of the given size (default 80x24) running `command` (an argv). */
  newSession(name: string, command: readonly string[], options: SessionOptions = {}): TmuxSession {
    const { width = 80, height = 24, cwd } = options;
    this.tmux('new-session', '-d', '-s', name, '-x', String(width), '-y', String(height), ...(cwd ? ['-c', cwd] : []), ...command);
    return new TmuxSession(this, name, options.timeoutMs ?? 20_000);
  }

  /** A session running a plain `sh` with the prompt "$ ", so what a command leaves behind can be checked. */
  startShell(name: string, options: SessionOptions = {}): TmuxSession {
    return this.newSession(name, ['env', 'PS1=$ ', 'sh'], options);
  }

  /** Where tmux puts the socket: $TMUX_TMPDIR (else /tmp, not $TMPDIR)/tmux-UID/NAME. */
  get socketPath(): string {
    return path.join(TMUX_ENV.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket);
  }

  /** Stops the server and everything running in it, and removes its socket (tmux 3.3 leaves it); idempotent, never throws. */
  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { env: TMUX_ENV });
    try {
      rmSync(this.socketPath, { force: true });
    } catch {
      // not ours to remove, or already gone
    }
  }
}

/** One session (its single pane) on a TmuxServer. */
export class TmuxSession {
  constructor(
    readonly server: TmuxServer,
    readonly name: string,
    readonly timeoutMs: number,
  ) {}

  /** The visible screen as text, one line a row. */
  capture(): string {
    return this.server.tmux('capture-pane', '-p', '-t', this.name);
  }

  /** Keys by tmux name: 'Enter', 'Escape', 'BSpace', 'j', … */
  keys(...keys: string[]): void {
    this.server.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Literal text (so "/" and ":" are not taken as key names). */
  type(text: string): void {
    this.server.tmux('send-keys', '-t', this.name, '-l', text);
  }

  resize(width: number, height: number): void {
    this.server.tmux('resize-window', '-t', this.name, '-x', String(width), '-y', String(height));
  }

  /** The pid of the pane's first process (the shell of startShell). */
  panePid(): number {
    return Number(this.server.tmux('list-panes', '-t', this.name, '-F', '#{pane_pid}').trim());
  }

  /**
   * The screen once `predicate` holds for it (a function, a text it contains, or a pattern it
   * matches), checked every 100 ms; an error with `what` and the last screen after the timeout.
   */
  async waitFor(predicate: ((screen: string) => boolean) | string | RegExp, what: string, timeoutMs = this.timeoutMs): Promise<string> {
    const test = typeof predicate === 'function' ? predicate : typeof predicate === 'string' ? (s: string) => s.includes(predicate) : (s: string) => predicate.test(s);
    const end = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < end) {
      screen = this.capture();
      if (test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
  }
}
