/**
 * Issue 14 (the explorer, second round) end to end: this run's build in tmux at 80x24, typed
 * with send-keys and read back with capture-pane, as test/tui/tmux-e2e.test.ts does. Skipped
 * only outside CI when tmux is missing; under CI=true it always runs.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { generateKubeProxyRules, randomClusterSpec } from '../../src/gen/kubeproxy.js';
import { repoRoot } from '../helpers/paths.js';
import { TmuxServer, expectShellBack, hasTmux, rows, save, type TmuxSession } from '../helpers/tmux.js';

const server = new TmuxServer('kubechains-round2');
let term: TmuxSession;
let sessions = 0;
const CLI = inject('builtMain');

const skipNoTmux = !hasTmux && process.env.CI !== 'true';
const inTmux = (title: string) => (skipNoTmux ? `${title} (skipped outside CI: tmux is not installed)` : title);
const has = (text: string) => (s: string) => s.includes(text);
const selected = (s: string) => s.split('\n').find((l) => l.startsWith('> ')) ?? '';

function startShell(): void {
  term = server.startShell(`r2-${++sessions}`, { width: 80, height: 24, cwd: repoRoot, timeoutMs: 20_000 });
}

afterAll(() => {
  if (hasTmux) server.kill();
});

describe('explorer in tmux, second round (80x24)', () => {
  it.skipIf(skipNoTmux)(inTmux('point 2: every step of a long trace path is reachable with j and G, and the hidden ones are counted'), async () => {
    startShell();
    await term.waitFor(has('$'), 'the shell prompt');
    term.type(`node '${CLI}' fixtures/seed-nodeport-cluster.save --node-ip 172.16.1.10; echo "exit=$?"`);
    term.keys('Enter');
    await term.waitFor(has('5 service ports'), 'the services screen');
    term.type(':trace 172.16.1.10:30783');
    term.keys('Enter');
    let s = await term.waitFor(/path of outcome 1: \d+ steps, \d+ more below/, 'the trace with hidden steps counted');
    save('trace-hidden-steps', s);
    const total = Number(/: (\d+) steps/.exec(s)![1]);
    term.keys('G');
    s = await term.waitFor((x) => /path of outcome 1: \d+ steps, \d+ more above/.test(x), 'the last step');
    expect(selected(s)).toMatch(/POSTROUTING/);
    expect(s).not.toMatch(/more below/);
    // k from the last step walks back up through every step to the outcome.
    for (let i = 0; i < total; i++) term.keys('k');
    s = await term.waitFor((x) => /^> +100% ACCEPT/m.test(x), 'back on the outcome');
    expect(rows(s)).toHaveLength(24);
    term.type('q');
    s = await term.waitFor(has('exit=0'), 'the shell again');
    expectShellBack(s, 0);
  });

  it.skipIf(skipNoTmux)(inTmux('point 5: the : line completes with Tab, shows a palette, keeps a history; the CLI says did you mean'), async () => {
    startShell();
    await term.waitFor(has('$'), 'the shell prompt');
    term.type(`node '${CLI}' servcies fixtures/seed-clusterip.save; echo "exit=$?"`);
    term.keys('Enter');
    let s = await term.waitFor(has('exit=2'), 'the misspelt command');
    expect(s).toContain('unknown command servcies (did you mean services?)');
    term.type(`node '${CLI}' which fixtures/seed-clusterip.save; echo "exit=$?"`);
    term.keys('Enter');
    s = await term.waitFor((x) => x.split('exit=2').length === 3, 'which without a QUERY');
    expect(s).toContain('`which` needs a QUERY before the SOURCE');
    term.type(`clear; node '${CLI}' fixtures/seed-nodeport-cluster.save --node-ip 172.16.1.10; echo "exit=$?"`);
    term.keys('Enter');
    await term.waitFor(has('5 service ports'), 'the services screen');
    term.type(':svc kube');
    term.keys('Tab');
    s = await term.waitFor(has('3 completions'), 'the palette');
    save('command-palette', s);
    expect(rows(s)).toHaveLength(24);
    expect(s).toContain(':svc kube-system/kube-dns:_');
    term.keys('Tab');
    s = await term.waitFor(has(':svc kube-system/kube-dns:dns_'), 'the first pick');
    term.keys('Enter');
    s = await term.waitFor(has('Services > kube-system/kube-dns:dns'), 'the service opened');
    term.type(':chain kube-sep-y');
    term.keys('Tab');
    await term.waitFor(has(':chain KUBE-SEP-YVT6EXXEKT4LDXBC _'), 'the chain name completed');
    term.keys('Enter');
    await term.waitFor(has('nat KUBE-SEP-YVT6EXXEKT4LDXBC · 2 rules'), 'the chain');
    term.type(':');
    term.keys('Up');
    await term.waitFor(has(':chain KUBE-SEP-YVT6EXXEKT4LDXBC_'), 'the last command from the history');
    term.keys('Up');
    await term.waitFor(has(':svc kube-system/kube-dns:dns_'), 'the one before');
    term.keys('Escape');
    // An Escape followed at once by ":" would read as Alt-":": wait for the line to close first.
    await term.waitFor((x) => !x.includes(':svc kube-system/kube-dns:dns_'), 'the : line closed');
    term.type(':chain KUBE-SEP-YVT6EXXEKT4LDXBX');
    term.keys('Enter');
    s = await term.waitFor(has('did you mean KUBE-SEP-YVT6EXXEKT4LDXBC?'), 'did you mean');
    term.type('q');
    s = await term.waitFor((x) => x.includes('exit=0'), 'the shell again');
    expectShellBack(s, 0);
  });

  it.skipIf(skipNoTmux)(inTmux('point 1: columns from content (IPv6 whole at 160 columns) and the selected row whole at 80x24'), async () => {
    startShell();
    await term.waitFor(has('$'), 'the shell prompt');
    term.type(`node '${CLI}' fixtures/dual-stack.save --node-ip 172.16.1.10,fd00:10::10; echo "exit=$?"`);
    term.keys('Enter');
    let s = await term.waitFor(has('service ports · sort id'), 'the services screen');
    term.type('/fd00');
    term.keys('Enter');
    await term.waitFor(has('Services > default/shop:http'), 'the IPv6 service');
    term.keys('Escape');
    s = await term.waitFor((x) => x.split('\n')[0] === 'Services', 'back on the list');
    // 80 columns: the IPv6 cluster address is cut in its column, whole in the detail line.
    expect(s).toContain('default/shop:http · NodePort · [fd00:10:96::2805]:80/tcp · node port 30080');
    save('services-detail-80', s);
    term.resize(160, 30);
    s = await term.waitFor((x) => rows(x).length === 30 && /default\/shop:http +NodePort +\[fd00:10:96::2805\]:80\/tcp +30080/.test(x), 'the whole address at 160 columns');
    save('services-160', s);
    term.resize(80, 24);
    await term.waitFor((x) => rows(x).length === 24, 'back to 80x24');
    term.type(':chain KUBE-SERVICES');
    term.keys('Enter');
    await term.waitFor(has('nat KUBE-SERVICES ·'), 'KUBE-SERVICES');
    term.keys('r');
    term.keys('G');
    s = await term.waitFor((x) => /^> +7 .*-A KUBE-SERVICES -m comment/m.test(x), 'the last rule, raw');
    expect(s.replace(/\s+/g, ' ')).toContain('kubernetes service nodeports; NOTE: this must be the last rule in this chain');
    save('chain-raw-detail', s);
    term.type('q');
    s = await term.waitFor(has('exit=0'), 'the shell again');
    expectShellBack(s, 0);
  });

  it.skipIf(skipNoTmux)(inTmux('point 3: a 10-endpoint service fits its endpoint table on one 80x24 screen'), async () => {
    startShell();
    await term.waitFor(has('$'), 'the shell prompt');
    term.type(`node '${CLI}' fixtures/multi-endpoint.save --node-ip 172.16.1.10; echo "exit=$?"`);
    term.keys('Enter');
    await term.waitFor(has('service ports · sort id'), 'the services screen');
    term.type(':svc shop/api:https');
    term.keys('Enter');
    let s = await term.waitFor(has('▸ cluster IP 10.96.40.2:443/tcp'), 'the service screen');
    save('service-10-endpoints', s);
    expect(rows(s)).toHaveLength(24);
    expect(rows(s).filter((l) => /^[> ] 10\.244\.\d+\.\d+:8443 +KUBE-SEP-/.test(l))).toHaveLength(10);
    term.type('q');
    s = await term.waitFor(has('exit=0'), 'the shell again');
    expectShellBack(s, 0);
  });

  it.skipIf(skipNoTmux)(inTmux('point 8: LANG=C draws ASCII only; NO_COLOR keeps the selection in reverse video; a watched file is "unchanged since"'), async () => {
    startShell();
    await term.waitFor(has('$'), 'the shell prompt');
    term.type(`LC_ALL=C LANG=C NO_COLOR=1 node '${CLI}' fixtures/loadbalancer-source-ranges.save; echo "exit=$?"`);
    term.keys('Enter');
    let s = await term.waitFor(has('service ports | sort id'), 'the services screen in ASCII');
    save('services-ascii', s);
    // The watched file has not changed: no growing age.
    expect(rows(s).at(-2)).toMatch(/^watched every 2 s \| unchanged since \d\d:\d\d:\d\d \| /);
    expect(s).toMatch(/^>!default\/broken-lb /m);
    term.type('/broken');
    term.keys('Enter');
    s = await term.waitFor(has('Services > default/broken-lb'), 'the service');
    term.keys('o');
    await new Promise((r) => setTimeout(r, 300));
    term.type('?');
    await term.waitFor(has('Help |'), 'help');
    for (const screen of [s, term.capture()]) expect([...screen].filter((c) => c.codePointAt(0)! >= 0x80)).toEqual([]);
    term.type('?');
    await term.waitFor((x) => x.split('\n')[0] === 'Services > default/broken-lb', 'back');
    // With its escapes: the selected row in reverse video, and no colour anywhere.
    const raw = server.tmux('capture-pane', '-p', '-e', '-t', term.name);
    expect(raw).toMatch(/\x1b\[7m> /);
    // Colour parameters: 30-38, 40-48, 90-97, 100-107 (39 and 49, "default colour", are tmux's own resets).
    const colours = [...raw.matchAll(/\x1b\[([\d;]*)m/g)].flatMap((m) => m[1]!.split(';')).filter((p) => /^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$/.test(p));
    expect(colours).toEqual([]);
    term.type('q');
    s = await term.waitFor(has('exit=0'), 'the shell again');
    expectShellBack(s, 0);
  });

  it.skipIf(skipNoTmux)(inTmux('point 9: keys keep moving the selection while a watched file is rewritten and re-read, parsed in the worker thread'), async () => {
    // 2000 services (~3 MB): each re-read is parsed while keys come in.
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-tmux-refresh-'));
    const file = path.join(dir, 'node.save');
    const spec = randomClusterSpec({ seed: 3, services: 2000, maxEndpointsPerService: 4 });
    /** Round r's dump: the same rules, every counter r × 1000 packets (a service shows endpoints × r × 1000). */
    const writeRound = (r: number) => {
      writeFileSync(`${file}.tmp`, generateKubeProxyRules(spec, { form: 'save', layout: 'current', counters: () => [r * 1000, r * 60_000] }));
      // Renamed over the file, as a tool writing a new dump does.
      renameSync(`${file}.tmp`, file);
    };
    const position = (x: string) => Number(/ · (\d+)\/\d+ /.exec(x.split('\n')[1] ?? '')?.[1] ?? NaN);
    const statusLine = (x: string) => rows(x).at(-2) ?? '';
    /** The selected row's endpoints and packets (EP/LO and PKTS). */
    const selectedCounts = (x: string) => {
      // The selected row starts with ">", then "!" when the service has a problem.
      const m = /\s(\d+)\/[-\d]+\s+(\d+)\s+\S+$/.exec(rows(x).find((l) => l.startsWith('>')) ?? '');
      return m ? { endpoints: Number(m[1]), packets: Number(m[2]) } : null;
    };
    try {
      writeRound(1);
      startShell();
      await term.waitFor(has('$'), 'the shell prompt');
      term.type(`node '${CLI}' '${file}' --interval 1 --node-ip 172.16.1.10; echo "exit=$?"`);
      term.keys('Enter');
      let s = await term.waitFor(/service ports · sort id · 1\/\d+ /, 'the services screen', 60_000);
      expect(statusLine(s)).toMatch(/^watched every 1 s · unchanged since \d\d:\d\d:\d\d · /);
      let at = 1;
      for (let round = 2; round <= 5; round++) {
        await new Promise((r) => setTimeout(r, 1000));
        writeRound(round);
        // Keys while the poller notices the new file, reads and parses it: each one moves the selection.
        for (let k = 0; k < 3; k++) {
          term.keys('j');
          at++;
          s = await term.waitFor((x) => position(x) === at, `row ${at} selected (round ${round})`, 60_000);
          await new Promise((r) => setTimeout(r, 150));
        }
        // The new snapshot is shown: its counters on the selected row (each round's are its own).
        s = await term.waitFor((x) => {
          const c = selectedCounts(x);
          return c !== null && c.packets === c.endpoints * round * 1000;
        }, `round ${round}'s counters`, 60_000);
        expect(statusLine(s)).toMatch(/^watched every 1 s · unchanged since \d\d:\d\d:\d\d · /);
        // The built program has its parse thread: nothing is parsed on the main thread.
        expect(statusLine(s)).not.toContain('main thread');
        expect(position(s)).toBe(at);
      }
      save('refresh-keys', s);
      expect(rows(s)).toHaveLength(24);
      term.type('q');
      s = await term.waitFor(has('exit=0'), 'the shell again');
      expectShellBack(s, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Generous: on a busy machine a round's read and parse of 3 MB may take seconds.
  }, 300_000);
});
