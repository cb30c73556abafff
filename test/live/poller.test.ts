/**
 * The live poller against a fake source command (test/live/fake-source.ts) and real files: runs
 * never overlap and start an interval after the previous one ended, a slow source stretches the
 * interval and says so, a failed refresh keeps the last good snapshot with the error and its
 * time, a file is re-read when it changes, pause holds, stop() ends everything.
 *
 * When the interval is what is tested, the poller's timers are fake (vi.useFakeTimers on setTimeout
 * only; the source still runs for real): a run starts only when the test moves the clock, so "an
 * interval after the previous run ended" is a count of runs before and after a move, not a time
 * measured. "Nothing ran" is checked after a witness showed that something could have: a later
 * file check, or a control poller's runs (controlRuns).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { diffSnapshots } from '../../src/core/counters/index.js';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { loadSnapshot, type Snapshot } from '../../src/sources/index.js';
import { createPoller, type Poller, type PollerError, type PollerEvent } from '../../src/sources/poller.js';
import { cadence } from '../../src/tui/model/live-status.js';
import { generateKubeProxyRules } from '../../src/gen/kubeproxy.js';
import { FAKE_SPEC, XTABLES_LOCK, alive, controlRuns, createFakeSource, endsWithin, realClearTimeout, realSetTimeout, realSleep, type FakeSource } from './fake-source.js';

// The waits here end on events; their limits (and this) only guard against a hang, minutes above
// what a run takes even on a busy machine.
vi.setConfig({ testTimeout: 300_000 });

let poller: Poller | null = null;
let fake: FakeSource | null = null;
const temps: string[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await poller?.stop();
  poller = null;
  fake?.cleanup();
  fake = null;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

/** Every event the poller emits, and a way to wait for the next one that matches. */
function record(p: Poller) {
  const events: PollerEvent[] = [];
  const waiters: { pred: (e: PollerEvent) => boolean; resolve: (e: PollerEvent) => void }[] = [];
  p.subscribe((e) => {
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const next = <T extends PollerEvent['type']>(type: T, pred: (e: Extract<PollerEvent, { type: T }>) => boolean = () => true, timeoutMs = 120_000) =>
    new Promise<Extract<PollerEvent, { type: T }>>((resolve, reject) => {
      // Real timers: this guard must fire even while a test fakes the poller's.
      const timer = realSetTimeout(() => reject(new Error(`no ${type} event in ${timeoutMs} ms; events: ${events.map((e) => e.type).join(',')}`)), timeoutMs);
      waiters.push({
        pred: (e) => e.type === type && pred(e as Extract<PollerEvent, { type: T }>),
        resolve: (e) => {
          realClearTimeout(timer);
          resolve(e as Extract<PollerEvent, { type: T }>);
        },
      });
    });
  return { events, next, snapshots: () => events.filter((e) => e.type === 'snapshot').map((e) => (e as { snapshot: Snapshot }).snapshot) };
}

/** Packets of a service port in a snapshot (the sum of its endpoints' DNAT rules). */
function packets(s: Snapshot, id: string): number | null {
  return buildKubeModel(s.ruleset).services.find((x) => x.id === id)?.packets ?? null;
}

/** Until `cond` holds, looking every 10 ms; the limit only guards against a hang. */
async function until(cond: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  for (const end = Date.now() + limitMs; !cond(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await realSleep(10);
  }
}

/** Until run `n` has ended and the poller has armed its next timer (set right after the run's last status). */
async function runEnded(rec: ReturnType<typeof record>, n: number): Promise<void> {
  await rec.next('status', (e) => e.status.runs === n && !e.status.running);
  await new Promise((r) => setImmediate(r));
}

describe('poller: a command every interval', () => {
  it('delivers snapshots whose counters grow, one run at a time, each an interval after the last ended', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    fake = createFakeSource();
    // A long interval on a fake clock: no real run comes near it, so it is never stretched.
    poller = createPoller({ spec: { kind: 'command', command: fake.command }, intervalSeconds: 60 });
    const rec = record(poller);
    expect(poller.status.mode).toBe('interval');
    poller.start();
    // No snapshot yet: the first run at once.
    vi.advanceTimersByTime(0);
    for (let n = 1; n <= 4; n++) {
      expect(poller.status.runs).toBe(n);
      expect(poller.status.running).toBe(true);
      // A whole interval passing during a run starts no other one.
      vi.advanceTimersByTime(60_000);
      expect(poller.status.runs).toBe(n);
      await runEnded(rec, n);
      expect(fake.runs()).toBe(n);
      // The next run is due an interval after this one ended: not a millisecond before.
      vi.advanceTimersByTime(59_999);
      expect(poller.status.runs).toBe(n);
      if (n < 4) vi.advanceTimersByTime(1);
    }
    await poller.stop();
    expect(fake.runs()).toBe(4);

    const snaps = rec.snapshots();
    // Run n prints every counter as [10n:600n]; each DNAT rule counts 10n, a service with 2 endpoints 20n.
    expect(snaps.map((s) => packets(s, 'kc/alpha'))).toEqual([20, 40, 60, 80]);
    for (const s of snaps) expect(s.origin).toBe(fake.command);
    // Rates come from consecutive snapshots: 20 packets per refresh, over the real time between them.
    const diff = diffSnapshots({ ruleset: snaps[0]!.ruleset, takenAtMs: snaps[0]!.takenAt.getTime() }, { ruleset: snaps[1]!.ruleset, takenAtMs: snaps[1]!.takenAt.getTime() });
    const alpha = diff.service('kc/alpha', 'ipv4')!;
    expect(alpha.deltaPackets).toBe(20);
    expect(alpha.packetRate).toBeCloseTo(20 / diff.intervalSeconds!, 6);
    expect(alpha.countedSinceLast).toBe(true);

    // The script's own log: each run started after the previous one ended (order, not duration).
    const spans = fake.spans();
    expect(spans.map((x) => x.run)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i - 1]!.end, `run ${spans[i - 1]!.run} ended`).not.toBeNull();
      expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end!);
    }
    const st = poller.status;
    expect(st.stopped).toBe(true);
    expect(st.error).toBeNull();
    expect(st.refreshes).toBe(4);
    expect(st.checks).toBe(0);
    expect(st.stretched).toBe(false);
    expect(st.effectiveIntervalSeconds).toBe(60);
    expect(cadence(st)).toBe('every 60 s');
  });

  it('stretches the interval when the source is slower than it, and says so', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    fake = createFakeSource();
    // The script sleeps 0.6 s (real time) before it prints: longer than the 0.2 s interval.
    fake.setMode('slow', 0.6);
    poller = createPoller({ spec: { kind: 'command', command: fake.command }, intervalSeconds: 0.2 });
    const rec = record(poller);
    poller.start();
    vi.advanceTimersByTime(0);
    for (let n = 1; n <= 2; n++) {
      await runEnded(rec, n);
      const st = poller.status;
      expect(st.stretched).toBe(true);
      const lastMs = st.lastRunSeconds! * 1000;
      expect(lastMs).toBeGreaterThan(200);
      expect(st.effectiveIntervalSeconds).toBe(st.lastRunSeconds);
      const text = cadence(st)!;
      const m = /^source took (\d+(?:\.\d)?) s; refreshing every (\d+(?:\.\d)?) s$/.exec(text);
      expect(m, text).not.toBeNull();
      expect(m![1]).toBe(m![2]);
      // The interval has passed, and no run started: the pause is as long as the run was.
      vi.advanceTimersByTime(200);
      expect(poller.status.runs).toBe(n);
      // (Timers count whole milliseconds: a delay of 667.6 is due at 667.)
      vi.advanceTimersByTime(Math.floor(lastMs) - 1 - 200);
      expect(poller.status.runs).toBe(n);
      vi.advanceTimersByTime(1);
      expect(poller.status.runs).toBe(n + 1);
    }
  });

  it('keeps the last good snapshot through a held xtables lock and a truncated dump, with the error and its time, then recovers', async () => {
    fake = createFakeSource();
    poller = createPoller({ spec: { kind: 'command', command: fake.command }, intervalSeconds: 0.2 });
    const rec = record(poller);
    poller.start();
    const good = (await rec.next('snapshot')).snapshot;

    fake.setMode('fail');
    const before = Date.now();
    const lock = await rec.next('error');
    expect(lock.error.detail).toBe(`exited with status 4: ${XTABLES_LOCK}`);
    expect(lock.error.message).toBe(`--source-cmd ${JSON.stringify(fake.command)} exited with status 4: ${XTABLES_LOCK}`);
    expect(lock.error.at).toBeGreaterThanOrEqual(before);
    expect(lock.error.at).toBeLessThanOrEqual(Date.now());
    expect(poller.snapshot).toBe(good);
    expect(poller.status.error).toEqual(lock.error);
    expect(poller.status.lastGoodAt).toBe(good.takenAt.getTime());
    // It keeps trying, and counts the failures in a row.
    const again = await rec.next('error');
    expect(again.error.count).toBe(2);
    expect(again.error.since).toBe(lock.error.at);

    fake.setMode('truncated');
    const cut = await rec.next('error', (e) => /does not parse/.test(e.error.detail));
    expect(cut.error.detail).toMatch(/^output does not parse: line \d+:\d+: /);
    expect(poller.snapshot).toBe(good);

    fake.setMode('ok');
    const back = (await rec.next('snapshot')).snapshot;
    expect(poller.status.error).toBeNull();
    expect(packets(back, 'kc/alpha')!).toBeGreaterThan(packets(good, 'kc/alpha')!);
    const failed = rec.events.filter((e) => e.type === 'error').length;
    expect(poller.status.failures).toBe(failed);
  });

  it('counters that fall (rules recreated): the deltas say reset, never negative, no spike, and counting resumes', async () => {
    fake = createFakeSource();
    poller = createPoller({ spec: { kind: 'command', command: fake.command }, intervalSeconds: 0.2 });
    const rec = record(poller);
    poller.start();
    await rec.next('snapshot');
    await rec.next('snapshot');
    // Between runs (the next starts 0.2 s after this snapshot's run ended): runs 3 and 4 print what runs 1 and 2 did.
    fake.reset();
    await rec.next('snapshot');
    await rec.next('snapshot');
    await poller.stop();
    const snaps = rec.snapshots();
    expect(snaps.map((x) => packets(x, 'kc/alpha'))).toEqual([20, 40, 20, 40]);
    expect(snaps.map((x) => packets(x, 'kc/beta'))).toEqual([40, 80, 40, 80]);

    const diffs = snaps.slice(1).map((cur, i) => diffSnapshots({ ruleset: snaps[i]!.ruleset, takenAtMs: snaps[i]!.takenAt.getTime() }, { ruleset: cur.ruleset, takenAtMs: cur.takenAt.getTime() }));
    // No rule, endpoint or service ever has a negative delta or rate.
    for (const [i, d] of diffs.entries()) {
      for (const t of snaps[i + 1]!.ruleset.tables) {
        for (const r of t.rules) {
          const rd = d.rule(r)!;
          expect(rd.deltaPackets === null || rd.deltaPackets >= 0, `diff ${i}: ${rd.deltaPackets}`).toBe(true);
          expect(rd.packetRate === null || rd.packetRate >= 0).toBe(true);
          expect(rd.byteRate === null || rd.byteRate >= 0).toBe(true);
        }
      }
    }
    const at = (i: number, id: string) => diffs[i]!.service(id, 'ipv4')!;
    for (const id of ['kc/alpha', 'kc/beta']) {
      // 40 -> 20: unknown, not -20, and not the 20 now counted taken as new traffic.
      expect(at(1, id)).toMatchObject({ state: 'reset', deltaPackets: null, deltaBytes: null, packetRate: null, byteRate: null, countedSinceLast: false });
      expect(at(1, id).endpoints.map((e) => e.state)).toEqual(['reset', 'reset']);
    }
    // gamma never counts: 0 -> 0 is no reset.
    expect(at(1, 'kc/gamma')).toMatchObject({ state: 'ok', deltaPackets: 0, packetRate: 0 });
    // The next refresh counts as before: 20 packets for alpha, 40 for beta, over the real interval.
    expect(at(2, 'kc/alpha')).toMatchObject({ state: 'ok', deltaPackets: 20, countedSinceLast: true });
    expect(at(2, 'kc/alpha').packetRate).toBeCloseTo(20 / diffs[2]!.intervalSeconds!, 6);
    expect(at(2, 'kc/beta')).toMatchObject({ state: 'ok', deltaPackets: 40 });
  });

  it('kills a run that outlives the timeout, everything it started included, and reports it', async () => {
    fake = createFakeSource();
    fake.setMode('hang');
    poller = createPoller({ spec: { kind: 'command', command: fake.command }, intervalSeconds: 0.2, timeoutSeconds: 0.5 });
    const rec = record(poller);
    poller.start();
    const e: PollerError = (await rec.next('error')).error;
    expect(e.detail).toBe('timed out after 0.5 s (killed)');
    const pid = fake.hangPid();
    expect(pid).not.toBeNull();
    // The run ends only when its output closes, which the backgrounded sleep held open: it is gone.
    expect(await endsWithin(pid!)).toBe(true);
  });

  it('stop() kills a run in progress, and nothing runs or arrives afterwards', async () => {
    fake = createFakeSource();
    poller = createPoller({ spec: { kind: 'command', command: fake.command }, intervalSeconds: 0.2 });
    const rec = record(poller);
    poller.start();
    await rec.next('snapshot');
    fake.setMode('hang');
    await rec.next('status', (e) => e.status.running);
    // The script starts its sleep right away; wait until it has.
    await until(() => fake!.hangPid() !== null, 'the hang to start its sleep');
    const pid = fake.hangPid()!;
    expect(alive(pid)).toBe(true);
    const runs = fake.runs();
    const count = rec.events.length;
    await poller.stop();
    expect(await endsWithin(pid)).toBe(true);
    expect(poller.status.running).toBe(false);
    expect(poller.status.stopped).toBe(true);
    await controlRuns(0.2);
    expect(fake.runs()).toBe(runs);
    expect(poller.status.runs).toBe(runs);
    // Only stop's own final status went out.
    expect(rec.events.slice(count).map((e) => e.type)).toEqual(['status']);
  });

  it('pause: no runs; a run under way is held and handed out on resume; resume refreshes', async () => {
    fake = createFakeSource();
    fake.setMode('slow', 0.4);
    poller = createPoller({ spec: { kind: 'command', command: fake.command }, intervalSeconds: 0.2 });
    const rec = record(poller);
    poller.start();
    await rec.next('snapshot');
    await rec.next('status', (e) => e.status.running);
    poller.pause();
    expect(poller.status.paused).toBe(true);
    const shown = rec.snapshots().length;
    // The run under way ends while paused: held, not delivered.
    await rec.next('status', (e) => !e.status.running && e.status.paused);
    const held = poller.snapshot!;
    const runs = fake.runs();
    // A control poller at the same interval runs twice over: this one, paused, not once.
    await controlRuns(0.2);
    expect(fake.runs()).toBe(runs);
    expect(poller.status.runs).toBe(runs);
    expect(rec.snapshots().length).toBe(shown);
    poller.resume();
    expect(rec.snapshots().at(-1)).toBe(held);
    expect(rec.snapshots().length).toBe(shown + 1);
    // And it goes on.
    const next = (await rec.next('snapshot')).snapshot;
    expect(packets(next, 'kc/alpha')!).toBeGreaterThan(packets(held, 'kc/alpha')!);
  });

  it('the local node: iptables-save -c and ip6tables-save -c every interval, with fixed arguments (needs root: skipped when not root, outside CI only)', async (ctx) => {
    const isRoot = process.getuid?.() === 0;
    if (!isRoot && process.env.CI !== 'true') {
      ctx.skip(); // the local source needs root (outside CI only; under CI this runs as root)
      return;
    }
    fake = createFakeSource();
    const bin = path.join(fake.dir, 'bin');
    mkdirSync(bin);
    const log = path.join(fake.dir, 'calls');
    const shim = (name: string, body: string) => {
      writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    };
    shim('iptables-save', `exec ${fake.command}`);
    shim('ip6tables-save', 'exit 0');
    poller = createPoller({ spec: { kind: 'local' }, intervalSeconds: 0.2, env: { PATH: `${bin}:/usr/bin:/bin` } });
    const rec = record(poller);
    poller.start();
    const a = (await rec.next('snapshot')).snapshot;
    const b = (await rec.next('snapshot')).snapshot;
    await poller.stop();
    expect(a.origin).toBe('iptables-save -c');
    expect(packets(b, 'kc/alpha')!).toBeGreaterThan(packets(a, 'kc/alpha')!);
    expect(a.nodeAddresses.length).toBeGreaterThan(0);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(new Set(calls)).toEqual(new Set(['iptables-save -c', 'ip6tables-save -c']));
  });
});

