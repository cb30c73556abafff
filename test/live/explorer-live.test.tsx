/**
 * The explorer fed by a real poller running the fake source command (test/live/fake-source.ts):
 * after the second snapshot the services screen shows Δ packets, packets/s and the counted mark
 * on the services that counted, sorts by rate, `p` pauses and resumes, a failing refresh leaves
 * the screen usable with the error on screen, and the chain and service screens show rates.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { loadSnapshot } from '../../src/sources/index.js';
import { createPoller, type Poller } from '../../src/sources/poller.js';
import type { LiveProps } from '../../src/tui/hooks/use-live.js';
import type { ExplorerData } from '../../src/tui/model/explorer-data.js';
import { snapshotData } from '../../src/tui/model/snapshot-data.js';
import { runExplorer } from '../../src/tui/run.js';
import { FakeStdin, FakeStdout, KEY, lines, renderApp, untilFrame, type Rendered } from '../tui/harness.js';
import { XTABLES_LOCK, controlRuns, createFakeSource, type FakeSource } from './fake-source.js';

// The waits here end on events; their limits (and this) only guard against a hang, minutes above
// what a run takes even on a busy machine.
vi.setConfig({ testTimeout: 300_000 });

let app: Rendered | null = null;
let poller: Poller | null = null;
let fake: FakeSource | null = null;

afterEach(async () => {
  app?.unmount();
  app = null;
  await poller?.stop();
  poller = null;
  fake?.cleanup();
  fake = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits in wall-clock time (the poller runs a real command every 0.2 s). */
const until = untilFrame;

/** The row of a service (by id) in a services frame; the selection marker is not part of it. */
function row(frame: string, id: string): string {
  const l = lines(frame).find((x) => x.slice(2).startsWith(id + ' '));
  if (!l) throw new Error(`no row for ${id} in:\n${frame}`);
  return l;
}

/** PKTS, BYTES, ΔPKTS, PKT/S and the mark of a row at 100 columns (frames end their lines without trailing blanks). */
function counters(line: string): { packets: string; bytes: string; delta: string; rate: string; mark: string } {
  const m = /(\S+) +(\S+) +(\S+) +([^\s•]+)(•?)$/.exec(line);
  if (!m) throw new Error(`no counters in ${line}`);
  return { packets: m[1]!, bytes: m[2]!, delta: m[3]!, rate: m[4]!, mark: m[5] || ' ' };
}

const selectedLine = (frame: string) => lines(frame).find((l) => l.startsWith('> ')) ?? '';
const statusLine = (frame: string) => lines(frame).at(-1)!;
/** The cadence part of the status line: 0.2 s, or stretched when a run took longer (a busy machine). */
const CADENCE = String.raw`(?:every 0\.2 s|source took [\d.]+ s; refreshing every [\d.]+ s)`;
const problemLine = (frame: string) => lines(frame).at(-2)!;

async function start(columns = 100): Promise<Rendered> {
  fake = createFakeSource();
  const spec = { kind: 'command', command: fake.command } as const;
  const first = await loadSnapshot(spec);
  poller = createPoller({ spec, intervalSeconds: 0.2, initial: first });
  app = await renderApp({ data: snapshotData(first), color: false, live: { feed: poller } }, { columns, rows: 24 });
  poller.start();
  await until(app, (f) => f.includes('3 service ports · sort id'), 'the services screen');
  return app;
}

