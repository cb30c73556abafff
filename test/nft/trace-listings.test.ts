/**
 * The tracer on kernel listings captured by the reader's tests (test/nft/listings): iptables-nft's
 * tables beside kube-proxy's, in `nft -a list ruleset` text (xt matches translated to native nft)
 * and `nft -j` JSON (xt statements kept by name only).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildNftKubeModel, parseNftables, traceNftPacket, type NftRuleset } from '../../src/core/nft/index.js';
import { traceCases } from '../../src/core/trace/index.js';
import { repoRoot } from '../helpers/paths.js';

const LISTINGS = path.join(repoRoot, 'test/nft/listings');
const load = (file: string): NftRuleset => parseNftables(fs.readFileSync(path.join(LISTINGS, file), 'utf8'));
const NODE = { localAddresses: ['192.168.0.2'] };

describe('iptables-nft beside kube-proxy', () => {
  const text = load('iptables-nft-beside-kube-proxy.list-a.txt');
  const json = load('iptables-nft-beside-kube-proxy.list.json');

  it('the model holds kube-proxy\'s nftables services only', () => {
    for (const nft of [text, json]) expect(buildNftKubeModel(nft).services.map((s) => s.id)).toHaveLength(6);
  });

  it('text form: iptables-nft\'s statistic split (meta random) gives each endpoint 1/2, with no cases', () => {
    const r = traceNftPacket(text, { protocol: 'udp', src: '10.244.1.5', dst: '10.96.0.10', dport: 53 }, NODE);
    expect(r.outcomes.map((o) => [o.verdict, o.dnat, o.probability, o.case, o.endpointChain])).toEqual([
      ['ACCEPT', '10.244.0.3:53', 0.5, [], null],
      ['ACCEPT', '10.244.1.4:53', 0.5, [], null],
    ]);
    expect(r.outcomes[0]!.path.find((s) => s.target === 'DNAT')).toMatchObject({ nftFamily: 'ip', table: 'nat', chain: 'KUBE-SEP-6E7XQMQ4RAYOWTTM' });
    expect(r.outcomes[0]!.path.find((s) => s.target === 'DNAT')!.handle).toBeGreaterThan(0);
  });

  it('both nat chains at prerouting -100: the tie is named, and kube-proxy\'s service still DNATs', () => {
    for (const nft of [text, json]) {
      const r = traceNftPacket(nft, { protocol: 'tcp', src: '10.0.0.2', dst: '172.30.0.41', dport: 80 }, NODE);
      expect(r.outcomes.length).toBeGreaterThan(0);
      for (const o of r.outcomes) {
        expect(o.dnat).toBe('10.180.0.1:80');
        expect(o.endpointChain).toBe('endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
        expect(o.assumptions.some((a) => a.includes('ip nat PREROUTING and ip kube-proxy nat-prerouting have the same priority -100'))).toBe(true);
      }
      for (const c of traceCases(r.outcomes)) expect(c.outcomes.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 12);
    }
  });

  it('JSON form: xt matches are cases; an xt DNAT ends nat with its chain named and its address unknown', () => {
    const r = traceNftPacket(json, { protocol: 'udp', src: '10.244.1.5', dst: '10.96.0.10', dport: 53 }, NODE);
    const names = new Set(r.outcomes.flatMap((o) => o.case.map((c) => c.replace(/=(true|false)$/, ''))));
    expect([...names].every((n) => n.startsWith('xt match '))).toBe(true);
    const viaSep = r.outcomes.filter((o) => o.endpointChain !== null);
    expect(viaSep.length).toBeGreaterThan(0);
    for (const o of viaSep) {
      expect(o.endpointChain).toMatch(/^KUBE-SEP-/);
      expect(o.dnat).toBeNull();
      expect(o.assumptions.some((a) => a.includes('xt target DNAT: its address is not in this listing'))).toBe(true);
    }
  });
});
