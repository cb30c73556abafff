/**
 * The explorer on an nftables ruleset whose endpoint `dnat` rules carry `counter` statements, shown
 * after a previous snapshot as a live source shows it: the services list has packets, Δ packets,
 * packets/s and the counted mark, sorts by rate; the chain screen has them per rule; the service
 * tree per step; a new snapshot through the live hook keeps every nftables service and its rates.
 * Without counter statements the same columns stay empty ("-"), never 0.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDump } from '../../src/core/index.js';
import type { PollerListener, PollerStatus } from '../../src/sources/poller.js';
import type { Snapshot } from '../../src/sources/types.js';
import type { LiveFeed } from '../../src/tui/hooks/use-live.js';
import { snapshotData } from '../../src/tui/model/snapshot-data.js';
import { fixturesDir } from '../helpers/paths.js';
import { KEY, lines, renderApp, type Rendered } from '../tui/harness.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

const FIXTURE = readFileSync(path.join(fixturesDir, 'nftables/multi-endpoint.nft'), 'utf8');
const WEB = ['10.244.1.5:8080', '10.244.2.7:8080', '10.244.3.9:8080'];
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** multi-endpoint.nft with `counter packets N bytes 60N` before every `dnat to`: web's endpoints as given, the others 0. */
function counted(web: readonly number[]): string {
  return FIXTURE.replace(/dnat to (\S+)/g, (m, to: string) => {
    const i = WEB.indexOf(to);
    const n = i < 0 ? 0 : web[i]!;
    return `counter packets ${n} bytes ${n * 60} ${m}`;
  });
}

function snapshot(text: string, takenAtMs: number): Snapshot {
  const dump = parseDump(text);
  return { text, ruleset: dump.ruleset, nft: dump.nft, origin: 'nft list ruleset', takenAt: new Date(takenAtMs), nodeAddresses: [] };
}

/** The row of a service (by id) in a services frame. */
function row(frame: string, id: string): string {
  const l = lines(frame).find((x) => x.slice(2).startsWith(id + ' '));
  if (!l) throw new Error(`no row for ${id} in:\n${frame}`);
  return l;
}

/** PKTS, BYTES, ΔPKTS, PKT/S and the mark at the end of a services row at 120 columns. */
function counters(line: string): { packets: string; bytes: string; delta: string; rate: string; mark: string } {
  const m = /(\S+) +(\S+) +(\S+) +([^\s•]+)(•?)$/.exec(line);
  if (!m) throw new Error(`no counters in ${line}`);
  return { packets: m[1]!, bytes: m[2]!, delta: m[3]!, rate: m[4]!, mark: m[5] || ' ' };
}

/** Two snapshots 2 s apart: web's endpoints count 5, 0 and 11 more; every other endpoint 0. */
function twoSnapshots() {
  const first = snapshotData(snapshot(counted([10, 20, 30]), T0));
  const second = snapshotData(snapshot(counted([15, 20, 41]), T0 + 2_000), undefined, first);
  return { first, second };
}

