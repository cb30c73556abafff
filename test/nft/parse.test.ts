/**
 * The nftables reader on the corpus, on kernel listings captured in test/nft/listings (see its
 * README), and on hand cases for each format quirk of nftables.md §7 in all three forms.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  looksLikeNftables,
  nftElementText,
  nftRuleText,
  nftStatementText,
  parseNftables,
  type NftRuleset,
  type NftTable,
} from '../../src/core/index.js';
import { canonical } from './canonical.js';
import { QUIRKS_RULESET } from './quirks.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.join(HERE, '..', 'corpus', 'kube-proxy', 'nftables');
const LISTINGS = path.join(HERE, 'listings');
const listing = (name: string): string => readFileSync(path.join(LISTINGS, name), 'utf8');
const corpus = (name: string): string => readFileSync(path.join(CORPUS, name), 'utf8');

function errors(r: NftRuleset): string[] {
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.column} ${d.message}`);
}

function table(r: NftRuleset, family: string, name: string): NftTable {
  const t = r.tables.find((x) => x.family === family && x.name === name);
  if (!t) throw new Error(`no table ${family} ${name}`);
  return t;
}

function ruleIn(r: NftRuleset, family: string, tableName: string, chain: string, index: number) {
  const c = table(r, family, tableName).chainsByName.get(chain);
  if (!c) throw new Error(`no chain ${chain}`);
  const rule = c.rules[index - 1];
  if (!rule) throw new Error(`no rule ${index} in ${chain}`);
  return rule;
}

/** One rule in each form: the transaction line, as the kernel lists it, and as nft -j gives it. */
function oneRule(tx: string, text: string, json: object, family = 'ip') {
  const head = `add table ${family} t\nadd chain ${family} t c\n`;
  const a = parseNftables(`${head}add rule ${family} t c ${tx}\n`);
  const b = parseNftables(`table ${family} t {\n\tchain c {\n\t\t${text}\n\t}\n}\n`);
  const j = parseNftables(
    JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
        { table: { family, name: 't', handle: 1 } },
        { chain: { family, table: 't', name: 'c', handle: 1 } },
        { rule: { family, table: 't', chain: 'c', handle: 2, expr: json } },
      ],
    }),
  );
  for (const r of [a, b, j]) expect(errors(r)).toEqual([]);
  return [a, b, j].map((r) => ruleIn(r, family, 't', 'c', 1));
}

describe('forms', () => {
  it('detects the three forms and says iptables-save is not nftables', () => {
    expect(parseNftables(corpus('TestOverallNFTablesRules.nft')).form).toBe('transaction');
    expect(parseNftables(listing('TestOverallNFTablesRules.list.txt')).form).toBe('text');
    expect(parseNftables(listing('TestOverallNFTablesRules.list.json')).form).toBe('json');
    expect(looksLikeNftables(corpus('TestOverallNFTablesRules.nft'))).toBe(true);
    expect(looksLikeNftables(listing('TestOverallNFTablesRules.list.txt'))).toBe(true);
    expect(looksLikeNftables(listing('TestOverallNFTablesRules.list.json'))).toBe(true);
    expect(looksLikeNftables('# a comment\n\nflush chain ip kube-proxy services\n')).toBe(true);
    const save = readFileSync(path.join(HERE, '..', '..', 'fixtures', 'multi-endpoint.save'), 'utf8');
    expect(looksLikeNftables(save)).toBe(false);
    expect(looksLikeNftables('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n')).toBe(false);
    expect(looksLikeNftables('{"foo": 1}')).toBe(false);
    expect(looksLikeNftables('')).toBe(false);
  });
});

