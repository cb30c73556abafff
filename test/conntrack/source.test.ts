/**
 * The conntrack sources: which one a command line names, the local node's two listings counted
 * once per family, and the poller (the rules' machinery: runs never overlap, a failure keeps the
 * last good table).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { conntrackSpecFor, createConntrackPoller, loadConntrack, parseConntrackText, type ConntrackSnapshot } from '../../src/sources/conntrack.js';
import type { Poller, PollerEvent } from '../../src/sources/poller.js';
import { fixturesDir } from '../helpers/paths.js';

const ct = (name: string) => readFileSync(path.join(fixturesDir, 'conntrack', name), 'utf8');
const temps: string[] = [];
let poller: Poller<ConntrackSnapshot> | null = null;

afterEach(async () => {
  await poller?.stop();
  poller = null;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-ct-source-'));
  temps.push(dir);
  return dir;
}

describe('conntrackSpecFor', () => {
  it('--conntrack-cmd, --conntrack FILE|-, else the local node only when the rules are its own', () => {
    expect(conntrackSpecFor(null, 'ssh n conntrack -L', { kind: 'local' })).toEqual({ kind: 'command', command: 'ssh n conntrack -L' });
    expect(conntrackSpecFor('-', null, { kind: 'file', path: 'x' })).toEqual({ kind: 'stdin' });
    expect(conntrackSpecFor('ct.txt', null, { kind: 'local' })).toEqual({ kind: 'file', path: 'ct.txt' });
    expect(conntrackSpecFor(null, null, { kind: 'local' })).toEqual({ kind: 'local' });
    expect(conntrackSpecFor(null, null, { kind: 'file', path: 'x' })).toBeNull();
    expect(conntrackSpecFor(null, null, { kind: 'command', command: 'cat x' })).toBeNull();
  });
});

describe('the local node: conntrack -L then conntrack -L -f ipv6', () => {
  it('takes IPv4 from the first and IPv6 from the second, so a conntrack -L that lists both counts nothing twice', () => {
    // conntrack-tools 1.4.7's bare -L lists both families (as the extended capture shows).
    const both = ct('dual-stack.extended.txt');
    const v6 = ct('dual-stack.plain.txt').split('\n').filter((l) => l.includes('fd00')).join('\n') + '\n';
    const text = both + v6;
    const read = { text, origin: 'conntrack -L + conntrack -L -f ipv6', takenAt: new Date(0), ipv6FromLine: both.split('\n').length };
    const snap = parseConntrackText(read);
    const once = parseConntrackText({ text: ct('dual-stack.plain.txt'), origin: 'x', takenAt: new Date(0) });
    expect(snap.table.entries.length).toBe(once.table.entries.length);
    expect(snap.table.entries.filter((e) => e.family === 'ipv6').length).toBe(5);
    expect(snap.table.entries.filter((e) => e.family === 'ipv4').length).toBe(2);
    // An older conntrack whose -L lists IPv4 only: the same table.
    const old = ct('dual-stack.plain.txt');
    const lines = old.split('\n');
    const v4Part = lines.slice(0, 3).join('\n') + '\n';
    expect(parseConntrackText({ text: old, origin: 'x', takenAt: new Date(0), ipv6FromLine: v4Part.split('\n').length }).table.entries.length).toBe(7);
  });

  it('without conntrack on PATH: a SourceError that says so (the rules commands go on without it)', async () => {
    await expect(loadConntrack({ kind: 'local' }, { env: { PATH: tempDir() } })).rejects.toThrow(/conntrack is not installed|needs root/);
  });
});

describe('createConntrackPoller', () => {
  it('reads a command every interval; a failed run keeps the last good table and reports the error', async () => {
    const dir = tempDir();
    const table = path.join(dir, 'ct.txt');
    const fail = path.join(dir, 'fail');
    writeFileSync(table, ct('seed-nodeport-cluster.plain.txt'));
    const command = `if [ -e '${fail}' ]; then echo 'Operation not permitted' >&2; exit 1; fi; cat '${table}'`;
    poller = createConntrackPoller({ spec: { kind: 'command', command }, intervalSeconds: 0.1 });
    const events: PollerEvent<ConntrackSnapshot>[] = [];
    const waiters: Array<() => void> = [];
    poller.subscribe((e) => {
      events.push(e);
      for (const w of waiters.splice(0)) w();
    });
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((r) => waiters.push(r));
    };
    poller.start();
    await until(() => events.some((e) => e.type === 'snapshot'));
    const first = poller.snapshot!;
    expect(first.origin).toBe(command);
    expect(first.table.entries.length).toBe(13);

    writeFileSync(fail, '');
    await until(() => events.some((e) => e.type === 'error'));
    const error = events.find((e) => e.type === 'error')!;
    expect(error.type === 'error' && error.error.message).toMatch(/^--conntrack-cmd .* exited with status 1: Operation not permitted/);
    expect(poller.snapshot).toBe(first);

    rmSync(fail);
    writeFileSync(table, ct('dual-stack.plain.txt'));
    await until(() => poller!.snapshot !== first);
    expect(poller.snapshot!.table.entries.length).toBe(7);
    expect(poller.status.error).toBeNull();
    // One run at a time, in order.
    const runs = events.map((e) => e.status.runs);
    expect([...runs].sort((a, b) => a - b)).toEqual(runs);
  });
});
