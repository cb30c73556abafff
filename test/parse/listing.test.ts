/**
 * `iptables -L -n -v [-x] [--line-numbers]` listings load as the dump they list: the same
 * services, counters and traces as `iptables-save -c` of the same rules (the listings in
 * listings/ are genuine, see its README). What a listing drops is said once; a listing without
 * -v, or a match kubechains cannot read back, is refused at its line and column.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { parseErrors, parseIptablesSave, type Ruleset } from '../../src/core/parse/index.js';
import { tracePacket } from '../../src/core/trace/index.js';

const here = (name: string) => readFileSync(path.join(import.meta.dirname, 'listings', name), 'utf8');
const seed = readFileSync(path.join(import.meta.dirname, '../../fixtures/seed-nodeport-cluster.save'), 'utf8');
const exact = here('seed-nat-L-n-v-x-line-numbers.txt');

function services(rs: Ruleset) {
  return buildKubeModel(rs).services.map((s) => ({
    id: s.id, clusterIP: s.clusterIP, port: s.port, nodePort: s.nodePort, protocol: s.protocol,
    endpoints: s.endpoints.map((e) => [e.address, e.chain, e.probability, e.packets, e.bytes, e.problem]),
  }));
}

function chains(rs: Ruleset, table: string) {
  const t = rs.tables.find((x) => x.name === table)!;
  return t.chains.map((c) => `${c.name} ${c.policy ?? '-'} ${c.builtin ? `${c.counters?.packets}:${c.counters?.bytes}` : ''} ${c.rules.map((r) => `${r.target}@${r.counters?.packets}:${r.counters?.bytes}`).join(' ')}`).sort();
}

function outcomes(rs: Ruleset, dst: string, dport: number) {
  return tracePacket(rs, { protocol: 'tcp', src: '203.0.113.10', dst, dport }, { localAddresses: ['172.16.1.10'] }).outcomes
    .map((o) => `${o.probability} ${o.verdict} ${o.dnat} ${o.masquerade} ${o.path.map((s) => `${s.chain}#${s.rule}`).join('>')}`);
}

describe('an `iptables -t nat -L -n -v -x --line-numbers` listing', () => {
  const listed = parseIptablesSave(exact);
  const saved = parseIptablesSave(seed);

  it('loads without error, as table nat, with one warning that says so', () => {
    expect(parseErrors(listed)).toEqual([]);
    expect(listed.tables.map((t) => t.name)).toEqual(['nat']);
    expect(listed.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '1:1 an `iptables -L` listing, which does not name its table: lines 1-111 read as table nat (it holds DNAT, MASQUERADE, KUBE-MARK-MASQ jumps, which only nat has); `iptables-save -c` names every table',
    ]);
  });

  it('has the services, endpoints and counters the dump has', () => {
    expect(services(listed)).toEqual(services(saved));
    expect(services(listed).map((s) => s.id)).toContain('default/nginx');
  });

  it('has every chain with its policy, counters and rules', () => {
    expect(chains(listed, 'nat')).toEqual(chains(saved, 'nat'));
  });

  it('traces as the dump\'s nat table alone does: cluster IP, node port, a port no service has', () => {
    const natOnly = parseIptablesSave(seed.slice(seed.indexOf('*nat'), seed.indexOf('COMMIT', seed.indexOf('*nat')) + 7));
    expect(natOnly.tables.map((t) => t.name)).toEqual(['nat']);
    const saved = natOnly;
    for (const [dst, port] of [['10.32.0.61', 80], ['172.16.1.10', 30783], ['10.32.0.10', 53], ['10.32.0.1', 444]] as const) {
      expect(outcomes(listed, dst, port)).toEqual(outcomes(saved, dst, port));
    }
    expect(outcomes(listed, '10.32.0.61', 80)[0]).toMatch(/ 10\.64\.2\.4:80 /);
  });

  it('points each rule at its line of the listing', () => {
    const lines = exact.split('\n');
    for (const r of listed.tables[0]!.rules) expect(lines[r.line - 1]).toMatch(new RegExp(`^${r.index} `));
  });
});

describe('what a listing drops, and what cannot be read back', () => {
  it('without -x: the rounded counters are read as written, and one warning says so', () => {
    const rs = parseIptablesSave(here('seed-nat-L-n-v.txt'));
    expect(parseErrors(rs)).toEqual([]);
    expect(rs.diagnostics.filter((d) => /rounded/.test(d.message)).map((d) => d.message)).toEqual([
      "the listing's counters are rounded (K, M, G) on 6 lines: `iptables -L -n -v -x` prints exact ones",
    ]);
    const pre = rs.tables[0]!.chainsByName.get('PREROUTING')!;
    // 21184 packets fit the column; 4212345 bytes are printed as 4212K.
    expect(pre.rules[0]!.counters).toEqual({ packets: 21184, bytes: 4212000 });
    expect(services(rs).map((s) => s.id)).toEqual(services(parseIptablesSave(seed)).map((s) => s.id));
  });

  it('the filter table listing loads as filter', () => {
    const rs = parseIptablesSave(here('seed-filter-L-n-v-x.txt'));
    expect(parseErrors(rs)).toEqual([]);
    expect(rs.tables.map((t) => t.name)).toEqual(['filter']);
    expect(chains(rs, 'filter')).toEqual(chains(parseIptablesSave(seed), 'filter'));
  });

  it('without -v: refused, with what to run', () => {
    const rs = parseIptablesSave(here('seed-nat-L-n.txt'));
    expect(rs.diagnostics.map((d) => `${d.severity} ${d.line}:${d.column} ${d.message}`)).toEqual([
      'error 1:1 this is an `iptables -L` listing without -v, which leaves out interfaces and counters: run `iptables -L -n -v -x` or, better, `iptables-save -c`',
    ]);
  });

  it('a match it cannot read back is an error at its column, never dropped', () => {
    const row = '    5   300 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:22 limit: avg 3/min burst 5';
    const text = `Chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n pkts bytes target     prot opt in     out     source               destination\n${row}\n`;
    const [e, ...more] = parseErrors(parseIptablesSave(text));
    expect(more).toEqual([]);
    expect(e).toMatchObject({ line: 3, column: row.indexOf('limit:') + 1 });
    expect(e!.message).toMatch(/^cannot read "limit: avg" in this `iptables -L` listing/);
  });
});
