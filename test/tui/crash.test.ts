/**
 * The explorer's crash handlers (tui/explorer.ts), called as Node would call them: an uncaught
 * exception leaves the alternate screen before the bin's handler prints the error; an unhandled
 * rejection leaves it too and is raised again as an uncaught exception (a listener turns off
 * Node's own raising, and the explorer would go on running off its screen); quitting removes both.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixture } from '../cli/harness.js';
import { loadSnapshot } from '../../src/sources/index.js';
import { runExplorer } from '../../src/tui/run.js';
import { FakeStdin, FakeStdout } from './harness.js';

// The waits here end on events; their limits (and this) only guard against a hang, minutes above
// what a run takes even on a busy machine.
vi.setConfig({ testTimeout: 300_000 });

const ENTER = '\x1b[?1049h';
const LEAVE = '\x1b[?1049l';
const count = (s: string, x: string) => s.split(x).length - 1;

type Listener = (...args: unknown[]) => void;
const listeners = (event: 'uncaughtException' | 'unhandledRejection') => process.listeners(event as 'uncaughtException') as Listener[];
const added = (event: 'uncaughtException' | 'unhandledRejection', before: Listener[]) => listeners(event).filter((l) => !before.includes(l));

let quit: (() => Promise<number>) | null = null;
afterEach(async () => {
  await quit?.();
  quit = null;
});

async function start() {
  const before = { exception: listeners('uncaughtException'), rejection: listeners('unhandledRejection') };
  const stdout = new FakeStdout(100, 24);
  const stdin = new FakeStdin();
  const done = runExplorer({
    snapshot: await loadSnapshot({ kind: 'file', path: fixture('seed-clusterip.save') }),
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
    env: { NO_COLOR: '1' },
  });
  quit = async () => {
    stdin.write('q');
    return done;
  };
  // The handlers are in place once the alternate screen was entered (the guard only stops a hang).
  for (const end = Date.now() + 120_000; !stdout.frames.join('').includes(ENTER); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error('the explorer never entered the alternate screen');
  }
  const onException = added('uncaughtException', before.exception);
  const onRejection = added('unhandledRejection', before.rejection);
  expect(onException).toHaveLength(1);
  expect(onRejection).toHaveLength(1);
  // Prepended: they run before the bin's handler, which prints the error and exits.
  expect(listeners('uncaughtException')[0]).toBe(onException[0]);
  expect(listeners('unhandledRejection')[0]).toBe(onRejection[0]);
  return { stdout, before, onException: onException[0]!, onRejection: onRejection[0]! };
}

describe('the explorer when something escapes it', () => {
  it('an uncaught exception: the alternate screen is left first, once', async () => {
    const e = await start();
    expect(count(e.stdout.frames.join(''), LEAVE)).toBe(0);
    e.onException(new Error('boom'), 'uncaughtException');
    const written = e.stdout.frames.join('');
    expect(count(written, ENTER)).toBe(1);
    expect(count(written, LEAVE)).toBe(1);
    expect(written.lastIndexOf(LEAVE)).toBeGreaterThan(written.lastIndexOf(ENTER));
    // Quitting afterwards does not leave it a second time, and takes the handlers away.
    const q = quit!;
    quit = null;
    expect(await q()).toBe(0);
    expect(count(e.stdout.frames.join(''), LEAVE)).toBe(1);
    expect(listeners('uncaughtException')).toEqual(e.before.exception);
    expect(listeners('unhandledRejection')).toEqual(e.before.rejection);
  });

  it('an unhandled rejection: the alternate screen is left, and the reason raised again', async () => {
    const e = await start();
    const reason = new Error('rejected');
    expect(() => e.onRejection(reason, Promise.resolve())).toThrow(reason);
    const written = e.stdout.frames.join('');
    expect(count(written, LEAVE)).toBe(1);
    expect(written.lastIndexOf(LEAVE)).toBeGreaterThan(written.lastIndexOf(ENTER));
  });
});
