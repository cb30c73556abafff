import { describe, expect, it } from 'vitest';
import { compareRates, diffSnapshots, serviceRate } from '../../src/core/counters/index.js';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { makeServices, natDump, sepChain, type GenService } from './gen.js';

describe('a generated pair of 2k-service dumps', () => {
  it('diffs every service, endpoint and rule of a churned, reordered resync', () => {
    const N = 2000;
    const PER = 3;
    const prevSvcs = makeServices(N, PER);
    // The next sync: every 50th service is gone, 40 new ones appear, every endpoint counted
    // (s % 7) more packets, every 97th service's first endpoint was reset to 1 packet, and
    // KUBE-SERVICES comes out in reverse order.
    const gone = (s: number) => s % 50 === 0;
    const reset = (s: number) => s % 97 === 0;
    const grown = (s: number) => s % 7;
    const curSvcs: GenService[] = [];
    prevSvcs.forEach((svc, s) => {
      if (gone(s)) return;
      curSvcs.push({
        ...svc,
        endpoints: svc.endpoints.map((e, i) => {
          const packets = reset(s) && i === 0 ? 1 : e.packets + grown(s);
          return { ...e, packets, bytes: packets * 60 };
        }),
      });
    });
    const added = makeServices(N + 40, PER).slice(N);
    curSvcs.push(...added);

    const prev = parseIptablesSave(natDump(prevSvcs));
    const cur = parseIptablesSave(natDump(curSvcs, { reverseServices: true }));
    const model = buildKubeModel(cur);
    expect(model.services.length).toBe(curSvcs.length);

    const diff = diffSnapshots({ ruleset: prev, takenAtMs: 0 }, { ruleset: cur, takenAtMs: 2000, model });
    // One assertion at the end: thousands of expect() calls would cost more than the diff.
    const wrong: string[] = [];
    const check = (what: string, got: unknown, want: unknown) => {
      if (got !== want) wrong.push(`${what}: got ${String(got)}, want ${String(want)}`);
    };
    let ok = 0;
    prevSvcs.forEach((svc, s) => {
      const d = diff.service(svc.id, 'ipv4');
      if (gone(s)) {
        check(`${svc.id} gone`, d, undefined);
        return;
      }
      if (!d) return void wrong.push(`${svc.id} missing`);
      check(`${svc.id} packets`, d.packets, model.byId.get(svc.id)!.packets);
      if (reset(s)) {
        check(`${svc.id} state`, d.state, 'reset');
        check(`${svc.id} rate`, serviceRate(diff, svc.id, 'ipv4'), null);
        return;
      }
      check(`${svc.id} state`, d.state, 'ok');
      check(`${svc.id} delta`, d.deltaPackets, grown(s) * PER);
      check(`${svc.id} bytes delta`, d.deltaBytes, grown(s) * PER * 60);
      check(`${svc.id} rate`, d.packetRate, (grown(s) * PER) / 2);
      check(`${svc.id} counted`, d.countedSinceLast, grown(s) > 0);
      ok++;
    });
    for (const svc of added) {
      const d = diff.service(svc.id, 'ipv4');
      check(`${svc.id} state`, d?.state, 'new');
      check(`${svc.id} packets`, d?.packets, svc.endpoints.reduce((a, e) => a + e.packets, 0));
      check(`${svc.id} endpoint`, diff.endpoint(sepChain(svc, svc.endpoints[1]!.address), 'ipv4')?.state, 'new');
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(ok).toBeGreaterThan(N * 0.9);

    let expectedCounted = 0;
    prevSvcs.forEach((_, s) => {
      if (!gone(s) && grown(s) > 0) expectedCounted += 2 * (reset(s) ? PER - 1 : PER);
    });
    expect(diff.countedRules().length).toBe(expectedCounted);

    // Sorting by rate puts the fastest first and unknown rates last.
    const sorted = model.services.map((s) => serviceRate(diff, s.id, s.family)).sort(compareRates);
    expect(sorted[0]).toBe((6 * PER) / 2);
    expect(sorted[sorted.length - 1]).toBeNull();
  });
});
