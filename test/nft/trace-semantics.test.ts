/**
 * The nftables semantics the tracer must get right (nftables.md §5), each on a small hand-written
 * ruleset in kube-proxy's transaction form.
 */
import { describe, expect, it } from 'vitest';
import { traceNftPacket } from '../../src/core/nft/index.js';
import { parseAssumption, traceCases, type Assumption } from '../../src/core/trace/index.js';
import { NODE_IP, ruleset, steps, summary, trace } from './trace-helpers.js';

const PRE = 'add table ip t\nadd chain ip t pre { type filter hook prerouting priority 0 ; }\n';

function assumption(text: string): Assumption {
  const a = parseAssumption(text);
  if ('error' in a) throw new Error(a.error);
  return a;
}

describe('vmap lookups', () => {
  const nft = ruleset(`${PRE}add map ip t m { type ipv4_addr . inet_proto . inet_service : verdict ; }
add element ip t m { 10.0.0.9 . tcp . 80 comment "ns/svc:http" : drop }
add rule ip t pre ip daddr . meta l4proto . th dport vmap @m
add rule ip t pre ip daddr 10.0.0.1 reject
`);

  it('a key in the map takes its verdict, and the step names the element', () => {
    const r = trace(nft, '203.0.113.1', '10.0.0.9');
    expect(summary(r)).toEqual([['DROP', null, 1]]);
    const step = r.outcomes[0]!.path[0]!;
    expect(step).toMatchObject({ table: 't', nftFamily: 'ip', chain: 'pre', rule: 1, target: 'DROP' });
    expect(step.element).toBe('10.0.0.9 . tcp . 80 comment "ns/svc:http" : drop');
  });

  it('a missing key is no match: evaluation goes on with the next rule', () => {
    expect(summary(trace(nft, '203.0.113.1', '10.0.0.1'))).toEqual([['REJECT', null, 1]]);
    expect(steps(trace(nft, '203.0.113.1', '10.0.0.1').outcomes[0]!)).toEqual(['pre#2>REJECT']);
  });

  it('another port or protocol is another key', () => {
    expect(summary(trace(nft, '203.0.113.1', '10.0.0.9', 81))).toEqual([['ACCEPT', null, 1]]);
    expect(summary(trace(nft, '203.0.113.1', '10.0.0.9', 80, { protocol: 'udp' }))).toEqual([['ACCEPT', null, 1]]);
  });

  it('with nothing matching, the base chain policy decides', () => {
    const o = trace(nft, '203.0.113.1', '10.0.0.2').outcomes[0]!;
    expect(steps(o)).toEqual(['pre#->policy ACCEPT']);
    expect(o.delivery).toBe('forward');
  });
});

describe('jump, goto and return', () => {
  const nft = ruleset(`${PRE}add chain ip t a
add chain ip t b
add rule ip t pre jump a
add rule ip t pre ip daddr 10.0.0.1 reject
add rule ip t a ip daddr 10.0.0.3 return
add rule ip t a goto b
add rule ip t a drop
add rule ip t b ip daddr 10.0.0.2 accept
add chain ip t post { type filter hook postrouting priority 0 ; policy drop ; }
add rule ip t post ip daddr 10.0.0.4 goto b
add rule ip t post accept
`);

  it('falling off a goto target resumes after the last jump, never after the goto', () => {
    const o = trace(nft, '203.0.113.1', '10.0.0.1').outcomes;
    expect(o.map((x) => x.verdict)).toEqual(['REJECT']);
    expect(steps(o[0]!)).toEqual(['pre#1>a', 'a#2>b', 'pre#2>REJECT']);
  });

  it('return leaves the chain and continues after the jump', () => {
    const o = trace(nft, '203.0.113.1', '10.0.0.3').outcomes[0]!;
    expect(steps(o).slice(0, 3)).toEqual(['pre#1>a', 'a#1>RETURN', 'pre#->policy ACCEPT']);
  });

  it('accept in a called chain ends the base chain with accept', () => {
    const o = trace(nft, '203.0.113.1', '10.0.0.2').outcomes[0]!;
    expect(o.verdict).toBe('ACCEPT');
    expect(steps(o).slice(0, 3)).toEqual(['pre#1>a', 'a#2>b', 'b#1>ACCEPT']);
  });

  it('falling off a goto target called from a base chain ends at that chain\'s policy', () => {
    const r = trace(nft, '203.0.113.1', '10.0.0.4');
    expect(r.outcomes.map((o) => o.verdict)).toEqual(['DROP']);
    // Not rule 2 of post: a goto from a base chain returns to nothing but the policy.
    expect(steps(r.outcomes[0]!).slice(-2)).toEqual(['post#1>b', 'post#->policy DROP']);
    expect(r.outcomes[0]!.reason).toBe('policy drop of ip t post');
  });
});

