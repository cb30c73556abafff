/**
 * The explorer (kubechains with no subcommand) on hostile input, in a real pseudo-terminal:
 * a broken dump gives the same one-line FILE:LINE:COL message as the batch commands and exit 2,
 * never a crash, and never leaves the terminal in the alternate screen. A dump whose comments
 * hold escape sequences, and a watched file that turns into garbage or disappears while the
 * explorer runs, do not reach the terminal raw or take the explorer down.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../cli/harness.js';
import { kubechains } from './process.js';
import { count, ENTER_ALT_SCREEN, hasScript, killSessions, LEAVE_ALT_SCREEN, PtySession } from './pty.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-hostile-tui-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => killSessions());

const seed = readFileSync(fixture('seed-nodeport-cluster.save'), 'utf8');

function write(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
}

/** Whatever happened, the terminal is not left in the alternate screen, and no stack trace or internal error reached it. */
function expectTerminalRestored(text: string, what: string): void {
  expect(count(text, LEAVE_ALT_SCREEN), `${what}: alternate screen entered and left`).toBe(count(text, ENTER_ALT_SCREEN));
  if (text.includes(ENTER_ALT_SCREEN)) expect(text.lastIndexOf(LEAVE_ALT_SCREEN), what).toBeGreaterThan(text.lastIndexOf(ENTER_ALT_SCREEN));
  expect(text, what).not.toMatch(/^\s+at .*:\d+:\d+\)?\r?$/m);
  expect(text, what).not.toMatch(/internal error|FATAL ERROR|Maximum call stack/);
}

// `script` (util-linux/bsdutils) provides the terminal; without it there is no terminal to test in.
// Outside CI the cases skip then, saying why in the title; under CI=true they run, and fail at once.
const skipNoScript = !hasScript && process.env.CI !== 'true';
const inTerminal = (title: string) => (skipNoScript ? `${title} (skipped outside CI: script(1) is not installed)` : title);
function needScript(): void {
  if (!hasScript) throw new Error('script(1) (util-linux/bsdutils) is not installed; these cases need it under CI=true');
}
describe.skipIf(skipNoScript)(inTerminal('the explorer on a broken dump (in a terminal)'), () => {
  beforeAll(needScript);
  it('prints the same first line as `services`, exits 2, and never enters the alternate screen', async () => {
    const truncated = seed.slice(0, seed.lastIndexOf('COMMIT'));
    const cases: Array<{ what: string; file: string; first: string }> = [];
    const add = (what: string, name: string, content: string | Buffer, position: string, message: string) => {
      const file = write(name, content);
      cases.push({ what, file, first: `${file}:${position}: error: ${message}` });
    };
    add('empty', 'empty.save', '', '1:1', 'empty input: no iptables-save tables found');
    add('HTML', 'page.html', '<!doctype html>\n<html></html>\n', '1:1', 'this looks like HTML, not an iptables-save dump');
    add('gzip', 'dump.save.gz', gzipSync(seed), '1:1', 'binary data (gzip-compressed), not an iptables-save dump: decompress it first (zcat FILE)');
    add('truncated', 'truncated.save', truncated, `${truncated.split('\n').length - 1}:1`, `truncated dump: table nat (line ${seed.split('\n').indexOf('*nat') + 1}) has no COMMIT`);
    add('nftables cut short', 'ruleset.nft', 'table ip nat {\n', '1:14', 'unbalanced braces: the "{" at 1:14 is never closed (truncated input?)');
    const dir = path.join(tmp, 'a-directory');
    mkdirSync(dir);
    const unreadable = [
      { what: 'missing', file: path.join(tmp, 'missing.save'), first: `kubechains: ${path.join(tmp, 'missing.save')}: no such file` },
      { what: 'directory', file: dir, first: `kubechains: ${dir}: is a directory; give a dump file (iptables-save -c > FILE)` },
    ];

    const all = [...cases, ...unreadable];
    const sessions = all.map((c) => new PtySession([c.file]));
    // Standard input that ends at once, as the dump (`kubechains -`).
    const stdinSession = new PtySession(['-'], { stdinFile: '/dev/null' });
    const [codes, batch] = await Promise.all([
      Promise.all([...sessions, stdinSession].map((s) => s.exit())),
      Promise.all(cases.map((c) => kubechains(['services', c.file]))),
    ]);
    all.forEach((c, i) => {
      const s = sessions[i]!;
      expect(codes[i], `${c.what}: exit code; terminal got ${JSON.stringify(s.text())}`).toBe(2);
      expect(s.lines()[0], c.what).toBe(c.first);
      expect(s.text(), c.what).not.toContain(ENTER_ALT_SCREEN);
      expectTerminalRestored(s.text(), c.what);
    });
    // The same message the batch commands give.
    cases.forEach((c, i) => expect(batch[i]!.stderr.split('\n')[0], c.what).toBe(sessions[i]!.lines()[0]));
    expect(codes.at(-1)).toBe(2);
    expect(stdinSession.lines()[0]).toBe('<stdin>:1:1: error: empty input: no iptables-save tables found');
    expectTerminalRestored(stdinSession.text(), 'stdin');
  }, 60_000);
});

