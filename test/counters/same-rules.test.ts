/**
 * The usual refresh: the same rules with new counts. The diff then reads counters position for
 * position from the rule rows (no rule matching, no Rule objects); its answers must be what the
 * rule-by-rule path gives — every rule delta from the counters at the same position in both
 * dumps, every endpoint delta its DNAT rule's delta, every service the sum — and a chain whose
 * rules did change must still be matched rule by rule.
 */
import { describe, expect, it } from 'vitest';
import { diffSnapshots } from '../../src/core/counters/index.js';
import { buildKubeModel, refreshKubeModel } from '../../src/core/kube/index.js';
import { chainRows } from '../../src/core/parse/rule.js';
import { parseIptablesSave, type Ruleset } from '../../src/core/parse/index.js';
import { generateKubeProxyRules, randomClusterSpec, type CounterRef } from '../../src/gen/kubeproxy.js';

function counts(round: number) {
  return (ref: CounterRef): readonly [number, number] => {
    let h = 7;
    for (const c of `${ref.table}/${ref.chain}/${ref.rule ?? 'p'}`) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    const packets = (h % 900) + round * (h % 3) * 10; // a third of the rules do not count
    return [packets, packets * 70];
  };
}

const spec = randomClusterSpec({ seed: 11, services: 30, maxEndpointsPerService: 5 });
const dump = (round: number) => generateKubeProxyRules(spec, { form: 'save', counters: counts(round) });

function diffOf(prev: Ruleset, cur: Ruleset) {
  const prevModel = buildKubeModel(prev);
  const curModel = refreshKubeModel(cur, { model: prevModel, ruleset: prev });
  return diffSnapshots({ ruleset: prev, takenAtMs: 0, model: prevModel }, { ruleset: cur, takenAtMs: 2000, model: curModel });
}

describe('a refresh with the same rules', () => {
  const prev = parseIptablesSave(dump(0));
  const cur = parseIptablesSave(dump(1));
  const diff = diffOf(prev, cur);

  it('gives every rule the delta of the counters at its position in both dumps', () => {
    let counted = 0;
    for (const table of cur.tables) {
      const before = prev.tables.find((t) => t.name === table.name)!;
      for (const chain of table.chains) {
        const deltas = diff.chainRules(table.name, table.family, chain.name)!;
        const old = before.chainsByName.get(chain.name)!;
        expect(deltas).toHaveLength(chainRows(chain).size);
        deltas.forEach((d, i) => {
          const c = chainRows(chain).countersAt(i)!;
          const pc = chainRows(old).countersAt(i)!;
          expect(d.rule).toBe(chain.rules[i]);
          expect(d.previous).toBe(old.rules[i]);
          expect([d.state, d.packets, d.deltaPackets, d.deltaBytes, d.packetRate]).toEqual(['ok', c.packets, c.packets - pc.packets, c.bytes - pc.bytes, (c.packets - pc.packets) / 2]);
          if (c.packets > pc.packets) counted++;
        });
      }
    }
    expect(counted).toBeGreaterThan(0);
    expect(diff.countedRules()).toHaveLength(counted);
  });

  it('gives every endpoint its DNAT rule delta and every service their sum', () => {
    let rated = 0;
    for (const s of diff.model.services) {
      const sd = diff.servicePort(s)!;
      let sum = 0;
      s.endpoints.forEach((e, i) => {
        const ed = sd.endpoints[i]!;
        const rd = diff.rule(e.dnatRule!)!;
        expect([ed.state, ed.packets, ed.bytes, ed.deltaPackets, ed.deltaBytes, ed.packetRate, ed.countedSinceLast]).toEqual([
          rd.state, rd.packets, rd.bytes, rd.deltaPackets, rd.deltaBytes, rd.packetRate, rd.countedSinceLast,
        ]);
        sum += ed.deltaPackets!;
      });
      if (s.endpoints.length > 0) {
        expect(sd.state).toBe('ok');
        expect(sd.deltaPackets).toBe(sum);
        if (sum > 0) rated++;
      }
    }
    expect(rated).toBeGreaterThan(0);
  });

  it('matches a chain whose rules changed rule by rule, and the rest by position', () => {
    // One endpoint's DNAT rule gets another port: in that SEP chain it is a new rule.
    const text = dump(1);
    const sep = /^\[\d+:\d+\] -A (KUBE-SEP-\w+) .*-j DNAT --to-destination (\S+)$/m.exec(text)!;
    const changed = parseIptablesSave(text.replace(sep[0], sep[0].replace(sep[2]!, sep[2]!.replace(/:\d+$/, ':1'))));
    const d = diffOf(prev, changed);
    const rules = d.chainRules('nat', 'ipv4', sep[1]!)!;
    expect(rules.map((r) => r.state)).toEqual(['ok', 'new']);
    const owner = d.model.services.find((s) => s.endpoints.some((e) => e.chain === sep[1]))!;
    const ed = d.servicePort(owner)!.endpoints.find((e) => e.endpoint.chain === sep[1])!;
    expect(ed.state).toBe('new');
    // Other services still compare by position.
    const other = d.model.services.find((s) => s !== owner && s.endpoints.length > 0)!;
    expect(d.servicePort(other)!.state).toBe('ok');
  });
});