describe('numgen', () => {
  const nft = ruleset(`${PRE}add chain ip t x
add chain ip t y
add chain ip t z
add rule ip t pre ip daddr 10.0.0.1 numgen random mod 2 vmap { 0 : jump x , 1 : goto y }
add rule ip t pre ip daddr 10.0.0.2 numgen random mod 4 vmap { 0 : drop , 2 : goto y }
add rule ip t x numgen random mod 3 vmap { 0 : drop , 1 : accept , 2 : goto z }
add rule ip t y reject
add rule ip t z numgen random mod 2 == 1 drop
`);

  it('splits into N outcomes of exactly 1/N, nested chances multiply', () => {
    const r = trace(nft, '203.0.113.1', '10.0.0.1');
    const byPath = new Map(r.outcomes.map((o) => [steps(o).join(' '), [o.verdict, o.probability]]));
    expect(byPath.get('pre#1>x x#1>DROP')).toEqual(['DROP', 1 / 6]);
    expect(byPath.get('pre#1>x x#1>ACCEPT')).toEqual(['ACCEPT', 1 / 6]);
    expect(byPath.get('pre#1>x x#1>z z#1>DROP')).toEqual(['DROP', 1 / 12]);
    expect(byPath.get('pre#1>y y#1>REJECT')).toEqual(['REJECT', 1 / 2]);
    // z falls off for the other half of its 1/6: back after `jump x`, then the policy.
    expect(byPath.get('pre#1>x x#1>z pre#->policy ACCEPT')).toEqual(['ACCEPT', 1 / 12]);
    expect(r.outcomes.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 12);
  });

  it('an index missing from the vmap is no match for its share', () => {
    const r = trace(nft, '203.0.113.1', '10.0.0.2');
    expect(summary(r).sort()).toEqual([['ACCEPT', null, 0.5], ['DROP', null, 0.25], ['REJECT', null, 0.25]]);
  });
});

describe('fib type local', () => {
  const nft = ruleset(`${PRE}add rule ip t pre fib daddr type local ip daddr != 127.0.0.0/8 drop
add chain ip t out { type filter hook output priority 0 ; }
add rule ip t out fib saddr type local ip daddr 10.0.0.1 reject
`);

  it('the node\'s own addresses are local, others are not (an LB IP only when listed)', () => {
    expect(summary(trace(nft, '203.0.113.1', NODE_IP))).toEqual([['DROP', null, 1]]);
    expect(summary(trace(nft, '203.0.113.1', '5.6.7.8'))).toEqual([['ACCEPT', null, 1]]);
    expect(summary(trace(nft, '203.0.113.1', '5.6.7.8', 80, { local: [NODE_IP, '5.6.7.8'] }))).toEqual([['DROP', null, 1]]);
  });

  it('a packet from the node goes through output, where fib saddr is local', () => {
    const r = trace(nft, NODE_IP, '10.0.0.1');
    expect(r.packet.origin).toBe('local');
    expect(summary(r)).toEqual([['REJECT', null, 1]]);
    expect(summary(trace(nft, '127.0.0.1', '10.0.0.1'))).toEqual([['REJECT', null, 1]]);
  });
});