describe('corpus', () => {
  const files = readdirSync(CORPUS).filter((f) => f.endsWith('.nft'));

  it('reads every corpus ruleset without an error', () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
    for (const f of files) {
      const r = parseNftables(corpus(f));
      expect(errors(r), f).toEqual([]);
      expect(r.diagnostics, f).toEqual([]);
      expect(r.tables.length, f).toBeGreaterThan(0);
      const rules = r.tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
      expect(rules.length, f).toBeGreaterThan(10);
      // kube-proxy writes nothing the reader does not know
      expect(rules.flatMap((x) => x.expr).filter((s) => 'unknown' in s || 'xt' in s), f).toEqual([]);
    }
  });

  it('spot-checks TestOverallNFTablesRules', () => {
    const r = parseNftables(corpus('TestOverallNFTablesRules.nft'));
    expect(r.tables.map((t) => `${t.family} ${t.name}`)).toEqual(['ip kube-proxy']);
    const t = table(r, 'ip', 'kube-proxy');
    expect(t.comment).toBe('rules for kube-proxy');
    expect(t.chains.length).toBe(32);
    expect(t.chainsByName.get('filter-prerouting-pre-dnat')!.base).toEqual({
      type: 'filter',
      hook: 'prerouting',
      priority: -110,
      policy: 'accept',
      device: null,
    });
    expect(t.chainsByName.get('nat-postrouting')!.base?.priority).toBe(100);
    expect(t.chainsByName.get('services')!.base).toBeNull();
    expect(t.chainsByName.get('reject-chain')!.comment).toBe('helper for @no-endpoint-services / @no-endpoint-nodeports');

    const serviceIps = t.setsByName.get('service-ips')!;
    expect(serviceIps.kind).toBe('map');
    expect(serviceIps.keyType).toEqual(['ipv4_addr', 'inet_proto', 'inet_service']);
    expect(serviceIps.dataType).toBe('verdict');
    expect(serviceIps.elements.length).toBe(9);
    expect(serviceIps.elements[0]).toMatchObject({
      key: { concat: ['172.30.0.41', 'tcp', 80] },
      data: { goto: { target: 'service-ULMVA6XW-ns1/svc1/tcp/p80' } },
      comment: null,
    });
    expect(t.setsByName.get('cluster-ips')!.elements.map((e) => e.key)).toEqual([
      '172.30.0.41', '172.30.0.42', '172.30.0.43', '172.30.0.44', '172.30.0.45', '172.30.0.46',
    ]);
    const noEp = t.setsByName.get('no-endpoint-services')!;
    expect(noEp.elements.map(nftElementText)).toEqual([
      '1.2.3.4 . tcp . 80 comment "ns2/svc2:p80" : drop',
      '192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop',
      '172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain',
    ]);
    const affinity = t.setsByName.get('affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80')!;
    expect(affinity.flags).toEqual(['dynamic', 'timeout']);
    expect(affinity.timeout).toBe(10800);

    const svc4 = ruleIn(r, 'ip', 'kube-proxy', 'service-LAUZTJTB-ns4/svc4/tcp/p80', 2);
    expect(svc4.index).toBe(2);
    expect(svc4.handle).toBeNull();
    expect(svc4.line).toBe(107);
    expect(svc4.expr).toEqual([
      {
        vmap: {
          key: { numgen: { mode: 'random', mod: 2, offset: 0 } },
          data: {
            set: [
              [0, { goto: { target: 'endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80' } }],
              [1, { goto: { target: 'endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80' } }],
            ],
          },
        },
      },
    ]);
    expect(svc4.text).toBe(
      'numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80, 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 }',
    );
    const ep = ruleIn(r, 'ip', 'kube-proxy', 'endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80', 2);
    expect(ep.expr).toEqual([
      { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } },
      { dnat: { addr: '10.180.0.1', port: 80 } },
    ]);
    const ext = ruleIn(r, 'ip', 'kube-proxy', 'external-42NFTM6N-ns2/svc2/tcp/p80', 2);
    expect(ext.comment).toBe('masquerade local traffic');
    expect(ext.expr[0]).toEqual({ match: { op: '==', left: { fib: { result: 'type', flags: ['saddr'] } }, right: 'local' } });
    const masq = ruleIn(r, 'ip', 'kube-proxy', 'masquerading', 1);
    expect(masq.text).toBe('meta mark & 0x00004000 == 0x00000000 return');
    expect(r.hasCounters).toBe(false);
    expect(t.chains.flatMap((c) => c.rules).every((x) => x.counters === null)).toBe(true);
  });
});

