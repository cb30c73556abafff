/**
 * The explorer in a real terminal: tmux at 80x24 runs this run's build (test/setup/build.ts), a
 * person's path is typed with send-keys and read back with capture-pane. Skipped only outside CI
 * when tmux is missing; under CI=true it always runs. Saves the text of each screen to
 * $KC_SCREENS_DIR when that is set, for the issue notes.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';
import { TmuxServer, expectShellBack, hasTmux, rows, save, type TmuxSession } from '../helpers/tmux.js';

/** This test's own tmux server; each test gets its own session on it. */
const server = new TmuxServer('kubechains-e2e');
let term: TmuxSession;
let sessions = 0;
const CLI = inject('builtMain');

/** Skipped only outside CI when tmux is missing, and then the title says so; under CI=true it runs. */
const skipNoTmux = !hasTmux && process.env.CI !== 'true';
const inTmux = (title: string) => (skipNoTmux ? `${title} (skipped outside CI: tmux is not installed)` : title);

const has = (text: string) => (s: string) => s.includes(text);
const line0 = (s: string) => s.split('\n')[0] ?? '';
const selected = (s: string) => s.split('\n').find((l) => l.startsWith('> ')) ?? '';

/** A fresh plain shell with a known prompt, so "quit leaves the prompt clean" can be checked. */
function startShell(): void {
  term = server.startShell(`e2e${++sessions}`, { width: 80, height: 24, cwd: repoRoot, timeoutMs: 20_000 });
}

/** The shell is on its own screen again: the exit status, then the prompt, nothing of the explorer. */
afterAll(() => {
  if (hasTmux) server.kill();
});

