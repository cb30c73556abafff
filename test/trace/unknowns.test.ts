/**
 * An unknown is never a coin flip: matches the tracer cannot decide are decided from the node
 * context where the kernel would (physdev, conntrack state, marks), by the user (--assume), or
 * split into cases whose chances sum to 1 each.
 */
import { describe, expect, it } from 'vitest';
import {
  parseAssumption,
  traceCases,
  caseCondition,
  undecidedMatches,
  type Assumption,
  type TraceOptions,
} from '../../src/core/trace/index.js';
import { hasAssumption, only, save, trace } from './helpers.js';

const EXT_IP = '192.0.2.50';

/** kube-proxy <= 1.5's external-IP rule: not bridged and not from a local address -> the service. */
const OLD_EXTERNAL_IP = save(`
  *nat
  :PREROUTING ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :KUBE-SERVICES - [0:0]
  :KUBE-SVC-X - [0:0]
  :KUBE-SEP-A - [0:0]
  [0:0] -A PREROUTING -j KUBE-SERVICES
  [0:0] -A OUTPUT -j KUBE-SERVICES
  [0:0] -A KUBE-SERVICES -d ${EXT_IP}/32 -p tcp -m comment --comment "default/web: external IP" -m tcp --dport 80 -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j KUBE-SVC-X
  [0:0] -A KUBE-SVC-X -j KUBE-SEP-A
  [0:0] -A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.5:8080
  COMMIT
`);

function assumptions(...texts: string[]): TraceOptions {
  return { assume: texts.map((t) => ok(parseAssumption(t))) };
}

function ok(a: Assumption | { error: string }): Assumption {
  if ('error' in a) throw new Error(a.error);
  return a;
}

describe('physdev is decided as the kernel would: a routed packet is not bridged', () => {
  it('the old external-IP rule DNATs a packet from the network every time (no coin flip)', () => {
    const o = only(trace(OLD_EXTERNAL_IP, { dst: EXT_IP, dport: 80 }));
    expect(o.probability).toBe(1);
    expect(o.dnat).toBe('10.244.1.5:8080');
    expect(o.case).toEqual([]);
    expect(hasAssumption(o, 'nat KUBE-SERVICES rule 1', '! --physdev-is-in', 'arrives on eth0', 'not bridged')).toBe(true);
  });

  it('names the interface the packet was given', () => {
    const o = only(trace(OLD_EXTERNAL_IP, { dst: EXT_IP, dport: 80, inInterface: 'ens5' }));
    expect(o.dnat).toBe('10.244.1.5:8080');
    expect(hasAssumption(o, 'arrives on ens5')).toBe(true);
  });

  it('every physdev option is false for a routed packet, true when negated', () => {
    const rule = (m: string) =>
      save(`
        *filter
        :FORWARD ACCEPT [0:0]
        [0:0] -A FORWARD ${m} -j DROP
        COMMIT
      `);
    const pkt = { src: '10.1.2.3', dst: '10.96.0.10', dport: 80 };
    for (const opt of ['--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged', '--physdev-in veth1', '--physdev-out cni0']) {
      expect(only(trace(rule(`-m physdev ${opt}`), pkt)).verdict).toBe('ACCEPT');
      expect(only(trace(rule(`-m physdev ! ${opt}`), pkt)).verdict).toBe('DROP');
    }
  });

  it('a packet generated on the node is not bridged either, and that is certain (no assumption)', () => {
    const o = only(trace(OLD_EXTERNAL_IP, { src: '192.168.0.2', dst: EXT_IP, dport: 80 }));
    // addrtype ! --src-type LOCAL fails for a node address: the rule does not match at all.
    expect(o.dnat).toBeNull();
    const rs = save(`
      *filter
      :OUTPUT ACCEPT [0:0]
      [0:0] -A OUTPUT -m physdev --physdev-is-out -j DROP
      COMMIT
    `);
    const local = only(trace(rs, { src: '192.168.0.2', dst: '10.96.0.10', dport: 80 }));
    expect(local.verdict).toBe('ACCEPT');
    expect(local.assumptions).toEqual([]);
  });

  it('--assume overrides the node context, and says so', () => {
    const o = only(trace(OLD_EXTERNAL_IP, { dst: EXT_IP, dport: 80 }, assumptions('physdev --physdev-is-in=true')));
    expect(o.dnat).toBeNull();
    expect(hasAssumption(o, 'nat KUBE-SERVICES rule 1', "taken as true (--assume 'physdev --physdev-is-in=true')")).toBe(true);
  });
});