describe('poller: a file', () => {
  function dumpFile(): { file: string; write: (n: number, cut?: boolean) => void } {
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-live-file-'));
    temps.push(dir);
    const file = path.join(dir, 'node.save');
    const write = (n: number, cut = false) => {
      const text = generateKubeProxyRules(FAKE_SPEC, { counters: () => [10 * n, 600 * n] });
      writeFileSync(file, cut ? text.slice(0, 1500) : text);
    };
    return { file, write };
  }

  it('is read again when it changes, and only then', async () => {
    const { file, write } = dumpFile();
    write(1);
    // File times come from a coarse clock; the read starts clearly after the write.
    await realSleep(50);
    const initial = await loadSnapshot({ kind: 'file', path: file });
    poller = createPoller({ spec: { kind: 'file', path: file }, intervalSeconds: 0.1, initial });
    expect(poller.status.mode).toBe('watch');
    const rec = record(poller);
    poller.start();
    // Unchanged: checked (three times over), never read.
    await until(() => poller!.status.checks >= 3, 'three file checks');
    expect(poller.status.runs).toBe(0);
    expect(rec.snapshots()).toHaveLength(0);

    write(2);
    const second = (await rec.next('snapshot')).snapshot;
    expect(packets(second, 'kc/alpha')).toBe(40);
    expect(second.origin).toBe(file);

    // Half-written: the last good snapshot stays, with the parse error.
    write(3, true);
    const cut = await rec.next('error');
    expect(cut.error.detail).toMatch(/^output does not parse: line \d+:\d+: /);
    expect(poller.snapshot).toBe(second);
    // A broken file is not read again until it changes.
    const runs = poller.status.runs;
    const checks = poller.status.checks;
    await until(() => poller!.status.checks >= checks + 3, 'three more file checks');
    expect(poller.status.runs).toBe(runs);

    write(4);
    const fourth = (await rec.next('snapshot')).snapshot;
    expect(packets(fourth, 'kc/alpha')).toBe(80);
    expect(poller.status.error).toBeNull();
  });

  it('with kubeJumps, each re-read adds kube-proxy\'s standard jumps the file lacks, as the first read did', async () => {
    const corpusDump = readFileSync(path.join(import.meta.dirname, '../corpus/kube-proxy/iptables/TestOverallIPTablesRules.dump'), 'utf8');
    const { file } = dumpFile();
    writeFileSync(file, corpusDump);
    await realSleep(50);
    const initial = await loadSnapshot({ kind: 'file', path: file }, { kubeJumps: true });
    const jumpOf = (s: Snapshot) => s.ruleset.tables.find((t) => t.name === 'nat')!.chainsByName.get('PREROUTING')?.rules[0];
    expect(jumpOf(initial)).toMatchObject({ line: 0, target: 'KUBE-SERVICES' });
    poller = createPoller({ spec: { kind: 'file', path: file }, intervalSeconds: 0.1, initial, kubeJumps: true });
    const rec = record(poller);
    poller.start();
    writeFileSync(file, corpusDump + '# changed\n');
    const second = (await rec.next('snapshot')).snapshot;
    expect(jumpOf(second)).toMatchObject({ line: 0, target: 'KUBE-SERVICES' });
  });

  it('catches a change made between the first read and start()', async () => {
    const { file, write } = dumpFile();
    write(1);
    const initial = await loadSnapshot({ kind: 'file', path: file });
    await realSleep(50);
    write(2);
    poller = createPoller({ spec: { kind: 'file', path: file }, intervalSeconds: 0.1, initial });
    const rec = record(poller);
    poller.start();
    expect(packets((await rec.next('snapshot')).snapshot, 'kc/alpha')).toBe(40);
  });
});

