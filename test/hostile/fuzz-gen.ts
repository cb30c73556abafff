/**
 * Random rulesets and packets for the fuzz in fuzz-trace.test.ts: kube-proxy-like pieces put
 * together at random (chains that jump and goto each other, cycles included, RETURN, the match
 * options the corpus uses, statistic probabilities such as 0, 1 and 0.33333333349, marks, NAT,
 * jumps to chains that do not exist), and packets of either family from and to node addresses.
 */
import fc from 'fast-check';
import type { TableName } from '../../src/core/parse/index.js';
import { builtinChains } from '../../src/core/parse/types.js';
import type { Packet, TraceOptions } from '../../src/core/trace/index.js';

export type Family = 'ipv4' | 'ipv6';

const TABLES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter'];

/** User chains, kube-proxy's and others'; any of them may be jumped to without being declared. */
const USER_CHAINS = [
  'KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ', 'KUBE-MARK-DROP', 'KUBE-FIREWALL',
  'KUBE-FORWARD', 'KUBE-PROXY-FIREWALL', 'KUBE-EXTERNAL-SERVICES',
  'KUBE-SVC-AAAAAAAAAAAAAAAA', 'KUBE-SVC-BBBBBBBBBBBBBBBB', 'KUBE-EXT-AAAAAAAAAAAAAAAA', 'KUBE-SVL-AAAAAAAAAAAAAAAA',
  'KUBE-FW-AAAAAAAAAAAAAAAA', 'KUBE-XLB-BBBBBBBBBBBBBBBB',
  'KUBE-SEP-AAAAAAAAAAAAAAAA', 'KUBE-SEP-BBBBBBBBBBBBBBBB', 'KUBE-SEP-CCCCCCCCCCCCCCCC',
  'DOCKER', 'cali-FORWARD', 'C1', 'C2',
] as const;

const ADDRESSES: Readonly<Record<Family, readonly string[]>> = {
  ipv4: ['10.0.0.1', '10.96.0.10', '192.168.0.2', '127.0.0.1', '203.0.113.7', '0.0.0.0', '255.255.255.255', '10.244.1.5', '198.18.0.7'],
  ipv6: ['2001:db8::1', '2001:db8::2', 'fd00::10', '::1', 'fe80::1', '::', 'fd00:10:244::5', 'fd00:198:18::7'],
};
const CIDRS: Readonly<Record<Family, readonly string[]>> = {
  ipv4: ['10.0.0.0/8', '10.96.0.10/32', '0.0.0.0/0', '192.168.0.0/16', '127.0.0.0/8', '10.244.1.0/24', '10.0.0.1'],
  ipv6: ['2001:db8::/32', 'fd00::10/128', '::/0', '::1/128', 'fe80::/10', '2001:db8::1'],
};
const NODE_ADDRESSES = ['192.168.0.2', '10.0.0.1', '2001:db8::2', 'fd00::10'];

/** iptables-save's 11 decimals, including the edges and kube-proxy's 1/3. */
const probability = fc.oneof(
  fc.constantFrom('0', '1', '0.00000000000', '1.00000000000', '0.50000000000', '0.33333333349', '0.25000000000', '0.20000000019', '0.00000000047', '0.99999999953', '0.1'),
  fc.double({ min: 0, max: 1, noNaN: true }).map((p) => p.toFixed(11)),
);

const port = fc.oneof(fc.constantFrom(0, 1, 53, 80, 443, 8080, 30783, 65535), fc.integer({ min: 0, max: 65535 }));
const portSpec = fc.oneof(port.map(String), fc.tuple(port, port).map(([a, b]) => `${Math.min(a, b)}:${Math.max(a, b)}`));
const mark = fc.constantFrom('0x4000', '0x8000', '0x1', '0x0', '0xffffffff', '0x4000/0x4000', '0x8000/0x8000', '0x0/0x4000');