describe('conntrack state and marks are decided from the path, with no case and no assumption', () => {
  it('ctstate NEW for a new connection, and the mark a rule set earlier', () => {
    const rs = save(`
      *mangle
      :PREROUTING ACCEPT [0:0]
      [0:0] -A PREROUTING -m conntrack --ctstate NEW -j MARK --set-xmark 0x4000/0x4000
      COMMIT
      *filter
      :FORWARD ACCEPT [0:0]
      [0:0] -A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
      [0:0] -A FORWARD -m mark --mark 0x4000/0x4000 -j DROP
      COMMIT
    `);
    const o = only(trace(rs, { src: '10.1.2.3', dst: '10.96.0.10', dport: 80 }));
    expect(o.verdict).toBe('DROP');
    expect(o.case).toEqual([]);
    expect(o.assumptions).toEqual([]);
  });
});

/** kube-proxy's IPVS-mode style: set matches nobody can decide from the dump. */
const SETS = save(`
  *nat
  :POSTROUTING ACCEPT [0:0]
  :KUBE-POSTROUTING - [0:0]
  [0:0] -A POSTROUTING -j KUBE-POSTROUTING
  [0:0] -A KUBE-POSTROUTING -m set --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE
  COMMIT
  *filter
  :FORWARD ACCEPT [0:0]
  [0:0] -A FORWARD -m set --match-set BLOCKED src -j DROP
  [0:0] -A FORWARD -m set ! --match-set ALLOWED src -j REJECT
  [0:0] -A FORWARD -m set --match-set BLOCKED src -j DROP
  COMMIT
`);
const PKT = { src: '10.1.2.3', dst: '10.96.0.10', dport: 80 };

describe('what nobody decides is split into cases, never into chances', () => {
  it('one case per combination that matters, each summing to 1, with its own assumes', () => {
    const r = trace(SETS, PKT);
    for (const o of r.outcomes) expect(o.probability).toBe(1);
    const cases = traceCases(r.outcomes);
    expect(cases.map((c) => c.assumes)).toEqual([
      ['set --match-set BLOCKED src=true'],
      ['set --match-set BLOCKED src=false', 'set --match-set ALLOWED src=true', 'set --match-set KUBE-LOOP-BACK dst,dst,src=true'],
      ['set --match-set BLOCKED src=false', 'set --match-set ALLOWED src=true', 'set --match-set KUBE-LOOP-BACK dst,dst,src=false'],
      ['set --match-set BLOCKED src=false', 'set --match-set ALLOWED src=false'],
    ]);
    expect(cases.map((c) => c.outcomes.map((o) => `${o.verdict}${o.masquerade ? ' masq' : ''}`))).toEqual([
      ['DROP'],
      ['ACCEPT masq'],
      ['ACCEPT'],
      ['REJECT'],
    ]);
    expect(caseCondition(cases[0]!)).toBe('if set --match-set BLOCKED src is true');
  });

  it('the same match met twice on a path is one decision, not two', () => {
    const r = trace(SETS, PKT);
    // BLOCKED is tested by rules 1 and 3: no case has it true at one and false at the other.
    for (const o of r.outcomes) expect(o.case.filter((d) => d.startsWith('set --match-set BLOCKED')).length).toBeLessThanOrEqual(1);
    expect(r.outcomes).toHaveLength(4);
  });

  it('--assume answers by name; the value is the match\'s own truth, under the rule\'s "!"', () => {
    const r = trace(SETS, PKT, assumptions('match-set BLOCKED=false', '-m set --match-set ALLOWED=false'));
    const o = only(r);
    expect(o.verdict).toBe('REJECT');
    expect(o.case).toEqual([]);
    expect(hasAssumption(o, 'filter FORWARD rule 2', "taken as false (--assume '-m set --match-set ALLOWED=false')")).toBe(true);
  });

  it('a case split next to a random split: chances sum to 1 within each case', () => {
    const rs = save(`
      *nat
      :PREROUTING ACCEPT [0:0]
      :KUBE-SVC-X - [0:0]
      :KUBE-SEP-A - [0:0]
      :KUBE-SEP-B - [0:0]
      [0:0] -A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X
      [0:0] -A KUBE-SVC-X -m statistic --mode random --probability 0.25 -j KUBE-SEP-A
      [0:0] -A KUBE-SVC-X -j KUBE-SEP-B
      [0:0] -A KUBE-SEP-A -m owner --uid-owner 0 -j RETURN
      [0:0] -A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.5:8080
      [0:0] -A KUBE-SEP-B -p tcp -m tcp -j DNAT --to-destination 10.244.2.6:8080
      COMMIT
    `);
    const r = trace(rs, PKT);
    const cases = traceCases(r.outcomes);
    expect(cases.map((c) => c.assumes)).toEqual([['owner --uid-owner 0=true'], ['owner --uid-owner 0=false']]);
    // If the owner matches, KUBE-SEP-A returns and KUBE-SVC-X's next rule sends the packet to B.
    expect(cases.map((c) => c.outcomes.map((o) => [o.dnat, o.probability]))).toEqual([
      [['10.244.2.6:8080', 0.25], ['10.244.2.6:8080', 0.75]],
      [['10.244.1.5:8080', 0.25], ['10.244.2.6:8080', 0.75]],
    ]);
  });
});

