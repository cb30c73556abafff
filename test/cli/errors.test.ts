import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { guard } from '../../src/cli/run.js';
import { fixture, run } from './harness.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-errors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const seed = readFileSync(fixture('seed-nodeport-cluster.save'), 'utf8');

describe('bad input', () => {
  it('names file, line and column of a parse error and exits 2', async () => {
    // An unbalanced quote on the KUBE-NODEPORTS rule.
    const broken = seed.replace('--comment "default/nginx" -m tcp --dport 30783', '--comment "default/nginx -m tcp --dport 30783');
    const lineNo = broken.split('\n').findIndex((l) => l.includes('-A KUBE-NODEPORTS')) + 1;
    const file = write('quote.save', broken);
    for (const cmd of [['services'], ['chain', 'KUBE-SERVICES'], ['which', 'nginx'], ['trace', '--dst', '10.32.0.61:80']]) {
      const r = await run([...cmd, file]);
      expect(r.code, cmd.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^${escapeRe(file)}:${lineNo}:\\d+: error: `));
      expect(lines.length).toBeLessThanOrEqual(6);
    }
  });

  it('reports a truncated dump (no COMMIT) at its end', async () => {
    const truncated = seed.slice(0, seed.lastIndexOf('COMMIT'));
    const r = await run(['services', write('truncated.save', truncated)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/truncated\.save:\d+:1: error: truncated dump: table nat/);
  });

  it('shows at most five errors, then how many more', async () => {
    const lines = ['*nat', ':PREROUTING ACCEPT [0:0]'];
    for (let i = 0; i < 8; i++) lines.push(`bogus line ${i}`);
    lines.push('COMMIT', '');
    const r = await run(['services', write('many.save', lines.join('\n'))]);
    expect(r.code).toBe(2);
    const err = r.stderr.trimEnd().split('\n');
    expect(err).toHaveLength(6);
    expect(err.slice(0, 5).every((l) => /many\.save:\d+:\d+: error: /.test(l))).toBe(true);
    expect(err[5]).toBe('… and 3 more errors');
  });

  it('prints warnings (at most five and a count) and carries on', async () => {
    const extra = Array.from({ length: 7 }, (_, i) => `-A KUBE-SERVICES -d 10.99.0.${i}/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-MISSING${i}`).join('\n');
    const text = seed.replace(/(\*nat[\s\S]*?)COMMIT/, (_m, body: string) => `${body}${extra}\nCOMMIT`);
    const r = await run(['chain', 'KUBE-SEP-YVT6EXXEKT4LDXBC', write('warn.save', text)]);
    expect(r.code).toBe(0);
    const err = r.stderr.trimEnd().split('\n');
    expect(err).toHaveLength(6);
    expect(err[0]).toMatch(/warn\.save:\d+:\d+: warning: jump to KUBE-SVC-MISSING0/);
    expect(err[5]).toBe('… and 2 more warnings');
    expect(r.stdout).toContain('Chain KUBE-SEP-YVT6EXXEKT4LDXBC');
  });

  it.each([
    ['an empty file', '', /empty\.save:1:1: error: empty input/],
    ['HTML', '<!doctype html>\n<html></html>\n', /html\.save:1:1: error: this looks like HTML/],
    ['binary data', '*nat\n\u0000\u0001\u0002\nCOMMIT\n', /binary\.save:2:1: error: binary data/],
  ])('refuses %s with exit 2', async (_what, text, message) => {
    const name = { '': 'empty', '<': 'html', '*': 'binary' }[text.charAt(0)] ?? 'x';
    const r = await run(['services', write(`${name}.save`, text)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('refuses a missing file and a directory in one line, exit 2', async () => {
    for (const p of [path.join(tmp, 'missing.save'), tmp]) {
      const r = await run(['services', p]);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^kubechains: .*(no such file|is a directory)/);
    }
  });

  it('explains a usage error in one line with a hint to --help, exit 2', async () => {
    const r = await run(['trace', fixture('seed-clusterip.save'), '--dst', '10.0.0.1:99999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('kubechains: --dst 10.0.0.1:99999: port 99999 is outside 1-65535 (see kubechains trace --help)\n');
    const unknown = await run(['--frobnicate']);
    expect(unknown.stderr).toBe('kubechains: unknown option --frobnicate (see kubechains --help)\n');
  });
});

describe('help and version', () => {
  it('prints overall and per-command help, exit 0', async () => {
    const all = await run(['--help']);
    expect(all.code).toBe(0);
    for (const c of ['services', 'which', 'chain', 'trace']) expect(all.stdout).toContain(`kubechains ${c}`);
    for (const c of ['services', 'which', 'chain', 'trace']) {
      const h = await run([c, '-h']);
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^Usage: kubechains ${c} `));
    }
    expect((await run(['help', 'trace'])).stdout).toMatch(/^Usage: kubechains trace /);
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(path.resolve(fixture('..'), 'package.json'), 'utf8')) as { version: string };
    const r = await run(['--version']);
    expect(r.stdout).toBe(`kubechains ${pkg.version}\n`);
  });
});

describe('internal errors', () => {
  const capture = () => {
    const out = { text: '', write: (s: string) => ((out.text += s), true) };
    const err = { text: '', write: (s: string) => ((err.text += s), true) };
    return { out, err };
  };

  it('turn into one line and exit 70, with the stack only under KUBECHAINS_DEBUG=1', async () => {
    const boom = () => Promise.reject(new Error('boom\nsecond line'));
    const { out, err } = capture();
    const code = await guard(boom, { stdout: out, stderr: err, stdin: process.stdin, env: {} });
    expect(code).toBe(70);
    expect(err.text).toBe('kubechains: internal error: boom\n');

    const debug = capture();
    expect(await guard(boom, { stdout: debug.out, stderr: debug.err, stdin: process.stdin, env: { KUBECHAINS_DEBUG: '1' } })).toBe(70);
    expect(debug.err.text).toMatch(/^kubechains: internal error: boom\nError: boom\nsecond line\n\s+at /);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
