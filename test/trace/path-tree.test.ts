/** pathTree: a trace's outcomes as one tree of steps, each with the chance a packet takes it. */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { pathTree, stepKey, type PathNode } from '../../src/core/trace/index.js';
import { trace } from './helpers.js';
import { natTable, type ServiceSpec } from './kube-dump.js';

const svc: ServiceSpec = { ns: 'default', name: 'web', clusterIP: '10.96.0.10', port: 80, endpoints: ['10.244.0.5:8080', '10.244.1.5:8080', '10.244.2.5:8080'] };

function nodes(n: PathNode): PathNode[] {
  return [n, ...n.children.flatMap(nodes)];
}

describe('pathTree', () => {
  const r = trace(parseIptablesSave(natTable([svc], 'save')), { src: '10.244.7.7', dst: '10.96.0.10', dport: 80 });
  const tree = pathTree(r.outcomes);

  it('every node carries the sum of the outcomes under it; the root all of them', () => {
    expect(r.outcomes).toHaveLength(3);
    expect(tree.probability).toBeCloseTo(1, 9);
    for (const n of nodes(tree)) {
      const below = n.children.reduce((s, c) => s + c.probability, 0) + n.outcomes.reduce((s, o) => s + o.probability, 0);
      expect(n.probability).toBeCloseTo(below, 12);
    }
  });

  it('shares the steps the outcomes share and splits where the statistic rules do', () => {
    // One way in until KUBE-SVC picks an endpoint: a single chain of nodes, then three branches.
    let n = tree;
    while (n.children.length === 1 && n.outcomes.length === 0) n = n.children[0]!;
    expect(n.children).toHaveLength(3);
    expect(n.step?.target).toMatch(/^KUBE-SVC-/);
    for (const c of n.children) expect(c.step?.chain).toMatch(/^KUBE-SVC-/);
    expect(n.children.map((c) => c.probability).reduce((a, b) => a + b)).toBeCloseTo(1, 9);
    for (const c of n.children) expect(c.probability).toBeCloseTo(1 / 3, 9);
    // Each outcome ends at the end of its own path, once.
    const ends = nodes(tree).flatMap((x) => x.outcomes);
    expect(new Set(ends)).toEqual(new Set(r.outcomes));
  });

  it('keeps only the steps asked for, merging paths that then agree', () => {
    const onlyDnat = pathTree(r.outcomes, (p) => p.filter((s) => s.target === 'DNAT'));
    expect(onlyDnat.children).toHaveLength(3);
    const none = pathTree(r.outcomes, () => []);
    expect(none.children).toHaveLength(0);
    expect(none.outcomes).toHaveLength(3);
    expect(stepKey(r.outcomes[0]!.path[0]!)).toMatch(/^raw\/PREROUTING\/|^nat\/PREROUTING\//);
  });
});