describe('parseAssumption', () => {
  it('reads EXPR=true|false, with or without dashes and "-m"', () => {
    expect(parseAssumption('match-set KUBE-LOOP-BACK=false')).toEqual({ text: 'match-set KUBE-LOOP-BACK=false', words: ['match-set', 'KUBE-LOOP-BACK'], value: false });
    expect(parseAssumption(' -m physdev --physdev-is-in = TRUE ')).toEqual({ text: '-m physdev --physdev-is-in=true', words: ['physdev', 'physdev-is-in'], value: true });
  });

  it('refuses what is not EXPR=true|false, saying why', () => {
    expect(parseAssumption('match-set X')).toEqual({ error: expect.stringContaining('no "="') });
    expect(parseAssumption('match-set X=yes')).toEqual({ error: expect.stringContaining('neither true nor false') });
    expect(parseAssumption('=true')).toEqual({ error: expect.stringContaining('no match named') });
    expect(parseAssumption('! --match-set X=true')).toEqual({ error: expect.stringContaining('without "!"') });
  });

  it('an EXPR names a match by whole words side by side, not by a part of a word', () => {
    const r = trace(SETS, PKT, assumptions('match-set BLOCK=false'));
    expect(traceCases(r.outcomes)[0]!.assumes).toEqual(['set --match-set BLOCKED src=true']);
  });
});

describe('undecidedMatches: what doctor lists', () => {
  it('lists every undecided match by kind and place, and how the node context decides physdev', () => {
    const list = undecidedMatches(SETS).concat(undecidedMatches(OLD_EXTERNAL_IP));
    expect(list.map((m) => [m.table, m.chain, m.rule, m.module, m.name, m.decidedBy !== null])).toEqual([
      ['nat', 'KUBE-POSTROUTING', 1, 'set', 'set --match-set KUBE-LOOP-BACK dst,dst,src', false],
      ['filter', 'FORWARD', 1, 'set', 'set --match-set BLOCKED src', false],
      ['filter', 'FORWARD', 2, 'set', 'set --match-set ALLOWED src', false],
      ['filter', 'FORWARD', 3, 'set', 'set --match-set BLOCKED src', false],
      ['nat', 'KUBE-SERVICES', 1, 'physdev', 'physdev --physdev-is-in', true],
    ]);
    expect(list[2]!.written).toBe('-m set ! --match-set ALLOWED src');
    expect(list[0]!.line).toBe(5);
  });
});