describe('kernel listings read like their transaction (captured nft 1.0.6 output)', () => {
  it('TestOverallNFTablesRules: transaction, nft list and nft -j agree', () => {
    const tx = parseNftables(corpus('TestOverallNFTablesRules.nft'));
    const text = parseNftables(listing('TestOverallNFTablesRules.list.txt'));
    const json = parseNftables(listing('TestOverallNFTablesRules.list.json'));
    for (const r of [tx, text, json]) expect(errors(r)).toEqual([]);
    expect(canonical(tx, { handles: false, objectComments: true })).toEqual(canonical(text, { handles: false, objectComments: true }));
    // nft 1.0.6's JSON omits table and chain comments
    expect(canonical(json, { handles: false, objectComments: false })).toEqual(canonical(text, { handles: false, objectComments: false }));
  });

  it('quirks: transaction, nft -a list and nft -j agree; handles agree', () => {
    const tx = parseNftables(QUIRKS_RULESET);
    const text = parseNftables(listing('quirks.list-a.txt'));
    const json = parseNftables(listing('quirks.list.json'));
    for (const r of [tx, text, json]) expect(errors(r)).toEqual([]);
    expect(canonical(tx, { handles: false, objectComments: true, expires: false })).toEqual(
      canonical(text, { handles: false, objectComments: true, expires: false }),
    );
    expect(canonical(json, { handles: true, objectComments: false })).toEqual(canonical(text, { handles: true, objectComments: false }));
    for (const t of text.tables) for (const c of t.chains) for (const rule of c.rules) expect(nftRuleText(rule.expr, rule.comment)).toBe(rule.text);
  });

  it('iptables-nft tables beside kube-proxy: read without errors, xt statements kept in JSON', () => {
    const text = parseNftables(listing('iptables-nft-beside-kube-proxy.list-a.txt'));
    const json = parseNftables(listing('iptables-nft-beside-kube-proxy.list.json'));
    for (const r of [text, json]) expect(r.diagnostics).toEqual([]);
    expect(text.tables.map((t) => `${t.family} ${t.name}`).sort()).toEqual(['ip filter', 'ip kube-proxy', 'ip nat']);
    expect(json.tables.map((t) => `${t.family} ${t.name}`).sort()).toEqual(['ip filter', 'ip kube-proxy', 'ip nat']);
    expect(text.hasCounters).toBe(true);
    const input = ruleIn(text, 'ip', 'filter', 'INPUT', 1);
    expect(input.handle).toBe(10);
    expect(input.counters).toEqual({ packets: 0, bytes: 0 });
    expect(input.expr).toEqual([
      { match: { op: 'in', left: { ct: { key: 'state' } }, right: 'new' } },
      { counter: { packets: 0, bytes: 0 } },
      { jump: { target: 'KUBE-PROXY-FIREWALL' } },
    ]);
    const inputJ = ruleIn(json, 'ip', 'filter', 'INPUT', 1);
    expect(inputJ.expr.slice(0, 2)).toEqual([{ xt: { type: 'match', name: 'conntrack' } }, { xt: { type: 'match', name: 'comment' } }]);
    expect(inputJ.text).toBe('xt match "conntrack" xt match "comment" counter packets 0 bytes 0 jump KUBE-PROXY-FIREWALL');
    // kube-proxy's own table reads the same in both, next to the others
    const kp = { handles: true, objectComments: false };
    const only = (r: NftRuleset): NftRuleset => ({ ...r, tables: r.tables.filter((t) => t.name === 'kube-proxy') });
    expect(canonical(only(json), kp)).toEqual(canonical(only(text), kp));
  });
});

