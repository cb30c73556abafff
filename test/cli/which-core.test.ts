import { describe, expect, it } from 'vitest';
import type { PathStep } from '../../src/core/trace/types.js';
import { addressInRanges } from '../../src/core/entry-probes.js';
import { formatMainLine, mainLine, pathByHook } from '../../src/core/which.js';

const step = (table: PathStep['table'], chain: string, rule: number | null, target: string): PathStep => ({ table, chain, rule, target, line: 0 });

describe('path helpers', () => {
  // The seed's node-port walk, as the tracer reports it: detours included.
  const path: PathStep[] = [
    step('mangle', 'PREROUTING', null, 'policy ACCEPT'),
    step('nat', 'PREROUTING', 1, 'KUBE-SERVICES'),
    step('nat', 'KUBE-SERVICES', 6, 'KUBE-NODEPORTS'),
    step('nat', 'KUBE-NODEPORTS', 1, 'KUBE-EXT-2CMXP7HKUVJN7L6M'),
    step('nat', 'KUBE-EXT-2CMXP7HKUVJN7L6M', 1, 'KUBE-MARK-MASQ'),
    step('nat', 'KUBE-MARK-MASQ', 1, 'MARK'),
    step('nat', 'KUBE-EXT-2CMXP7HKUVJN7L6M', 2, 'KUBE-SVC-2CMXP7HKUVJN7L6M'),
    step('nat', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 1, 'KUBE-SEP-YVT6EXXEKT4LDXBC'),
    step('nat', 'KUBE-SEP-YVT6EXXEKT4LDXBC', 2, 'DNAT'),
    step('filter', 'FORWARD', 1, 'KUBE-PROXY-FIREWALL'),
    step('filter', 'FORWARD', null, 'policy ACCEPT'),
  ];

  it('splits a path by hook in the order the packet met them', () => {
    expect(pathByHook(path).map((s) => `${s.table} ${s.hook} ${s.steps.length}`)).toEqual(['mangle PREROUTING 1', 'nat PREROUTING 8', 'filter FORWARD 2']);
  });

  it('keeps the calls still open at the end of a hook, dropping detours that returned', () => {
    const nat = pathByHook(path)[1]!;
    expect(mainLine(nat.steps).map((s) => s.chain)).toEqual([
      'PREROUTING', 'KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-EXT-2CMXP7HKUVJN7L6M', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 'KUBE-SEP-YVT6EXXEKT4LDXBC',
    ]);
    expect(formatMainLine(nat)).toBe(
      'nat PREROUTING #1 > KUBE-SERVICES #6 > KUBE-NODEPORTS #1 > KUBE-EXT-2CMXP7HKUVJN7L6M #2 > KUBE-SVC-2CMXP7HKUVJN7L6M #1 > KUBE-SEP-YVT6EXXEKT4LDXBC #2',
    );
    expect(formatMainLine(pathByHook(path)[2]!)).toBe('filter FORWARD policy ACCEPT');
  });
});

describe('addressInRanges', () => {
  it('keeps a client inside the ranges and otherwise picks a host of the first range', () => {
    expect(addressInRanges(['203.0.113.0/25'], 'ipv4', '203.0.113.10')).toBe('203.0.113.10');
    expect(addressInRanges(['10.1.2.0/24', '203.0.113.0/25'], 'ipv4', '198.51.100.7')).toBe('10.1.2.1');
    expect(addressInRanges(['192.0.2.77/32'], 'ipv4', '198.51.100.7')).toBe('192.0.2.77');
    expect(addressInRanges(['fd00:1::/64', '10.0.0.0/8'], 'ipv6', '2001:db8::5')).toBe('fd00:1::1');
    expect(addressInRanges(['10.0.0.0/8'], 'ipv6', '2001:db8::5')).toBeNull();
  });
});
