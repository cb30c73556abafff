/**
 * Issue 15, the explorer: live connections beside the rules at a pinned 80x24, in iptables and in
 * nftables mode. CONN on the services list and in the service screen's endpoint table, each
 * endpoint's states, masquerade and change since the conntrack read before, conntrack's part of
 * the status line (and a failed read keeping the last good table), sorting by connections,
 * LANG=C's ASCII, and the id never pushed out at 80 columns.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturesDir } from '../helpers/paths.js';
import { attributeConnections, parseConntrack } from '../../src/core/index.js';
import { serviceColumns } from '../../src/tui/screens/ServicesScreen.js';
import { KEY, fixtureData, lines, renderApp, type Rendered } from './harness.js';
import { API, EP1, EP2, FIRST, NODE, POD, SECOND, conntrackText, fakeConntrackFeed, flows, type FakeConntrackFeed } from './conntrack-text.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

const row = (frame: string, start: string) => lines(frame).find((l) => l.slice(2).startsWith(start)) ?? '';
const statusLine = (frame: string) => lines(frame).at(-1)!;
/** The detail pane's text without its line breaks or spaces (it wraps at spaces, or anywhere when that needs too many lines). */
const squashed = (text: string) => text.replace(/\s+/g, '');
const detailHas = (frame: string, text: string) => squashed(lines(frame).slice(-6).join('')).includes(squashed(text));

async function open(fixture: string, feed: FakeConntrackFeed, options: { ascii?: boolean; columns?: number } = {}): Promise<Rendered> {
  app = await renderApp({ data: fixtureData(fixture, [NODE]), color: false, ascii: options.ascii ?? false, conntrack: { feed } }, { columns: options.columns ?? 80, rows: 24 });
  await app.waitFor((f) => f.includes('service ports · sort') || f.includes('service ports | sort'), 'the services screen');
  return app;
}

async function openApi(fixture: string, feed: FakeConntrackFeed, ascii = false): Promise<Rendered> {
  const a = await open(fixture, feed, { ascii });
  await a.press(':', ...'svc shop/api:https', KEY.enter);
  await a.waitFor((f) => f.includes('Services > shop/api:https'), 'shop/api:https');
  return a;
}

/** The CONN cell of a services row: the column after EP/LO. */
function servicesConn(frame: string, id: string): string {
  const header = lines(frame).find((l) => l.includes('EP/LO'))!;
  const at = header.indexOf('CONN');
  expect(at).toBeGreaterThan(0);
  return row(frame, id).slice(at, at + 4).trim();
}

describe.each([
  ['iptables', 'multi-endpoint.save'],
  ['nftables', 'nftables/multi-endpoint.nft'],
])('connections in the explorer (%s mode, 80x24)', (mode, fixture) => {
  it('CONN is "-" until the first table, then each service port\'s connections; the status line counts entries and unmatched', async () => {
    const feed = fakeConntrackFeed();
    const a = await open(fixture, feed);
    expect(servicesConn(a.frame(), 'shop/api:https')).toBe('-');
    expect(statusLine(a.frame())).toContain('conntrack: reading');
    feed.push(FIRST);
    const f = await a.waitFor((x) => servicesConn(x, 'shop/api:https') === '5', 'CONN 5 on shop/api:https');
    expect(servicesConn(f, 'default/web')).toBe('0');
    expect(statusLine(f)).toContain('conntrack: 6 entries, 1 unmatched');
    if (mode === 'nftables') expect(statusLine(f)).toContain('nftables');
    // The source and its age come later on the line: whole at 160 columns.
    a.stdout.resize(160, 24);
    expect(statusLine(await a.waitFor((x) => statusLine(x).includes('s ago'), 'the wide status line'))).toMatch(/ · conntrack -L \d+ s ago/);
    a.stdout.resize(80, 24);
    await a.waitFor((x) => lines(x).every((l) => l.length <= 80), 'back at 80 columns');
  });

  it('the endpoint table has CONN per endpoint; the detail gives states and masquerade', async () => {
    const feed = fakeConntrackFeed();
    feed.push(FIRST);
    const a = await openApi(fixture, feed);
    const f = await a.waitFor((x) => /CONN/.test(x) && / 4 +/.test(row(x, EP1)), 'EP1 with 4 connections');
    expect(f).toMatch(/ENDPOINT +(KUBE-SEP|CHAIN) +LOCAL +SHARE +CONN +ΔCONN/);
    // nftables mode has no counters: the packet columns give their room to the rows' text.
    if (mode === 'nftables') expect(f).toMatch(/ΔCONN +PROB$/m);
    else expect(f).toMatch(/ΔCONN +PROB +PKTS$/m);
    expect(row(f, EP1)).toMatch(/ 4 +- /);
    expect(row(f, EP2)).toMatch(/ 1 +- /);
    expect(f).toContain('5 connections');
    expect(detailHas(f, '4 connections: ESTABLISHED 3 · TIME_WAIT 1 · 1 masqueraded')).toBe(true);
  });

  it('a second read shows the change since the first: ΔCONN and the states\' deltas in the detail', async () => {
    const feed = fakeConntrackFeed();
    feed.push(FIRST);
    const a = await openApi(fixture, feed);
    await a.waitFor((x) => / 4 +- /.test(row(x, EP1)), 'the first read');
    feed.push(SECOND);
    const f = await a.waitFor((x) => / 5 +\+1 /.test(row(x, EP1)), 'EP1: 5 connections, +1');
    expect(row(f, EP2)).toMatch(/ 1 +0 /);
    expect(detailHas(f, '5 connections: ESTABLISHED 5 · +1 since the last conntrack read (ESTABLISHED +2 · TIME_WAIT -1)')).toBe(true);
    expect(detailHas(f, 'masqueraded')).toBe(false);
  });
});