function matchArb(family: Family): fc.Arbitrary<string> {
  const cidr = fc.constantFrom(...CIDRS[family]);
  const neg = fc.boolean().map((b) => (b ? '! ' : ''));
  return fc.oneof(
    fc.tuple(neg, fc.constantFrom('-s', '-d'), cidr).map(([n, o, c]) => `${n}${o} ${c}`),
    fc.tuple(fc.constantFrom('tcp', 'udp', 'sctp'), fc.constantFrom('--dport', '--sport'), neg, portSpec).map(
      ([p, o, n, ps]) => `-p ${p} -m ${p} ${n}${o} ${ps}`,
    ),
    fc.constantFrom('tcp', 'udp', 'sctp', 'icmp', 'all', 'icmpv6').map((p) => `-p ${p}`),
    fc.tuple(fc.constantFrom('tcp', 'udp'), fc.array(port, { minLength: 1, maxLength: 3 })).map(([p, ps]) => `-p ${p} -m multiport --dports ${ps.join(',')}`),
    fc.tuple(neg, fc.constantFrom('--dst-type', '--src-type'), fc.constantFrom('LOCAL', 'UNICAST', 'LOCAL --limit-iface-in')).map(([n, o, t]) => `-m addrtype ${n}${o} ${t}`),
    probability.map((p) => `-m statistic --mode random --probability ${p}`),
    probability.map((p) => `-m statistic --mode random ! --probability ${p}`),
    fc.integer({ min: 0, max: 5 }).map((n) => `-m statistic --mode nth --every ${n} --packet 0`),
    fc.constantFrom(
      '-m recent --name KUBE-SEP-AAAAAAAAAAAAAAAA --mask 255.255.255.255 --rsource --rcheck --seconds 10800 --reap',
      '-m recent --name KUBE-SEP-AAAAAAAAAAAAAAAA --mask 255.255.255.255 --rsource --set',
      '-m recent --name X --rcheck --hitcount 3',
    ),
    fc.tuple(neg, mark).map(([n, m]) => `-m mark ${n}--mark ${m}`),
    fc.tuple(neg, fc.constantFrom('NEW', 'RELATED,ESTABLISHED', 'RELATED,ESTABLISHED,DNAT', 'INVALID', 'DNAT', 'UNTRACKED')).map(
      ([n, s]) => `-m conntrack ${n}--ctstate ${s}`,
    ),
    fc.constantFrom('NEW', 'ESTABLISHED,RELATED').map((s) => `-m state --state ${s}`),
    fc.constantFrom('"kubernetes service portals"', '"default/nginx cluster IP"', '"ns/svc:p -> 10.0.0.1:80"', 'unquoted', '"with \\" quote"').map(
      (c) => `-m comment --comment ${c}`,
    ),
    fc.tuple(neg, fc.constantFrom('-i', '-o'), fc.constantFrom('eth0', 'lo', 'cali+', 'docker0')).map(([n, o, i]) => `${n}${o} ${i}`),
    fc.constantFrom('-m set --match-set KUBE-X src', '-m owner --uid-owner 0', '-m connmark --mark 0x1', '-m physdev --physdev-is-in', '-m socket', '-f'),
  );
}

/** Jumps mostly go to chains of the same table (so paths get long and cycles form), now and then anywhere. */
/**
 * Values no iptables-save prints but a hand-edited or corrupted dump can hold: out-of-range
 * ports, prefixes and marks, reversed ranges, service names, netmasks, probabilities outside
 * [0, 1] or not numbers, DNAT to the wrong family. They may make the parser report errors; the
 * model and the tracer must still cope with whatever Ruleset comes out.
 */
