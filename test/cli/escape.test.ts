import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeForTerminal, hasControlCharacters } from '../../src/core/escape.js';
import { fixture, run } from './harness.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-escape-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Anything a terminal would act on: C0 controls (but not the newline between lines), DEL, C1. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('escapeForTerminal', () => {
  it('turns control characters, DEL and C1 controls into \\xNN and keeps the rest', () => {
    expect(escapeForTerminal('a\u001b[31mred\u0007')).toBe('a\\x1b[31mred\\x07');
    expect(escapeForTerminal('\u0000\t\n\r\u007f\u009b')).toBe('\\x00\\x09\\x0a\\x0d\\x7f\\x9b');
    expect(escapeForTerminal('default/nginx -> 10.64.2.4:80 ünïcode …')).toBe('default/nginx -> 10.64.2.4:80 ünïcode …');
    expect(hasControlCharacters('plain')).toBe(false);
    expect(hasControlCharacters('x\u001by')).toBe(true);
    // The test's regexp state must not leak between calls.
    expect(hasControlCharacters('x\u001by')).toBe(true);
  });

  it('never leaves a raw control character, whatever the input', () => {
    for (let c = 0; c < 0x200; c++) {
      const s = escapeForTerminal(`<${String.fromCharCode(c)}>`);
      expect(RAW_CONTROL.test(s) || s.includes('\n'), `U+${c.toString(16)}`).toBe(false);
    }
  });
});

describe('dump text on the terminal', () => {
  // A comment that would turn the screen red, ring the bell and retitle the window.
  const evil = 'default/nginx\u001b[31m\u0007\u001b]0;pwned\u0007';
  const file = path.join(tmp, 'evil.save');
  writeFileSync(
    file,
    readFileSync(fixture('seed-nodeport-cluster.save'), 'utf8').replace(
      'masquerade traffic for default/nginx external destinations',
      `masquerade traffic for ${evil} external destinations`,
    ),
  );

  it.each([
    ['chain', ['chain', 'KUBE-EXT-2CMXP7HKUVJN7L6M', file]],
    ['trace', ['trace', file, '--dst', '172.16.1.10:30783', '--node-ip', '172.16.1.10']],
    ['which', ['which', 'default/nginx', file, '--node-ip', '172.16.1.10']],
  ])('%s shows it escaped', async (_name, argv) => {
    const r = await run(argv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('default/nginx\\x1b[31m\\x07\\x1b]0;pwned\\x07');
    expect(RAW_CONTROL.test(r.stdout)).toBe(false);
  });

  it('--json keeps the text exact, escaped by JSON', async () => {
    const r = await run(['chain', 'KUBE-EXT-2CMXP7HKUVJN7L6M', file, '--json']);
    expect(RAW_CONTROL.test(r.stdout)).toBe(false);
    const j = JSON.parse(r.stdout) as { chains: { rules: { summary: string }[] }[] };
    expect(j.chains[0]!.rules[0]!.summary).toBe(`/* masquerade traffic for ${evil} external destinations */`);
  });

  it('escapes diagnostics and usage errors too', async () => {
    const bad = path.join(tmp, 'bad.save');
    writeFileSync(bad, '*nat\n\u001b[2Jclear the screen\nCOMMIT\n');
    const r = await run(['services', bad]);
    expect(r.code).toBe(2);
    expect(RAW_CONTROL.test(r.stderr)).toBe(false);
    const usage = await run(['chain', 'X\u001b[2J', fixture('seed-clusterip.save')]);
    expect(usage.code).toBe(1);
    expect(RAW_CONTROL.test(usage.stderr)).toBe(false);
    expect(usage.stderr).toMatch(/\\u001b\[2J|\\x1b\[2J/);
  });
});
