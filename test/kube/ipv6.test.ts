/** IPv6 tables and dual-stack dumps (ip6tables-save and iptables-save concatenated). */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { DUAL_STACK } from './dumps.js';

describe('dual stack', () => {
  const ruleset = parseIptablesSave(DUAL_STACK);
  const model = buildKubeModel(ruleset);

  it('lists the service once per family, IPv4 first, and byId gives the IPv4 one', () => {
    expect(ruleset.tables.map((t) => t.family)).toEqual(['ipv6', 'ipv4']);
    expect(model.services.map((s) => `${s.id} ${s.family}`)).toEqual(['shop/v6:http ipv4', 'shop/v6:http ipv6']);
    expect(model.byId.get('shop/v6:http')!.family).toBe('ipv4');
    expect(model.byId.get('shop/v6:http')!.clusterIP).toBe('10.96.80.1');
  });

  it('reads IPv6 addresses: /128 stripped from the cluster IP, bracketed endpoints', () => {
    const v6 = model.services.find((s) => s.family === 'ipv6')!;
    expect([v6.clusterIP, v6.port]).toEqual(['fd00:10:96::80', 80]);
    expect(v6.endpoints.map((e) => [e.address, e.probability, e.packets])).toEqual([
      ['[fd00:10:244:1::5]:8080', 0.5, 3],
      ['[fd00:10:244:2::6]:8080', 0.5, 4],
    ]);
    expect(v6.packets).toBe(7);
  });

  it('keeps chain ownership per family (both families use the same chain names)', () => {
    const [v4, v6] = model.services;
    expect(model.chainOwner.get('ipv4/KUBE-SVC-NFHSRL3D33J5AN3X')).toBe(v4);
    expect(model.chainOwner.get('ipv6/KUBE-SVC-NFHSRL3D33J5AN3X')).toBe(v6);
    expect(model.chainOwner.get('ipv6/KUBE-SEP-LVTEIVV6TDRRX767')).toBe(v6);
    expect(model.chainOwner.has('ipv4/KUBE-SEP-LVTEIVV6TDRRX767')).toBe(false);
  });
});