function wildArb(family: Family): fc.Arbitrary<string> {
  return fc.constantFrom(
    '-p tcp -m tcp --dport 99999', '-p tcp -m tcp --dport 80:70', '-p tcp -m tcp --dport http', '-p udp -m udp --sport -1',
    '-p tcp -m multiport --dports 1,2,3:', '-p tcp -m multiport ! --ports 65535:0', '-p 6', '-p 999', '-p TCP',
    '-s 10.0.0.0/33', '-d 999.1.1.1', '-s fe80::/129', '-d 1.2.3.4/0', '-d 10.0.0.1/255.255.0.0', '-s 10.0.0.1/-1', '-d ::ffff:10.0.0.1',
    '-m statistic --mode random --probability -0.5', '-m statistic --mode random --probability 2',
    '-m statistic --mode random --probability NaN', '-m statistic --mode random --probability 1e-400',
    '-m statistic --mode random --probability 0x10', '-m statistic --mode random', '-m statistic --mode nth --every 4294967296',
    '-m mark --mark 0x100000000/0xffffffff', '-m mark --mark 99999999999999999999', '-m mark --mark -1', '-m mark --mark zz',
    '-m conntrack --ctstate BOGUS', '-m addrtype --dst-type', '-m recent --seconds -5 --rcheck',
    `-i ${'x'.repeat(40)}`, '-i +', '-o !', '-m comment --comment ""', '-m comment --comment "\u001b[2J\u0007"',
    '-j MARK --set-xmark 0x100000000/0x1', '-j MARK --or-mark -1', '-j MARK --and-mark zz', '-j MARK',
    '-j DNAT --to-destination 10.0.0.1:0', '-j DNAT --to-destination 10.0.0.1:65536', '-j DNAT',
    `-j DNAT --to-destination ${family === 'ipv4' ? '[fd00::1]:80' : '10.0.0.1:80'}`, '-j DNAT --to-destination :',
    '-j SNAT', '-j REDIRECT --to-ports 0-65535', '-j REJECT --reject-with tcp-reset', '-j CONNMARK --restore-mark',
    '-j RETURN --bogus', '-g', '-j', '! -j ACCEPT',
  );
}

function targetArb(family: Family, declared: readonly string[], builtins: readonly string[]): fc.Arbitrary<string | null> {
  const v4 = family === 'ipv4';
  const jumpTo = fc.oneof(
    { weight: declared.length > 0 ? 8 : 0, arbitrary: fc.constantFrom(...(declared.length > 0 ? declared : ['C1'])) },
    { weight: 2, arbitrary: fc.constantFrom(...USER_CHAINS) },
    { weight: 1, arbitrary: fc.constantFrom(...builtins) },
  );
  const dest = v4
    ? fc.constantFrom('10.244.1.5:80', '10.0.0.1', ':8080', '10.0.0.1-10.0.0.5:80-90', 'nonsense', '127.0.0.1:1')
    : fc.constantFrom('[fd00::10]:80', 'fd00::10', '[::1]:53', '[fd00::10]', 'nonsense');
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom('-j', '-j', '-j', '-g'), jumpTo).map(([j, c]) => `${j} ${c}`) },
    { weight: 3, arbitrary: fc.constantFrom('-j RETURN', '-j ACCEPT', '-j DROP', '-j REJECT', '-j REJECT --reject-with icmp-port-unreachable') },
    { weight: 2, arbitrary: dest.map((d) => `-j DNAT --to-destination ${d}`) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '-j MASQUERADE',
        '-j MASQUERADE --random-fully',
        `-j SNAT --to-source ${v4 ? '192.168.0.2' : 'fd00::10'}`,
        '-j REDIRECT --to-ports 8080',
        '-j NFQUEUE --queue-num 1',
        '-j LOG --log-prefix "x "',
        '-j CONNMARK --set-mark 0x1',
        '-j NOTRACK',
        '-j CT --notrack',
        '-j TCPMSS --clamp-mss-to-pmtu',
      ),
    },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.constantFrom('--set-xmark', '--or-mark', '--xor-mark', '--and-mark', '--set-mark'), mark).map(
        ([op, m]) => `-j MARK ${op} ${op === '--set-xmark' || op === '--set-mark' ? m : m.split('/')[0]}`,
      ),
    },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

export interface TableSpec {
  readonly name: TableName;
  readonly policies: readonly string[];
  readonly chains: readonly string[];
  readonly rules: readonly RuleSpec[];
}

export interface DumpSpec {
  readonly family: Family;
  readonly tables: readonly TableSpec[];
}

