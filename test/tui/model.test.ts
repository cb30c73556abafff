import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { fitCrumbs } from '../../src/tui/model/crumbs.js';
import { display, humanCount, midCell, percent } from '../../src/tui/model/format.js';
import { ruleSummary } from '../../src/tui/model/rule-summary.js';
import { visibleSteps } from '../../src/tui/model/service-tree.js';
import { splitKeys } from '../../src/tui/keys/keypress.js';
import type { Key } from 'ink';
import type { PathStep } from '../../src/core/trace/types.js';

function rule(line: string) {
  const rs = parseIptablesSave(`*nat\n:X - [0:0]\n:KUBE-SVC-2CMXP7HKUVJN7L6M - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n${line}\nCOMMIT\n`);
  return rs.tables[0]!.rules[0]!;
}

describe('numbers as iptables -v prints them', () => {
  it('rounds to K/M/G above 99999, like xtables_print_num', () => {
    // The seed's own -vn output: 37207 7396K, 2054K 123M, 92M 15G.
    expect(humanCount(37207)).toBe('37207');
    expect(humanCount(7396123)).toBe('7396K');
    expect(humanCount(2054321)).toBe('2054K');
    expect(humanCount(123456789)).toBe('123M');
    expect(humanCount(92345678)).toBe('92M');
    expect(humanCount(15123456789)).toBe('15G');
    expect(humanCount(99999)).toBe('99999');
    expect(humanCount(100000)).toBe('100K');
    expect(humanCount(9999499)).toBe('9999K');
    expect(humanCount(9999500)).toBe('10M');
    expect(humanCount(null)).toBe('-');
  });

  it('shows probabilities as short percentages', () => {
    expect(percent(1)).toBe('100%');
    expect(percent(0.5)).toBe('50%');
    expect(percent(1 / 3)).toBe('33.3%');
    expect(percent(0.0123)).toBe('1.23%');
  });
});

describe('escaping', () => {
  it('shows control characters and ESC as \\xNN', () => {
    expect(display('a\x1b[31mred\x07\tb')).toBe('a\\x1b[31mred\\x07\\x09b');
    expect(display('plain · text')).toBe('plain · text');
  });

  it('cuts long ids in the middle', () => {
    expect(midCell('kube-system/kube-dns:dns-tcp', 15)).toBe('kube-…s:dns-tcp');
    expect(midCell('short', 8)).toBe('short   ');
  });
});

describe('rule summaries', () => {
  it('reads the seed rules in plain words', () => {
    expect(ruleSummary(rule('-A X -d 10.32.0.61/32 -p tcp -m comment --comment "default/nginx cluster IP" -m tcp --dport 80 -j KUBE-SVC-2CMXP7HKUVJN7L6M'))).toBe(
      'tcp to 10.32.0.61:80 · default/nginx cluster IP',
    );
    expect(ruleSummary(rule('-A X -s 10.64.2.4/32 -m comment --comment default/nginx -j KUBE-MARK-MASQ'))).toBe('from 10.64.2.4 · default/nginx');
    expect(ruleSummary(rule('-A X -p tcp -m comment --comment default/nginx -m tcp -j DNAT --to-destination 10.64.2.4:80'))).toBe('tcp -> 10.64.2.4:80 · default/nginx');
    expect(ruleSummary(rule('-A X -j MARK --set-xmark 0x4000/0x4000'))).toBe('mark or 0x4000');
    expect(ruleSummary(rule('-A X -m mark ! --mark 0x4000/0x4000 -j RETURN'))).toBe('mark not 0x4000/0x4000');
    expect(ruleSummary(rule('-A X -m comment --comment "kubernetes service portals" -j KUBE-MARK-MASQ'))).toBe('all · kubernetes service portals');
    expect(ruleSummary(rule('-A X -m statistic --mode random --probability 0.33333333349 -j KUBE-MARK-MASQ'))).toBe('p=0.3333');
    expect(ruleSummary(rule('-A X -m addrtype --dst-type LOCAL -m multiport --dports 80,443 -j REJECT --reject-with icmp-port-unreachable'))).toBe(
      'to ports 80,443 dst-type LOCAL reject-with icmp-port-unreachable',
    );
  });

  it('keeps options it does not know, as written', () => {
    expect(ruleSummary(rule('-A X -m physdev --physdev-is-bridged -j KUBE-MARK-MASQ'))).toBe('--physdev-is-bridged');
  });
});

describe('breadcrumbs', () => {
  const trail = ['Hooks', 'nat PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 'KUBE-SEP-YVT6EXXEKT4LDXBC'];

  it('shrinks hashed chain names before cutting the trail', () => {
    expect(fitCrumbs(trail, 200)).toBe(trail.join(' > '));
    expect(fitCrumbs(trail, 84)).toBe('Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-2CMX… > KUBE-SEP-YVT6EXXEKT4LDXBC');
    expect(fitCrumbs(trail, 80)).toBe('Hooks > nat PREROUTING > KUBE-SERVICES > KUBE-SVC-… > KUBE-SEP-YVT6EXXEKT4LDXBC');
    expect(fitCrumbs(trail, 40)).toBe('… KUBE-SVC-… > KUBE-SEP-YVT6EXXEKT4LDXBC');
  });
});

describe('service tree steps', () => {
  const step = (table: PathStep['table'], chain: string, rule: number | null, target: string): PathStep => ({ table, chain, rule, target, line: 1 });

  it('keeps the whole nat stage and only decisive steps elsewhere', () => {
    const path = [
      step('mangle', 'PREROUTING', null, 'policy ACCEPT'),
      step('nat', 'PREROUTING', 1, 'KUBE-SERVICES'),
      step('nat', 'KUBE-SEP-X', 2, 'DNAT'),
      step('filter', 'FORWARD', 1, 'KUBE-FORWARD'),
      step('filter', 'KUBE-FORWARD', 2, 'ACCEPT'),
      step('nat', 'KUBE-POSTROUTING', 1, 'RETURN'),
      step('nat', 'POSTROUTING', null, 'policy ACCEPT'),
      step('filter', 'INPUT', null, 'policy DROP'),
    ];
    expect(visibleSteps(path).map((s) => `${s.chain}:${s.target}`)).toEqual([
      'PREROUTING:KUBE-SERVICES', 'KUBE-SEP-X:DNAT', 'KUBE-FORWARD:ACCEPT', 'INPUT:policy DROP',
    ]);
  });
});

describe('keys', () => {
  const none = {} as Key;
  it('splits a typed run into one key each, with Enter, Tab and Backspace named', () => {
    expect(splitKeys('/ng\r', none).map((k) => k.name ?? k.char)).toEqual(['/', 'n', 'g', 'return']);
    expect(splitKeys('a\t\x7f', none).map((k) => k.name ?? k.char)).toEqual(['a', 'tab', 'delete']);
    expect(splitKeys('', { ...none, upArrow: true })[0]!.name).toBe('up');
    expect(splitKeys('c', { ...none, ctrl: true })[0]).toMatchObject({ ctrl: true, char: 'c' });
  });
});
