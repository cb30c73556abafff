/**
 * Issue 15 end to end: the built bin in a real terminal (tmux, 80x24) with --conntrack-cmd
 * printing a file the test rewrites. The services list's CONN and the endpoint table's CONN and
 * ΔCONN follow the file; under LANG=C the screen is ASCII; q gives the shell back clean. Skipped
 * only outside CI when tmux is missing; under CI=true it always runs.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';
import { TmuxServer, expectShellBack, hasTmux, rows, save, type TmuxSession } from '../helpers/tmux.js';
import { API, EP1, FIRST, POD, SECOND, conntrackText, flows } from './conntrack-text.js';

const server = new TmuxServer('kubechains-conntrack');
const CLI = inject('builtMain');
const skipNoTmux = !hasTmux && process.env.CI !== 'true';
const inTmux = (title: string) => (skipNoTmux ? `${title} (skipped outside CI: tmux is not installed)` : title);

const dir = mkdtempSync(path.join(tmpdir(), 'kc-tmux-conntrack-'));
const table = path.join(dir, 'table.txt');
/** Written aside and renamed over, so the command never prints half a table. */
function writeTable(text: string): void {
  writeFileSync(`${table}.new`, text);
  renameSync(`${table}.new`, table);
}

afterAll(() => {
  if (hasTmux) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

const serviceRow = (s: string, id: string) => rows(s).find((l) => l.slice(2).startsWith(`${id} `)) ?? '';
const endpointRow = (s: string, address: string) => rows(s).find((l) => l.slice(2).startsWith(address)) ?? '';
/** The CONN cell of a services row, under the header's CONN. */
function conn(s: string, id: string): string {
  const header = rows(s).find((l) => l.includes('EP/LO')) ?? '';
  const at = header.indexOf('CONN');
  return at < 0 ? '' : serviceRow(s, id).slice(at, at + 4).trim();
}

describe('connections in the explorer, in tmux (80x24)', () => {
  it.skipIf(skipNoTmux)(inTmux('CONN follows a --conntrack-cmd whose table changes; the endpoint table shows the change; q quits cleanly'), async () => {
    writeTable(FIRST);
    const term: TmuxSession = server.startShell('ct1', { width: 80, height: 24, cwd: repoRoot, timeoutMs: 30_000 });
    await term.waitFor((s) => s.includes('$'), 'the shell prompt');
    term.type(`node '${CLI}' fixtures/multi-endpoint.save --node-ip 172.16.1.10 --interval 0.5 --conntrack-cmd "cat '${table}'"; echo "exit=$?"`);
    term.keys('Enter');
    let s = await term.waitFor((x) => conn(x, 'shop/api:https') === '5', 'CONN 5 on shop/api:https');
    expect(rows(s)).toHaveLength(24);
    // The title line says what no service claims; the status line gives the counts (cut at 80 columns after the rules' own parts).
    expect(rows(s)[1]).toContain('sort id · 1 unmatched conntrack entry');
    expect(rows(s).at(-2)).toMatch(/unchanged since \d\d:\d\d:\d\d · .*conntr/);
    save('conntrack-services', s);

    // 30 more connections to shop/api on the next read.
    writeTable(conntrackText(flows(35, { state: 'ESTABLISHED', client: POD, frontend: API, endpoint: EP1 })));
    s = await term.waitFor((x) => conn(x, 'shop/api:https') === '35', 'CONN 35 after the table changed');

    writeTable(FIRST);
    await term.waitFor((x) => conn(x, 'shop/api:https') === '5', 'CONN 5 again');
    term.type(':svc shop/api:https');
    term.keys('Enter');
    await term.waitFor((x) => /ENDPOINT +KUBE-SEP +LOCAL +SHARE +CONN +ΔCONN/.test(x), 'the endpoint table with CONN and ΔCONN');
    writeTable(SECOND);
    s = await term.waitFor((x) => / 5 +\+1 /.test(endpointRow(x, EP1)), 'EP1: 5 connections, +1');
    expect(s).toContain('ESTABLISHED 5');
    save('conntrack-service', s);

    term.keys('q');
    expectShellBack(await term.waitFor((x) => x.includes('exit=0'), 'the shell back'), 0);
  });

  it.skipIf(skipNoTmux)(inTmux('under LANG=C the connection columns are ASCII'), async () => {
    writeTable(FIRST);
    const term: TmuxSession = server.startShell('ct2', { width: 80, height: 24, cwd: repoRoot, timeoutMs: 30_000 });
    await term.waitFor((s) => s.includes('$'), 'the shell prompt');
    term.type(`LC_ALL= LC_CTYPE= LANG=C node '${CLI}' fixtures/nftables/multi-endpoint.nft --node-ip 172.16.1.10 --interval 0.5 --conntrack-cmd "cat '${table}'"; echo "exit=$?"`);
    term.keys('Enter');
    await term.waitFor((x) => conn(x, 'shop/api:https') === '5', 'CONN 5 on shop/api:https');
    term.type(':svc shop/api:https');
    term.keys('Enter');
    writeTable(SECOND);
    const s = await term.waitFor((x) => / 5 +\+1 /.test(endpointRow(x, EP1)), 'EP1: 5 connections, +1');
    expect(s).toMatch(/CONN +dCONN/);
    for (const ch of s) expect(ch.charCodeAt(0)).toBeLessThan(0x80);
    term.keys('q');
    await term.waitFor((x) => x.includes('exit=0'), 'the shell back');
  });
});
