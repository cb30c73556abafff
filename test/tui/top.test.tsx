/** Issue 14, point 6: `:top` (the busiest rules across all chains), sorting a chain, and the refresh-now key. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { buildExplorerData } from '../../src/tui/model/explorer-data.js';
import { topView } from '../../src/tui/model/views.js';
import type { LiveFeed } from '../../src/tui/hooks/use-live.js';
import type { PollerStatus } from '../../src/sources/poller.js';
import { fixturesDir } from '../helpers/paths.js';
import { KEY, fixtureData, lines, renderApp, type Rendered } from './harness.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

const selected = (f: string) => lines(f).find((l) => l.startsWith('> ')) ?? '';

/** The multi-endpoint fixture twice, a second later, with one endpoint's DNAT rule 50 packets on. */
function twoSnapshots() {
  const text = readFileSync(path.join(fixturesDir, 'multi-endpoint.save'), 'utf8');
  const first = buildExplorerData({ ruleset: parseIptablesSave(text), source: 'm.save', takenAt: new Date(1_000_000), nodeAddresses: [] });
  const bumped = text.replace(/\[1000:60000\] (-A KUBE-SEP-ZSP6OCHIGFY7MNDD .*DNAT)/, '[1050:63000] $1');
  expect(bumped).not.toBe(text);
  const second = buildExplorerData({ ruleset: parseIptablesSave(bumped), source: 'm.save', takenAt: new Date(1_001_000), nodeAddresses: [], previous: first.counterSnapshot });
  return { first, second };
}

describe(':top and sorting (issue 14 point 6)', () => {
  it('lists every rule that counted, by packets/s then packets', () => {
    const { first, second } = twoSnapshots();
    // One snapshot: no rates, by packets.
    const byPackets = topView(first, '');
    expect(byPackets.length).toBeGreaterThan(10);
    for (let i = 1; i < byPackets.length; i++) expect(byPackets[i]!.packets).toBeLessThanOrEqual(byPackets[i - 1]!.packets);
    expect(byPackets.every((r) => r.packets > 0)).toBe(true);
    // Two: the only rules that moved come first, by their rate.
    const byRate = topView(second, '');
    expect(byRate[0]!.rate).toBeGreaterThan(0);
    expect(byRate.some((r) => r.ref.chain === 'KUBE-SEP-ZSP6OCHIGFY7MNDD' && r.rate === 50)).toBe(true);
    const firstZero = byRate.findIndex((r) => r.rate === 0);
    expect(byRate.slice(0, firstZero).every((r) => (r.rate ?? 0) > 0)).toBe(true);
  });

  it(':top at 80x24: Enter opens the rule in its chain; s sorts a chain by packets and by rate', async () => {
    app = await renderApp({ data: fixtureData('multi-endpoint.save', ['172.16.1.10']), color: false });
    await app.waitFor((f) => f.includes('service ports'), 'the services screen');
    await app.press(':', ...'top', KEY.enter);
    let f = await app.waitFor((x) => x.includes('Top · '), 'the top list');
    expect(lines(f)).toHaveLength(23);
    const top = selected(f);
    const m = /(\w+) (KUBE-[\w-]+|[A-Z]+) #(\d+)/.exec(top)!;
    await app.press(KEY.enter);
    f = await app.waitFor((x) => x.includes(`Top > `), 'the chain');
    expect(selected(f)).toMatch(new RegExp(`^> +${m[3]} `));
    await app.press(':', ...'chain KUBE-SERVICES', KEY.enter);
    f = await app.waitFor((x) => x.includes('nat KUBE-SERVICES ·'), 'KUBE-SERVICES');
    await app.press('s');
    f = app.frame();
    expect(f).toContain('sort packets (s)');
    const pkts = lines(f).filter((l) => /^[> ] +\d+ +\d/.test(l)).map((l) => Number(/^[> ] +\d+ +(\d+)/.exec(l)![1]));
    expect(pkts.length).toBeGreaterThan(3);
    for (let i = 1; i < pkts.length; i++) expect(pkts[i]!).toBeLessThanOrEqual(pkts[i - 1]!);
    await app.press('s');
    expect(app.frame()).toContain('sort rate (s)');
    await app.press('s');
    expect(app.frame()).not.toMatch(/sort (packets|rate) \(s\)/);
  });

  it('R asks the live source for a read now, and says when there is none', async () => {
    let asked = 0;
    const status = { mode: 'interval', source: 'cmd', intervalSeconds: 60, effectiveIntervalSeconds: 60, stretched: false, lastRunSeconds: 0.1, running: false, runningSince: null, paused: false, stopped: false, lastGoodAt: Date.now(), error: null, runs: 1, refreshes: 1, failures: 0, checks: 0 } as PollerStatus;
    const feed: LiveFeed = { status, subscribe: () => () => undefined, pause: () => undefined, resume: () => undefined, refreshNow: () => (asked++, true) };
    app = await renderApp({ data: fixtureData('seed-clusterip.save'), color: false, live: { feed } });
    await app.waitFor((f) => f.includes('service ports'), 'the services screen');
    await app.press('R');
    await app.waitFor((f) => f.includes('refreshing now'), 'the message');
    expect(asked).toBe(1);
    app.unmount();
    app = await renderApp({ data: fixtureData('seed-clusterip.save'), color: false });
    await app.waitFor((f) => f.includes('service ports'), 'the services screen');
    await app.press('R');
    await app.waitFor((f) => f.includes('nothing to refresh: this dump was read once'), 'the message');
  });
});