describe('poller: standard input', () => {
  it('is read once and never polled', async () => {
    const text = generateKubeProxyRules(FAKE_SPEC, { counters: () => [1, 100] });
    poller = createPoller({ spec: { kind: 'stdin' }, intervalSeconds: 0.1, stdin: Readable.from([Buffer.from(text)]) });
    expect(poller.status.mode).toBe('once');
    const rec = record(poller);
    poller.start();
    const s = (await rec.next('snapshot')).snapshot;
    expect(s.origin).toBe('<stdin>');
    await controlRuns(0.1);
    expect(poller.status.runs).toBe(1);
    expect(poller.status.checks).toBe(0);
    expect(rec.snapshots()).toHaveLength(1);
  });
});

describe('poller: refresh now (issue 14 point 6)', () => {
  it('runs the command at once instead of an interval later, and not while a run goes on or paused', async () => {
    fake = createFakeSource();
    poller = createPoller({ spec: { kind: 'command', command: fake.command }, intervalSeconds: 600 });
    const rec = record(poller);
    expect(poller.refreshNow()).toBe(false); // not started
    poller.start();
    await rec.next('snapshot');
    await runEnded(rec, 1);
    // The next run is ten minutes away: R brings it now.
    expect(poller.refreshNow()).toBe(true);
    await new Promise((r) => setImmediate(r));
    await until(() => poller!.status.running, 'the run to start');
    expect(poller.refreshNow()).toBe(false); // a run goes on
    await rec.next('snapshot');
    expect(fake.runs()).toBe(2);
    await runEnded(rec, 2);
    poller.pause();
    expect(poller.refreshNow()).toBe(false);
  });
});