describe('explorer in tmux (80x24)', () => {
  it.skipIf(skipNoTmux)(inTmux('walks the seed cluster from the service to the endpoint and back, resizes, quits cleanly'), async () => {
    startShell();
    await term.waitFor(has('$'), 'the shell prompt');
    // Exactly what a person types (CI may be set in this environment: the explorer must still draw).
    term.type(`node '${CLI}' fixtures/seed-nodeport-cluster.save --node-ip 172.16.1.10; echo "exit=$?"`);
    term.keys('Enter');

    let s = await term.waitFor(has('5 service ports · sort id'), 'the services screen');
    save('services', s);
    expect(rows(s)).toHaveLength(24);

    term.type('/nginx');
    await term.waitFor(has('/nginx_'), 'the filter line');
    term.keys('Enter');
    s = await term.waitFor(has('KUBE-SEP-YVT6EXXEKT4LDXBC'), 'the service detail');
    expect(s).toContain('10.64.2.4:80');
    expect(line0(s)).toBe('Services > default/nginx');
    save('service-detail', s);

    term.keys('Escape');
    await term.waitFor((x) => line0(x) === 'Services', 'back on services');
    term.type(':hooks');
    term.keys('Enter');
    s = await term.waitFor(has('Hooks · 12 entry points'), 'the hooks screen');
    save('hooks', s);

    term.keys('j');
    await term.waitFor((x) => /PREROUTING +-100 nat/.test(selected(x)), 'nat PREROUTING selected');
    term.keys('Enter');
    await term.waitFor((x) => line0(x) === 'Hooks > nat PREROUTING', 'nat PREROUTING');
    term.keys('Enter');
    await term.waitFor((x) => line0(x) === 'Hooks > nat PREROUTING > KUBE-SERVICES', 'KUBE-SERVICES');
    term.type('/nginx');
    await term.waitFor((x) => selected(x).includes('KUBE-SVC-2CMXP7HKUVJN7L6M'), 'the nginx rule');
    term.keys('Enter');
    s = await term.waitFor((x) => line0(x) === 'Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-2CMXP7HKUVJN7L6M', 'KUBE-SVC');
    term.keys('Enter');
    s = await term.waitFor(has('nat KUBE-SEP-YVT6EXXEKT4LDXBC · 2 rules'), 'KUBE-SEP');
    expect(line0(s)).toBe('Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-… > KUBE-SEP-YVT6EXXEKT4LDXBC');
    expect(s).toMatch(/DNAT +tcp -> 10\.64\.2\.4:80 · default\/nginx/);
    save('chain', s);

    // Back up the trail, each screen on the row it was left on.
    term.keys('Escape');
    s = await term.waitFor((x) => line0(x) === 'Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-2CMXP7HKUVJN7L6M', 'back to KUBE-SVC');
    term.keys('Escape');
    s = await term.waitFor((x) => line0(x) === 'Hooks > nat PREROUTING > KUBE-SERVICES', 'back to KUBE-SERVICES');
    expect(selected(s)).toContain('KUBE-SVC-2CMXP7HKUVJN7L6M');
    term.keys('Escape'); // clears the filter, same row
    s = await term.waitFor((x) => !x.includes('filter "nginx"') && x.includes('KUBE-NODEPORTS'), 'the whole chain');
    expect(selected(s)).toMatch(/^>\s+5 .*KUBE-SVC-2CMXP7HKUVJN7L6M/);
    term.keys('BSpace');
    s = await term.waitFor((x) => line0(x) === 'Hooks > nat PREROUTING', 'back to PREROUTING');
    term.keys('BSpace');
    s = await term.waitFor((x) => line0(x) === 'Hooks', 'back to hooks');
    expect(selected(s)).toMatch(/PREROUTING +-100 nat/);

    // Resize: the layout follows the terminal, then comes back.
    term.resize(120, 30);
    s = await term.waitFor((x) => rows(x).length === 30 && x.includes('KUBE-PROXY-FIREWALL, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES'), 'the 120x30 layout');
    term.resize(80, 24);
    s = await term.waitFor((x) => rows(x).length === 24 && x.includes('Hooks · 12 entry points') && !x.includes('KUBE-EXTERNAL-SERVICES'), 'the 80x24 layout');
    expect(line0(s)).toBe('Hooks');

    term.type(':trace 172.16.1.10:30783');
    term.keys('Enter');
    s = await term.waitFor(has('masqueraded'), 'the trace');
    expect(s).toMatch(/100% ACCEPT +10\.64\.2\.4:80 +yes/);
    save('trace', s);

    term.type('?');
    s = await term.waitFor(has('Help ·'), 'help');
    save('help', s);

    term.type('q');
    s = await term.waitFor(has('exit=0'), 'the shell again');
    expectShellBack(s, 0);
  });

  it.skipIf(skipNoTmux)(inTmux('reads the dump from stdin and the keys from the terminal'), async () => {
    startShell();
    await term.waitFor(has('$'), 'the shell prompt');
    term.type(`cat fixtures/seed-clusterip.save | node '${CLI}' -; echo "exit=$?"`);
    term.keys('Enter');
    let s = await term.waitFor(has('5 service ports · sort id'), 'the services screen');
    // The status line (the terminal's last row stays empty: see App's frame height).
    expect(rows(s).at(-2)).toMatch(/^<stdin> · /);
    expect(rows(s).at(-1)).toBe('');
    term.type('/251');
    term.keys('Enter');
    s = await term.waitFor(has('Services > default/nginx'), 'the nginx detail');
    expect(s).toContain('KUBE-SEP-YVT6EXXEKT4LDXBC');
    term.type('q');
    s = await term.waitFor(has('exit=0'), 'the shell again');
    expectShellBack(s, 0);
  });

  it.skipIf(skipNoTmux)(inTmux('gives the terminal back when killed with SIGTERM'), async () => {
    startShell();
    await term.waitFor(has('$'), 'the shell prompt');
    term.type(`node '${CLI}' fixtures/seed-clusterip.save; echo "exit=$?"`);
    term.keys('Enter');
    await term.waitFor(has('5 service ports · sort id'), 'the services screen');
    // The explorer is the shell's child: signal exactly that process.
    const shellPid = String(term.panePid());
    const child = spawnSync('ps', ['-o', 'pid=', '--ppid', shellPid], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0];
    expect(child).toMatch(/^\d+$/);
    process.kill(Number(child), 'SIGTERM');
    const s = await term.waitFor(has('exit=143'), 'the shell again');
    expectShellBack(s, 143);
  });
});
