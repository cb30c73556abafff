/**
 * The rule texts people paste instead of a dump: `iptables [-t T] -S [-v]` and grep output of
 * `iptables-save`. They load as the dump they came from, line numbers the user's, with one
 * warning per table that says which table was assumed and why, and never one error per line.
 */
import { describe, expect, it } from 'vitest';
import { parseErrors, parseIptablesSave, serializeRuleset, type Ruleset } from '../../src/core/parse/index.js';

function warnings(rs: Ruleset): string[] {
  return rs.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.line}:${d.column} ${d.message}`);
}

function chainSummary(rs: Ruleset): string[] {
  return rs.tables.flatMap((t) =>
    t.chains.map((c) => `${t.name} ${c.name} ${c.policy ?? '-'} ${c.counters ? `${c.counters.packets}:${c.counters.bytes}` : 'none'} rules=${c.rules.map((r) => r.line).join(',')}`),
  );
}

// What `iptables -t nat -S -v` printed for these rules (iptables v1.8.9) in a namespace.
const natS = [
  '-P PREROUTING ACCEPT -c 5 300',
  '-P INPUT ACCEPT -c 0 0',
  '-P OUTPUT ACCEPT -c 0 0',
  '-P POSTROUTING ACCEPT -c 0 0',
  '-N KUBE-X',
  '-A PREROUTING -c 7 420 -j KUBE-X',
  '-A KUBE-X -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -c 3 180 -j DNAT --to-destination 10.1.1.1:80',
  '',
].join('\n');

describe('`iptables -S` output', () => {
  it('`-t nat -S -v` loads as table nat with its policies and counters, and says nat was inferred from the DNAT jump', () => {
    const rs = parseIptablesSave(natS);
    expect(parseErrors(rs)).toEqual([]);
    expect(warnings(rs)).toEqual([
      '1:1 `iptables -S` output, which does not name its table: lines 1-7 read as table nat (it holds DNAT jumps, which only nat has); `iptables-save -c` names every table',
    ]);
    expect(chainSummary(rs)).toEqual([
      'nat PREROUTING ACCEPT 5:300 rules=6',
      'nat INPUT ACCEPT 0:0 rules=',
      'nat OUTPUT ACCEPT 0:0 rules=',
      'nat POSTROUTING ACCEPT 0:0 rules=',
      'nat KUBE-X - none rules=7',
    ]);
    const dnat = rs.tables[0]!.chainsByName.get('KUBE-X')!.rules[0]!;
    expect(dnat.counters).toEqual({ packets: 3, bytes: 180 });
    expect(dnat.text).toBe('-A KUBE-X -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.1.1:80');
    expect(dnat.target).toBe('DNAT');
    expect(rs.info.hasCounters).toBe(true);
  });

  it('`iptables -S` without counters and without a nat jump is the filter table', () => {
    const rs = parseIptablesSave('-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N KUBE-FIREWALL\n-A INPUT -j KUBE-FIREWALL\n-A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP\n');
    expect(parseErrors(rs)).toEqual([]);
    expect(warnings(rs)).toEqual([
      '1:1 `iptables -S` output, which does not name its table: lines 1-6 read as table filter (nothing in it belongs only to nat, mangle or raw); `iptables-save -c` names every table',
    ]);
    expect(chainSummary(rs)).toEqual([
      'filter INPUT ACCEPT none rules=5',
      'filter FORWARD DROP none rules=',
      'filter OUTPUT ACCEPT none rules=',
      'filter KUBE-FIREWALL - none rules=6',
    ]);
    expect(rs.info.hasCounters).toBe(false);
  });

  it('the built-in chains tell mangle and raw', () => {
    const mangle = parseIptablesSave('-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n');
    expect(mangle.tables.map((t) => t.name)).toEqual(['mangle']);
    const raw = parseIptablesSave('-P PREROUTING ACCEPT\n-P OUTPUT ACCEPT\n');
    expect(raw.tables.map((t) => t.name)).toEqual(['raw']);
  });

  it('`iptables -t nat -S` and `iptables -S` one after the other are two tables', () => {
    const filter = '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -j ACCEPT\n';
    const rs = parseIptablesSave(natS + filter);
    expect(parseErrors(rs)).toEqual([]);
    expect(rs.tables.map((t) => `${t.name}@${t.line}`)).toEqual(['nat@1', 'filter@8']);
    expect(warnings(rs)).toHaveLength(2);
    expect(rs.tables[1]!.chainsByName.get('INPUT')!.rules[0]!.line).toBe(11);
  });

  it('an error in an `-S -v` line points at the column the user wrote', () => {
    const line = '-A KUBE-X -p tcp -c 3 180 zzz -j DNAT';
    const rs = parseIptablesSave('-N KUBE-X\n' + line + '\n');
    const [e] = parseErrors(rs);
    expect(e).toMatchObject({ line: 2, column: line.indexOf('zzz') + 1 });
    expect(e!.message).toMatch(/unexpected word "zzz"/);
    const before = '-A KUBE-X zzz -p tcp -c 3 180 -j DNAT';
    const [e2] = parseErrors(parseIptablesSave('-N KUBE-X\n' + before + '\n'));
    expect(e2).toMatchObject({ line: 2, column: before.indexOf('zzz') + 1 });
  });

  it('what it loads saves as the dump it came from', () => {
    const out = serializeRuleset(parseIptablesSave(natS));
    expect(out).toContain('*nat\n:PREROUTING ACCEPT [5:300]\n');
    expect(out).toContain('[3:180] -A KUBE-X -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.1.1:80\n');
  });
});

describe('rules without a table line (grep output)', () => {
  const grep = [
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-SVC-A - [0:0]',
    '[1:60] -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '[2:120] -A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-SVC-A',
    '[0:0] -A KUBE-SVC-A -j KUBE-SEP-B',
    '[0:0] -A KUBE-SEP-B -p tcp -j KUBE-MARK-MASQ',
    '[0:0] -A KUBE-SEP-B -p tcp -j DNAT --to-destination 10.0.0.5:443',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    '[0:0] -A INPUT -j KUBE-FIREWALL',
    '[0:0] -A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP',
    '',
  ].join('\n');

  it('`iptables-save -c | grep KUBE` loads nat then filter, with one warning each and no error for the cut declarations', () => {
    const rs = parseIptablesSave(grep);
    expect(parseErrors(rs)).toEqual([]);
    expect(warnings(rs)).toEqual([
      '1:1 rules without a *table line (grep output or a partial paste): lines 1-7 read as table nat (it holds DNAT, KUBE-MARK-MASQ jumps, which only nat has); `iptables-save -c` names every table',
      // The paste holds no KUBE-MARK-MASQ chain: that is still worth saying, as in a dump.
      '6:28 jump to KUBE-MARK-MASQ, which is not a chain of table nat',
      '8:1 rules without a *table line (grep output or a partial paste): lines 8-11 read as table filter (nothing in it belongs only to nat, mangle or raw); `iptables-save -c` names every table',
    ]);
    expect(chainSummary(rs)).toEqual([
      'nat KUBE-SERVICES - 0:0 rules=4',
      'nat KUBE-SVC-A - 0:0 rules=5',
      'nat PREROUTING - none rules=3',
      'nat KUBE-SEP-B - none rules=6,7',
      'filter KUBE-SERVICES - 0:0 rules=',
      'filter KUBE-FIREWALL - 0:0 rules=11',
      'filter INPUT - none rules=10',
    ]);
  });

  it('a long paste of rules whose chains were never declared is one warning, not one error per line', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `-A KUBE-SVC-${i} -j KUBE-SEP-${i}`);
    const rs = parseIptablesSave(lines.join('\n') + '\n');
    expect(parseErrors(rs)).toEqual([]);
    expect(rs.diagnostics).toHaveLength(1 + 200); // the table's warning, and each jump to a chain the paste does not hold
    expect(rs.diagnostics.filter((d) => /jump to KUBE-SEP-/.test(d.message))).toHaveLength(200);
  });

  it('a rule before a real dump is still an error: the dump names its tables', () => {
    const rs = parseIptablesSave('[0:0] -A PREROUTING -j KUBE-SERVICES\n*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n');
    expect(parseErrors(rs).map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual(['1:1 rule outside a table (no *table line before it)']);
  });
});
