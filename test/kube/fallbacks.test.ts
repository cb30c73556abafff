/**
 * What the model falls back on when a dump leaves something out (no test reached these before):
 * the protocol of a service whose entry rule has no `-p` comes from its DNAT rules (dnatProtocol),
 * and an endpoint whose KUBE-SEP chain is empty (a partial sync) is named by the SVC rule's
 * comment "ns/svc:port -> ip:port" (endpointFromComment).
 */
import { describe, expect, it } from 'vitest';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { endpointFromComment } from '../../src/core/kube/comments.js';
import { parseErrors, parseIptablesSave } from '../../src/core/parse/index.js';

function model(text: string) {
  const rs = parseIptablesSave(text);
  expect(parseErrors(rs)).toEqual([]);
  return buildKubeModel(rs);
}

/** ns1/dns: an entry rule without -p or --dport; the DNAT rules say udp (or `proto`). */
const noProtocol = (proto: string) => `*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-AAAAAAAAAAAAAAAA - [0:0]
:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]
:KUBE-SEP-CCCCCCCCCCCCCCCC - [0:0]
-A KUBE-SERVICES -d 10.96.0.53/32 -m comment --comment "ns1/dns cluster IP" -j KUBE-SVC-AAAAAAAAAAAAAAAA
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment ns1/dns -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-BBBBBBBBBBBBBBBB
-A KUBE-SVC-AAAAAAAAAAAAAAAA -m comment --comment ns1/dns -j KUBE-SEP-CCCCCCCCCCCCCCCC
-A KUBE-SEP-BBBBBBBBBBBBBBBB -m comment --comment ns1/dns -j DNAT --to-destination 10.64.0.4:53
-A KUBE-SEP-CCCCCCCCCCCCCCCC -m comment --comment ns1/dns -m ${proto} -p ${proto} -j DNAT --to-destination 10.64.0.5:53
COMMIT
`;

describe('a service whose entry rule names no protocol', () => {
  it.each(['udp', 'sctp', 'tcp'])('takes it from the first DNAT rule that names one (%s), past one that does not', (proto) => {
    const m = model(noProtocol(proto));
    expect(m.services.map((s) => [s.id, s.protocol])).toEqual([['ns1/dns', proto]]);
    expect(m.services[0]!.endpoints.map((e) => e.address)).toEqual(['10.64.0.4:53', '10.64.0.5:53']);
  });

  it('is tcp when no DNAT rule names one either', () => {
    const m = model(noProtocol('udp').replace(' -m udp -p udp', ''));
    expect(m.services.map((s) => [s.id, s.protocol])).toEqual([['ns1/dns', 'tcp']]);
  });
});

/** A partial sync: the SEP chains are declared and empty, the SVC rules' comments name the endpoints. */
const PARTIAL = `*nat
:KUBE-SERVICES - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SEP-TTTTTTTTTTTTTTTT - [0:0]
:KUBE-SEP-UUUUUUUUUUUUUUUU - [0:0]
-A KUBE-SERVICES -d 10.96.1.1/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-SXIVWICOYRO3J4NJ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> [fd00::1]:80 extra" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-TTTTTTTTTTTTTTTT
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment ns1/svc1:p80 -j KUBE-SEP-UUUUUUUUUUUUUUUU
COMMIT
`;

describe('an endpoint whose KUBE-SEP chain is empty', () => {
  it('is named by the SVC rule\'s "-> ip:port" comment, or left unnamed when the comment does not say', () => {
    const m = model(PARTIAL);
    const s = m.services.find((x) => x.id === 'ns1/svc1:p80')!;
    expect(s.endpoints.map((e) => [e.chain, e.address])).toEqual([
      ['KUBE-SEP-SXIVWICOYRO3J4NJ', '10.180.0.1:80'],
      // Text after the address: not an endpoint the comment names cleanly; null, never "".
      ['KUBE-SEP-TTTTTTTTTTTTTTTT', null],
      ['KUBE-SEP-UUUUUUUUUUUUUUUU', null],
    ]);
    // Each chain is declared and holds no DNAT: the model says so.
    expect(s.endpoints.map((e) => e.problem)).toEqual(['empty-endpoint-chain', 'empty-endpoint-chain', 'empty-endpoint-chain']);
    expect(s.endpoints.map((e) => e.probability)).toEqual([0.33333333349, expect.closeTo((1 - 0.33333333349) * 0.5, 12), expect.closeTo((1 - 0.33333333349) * 0.5, 12)]);
  });

  it('endpointFromComment: the word after " -> ", nothing else', () => {
    expect(endpointFromComment('ns/svc:p -> 10.0.0.1:80')).toBe('10.0.0.1:80');
    expect(endpointFromComment('ns/svc:p -> [fd00::1]:80')).toBe('[fd00::1]:80');
    expect(endpointFromComment('ns/svc:p')).toBeNull();
    expect(endpointFromComment('ns/svc:p -> ')).toBeNull();
    expect(endpointFromComment('ns/svc:p -> 10.0.0.1:80 more')).toBeNull();
    expect(endpointFromComment('ns/svc:p->10.0.0.1:80')).toBeNull();
  });
});
