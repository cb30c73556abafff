/**
 * The pkttype and rate-limit matches (trace/compile.ts), which no test reached: pkttype tells
 * multicast (224/4, ff00::/8), the limited broadcast 255.255.255.255 and unicast apart by the
 * destination; limit and hashlimit cannot be known from one packet, so they match and say so.
 */
import { describe, expect, it } from 'vitest';
import type { Packet, TraceResult } from '../../src/core/trace/index.js';
import { checkDump, hasAssumption, only, trace } from './helpers.js';

/** The CHECK chain (helpers.ts checkDump) holding `rule` -j DROP, and a UDP packet to it. */
function run(rule: string, packet: Partial<Packet> & Pick<Packet, 'dst' | 'dport'>): TraceResult {
  return trace(checkDump([`${rule} -j DROP`]), { protocol: 'udp', src: packet.dst.includes(':') ? '2001:db8::7' : '10.1.2.3', ...packet });
}

const to = (dst: string) => ({ dst, dport: 5353 });
/** The pkttype values a DROP rule takes the packet to `dst` with (an IPv6 source in the rule makes the dump ip6tables'). */
const kind = (dst: string) =>
  ['unicast', 'multicast', 'broadcast'].filter((t) => only(run(`${dst.includes(':') ? '-s 2001:db8::/32 ' : ''}-m pkttype --pkt-type ${t}`, to(dst))).verdict === 'DROP');

describe('-m pkttype', () => {
  it('tells the packet type by the destination, IPv4 and IPv6, exactly one type each', () => {
    expect(kind('10.96.0.10')).toEqual(['unicast']);
    expect(kind('224.0.0.251')).toEqual(['multicast']);
    expect(kind('239.255.255.250')).toEqual(['multicast']);
    expect(kind('223.255.255.255')).toEqual(['unicast']);
    expect(kind('255.255.255.255')).toEqual(['broadcast']);
    expect(kind('2001:db8::2')).toEqual(['unicast']);
    expect(kind('ff02::fb')).toEqual(['multicast']);
  });

  it('is case-blind in the type, honours !, and needs no assumption', () => {
    const r = run('-m pkttype --pkt-type MULTICAST', to('224.0.0.251'));
    expect(only(r).verdict).toBe('DROP');
    expect(only(r).assumptions).toEqual([]);
    expect(only(run('-m pkttype ! --pkt-type unicast', to('224.0.0.251'))).verdict).toBe('DROP');
    expect(only(run('-m pkttype ! --pkt-type unicast', to('10.96.0.10'))).verdict).toBe('ACCEPT');
  });
});

describe('-m limit and -m hashlimit', () => {
  it.each([
    ['limit', '-m limit --limit 5/sec --limit-burst 10'],
    ['hashlimit', '-m hashlimit --hashlimit-upto 50/sec --hashlimit-burst 100 --hashlimit-mode srcip --hashlimit-name kc'],
  ])('%s: assumed under the limit, so it matches, and the outcome says so', (module, match) => {
    const o = only(run(match, to('10.96.0.10')));
    expect(o.verdict).toBe('DROP');
    expect(o.path.at(-1)).toMatchObject({ chain: 'CHECK', rule: 1, target: 'DROP' });
    expect(o.assumptions).toHaveLength(1);
    expect(hasAssumption(o, 'CHECK rule 1', `${module} assumed under its rate limit (matches)`)).toBe(true);
  });
});