describe.skipIf(skipNoScript)(inTerminal('the explorer on hostile dumps it can load (in a terminal)'), () => {
  beforeAll(needScript);
  it('shows escape sequences from comments escaped, never raw, and quits cleanly', async () => {
    const evilId = 'default/ngi\u001b[2J\u001b]52;c;ZWNobyBwd25lZA==\u0007nx\u0008\r\u007f\u009b31m\u0085';
    const file = write('evil.save', seed.split('default/nginx').join(evilId));
    const s = new PtySession([file, '--node-ip', '172.16.1.10'], { cols: 100 });
    await s.waitFor((t) => t.includes('5 service ports'), 'the services screen');
    // default/kubernetes:https is first; the second row is the evil one: open it.
    s.send('j');
    await s.waitFor((t) => /2\/5 default\/ngi\\x1b/.test(t), 'the evil row selected');
    s.send('\r');
    await s.waitFor((t) => t.includes('KUBE-SEP-YVT6EXXEKT4LDXBC') && t.includes('entry points · Enter opens a tree'), 'the service detail');
    s.send('q');
    expect(await s.exit()).toBe(0);
    const text = s.text();
    expectTerminalRestored(text, 'evil');
    expect(count(text, ENTER_ALT_SCREEN)).toBe(1);
    // What the dump holds is on screen as text; none of it reached the terminal as a control.
    expect(text).toContain('default/ngi\\x1b[2J\\x1b]52;c;');
    expect(text).not.toContain('\u001b]52;');
    expect(text).not.toMatch(/[\u0007\u0008\u007f\u0080-\u009f]/);
  }, 60_000);

  it('keeps the last good dump when the watched file turns into garbage or disappears, says why, and quits cleanly', async () => {
    const file = write('live.save', seed);
    const s = new PtySession([file, '--interval', '1']);
    await s.waitFor((t) => t.includes('5 service ports'), 'the services screen');
    writeFileSync(file, '<html><body>502 Bad Gateway</body></html>\n');
    await s.waitFor((t) => t.includes('this looks like HTML'), 'the failed refresh (HTML)');
    writeFileSync(file, gzipSync(seed));
    await s.waitFor((t) => t.includes('gzip-compressed'), 'the failed refresh (gzip)');
    unlinkSync(file);
    await s.waitFor((t) => t.includes('no such file'), 'the failed refresh (file gone)');
    // Still the last good dump's services on screen.
    const frame = s.text().slice(s.text().lastIndexOf('no such file') - 3000);
    expect(frame).toContain('default/nginx');
    s.send('q');
    expect(await s.exit()).toBe(0);
    expectTerminalRestored(s.text(), 'live');
    expect(count(s.text(), ENTER_ALT_SCREEN)).toBe(1);
  }, 60_000);
});
