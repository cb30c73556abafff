/** Issue 14, point 8: ASCII under LANG=C, rows that need attention stand out, one arrow style. */
import { afterEach, describe, expect, it } from 'vitest';
import { toAscii } from '../../src/tui/model/format.js';
import { unicodeWanted } from '../../src/tui/theme.js';
import { KEY, fixtureData, lines, renderApp, type Rendered } from './harness.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

const nonAscii = (f: string) => [...f].filter((c) => c.codePointAt(0)! >= 0x80);

/** A walk over every screen: services, palette, service (trees open), chain raw and readable, trace, problems, hooks, help. */
async function walk(a: Rendered): Promise<string[]> {
  const seen: string[] = [];
  const look = () => seen.push(a.frame());
  await a.waitFor((f) => f.includes('service ports'), 'the services screen');
  look();
  await a.press(':', ...'svc kube', KEY.tab);
  look();
  await a.press(KEY.esc, '/nginx', KEY.enter);
  await a.waitFor((f) => f.includes('Services > default/nginx'), 'the service');
  await a.press('o');
  look();
  await a.press(':', ...'chain KUBE-SERVICES', KEY.enter);
  await a.waitFor((f) => /nat KUBE-SERVICES [·|]/.test(f), 'the chain');
  look();
  await a.press('r');
  look();
  await a.press(':', ...'trace 172.16.1.10:30783', KEY.enter);
  await a.waitFor((f) => f.includes('path of outcome 1'), 'the trace');
  look();
  await a.press(':', ...'problems', KEY.enter);
  look();
  await a.press(':', ...'hooks', KEY.enter);
  look();
  await a.press('?');
  look();
  return seen;
}

describe('the terminal (issue 14 point 8)', () => {
  it('reads the locale: UTF-8 only when LC_ALL, LC_CTYPE or LANG (the first set) says so', () => {
    expect(unicodeWanted({ LANG: 'C' })).toBe(false);
    expect(unicodeWanted({})).toBe(false);
    expect(unicodeWanted({ LANG: 'en_US.UTF-8' })).toBe(true);
    expect(unicodeWanted({ LANG: 'en_US.UTF-8', LC_ALL: 'C' })).toBe(false);
    expect(unicodeWanted({ LC_CTYPE: 'C.utf8' })).toBe(true);
    expect(toAscii('a · b … •→ ✓')).toBe('a | b ~ +> ?');
  });

  it('under LANG=C every screen is ASCII, and 80 columns wide at most', async () => {
    app = await renderApp({ data: fixtureData('seed-nodeport-cluster.save', ['172.16.1.10']), color: false, ascii: true });
    const frames = await walk(app);
    for (const f of frames) {
      expect(nonAscii(f)).toEqual([]);
      for (const l of lines(f)) expect(l.length).toBeLessThanOrEqual(80);
    }
    // The cut id keeps its place, marked with "~".
    expect(frames[0]).toMatch(/default\/~bernetes:https/);
    expect(frames[2]).toMatch(/^  - cluster IP 10\.32\.0\.61:80\/tcp/m);
  });

  it('with UTF-8, one arrow everywhere: "->", never "→"', async () => {
    app = await renderApp({ data: fixtureData('seed-nodeport-cluster.save', ['172.16.1.10']), color: false });
    const frames = await walk(app);
    for (const f of frames) expect(f).not.toContain('→');
    expect(frames.join('\n')).toContain('->');
  });

  it('a service without endpoints, and one without a local endpoint under policy Local, are marked "!"', async () => {
    app = await renderApp({ data: fixtureData('loadbalancer-source-ranges.save'), color: false });
    let f = await app.waitFor((x) => x.includes('service ports'), 'the services screen');
    const broken = lines(f).find((l) => /^[ >][ !]default\/broken-lb /.test(l))!;
    expect(broken).toMatch(/^[ >]!default\/broken-lb .* 0\/[-\d]/);
    for (const l of lines(f).filter((x) => /^[ >][ !]\S+\/\S/.test(x) && !x.includes('broken-lb'))) expect(l[1]).toBe(' ');
    app.unmount();
    app = await renderApp({ data: fixtureData('seed-nodeport-local-other.save', ['172.16.1.11']), color: false });
    f = await app.waitFor((x) => x.includes('service ports'), 'the services screen');
    expect(lines(f).find((l) => /^[ >][ !]default\/nginx /.test(l))).toMatch(/^[ >]!default\/nginx .* 1\/0 /);
    expect(lines(f).find((l) => /^[ >][ !]kube-sys\S*dns:dns /.test(l))).toMatch(/^[ >] kube/);
  });
});
