/** How the harness reads the kernel's verdict and sizes its batches (no root needed). */
import { describe, expect, it } from 'vitest';
import { attemptsForCoverage, binomialRange, canonicalHostPort, indexConntrack, kernelOutcome, outcomeKey, splitHostPort } from './compare.js';
import { parseConntrack, type ConnectAttempt } from './netns.js';

const node = new Set(['127.0.0.1', '172.16.1.10', '10.255.0.1']);

function attempt(over: Partial<ConnectAttempt>): ConnectAttempt {
  return { target: 0, dst: '10.32.0.5:80', src: '172.16.1.152', sport: 10001, result: 'connected', ...over };
}

function conntrack(...lines: string[]) {
  return indexConntrack(parseConntrack(lines.join('\n')));
}

describe('kernelOutcome', () => {
  it('reads DNAT and masquerade off a replied entry', () => {
    const ct = conntrack(
      'tcp 6 117 TIME_WAIT src=172.16.1.152 dst=10.32.0.5 sport=10001 dport=80 src=10.64.1.1 dst=10.255.0.1 sport=8080 dport=41234 [ASSURED] mark=0 use=1',
    );
    const k = kernelOutcome(attempt({ answeredBy: '10.64.1.1:8080' }), ct, node);
    expect(k).toMatchObject({ verdict: 'ACCEPT', dnat: '10.64.1.1:8080', masquerade: true });
  });

  it('reports no DNAT and no masquerade when the reply comes back unchanged', () => {
    const ct = conntrack(
      'tcp 6 117 TIME_WAIT src=172.16.1.152 dst=10.32.0.5 sport=10001 dport=80 src=10.32.0.5 dst=172.16.1.152 sport=80 dport=10001 [ASSURED] mark=0 use=1',
    );
    expect(kernelOutcome(attempt({}), ct, node)).toMatchObject({ verdict: 'ACCEPT', dnat: null, masquerade: false });
  });

  it('flags an endpoint that disagrees with conntrack', () => {
    const ct = conntrack(
      'tcp 6 117 TIME_WAIT src=172.16.1.152 dst=10.32.0.5 sport=10001 dport=80 src=10.64.1.1 dst=172.16.1.152 sport=8080 dport=10001 [ASSURED] mark=0 use=1',
    );
    expect(kernelOutcome(attempt({ answeredBy: '10.64.1.2:8080' }), ct, node)).toHaveProperty('error');
  });

  it('takes a missing entry as a filter verdict: refused = REJECT, timeout or EPERM = DROP', () => {
    const none = conntrack();
    expect(kernelOutcome(attempt({ result: 'refused' }), none, node)).toMatchObject({ verdict: 'REJECT' });
    expect(kernelOutcome(attempt({ result: 'timeout' }), none, node)).toMatchObject({ verdict: 'DROP' });
    expect(kernelOutcome(attempt({ result: 'dropped-local' }), none, node)).toMatchObject({ verdict: 'DROP' });
    expect(kernelOutcome(attempt({ result: 'error', error: 'EHOSTUNREACH' }), none, node)).toHaveProperty('error');
  });

  it('reads an unreplied entry of the node\'s own packets as an INPUT verdict, else as forwarded', () => {
    const local = 'tcp 6 119 SYN_SENT src=172.16.1.10 dst=172.16.1.10 sport=10001 dport=30035 [UNREPLIED] src=172.16.1.10 dst=172.16.1.10 sport=30035 dport=10001 mark=0 use=1';
    const fromNode = attempt({ src: '172.16.1.10', dst: '172.16.1.10:30035' });
    expect(kernelOutcome({ ...fromNode, result: 'refused' }, conntrack(local), node)).toMatchObject({ verdict: 'REJECT' });
    expect(kernelOutcome({ ...fromNode, result: 'timeout' }, conntrack(local), node)).toMatchObject({ verdict: 'DROP' });
    const forwarded = 'tcp 6 119 SYN_SENT src=172.16.1.152 dst=10.33.0.9 sport=10001 dport=80 [UNREPLIED] src=10.33.0.9 dst=172.16.1.152 sport=80 dport=10001 mark=0 use=1';
    expect(kernelOutcome(attempt({ dst: '10.33.0.9:80', result: 'timeout' }), conntrack(forwarded), node)).toMatchObject({
      verdict: 'ACCEPT',
      dnat: null,
      masquerade: false,
    });
  });
});

