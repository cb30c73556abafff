/**
 * NO_COLOR and hostile dump text. FORCE_COLOR is set before Ink (and chalk) load, so the
 * coloured case really emits SGR codes and the NO_COLOR case proves their absence.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { colorWanted } from '../../src/tui/theme.js';

process.env.FORCE_COLOR = '3';
type Harness = typeof import('./harness.js');
let h: Harness;
let unmount: (() => void) | null = null;

beforeAll(async () => {
  h = await import('./harness.js');
});

afterEach(() => {
  unmount?.();
  unmount = null;
});

const ESC = '\x1b';
/** SGR codes that are not colour: reverse video and bold (and their ends), which NO_COLOR allows. */
const ATTRIBUTES = /\x1b\[(?:7|27|1|22|0)?m/g;
const plain = (frame: string) => frame.replace(ATTRIBUTES, '');

// A comment that tries to clear the screen and ring the bell, in a service name and a rule.
const HOSTILE = [
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':KUBE-SERVICES - [0:0]',
  ':KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]',
  ':KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]',
  '[5:300] -A PREROUTING -m comment --comment "portals\x1b[2J\x07" -j KUBE-SERVICES',
  '[5:300] -A KUBE-SERVICES -d 10.0.0.1/32 -p tcp -m comment --comment "default/ev\x1b]0;pwned\x07il cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA',
  '[5:300] -A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment "default/ev\x1b]0;pwned\x07il -> 10.1.0.1:80" -j KUBE-SEP-BBBBBBBBBBBBBBBB',
  '[5:300] -A KUBE-SEP-BBBBBBBBBBBBBBBB -p tcp -m comment --comment "default/ev\x1b]0;pwned\x07il" -m tcp -j DNAT --to-destination 10.1.0.1:80',
  'COMMIT',
  '',
].join('\n');

describe('NO_COLOR', () => {
  it('honours NO_COLOR when set and not empty', () => {
    expect(colorWanted({})).toBe(true);
    expect(colorWanted({ NO_COLOR: '' })).toBe(true);
    expect(colorWanted({ NO_COLOR: '1' })).toBe(false);
  });

  it('colour on: the frame carries SGR codes (so the next test can fail)', async () => {
    const a = await h.renderApp({ data: h.fixtureData('seed-nodeport-cluster.save'), color: true });
    unmount = a.unmount;
    await a.waitFor((f) => f.includes('· sort '));
    expect(a.frame()).toContain(`${ESC}[`);
  });

  it('colour off: no colour at all; the selection shows by its marker and in reverse video', async () => {
    const a = await h.renderApp({ data: h.fixtureData('seed-nodeport-cluster.save'), color: false });
    unmount = a.unmount;
    await a.waitFor((f) => f.includes('· sort '));
    await a.press('j', '/', 'd', 'n', 's');
    // Reverse video and bold are attributes, not colours: every other escape sequence is absent.
    for (const f of a.stdout.frames) expect(plain(f)).not.toContain(ESC);
    const selected = h.lines(plain(a.frame())).filter((l) => l.startsWith('> '));
    expect(selected).toHaveLength(1);
    // More than the ">" marker: the selected row (and only it) is in reverse video.
    const reversed = h.lines(a.frame()).filter((l) => l.includes('\x1b[7m'));
    expect(reversed).toHaveLength(1);
    expect(plain(reversed[0]!)).toBe(selected[0]);
  });
});

describe('control characters from the dump', () => {
  it('are shown as \\xNN on every screen, never sent raw', async () => {
    const a = await h.renderApp({ data: h.textData(HOSTILE), color: false }, { columns: 120, rows: 30 });
    unmount = a.unmount;
    let f = plain(await a.waitFor((x) => x.includes('· sort ')));
    // Escaped before the columns are cut, so the TYPE column stays where the header says.
    const [header, row] = h.lines(f).slice(2, 4);
    expect(row).toContain('> default/ev\\x1b]0;pwned\\x07il ');
    expect(row!.indexOf('ClusterIP')).toBe(header!.indexOf('TYPE'));
    await a.press(KEY_ENTER);
    f = await a.waitFor((x) => x.includes('Services > default/ev'));
    expect(f).toContain('\\x1b]0;pwned\\x07');
    await a.press(':', ...'chain PREROUTING', KEY_ENTER);
    f = await a.waitFor((x) => x.includes('nat PREROUTING ·'));
    expect(f).toContain('portals\\x1b[2J\\x07');
    await a.press('r');
    f = await a.waitFor((x) => x.includes('-A PREROUTING'));
    expect(f).toContain('\\x1b[2J');
    for (const frame of a.stdout.frames) {
      expect(plain(frame)).not.toContain(ESC);
      expect(frame).not.toContain('\x07');
    }
  });
});

const KEY_ENTER = '\r';
