/**
 * Counter deltas on nftables rulesets: nft tables are diffed like iptables tables (by table label,
 * chain, the rule's text without counter values or handle, and occurrence), and nftables-mode
 * services get their deltas through their endpoint chains' `dnat` rules. kube-proxy writes no
 * `counter`; these rulesets carry them as a user who added them would (`counter` before `dnat`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffSnapshots, type Snapshot } from '../../src/core/counters/index.js';
import { parseNftables, type NftRuleset } from '../../src/core/nft/index.js';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { fixturesDir } from '../helpers/paths.js';

/** An nft-only snapshot, as a source that read `nft list ruleset` gives it (an empty iptables ruleset beside). */
function snapshot(nft: NftRuleset, takenAtMs: number): Snapshot {
  return { ruleset: parseIptablesSave(''), nft, takenAtMs };
}

function parsed(text: string): NftRuleset {
  const nft = parseNftables(text);
  expect(nft.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return nft;
}

/** A user table with counted rules (`nft -a list ruleset` form: handles shown). */
function userTable(rules: readonly string[]): NftRuleset {
  return parsed(['table inet edge {', '\tchain input {', '\t\ttype filter hook input priority filter; policy accept;', ...rules.map((r) => `\t\t${r}`), '\t}', '}', ''].join('\n'));
}

const SSH = 'tcp dport 22';
const WEB = 'tcp dport 80';
const DNS = 'udp dport 53';
const rule = (match: string, packets: number, bytes: number, handle: number) => `${match} counter packets ${packets} bytes ${bytes} accept # handle ${handle}`;

describe('nft rule deltas', () => {
  it('a rule that counted gets its delta and rate; one that did not, 0', () => {
    const prev = userTable([rule(SSH, 100, 6000, 4), rule(WEB, 7, 700, 5)]);
    const cur = userTable([rule(SSH, 130, 7800, 4), rule(WEB, 7, 700, 5)]);
    const diff = diffSnapshots(snapshot(prev, 10_000), snapshot(cur, 12_000));
    const rules = diff.chainRules('inet edge', 'ipv4', 'input')!;
    expect(rules.map((d) => [d.state, d.packets, d.deltaPackets, d.deltaBytes, d.packetRate, d.countedSinceLast])).toEqual([
      ['ok', 130, 30, 1800, 15, true],
      ['ok', 7, 0, 0, 0, false],
    ]);
    expect(rules[0]!.previous!.nft!.handle).toBe(4);
    expect(diff.countedRules().map((d) => d.rule.nft!.handle)).toEqual([4]);
  });

  it('a rule rewritten with a new handle, elsewhere in its chain, keeps its identity; a new rule is new', () => {
    // kube-proxy-style rewrite: the chain flushed and refilled, every handle new, the order changed.
    const prev = userTable([rule(SSH, 100, 6000, 4), rule(WEB, 7, 700, 5)]);
    const cur = userTable([rule(WEB, 9, 900, 11), rule(DNS, 50, 4000, 12), rule(SSH, 101, 6060, 13)]);
    const diff = diffSnapshots(snapshot(prev, 0), snapshot(cur, 1_000));
    const rules = diff.chainRules('inet edge', 'ipv4', 'input')!;
    expect(rules.map((d) => [d.rule.nft!.handle, d.state, d.deltaPackets, d.previous?.nft?.handle ?? null])).toEqual([
      [11, 'ok', 2, 5],
      [12, 'new', null, null],
      [13, 'ok', 1, 4],
    ]);
    // A new rule's whole count is never one delta.
    expect(rules[1]!.packetRate).toBeNull();
    expect(rules[1]!.countedSinceLast).toBe(false);
  });

  it('a count that went down is a reset (no delta, no rate); the view text leaves the numbers out', () => {
    const prev = userTable([rule(SSH, 100, 6000, 4)]);
    const cur = userTable([rule(SSH, 3, 180, 9)]);
    const diff = diffSnapshots(snapshot(prev, 0), snapshot(cur, 1_000));
    const [d] = diff.chainRules('inet edge', 'ipv4', 'input')!;
    expect([d!.state, d!.packets, d!.deltaPackets, d!.packetRate]).toEqual(['reset', 3, null, null]);
    expect(d!.rule.text).toBe('tcp dport 22 counter accept');
  });

  it('without counter statements every rule is uncounted, never zero; with no previous snapshot, first', () => {
    const plain = userTable(['tcp dport 22 accept # handle 4']);
    const diff = diffSnapshots(snapshot(plain, 0), snapshot(userTable(['tcp dport 22 accept # handle 4']), 1_000));
    const [d] = diff.chainRules('inet edge', 'ipv4', 'input')!;
    expect([d!.state, d!.packets, d!.deltaPackets, d!.packetRate]).toEqual(['uncounted', null, null, null]);
    const first = diffSnapshots(null, snapshot(userTable([rule(SSH, 5, 300, 4)]), 0)).chainRules('inet edge', 'ipv4', 'input')!;
    expect([first[0]!.state, first[0]!.packets, first[0]!.deltaPackets]).toEqual(['first', 5, null]);
  });

  it('an nft table beside iptables tables: both diffed, each in its own slot', () => {
    const save = (p: number) => ['*filter', ':INPUT ACCEPT [0:0]', `[${p}:${p * 60}] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT`, 'COMMIT', ''].join('\n');
    const prev: Snapshot = { ruleset: parseIptablesSave(save(10)), nft: userTable([rule(SSH, 100, 6000, 4)]), takenAtMs: 0 };
    const cur: Snapshot = { ruleset: parseIptablesSave(save(14)), nft: userTable([rule(SSH, 120, 7200, 4)]), takenAtMs: 2_000 };
    const diff = diffSnapshots(prev, cur);
    expect(diff.chainRules('filter', 'ipv4', 'INPUT')!.map((d) => d.deltaPackets)).toEqual([4]);
    expect(diff.chainRules('inet edge', 'ipv4', 'input')!.map((d) => d.deltaPackets)).toEqual([20]);
    expect(diff.countedRules().map((d) => d.rule.table)).toEqual(['filter', 'inet edge']);
  });
});

// ---------------------------------------------------------------------------------------------
// Services through their endpoint chains' dnat rules

const FIXTURE = readFileSync(path.join(fixturesDir, 'nftables/multi-endpoint.nft'), 'utf8');
const WEB_ENDPOINTS = ['10.244.1.5:8080', '10.244.2.7:8080', '10.244.3.9:8080'];

/** multi-endpoint.nft with `counter packets N bytes N*60` before each `dnat to ADDRESS` named in `counts` (others stay uncounted). */
function withCounters(counts: Readonly<Record<string, number>>, text = FIXTURE): string {
  return text.replace(/dnat to (\S+)/g, (m, to: string) => (counts[to] === undefined ? m : `counter packets ${counts[to]} bytes ${counts[to] * 60} ${m}`));
}

/** Every endpoint of the fixture counted: web's as given, the others 0. */
function counted(web: readonly number[]): string {
  const all: Record<string, number> = {};
  for (const m of FIXTURE.matchAll(/dnat to (\S+)/g)) all[m[1]!] = 0;
  WEB_ENDPOINTS.forEach((e, i) => (all[e] = web[i]!));
  return withCounters(all);
}

describe('nftables services: deltas through the endpoint dnat rules', () => {
  it('endpoint and service deltas and rates; other services count 0', () => {
    const prev = parsed(counted([10, 20, 30]));
    const cur = parsed(counted([15, 20, 41]));
    const diff = diffSnapshots(snapshot(prev, 1_000), snapshot(cur, 3_000));
    const web = diff.service('default/web', 'ipv4')!;
    expect(web.service.mode).toBe('nftables');
    expect(web.endpoints.map((e) => [e.endpoint.address, e.state, e.packets, e.deltaPackets])).toEqual([
      ['10.244.1.5:8080', 'ok', 15, 5],
      ['10.244.2.7:8080', 'ok', 20, 0],
      ['10.244.3.9:8080', 'ok', 41, 11],
    ]);
    expect([web.state, web.packets, web.deltaPackets, web.deltaBytes, web.packetRate, web.countedSinceLast]).toEqual(['ok', 76, 16, 960, 8, true]);
    const chain = web.endpoints[2]!.endpoint.chain;
    expect(diff.endpoint(chain, 'ipv4')!.packetRate).toBe(5.5);
    const api = diff.service('shop/api:https', 'ipv4')!;
    expect([api.state, api.deltaPackets, api.packetRate, api.countedSinceLast]).toEqual(['ok', 0, 0, false]);
  });

  it('the same from the JSON form (nft -j list ruleset), with the counters as JSON statements', () => {
    const json = readFileSync(path.join(fixturesDir, 'nftables/multi-endpoint.json'), 'utf8');
    const counters = (packets: number[]) => {
      let i = 0;
      const doc = JSON.parse(json) as { nftables: Record<string, { chain?: string; expr?: Record<string, unknown>[] }>[] };
      for (const o of doc.nftables) {
        const r = o.rule;
        if (!r?.expr || !r.chain?.includes('default/web/')) continue;
        const at = r.expr.findIndex((s) => 'dnat' in s);
        if (at >= 0) r.expr.splice(at, 0, { counter: { packets: packets[i], bytes: packets[i++]! * 60 } });
      }
      expect(i).toBe(3);
      return JSON.stringify(doc);
    };
    const diff = diffSnapshots(snapshot(parsed(counters([1, 2, 3])), 0), snapshot(parsed(counters([4, 2, 3])), 1_000));
    const web = diff.service('default/web', 'ipv4')!;
    expect([web.state, web.packets, web.deltaPackets, web.packetRate]).toEqual(['ok', 9, 3, 3]);
    // Endpoints of other services have no counter statement: uncounted, never 0.
    const dns = diff.service('kube-system/kube-dns:dns', 'ipv4')!;
    expect([dns.state, dns.packets, dns.deltaPackets]).toEqual(['uncounted', null, null]);
    expect(dns.endpoints.map((e) => e.packets)).toEqual([null, null]);
  });

  it('a service rewritten by kube-proxy (a new endpoint, its chains rebuilt): old endpoints keep their deltas, the new one is new', () => {
    const prev = parsed(counted([10, 20, 30]));
    // The third endpoint replaced by a new one (a new endpoint chain, a new vmap rule).
    const next = counted([12, 25, 0])
      .replaceAll('endpoint-IA4HY56K-default/web/tcp/__10.244.3.9/8080', 'endpoint-NEWNEWNE-default/web/tcp/__10.244.3.10/8080')
      .replace('dnat to 10.244.3.9:8080', 'dnat to 10.244.3.10:8080');
    const diff = diffSnapshots(snapshot(prev, 0), snapshot(parsed(next), 2_000));
    const web = diff.service('default/web', 'ipv4')!;
    expect(web.endpoints.map((e) => [e.endpoint.address, e.state, e.deltaPackets])).toEqual([
      ['10.244.1.5:8080', 'ok', 2],
      ['10.244.2.7:8080', 'ok', 5],
      ['10.244.3.10:8080', 'new', null],
    ]);
    expect([web.state, web.deltaPackets, web.newEndpoints, web.packetRate]).toEqual(['ok', 7, 1, 3.5]);
  });

  it('a service that was not in the previous snapshot is new', () => {
    const prev = parsed(counted([1, 1, 1]).replaceAll('default/web', 'default/gone'));
    const diff = diffSnapshots(snapshot(prev, 0), snapshot(parsed(counted([2, 2, 2])), 1_000));
    const web = diff.service('default/web', 'ipv4')!;
    expect([web.state, web.packets, web.deltaPackets, web.packetRate]).toEqual(['new', 6, null, null]);
  });

  it('without counter statements (what kube-proxy writes): services and endpoints uncounted, null not 0', () => {
    const diff = diffSnapshots(snapshot(parsed(FIXTURE), 0), snapshot(parsed(FIXTURE), 1_000));
    for (const s of diff.model.services) {
      const d = diff.servicePort(s)!;
      expect([d.state, d.packets, d.deltaPackets, d.packetRate], s.id).toEqual(['uncounted', null, null, null]);
      for (const e of d.endpoints) expect([e.state, e.packets], e.endpoint.chain).toEqual(['uncounted', null]);
    }
    expect(diff.model.services.length).toBeGreaterThan(3);
  });
});