describe('format quirks (nftables.md §7), in all three forms', () => {
  it('a one-element anonymous set is the value itself', () => {
    const rules = oneRule('ip daddr { 10.32.0.0/16 } drop', 'ip daddr 10.32.0.0/16 drop', [
      { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: { prefix: { addr: '10.32.0.0', len: 16 } } } },
      { drop: null },
    ]);
    for (const r of rules) expect(r.expr).toEqual(rules[2]!.expr);
    for (const r of rules) expect(r.text).toBe('ip daddr 10.32.0.0/16 drop');
  });

  it('mark set mark or 0x4000 is meta mark set meta mark | 0x00004000', () => {
    const rules = oneRule('mark set mark or 0x4000', 'meta mark set meta mark | 0x00004000', [
      { mangle: { key: { meta: { key: 'mark' } }, value: { '|': [{ meta: { key: 'mark' } }, 16384] } } },
    ]);
    for (const r of rules) expect(r.expr).toEqual(rules[2]!.expr);
    for (const r of rules) expect(r.text).toBe('meta mark set meta mark | 0x00004000');
  });

  it('ct state new is an "in" match; != keeps its operator; a flag list is an array', () => {
    const [a, b, j] = oneRule('ct state new jump x', 'ct state new jump x', [
      { match: { op: 'in', left: { ct: { key: 'state' } }, right: 'new' } },
      { jump: { target: 'x' } },
    ]);
    expect(a!.expr).toEqual(j!.expr);
    expect(b!.expr).toEqual(j!.expr);
    const list = parseNftables('table ip t {\n chain c {\n  ct state established,related accept\n  ct state != new drop\n }\n}\n');
    expect(ruleIn(list, 'ip', 't', 'c', 1).expr[0]).toEqual({
      match: { op: 'in', left: { ct: { key: 'state' } }, right: ['established', 'related'] },
    });
    expect(ruleIn(list, 'ip', 't', 'c', 2).expr[0]).toEqual({ match: { op: '!=', left: { ct: { key: 'state' } }, right: 'new' } });
  });

  it('an element comment sits inside the key; elements wrap across lines', () => {
    const text = `table ip kube-proxy {
	map no-endpoint-nodeports {
		type inet_proto . inet_service : verdict
		comment "vmap to drop or reject packets to service nodeports with no endpoints"
		elements = { tcp . 31258 comment "default/redis-9:grpc" : drop,
			     udp . 30053 comment "kube-system/dns:dns" : goto reject-chain }
	}
	chain reject-chain {
		reject
	}
}
`;
    const r = parseNftables(text);
    expect(r.diagnostics).toEqual([]);
    const m = table(r, 'ip', 'kube-proxy').setsByName.get('no-endpoint-nodeports')!;
    expect(m.elements.map((e) => ({ key: e.key, data: e.data, comment: e.comment, line: e.line }))).toEqual([
      { key: { concat: ['tcp', 31258] }, data: { drop: null }, comment: 'default/redis-9:grpc', line: 5 },
      { key: { concat: ['udp', 30053] }, data: { goto: { target: 'reject-chain' } }, comment: 'kube-system/dns:dns', line: 6 },
    ]);
    const tx = parseNftables(
      'add table ip kube-proxy\nadd map ip kube-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict ; }\n' +
        'add element ip kube-proxy no-endpoint-nodeports { tcp . 31258 comment "default/redis-9:grpc" : drop }\n',
    );
    expect(table(tx, 'ip', 'kube-proxy').setsByName.get('no-endpoint-nodeports')!.elements[0]).toEqual({ ...m.elements[0]!, line: 3 });
    const json = parseNftables(
      JSON.stringify({
        nftables: [
          { table: { family: 'ip', name: 'kube-proxy', handle: 1 } },
          {
            map: {
              family: 'ip', name: 'no-endpoint-nodeports', table: 'kube-proxy', type: ['inet_proto', 'inet_service'], handle: 4, map: 'verdict',
              elem: [[{ elem: { val: { concat: ['tcp', 31258] }, comment: 'default/redis-9:grpc' } }, { drop: null }]],
            },
          },
        ],
      }),
    );
    expect(table(json, 'ip', 'kube-proxy').setsByName.get('no-endpoint-nodeports')!.elements[0]).toMatchObject({
      key: m.elements[0]!.key,
      data: m.elements[0]!.data,
      comment: m.elements[0]!.comment,
    });
  });

  it('size, timeout 3h, expires 2h59m59s776ms, and a dynamic element in JSON', () => {
    const text = `table ip kube-proxy {
	set affinity-X {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		timeout 3h
		elements = { 172.16.1.152 expires 2h59m59s776ms }
	}
}
`;
    const s = table(parseNftables(text), 'ip', 'kube-proxy').setsByName.get('affinity-X')!;
    expect(s.timeout).toBe(10800);
    expect(s.flags).toEqual(['dynamic', 'timeout']);
    expect(s.elements[0]).toMatchObject({ key: '172.16.1.152', expires: 10799.776, timeout: null });
    expect(nftElementText(s.elements[0]!)).toBe('172.16.1.152 expires 2h59m59s776ms');
    const json = parseNftables(
      '{"nftables": [{"table": {"family": "ip", "name": "kube-proxy", "handle": 1}}, {"set": {"family": "ip", "name": "affinity-X", ' +
        '"table": "kube-proxy", "type": "ipv4_addr", "handle": 2, "size": 65535, "flags": ["timeout"], "timeout": 10800, ' +
        '"elem": [{"elem": {"val": "172.16.1.152", "expires": 10799}}]}}]}',
    );
    const j = table(json, 'ip', 'kube-proxy').setsByName.get('affinity-X')!;
    expect(j.timeout).toBe(10800);
    expect(j.elements[0]).toMatchObject({ key: '172.16.1.152', expires: 10799 });
  });

  it('priority names per family: dstnat - 10, filter, srcnat, raw, numbers, the bridge family', () => {
    const r = parseNftables(`table ip t {
	chain a { type filter hook prerouting priority dstnat - 10; policy accept; }
	chain b { type filter hook input priority filter; policy drop; }
	chain c { type nat hook postrouting priority srcnat; policy accept; }
	chain d { type filter hook output priority -110; policy accept; }
	chain e { type filter hook prerouting priority raw; policy accept; }
	chain f { type filter hook input priority filter + 5; policy accept; }
}
table bridge br {
	chain g { type filter hook forward priority filter; policy accept; }
}
table netdev nd {
	chain h { type filter hook ingress device "lo" priority 0; policy accept; }
}
`);
    expect(r.diagnostics).toEqual([]);
    const prio = (fam: string, tbl: string, c: string) => table(r, fam, tbl).chainsByName.get(c)!.base;
    expect(prio('ip', 't', 'a')!.priority).toBe(-110);
    expect(prio('ip', 't', 'b')).toMatchObject({ priority: 0, policy: 'drop' });
    expect(prio('ip', 't', 'c')!.priority).toBe(100);
    expect(prio('ip', 't', 'd')!.priority).toBe(-110);
    expect(prio('ip', 't', 'e')!.priority).toBe(-300);
    expect(prio('ip', 't', 'f')!.priority).toBe(5);
    expect(prio('bridge', 'br', 'g')!.priority).toBe(-200);
    expect(prio('netdev', 'nd', 'h')).toEqual({ type: 'filter', hook: 'ingress', priority: 0, policy: 'accept', device: 'lo' });
  });

  it('counter packets N bytes M gives the rule counters; # handle N the handle', () => {
    const r = parseNftables('table ip nat {\n\tchain KUBE-SVC-X { # handle 7\n\t\tcounter packets 12 bytes 720 jump KUBE-SEP-Y # handle 42\n\t}\n}\n');
    const rule = ruleIn(r, 'ip', 'nat', 'KUBE-SVC-X', 1);
    expect(rule.counters).toEqual({ packets: 12, bytes: 720 });
    expect(rule.handle).toBe(42);
    expect([rule.line, rule.column]).toEqual([3, 3]);
    expect(rule.text).toBe('counter packets 12 bytes 720 jump KUBE-SEP-Y');
    expect(table(r, 'ip', 'nat').chainsByName.get('KUBE-SVC-X')!.handle).toBe(7);
    expect(r.hasCounters).toBe(true);
  });

  it('dnat to an IPv6 endpoint prints in brackets and reads without them', () => {
    const rules = oneRule(
      'meta l4proto tcp dnat to [fd00:10:180::2:1]:80',
      'meta l4proto tcp dnat to [fd00:10:180::2:1]:80',
      [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { dnat: { addr: 'fd00:10:180::2:1', port: 80 } }],
      'ip6',
    );
    for (const r of rules) expect(r.expr).toEqual(rules[2]!.expr);
    for (const r of rules) expect(r.text).toBe('meta l4proto tcp dnat to [fd00:10:180::2:1]:80');
  });

  it('bare reject is ICMP port-unreachable of the family', () => {
    for (const [family, type] of [['ip', 'icmp'], ['ip6', 'icmpv6'], ['inet', 'icmpx']] as const) {
      const rules = oneRule('reject', 'reject', [{ reject: { type, expr: 'port-unreachable' } }], family);
      for (const r of rules) expect(r.expr).toEqual([{ reject: { type, expr: 'port-unreachable' } }]);
    }
  });

  it('statements nft writes for other tables are kept as unknown, never an error', () => {
    const r = parseNftables(
      'table inet firewalld {\n\tchain c {\n\t\tmeta l4proto tcp tproxy to :8080 accept\n\t\tip saddr 1.2.3.4 jhash ip saddr mod 2 vmap { 0 : accept }\n\t\tsynproxy mss 1460 wscale 7\n\t}\n' +
        '\tflowtable ft {\n\t\thook ingress priority filter\n\t\tdevices = { lo }\n\t}\n}\n',
    );
    expect(r.diagnostics).toEqual([]);
    const c = table(r, 'inet', 'firewalld').chainsByName.get('c')!;
    expect(c.rules.map((x) => x.expr)).toEqual([
      [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { unknown: 'tproxy to :8080 accept' }],
      [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: '1.2.3.4' } }, { unknown: 'jhash ip saddr mod 2 vmap { 0 : accept }' }],
      [{ unknown: 'synproxy mss 1460 wscale 7' }],
    ]);
    expect(c.rules.map((x) => x.text)).toEqual([
      'meta l4proto tcp tproxy to :8080 accept',
      'ip saddr 1.2.3.4 jhash ip saddr mod 2 vmap { 0 : accept }',
      'synproxy mss 1460 wscale 7',
    ]);
    expect(nftRuleText(c.rules[0]!.expr)).toBe('meta l4proto tcp tproxy to :8080 accept');
  });

  it('renders statements and elements as nft prints them', () => {
    expect(nftStatementText({ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth0' } })).toBe('iifname "eth0"');
    expect(nftStatementText({ match: { op: '!=', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { set: ['203.0.113.0/25'] } } })).toBe(
      'ip saddr != { 203.0.113.0/25 }',
    );
    expect(nftStatementText({ masquerade: { flags: 'fully-random' } })).toBe('masquerade fully-random');
    expect(nftStatementText({ vmap: { key: { concat: [{ meta: { key: 'l4proto' } }, { payload: { protocol: 'th', field: 'dport' } }] }, data: '@service-nodeports' } })).toBe(
      'meta l4proto . th dport vmap @service-nodeports',
    );
    expect(nftStatementText({ set: { op: 'update', elem: { payload: { protocol: 'ip', field: 'saddr' } }, set: '@affinity-X' } })).toBe('update @affinity-X { ip saddr }');
    expect(nftStatementText({ reject: { type: 'tcp reset' } })).toBe('reject with tcp reset');
    expect(nftStatementText({ counter: { packets: 3, bytes: 180 } })).toBe('counter packets 3 bytes 180');
    expect(nftElementText({ key: { concat: ['10.96.0.10', 'tcp', 53] }, data: { goto: { target: 'service-ABC-kube-system/dns/tcp/dns' } }, comment: null, expires: null, timeout: null, line: 1 })).toBe(
      '10.96.0.10 . tcp . 53 : goto service-ABC-kube-system/dns/tcp/dns',
    );
  });
});

describe('transaction semantics', () => {
  it('applies flush and delete in order', () => {
    const r = parseNftables(`add table ip kube-proxy
add chain ip kube-proxy a
add chain ip kube-proxy b
add rule ip kube-proxy a jump b
add rule ip kube-proxy a accept
add set ip kube-proxy s { type ipv4_addr ; }
add element ip kube-proxy s { 1.1.1.1, 2.2.2.2 }
add element ip kube-proxy s { 3.3.3.3 }
delete element ip kube-proxy s { 2.2.2.2 }
add element ip kube-proxy s { 1.1.1.1 }
flush chain ip kube-proxy a
add rule ip kube-proxy a drop
insert rule ip kube-proxy a return
delete chain ip kube-proxy b
add map ip kube-proxy m { type ipv4_addr : verdict ; }
add element ip kube-proxy m { 4.4.4.4 : accept, 5.5.5.5 : drop, 6.6.6.6 : drop }
delete element ip kube-proxy m { 4.4.4.4 : accept, 5.5.5.5 }
add map ip kube-proxy m2 { type ipv4_addr : verdict ; }
add element ip kube-proxy m2 { 7.7.7.7 : accept }
flush map ip kube-proxy m2
add table ip other
delete table ip other
`);
    expect(r.diagnostics).toEqual([]);
    const t = table(r, 'ip', 'kube-proxy');
    expect(t.chains.map((c) => c.name)).toEqual(['a']);
    expect(t.chainsByName.get('a')!.rules.map((x) => [x.index, x.text])).toEqual([
      [1, 'return'],
      [2, 'drop'],
    ]);
    expect(t.setsByName.get('s')!.elements.map((e) => e.key)).toEqual(['1.1.1.1', '3.3.3.3']);
    expect(t.setsByName.get('m')!.elements.map(nftElementText)).toEqual(['6.6.6.6 : drop']);
    expect(t.setsByName.get('m2')!.elements).toEqual([]);
    expect(r.tables.map((x) => x.name)).toEqual(['kube-proxy']);
  });

  it('warns about what it cannot apply: handles, variables, includes', () => {
    const r = parseNftables(
      'add table ip t\nadd chain ip t c\nreplace rule ip t c handle 4 accept\ndelete rule ip t c handle 4\ndefine X = 1\ninclude "other.nft"\nadd rule ip t c accept\n',
    );
    expect(r.diagnostics.map((d) => `${d.severity} ${d.line}:${d.column}`)).toEqual([
      'warning 3:1',
      'warning 4:8',
      'warning 5:1',
      'warning 6:1',
    ]);
    expect(table(r, 'ip', 't').chainsByName.get('c')!.rules.map((x) => x.text)).toEqual(['accept']);
  });

  it('reads base chains re-added on the first sync (added, deleted, added again)', () => {
    const r = parseNftables(`add table ip kube-proxy
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
delete chain ip kube-proxy nat-prerouting
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; policy accept ; }
add rule ip kube-proxy nat-prerouting jump services
`);
    expect(errors(r)).toEqual([]);
    const c = table(r, 'ip', 'kube-proxy').chainsByName.get('nat-prerouting')!;
    expect(c.base).toEqual({ type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept', device: null });
    expect(c.rules.length).toBe(1);
  });
});

describe('bad input gives line:column', () => {
  const first = (text: string) => {
    const r = parseNftables(text);
    const e = r.diagnostics.find((d) => d.severity === 'error');
    if (!e) throw new Error(`no error for ${JSON.stringify(text)}`);
    return `${e.line}:${e.column} ${e.message}`;
  };

  it('unknown commands and words', () => {
    expect(first('add table ip t\nfrobnicate the rules\n')).toBe('2:1 unknown command "frobnicate"');
    expect(first('table ip t {\n\tchain c {\n\t}\n\twidget w\n}\n')).toBe('4:2 unknown statement "widget" in table t');
    expect(first('add table ip t\nadd chain ip t c\nadd rule ip t nochain accept\n')).toBe('3:15 no chain nochain in table ip t');
    expect(first('add chain ip missing c\n')).toBe('1:11 no table ip missing');
    expect(first('add table ip t\nadd chain ip t c\nadd rule ip t c\n')).toBe('3:16 a rule needs at least one statement');
    expect(first('add table ip t\nadd set ip t s { type ipv4_addr ; colour blue ; }\n')).toBe('2:35 unknown set property "colour"');
  });

  it('unbalanced braces and truncated input', () => {
    expect(parseNftables('table ip t {\n\tchain c {\n\t\tjump x\n').diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '1:12 unbalanced braces: the "{" at 1:12 is never closed (truncated input?)',
      '2:10 unbalanced braces: the "{" at 2:10 is never closed (truncated input?)',
    ]);
    expect(first('table ip t {\n}\n}\n')).toBe('3:1 unbalanced braces: "}" without "{"');
    const set = parseNftables('table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\telements = { 1.1.1.1,\n');
    expect(set.diagnostics.map((d) => `${d.line}:${d.column}`)).toContain('4:14');
    expect(first('add table ip t\nadd chain ip t c\nadd rule ip t c comment "never closed\n')).toBe('3:25 unterminated string');
  });

  it('bad JSON: the line and column of the error', () => {
    expect(first('{"nftables": [\n  {"table": {"family": "ip", "name": "t"}},\n  {"chain": }\n]}\n')).toBe('3:13 bad JSON: unexpected "}"');
    expect(first('{"nftables": [{"table": {"family": "ip", "name": "t", "handle": 1}}, {"chain": {"fam')).toBe('1:85 bad JSON: unterminated string (truncated?)');
    expect(first('{"nftables": [{"chain": {"family": "ip", "table": "nope", "name": "c"}}]}')).toBe('1:15 no table ip nope');
    expect(first('{"something": []}')).toBe('1:1 expected {"nftables": [ … ]} (the output of nft -j list ruleset)');
  });
});

describe('netdev chains', () => {
  it('reads a chain on several devices', () => {
    const r = parseNftables('table netdev n {\n\tchain c {\n\t\ttype filter hook ingress devices = { eth0, "eth1" } priority -500; policy accept;\n\t}\n}\n');
    expect(r.diagnostics).toEqual([]);
    expect(table(r, 'netdev', 'n').chainsByName.get('c')!.base).toEqual({
      type: 'filter',
      hook: 'ingress',
      priority: -500,
      policy: 'accept',
      device: 'eth0,eth1',
    });
  });
});

describe('JSON positions and chunks', () => {
  function bigJson(rules: number): { nftables: object[] } {
    const items: object[] = [
      { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
      { table: { family: 'ip', name: 'kube-proxy', handle: 1 } },
      { chain: { family: 'ip', table: 'kube-proxy', name: 'c', handle: 2 } },
    ];
    for (let i = 0; i < rules; i++) {
      items.push({
        rule: {
          family: 'ip', table: 'kube-proxy', chain: 'c', handle: 3 + i,
          expr: [
            { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` } },
            { jump: { target: `endpoint-${i}-ns/svc/tcp/p80__10.0.0.1/80` } },
          ],
        },
      });
    }
    return { nftables: items };
  }

  it('reads a ruleset of several megabytes (parsed in chunks) like the same JSON read whole', () => {
    const doc = bigJson(20_000);
    const text = JSON.stringify(doc);
    expect(text.length).toBeGreaterThan(3 << 20);
    const chunked = parseNftables(text);
    // an extra top-level key takes the one-JSON.parse path
    const whole = parseNftables(JSON.stringify({ ...doc, extra: true }));
    expect(chunked.diagnostics).toEqual([]);
    expect(whole.diagnostics).toEqual([]);
    const rulesOf = (r: NftRuleset) => r.tables[0]!.chains[0]!.rules.map((x) => [x.handle, x.line, x.expr]);
    expect(rulesOf(chunked)).toEqual(rulesOf(whole));
    expect(chunked.tables[0]!.chains[0]!.rules.length).toBe(20_000);
    expect(chunked.tables[0]!.chains[0]!.rules[19_999]!.text).toBe('ip saddr 10.0.78.31 jump endpoint-19999-ns/svc/tcp/p80__10.0.0.1/80');
  });

  it('records the column where each object starts in one-line JSON (as nft writes it)', () => {
    const text = JSON.stringify(bigJson(2));
    const r = parseNftables(text);
    const c = r.tables[0]!.chains[0]!;
    expect(r.tables[0]!).toMatchObject({ line: 1, column: text.indexOf('{"table"') + 1 });
    expect(c).toMatchObject({ line: 1, column: text.indexOf('{"chain"') + 1 });
    expect(c.rules.map((x) => [x.line, x.column])).toEqual([
      [1, text.indexOf('{"rule"') + 1],
      [1, text.lastIndexOf('{"rule"') + 1],
    ]);
  });

  it('finds where objects start past strings holding quotes, backslashes and brackets, and rules of chains given in any order', () => {
    const tricky = ['say \\"hi\\"', 'ends in a backslash \\', '\\\\"}]},{"rule":{', '}}, {"chain": {"name": "x"}}]}', '\\\\'];
    const items: object[] = [
      { table: { family: 'ip', name: 'kube-proxy', handle: 1 } },
      { chain: { family: 'ip', table: 'kube-proxy', name: 'a', handle: 2, comment: tricky[0] } },
      { chain: { family: 'ip', table: 'kube-proxy', name: 'b', handle: 3 } },
    ];
    const chains = ['a', 'b', 'b', 'a', 'a', 'b'];
    chains.forEach((chain, i) => items.push({ rule: { family: 'ip', table: 'kube-proxy', chain, handle: 4 + i, comment: tricky[i % tricky.length], expr: [{ accept: null }] } }));
    const text = JSON.stringify({ nftables: items });
    const r = parseNftables(text);
    expect(r.diagnostics).toEqual([]);
    const t = r.tables[0]!;
    expect(t.chains.map((c) => [c.name, c.rules.map((x) => x.handle)])).toEqual([
      ['a', [4, 7, 8]],
      ['b', [5, 6, 9]],
    ]);
    const starts: number[] = [];
    for (let i = text.indexOf('{"rule":{"family"'); i >= 0; i = text.indexOf('{"rule":{"family"', i + 1)) starts.push(i + 1);
    const byHandle = t.chains.flatMap((c) => c.rules).sort((x, y) => x.handle! - y.handle!);
    expect(byHandle.map((x) => [x.column, x.comment])).toEqual(starts.map((col, i) => [col, tricky[i % tricky.length]]));
    expect(t.chains[0]!.comment).toBe(tricky[0]);
  });

  it('records the line where each object starts in pretty-printed JSON', () => {
    const text = JSON.stringify(bigJson(2), null, 2);
    const lines = text.split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    for (const form of [text, text.replace(/\n}\s*$/, ',\n  "extra": 1\n}\n')]) {
      const r = parseNftables(form);
      expect(r.diagnostics).toEqual([]);
      const t = r.tables[0]!;
      const c = t.chains[0]!;
      expect(t.line).toBe(lineOf('"table"') - 1);
      expect(c.line).toBe(lineOf('"chain"') - 1);
      expect(c.rules.map((x) => x.line)).toEqual([lineOf('"handle": 3') - 5, lineOf('"handle": 4') - 5]);
    }
  });
});
