/** runExplorer around the App: alternate screen in and out, quit, and the keyboard when stdin held the dump. */
import { openSync, closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import type { Snapshot } from '../../src/sources/types.js';
import { runExplorer } from '../../src/tui/run.js';
import { ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, openKeyboard } from '../../src/tui/terminal.js';
import { fixturesDir } from '../helpers/paths.js';
import { FakeStdin, FakeStdout, tick } from './harness.js';

function snapshot(): Snapshot {
  const text = readFileSync(path.join(fixturesDir, 'seed-clusterip.save'), 'utf8');
  return { text, ruleset: parseIptablesSave(text), origin: 'fixtures/seed-clusterip.save', takenAt: new Date(0), nodeAddresses: [] };
}

describe('runExplorer', () => {
  it('enters the alternate screen first, leaves it last, and returns 0 on q', async () => {
    const stdout = new FakeStdout(80, 24);
    const stdin = new FakeStdin();
    const baseline = process.listenerCount('SIGTERM');
    const done = runExplorer({
      snapshot: snapshot(),
      source: { kind: 'file', path: 'fixtures/seed-clusterip.save' },
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: new FakeStdout() as unknown as NodeJS.WriteStream,
      env: { NO_COLOR: '1' },
    });
    // Until the explorer module has loaded and taken the terminal.
    for (let i = 0; i < 400 && process.listenerCount('SIGTERM') <= baseline; i++) await tick();
    expect(process.listenerCount('SIGTERM')).toBeGreaterThan(baseline);
    stdin.write('q');
    expect(await done).toBe(0);
    expect(stdout.frames[0]).toBe(ENTER_ALT_SCREEN);
    expect(stdout.frames.at(-1)).toContain(LEAVE_ALT_SCREEN);
    expect(stdout.frames.filter((f) => f.includes(LEAVE_ALT_SCREEN))).toHaveLength(1);
    // Its signal and exit handlers are gone with it.
    expect(process.listenerCount('SIGTERM')).toBe(baseline);
  });

  it('reads keys from /dev/tty when stdin carried the dump', () => {
    let ttyAvailable = true;
    try {
      closeSync(openSync('/dev/tty', 'r'));
    } catch {
      ttyAvailable = false;
    }
    const kb = openKeyboard(new FakeStdin() as unknown as NodeJS.ReadStream, true);
    if (ttyAvailable) {
      expect(kb).not.toBeNull();
      kb!.close();
    } else {
      // No controlling terminal here (CI, a detached job): the caller gets null and says so.
      expect(kb).toBeNull();
    }
    const own = new FakeStdin() as unknown as NodeJS.ReadStream;
    expect(openKeyboard(own, false)?.stream).toBe(own);
  });
});
