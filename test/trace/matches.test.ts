/** Each match the tracer models, on a one-rule chain reached from INPUT, FORWARD and OUTPUT. */
import { describe, expect, it } from 'vitest';
import { traceCases, type Packet, type TraceOptions, type TraceResult } from '../../src/core/trace/index.js';
import { checkDump, hasAssumption, only, save, trace } from './helpers.js';

type P = Partial<Packet> & Pick<Packet, 'dst' | 'dport'>;
const pkt: P = { src: '10.1.2.3', dst: '10.96.0.10', dport: 80 };

function run(match: string, packet: P = pkt, options: TraceOptions = {}): TraceResult {
  return trace(checkDump([`${match} -j DROP`]), packet, options);
}

/** Whether a single DROP rule with this match takes the packet. */
function drops(match: string, packet: P = pkt, options: TraceOptions = {}): boolean {
  return only(run(match, packet, options)).verdict === 'DROP';
}

describe('addresses: -s / -d', () => {
  it('matches bare addresses, /32 and CIDRs, and negation', () => {
    expect(drops('-s 10.1.2.3')).toBe(true);
    expect(drops('-s 10.1.2.3/32')).toBe(true);
    expect(drops('-s 10.1.2.4/32')).toBe(false);
    expect(drops('-s 10.0.0.0/8')).toBe(true);
    expect(drops('-s 10.1.2.0/255.255.255.0')).toBe(true);
    expect(drops('-s 10.1.3.0/24')).toBe(false);
    expect(drops('! -s 10.0.0.0/8')).toBe(false);
    expect(drops('! -s 172.16.0.0/12')).toBe(true);
    expect(drops('-d 10.96.0.0/12')).toBe(true);
    expect(drops('-d 10.96.0.11')).toBe(false);
    expect(drops('! -d 10.96.0.10/32')).toBe(false);
  });

  it('matches a prefix that is not byte-aligned', () => {
    expect(drops('-s 10.1.2.0/23')).toBe(true);
    expect(drops('-s 10.1.0.0/23')).toBe(false);
  });

  it('matches IPv6 addresses and prefixes', () => {
    const v6: P = { src: 'fd00:10::5', dst: 'fd00:96::a', dport: 80 };
    const rs = (m: string) =>
      save(`
        *filter
        :FORWARD ACCEPT [0:0]
        [0:0] -A FORWARD ${m} -j DROP
        COMMIT
      `);
    const dropsV6 = (m: string) => only(trace(rs(m), v6)).verdict === 'DROP';
    expect(dropsV6('-s fd00:10::/64')).toBe(true);
    expect(dropsV6('-s fd00:10::5/128')).toBe(true);
    expect(dropsV6('-s fd00:11::/64')).toBe(false);
    expect(dropsV6('! -d fd00:96::/32')).toBe(false);
    expect(dropsV6('-d fd00:96:0:0:0:0:0:a')).toBe(true);
  });
});

describe('protocol: -p', () => {
  it('matches names, numbers, "all" and negation', () => {
    expect(drops('-p tcp')).toBe(true);
    expect(drops('-p 6')).toBe(true);
    expect(drops('-p all')).toBe(true);
    expect(drops('-p udp')).toBe(false);
    expect(drops('-p 17', { ...pkt, protocol: 'udp' })).toBe(true);
    expect(drops('-p 132', { ...pkt, protocol: 'sctp' })).toBe(true);
    expect(drops('-p sctp')).toBe(false);
    expect(drops('! -p udp')).toBe(true);
  });
});

