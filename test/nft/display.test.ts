/**
 * nft rules through the views' Rule (core/nft-display): the text, verdict and position the
 * explorer shows are the nft rule's, in both listing forms.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nftDisplayTables, parseNftables } from '../../src/core/index.js';

const LISTINGS = path.join(__dirname, 'listings');

describe('nft rules as the views show them', () => {
  for (const file of ['TestOverallNFTablesRules.list.json', 'TestOverallNFTablesRules.list.txt']) {
    it(`${file}: each display rule shows its nft rule's text, verdict and place`, () => {
      const nft = parseNftables(readFileSync(path.join(LISTINGS, file), 'utf8'));
      expect(nft.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const tables = nftDisplayTables(nft);
      const rules = tables.flatMap((t) => t.rules);
      expect(rules.length).toBe(nft.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0));
      expect(rules.length).toBeGreaterThan(20);
      for (const r of rules) {
        expect(r.nft).toBeDefined();
        expect(r.text).toBe(r.nft!.text);
        expect(r.text).not.toBe('');
        expect([r.chain, r.index, r.line, r.counters]).toEqual([r.nft!.chain, r.nft!.index, r.nft!.line, r.nft!.counters]);
        expect(r.args).toEqual([]);
      }
      const goto = rules.find((r) => / goto [^\s]+$/.test(r.text));
      expect(goto).toMatchObject({ goto: true });
      expect(goto!.text.endsWith(`goto ${goto!.target}`)).toBe(true);
      const jump = rules.find((r) => / jump [^\s]+$/.test(r.text));
      expect(jump).toMatchObject({ goto: false });
      expect(jump!.text.endsWith(`jump ${jump!.target}`)).toBe(true);
    });
  }
});