const TEXT_MARKS = `add table ip k
add chain ip k nat-prerouting { type nat hook prerouting priority -100 ; }
add chain ip k nat-postrouting { type nat hook postrouting priority 100 ; }
add chain ip k mark-for-masquerade
add chain ip k masquerading
add chain ip k svc
add rule ip k mark-for-masquerade mark set mark or 0x4000
add rule ip k masquerading mark and 0x4000 == 0 return
add rule ip k masquerading mark set mark xor 0x4000
add rule ip k masquerading masquerade fully-random
add rule ip k nat-prerouting ip daddr 10.96.0.1 goto svc
add rule ip k nat-prerouting ip daddr 10.96.0.2 dnat to 10.1.1.2:8080
add rule ip k nat-postrouting jump masquerading
add rule ip k svc ip saddr != 10.0.0.0/8 jump mark-for-masquerade comment "outside the cluster"
add rule ip k svc dnat to 10.1.1.1:80
`;

describe('marks and masquerade', () => {
  const nft = ruleset(TEXT_MARKS);

  it('the mark set on the way in masquerades in nat postrouting, naming who asked', () => {
    const o = trace(nft, '203.0.113.1', '10.96.0.1').outcomes;
    expect(o).toHaveLength(1);
    expect(o[0]).toMatchObject({ verdict: 'ACCEPT', dnat: '10.1.1.1:80', masquerade: true, delivery: 'forward', endpointChain: null });
    expect(o[0]!.reason).toBe('masqueraded: svc rule 1 (outside the cluster)');
    expect(steps(o[0]!)).toEqual([
      'nat-prerouting#1>svc', 'svc#1>mark-for-masquerade', 'mark-for-masquerade#1>MARK', 'svc#2>DNAT',
      'nat-postrouting#1>masquerading', 'masquerading#2>MARK', 'masquerading#3>MASQUERADE',
    ]);
  });

  it('a mark bit another table set first does not take the credit', () => {
    const withOther = ruleset(`${TEXT_MARKS}add table ip other
add chain ip other early { type filter hook prerouting priority -200 ; }
add rule ip other early meta mark set 0x1 comment "someone else's bit"
`);
    const o = trace(withOther, '203.0.113.1', '10.96.0.1').outcomes[0]!;
    expect(o).toMatchObject({ masquerade: true, reason: 'masqueraded: svc rule 1 (outside the cluster)' });
    expect(o.path[0]).toMatchObject({ table: 'other', chain: 'early', target: 'MARK' });
  });

  it('without the mark bit, masquerading returns: no masquerade', () => {
    const o = trace(nft, '10.0.0.5', '10.96.0.1').outcomes[0]!;
    expect(o).toMatchObject({ dnat: '10.1.1.1:80', masquerade: false, reason: null });
    expect(steps(o).slice(-3)).toEqual(['nat-postrouting#1>masquerading', 'masquerading#1>RETURN', 'nat-postrouting#->policy ACCEPT']);
    expect(trace(nft, '203.0.113.1', '10.96.0.2').outcomes[0]).toMatchObject({ dnat: '10.1.1.2:8080', masquerade: false });
  });

  it('DNAT to a node address delivers locally (routing on the new destination)', () => {
    const local = trace(nft, '203.0.113.1', '10.96.0.2', 80, { local: [NODE_IP, '10.1.1.2'] });
    expect(local.outcomes[0]).toMatchObject({ delivery: 'local', dnat: '10.1.1.2:8080' });
  });

  it('nat chains see only new connections', () => {
    const r = trace(nft, '203.0.113.1', '10.96.0.1', 80, {});
    expect(r.outcomes[0]!.dnat).not.toBeNull();
    const est = traceNftPacket(nft, { protocol: 'tcp', src: '203.0.113.1', dst: '10.96.0.1', dport: 80, ctstate: 'ESTABLISHED' }, { localAddresses: [NODE_IP] });
    expect(est.outcomes[0]).toMatchObject({ dnat: null, masquerade: false });
    expect(est.outcomes[0]!.assumptions.some((a: string) => a.includes('skips the nat chains'))).toBe(true);
  });
});

