/**
 * QuickLine's contract with the full reader (parseConntrack): a line it accepts is one the full
 * reader reads without a warning, to the same entry. Checked on every fixture line, on generated
 * lines of every form, and on thousands of mutations of them (characters deleted, doubled,
 * replaced, words inserted): the quick reader may refuse anything, never accept a line differently.
 * parseConntrack (which lets QuickLine read the lines it takes) must equal the full reader alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConntrack } from '../../src/core/index.js';
import {
  asciiBytes,
  ORIGINAL_DPORT,
  ORIGINAL_DST,
  ORIGINAL_SRC,
  QUICK_PROTOCOLS,
  QuickLine,
  REPLY_DST,
  REPLY_SPORT,
  REPLY_SRC,
} from '../../src/core/conntrack/quick-line.js';
import { STATE_NAMES } from '../../src/core/conntrack/names.js';
import { fixturesDir } from '../helpers/paths.js';
import { parseInFull } from './full-reader.js';

const dotted = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');

/** What the quick reader read from `line`, in the full reader's terms; null when it refused. */
function quickRead(line: string) {
  const bytes = asciiBytes(line);
  if (bytes === null) return null;
  const q = new QuickLine(bytes);
  if (!q.read(0, line.length)) return null;
  const f = q.fields;
  return {
    protocol: QUICK_PROTOCOLS[q.protocol],
    state: q.state < 0 ? null : STATE_NAMES[q.state],
    original: { src: dotted(f[ORIGINAL_SRC]!), dst: dotted(f[ORIGINAL_DST]!), dport: f[ORIGINAL_DPORT] },
    reply: { src: dotted(f[REPLY_SRC]!), dst: dotted(f[REPLY_DST]!), sport: f[REPLY_SPORT] },
    unreplied: q.unreplied,
    assured: q.assured,
  };
}

/** The same of the full reader's reading, or the warnings it gave. */
function fullRead(line: string) {
  const { entries, warnings } = parseInFull(line, 'f');
  if (warnings.length > 0 || entries.length !== 1 || entries[0]!.family !== 'ipv4') return { warnings, entries: entries.length };
  const e = entries[0]!;
  return {
    protocol: e.protocol,
    state: e.state,
    original: { src: e.original.src, dst: e.original.dst, dport: e.original.dport },
    reply: { src: e.reply.src, dst: e.reply.dst, sport: e.reply.sport },
    unreplied: e.unreplied,
    assured: e.assured,
  };
}

function rng(seed: number): () => number {
  let state = seed * 2654435761;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
}

function generatedLines(rand: () => number, count: number): string[] {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const ip = () => pick(['10.244.1.9', '192.168.0.10', '255.255.255.255', '0.0.0.0', '127.0.0.1', '10.96.0.1', '198.51.100.7']);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const protocol = pick(['tcp', 'udp', 'sctp']);
    const state = protocol === 'udp' ? '' : `${pick(['ESTABLISHED', 'TIME_WAIT', 'SYN_SENT2', 'COOKIE_ECHOED', 'HEARTBEAT_ACKED'])} `;
    const family = pick(['', 'ipv4     2 ']);
    const timeout = pick(['431999 ', '0 ', '']);
    const between = pick(['', '[UNREPLIED] ']);
    const tail = pick(['[ASSURED] mark=0 use=1', 'mark=0 zone=0 use=2', '[OFFLOAD] mark=4294967295 secctx=x:y use=1', '', '[UNREPLIED] [ASSURED] delta-time=7']);
    lines.push(
      `${family}${protocol}${pick([' ', '      '])}${protocol === 'tcp' ? 6 : 17} ${timeout}${state}src=${ip()} dst=${ip()} sport=${pick([0, 1, 65535, 443])} dport=${pick([0, 80, 65535])} ` +
        `${between}src=${ip()} dst=${ip()} sport=${pick([8080, 0, 65535])} dport=${pick([1, 65535])}${tail ? ` ${tail}` : ''}`,
    );
  }
  return lines;
}

const EDITS = [' ', '  ', '\t', '=', '[', ']', '.', '0', '00', '9', '6', ':', 'a', 'Z', '_', '-', '\r', 'x=1', ' src=1.2.3.4', ' dst=1.2.3.4', ' mark=x', ' mark=', ' [X]', ' []', ' [ASSURED]', ' dport=1', ' zone=1', ' =1', ' ipv4'];