/** A service the way kube-proxy writes it (ClusterIP, node port, endpoints split by probability), for the model to find. */
function kubeSkeleton(family: Family): fc.Arbitrary<{ chains: string[]; rules: RuleSpec[] }> {
  const v4 = family === 'ipv4';
  const host = (a: string) => `${a}/${v4 ? 32 : 128}`;
  const vip = v4 ? '10.96.0.10' : 'fd00::10';
  const eps = v4 ? ['10.244.1.5', '10.244.2.6', '10.244.3.7'] : ['fd00:10:244::5', 'fd00:10:244::6', 'fd00:10:244::7'];
  const ep = (a: string, port: number) => (v4 ? `${a}:${port}` : `[${a}]:${port}`);
  const seps = ['KUBE-SEP-AAAAAAAAAAAAAAAA', 'KUBE-SEP-BBBBBBBBBBBBBBBB', 'KUBE-SEP-CCCCCCCCCCCCCCCC'];
  return fc
    .record({
      endpoints: fc.integer({ min: 0, max: 3 }),
      probabilities: fc.array(probability, { minLength: 2, maxLength: 2 }),
      affinity: fc.boolean(),
      proto: fc.constantFrom('tcp', 'udp'),
      nodePort: fc.boolean(),
      shuffle: fc.boolean(),
      order: fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
    })
    .map(({ endpoints, probabilities, affinity, proto, nodePort, shuffle, order }) => {
      const r = (chain: string, ...words: string[]): RuleSpec => ({ chain, matches: words.slice(0, -1), target: words.at(-1)!, counters: true });
      const svc = 'KUBE-SVC-AAAAAAAAAAAAAAAA';
      const rules: RuleSpec[] = [
        r('PREROUTING', '-m comment --comment "kubernetes service portals"', '-j KUBE-SERVICES'),
        r('OUTPUT', '-m comment --comment "kubernetes service portals"', '-j KUBE-SERVICES'),
        r('POSTROUTING', '-m comment --comment "kubernetes postrouting rules"', '-j KUBE-POSTROUTING'),
        r('KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000', '-j RETURN'),
        r('KUBE-POSTROUTING', '-j MARK --xor-mark 0x4000'),
        r('KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT"', '-j MASQUERADE --random-fully'),
        r('KUBE-MARK-MASQ', '-j MARK --or-mark 0x4000'),
        r('KUBE-SERVICES', `-d ${host(vip)} -p ${proto} -m comment --comment "ns/svc:p cluster IP" -m ${proto} --dport 80`, `-j ${svc}`),
        r('KUBE-SVC-AAAAAAAAAAAAAAAA', `! -s ${v4 ? '10.244.0.0/16' : 'fd00:10:244::/56'} -d ${host(vip)} -p ${proto} -m ${proto} --dport 80`, '-j KUBE-MARK-MASQ'),
      ];
      if (nodePort) {
        rules.push(
          r('KUBE-SERVICES', '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL', '-j KUBE-NODEPORTS'),
          r('KUBE-NODEPORTS', `-p ${proto} -m comment --comment "ns/svc:p" -m ${proto} --dport 30783`, '-j KUBE-EXT-AAAAAAAAAAAAAAAA'),
          r('KUBE-EXT-AAAAAAAAAAAAAAAA', '-m comment --comment "masquerade traffic for ns/svc:p external destinations"', '-j KUBE-MARK-MASQ'),
          r('KUBE-EXT-AAAAAAAAAAAAAAAA', `-j ${svc}`),
        );
      }
      for (let i = 0; i < endpoints; i++) {
        const sep = seps[i]!;
        const last = i === endpoints - 1;
        const comment = `-m comment --comment "ns/svc:p -> ${ep(eps[i]!, 8080)}"`;
        if (affinity) rules.push(r(svc, `${comment} -m recent --name ${sep} --mask ${v4 ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'} --rsource --rcheck --seconds 10800 --reap`, `-j ${sep}`));
        rules.push(r(svc, last ? comment : `${comment} -m statistic --mode random --probability ${probabilities[i]}`, `-j ${sep}`));
        rules.push(r(sep, `-s ${host(eps[i]!)} -m comment --comment "ns/svc:p"`, '-j KUBE-MARK-MASQ'));
        rules.push(
          r(sep, `-p ${proto} -m comment --comment "ns/svc:p"${affinity ? ` -m recent --set --name ${sep} --mask ${v4 ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'} --rsource` : ''} -m ${proto}`, `-j DNAT --to-destination ${ep(eps[i]!, 8080)}`),
        );
      }
      // Half the time in kube-proxy's order; else the same rules in a random order.
      const ordered = shuffle ? rules.map((x, i) => [order[i % order.length]! + i / 1000, x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x) : rules;
      const chains = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ', svc, 'KUBE-EXT-AAAAAAAAAAAAAAAA', ...seps.slice(0, endpoints)];
      return { chains, rules: ordered };
    });
}

/**
 * A ladder: L1 -> L2 -> ... -> Ln, each rung a random split with the same probability, entered
 * from a built-in chain. Random jumps rarely nest this deep; here nested chances multiply
 * (40 rungs of 0.00000000047 underflow a double) and the depth limit is reached.
 */
function ladder(builtins: readonly string[]): fc.Arbitrary<{ chains: string[]; rules: RuleSpec[] }> {
  return fc
    .record({ rungs: fc.integer({ min: 1, max: 70 }), p: probability, from: fc.constantFrom(...builtins), end: fc.constantFrom('-j ACCEPT', '-j DROP', '-j RETURN', '-j MARK --or-mark 0x4000') })
    .map(({ rungs, p, from, end }) => {
      const chains = Array.from({ length: rungs }, (_, i) => `L${i + 1}`);
      const rules: RuleSpec[] = [{ chain: from, matches: [], target: '-j L1', counters: false }];
      chains.forEach((c, i) => {
        const next = chains[i + 1];
        rules.push({ chain: c, matches: next ? [`-m statistic --mode random --probability ${p}`] : [], target: next ? `-j ${next}` : end, counters: false });
      });
      return { chains, rules };
    });
}

export interface RuleSpec {
  readonly chain: string;
  readonly matches: readonly string[];
  readonly target: string | null;
  readonly counters: boolean;
}

function tableArb(family: Family, name: TableName, wild: boolean): fc.Arbitrary<TableSpec> {
  const builtins = builtinChains(name);
  const skeleton = name === 'nat' ? fc.option(kubeSkeleton(family), { freq: 5 }) : fc.constant(null);
  return fc
    .tuple(
      fc.array(fc.constantFrom('ACCEPT', 'ACCEPT', 'DROP', '-'), { minLength: builtins.length, maxLength: builtins.length }),
      fc.uniqueArray(fc.constantFrom(...USER_CHAINS), { maxLength: 8 }),
      skeleton,
      fc.option(ladder(builtins), { freq: 4 }),
    )
    .chain(([policies, extra, kube, steps]) => {
      const parts = [steps, kube].filter((x) => x !== null);
      const chains = [...new Set([...parts.flatMap((x) => x.chains), ...extra])];
      const fixed = parts.flatMap((x) => x.rules);
      const all = [...builtins, ...chains];
      const rule = fc.record({
        chain: fc.constantFrom(...all),
        matches: fc.oneof(
          { weight: 2, arbitrary: fc.constant([]) },
          { weight: 3, arbitrary: fc.array(matchArb(family), { minLength: 1, maxLength: 2 }) },
          { weight: wild ? 3 : 0, arbitrary: fc.array(fc.oneof(matchArb(family), wildArb(family)), { minLength: 1, maxLength: 2 }) },
        ),
        target: targetArb(family, chains, builtins),
        counters: fc.boolean(),
      });
      return fc.tuple(fc.array(rule, { maxLength: 24 }), fc.array(fc.nat(), { minLength: 24, maxLength: 24 })).map(([random, at]) => {
        // The random rules go in among kube-proxy's, at random places.
        const rules: RuleSpec[] = [...fixed];
        random.forEach((x, i) => rules.splice(at[i]! % (rules.length + 1), 0, x));
        return { name, policies, chains, rules };
      });
    });
}

/** A whole dump; `wild` mixes in the hostile values of wildArb. */
export const dumpArb = (wild: boolean): fc.Arbitrary<DumpSpec> => fc.constantFrom<Family>('ipv4', 'ipv4', 'ipv6').chain((family) =>
  fc
    // nat (where the services are) in most dumps.
    .tuple(fc.subarray([...TABLES], { minLength: 1 }), fc.integer({ min: 0, max: 5 }))
    .map(([names, n]) => (n > 0 && !names.includes('nat') ? [...names, 'nat' as const] : names))
    .chain((names) => fc.tuple(...names.map((n) => tableArb(family, n, wild))))
    .map((tables) => ({ family, tables })),
);

export function renderDump(spec: DumpSpec): string {
  const out = [`# Generated by ${spec.family === 'ipv6' ? 'ip6tables-save' : 'iptables-save'} v1.8.9 (nf_tables) on Fri Mar  1 12:00:00 2024`];
  for (const t of spec.tables) {
    out.push(`*${t.name}`);
    builtinChains(t.name).forEach((c, i) => out.push(`:${c} ${t.policies[i]} [0:0]`));
    for (const c of t.chains) out.push(`:${c} - [0:0]`);
    for (const r of t.rules) {
      const words = [`-A ${r.chain}`, ...r.matches, ...(r.target === null ? [] : [r.target])];
      out.push(`${r.counters ? '[3:180] ' : ''}${words.join(' ')}`);
    }
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

export interface PacketSpec {
  readonly packet: Packet;
  readonly node: readonly string[];
  readonly options: TraceOptions;
}

export function packetArb(family: Family): fc.Arbitrary<PacketSpec> {
  // Mostly the dump's family; now and then the other, or a mixed pair (an error, not a throw).
  const fam = fc.constantFrom<Family>(family, family, family, family === 'ipv4' ? 'ipv6' : 'ipv4');
  const addr = (f: Family) => fc.oneof(fc.constantFrom(...ADDRESSES[f]), fc.constantFrom(...NODE_ADDRESSES.filter((a) => a.includes(':') === (f === 'ipv6'))));
  // A third of the packets go where the kube skeleton's service is: its cluster IP or node port.
  const toService = (f: Family) =>
    fc.oneof(
      fc.constant({ dst: f === 'ipv4' ? '10.96.0.10' : 'fd00::10', dport: 80 }),
      fc.constantFrom(...NODE_ADDRESSES.filter((a) => a.includes(':') === (f === 'ipv6'))).map((dst) => ({ dst, dport: 30783 })),
    );
  const target = (f: Family) => fc.oneof({ weight: 2, arbitrary: fc.record({ dst: addr(f), dport: port }) }, { weight: 1, arbitrary: toService(f) });
  return fam.chain((f) =>
    fc.record({
      packet: fc.record(
        {
          protocol: fc.constantFrom('tcp', 'tcp', 'udp', 'sctp', 'icmp') as fc.Arbitrary<Packet['protocol']>,
          src: fc.oneof({ weight: 9, arbitrary: addr(f) }, { weight: 1, arbitrary: addr(f === 'ipv4' ? 'ipv6' : 'ipv4') }),
          to: target(f),
          sport: port,
          inInterface: fc.constantFrom('eth0', 'lo', 'cali123'),
          ctstate: fc.constantFrom('NEW', 'NEW', 'ESTABLISHED', 'RELATED', 'INVALID') as fc.Arbitrary<NonNullable<Packet['ctstate']>>,
        },
        { requiredKeys: ['protocol', 'src', 'to'] },
      ).map(({ to, ...rest }): Packet => ({ ...rest, ...to })),
      node: fc.subarray(NODE_ADDRESSES),
      options: fc.record(
        {
          maxSteps: fc.constantFrom(50, 2_000, 20_000),
          maxDepth: fc.constantFrom(3, 64),
          unknownMatches: fc.constantFrom('split', 'match', 'nomatch') as fc.Arbitrary<NonNullable<TraceOptions['unknownMatches']>>,
        },
        { requiredKeys: ['maxSteps'] },
      ),
    }),
  );
}
