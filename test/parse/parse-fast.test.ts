/**
 * The parser's fast paths (src/core/parse/fast.ts, the plain chain declaration, the counters
 * scan) must give exactly what the full tokenize + parseRuleArgs path gives (`fastPaths: false`): the same rules,
 * options, counters, targets, and the same diagnostics at the same line and column. Every input
 * here is parsed both ways and compared field by field.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { generateKubeProxyRules, randomClusterSpec } from '../../src/gen/kubeproxy.js';
import { corpusDir, fixturesDir } from '../helpers/paths.js';
import { rulesetView } from '../helpers/ruleset-view.js';

function parseBothWays(text: string): { fast: unknown; full: unknown } {
  const fast = rulesetView(parseIptablesSave(text));
  const full = rulesetView(parseIptablesSave(text, { fastPaths: false }));
  return { fast, full };
}

function expectSame(text: string): void {
  const { fast, full } = parseBothWays(text);
  expect(fast).toEqual(full);
}

const corpusFiles = readdirSync(corpusDir).filter((f) => f.endsWith('.dump'));
const fixtureFiles = readdirSync(fixturesDir).filter((f) => f.endsWith('.save'));
const sampleLines = [
  ...corpusFiles.flatMap((f) => readFileSync(path.join(corpusDir, f), 'utf8').split('\n')),
  ...fixtureFiles.flatMap((f) => readFileSync(path.join(fixturesDir, f), 'utf8').split('\n')),
];

/** Rule and declaration lines that sit right at the edges of what the fast paths accept. */
const EDGE_LINES = [
  '[0:0] -A KUBE-SEP-X -p tcp -j DNAT --to-destination 10.0.0.1:80',
  '[00:0] -A KUBE-SEP-X -j ACCEPT',
  '[1:2]-A KUBE-SEP-X -j ACCEPT',
  '[1:2]\t -A KUBE-SEP-X -j ACCEPT',
  '[1:] -A KUBE-SEP-X -j ACCEPT',
  '[:1] -A KUBE-SEP-X -j ACCEPT',
  '[1:2 -A KUBE-SEP-X -j ACCEPT',
  '[12345678901234567890:98765432109876543210] -A KUBE-SEP-X -j ACCEPT',
  '--append KUBE-SEP-X -j ACCEPT',
  '"-A" KUBE-SEP-X -j ACCEPT',
  '-A "KUBE-SEP-X" -j ACCEPT',
  '-A KUBE-SEP-X -j "ACCEPT"',
  '-A KUBE-SEP-X -j AC\\CEPT',
  '-A KUBE-SEP-X -m comment --comment "a \\"quoted\\" word" -j ACCEPT',
  '-A KUBE-SEP-X -m comment --comment "unbalanced -j ACCEPT',
  '-A KUBE-SEP-X -m comment --comment "" -j ACCEPT',
  '-A KUBE-SEP-X -m comment --comment a b c -j ACCEPT',
  '-A KUBE-SEP-X ! -s 10.0.0.0/8 -j ACCEPT',
  '-A KUBE-SEP-X -s ! 10.0.0.0/8 -j ACCEPT',
  '-A KUBE-SEP-X -s ! ! 10.0.0.0/8 -j ACCEPT',
  '-A KUBE-SEP-X -s -j ACCEPT',
  '-A KUBE-SEP-X -s 1.1.1.1 2.2.2.2 -j ACCEPT',
  '-A KUBE-SEP-X -s "fd00::1" -j ACCEPT',
  '-A KUBE-SEP-X --source fd00::1/128 -j ACCEPT',
  '-A KUBE-SEP-X --src 10.0.0.1 --dst fd00::2 -j ACCEPT',
  '-A KUBE-SEP-X -f 1 -j ACCEPT',
  '-A KUBE-SEP-X --fragment -j ACCEPT',
  '-A KUBE-SEP-X -4 -6 -j ACCEPT',
  '-A KUBE-SEP-X -m -j ACCEPT',
  '-A KUBE-SEP-X --match tcp --dport 80 -j ACCEPT',
  '-A KUBE-SEP-X -j ACCEPT -j DROP',
  '-A KUBE-SEP-X -j',
  '-A KUBE-SEP-X --jump KUBE-SEP-Y',
  '-A KUBE-SEP-X --goto KUBE-SEP-Y',
  '-A KUBE-SEP-X -g KUBE-SEP-Y',
  '-A KUBE-SEP-X -j ! ACCEPT',
  '-A KUBE-SEP-X ! -j ACCEPT',
  '-A KUBE-SEP-X !',
  '-A KUBE-SEP-X ! !',
  '-A KUBE-SEP-X stray -j ACCEPT',
  '-A KUBE-SEP-X -p tcp -1 -j ACCEPT',
  '-A KUBE-SEP-X --protocol tcp udp -j ACCEPT',
  '-A KUBE-SEP-X --in-interface eth0 --out-interface eth1 -j ACCEPT',
  '-A KUBE-SEP-X -i -j ACCEPT',
  '-A KUBE-SEP-X',
  '-A',
  '-A UNDECLARED -j ACCEPT',
  '-A INPUT -j KUBE-SEP-X',
  '-A KUBE-SEP-X -j NOWHERE',
  '-I KUBE-SEP-X 1 -j ACCEPT',
  '-I KUBE-SEP-X -j ACCEPT',
  '-X KUBE-SEP-X',
  '-F KUBE-SEP-X',
  '-N KUBE-SEP-Z',
  '-A KUBE-SEP-Z -j KUBE-SEP-X',
  ':KUBE-SEP-X - [0:0]',
  ':KUBE-SEP-X - [1:2]',
  ':KUBE-SEP-X -',
  ':KUBE-SEP-X',
  ':KUBE-SEP-X  - [0:0]',
  ':KUBE-SEP-X - [0:0] ',
  ':KUBE-SEP-X [1:2] [3:4]',
  ':KUBE-SEP-X - [1:2]x',
  ':KUBE-SEP-Y ACCEPT [00:01]',
  ':INPUT ACCEPT [5:6]',
  '-A KUBE-SEP-X -p tcp\t-j\tACCEPT',
  '-A KUBE-SEP-X -p tcp -j ACCEPT\r',
  '-A KUBE-SEP-X -p tcp -j ACCEPT \u0000',
  '-A KUBE-SEP-X -m comment --comment "\u00e9t\u00e9" -j ACCEPT',
];

