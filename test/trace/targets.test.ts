/** Targets: jumps, goto, RETURN, policies, loops, NAT, marks and the non-terminating ones. */
import { describe, expect, it } from 'vitest';
import { hasAssumption, only, save, steps, trace } from './helpers.js';

const pkt = { src: '10.1.2.3', dst: '10.96.0.10', dport: 80 } as const;

describe('jump, goto and RETURN', () => {
  it('RETURN from a jumped-to chain continues after the jump', () => {
    const rs = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      :A - [0:0]
      [0:0] -A FORWARD -j A
      [0:0] -A FORWARD -j REJECT
      [0:0] -A A -j RETURN
      [0:0] -A A -j DROP
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.verdict).toBe('REJECT');
    expect(steps(o)).toEqual(['filter FORWARD#1>A', 'filter A#1>RETURN', 'filter FORWARD#2>REJECT']);
  });

  it('RETURN from a goto-ed chain returns to the caller of the chain that did the goto', () => {
    const rs = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      :A - [0:0]
      :B - [0:0]
      [0:0] -A FORWARD -j A
      [0:0] -A FORWARD -j REJECT
      [0:0] -A A -g B
      [0:0] -A A -j DROP
      [0:0] -A B -j RETURN
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    // A's rule 2 (DROP) is skipped: B's RETURN goes straight back to FORWARD.
    expect(o.verdict).toBe('REJECT');
    expect(steps(o)).toEqual(['filter FORWARD#1>A', 'filter A#1>B', 'filter B#1>RETURN', 'filter FORWARD#2>REJECT']);
    expect(o.path[1]!.goto).toBe(true);
  });

  it('falling off the end of a goto-ed chain also returns past the goto', () => {
    const rs = save(`
      *filter
      :FORWARD DROP [0:0]
      :B - [0:0]
      [0:0] -A FORWARD -g B
      [0:0] -A FORWARD -j ACCEPT
      COMMIT
    `);
    // A goto from the built-in chain itself: when B ends, the policy (DROP) decides.
    const o = only(trace(rs, pkt));
    expect(o.verdict).toBe('DROP');
    expect(steps(o)).toEqual(['filter FORWARD#1>B', 'filter FORWARD#policy DROP']);
  });

  it('RETURN at the top of a built-in chain applies its policy', () => {
    const rs = save(`
      *filter
      :FORWARD DROP [0:0]
      [0:0] -A FORWARD -j RETURN
      [0:0] -A FORWARD -j ACCEPT
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.verdict).toBe('DROP');
    expect(o.path.at(-1)).toMatchObject({ table: 'filter', chain: 'FORWARD', rule: null, target: 'policy DROP' });
    expect(o.reason).toBe('policy DROP of filter FORWARD');
  });

  it('a jump to a chain missing from the dump is recorded and walked past', () => {
    const rs = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -j KUBE-NOT-HERE
      [0:0] -A FORWARD -j REJECT
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.verdict).toBe('REJECT');
    expect(hasAssumption(o, 'filter FORWARD rule 1', 'KUBE-NOT-HERE', 'not in the dump')).toBe(true);
  });
});

describe('policies', () => {
  it('a restore-form "-" policy is taken as ACCEPT, with an assumption', () => {
    const rs = save(`
      *filter
      :FORWARD - [0:0]
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.verdict).toBe('ACCEPT');
    expect(o.path).toEqual([{ table: 'filter', chain: 'FORWARD', rule: null, target: 'policy ACCEPT', line: 2 }]);
    expect(hasAssumption(o, 'filter FORWARD', 'no policy', 'ACCEPT')).toBe(true);
  });

  it('the policy of a built-in chain decides when nothing else does', () => {
    const rs = save(`
      *filter
      :INPUT DROP [0:0]
      :FORWARD ACCEPT [0:0]
      COMMIT
    `);
    expect(only(trace(rs, { ...pkt, dst: '192.168.0.2' })).verdict).toBe('DROP');
    expect(only(trace(rs, pkt)).verdict).toBe('ACCEPT');
  });
});

