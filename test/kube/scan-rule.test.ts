/** The rewritten scanRule reads every rule exactly as the version it replaced (reference-scan.ts). */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanRule } from '../../src/core/kube/scan.js';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { generateKubeProxyRules, randomClusterSpec } from '../../src/gen/kubeproxy.js';
import { corpusDir, fixturesDir } from '../helpers/paths.js';
import { referenceScanRule } from './reference-scan.js';

function ruleTexts(text: string): string[] {
  return parseIptablesSave(text).tables.flatMap((t) => t.rules.map((r) => r.text));
}

const dumps = [
  ...readdirSync(fixturesDir).filter((f) => f.endsWith('.save')).map((f) => readFileSync(path.join(fixturesDir, f), 'utf8')),
  ...readdirSync(corpusDir).filter((f) => f.endsWith('.dump')).map((f) => readFileSync(path.join(corpusDir, f), 'utf8')),
];
const samples = [...new Set(dumps.flatMap(ruleTexts))];

const EDGES = [
  '-A X -m comment --comment "a \\"b\\" c" -j Y',
  '-A X -m comment --comment a\\ b -p tcp',
  '-A X -m comment --comment',
  '-A X -m comment --comment -j Y',
  '-A X -m comment --comment one two "three" ! -s 1.2.3.4 -j Y',
  '-A X -m comment --comment one "!" two -j Y',
  '-A X -m "comment" --comment x -m tcp --dport 80',
  '-A X -m',
  '-A X -p',
  '-A X -p ! tcp',
  '-A X ! -p tcp ! -d 10.0.0.1/32 ! -s 1.0.0.0/8 --dport 1:2',
  '-A X --protocol UDP --destination 1.1.1.1 --destination-port 53 -j Y',
  '-A X -m recent --rcheck --seconds 10 --reap --name A --mask 255.255.255.255 --rsource -j Y',
  '-A X -m recent --set --name A --rsource -j DNAT --to-destination 1.1.1.1:1',
  '-A X -m statistic --mode nth --every 3 --packet 0 -j Y',
  '-A X -m statistic ! --mode random --probability 0.5 -j Y',
  '-A X -m addrtype --src-type LOCAL --dst-type LOCAL -j Y',
  '-A X -j MASQUERADE --random-fully',
  '-A X -j Y --unknown value',
  '-A X \\-p tcp "-d" 1.1.1.1 -j Y',
  '-A X -p "" -d "" -j ""',
  '-A X --to-destination "[fd00::1]:80" -j DNAT',
  '-A X -p tcp\\',
  '-A X -p "tcp',
];

const word = fc.constantFrom(
  '-A', 'X', '-p', 'tcp', '!', '"', '\\', '-m', 'comment', '--comment', '"a b"', 'a', '-j', '-g', 'Y', '--dport', '80',
  '--rcheck', '--seconds', '10', '--mode', 'random', '--probability', '0.5', '-s', '-d', '1.1.1.1/32', '--to-destination',
  '--src-type', 'LOCAL', '--reap', '--set', '--update', '--random-fully', '-1', '""', '"!"', '\t', 'x\\ y',
);

describe('scanRule reads rules as the previous version did', () => {
  it('on every rule of the fixtures, the corpus and a generated dump', () => {
    const generated = ruleTexts(generateKubeProxyRules(randomClusterSpec({ seed: 3, services: 300 }), { form: 'save' }));
    const restore = ruleTexts(generateKubeProxyRules(randomClusterSpec({ seed: 4, services: 100 }), { form: 'restore', layout: 'legacy' }));
    for (const text of [...samples, ...generated, ...restore, ...EDGES]) {
      expect(scanRule(text), text).toEqual(referenceScanRule(text));
    }
  });

  it('on arbitrary word sequences and mutated rules', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(word, { maxLength: 24 }).map((ws) => ws.join(' ')),
          fc.tuple(fc.constantFrom(...samples, ...EDGES), fc.nat(200), fc.string({ maxLength: 4 })).map(([t, at, s]) => t.slice(0, at) + s + t.slice(at)),
        ),
        (text) => {
          expect(scanRule(text)).toEqual(referenceScanRule(text));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