const dumpLine = fc.oneof(
  fc.constantFrom(...sampleLines),
  fc.constantFrom(...EDGE_LINES),
  fc.constantFrom('*nat', '*filter', 'COMMIT', ':KUBE-SEP-X - [0:0]', ':KUBE-SEP-Y - [0:0]'),
  fc.tuple(fc.constantFrom(...sampleLines, ...EDGE_LINES), fc.nat(160), fc.constantFrom('"', '\\', '!', ' ! ', ' -', ' --', ':', '\t', ' ', '[', ']', '0', '-j', ' -s ', ' -m ')).map(
    ([line, at, insert]) => line.slice(0, at) + insert + line.slice(at),
  ),
  fc.tuple(fc.constantFrom(...sampleLines, ...EDGE_LINES), fc.nat(160), fc.nat(8)).map(([line, at, n]) => line.slice(0, at) + line.slice(at + n)),
);

describe('the parser fast paths give what the full path gives', () => {
  it('on a generated kube-proxy dump (save form, counters, large-cluster mode)', () => {
    const spec = randomClusterSpec({ seed: 7, services: 400, maxEndpointsPerService: 10 });
    let k = 1;
    const text = generateKubeProxyRules(spec, {
      form: 'save',
      counters: () => [(k = (k * 48271) % 2147483647) % 1000, k],
      largeClusterThreshold: 200,
    });
    expectSame(text);
    expectSame(generateKubeProxyRules(spec, { form: 'restore', layout: 'legacy' }));
  });

  it('on every fixture and corpus dump', () => {
    for (const f of fixtureFiles) expectSame(readFileSync(path.join(fixturesDir, f), 'utf8'));
    for (const f of corpusFiles) expectSame(readFileSync(path.join(corpusDir, f), 'utf8'));
  });

  it('on each edge line inside a table', () => {
    for (const line of EDGE_LINES) {
      const text = ['*filter', ':INPUT ACCEPT [0:0]', ':KUBE-SEP-X - [0:0]', ':KUBE-SEP-Y - [0:0]', line, '[3:4] -A KUBE-SEP-X -j KUBE-SEP-Y', 'COMMIT', ''].join('\n');
      expectSame(text);
    }
  });

  it('on mutated dump lines in any order', () => {
    fc.assert(
      fc.property(fc.array(dumpLine, { maxLength: 40 }), (lines) => {
        expectSame(['*filter', ':KUBE-SEP-X - [0:0]', ...lines].join('\n'));
        expectSame(lines.join('\r\n'));
      }),
      { numRuns: 600 },
    );
  });

  it('reports an argument error at its column on a line with counters', () => {
    const rs = parseIptablesSave('*nat\n:FOO - [0:0]\n[5:6] -A FOO -p tcp foo -j ACCEPT\nCOMMIT\n');
    expect(rs.diagnostics).toEqual([
      { severity: 'error', message: 'unexpected word "foo" after -p', line: 3, column: '[5:6] -A FOO -p tcp '.length + 1 },
    ]);
  });
});