describe('reject and drop are final', () => {
  const nft = ruleset(`${PRE}add chain ip t later { type filter hook prerouting priority 10 ; }
add rule ip t pre ip daddr 10.0.0.1 reject comment "Reject traffic to invalid ports of ClusterIPs"
add rule ip t pre ip daddr 10.0.0.2 drop comment "Drop traffic to unallocated ClusterIPs"
add rule ip t later accept
`);

  it('REJECT and DROP end the packet, whatever chains would follow, with the rule\'s words', () => {
    const rej = trace(nft, '203.0.113.1', '10.0.0.1').outcomes;
    expect(rej.map((o) => [o.verdict, o.reason])).toEqual([['REJECT', 'rejected by ip t pre rule 1 (Reject traffic to invalid ports of ClusterIPs)']]);
    expect(steps(rej[0]!)).toEqual(['pre#1>REJECT']);
    const drop = trace(nft, '203.0.113.1', '10.0.0.2').outcomes;
    expect(drop.map((o) => [o.verdict, o.reason])).toEqual([['DROP', 'dropped by ip t pre rule 2 (Drop traffic to unallocated ClusterIPs)']]);
  });
});

describe('priorities across tables', () => {
  it('a chain of another table at a lower priority runs first, whatever the dump order', () => {
    const nft = ruleset(`add table ip kube
add chain ip kube pre { type filter hook prerouting priority 0 ; }
add rule ip kube pre ip daddr 10.0.0.1 accept
add table ip fw
add chain ip fw early { type filter hook prerouting priority -200 ; }
add rule ip fw early ip daddr 10.0.0.1 drop
`);
    const o = trace(nft, '203.0.113.1', '10.0.0.1').outcomes;
    expect(o.map((x) => x.verdict)).toEqual(['DROP']);
    expect(o[0]!.path.map((s) => `${s.table} ${s.chain}`)).toEqual(['fw early']);
  });

  it('accept ends one base chain only: the next base chain on the hook still runs', () => {
    const nft = ruleset(`add table ip a
add chain ip a first { type filter hook prerouting priority -200 ; }
add rule ip a first ip daddr 10.0.0.1 accept
add table ip b
add chain ip b second { type filter hook prerouting priority 0 ; }
add rule ip b second ip daddr 10.0.0.1 drop
`);
    const o = trace(nft, '203.0.113.1', '10.0.0.1').outcomes;
    expect(o.map((x) => x.verdict)).toEqual(['DROP']);
    expect(o[0]!.path.map((s) => `${s.table} ${s.chain} ${s.target}`)).toEqual(['a first ACCEPT', 'b second DROP']);
  });

  it('nat chains run at the NAT core\'s priority: a filter chain before -100 sees the address before DNAT', () => {
    const nft = ruleset(`add table ip n
add chain ip n dnat-early { type nat hook prerouting priority -300 ; }
add rule ip n dnat-early ip daddr 10.96.0.1 dnat to 10.1.1.1
add table ip f
add chain ip f before { type filter hook prerouting priority -150 ; }
add rule ip f before ip daddr 10.1.1.1 drop
add chain ip f after { type filter hook prerouting priority -50 ; }
add rule ip f after ip daddr 10.1.1.1 reject
`);
    const o = trace(nft, '203.0.113.1', '10.96.0.1').outcomes;
    expect(o.map((x) => [x.verdict, x.dnat])).toEqual([['REJECT', '10.1.1.1:80']]);
    expect(o[0]!.path.filter((s) => s.rule !== null).map((s) => s.chain)).toEqual(['dnat-early', 'after']);
    expect(o[0]!.path.map((s) => s.chain)).toEqual(['before', 'dnat-early', 'after']);
  });

  it('the first nat chain that binds the connection ends the nat chains of the hook', () => {
    const nft = ruleset(`add table ip n
add chain ip n one { type nat hook prerouting priority -100 ; }
add rule ip n one ip daddr 10.96.0.1 dnat to 10.1.1.1
add chain ip n two { type nat hook prerouting priority -90 ; }
add rule ip n two dnat to 10.2.2.2
`);
    expect(summary(trace(nft, '203.0.113.1', '10.96.0.1'))).toEqual([['ACCEPT', '10.1.1.1:80', 1]]);
    expect(summary(trace(nft, '203.0.113.1', '10.96.0.9'))).toEqual([['ACCEPT', '10.2.2.2:80', 1]]);
  });

  it('chains of equal priority: traced in dump order, and the outcome says the order is the kernel\'s', () => {
    const nft = ruleset(`add table ip a
add chain ip a c1 { type filter hook prerouting priority 0 ; }
add table ip b
add chain ip b c2 { type filter hook prerouting priority 0 ; }
`);
    const o = trace(nft, '203.0.113.1', '10.0.0.1').outcomes[0]!;
    expect(o.path.map((s) => s.chain)).toEqual(['c1', 'c2']);
    expect(o.assumptions.some((a) => a.includes('ip a c1 and ip b c2 have the same priority 0'))).toBe(true);
  });
});