/** One to three edits: a character deleted, doubled or replaced, or a word inserted. */
function mutated(line: string, rand: () => number): string {
  const times = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < times; k++) {
    const at = Math.floor(rand() * (line.length + 1));
    const r = rand();
    const edit = EDITS[Math.floor(rand() * EDITS.length)]!;
    if (r < 0.25) line = line.slice(0, at) + line.slice(at + 1);
    else if (r < 0.4) line = line.slice(0, at) + (line[at] ?? '') + line.slice(at);
    else if (r < 0.7) line = line.slice(0, at) + edit + line.slice(at + 1);
    else line = line.slice(0, at) + edit + line.slice(at);
  }
  return line;
}

const fixtureLines = readdirSync(path.join(fixturesDir, 'conntrack'))
  .filter((f) => f.endsWith('.txt'))
  .flatMap((f) => readFileSync(path.join(fixturesDir, 'conntrack', f), 'utf8').split('\n'));

describe('QuickLine accepts only what the full reader reads the same way', () => {
  it('takes the fixtures\' IPv4 TCP/UDP/SCTP lines and refuses the rest (IPv6, ICMP, trailers)', () => {
    let taken = 0;
    for (const line of fixtureLines) {
      const quick = quickRead(line);
      const full = parseConntrack(line, 'f').entries[0];
      const quickShape = full !== undefined && full.family === 'ipv4' && ['tcp', 'udp', 'sctp'].includes(full.protocol);
      expect(quick !== null, line).toBe(quickShape);
      if (quick) {
        expect(quick, line).toEqual(fullRead(line));
        taken++;
      }
    }
    expect(taken).toBeGreaterThan(10);
  });

  it('reads generated lines of every form as the full reader does', () => {
    const lines = generatedLines(rng(1), 2000);
    for (const line of lines) expect(quickRead(line), line).toEqual(fullRead(line));
    // Whole tables too: entries (timeouts, marks, both ports, line numbers), warnings, trailer count.
    const table = [...lines, ...fixtureLines, ...lines.map((l) => mutated(l, rng(3)))].join('\n');
    expect(asciiBytes(table)).not.toBeNull();
    expect(parseConntrack(table, 'f')).toEqual(parseInFull(table, 'f'));
  });

  it('on 40,000 mutated lines, never accepts one the full reader warns about or reads otherwise', () => {
    const rand = rng(7);
    const bases = [...fixtureLines.filter((l) => l.startsWith('tcp') || l.startsWith('udp') || l.startsWith('ipv4')), ...generatedLines(rand, 200)];
    let accepted = 0;
    let refused = 0;
    let acceptedChanged = 0;
    for (let i = 0; i < 40_000; i++) {
      const base = bases[i % bases.length]!;
      const line = mutated(base, rand);
      const quick = quickRead(line);
      if (quick === null) {
        refused++;
        continue;
      }
      accepted++;
      if (line !== base) acceptedChanged++;
      expect(quick, JSON.stringify(line)).toEqual(fullRead(line));
      // And parseConntrack, which lets QuickLine read such lines, makes the full reader's entry of it.
      expect(parseConntrack(line, 'f'), JSON.stringify(line)).toEqual(parseInFull(line, 'f'));
    }
    // Not vacuous: many mutations still read (a changed port, an added tolerated word), many are refused.
    expect(accepted).toBeGreaterThan(2000);
    expect(refused).toBeGreaterThan(10_000);
    expect(acceptedChanged).toBeGreaterThan(2000);
  });

  it('reads nothing past the line it is given (the next line starts right after its end)', () => {
    const text = 'tcp 6 1 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 src=2.2.2.2 dst=1.1.1.1 sport=2 dport=1\n mark=0\n';
    const q = new QuickLine(asciiBytes(text)!);
    expect(q.read(0, text.indexOf('\n'))).toBe(true);
    // Cut inside the reply tuple: refused, though the bytes after the cut would complete it.
    expect(q.read(0, text.indexOf(' dport=1'))).toBe(false);
    expect(q.read(0, text.indexOf('dst=2.2.2.2') + 6)).toBe(false);
  });

  it('is not used on a text that is not all ASCII (offsets would not be characters)', () => {
    expect(asciiBytes('tcp 6 src=1.1.1.1 …')).toBeNull();
    expect(asciiBytes('tcp 6')).not.toBeNull();
  });
});
