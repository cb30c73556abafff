/**
 * The explorer reads a conntrack table and attributes it in slices, with keys served between
 * them: the sliced passes must give what the one-piece ones give, and pause where they say.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  attributeConnections,
  attributeConnectionsSteps,
  buildDumpModel,
  parseConntrack,
  parseConntrackSteps,
  parseDump,
} from '../../src/core/index.js';
import { parseConntrackText, parseConntrackTextSteps } from '../../src/sources/conntrack.js';
import { fixturesDir } from '../helpers/paths.js';
import { drainSteps } from '../helpers/steps.js';

const read = (...parts: string[]) => readFileSync(path.join(fixturesDir, ...parts), 'utf8');
const tables = readdirSync(path.join(fixturesDir, 'conntrack')).filter((f) => f.endsWith('.txt'));
/** Every fixture table, three times over: IPv4 and IPv6, all three forms, trailers, some 100 lines. */
const text = [1, 2, 3].flatMap(() => tables.map((f) => read('conntrack', f))).join('\n');

describe('conntrack in slices', () => {
  // The lines the parser visits: a final line break starts no line.
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

  it('parseConntrackSteps pauses after every slice of lines and reads what parseConntrack reads', () => {
    const whole = parseConntrack(text, 'f');
    expect(whole.entries.length).toBeGreaterThan(50);
    expect(whole.warnings).toEqual([]);
    for (const slice of [1, 7, 1000]) {
      const { value, pauses } = drainSteps(parseConntrackSteps(text, 'f', slice));
      expect(value).toEqual(whole);
      expect(pauses).toBe(Math.floor(lines / slice));
    }
  });

  it('parseConntrackTextSteps keeps each family once from the local source\'s two listings, as parseConntrackText', () => {
    const first = read('conntrack', 'dual-stack.plain.txt');
    const both = { text: `${first}${first}`, origin: 'f', takenAt: new Date(0), ipv6FromLine: first.split('\n').length };
    const { value, pauses } = drainSteps(parseConntrackTextSteps(both, 5));
    expect(value).toEqual(parseConntrackText(both));
    expect(pauses).toBeGreaterThan(2);
  });

  it('attributeConnectionsSteps pauses after every slice of entries and reports what attributeConnections reports', () => {
    const model = buildDumpModel(parseDump(read('seed-nodeport-cluster.save')));
    const table = parseConntrack(text, 'f');
    const opts = { nodeAddresses: ['172.16.1.10'] };
    const whole = attributeConnections(model, table, opts);
    expect(whole.services.some((s) => s.connections > 0)).toBe(true);
    for (const slice of [1, 4, 10_000]) {
      const { value, pauses } = drainSteps(attributeConnectionsSteps(model, table, opts, slice));
      expect(value).toEqual(whole);
      expect(pauses).toBe(Math.floor(table.entries.length / slice));
    }
  });
});
