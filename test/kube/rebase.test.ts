/**
 * A live refresh that brings the same rules with new counts carries the model over
 * (rebaseKubeModel) instead of deriving it again: the result must be exactly the model
 * buildKubeModel makes of the new dump — every service field, every endpoint's counters and
 * DNAT rule, every entry point's and blocking rule's rule — and any change to the rules must
 * make it refuse (null), so the explorer builds the model anew.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildKubeModel, rebaseKubeModel, rebaseKubeModelSteps, refreshKubeModelSteps, type KubeModel } from '../../src/core/kube/index.js';
import { counterpartChains, parseIptablesSave, type Rule } from '../../src/core/parse/index.js';
import { serviceJson } from '../../src/cli/json.js';
import { generateKubeProxyRules, randomClusterSpec } from '../../src/gen/kubeproxy.js';
import { corpusDir, fixturesDir } from '../helpers/paths.js';
import { drainSteps } from '../helpers/steps.js';

const ruleView = (r: Rule | null) => (r === null ? null : { table: r.table, chain: r.chain, index: r.index, line: r.line, text: r.text, counters: r.counters });

/** Everything a model says, rules behind it included, as plain data. */
function view(model: KubeModel) {
  return {
    layout: model.layout,
    ids: [...model.byId.keys()],
    services: model.services.map((s) => ({
      json: serviceJson(s),
      packets: s.packets,
      bytes: s.bytes,
      endpoints: s.endpoints.map((e) => ({ ...e, dnatRule: ruleView(e.dnatRule) })),
      entryPoints: s.entryPoints.map((e) => ({ kind: e.kind, address: e.address, port: e.port, protocol: e.protocol, rule: ruleView(e.rule) })),
      blockingRules: s.blockingRules.map(ruleView),
    })),
    owners: [...model.chainOwner.entries()].map(([k, s]) => [k, s.id, s.family]),
  };
}

/** The dump with every counter changed (some grown, some reset) and the header dates moved on. */
function recount(text: string, seed: number): string {
  let n = seed;
  return text
    .replace(/\[(\d+):(\d+)\]/g, (_, p: string, b: string) => {
      n = (n * 1103515245 + 12345) % 2147483648;
      return n % 7 === 0 ? '[0:0]' : `[${Number(p) + (n % 50)}:${Number(b) + (n % 50) * 90}]`;
    })
    .replace(/ on (\w{3} \w{3} +\d+ [\d:]+ \d{4})$/gm, ' on Sat Nov 28 10:00:00 2026');
}

function checkRebase(before: string, after: string): void {
  const a = parseIptablesSave(before);
  const b = parseIptablesSave(after);
  const rebased = rebaseKubeModel(buildKubeModel(a), a, b);
  expect(rebased).not.toBeNull();
  expect(view(rebased!)).toEqual(view(buildKubeModel(b)));
}

const fixtures = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.save')).sort();
const corpus = fs.readdirSync(corpusDir).filter((f) => f.endsWith('.dump')).sort();

describe('rebaseKubeModel: the same rules with new counters', () => {
  it.each(fixtures)('fixture %s', (file) => {
    const text = fs.readFileSync(path.join(fixturesDir, file), 'utf8');
    checkRebase(text, recount(text, 7));
  });

  it.each(corpus)('corpus %s', (file) => {
    const text = fs.readFileSync(path.join(corpusDir, file), 'utf8');
    // Corpus dumps have no counters: the new one gains them, and loses them again.
    const counted = text.replace(/^-A /gm, '[3:180] -A ');
    checkRebase(text, counted);
    checkRebase(counted, text);
  });

  it('takes counts, rules and line numbers from the new dump when lines moved', () => {
    const text = fs.readFileSync(path.join(fixturesDir, 'seed-nodeport-cluster.save'), 'utf8');
    checkRebase(text, '# a note\n\n' + recount(text, 3));
  });

  it('random clusters, current and legacy layouts (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), (seed, services, legacy) => {
        const spec = randomClusterSpec({ seed, services, maxEndpointsPerService: 6 });
        const text = generateKubeProxyRules(spec, { form: 'save', layout: legacy ? 'legacy' : 'current', counters: 'zero', largeClusterThreshold: 40 });
        checkRebase(text, recount(text, seed));
      }),
      { numRuns: 40 },
    );
  });
});

