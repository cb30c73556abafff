/**
 * The explorer in a real terminal: tmux at 80x24 runs the built CLI (`npm run build` first; the
 * test script does), a person's path is typed with send-keys and read back with capture-pane.
 * Skipped only outside CI when tmux is missing; under CI=true it always runs. Saves the text of
 * each screen to /tmp/kubechains-screens/ for the issue notes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `kubechains-e2e-${process.pid}`;
/** Each test gets its own session on this test's own tmux server. */
let SESSION = '';
let sessions = 0;
const SCREENS_DIR = '/tmp/kubechains-screens';
const CLI = path.join(repoRoot, 'dist/cli/main.js');
// UTF-8 so tmux keeps "·", "→" and "…"; TERM like a common terminal.
const ENV = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', TERM: 'xterm-256color' };

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { env: ENV, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const capture = () => tmux('capture-pane', '-p', '-t', SESSION);
const keys = (...k: string[]) => tmux('send-keys', '-t', SESSION, ...k);
/** Literal text (so "/" and ":" are not taken as key names). */
const type = (text: string) => tmux('send-keys', '-t', SESSION, '-l', text);

async function waitFor(predicate: (screen: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let screen = '';
  while (Date.now() < end) {
    screen = capture();
    if (predicate(screen)) return screen;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
}

/** The pane's rows (capture-pane ends with a newline). */
const rows = (s: string) => s.replace(/\n$/, '').split('\n');
const has = (text: string) => (s: string) => s.includes(text);
const line0 = (s: string) => s.split('\n')[0] ?? '';
const selected = (s: string) => s.split('\n').find((l) => l.startsWith('> ')) ?? '';

function save(name: string, screen: string): void {
  mkdirSync(SCREENS_DIR, { recursive: true });
  writeFileSync(path.join(SCREENS_DIR, `${name}.txt`), screen);
}

/** A fresh plain shell with a known prompt, so "quit leaves the prompt clean" can be checked. */
function startShell(): void {
  SESSION = `e2e${++sessions}`;
  tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', '-c', repoRoot, 'env', 'PS1=$ ', 'sh');
}

/** The shell is on its own screen again: the exit status, then the prompt, nothing of the explorer. */
function expectCleanShell(screen: string, exit: string): void {
  expect(screen).not.toContain('sort id');
  expect(screen).not.toContain('KUBE-');
  const shellLines = screen.split('\n').filter((l) => l.trim() !== '');
  expect(shellLines.at(-1)).toBe('$');
  expect(shellLines.at(-2)).toBe(`exit=${exit}`);
}

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { env: ENV });
});