describe('outcomeKey', () => {
  it('keeps DNAT and masquerade for ACCEPT only', () => {
    expect(outcomeKey({ verdict: 'ACCEPT', dnat: '10.64.1.1:80', masquerade: true })).toBe('ACCEPT dnat=10.64.1.1:80 masquerade=true');
    expect(outcomeKey({ verdict: 'DROP', dnat: '10.64.1.1:80', masquerade: true })).toBe('DROP');
  });
});

describe('attemptsForCoverage', () => {
  it('grows with the number of outcomes and the rarity of the rarest', () => {
    expect(attemptsForCoverage([1])).toBe(1);
    // 2 × 1/2: 2 · 2^-n < 1e-6 needs n = 21.
    expect(attemptsForCoverage([0.5, 0.5])).toBe(21);
    expect(attemptsForCoverage([1 / 3, 1 / 3, 1 / 3])).toBe(37);
    expect(attemptsForCoverage([0.99, 0.01], 1e-6, 250)).toBe(250);
  });
});

describe('binomialRange', () => {
  it('cuts at most alpha/2 from each tail, as tightly as possible', () => {
    // Binomial(10, 1/2): P(X <= 1) = 11/1024 = 0.0107, P(X <= 2) = 56/1024 = 0.0547.
    expect(binomialRange(10, 0.5, 0.05)).toEqual([2, 8]);
    expect(binomialRange(10, 0.5, 0.01)).toEqual([1, 9]);
    expect(binomialRange(10, 0.5, 0.2)).toEqual([3, 7]);
  });

  it('is certain at p = 0 and p = 1, and skewed for a small p', () => {
    expect(binomialRange(50, 0, 1e-6)).toEqual([0, 0]);
    expect(binomialRange(50, 1, 1e-6)).toEqual([50, 50]);
    // Binomial(100, 0.01): P(X = 0) = 0.366 > alpha/2, so the range starts at 0.
    const [lo, hi] = binomialRange(100, 0.01, 1e-3);
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(3);
    expect(hi).toBeLessThan(10);
  });

  it('is about mean +- 5.3 standard deviations at alpha 1e-6', () => {
    // n = 600, p = 1/3: mean 200, sd 11.5.
    const [lo, hi] = binomialRange(600, 1 / 3, 1e-6);
    expect(lo).toBeGreaterThan(200 - 6 * 11.5);
    expect(lo).toBeLessThan(200 - 4.5 * 11.5);
    expect(hi).toBeGreaterThan(200 + 4.5 * 11.5);
    expect(hi).toBeLessThan(200 + 6 * 11.5);
  });
});

describe('IPv6 host:port text', () => {
  it('splits [v6]:port and writes addresses canonically', () => {
    expect(splitHostPort('[fd00:10:244:1::5]:8080')).toEqual(['fd00:10:244:1::5', 8080]);
    expect(splitHostPort('10.0.0.1:80')).toEqual(['10.0.0.1', 80]);
    expect(canonicalHostPort('[FD00:10:32:0:0::11]:80')).toBe('[fd00:10:32::11]:80');
    expect(outcomeKey({ verdict: 'ACCEPT', dnat: '[fd00:0:0::5]:80', masquerade: true })).toBe('ACCEPT dnat=[fd00::5]:80 masquerade=true');
  });

  it('finds an IPv6 UDP attempt in conntrack whatever the address text', () => {
    const ct = indexConntrack(
      parseConntrack(
        'udp      17 29 src=fd00:172:16:1::152 dst=fd00:10:32::6 sport=10001 dport=53 src=fd00:10:64:1::121 dst=fd00:10:255::1 sport=53 dport=10001 mark=0 use=1',
      ),
    );
    const a = { target: 0, dst: '[fd00:10:32:0::6]:53', src: 'fd00:172:16:1:0::152', sport: 10001, result: 'connected' as const, answeredBy: '[fd00:10:64:1::121]:53' };
    expect(kernelOutcome(a, ct, new Set(), 'udp')).toMatchObject({ verdict: 'ACCEPT', dnat: '[fd00:10:64:1::121]:53', masquerade: true });
    expect(kernelOutcome(a, ct, new Set(), 'tcp')).toHaveProperty('error');
  });
});