describe('rebaseKubeModel refuses when the rules differ', () => {
  const text = fs.readFileSync(path.join(fixturesDir, 'multi-endpoint.save'), 'utf8');
  const lines = text.split('\n');
  const ruleLines = lines.flatMap((l, i) => (l.startsWith('[') ? [i] : []));
  const declLines = lines.flatMap((l, i) => (l.startsWith(':') ? [i] : []));
  const edits: [string, (ls: string[]) => string[]][] = [
    ['a rule text changed', (ls) => ls.map((l, i) => (i === ruleLines[ruleLines.length - 3] ? l.replace(/-j \S+/, '-j RETURN') : l))],
    ['a comment inside a rule changed', (ls) => ls.map((l, i) => (i === ruleLines.find((j) => ls[j]!.includes('--comment')) ? l.replace('--comment "', '--comment "x') : l))],
    ['a rule removed', (ls) => ls.filter((_, i) => i !== ruleLines[ruleLines.length - 2])],
    ['a rule added', (ls) => ls.flatMap((l, i) => (i === ruleLines[4] ? [l, l] : [l]))],
    ['two rules swapped', (ls) => ls.map((l, i) => (i === ruleLines[5] ? ls[ruleLines[6]!]! : i === ruleLines[6] ? ls[ruleLines[5]!]! : l))],
    ['a chain added', (ls) => ls.flatMap((l, i) => (i === declLines[declLines.length - 1] ? [l, ':KUBE-SEP-ZZZZZZZZZZZZZZZZ - [0:0]'] : [l]))],
    ['a policy changed', (ls) => ls.map((l) => (l.startsWith(':FORWARD ACCEPT') ? l.replace('ACCEPT', 'DROP') : l))],
  ];

  it.each(edits)('%s', (_, edit) => {
    const changed = edit(lines).join('\n');
    expect(changed).not.toBe(text);
    const a = parseIptablesSave(text);
    const b = parseIptablesSave(changed);
    expect(counterpartChains(a, b)).toBeNull();
    expect(rebaseKubeModel(buildKubeModel(a), a, b)).toBeNull();
  });

  it('a table more or less, or another family', () => {
    const a = parseIptablesSave(text);
    const natOnly = text.slice(text.indexOf('# Generated', 1));
    expect(rebaseKubeModel(buildKubeModel(a), a, parseIptablesSave(natOnly))).toBeNull();
    expect(rebaseKubeModel(buildKubeModel(a), a, parseIptablesSave(text + natOnly))).toBeNull();
  });
});

describe('rebaseKubeModelSteps: the carry-over in slices (the live explorer lets keys in between)', () => {
  it('gives the model rebaseKubeModel gives, pausing after every slice of services', () => {
    const text = generateKubeProxyRules(randomClusterSpec({ seed: 11, services: 60, maxEndpointsPerService: 4 }), { form: 'save', layout: 'current', counters: () => [3, 180] });
    const a = parseIptablesSave(text);
    const b = parseIptablesSave(recount(text, 5));
    const model = buildKubeModel(a);
    const n = model.services.length;
    expect(n).toBeGreaterThan(40);
    const chains = a.tables.reduce((k, t) => k + t.chains.length, 0);
    for (const slice of [1, 7, n, Infinity]) {
      const { value, pauses } = drainSteps(rebaseKubeModelSteps(model, a, b, slice));
      expect(value).not.toBeNull();
      expect(view(value!)).toEqual(view(buildKubeModel(b)));
      // A pause per slice of services, and first per 5 × slice chains compared (counterpartChainsSteps).
      expect(pauses).toBe(Number.isFinite(slice) ? Math.ceil(n / slice) - 1 + Math.floor(chains / (5 * slice)) : 0);
    }
    // Other rules: no carry-over; refreshKubeModelSteps then builds the model anew.
    const other = parseIptablesSave(text.replace(/^(.*-j KUBE-SVC-.*)$/m, ''));
    expect(drainSteps(rebaseKubeModelSteps(model, a, other, 7)).value).toBeNull();
    expect(view(drainSteps(refreshKubeModelSteps(other, { model, ruleset: a }, 7)).value)).toEqual(view(buildKubeModel(other)));
    expect(view(drainSteps(refreshKubeModelSteps(b, null, 7)).value)).toEqual(view(buildKubeModel(b)));
  });
});