describe('explorer in tmux (80x24)', () => {
  it.skipIf(!hasTmux && process.env.CI !== 'true')('walks the seed cluster from the service to the endpoint and back, resizes, quits cleanly', async () => {
    expect(existsSync(CLI), `${CLI} missing: run npm run build first`).toBe(true);
    startShell();
    await waitFor(has('$'), 'the shell prompt');
    // Exactly what a person types (CI may be set in this environment: the explorer must still draw).
    type('node dist/cli/main.js fixtures/seed-nodeport-cluster.save --node-ip 172.16.1.10; echo "exit=$?"');
    keys('Enter');

    let s = await waitFor(has('5 service ports · sort id'), 'the services screen');
    save('services', s);
    expect(rows(s)).toHaveLength(24);

    type('/nginx');
    await waitFor(has('/nginx_'), 'the filter line');
    keys('Enter');
    s = await waitFor(has('KUBE-SEP-YVT6EXXEKT4LDXBC'), 'the service detail');
    expect(s).toContain('10.64.2.4:80');
    expect(line0(s)).toBe('Services > default/nginx');
    save('service-detail', s);

    keys('Escape');
    await waitFor((x) => line0(x) === 'Services', 'back on services');
    type(':hooks');
    keys('Enter');
    s = await waitFor(has('Hooks · 12 entry points'), 'the hooks screen');
    save('hooks', s);

    keys('j');
    await waitFor((x) => selected(x).includes('PREROUTING  nat'), 'nat PREROUTING selected');
    keys('Enter');
    await waitFor((x) => line0(x) === 'Hooks > nat PREROUTING', 'nat PREROUTING');
    keys('Enter');
    await waitFor((x) => line0(x) === 'Hooks > nat PREROUTING > KUBE-SERVICES', 'KUBE-SERVICES');
    type('/nginx');
    await waitFor((x) => selected(x).includes('KUBE-SVC-2CMXP7HKUVJN7L6M'), 'the nginx rule');
    keys('Enter');
    s = await waitFor((x) => line0(x) === 'Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-2CMXP7HKUVJN7L6M', 'KUBE-SVC');
    keys('Enter');
    s = await waitFor(has('nat KUBE-SEP-YVT6EXXEKT4LDXBC · 2 rules'), 'KUBE-SEP');
    expect(line0(s)).toBe('Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-… > KUBE-SEP-YVT6EXXEKT4LDXBC');
    expect(s).toMatch(/DNAT +tcp → 10\.64\.2\.4:80 · default\/nginx/);
    save('chain', s);

    // Back up the trail, each screen on the row it was left on.
    keys('Escape');
    s = await waitFor((x) => line0(x) === 'Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-2CMXP7HKUVJN7L6M', 'back to KUBE-SVC');
    keys('Escape');
    s = await waitFor((x) => line0(x) === 'Hooks > nat PREROUTING > KUBE-SERVICES', 'back to KUBE-SERVICES');
    expect(selected(s)).toContain('KUBE-SVC-2CMXP7HKUVJN7L6M');
    keys('Escape'); // clears the filter, same row
    s = await waitFor((x) => !x.includes('filter "nginx"') && x.includes('KUBE-NODEPORTS'), 'the whole chain');
    expect(selected(s)).toMatch(/^>\s+5 .*KUBE-SVC-2CMXP7HKUVJN7L6M/);
    keys('BSpace');
    s = await waitFor((x) => line0(x) === 'Hooks > nat PREROUTING', 'back to PREROUTING');
    keys('BSpace');
    s = await waitFor((x) => line0(x) === 'Hooks', 'back to hooks');
    expect(selected(s)).toContain('PREROUTING  nat');

    // Resize: the layout follows the terminal, then comes back.
    tmux('resize-window', '-t', SESSION, '-x', '120', '-y', '30');
    s = await waitFor((x) => rows(x).length === 30 && x.includes('KUBE-PROXY-FIREWALL, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES'), 'the 120x30 layout');
    tmux('resize-window', '-t', SESSION, '-x', '80', '-y', '24');
    s = await waitFor((x) => rows(x).length === 24 && x.includes('Hooks · 12 entry points') && !x.includes('KUBE-EXTERNAL-SERVICES'), 'the 80x24 layout');
    expect(line0(s)).toBe('Hooks');

    type(':trace 172.16.1.10:30783');
    keys('Enter');
    s = await waitFor(has('masqueraded'), 'the trace');
    expect(s).toMatch(/100% ACCEPT +10\.64\.2\.4:80 +yes/);
    save('trace', s);

    type('?');
    s = await waitFor(has('Help ·'), 'help');
    save('help', s);

    type('q');
    s = await waitFor(has('exit=0'), 'the shell again');
    expectCleanShell(s, '0');
  });

  it.skipIf(!hasTmux && process.env.CI !== 'true')('reads the dump from stdin and the keys from the terminal', async () => {
    startShell();
    await waitFor(has('$'), 'the shell prompt');
    type('cat fixtures/seed-clusterip.save | node dist/cli/main.js -; echo "exit=$?"');
    keys('Enter');
    let s = await waitFor(has('5 service ports · sort id'), 'the services screen');
    // The status line (the terminal's last row stays empty: see App's frame height).
    expect(rows(s).at(-2)).toMatch(/^<stdin> · /);
    expect(rows(s).at(-1)).toBe('');
    type('/251');
    keys('Enter');
    s = await waitFor(has('Services > default/nginx'), 'the nginx detail');
    expect(s).toContain('KUBE-SEP-YVT6EXXEKT4LDXBC');
    type('q');
    s = await waitFor(has('exit=0'), 'the shell again');
    expectCleanShell(s, '0');
  });

  it.skipIf(!hasTmux && process.env.CI !== 'true')('gives the terminal back when killed with SIGTERM', async () => {
    startShell();
    await waitFor(has('$'), 'the shell prompt');
    type('node dist/cli/main.js fixtures/seed-clusterip.save; echo "exit=$?"');
    keys('Enter');
    await waitFor(has('5 service ports · sort id'), 'the services screen');
    // The explorer is the shell's child: signal exactly that process.
    const shellPid = tmux('list-panes', '-t', SESSION, '-F', '#{pane_pid}').trim();
    const child = spawnSync('ps', ['-o', 'pid=', '--ppid', shellPid], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0];
    expect(child).toMatch(/^\d+$/);
    process.kill(Number(child), 'SIGTERM');
    const s = await waitFor(has('exit=143'), 'the shell again');
    expectCleanShell(s, '143');
  });
});
