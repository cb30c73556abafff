/**
 * `trace` and `which` on a dump with a match nobody can decide from it (-m set): cases shown as
 * "if …" groups, chances summing to 1 within each, and `--assume` to decide it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, run } from './harness.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-assume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** seed-clusterip with a raw rule that drops sources in an ipset: undecidable from the dump. */
const dump = path.join(tmp, 'blocked.save');
writeFileSync(
  dump,
  readFileSync(fixture('seed-clusterip.save'), 'utf8') +
    ['*raw', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -m set --match-set BLOCKED src -j DROP', 'COMMIT', ''].join('\n'),
);
const DNS = ['--dst', '10.32.0.10:53', '--proto', 'udp'];

interface TraceJson {
  outcomes: { probability: number; verdict: string; dnat: string | null; assumptions: string[]; case: string[] }[];
  cases: { assumes: string[]; outcomes: number[] }[];
  notes: string[];
}

describe('trace with an undecided match', () => {
  it('shows one "if …" group per case, each summing to 100%', async () => {
    const r = await run(['trace', dump, ...DNS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3 outcomes in 2 cases');
    const groups = r.stdout.split(/\n(?=if )/).slice(1);
    expect(groups.map((g) => g.split('\n')[0])).toEqual([
      'if set --match-set BLOCKED src is true:',
      'if set --match-set BLOCKED src is false:',
    ]);
    expect([...groups[0]!.matchAll(/^outcome \d+: (\S+)  (\w+)/gm)].map((m) => [m[1], m[2]])).toEqual([['100%', 'DROP']]);
    expect([...groups[1]!.matchAll(/^outcome \d+: (\S+)  (\w+)/gm)].map((m) => [m[1], m[2]])).toEqual([
      ['50%', 'ACCEPT'],
      ['50%', 'ACCEPT'],
    ]);
  });

  it('--json keeps the outcome fields and adds case and cases', async () => {
    const r = await run(['trace', dump, ...DNS, '--json']);
    const j = JSON.parse(r.stdout) as TraceJson;
    for (const o of j.outcomes) expect(Object.keys(o)).toEqual(expect.arrayContaining(['probability', 'verdict', 'dnat', 'masquerade', 'path', 'assumptions', 'reason', 'case']));
    expect(j.cases.map((c) => c.assumes)).toEqual([['set --match-set BLOCKED src=true'], ['set --match-set BLOCKED src=false']]);
    for (const c of j.cases) expect(c.outcomes.reduce((s, i) => s + j.outcomes[i]!.probability, 0)).toBeCloseTo(1, 9);
    expect(j.outcomes.map((o) => o.case)).toEqual([
      ['set --match-set BLOCKED src=true'],
      ['set --match-set BLOCKED src=false'],
      ['set --match-set BLOCKED src=false'],
    ]);
  });

  it('--assume decides it: one case, named in the assumptions', async () => {
    const r = await run(['trace', dump, ...DNS, '--assume', 'match-set BLOCKED=false', '--json']);
    const j = JSON.parse(r.stdout) as TraceJson;
    expect(j.cases).toEqual([{ assumes: [], outcomes: [0, 1] }]);
    expect(j.outcomes.map((o) => [o.verdict, o.probability])).toEqual([['ACCEPT', 0.5], ['ACCEPT', 0.5]]);
    expect(j.outcomes[0]!.assumptions).toContain("raw PREROUTING rule 1: -m set --match-set BLOCKED src taken as false (--assume 'match-set BLOCKED=false')");
    const text = await run(['trace', dump, ...DNS, '--assume=--match-set BLOCKED=true']);
    expect(text.stdout).toContain('1 outcome\n');
    expect(text.stdout).toContain('outcome 1: 100%  DROP');
  });

  it('an --assume that names nothing the packet met is a note, not silence', async () => {
    const r = await run(['trace', dump, ...DNS, '--assume', 'match-set BLOKED=false']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("note: --assume 'match-set BLOKED=false' named no match this packet met");
    const j = JSON.parse((await run(['trace', dump, ...DNS, '--assume', 'owner=true', '--json'])).stdout) as TraceJson;
    expect(j.notes).toContain("--assume 'owner=true' named no match this packet met");
  });

  it('refuses a malformed --assume with exit 2 and one line', async () => {
    for (const [bad, why] of [
      ['match-set BLOCKED', 'no "="'],
      ['match-set BLOCKED=maybe', 'neither true nor false'],
      ['! match-set BLOCKED=true', 'without "!"'],
      ['=false', 'no match named'],
    ] as const) {
      const r = await run(['trace', dump, ...DNS, '--assume', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(why);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
    expect((await run(['trace', dump, ...DNS, '--assume'])).code).toBe(2);
    expect((await run(['services', dump, '--assume', 'x=true'])).code).toBe(2);
  });

  it('is in trace --help', async () => {
    const r = await run(['trace', '--help']);
    expect(r.stdout).toContain("--assume 'EXPR=true|false'");
    expect(r.stdout).toContain('probabilities sum to 1 within each case');
  });
});

describe('which with an undecided match', () => {
  it('groups each entry point\'s outcomes by case', async () => {
    const r = await run(['which', 'kube-system/kube-dns:dns', dump]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.includes('if set --match-set BLOCKED src is true:'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^ {6}100%\s+DROP/);
    expect(lines.some((l) => l === '    if set --match-set BLOCKED src is false:')).toBe(true);
    const j = JSON.parse((await run(['which', 'kube-system/kube-dns:dns', dump, '--json'])).stdout) as {
      services: { entryPoints: { cases: { assumes: string[] }[] }[] }[];
    };
    expect(j.services[0]!.entryPoints[0]!.cases.map((c) => c.assumes)).toEqual([
      ['set --match-set BLOCKED src=true'],
      ['set --match-set BLOCKED src=false'],
    ]);
  });

  it('--assume decides it for which too, and an unused one is a note', async () => {
    const r = await run(['which', 'kube-system/kube-dns:dns', dump, '--assume', 'match-set BLOCKED=true']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('if set --match-set');
    expect(r.stdout).toMatch(/^ {4}100%\s+DROP/m);
    const unused = await run(['which', 'kube-system/kube-dns:dns', dump, '--assume', 'owner --uid-owner 0=true']);
    expect(unused.stdout).toContain("note: --assume 'owner --uid-owner 0=true' named no match these packets met");
    expect((await run(['which', 'kube-system/kube-dns:dns', dump, '--assume', 'x'])).code).toBe(2);
  });
});