describe('loops and depth', () => {
  it('stops a loop with DROP and says "loop"', () => {
    const rs = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      :A - [0:0]
      :B - [0:0]
      [0:0] -A FORWARD -j A
      [0:0] -A A -j B
      [0:0] -A B -j A
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.verdict).toBe('DROP');
    expect(o.reason).toContain('loop');
    expect(o.reason).toContain('A -> B -> A');
    expect(hasAssumption(o, 'loop', 'filter B rule 1')).toBe(true);
  });

  it('catches a chain that jumps to itself, and a goto loop', () => {
    const self = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      :A - [0:0]
      [0:0] -A FORWARD -j A
      [0:0] -A A -j A
      COMMIT
    `);
    expect(only(trace(self, pkt)).reason).toContain('loop');
    const viaGoto = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      :A - [0:0]
      :B - [0:0]
      [0:0] -A FORWARD -j A
      [0:0] -A A -g B
      [0:0] -A B -g A
      COMMIT
    `);
    expect(only(trace(viaGoto, pkt)).reason).toContain('loop');
  });

  it('has a depth limit as a second guard', () => {
    const chains = Array.from({ length: 10 }, (_, i) => `C${i}`);
    const rs = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      ${chains.map((c) => `:${c} - [0:0]`).join('\n')}
      [0:0] -A FORWARD -j C0
      ${chains.slice(0, -1).map((c, i) => `[0:0] -A ${c} -j C${i + 1}`).join('\n')}
      COMMIT
    `);
    expect(only(trace(rs, pkt)).verdict).toBe('ACCEPT');
    const o = only(trace(rs, pkt, { maxDepth: 5 }));
    expect(o.verdict).toBe('DROP');
    expect(o.reason).toContain('depth limit 5');
  });
});

describe('verdicts', () => {
  it('ACCEPT ends the table for this hook but not the later tables', () => {
    const rs = save(`
      *mangle
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -j ACCEPT
      [0:0] -A FORWARD -j MARK --set-mark 0x1
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -m mark --mark 0x1 -j DROP
      [0:0] -A FORWARD -j REJECT
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.verdict).toBe('REJECT');
    expect(steps(o)).toEqual(['mangle FORWARD#1>ACCEPT', 'filter FORWARD#2>REJECT']);
  });

  it('DROP and REJECT end the walk', () => {
    const rs = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -p tcp -j REJECT --reject-with tcp-reset
      [0:0] -A FORWARD -j DROP
      COMMIT
      *nat
      :POSTROUTING ACCEPT [0:0]
      [0:0] -A POSTROUTING -j MASQUERADE
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.verdict).toBe('REJECT');
    expect(o.masquerade).toBe(false);
    expect(o.delivery).toBeNull();
  });

  it('LOG, NFLOG and other non-terminating targets continue', () => {
    const rs = save(`
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -j LOG --log-prefix "seen: "
      [0:0] -A FORWARD -j NFLOG --nflog-group 5
      [0:0] -A FORWARD -p tcp -j TCPMSS --clamp-mss-to-pmtu
      [0:0] -A FORWARD -j DROP
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.verdict).toBe('DROP');
    expect(steps(o)).toEqual(['filter FORWARD#1>LOG', 'filter FORWARD#2>NFLOG', 'filter FORWARD#3>TCPMSS', 'filter FORWARD#4>DROP']);
    expect(o.assumptions).toEqual([]);
  });

  it('a rule without a target only counts', () => {
    const rs = save(`
      *filter
      :FORWARD DROP [0:0]
      [0:0] -A FORWARD -d 10.96.0.10/32
      COMMIT
    `);
    expect(steps(only(trace(rs, pkt)))).toEqual(['filter FORWARD#policy DROP']);
  });
});

describe('NAT', () => {
  it('DNAT rewrites address and port, and later rules see the new destination', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.1.5:8080
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -d 10.96.0.10/32 -j REJECT
      [0:0] -A FORWARD -d 10.244.1.5/32 -p tcp -m tcp --dport 80 -j REJECT
      [0:0] -A FORWARD -d 10.244.1.5/32 -p tcp -m tcp --dport 8080 -j DROP
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.dnat).toBe('10.244.1.5:8080');
    expect(o.verdict).toBe('DROP');
    expect(o.path.at(-1)).toMatchObject({ chain: 'FORWARD', rule: 3 });
  });

  it('DNAT without a port keeps the port; a range takes the first address, with an assumption', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.244.1.5
      [0:0] -A PREROUTING -p tcp --dport 81 -j DNAT --to-destination 10.244.1.7-10.244.1.9:9000-9009
      COMMIT
    `);
    expect(only(trace(rs, pkt)).dnat).toBe('10.244.1.5:80');
    const ranged = only(trace(rs, { ...pkt, dport: 81 }));
    expect(ranged.dnat).toBe('10.244.1.7:9000');
    expect(hasAssumption(ranged, 'nat PREROUTING rule 2', 'range', 'first')).toBe(true);
  });

  it('the nat hook ends after DNAT and after ACCEPT; nat DROP is honoured', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -d 10.96.0.10/32 -j DNAT --to-destination 10.244.1.5:8080
      [0:0] -A PREROUTING -d 10.96.0.11/32 -j ACCEPT
      [0:0] -A PREROUTING -d 10.96.0.12/32 -j DROP
      [0:0] -A PREROUTING -j DNAT --to-destination 10.244.9.9:1
      COMMIT
    `);
    expect(only(trace(rs, pkt)).dnat).toBe('10.244.1.5:8080');
    expect(only(trace(rs, { ...pkt, dst: '10.96.0.11' })).dnat).toBeNull();
    const dropped = only(trace(rs, { ...pkt, dst: '10.96.0.12' }));
    expect(dropped.verdict).toBe('DROP');
    expect(only(trace(rs, { ...pkt, dst: '10.96.0.13' })).dnat).toBe('10.244.9.9:1');
  });

  it('nat chains see only a connection’s first packet', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -j DNAT --to-destination 10.244.1.5:8080
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
      COMMIT
    `);
    expect(only(trace(rs, pkt)).dnat).toBe('10.244.1.5:8080');
    const est = only(trace(rs, { ...pkt, ctstate: 'ESTABLISHED' }));
    expect(est.dnat).toBeNull();
    expect(steps(est)).toEqual(['filter FORWARD#1>ACCEPT']);
    expect(hasAssumption(est, 'ESTABLISHED', 'nat')).toBe(true);
  });

  it('NOTRACK in raw takes the packet out of conntrack and so out of nat', () => {
    const rs = save(`
      *raw
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -d 10.96.0.10/32 -j NOTRACK
      COMMIT
      *nat
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -j DNAT --to-destination 10.244.1.5:8080
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -m conntrack --ctstate UNTRACKED -j REJECT
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.dnat).toBeNull();
    expect(o.verdict).toBe('REJECT');
  });

  it('SNAT and MASQUERADE set masquerade', () => {
    const rs = save(`
      *nat
      :POSTROUTING ACCEPT [0:0]
      [0:0] -A POSTROUTING -s 10.1.0.0/16 -j SNAT --to-source 192.168.0.2
      [0:0] -A POSTROUTING -s 10.2.0.0/16 -j MASQUERADE
      COMMIT
    `);
    const snat = only(trace(rs, pkt));
    expect(snat.masquerade).toBe(true);
    expect(snat.reason).toBe('SNAT to 192.168.0.2: POSTROUTING rule 1');
    const masq = only(trace(rs, { ...pkt, src: '10.2.0.1' }));
    expect(masq.masquerade).toBe(true);
    expect(masq.reason).toBe('masqueraded: POSTROUTING rule 2');
    expect(only(trace(rs, { ...pkt, src: '10.3.0.1' })).masquerade).toBe(false);
  });

  it('REDIRECT sends a locally generated packet to loopback, with the new port', () => {
    const rs = save(`
      *nat
      :OUTPUT ACCEPT [0:0]
      [0:0] -A OUTPUT -p tcp --dport 80 -j REDIRECT --to-ports 15001
      COMMIT
    `);
    const o = only(trace(rs, { src: '192.168.0.2', dst: '10.96.0.10', dport: 80 }));
    expect(o.dnat).toBe('127.0.0.1:15001');
    expect(o.delivery).toBe('local');
  });

  it('DNAT to an IPv6 endpoint gives "[addr]:port"', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -d fd00:96::a/128 -p tcp -j DNAT --to-destination [fd00:10:180::1]:8080
      COMMIT
    `);
    expect(only(trace(rs, { src: 'fd00:1::5', dst: 'fd00:96::a', dport: 80 })).dnat).toBe('[fd00:10:180::1]:8080');
  });
});