describe('interfaces: -i / -o', () => {
  it('matches the given in-interface exactly or by "+" prefix, without assumptions', () => {
    const given = { ...pkt, inInterface: 'cni0' };
    expect(drops('-i cni0', given)).toBe(true);
    expect(drops('-i cni+', given)).toBe(true);
    expect(drops('-i eth0', given)).toBe(false);
    expect(drops('! -i cni0', given)).toBe(false);
    expect(only(run('-i cni+', given)).assumptions).toEqual([]);
  });

  it('uses eth0 when the packet does not say, and records the assumption when it decided', () => {
    const o = only(run('-i eth0'));
    expect(o.verdict).toBe('DROP');
    expect(hasAssumption(o, 'filter CHECK rule 1', '-i eth0', 'assumed in-interface "eth0"')).toBe(true);
    const no = only(run('-i docker0'));
    expect(no.verdict).toBe('ACCEPT');
    expect(hasAssumption(no, 'filter CHECK rule 1', '-i docker0')).toBe(true);
  });

  it('does not record an interface assumption when another match already failed', () => {
    const o = only(run('-i docker0 -s 192.0.2.1'));
    expect(o.verdict).toBe('ACCEPT');
    expect(o.assumptions.some((a) => a.includes('interface'))).toBe(false);
  });

  it('gives a forwarded packet out-interface eth0 (assumed) and a local delivery none', () => {
    const fwd = only(run('-o eth0'));
    expect(fwd.verdict).toBe('DROP');
    expect(hasAssumption(fwd, 'out-interface "eth0"')).toBe(true);
    // Delivered locally (INPUT): no out-interface at all.
    expect(drops('-o eth+', { ...pkt, dst: '192.168.0.2' })).toBe(false);
    expect(drops('! -o eth+', { ...pkt, dst: '192.168.0.2' })).toBe(true);
  });

  it('sends a locally generated packet to a local address out of lo, and back in on lo', () => {
    const toSelf: P = { src: '192.168.0.2', dst: '192.168.0.2', dport: 22 };
    const rs = save(`
      *filter
      :INPUT ACCEPT [0:0]
      :OUTPUT ACCEPT [0:0]
      [0:0] -A OUTPUT -o lo -j MARK --set-mark 0x1
      [0:0] -A INPUT -i lo -m mark --mark 0x1 -j DROP
      COMMIT
    `);
    const o = only(trace(rs, toSelf));
    expect(o.verdict).toBe('DROP');
    expect(o.assumptions).toEqual([]);
  });
});

describe('ports: tcp/udp/sctp --dport/--sport', () => {
  it('matches single ports, ranges and negation', () => {
    expect(drops('-p tcp -m tcp --dport 80')).toBe(true);
    expect(drops('-p tcp --dport 80')).toBe(true);
    expect(drops('-p tcp -m tcp --dport 81')).toBe(false);
    expect(drops('-p tcp -m tcp --dport 1:1024')).toBe(true);
    expect(drops('-p tcp -m tcp --dport 81:')).toBe(false);
    expect(drops('-p tcp -m tcp --dport :80')).toBe(true);
    expect(drops('-p tcp -m tcp ! --dport 80')).toBe(false);
    expect(drops('-p tcp -m tcp ! --dport 8000:9000')).toBe(true);
  });

  it('only matches the module of the packet protocol', () => {
    expect(drops('-p udp -m udp --dport 80')).toBe(false);
    expect(drops('-p udp -m udp --dport 80', { ...pkt, protocol: 'udp' })).toBe(true);
    expect(drops('-p sctp -m sctp --dport 80', { ...pkt, protocol: 'sctp' })).toBe(true);
  });

  it('tests --sport against the given source port, or the default one with an assumption', () => {
    expect(drops('-p tcp -m tcp --sport 5000', { ...pkt, sport: 5000 })).toBe(true);
    expect(drops('-p tcp -m tcp --sport 1:1023', { ...pkt, sport: 5000 })).toBe(false);
    const o = only(run('-p tcp -m tcp --sport 1024:65535'));
    expect(o.verdict).toBe('DROP');
    expect(hasAssumption(o, 'assumed source port')).toBe(true);
  });

  it('reads --syn and --tcp-flags as the SYN that opens a NEW connection', () => {
    expect(drops('-p tcp -m tcp --syn')).toBe(true);
    expect(drops('-p tcp -m tcp --tcp-flags SYN,RST,ACK,FIN SYN')).toBe(true);
    expect(drops('-p tcp -m tcp --tcp-flags SYN,ACK ACK')).toBe(false);
    const est = only(run('-p tcp -m tcp --syn', { ...pkt, ctstate: 'ESTABLISHED' }));
    expect(est.verdict).toBe('ACCEPT');
    expect(hasAssumption(est, 'TCP flags', 'ACK')).toBe(true);
  });
});