/** A live source that hands over the snapshots the test gives it. */
function fakeFeed(): LiveFeed & { emit(s: Snapshot): void } {
  const listeners = new Set<PollerListener>();
  let status: PollerStatus = {
    mode: 'interval', source: 'nft list ruleset', intervalSeconds: 2, effectiveIntervalSeconds: 2, stretched: false, lastRunSeconds: 0.1,
    running: false, runningSince: null, paused: false, stopped: false, lastGoodAt: T0, error: null, runs: 1, refreshes: 1, failures: 0, checks: 0,
    parsedIn: 'main', mainThreadReason: null,
  };
  return {
    get status() {
      return status;
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    pause() {},
    resume() {},
    emit(s) {
      status = { ...status, lastGoodAt: s.takenAt.getTime(), runs: status.runs + 1, refreshes: status.refreshes + 1 };
      for (const l of listeners) l({ type: 'snapshot', snapshot: s, status });
    },
  };
}

describe('explorer: nftables counters against the previous snapshot (120x24)', () => {
  it('services list: packets, Δ packets, packets/s and the mark; s sorts by rate', async () => {
    const { second } = twoSnapshots();
    const a = (app = await renderApp({ data: second, color: false }, { columns: 120, rows: 24 }));
    const f = await a.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    expect(lines(f)[2]).toMatch(/ PKTS +BYTES +ΔPKTS +PKT\/S$/);
    // 15 + 20 + 41 packets, 16 more in 2 s.
    expect(counters(row(f, 'default/web'))).toEqual({ packets: '76', bytes: '4560', delta: '+16', rate: '8', mark: '•' });
    expect(counters(row(f, 'shop/api:https'))).toEqual({ packets: '0', bytes: '0', delta: '0', rate: '0', mark: ' ' });
    expect(lines(f).at(-1)).not.toContain('no counters');
    for (const l of lines(f)) expect(l.length).toBeLessThanOrEqual(120);

    await a.press('s', 's');
    const sorted = await a.waitFor((x) => x.includes('sort rate'), 'sort rate');
    const ids = lines(sorted).filter((l) => /^[> ] \S+\/\S+ /.test(l)).map((l) => l.slice(2).split(' ')[0]);
    expect(ids[0]).toBe('default/web');
  });

  it('chain screen: the endpoint chain counts per rule; service tree: the endpoint steps are marked', async () => {
    const { second } = twoSnapshots();
    const web = second.findService('ipv4', 'default/web')!;
    const chain = web.endpoints[2]!.chain;
    const a = (app = await renderApp({ data: second, color: false }, { columns: 120, rows: 40 }));
    await a.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    await a.press(':', ...`chain ${chain}`, KEY.enter);
    let f = await a.waitFor((x) => x.includes(`ip kube-proxy ${chain} · `), 'the endpoint chain');
    expect(lines(f)[2]).toMatch(/^ +# +PKTS BYTES ΔPKTS PKT\/S  TARGET/);
    const dnat = lines(f).find((l) => l.includes('dnat to 10.244.3.9:8080'))!;
    // 41 packets, 11 more: 5.5 a second. The rule's text shows `counter` without its numbers (they are the columns).
    expect(dnat).toMatch(/ 2 +41 +2460 +\+11 +5\.5•/);
    expect(dnat).toContain('meta l4proto tcp counter dnat to 10.244.3.9:8080');
    // The hairpin rule has no counter statement: nothing, not 0.
    expect(lines(f).find((l) => l.includes('mark-for-masquerade'))).toMatch(/ 1 +- +- +- +-  /);

    await a.press(KEY.esc);
    await a.waitFor((x) => x.includes('service ports · sort'), 'back on services');
    await a.press('/', ...'default/web', KEY.enter);
    f = await a.waitFor((x) => x.includes('Services > default/web') && x.includes('PKT/S'), 'the service tree');
    expect(lines(f)[2]).toMatch(/76 pkts 4560 bytes 8 pkt\/s/);
    await a.press('o'); // open every entry point's tree
    // Two of the three endpoints counted since the previous snapshot: their dnat steps are marked.
    f = await a.waitFor((x) => lines(x).filter((l) => /-> DNAT .*•$/.test(l)).length === 2, 'two dnat steps marked');
    expect(lines(f).find((l) => l.includes('__10.244.3.9/8080 #2 -> DNAT'))).toMatch(/ 41 +5\.5•$/);
    expect(lines(f).find((l) => l.includes('__10.244.2.7/8080 #2 -> DNAT'))).toMatch(/ 20 +0$/);
  });

  it('a live refresh keeps every nftables service and brings its rates', async () => {
    const feed = fakeFeed();
    const first = snapshotData(snapshot(counted([10, 20, 30]), T0));
    const a = (app = await renderApp({ data: first, color: false, live: { feed } }, { columns: 120, rows: 24 }));
    let f = await a.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    const services = first.serviceRows.length;
    expect(f).toContain(`${services} service ports`);
    expect(counters(row(f, 'default/web'))).toEqual({ packets: '60', bytes: '3600', delta: '-', rate: '-', mark: ' ' });
    feed.emit(snapshot(counted([15, 20, 41]), T0 + 2_000));
    f = await a.waitFor((x) => x.includes('•'), 'the refreshed snapshot');
    expect(f).toContain(`${services} service ports`);
    expect(counters(row(f, 'default/web'))).toEqual({ packets: '76', bytes: '4560', delta: '+16', rate: '8', mark: '•' });
  });

  it('without counter statements (kube-proxy writes none): "-" in every packet column, never 0, and the status line says why', async () => {
    const first = snapshotData(snapshot(FIXTURE, T0));
    const second = snapshotData(snapshot(FIXTURE, T0 + 2_000), undefined, first);
    const a = (app = await renderApp({ data: second, color: false }, { columns: 120, rows: 24 }));
    const f = await a.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    expect(counters(row(f, 'default/web'))).toEqual({ packets: '-', bytes: '-', delta: '-', rate: '-', mark: ' ' });
    expect(lines(f).at(-1)).toContain('no counters (kube-proxy nftables writes none)');
  });
});