describe('families', () => {
  const nft = ruleset(`add table inet both
add chain inet both pre { type filter hook prerouting priority 0 ; }
add rule inet both pre ip saddr 203.0.113.1 drop
add rule inet both pre ip6 saddr 2001:db8::1 reject
add rule inet both pre meta nfproto ipv6 tcp dport 81 drop
add table ip6 six
add chain ip6 six pre { type filter hook prerouting priority 10 ; }
add rule ip6 six pre ip6 daddr fd00::1 drop
add table ip four
add chain ip four pre { type filter hook prerouting priority 10 ; }
add rule ip four pre drop
`);

  it('an inet table sees IPv4 and IPv6; ip matches only IPv4 packets, ip6 only IPv6', () => {
    expect(summary(trace(nft, '203.0.113.1', '10.0.0.1'))).toEqual([['DROP', null, 1]]);
    expect(summary(trace(nft, '2001:db8::1', 'fd00::2', 80, { local: ['fd00::9'] }))).toEqual([['REJECT', null, 1]]);
    expect(summary(trace(nft, '2001:db8::2', 'fd00::2', 81, { local: ['fd00::9'] }))).toEqual([['DROP', null, 1]]);
  });

  it('an ip6 table sees IPv6 packets and an ip table does not', () => {
    const v6 = trace(nft, '2001:db8::2', 'fd00::1', 80, { local: ['fd00::9'] });
    expect(summary(v6)).toEqual([['DROP', null, 1]]);
    expect(v6.outcomes[0]!.path.map((s) => `${s.nftFamily} ${s.table}`)).toEqual(['inet both', 'ip6 six']);
    const other = trace(nft, '2001:db8::2', 'fd00::2', 80, { local: ['fd00::9'] });
    expect(summary(other)).toEqual([['ACCEPT', null, 1]]);
    expect(other.packet.family).toBe('ipv6');
  });
});