describe('multiport', () => {
  it('matches lists with ranges, for --dports, --sports and --ports, and negation', () => {
    expect(drops('-p tcp -m multiport --dports 22,80,443')).toBe(true);
    expect(drops('-p tcp -m multiport --dports 22,443')).toBe(false);
    expect(drops('-p tcp -m multiport --dports 22,70:90')).toBe(true);
    expect(drops('-p tcp -m multiport ! --dports 22,70:90')).toBe(false);
    expect(drops('-p tcp -m multiport --sports 1000:6000', { ...pkt, sport: 5000 })).toBe(true);
    expect(drops('-p tcp -m multiport --ports 5000,9', { ...pkt, sport: 5000 })).toBe(true);
    expect(drops('-p tcp -m multiport --ports 80', { ...pkt, sport: 5000 })).toBe(true);
    expect(drops('-p tcp -m multiport --ports 81', { ...pkt, sport: 5000 })).toBe(false);
  });
});

describe('addrtype', () => {
  it('knows LOCAL from the node addresses and loopback', () => {
    const toNode: P = { ...pkt, dst: '192.168.0.2' };
    expect(drops('-m addrtype --dst-type LOCAL', toNode)).toBe(true);
    expect(drops('-m addrtype --dst-type LOCAL')).toBe(false);
    expect(drops('-m addrtype ! --dst-type LOCAL')).toBe(true);
    expect(drops('-m addrtype --dst-type LOCAL', { ...pkt, dst: '127.0.0.1' })).toBe(true);
    expect(drops('-m addrtype --src-type LOCAL', { ...pkt, src: '192.168.0.2' })).toBe(true);
    expect(drops('-m addrtype --src-type LOCAL')).toBe(false);
    // Deciding LOCAL needs no assumption.
    expect(only(run('-m addrtype --dst-type LOCAL', toNode)).assumptions).toEqual([]);
  });

  it('treats a non-local unicast address as UNICAST and says so', () => {
    const o = only(run('-m addrtype --dst-type UNICAST'));
    expect(o.verdict).toBe('DROP');
    expect(hasAssumption(o, 'filter CHECK rule 1', 'addrtype', 'UNICAST')).toBe(true);
    expect(drops('-m addrtype --dst-type MULTICAST')).toBe(false);
    expect(drops('-m addrtype --dst-type MULTICAST', { ...pkt, protocol: 'udp', dst: '239.1.1.1' })).toBe(true);
  });
});

describe('mark', () => {
  /** MARK ops then a test: does the final mark match `test`? */
  function markAfter(ops: string[], test: string): boolean {
    const rs = checkDump([...ops.map((o) => `-j MARK ${o}`), `-m mark ${test} -j DROP`]);
    return only(trace(rs, pkt)).verdict === 'DROP';
  }

  it('applies --set-xmark, --set-mark, --or-mark, --xor-mark and --and-mark like the kernel', () => {
    expect(markAfter(['--set-xmark 0x4000/0x4000'], '--mark 0x4000/0x4000')).toBe(true);
    expect(markAfter(['--set-mark 0xff', '--set-xmark 0x1/0xf'], '--mark 0xf1')).toBe(true);
    expect(markAfter(['--set-mark 0xff', '--set-mark 0x1/0xf'], '--mark 0xf1')).toBe(true);
    expect(markAfter(['--or-mark 0x4000', '--or-mark 0x1'], '--mark 0x4001')).toBe(true);
    expect(markAfter(['--or-mark 0x4000', '--xor-mark 0x4000'], '--mark 0x0')).toBe(true);
    expect(markAfter(['--or-mark 0x4001', '--and-mark 0x1'], '--mark 0x1')).toBe(true);
    expect(markAfter(['--or-mark 0x4000'], '! --mark 0x4000/0x4000')).toBe(false);
    expect(markAfter([], '--mark 0x4000/0x4000')).toBe(false);
    expect(markAfter([], '! --mark 0x4000/0x4000')).toBe(true);
  });

  it('carries the mark from one table and hook to the next', () => {
    const rs = save(`
      *mangle
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -j MARK --set-xmark 0x10/0x10
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -m mark --mark 0x10/0x10 -j REJECT
      COMMIT
    `);
    expect(only(trace(rs, pkt)).verdict).toBe('REJECT');
  });

  it('keeps a connection mark with CONNMARK --save-mark / --restore-mark', () => {
    const rs = checkDump([
      '-j MARK --set-mark 0x7',
      '-j CONNMARK --save-mark --nfmask 0x3 --ctmask 0xff',
      '-j MARK --set-mark 0x0',
      '-m connmark --mark 0x3 -j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff',
      '-m mark --mark 0x3 -j DROP',
    ]);
    expect(only(trace(rs, pkt)).verdict).toBe('DROP');
  });
});

