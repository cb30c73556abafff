/**
 * Random mutations of real nftables inputs (the corpus transactions and the captured kernel
 * listings, text and JSON) never make the reader throw: it always returns a ruleset whose
 * diagnostics point inside the input. parseNftables turns a thrown error into an "internal error"
 * diagnostic, so that message is checked for too: it would be a bug.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nftElementText, nftRuleText, parseNftables } from '../../src/core/index.js';
import { QUIRKS_RULESET } from './quirks.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.join(HERE, '..', 'corpus', 'kube-proxy', 'nftables');
const LISTINGS = path.join(HERE, 'listings');

const sources: string[] = [
  ...readdirSync(CORPUS)
    .filter((f) => f.endsWith('.nft'))
    .map((f) => readFileSync(path.join(CORPUS, f), 'utf8')),
  ...readdirSync(LISTINGS)
    .filter((f) => f.endsWith('.txt') || f.endsWith('.json'))
    .map((f) => readFileSync(path.join(LISTINGS, f), 'utf8')),
  QUIRKS_RULESET,
];

const SYNTAX = ['{', '}', '"', ';', ',', ':', ' . ', '#', '@', '\n', ' ', '-', '/', '[', ']', '==', '!=', 'vmap', 'table ', 'add ', '\\', '\u0000', '0x'];

type Mutation = { kind: 'delete' | 'insert' | 'duplicate' | 'truncate'; at: number; len: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'duplicate', 'truncate'),
  at: fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x),
  len: fc.integer({ min: 1, max: 40 }),
  text: fc.oneof(fc.constantFrom(...SYNTAX), fc.string({ maxLength: 6 })),
}) as fc.Arbitrary<Mutation>;

function mutate(src: string, mutations: readonly Mutation[]): string {
  let s = src;
  for (const m of mutations) {
    const at = Math.floor(m.at * s.length);
    if (m.kind === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.kind === 'insert') s = s.slice(0, at) + m.text + s.slice(at);
    else if (m.kind === 'duplicate') s = s.slice(0, at + m.len) + s.slice(at, at + m.len) + s.slice(at + m.len);
    else s = s.slice(0, at);
  }
  return s;
}

function check(text: string): void {
  const r = parseNftables(text);
  expect(Array.isArray(r.tables)).toBe(true);
  const lines = text.split('\n').length;
  for (const d of r.diagnostics) {
    expect(d.message).not.toMatch(/^internal error/);
    expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines).toBe(true);
    expect(Number.isInteger(d.column) && d.column >= 1).toBe(true);
  }
  // whatever was read can be shown
  for (const t of r.tables) {
    for (const c of t.chains) for (const rule of c.rules) expect(typeof nftRuleText(rule.expr, rule.comment)).toBe('string');
    for (const s of t.sets) for (const e of s.elements) expect(typeof nftElementText(e)).toBe('string');
  }
}

describe('nftables reader under random mutations', () => {
  it('never throws on mutated corpus files and kernel listings', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: sources.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, ms) => {
        check(mutate(sources[i]!, ms));
      }),
      { numRuns: 600, seed: 20261206 },
    );
  });

  it('never throws on every prefix of a listing (truncated input)', () => {
    const text = readFileSync(path.join(LISTINGS, 'quirks.list-a.txt'), 'utf8');
    for (let n = 0; n <= text.length; n += 7) check(text.slice(0, n));
    const json = readFileSync(path.join(LISTINGS, 'quirks.list.json'), 'utf8');
    for (let n = 0; n <= json.length; n += 97) check(json.slice(0, n));
  });
});

describe('nft -j with statements of any shape', () => {
  it('reads and renders valid JSON of unexpected shapes without throwing', () => {
    const known = fc.constantFrom('match', 'vmap', 'mangle', 'dnat', 'snat', 'masquerade', 'reject', 'set', 'counter', 'jump', 'goto', 'log', 'limit', 'queue', 'xt', 'payload', 'meta', 'concat', 'prefix', 'range', 'fib', 'numgen', '&', 'elem', 'map');
    const shaped = fc.tuple(known, fc.jsonValue({ maxDepth: 4 })).map(([k, v]) => ({ [k]: v }));
    const statement = fc.oneof(shaped, fc.jsonValue({ maxDepth: 3 }));
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), (expr, elem) => {
        const text = JSON.stringify({
          nftables: [
            { table: { family: 'ip', name: 't', handle: 1 } },
            { chain: { family: 'ip', table: 't', name: 'c', handle: 2, hook: 'input', prio: 'filter', type: 'filter' } },
            { rule: { family: 'ip', table: 't', chain: 'c', handle: 3, expr } },
            { map: { family: 'ip', table: 't', name: 'm', handle: 4, type: 'ipv4_addr', map: 'verdict', elem: [elem, [elem, elem]] } },
          ],
        });
        check(text);
      }),
      { numRuns: 400, seed: 1206 },
    );
  });
});