describe('the explorer on a live source', () => {
  it('shows Δ packets, packets/s and the counted mark once a second snapshot arrived', async () => {
    const a = await start(100);
    const f0 = a.frame();
    // One snapshot: totals only.
    expect(counters(row(f0, 'kc/alpha'))).toEqual({ packets: '20', bytes: '1200', delta: '-', rate: '-', mark: ' ' });
    expect(f0).not.toContain('•');
    expect(statusLine(f0)).toMatch(new RegExp(String.raw`^${CADENCE} · refreshed \d\d:\d\d:\d\d \(\d+ s ago\) · '/.*/source\.sh' · `));

    const f = await until(a, (x) => x.includes('•'), 'a counted row');
    const alpha = counters(row(f, 'kc/alpha'));
    const beta = counters(row(f, 'kc/beta'));
    const gamma = counters(row(f, 'kc/gamma'));
    // Each run adds 10 packets to each of alpha's two DNAT rules, 20 to beta's; gamma never counts.
    expect(alpha.delta).toBe('+20');
    expect(beta.delta).toBe('+40');
    expect(gamma.delta).toBe('0');
    expect(Number(alpha.rate)).toBeGreaterThan(0);
    expect(Number(beta.rate)).toBeGreaterThan(Number(alpha.rate));
    expect(gamma.rate).toBe('0');
    expect([alpha.mark, beta.mark, gamma.mark]).toEqual(['•', '•', ' ']);
    expect(lines(f).every((l) => l.length <= 100)).toBe(true);
  });

  it('renders the App again with each snapshot shown (as the explorer does), keeping the selection and the rates', async () => {
    fake = createFakeSource();
    const spec = { kind: 'command', command: fake.command } as const;
    const first = await loadSnapshot(spec);
    poller = createPoller({ spec, intervalSeconds: 0.2, initial: first });
    const shown: ExplorerData[] = [];
    const initial = snapshotData(first);
    const live: LiveProps = {
      feed: poller,
      shown: (d) => {
        shown.push(d);
        a.rerender({ data: d, color: false, live });
      },
    };
    const a = (app = await renderApp({ data: initial, color: false, live }, { columns: 100, rows: 24 }));
    await until(a, (f) => f.includes('3 service ports · sort id'), 'the services screen');
    await a.press('j');
    expect(selectedLine(a.frame())).toMatch(/^> kc\/beta /);
    poller.start();
    const f = await until(a, (x) => shown.length >= 3 && x.includes('•'), 'three snapshots shown');
    // Each call brought a new snapshot's data, none the first one again.
    expect(new Set(shown).size).toBe(shown.length);
    expect(shown).not.toContain(initial);
    expect(selectedLine(f)).toMatch(/^> kc\/beta /);
    expect(counters(row(f, 'kc/beta')).delta).toBe('+40');
    expect(Number(counters(row(f, 'kc/beta')).rate)).toBeGreaterThan(0);
  });

  it('at 80 columns keeps packets/s and the mark, and s sorts by rate', async () => {
    const a = await start(80);
    await until(a, (x) => x.includes('•'), 'a counted row');
    const f = a.frame();
    expect(lines(f).every((l) => l.length <= 80)).toBe(true);
    // Short ids leave room for the Δ column (columns are laid out from what they hold).
    expect(lines(f)[2]).toMatch(/ PKTS( ΔPKTS)? PKT\/S$/);
    expect(row(f, 'kc/alpha')).toMatch(/ \d+(\.\d)? *\d+(\.\d)?•$/);
    expect(row(f, 'kc/gamma')).toMatch(/ 0 +0$/);

    await a.press('s');
    expect(a.frame()).toContain('sort packets');
    await a.press('s');
    const sorted = await until(a, (x) => x.includes('sort rate'), 'sort rate');
    const order = lines(sorted).filter((l) => /^[> ] kc\//.test(l)).map((l) => l.slice(2).split(' ')[0]);
    expect(order).toEqual(['kc/beta', 'kc/alpha', 'kc/gamma']);
    // The selection stays on its service (kc/alpha was first by id) across the re-sort and new snapshots.
    expect(selectedLine(sorted).slice(2)).toMatch(/^kc\/alpha /);
    const runs = fake!.runs();
    await until(a, () => fake!.runs() >= runs + 2, 'two more refreshes');
    expect(selectedLine(a.frame()).slice(2)).toMatch(/^kc\/alpha /);
  });

  it('counters that fall show no delta or rate (never negative, no spike) until the next refresh counts again', async () => {
    const a = await start(100);
    await until(a, (x) => x.includes('•'), 'a counted row');
    const before = Number(counters(row(a.frame(), 'kc/alpha')).packets);
    expect(before).toBeGreaterThanOrEqual(40);
    fake!.reset();
    // Every frame from here on is checked, not only the ones waited for.
    const seen: string[] = [];
    const watch = (x: string) => (seen.push(x), true);
    let f = await until(a, (x) => watch(x) && counters(row(x, 'kc/alpha')).packets === '20', 'the fallen counters');
    for (const id of ['kc/alpha', 'kc/beta']) expect(counters(row(f, id))).toMatchObject({ delta: '-', rate: '-', mark: ' ' });
    expect(counters(row(f, 'kc/beta')).packets).toBe('40');
    expect(counters(row(f, 'kc/gamma'))).toMatchObject({ delta: '0', rate: '0', mark: ' ' });
    f = await until(a, (x) => watch(x) && counters(row(x, 'kc/alpha')).packets === '40', 'counting again');
    expect(counters(row(f, 'kc/alpha'))).toMatchObject({ delta: '+20', mark: '•' });
    expect(counters(row(f, 'kc/beta'))).toMatchObject({ delta: '+40', mark: '•' });
    for (const x of seen) {
      for (const id of ['kc/alpha', 'kc/beta', 'kc/gamma']) {
        const c = counters(row(x, id));
        expect(c.delta, x).toMatch(/^(-|0|\+\d+)$/);
        // A rate is '-', or what 40 packets (beta's step) over a refresh interval at least 0.2 s gives at most.
        expect(c.rate === '-' || c.rate === '0' || c.rate === '<0.1' || Number(c.rate) <= 200, x).toBe(true);
      }
    }
  });

  it('p pauses: no new snapshot is shown until p resumes', async () => {
    const a = await start(100);
    await until(a, (x) => x.includes('•'), 'a counted row');
    await a.press('p');
    let f = await until(a, (x) => statusLine(x).startsWith('PAUSED (p resumes) · '), 'the paused status');
    // A run under way may still end (held by the poller, not shown): wait until none is.
    await until(a, () => !poller!.status.running, 'no run under way');
    f = a.frame();
    const shown = counters(row(f, 'kc/alpha')).packets;
    const runs = fake!.runs();
    const polled = poller!.status.runs;
    // A control poller at the same interval runs twice over meanwhile: this one, paused, not once.
    await controlRuns(0.2);
    expect(fake!.runs()).toBe(runs);
    expect(poller!.status.runs).toBe(polled);
    expect(counters(row(a.frame(), 'kc/alpha')).packets).toBe(shown);
    // Keys still work while paused.
    await a.press('j');
    expect(selectedLine(a.frame()).slice(2)).toMatch(/^kc\/beta /);

    await a.press('p');
    f = await until(a, (x) => Number(counters(row(x, 'kc/alpha')).packets) > Number(shown), 'a newer snapshot');
    expect(statusLine(f)).not.toContain('PAUSED');
    expect(selectedLine(f).slice(2)).toMatch(/^kc\/beta /);
  });

  it('a failing refresh keeps the last snapshot, shows the error and its age, and the keys keep working', async () => {
    const a = await start(100);
    await until(a, (x) => x.includes('•'), 'a counted row');
    fake!.setMode('fail');
    let f = await until(a, (x) => statusLine(x).includes('refresh failed'), 'the failed refresh');
    expect(statusLine(f)).toMatch(new RegExp(String.raw`^refresh failed \d+ s ago · ${CADENCE} · last good \d\d:\d\d:\d\d \(\d+ s ago\)`));
    f = await until(a, (x) => problemLine(x).includes(XTABLES_LOCK.slice(0, 40)), 'the error line');
    expect(problemLine(f)).toMatch(/^! exited with status 4: Another app is currently holding the xtables lock/);
    const packets = counters(row(f, 'kc/alpha')).packets;
    expect(Number(packets)).toBeGreaterThan(0);

    // Usable: the selection moves, a filter works, the last good data stays.
    expect(selectedLine(f).slice(2)).toMatch(/^kc\/alpha /);
    await a.press('j');
    expect(selectedLine(a.frame()).slice(2)).toMatch(/^kc\/beta /);
    await a.press('j');
    expect(selectedLine(a.frame()).slice(2)).toMatch(/^kc\/gamma /);
    expect(counters(row(a.frame(), 'kc/alpha')).packets).toBe(packets);

    fake!.setMode('ok');
    f = await until(a, (x) => !statusLine(x).includes('refresh failed') && Number(counters(row(x, 'kc/alpha')).packets) > Number(packets), 'recovery');
    expect(problemLine(f)).not.toContain('refresh failed');
    expect(selectedLine(f).slice(2)).toMatch(/^kc\/gamma /);
  });

  it('the chain screen shows packets/s and the mark per rule, the service tree per step', async () => {
    const a = await start(100);
    await until(a, (x) => x.includes('•'), 'a counted row');
    const alpha = buildKubeModel(poller!.snapshot!.ruleset).services.find((s) => s.id === 'kc/alpha')!;
    const sep = alpha.endpoints[0]!.chain;
    await a.press(':', ...`chain ${sep}`, KEY.enter);
    let f = await until(a, (x) => x.includes(`nat ${sep} · `), 'the KUBE-SEP chain');
    expect(lines(f)[2]).toMatch(/^ +# +PKTS BYTES ΔPKTS PKT\/S  TARGET/);
    const dnat = lines(f).find((l) => l.includes(' DNAT '))!;
    const masq = lines(f).find((l) => l.includes(' KUBE-MARK-MASQ '))!;
    f = await until(a, (x) => /\+10 +\d+(\.\d)?• DNAT /.test(lines(x).find((l) => l.includes(' DNAT ')) ?? ''), 'the DNAT rule counting');
    expect(lines(f).find((l) => l.includes(' KUBE-MARK-MASQ '))).toMatch(/ 0 +0 +0 +0  KUBE-MARK-MASQ /);
    // The rows as first shown: the masquerade rule never counts; the DNAT rule counts 10 packets of
    // 60 bytes a run, to this endpoint.
    const ep = alpha.endpoints[0]!;
    expect(ep.address).not.toBeNull();
    const from = ep.address!.replace(/:\d+$/, '').replace(/\./g, '\\.');
    expect(masq).toMatch(new RegExp(String.raw`^> +1 +0 +0 +0 +0  KUBE-MARK-MASQ +from ${from} · kc/alpha$`));
    const m = new RegExp(String.raw`^ +2 +(\d+) +(\d+) +(?:-|\+10) +(?:-|\d+(?:\.\d)?•) DNAT +tcp -> ${ep.address!.replace(/\./g, '\\.')} · kc/alpha$`).exec(dnat ?? '');
    expect(m, dnat).not.toBeNull();
    expect(Number(m![1]) % 10).toBe(0);
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![2])).toBe(60 * Number(m![1]));

    await a.press(KEY.esc);
    await until(a, (x) => x.includes('3 service ports'), 'back on services');
    await a.press(KEY.enter);
    f = await until(a, (x) => x.includes('Services > kc/alpha') && x.includes('PKT/S'), 'the service tree');
    expect(lines(f)[2]).toMatch(/pkts .* bytes [\d.]+ pkt\/s/);
    // The DNAT steps of the tree count and are marked; the entry rule (KUBE-SERVICES) does not count here.
    await a.press('o');
    // Both endpoints of the table count and are marked; in the open tree the first DNAT step too
    // (the second is below the 80x24 window).
    f = await until(a, (x) => lines(x).filter((l) => /^[> ] 10\.64\.\d+\.\d+:8080 .*•$/.test(l)).length === 2, 'both endpoints marked');
    f = await until(a, (x) => lines(x).filter((l) => / DNAT .*•$/.test(l)).length === 1, 'the DNAT step marked');
    expect(lines(f).filter((l) => /KUBE-SEP-\w+ #\d+ -> DNAT/.test(l))).toHaveLength(1);
  });

  it('p on a dump read once says there is nothing to pause', async () => {
    fake = createFakeSource();
    const first = await loadSnapshot({ kind: 'command', command: fake.command });
    app = await renderApp({ data: snapshotData(first), color: false }, { columns: 100, rows: 24 });
    await app.press('p');
    const f = await until(app, (x) => x.includes('nothing to pause'), 'the message');
    expect(statusLine(f)).not.toContain('PAUSED');
  });
});

describe('runExplorer with --source-cmd', () => {
  it('starts the poller with the interval, refreshes the screen, and stops it on quit', async () => {
    fake = createFakeSource();
    const spec = { kind: 'command', command: fake.command } as const;
    const stdout = new FakeStdout(100, 24);
    const stdin = new FakeStdin();
    const done = runExplorer({
      snapshot: await loadSnapshot(spec),
      source: spec,
      intervalSeconds: 0.2,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
      env: { NO_COLOR: '1', LANG: 'C.UTF-8' },
    });
    // A third run means two refreshes were shown. (Under CI=true this process loaded Ink in its CI
    // mode, which draws only the last frame, at exit: the frames are read after quitting.)
    const end = Date.now() + 120_000;
    while (fake.runs() < 3 && Date.now() < end) await sleep(20);
    expect(fake.runs()).toBeGreaterThanOrEqual(3);
    stdin.write('q');
    expect(await done).toBe(0);
    const written = stdout.frames.join('');
    expect(written).toMatch(/kc\/beta .*•/);
    expect(written).toMatch(new RegExp(String.raw`${CADENCE} · refreshed `));
    // Quitting stopped the poller: a control poller at the same interval runs twice over, it not once.
    const runs = fake.runs();
    await controlRuns(0.2);
    expect(fake.runs()).toBe(runs);
  });
});