describe('conntrack / state', () => {
  it('sees a NEW packet by default and the given state otherwise', () => {
    expect(drops('-m conntrack --ctstate NEW')).toBe(true);
    expect(drops('-m conntrack --ctstate RELATED,ESTABLISHED')).toBe(false);
    expect(drops('-m conntrack --ctstate RELATED,ESTABLISHED', { ...pkt, ctstate: 'ESTABLISHED' })).toBe(true);
    expect(drops('-m conntrack ! --ctstate NEW')).toBe(false);
    expect(drops('-m state --state NEW')).toBe(true);
    expect(drops('-m conntrack --ctstate INVALID', { ...pkt, ctstate: 'INVALID' })).toBe(true);
  });

  it('has the DNAT virtual state once the packet was DNATed', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -d 10.96.0.10/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.5:8080
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -m conntrack --ctstate DNAT -j REJECT
      COMMIT
    `);
    expect(only(trace(rs, pkt)).verdict).toBe('REJECT');
    expect(only(trace(rs, { ...pkt, dst: '10.96.0.11' })).verdict).toBe('ACCEPT');
  });

  it('matches --ctorigdst against the destination before DNAT', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -j DNAT --to-destination 10.244.1.5:8080
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -m conntrack --ctorigdst 10.96.0.10 --ctorigdstport 80 -j DROP
      COMMIT
    `);
    expect(only(trace(rs, pkt)).verdict).toBe('DROP');
  });
});

