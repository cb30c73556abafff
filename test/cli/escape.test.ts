import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { escapeForTerminal, hasControlCharacters } from '../../src/core/escape.js';
import { fixture, run } from './harness.js';
import { KEY, renderApp, textData } from '../tui/harness.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-escape-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Anything a terminal would act on: C0 controls (but not the newline between lines), DEL, C1. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** What must be shown escaped, written out independently of src/core/escape.ts: [first, last] code points. */
const UNSAFE: readonly [number, number][] = [
  [0x0000, 0x001f], // C0 controls
  [0x007f, 0x009f], // DEL, C1 controls
  [0x061c, 0x061c], // ARABIC LETTER MARK
  [0x200e, 0x200f], // LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
  [0x2028, 0x2029], // LINE SEPARATOR, PARAGRAPH SEPARATOR
  [0x202a, 0x202e], // LRE, RLE, PDF, LRO, RLO
  [0x2066, 0x2069], // LRI, RLI, FSI, PDI
  [0xd800, 0xdfff], // surrogates: String.fromCodePoint of one is a lone surrogate
];
/** Raw, on a terminal: the controls above and the bidi formatting characters and separators. */
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const hex = (c: number, width: number) => c.toString(16).padStart(width, '0');

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

  it('over every code point U+0000..U+10FFFF escapes exactly the controls, bidi formatting characters, separators and lone surrogates', () => {
    const mismatches: string[] = [];
    let escaped = 0;
    for (let c = 0; c <= 0x10ffff; c++) {
      const ch = String.fromCodePoint(c);
      const want = UNSAFE.some(([lo, hi]) => c >= lo && c <= hi) ? (c <= 0xff ? '\\x' + hex(c, 2) : '\\u' + hex(c, 4)) : ch;
      const got = escapeForTerminal(`<${ch}>`);
      if (got !== `<${want}>` || hasControlCharacters(ch) !== (want !== ch)) mismatches.push(`U+${hex(c, 4)}: ${JSON.stringify(got)}`);
      if (want !== ch) escaped++;
      if (mismatches.length > 20) break;
    }
    expect(mismatches).toEqual([]);
    // 65 controls, 3 marks, 2 separators, 5 embeddings and overrides, 4 isolates, 2048 surrogates.
    expect(escaped).toBe(65 + 3 + 2 + 5 + 4 + 2048);
  });

  it('keeps a surrogate pair (a character above U+FFFF) and escapes a surrogate out of one', () => {
    expect(escapeForTerminal('a\ud83d\ude00b')).toBe('a\ud83d\ude00b');
    expect(escapeForTerminal('a\ud83db')).toBe('a\\ud83db');
    expect(escapeForTerminal('a\ude00b')).toBe('a\\ude00b');
    expect(escapeForTerminal('\ude00\ud83d')).toBe('\\ude00\\ud83d');
    expect(escapeForTerminal('\ud83d\ud83d\ude00')).toBe('\\ud83d\ud83d\ude00');
  });

  it('shows a "Trojan Source" comment in the order the dump holds it', () => {
    // U+202E reverses what follows on screen: "allow" would read "wolla" after an override.
    expect(escapeForTerminal('kc/a\u202edrop\u202c\u2066x\u2069\u2028y\u2029\u200e\u200f\u061c')).toBe(
      'kc/a\\u202edrop\\u202c\\u2066x\\u2069\\u2028y\\u2029\\u200e\\u200f\\u061c',
    );
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

describe('bidi formatting characters and separators from a dump', () => {
  // A comment that would read backwards after U+202E, inside an isolate, split by U+2028/2029.
  const bidi = 'default/nginx\u202egnp.exe\u202c\u2066x\u2069\u2028\u2029\u200f';
  const shown = 'default/nginx\\u202egnp.exe\\u202c\\u2066x\\u2069\\u2028\\u2029\\u200f';
  const text = readFileSync(fixture('seed-nodeport-cluster.save'), 'utf8').replace(
    'masquerade traffic for default/nginx external destinations',
    `masquerade traffic for ${bidi} external destinations`,
  );
  const file = path.join(tmp, 'bidi.save');
  writeFileSync(file, text);

  it('the CLI shows them escaped, and --json escapes them as \\uNNNN with the value exact', async () => {
    const r = await run(['chain', 'KUBE-EXT-2CMXP7HKUVJN7L6M', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`masquerade traffic for ${shown} external destinations`);
    expect(RAW_UNSAFE.test(r.stdout)).toBe(false);
    const j = await run(['chain', 'KUBE-EXT-2CMXP7HKUVJN7L6M', file, '--json']);
    expect(RAW_UNSAFE.test(j.stdout)).toBe(false);
    expect(j.stdout).toContain('\\u202e');
    const parsed = JSON.parse(j.stdout) as { chains: { rules: { summary: string }[] }[] };
    expect(parsed.chains[0]!.rules[0]!.summary).toBe(`/* masquerade traffic for ${bidi} external destinations */`);
  });

  it('the explorer shows them escaped on the chain screen', async () => {
    const app = await renderApp({ data: textData(text, 'bidi.save'), color: false }, { columns: 200, rows: 24 });
    try {
      await app.press(':', ...'chain KUBE-EXT-2CMXP7HKUVJN7L6M', KEY.enter);
      const f = await app.waitFor((x) => x.includes('nat KUBE-EXT-2CMXP7HKUVJN7L6M · '), 'the chain screen');
      expect(f).toContain(shown);
      expect(RAW_UNSAFE.test(f)).toBe(false);
    } finally {
      app.unmount();
    }
  });
});
