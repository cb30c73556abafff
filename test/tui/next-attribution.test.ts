/**
 * The explorer attributes a conntrack table in slices; nextAttribution decides, when the table or
 * the rules change, whether what is shown answers already, whether the attribution under way
 * will, or whether to start again (dropping the one under way).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDumpModel, parseConntrack, parseDump, type ConntrackTable } from '../../src/core/index.js';
import { nextAttribution } from '../../src/tui/model/connections.js';
import type { ExplorerData } from '../../src/tui/model/explorer-data.js';
import { fixturesDir } from '../helpers/paths.js';

const read = (...parts: string[]) => readFileSync(path.join(fixturesDir, ...parts), 'utf8');
/** What attribution reads of the explorer's data: the model and the node addresses. */
const dataOf = (file: string, nodeAddresses: string[] = ['172.16.1.10']) =>
  ({ model: buildDumpModel(parseDump(read(file))), nodeAddresses }) as unknown as ExplorerData;

const rules = dataOf('seed-nodeport-cluster.save');
/** A refresh that brought new counts only: other objects, the same services and addresses. */
const recounted = dataOf('seed-nodeport-cluster.save');
/** Rules that attribute otherwise. */
const otherRules = dataOf('multi-endpoint.save');
const t1: ConntrackTable = parseConntrack(read('conntrack', 'seed-nodeport-cluster.plain.txt'), 'a');
const t2: ConntrackTable = parseConntrack(read('conntrack', 'seed-nodeport-cluster.plain.txt'), 'b');

describe('nextAttribution', () => {
  it('nothing shown, nothing under way: start', () => {
    expect(nextAttribution(null, null, { table: t1, data: rules })).toBe('start');
  });

  it('the report shown answers for the same table under recounted rules: nothing to run', () => {
    expect(recounted).not.toBe(rules);
    expect(nextAttribution({ table: t1, data: rules }, null, { table: t1, data: recounted })).toBe('shown');
  });

  it('a new table, or rules that attribute otherwise: start again', () => {
    expect(nextAttribution({ table: t1, data: rules }, null, { table: t2, data: rules })).toBe('start');
    expect(nextAttribution({ table: t1, data: rules }, null, { table: t1, data: otherRules })).toBe('start');
    expect(nextAttribution({ table: t1, data: rules }, null, { table: t1, data: dataOf('seed-nodeport-cluster.save', []) })).toBe('start');
  });

  it('the attribution under way answers for recounted rules: it goes on, not restarted at every refresh', () => {
    expect(nextAttribution({ table: t1, data: rules }, { table: t2, data: rules }, { table: t2, data: recounted })).toBe('under-way');
  });

  it('one under way for other rules or another table: start again (the caller drops it)', () => {
    expect(nextAttribution({ table: t1, data: rules }, { table: t1, data: otherRules }, { table: t2, data: rules })).toBe('start');
    expect(nextAttribution(null, { table: t1, data: rules }, { table: t2, data: rules })).toBe('start');
  });

  it('rules back to those shown while one runs for other rules: the shown report answers (and the run is dropped, not left to overwrite it)', () => {
    expect(nextAttribution({ table: t1, data: rules }, { table: t1, data: otherRules }, { table: t1, data: recounted })).toBe('shown');
  });
});