describe('comment, nfacct and other modules', () => {
  it('comment always matches', () => {
    expect(drops('-m comment --comment "anything at all"')).toBe(true);
    expect(only(run('-m comment --comment x')).assumptions).toEqual([]);
  });

  it('nfacct counts as matching, and says so', () => {
    const o = only(run('-m nfacct --nfacct-name localhost_nps_accepted_pkts'));
    expect(o.verdict).toBe('DROP');
    expect(hasAssumption(o, 'filter CHECK rule 1', 'nfacct')).toBe(true);
  });

  it('splits an unknown module into two cases, each with its whole chance, naming the rule, the module and the case', () => {
    const r = run('-m set --match-set allowed src');
    expect(r.outcomes).toHaveLength(2);
    const [drop, pass] = [r.outcomes.find((o) => o.verdict === 'DROP')!, r.outcomes.find((o) => o.verdict === 'ACCEPT')!];
    expect(drop.probability).toBe(1);
    expect(pass.probability).toBe(1);
    expect(drop.case).toEqual(['set --match-set allowed src=true']);
    expect(pass.case).toEqual(['set --match-set allowed src=false']);
    expect(hasAssumption(drop, 'filter CHECK rule 1', '-m set --match-set allowed src', 'this case takes set --match-set allowed src=true')).toBe(true);
    expect(hasAssumption(pass, 'filter CHECK rule 1', '-m set --match-set allowed src', 'this case takes set --match-set allowed src=false')).toBe(true);
    expect(traceCases(r.outcomes).map((c) => c.assumes)).toEqual([['set --match-set allowed src=true'], ['set --match-set allowed src=false']]);
  });

  it('decides an unknown module one way when asked to, still saying so', () => {
    const m = only(run('-m owner --uid-owner 0', pkt, { unknownMatches: 'match' }));
    expect(m.verdict).toBe('DROP');
    expect(hasAssumption(m, 'filter CHECK rule 1', '-m owner', 'treated as matching')).toBe(true);
    const n = only(run('-m owner --uid-owner 0', pkt, { unknownMatches: 'nomatch' }));
    expect(n.verdict).toBe('ACCEPT');
    expect(hasAssumption(n, 'filter CHECK rule 1', '-m owner', 'not matching')).toBe(true);
  });

  it('treats an unknown option of a known module as unknown', () => {
    const r = run('-p tcp -m tcp --tcp-option 7');
    expect(r.outcomes).toHaveLength(2);
    expect(hasAssumption(r.outcomes[0]!, 'filter CHECK rule 1', '-m tcp --tcp-option 7')).toBe(true);
  });

  it('does not split on an unknown module when a known match already fails', () => {
    expect(only(run('-s 192.0.2.1 -m set --match-set allowed src')).assumptions).toEqual([]);
  });

  it('stops splitting after maxUnknownSplits and treats the rest as matching', () => {
    const rs = checkDump(['-m set --match-set a src -j LOG', '-m set --match-set b src -j LOG', '-m set --match-set c src -j LOG']);
    expect(trace(rs, pkt).outcomes).toHaveLength(8);
    const capped = trace(rs, pkt, { maxUnknownSplits: 1 });
    expect(capped.outcomes).toHaveLength(2);
    expect(hasAssumption(capped.outcomes[0]!, 'rule 3', 'treated as matching')).toBe(true);
  });

  it('counts statistic --mode nth as a 1/n chance, with an assumption', () => {
    const r = run('-m statistic --mode nth --every 4 --packet 0');
    const drop = r.outcomes.find((o) => o.verdict === 'DROP')!;
    expect(drop.probability).toBeCloseTo(0.25, 12);
    expect(hasAssumption(drop, 'nth')).toBe(true);
  });

  it('reads iprange and -f', () => {
    expect(drops('-m iprange --src-range 10.1.2.1-10.1.2.9')).toBe(true);
    expect(drops('-m iprange --dst-range 10.96.0.11-10.96.0.20')).toBe(false);
    expect(drops('-f')).toBe(false);
    expect(drops('! -f')).toBe(true);
  });
});

describe('recent (session affinity)', () => {
  it('a new client has no entry: --rcheck and --update do not match, and that is recorded', () => {
    const o = only(run('-m recent --name KUBE-SEP-A --mask 255.255.255.255 --rsource --rcheck --seconds 10800 --reap'));
    expect(o.verdict).toBe('ACCEPT');
    expect(hasAssumption(o, 'filter CHECK rule 1', 'session affinity', 'new client')).toBe(true);
    expect(drops('-m recent --name X --rsource --update --seconds 60')).toBe(false);
    expect(drops('-m recent ! --rcheck --name X')).toBe(true);
  });

  it('--set matches', () => {
    expect(drops('-m recent --set --name KUBE-SEP-A --mask 255.255.255.255 --rsource')).toBe(true);
  });
});

describe('the quick destination prefilter never hides a match', () => {
  it('ignores -d/--dport inside a quoted comment', () => {
    expect(drops('-m comment --comment "moved -d 10.0.0.1 --dport 1 away"')).toBe(true);
  });

  it('handles address lists, negation and the old "--dport ! N" form', () => {
    expect(drops('-d 10.96.0.1,10.96.0.10')).toBe(true);
    expect(drops('! -d 10.96.0.1')).toBe(true);
    expect(drops('-p tcp -m tcp --dport ! 81')).toBe(true);
    expect(drops('-p tcp -m tcp --dport ! 80')).toBe(false);
    expect(drops('-p tcp -m multiport --dports 80,443')).toBe(true);
  });

  it('checks the destination as DNAT left it', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -j DNAT --to-destination 10.244.1.5:8080
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -d 10.96.0.10/32 -j REJECT
      [0:0] -A FORWARD -d 10.244.1.5/32 -p tcp -m tcp --dport 8080 -j DROP
      COMMIT
    `);
    expect(only(trace(rs, pkt)).verdict).toBe('DROP');
  });
});