describe.each([
  ['iptables', 'seed-nodeport-cluster.save'],
  ['nftables', 'nftables/seed-nodeport-cluster.nft'],
])('a table the kernel printed (fixtures/conntrack), %s mode', (_mode, fixture) => {
  it('default/nginx has the 4 connections conntrack listed for it, 2 of them masqueraded', async () => {
    const feed = fakeConntrackFeed();
    feed.push(readFileSync(path.join(fixturesDir, 'conntrack/seed-nodeport-cluster.plain.txt'), 'utf8'));
    const a = await open(fixture, feed);
    let f = await a.waitFor((x) => servicesConn(x, 'default/nginx') === '4', 'CONN 4 on default/nginx');
    expect(lines(f)[1]).toContain('4 unmatched conntrack entries');
    await a.press(':', ...'svc default/nginx', KEY.enter);
    f = await a.waitFor((x) => x.includes('Services > default/nginx') && / 4 +- /.test(row(x, '10.64.2.4:80')), 'the endpoint with 4 connections');
    expect(detailHas(f, '4 connections: ESTABLISHED 3 · TIME_WAIT 1 · 2 masqueraded')).toBe(true);
  });
});

describe('connections in the explorer', () => {
  it('the numbers on screen are the core\'s attribution of the table', async () => {
    const data = fixtureData('multi-endpoint.save', [NODE]);
    const report = attributeConnections(data.model, parseConntrack(FIRST, 'first'), { nodeAddresses: [NODE] });
    const api = report.services.find((s) => s.id === 'shop/api:https')!;
    expect(api.connections).toBe(5);
    expect(report.unmatched).toBe(1);
    expect(api.endpoints.find((e) => e.address === EP1)).toMatchObject({ connections: 4, states: { ESTABLISHED: 3, TIME_WAIT: 1 }, masqueraded: 1 });
  });

  it('bad lines of a table are left out, and the status line says how many', async () => {
    const feed = fakeConntrackFeed();
    feed.push(FIRST.replace('conntrack v1.4.7', 'tcp 6 bogus line\nconntrack v1.4.7'));
    const a = await open('multi-endpoint.save', feed, { columns: 160 });
    const f = await a.waitFor((x) => x.includes('conntrack: 6 entries'), 'the table');
    expect(statusLine(f)).toContain('conntrack: 6 entries, 1 unmatched, 1 bad line left out');
  });

  it('a failed read keeps the last good table and says so', async () => {
    const feed = fakeConntrackFeed();
    feed.push(FIRST);
    const a = await open('multi-endpoint.save', feed);
    await a.waitFor((x) => servicesConn(x, 'shop/api:https') === '5', 'the first table');
    feed.fail('exited with status 1: conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not permitted');
    const f = await a.waitFor((x) => x.includes('conntrack failed'), 'the failure');
    expect(servicesConn(f, 'shop/api:https')).toBe('5');
    expect(statusLine(f)).toMatch(/conntrack failed \d+ s ago/);
    expect(statusLine(f)).toContain('conntrack: 6 entries, 1 unma');
    a.stdout.resize(160, 24);
    expect(statusLine(await a.waitFor((x) => statusLine(x).length > 80, 'the wide status line'))).toMatch(/conntrack: 6 entries, 1 unmatched \(last good \d\d:\d\d:\d\d\)/);
    expect(lines(f).at(-2)).toContain('! conntrack: exited with status 1');
  });

  it('s sorts by connections (most first) when a conntrack source is given; the selection stays on its row as the table changes', async () => {
    const feed = fakeConntrackFeed();
    feed.push(FIRST);
    const a = await open('multi-endpoint.save', feed);
    await a.waitFor((x) => servicesConn(x, 'shop/api:https') === '5', 'the first table');
    const selectedId = (f: string) => lines(f).find((l) => l.startsWith('> '))!.slice(2).split(' ')[0];
    const firstRow = (f: string) => lines(f)[lines(f).findIndex((l) => l.includes('EP/LO')) + 1]!.slice(2).split(' ')[0];
    await a.press('j', 'j');
    const chosen = selectedId(a.frame());
    for (let i = 0; i < 4; i++) await a.press('s');
    let f = await a.waitFor((x) => x.includes('sort conns'), 'sort conns');
    expect(firstRow(f)).toBe('shop/api:https');
    expect(selectedId(f)).toBe(chosen);
    // default/web gets 9 connections, shop/api none: the order follows the new table, the selection its row.
    feed.push(conntrackText(flows(9, { state: 'ESTABLISHED', client: POD, frontend: '10.96.12.34:80', endpoint: '10.244.2.7:8080' })));
    f = await a.waitFor((x) => servicesConn(x, 'default/web') === '9', 'the second table');
    expect(firstRow(f)).toBe('default/web');
    expect(selectedId(f)).toBe(chosen);
    // Without a conntrack source the cycle has no conns: the fifth s is back at id.
    app!.unmount();
    app = await renderApp({ data: fixtureData('multi-endpoint.save', [NODE]), color: false });
    await app.press('s', 's', 's', 's');
    expect(app.frame()).toContain('sort id');
  });

  it(':problems lists doctor\'s skewed-connections for the table on screen; Enter opens the service', async () => {
    const feed = fakeConntrackFeed();
    const a = await open('multi-endpoint.save', feed);
    await a.press(':', ...'problems', KEY.enter);
    let f = await a.waitFor((x) => x.includes('Problems ·'), 'the problems screen');
    expect(f).not.toContain('skewed-connections');
    // 25 connections, all on one of ten endpoints at 10% each.
    feed.push(conntrackText(flows(25, { state: 'ESTABLISHED', client: POD, frontend: API, endpoint: EP1 })));
    f = await a.waitFor((x) => x.includes('skewed-connections'), 'the finding');
    expect(row(f, 'info  skewed-connections')).toContain('shop/api:https');
    expect(f).toMatch(/Problems · \d+ errors?, \d+ warnings?, [1-9]\d* info/);
    // Only the finding's row is selected by moving to it: find it and open it.
    const at = lines(f).findIndex((l) => l.includes('skewed-connections'));
    const first = lines(f).findIndex((l) => l.includes('SEV'));
    await a.press(...Array.from({ length: at - first - 1 }, () => 'j'), KEY.enter);
    f = await a.waitFor((x) => x.includes('Problems > shop/api:https'), 'the service');
    expect(row(f, EP1)).toMatch(/ 25 /);
  });

  it('/problems keeps a service once the table on screen makes it skewed-connections', async () => {
    const feed = fakeConntrackFeed();
    const a = await open('multi-endpoint.save', feed);
    await a.press('/', ...'problems', KEY.enter);
    let f = a.frame();
    expect(f).not.toContain('shop/api:https');
    feed.push(conntrackText(flows(25, { state: 'ESTABLISHED', client: POD, frontend: API, endpoint: EP1 })));
    f = await a.waitFor((x) => x.includes('shop/api:https'), 'the skewed service kept by /problems');
    expect(lines(f).filter((l) => l.includes('shop/api:https')).length).toBeGreaterThan(0);
  });

  it('under LANG=C the connection columns and details are ASCII', async () => {
    const feed = fakeConntrackFeed();
    feed.push(FIRST);
    const a = await openApi('multi-endpoint.save', feed, true);
    feed.push(SECOND);
    const f = await a.waitFor((x) => / 5 +\+1 /.test(row(x, EP1)), 'the second read');
    expect(f).toMatch(/CONN +dCONN/);
    expect(detailHas(f, 'ESTABLISHED +2 | TIME_WAIT -1')).toBe(true);
    for (const ch of f) expect(ch.charCodeAt(0)).toBeLessThan(0x80);
  });

  it('CONN never pushes the id out at 80 columns: it takes PKTS\'s place (or the packet columns\' without counters); no CONN without conntrack', () => {
    const content = { id: 40, cluster: 21 };
    const base = serviceColumns(80, content);
    expect(base).toMatchObject({ conns: false, packets: true, rate: true });
    expect(serviceColumns(80, content, true, true)).toMatchObject({ id: base.id, conns: true, packets: false, rate: true });
    const nft = serviceColumns(80, content, true, false);
    expect(nft).toMatchObject({ conns: true, packets: false, rate: false, delta: false, bytes: false });
    expect(nft.id).toBeGreaterThan(base.id);
    expect(serviceColumns(200, content, false).conns).toBe(false);
    expect(serviceColumns(200, content, true, true)).toMatchObject({ conns: true, packets: true, rate: true, policy: true, delta: true, bytes: true });
  });
});
