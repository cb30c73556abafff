/**
 * The frame height against ink 6's full-screen clear: a frame as tall as the terminal makes
 * Ink write clearTerminal on every render (flicker); the explorer's frame (one line short)
 * must update in place. Ink skips interactive rendering when it believes it runs in CI, so
 * this file loads Ink with CI unset, on a stdout that says it is a terminal.
 */
import React from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLEAR_SCREEN = '\x1b[2J';
const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
type Ink = typeof import('ink');
let ink: Ink;
let h: typeof import('./harness.js');
let App: typeof import('../../src/tui/App.js').App;

beforeAll(async () => {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  ink = await import('ink');
  h = await import('./harness.js');
  ({ App } = await import('../../src/tui/App.js'));
});

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
});

function ttyStdout() {
  const out = new h.FakeStdout(80, 24);
  out.isTTY = true;
  return out;
}

function mount(node: React.ReactElement, stdout: InstanceType<typeof h.FakeStdout>, stdin = new h.FakeStdin()) {
  return ink.render(node, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: new h.FakeStdout() as unknown as NodeJS.WriteStream,
    exitOnCtrlC: false,
    patchConsole: false,
  });
}

describe('frame height on a 24-row terminal', () => {
  it('a 24-line frame makes ink 6 clear the screen on re-render (why the explorer stays one short)', async () => {
    const stdout = ttyStdout();
    const tall = (n: number) => (
      <ink.Box height={24} flexDirection="column">
        <ink.Text>frame {n}</ink.Text>
      </ink.Box>
    );
    const instance = mount(tall(1), stdout);
    await h.tick();
    instance.rerender(tall(2));
    await h.tick();
    instance.unmount();
    expect(stdout.frames.slice(1).some((f) => f.includes(CLEAR_SCREEN))).toBe(true);
  });

  it('the explorer re-renders without clearing the screen', async () => {
    const stdout = ttyStdout();
    const stdin = new h.FakeStdin();
    const instance = mount(<App data={h.fixtureData('seed-nodeport-cluster.save')} color={false} />, stdout, stdin);
    // Frames with screen content (Ink also writes bare synchronized-update markers).
    const drawn = () => stdout.frames.filter((f) => f.includes('\n')).length;
    /** Ink throttles renders to 30 fps: wait for the render that follows, whatever the machine's speed. */
    const nextRender = async (after: number, what: string) => {
      for (const end = Date.now() + 120_000; drawn() <= after; await h.tick()) {
        if (Date.now() > end) throw new Error(`no render after ${what}; frames:\n${stdout.frames.join('\n---\n')}`);
      }
    };
    await nextRender(0, 'mount');
    // Each key changes the screen (cursor, sort, filter prompt, filter text, prompt closed): each is
    // a re-render, written before the next key.
    for (const k of ['j', 'j', 's', '/', 'n', '\x1b']) {
      const before = drawn();
      stdin.write(k);
      await nextRender(before, JSON.stringify(k));
    }
    instance.unmount();
    expect(drawn()).toBeGreaterThanOrEqual(7);
    const written = stdout.frames.join('');
    expect(written).toContain('sort packets');
    expect(written).not.toContain(CLEAR_SCREEN);
  }, 300_000);
});