describe('what the tracer cannot decide', () => {
  const nft = ruleset(`${PRE}add set ip t affinity-X { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
add set ip t cluster-ips { type ipv4_addr ; }
add element ip t cluster-ips { 10.96.0.1 }
add chain ip t ep
add rule ip t pre ip daddr @cluster-ips ip saddr @affinity-X goto ep
add rule ip t pre ip daddr @cluster-ips reject
add rule ip t ep drop
add rule ip t pre limit rate 10/second accept
`);

  it('a dynamic set (session affinity) is read as the dump shows it: a client it holds is pinned, any other is new; both said', () => {
    const fresh = trace(nft, '203.0.113.1', '10.96.0.1');
    expect(fresh.outcomes.map((o) => [o.verdict, o.probability, o.case])).toEqual([['REJECT', 1, []]]);
    expect(fresh.outcomes[0]!.assumptions).toContainEqual(expect.stringMatching(/session affinity as the dump shows it: the client is not in @affinity-X \(0 pinned there\), so it is taken as a new client/));
    const pinnedSet = ruleset(`${PRE}add set ip t affinity-X { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }
add element ip t affinity-X { 203.0.113.7 expires 2h59m59s776ms }
add chain ip t ep
add rule ip t pre ip saddr @affinity-X goto ep
add rule ip t ep drop
`);
    const pinned = trace(pinnedSet, '203.0.113.7', '10.96.0.1');
    expect(pinned.outcomes.map((o) => [o.verdict, o.probability, o.case])).toEqual([['DROP', 1, []]]);
    expect(pinned.outcomes[0]!.assumptions).toContainEqual(expect.stringMatching(/session affinity as the dump shows it: 203\.0\.113\.7 is in @affinity-X \(expires in 10799\.776s\)/));
  });

  it('--assume says when an answer named no match the packet met', () => {
    const r = trace(nft, '203.0.113.1', '10.96.0.2', 80, { assume: [assumption('limit rate 10/second=true'), assumption('KUBE-LOOP-BACK=false')] });
    expect(r.outcomes.map((o) => o.verdict)).toEqual(['ACCEPT']);
    expect(r.outcomes[0]!.case).toEqual([]);
    expect(r.unusedAssumptions).toEqual(['KUBE-LOOP-BACK=false']);
  });

  it('a static set is decided by its elements', () => {
    const r = trace(nft, '203.0.113.1', '10.96.0.2');
    // Not a cluster IP: on to the limit rule, which the tracer does not model: two cases.
    expect(r.outcomes.map((o) => [o.verdict, o.case])).toEqual([
      ['ACCEPT', ['limit rate 10/second=true']],
      ['ACCEPT', ['limit rate 10/second=false']],
    ]);
    expect(r.outcomes.map((o) => steps(o))).toEqual([['pre#3>ACCEPT'], ['pre#->policy ACCEPT']]);
  });

  it('an unknown match is a case too, and unknownMatches can decide them all', () => {
    const owner = ruleset(`add table ip t
add chain ip t out { type filter hook output priority 0 ; }
add rule ip t out meta skuid 0 drop
`);
    const r = trace(owner, NODE_IP, '10.0.0.1');
    expect(r.outcomes.map((o) => [o.verdict, o.case])).toEqual([
      ['DROP', ['meta skuid 0=true']],
      ['ACCEPT', ['meta skuid 0=false']],
    ]);
    const nomatch = trace(owner, NODE_IP, '10.0.0.1', 80, { unknownMatches: 'nomatch' });
    expect(nomatch.outcomes.map((o) => [o.verdict, o.case])).toEqual([['ACCEPT', []]]);
    expect(nomatch.outcomes[0]!.assumptions.some((a) => a.includes('meta skuid 0 cannot be decided from the dump; treated as not matching'))).toBe(true);
  });
});

