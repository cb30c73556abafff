/**
 * The explorer fed by a real conntrack poller running a fake --conntrack-cmd (test/live/
 * fake-source.ts) whose table changes between reads, in iptables and nftables mode at 80x24: the
 * endpoint table's CONN and ΔCONN follow each read, a read that fails keeps the last good table
 * on screen with the failure said, and the next good read clears it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConntrackPoller, loadConntrack, type ConntrackSnapshot } from '../../src/sources/conntrack.js';
import type { Poller } from '../../src/sources/poller.js';
import { KEY, fixtureData, lines, renderApp, untilFrame, type Rendered } from '../tui/harness.js';
import { EP1, EP2, FIRST, NODE, SECOND } from '../tui/conntrack-text.js';
import { createFakeConntrack, type FakeConntrack } from './fake-source.js';
import { rmSync } from 'node:fs';

// The waits end on events; their limits only guard against a hang.
vi.setConfig({ testTimeout: 300_000 });

let app: Rendered | null = null;
let poller: Poller<ConntrackSnapshot> | null = null;
let fake: FakeConntrack | null = null;

afterEach(async () => {
  app?.unmount();
  app = null;
  await poller?.stop();
  poller = null;
  fake?.cleanup();
  fake = null;
});

const row = (frame: string, start: string) => lines(frame).find((l) => l.slice(2).startsWith(start)) ?? '';

describe.each([
  ['iptables', 'multi-endpoint.save'],
  ['nftables', 'nftables/multi-endpoint.nft'],
])('live connections from --conntrack-cmd (%s mode)', (_mode, fixture) => {
  it('CONN and ΔCONN follow each read; a failed read keeps the last good table and says so', async () => {
    fake = createFakeConntrack(FIRST);
    const spec = { kind: 'command', command: fake.command } as const;
    const initial = await loadConntrack(spec);
    poller = createConntrackPoller({ spec, intervalSeconds: 0.2, initial });
    app = await renderApp({ data: fixtureData(fixture, [NODE]), color: false, conntrack: { feed: poller } }, { columns: 80, rows: 24 });
    poller.start();
    await app.press(':', ...'svc shop/api:https', KEY.enter);
    const a = app;
    // The first table: EP1 4 connections (no delta yet, or 0 once it was read again).
    await untilFrame(a, (f) => / 4 +(-|0) /.test(row(f, EP1)), 'EP1 with 4 connections');
    fake.write(SECOND);
    let f = await untilFrame(a, (x) => / 5 +\+1 /.test(row(x, EP1)), 'EP1: 5 connections, +1 since the read before');
    expect(row(f, EP2)).toMatch(/ 1 +0 /);
    // The same table read again: the change since the read before is 0.
    f = await untilFrame(a, (x) => / 5 +0 /.test(row(x, EP1)), 'EP1: 5 connections, 0 since the read before');
    // The command fails (its file is gone): the last good table stays, the failure is said.
    rmSync(fake.file);
    f = await untilFrame(a, (x) => x.includes('conntrack failed'), 'the failed read');
    expect(row(f, EP1)).toMatch(/ 5 +0 /);
    expect(lines(f).at(-2)).toContain('! conntrack:');
    fake.write(FIRST);
    f = await untilFrame(a, (x) => !x.includes('conntrack failed') && / 4 +-1 /.test(row(x, EP1)), 'the next good read');
    expect(lines(f).at(-1)).toContain('conntrack: 6 entries, 1 unmatched');
  });
});
