/** Issue 14, point 2: every step of a long trace path is reachable with the list keys, and hidden rows are marked. */
import { afterEach, describe, expect, it } from 'vitest';
import { KEY, fixtureData, lines, renderApp, type Rendered } from './harness.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

const selected = (f: string) => lines(f).find((l) => l.startsWith('> ')) ?? '';

async function traceNodePort(): Promise<Rendered> {
  app = await renderApp({ data: fixtureData('seed-nodeport-cluster.save', ['172.16.1.10']), color: false });
  await app.waitFor((f) => f.includes('service ports · sort'), 'the services screen');
  await app.press(':', ...'trace 172.16.1.10:30783', KEY.enter);
  await app.waitFor((f) => f.includes('path of outcome 1'), 'the trace');
  return app;
}

describe('trace path at 80x24 (issue 14 point 2)', () => {
  it('says how many steps are hidden below the window', async () => {
    const a = await traceNodePort();
    const f = a.frame();
    const title = lines(f).find((l) => l.startsWith('path of outcome 1'))!;
    const m = /: (\d+) steps, (\d+) more below/.exec(title);
    expect(m, title).not.toBeNull();
    const total = Number(m![1]);
    const below = Number(m![2]);
    // The rows between the title and the detail pane (2 lines), the command and status lines are the visible steps.
    const after = lines(f).slice(lines(f).indexOf(title) + 1, -4).filter((l) => l.trim() !== '');
    expect(after.length).toBe(total - below);
    expect(below).toBeGreaterThan(0);
  });

  it('j walks from the outcome into the path down to its last step, k back up to the outcome', async () => {
    const a = await traceNodePort();
    const title = () => lines(a.frame()).find((l) => l.startsWith('path of outcome 1'))!;
    const total = Number(/: (\d+) steps/.exec(title())![1]);
    expect(selected(a.frame())).toMatch(/100% ACCEPT/);
    await a.press('j');
    // The first step is selected now (the path list owns the marker).
    expect(selected(a.frame())).toMatch(/mangle PREROUTING|nat PREROUTING/);
    for (let i = 1; i < total; i++) await a.press('j');
    const last = selected(a.frame());
    expect(title()).toMatch(/more above$|more above ·/);
    expect(title()).not.toContain('below');
    // One more j stays on the last step.
    await a.press('j');
    expect(selected(a.frame())).toBe(last);
    for (let i = 0; i < total; i++) await a.press('k');
    expect(selected(a.frame())).toMatch(/100% ACCEPT/);
  });

  it('G goes to the last step and g back to the first outcome', async () => {
    const a = await traceNodePort();
    await a.press('G');
    const f = a.frame();
    expect(lines(f).find((l) => l.startsWith('path of outcome 1'))).toMatch(/more above/);
    // The last step of a forwarded packet: nat POSTROUTING's chain, or its policy.
    expect(selected(f)).toMatch(/POSTROUTING/);
    await a.press('g');
    expect(selected(a.frame())).toMatch(/100% ACCEPT/);
  });
});