describe('KUBE-MARK-MASQ and KUBE-POSTROUTING', () => {
  const postrouting = `
    [0:0] -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
    [0:0] -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
    [0:0] -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
    [0:0] -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
  `;

  it('masquerades what KUBE-MARK-MASQ marked, naming the rule that asked for it', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      :KUBE-EXT-X - [0:0]
      :KUBE-MARK-MASQ - [0:0]
      :KUBE-POSTROUTING - [0:0]
      [0:0] -A PREROUTING -p tcp --dport 30080 -j KUBE-EXT-X
      [0:0] -A KUBE-EXT-X -m comment --comment "masquerade traffic for default/nginx external destinations" -j KUBE-MARK-MASQ
      [0:0] -A KUBE-EXT-X -j DNAT --to-destination 10.244.1.5:80
      [0:0] -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
      ${postrouting}
      COMMIT
    `);
    const marked = only(trace(rs, { ...pkt, dport: 30080 }));
    expect(marked.masquerade).toBe(true);
    expect(marked.reason).toBe('masqueraded: KUBE-EXT-X rule 1 (masquerade traffic for default/nginx external destinations)');
    expect(steps(marked).slice(-3)).toEqual([
      'nat POSTROUTING#1>KUBE-POSTROUTING',
      'nat KUBE-POSTROUTING#2>MARK',
      'nat KUBE-POSTROUTING#3>MASQUERADE',
    ]);
    const unmarked = only(trace(rs, pkt));
    expect(unmarked.masquerade).toBe(false);
    expect(unmarked.reason).toBeNull();
  });

  it('treats a jump to an undeclared KUBE-MARK-MASQ as --or-mark 0x4000, with an assumption', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      :POSTROUTING ACCEPT [0:0]
      :KUBE-POSTROUTING - [0:0]
      [0:0] -A PREROUTING -j KUBE-MARK-MASQ
      ${postrouting}
      COMMIT
    `);
    const o = only(trace(rs, pkt));
    expect(o.masquerade).toBe(true);
    expect(hasAssumption(o, 'KUBE-MARK-MASQ', '0x4000')).toBe(true);
    expect(o.reason).toBe('masqueraded: PREROUTING rule 1');
  });
});