describe('what other tools leave in the ruleset', () => {
  it('iptables-nft\'s statistic as nft prints it (meta random & 2147483647 < T) is a probability', () => {
    const nft = ruleset(`${PRE}add rule ip t pre meta random & 2147483647 < 1073741824 drop
add rule ip t pre meta random & 2147483647 < 715827883 reject
`);
    const r = trace(nft, '203.0.113.1', '10.0.0.1');
    expect(summary(r)).toEqual([
      ['DROP', null, 0.5],
      ['REJECT', null, Number((0.5 * 715827883 / 2 ** 31).toFixed(12))],
      ['ACCEPT', null, Number((0.5 * (1 - 715827883 / 2 ** 31)).toFixed(12))],
    ]);
  });

  it('an xt comment match always matches; another xt match is a case', () => {
    const nft = ruleset(JSON.stringify({ nftables: [
      { table: { family: 'ip', name: 'filter', handle: 1 } },
      { chain: { family: 'ip', table: 'filter', name: 'FORWARD', handle: 1, type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
      { rule: { family: 'ip', table: 'filter', chain: 'FORWARD', handle: 2, expr: [
        { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: '10.0.0.1' } },
        { xt: { type: 'match', name: 'comment' } },
        { drop: null },
      ] } },
      { rule: { family: 'ip', table: 'filter', chain: 'FORWARD', handle: 3, expr: [
        { xt: { type: 'match', name: 'conntrack' } },
        { drop: null },
      ] } },
    ] }));
    expect(summary(trace(nft, '203.0.113.1', '10.0.0.1'))).toEqual([['DROP', null, 1]]);
    const r = trace(nft, '203.0.113.1', '10.0.0.2');
    expect(r.outcomes.map((o) => [o.verdict, o.case])).toEqual([
      ['DROP', ['xt match "conntrack"=true']],
      ['ACCEPT', ['xt match "conntrack"=false']],
    ]);
    expect(r.outcomes[0]!.path[0]).toMatchObject({ chain: 'FORWARD', rule: 2, handle: 3, target: 'DROP' });
  });

  it('ct status dnat, pkttype host and tcp flags syn are known for a new connection; dnat ip skips IPv6 packets', () => {
    const nft = ruleset(`add table inet q
add chain inet q pre { type nat hook prerouting priority -100 ; }
add rule inet q pre meta l4proto tcp dnat ip to 10.180.0.1:80
add chain inet q fwd { type filter hook forward priority 0 ; }
add rule inet q fwd ct status dnat tcp flags syn meta pkttype host drop
`);
    expect(summary(trace(nft, '203.0.113.1', '10.0.0.1'))).toEqual([['DROP', '10.180.0.1:80', 1]]);
    expect(summary(trace(nft, '2001:db8::1', 'fd00::1', 80, { local: ['fd00::9'] }))).toEqual([['ACCEPT', null, 1]]);
  });
});

describe('headers the packet does not have', () => {
  it('an ICMP match on a TCP packet does not match; on an ICMP packet it is a case', () => {
    const nft = ruleset(`${PRE}add rule ip t pre icmp type echo-request drop
`);
    expect(trace(nft, '203.0.113.1', '10.0.0.1').outcomes.map((o) => [o.verdict, o.case])).toEqual([['ACCEPT', []]]);
    const icmp = traceNftPacket(nft, { protocol: 'icmp', src: '203.0.113.1', dst: '10.0.0.1', dport: 0 }, { localAddresses: [NODE_IP] });
    expect(icmp.outcomes.map((o) => [o.verdict, o.case])).toEqual([
      ['DROP', ['icmp type echo-request=true']],
      ['ACCEPT', ['icmp type echo-request=false']],
    ]);
  });
});

describe('large numgen moduli', () => {
  it('numbers missing from the map go on together: one branch, not one per number', () => {
    const nft = ruleset(`${PRE}add rule ip t pre numgen random mod 60000 vmap { 0 : drop , 1 : drop }
`);
    const r = trace(nft, '203.0.113.1', '10.0.0.1');
    expect(summary(r)).toEqual([['DROP', null, Number((2 / 60000).toFixed(12))], ['ACCEPT', null, Number((59998 / 60000).toFixed(12))]]);
  });

  it('a modulus beyond any endpoint count is not followed number by number: the rule is a case', () => {
    const nft = ruleset(`${PRE}add rule ip t pre numgen random mod 1000000 0 drop
`);
    const r = trace(nft, '203.0.113.1', '10.0.0.1');
    expect(r.outcomes.map((o) => [o.verdict, o.case])).toEqual([
      ['DROP', ['numgen random mod 1000000 0=true']],
      ['ACCEPT', ['numgen random mod 1000000 0=false']],
    ]);
  });
});

describe('rulesets the kernel would refuse still end', () => {
  it('a jump loop stops at the depth limit, and says so', () => {
    const nft = ruleset(`${PRE}add chain ip t a
add rule ip t pre jump a
add rule ip t a jump a
`);
    const r = trace(nft, '203.0.113.1', '10.0.0.1', 80, { maxDepth: 10 });
    expect(r.outcomes.map((o) => [o.verdict, o.reason])).toEqual([['DROP', 'chains nest deeper than 10']]);
  });

  it('chains that each jump twice to the next run out of steps instead of hanging', () => {
    const chains = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const text = `${PRE}${chains.map((c) => `add chain ip t ${c}\n`).join('')}add rule ip t pre jump c0\n${chains
      .slice(0, -1)
      .map((c, i) => `add rule ip t ${c} jump c${i + 1}\nadd rule ip t ${c} jump c${i + 1}\n`)
      .join('')}`;
    const r = trace(ruleset(text), '203.0.113.1', '10.0.0.1', 80, { maxSteps: 20_000 });
    expect(r.outcomes.some((o) => o.verdict === 'DROP' && o.reason?.startsWith('trace stopped after 20000 rule steps'))).toBe(true);
  });
});
