/**
 * `which` on an nftables ruleset: the same planned probes as iptables mode, traced by
 * traceNftPacket, split by hook with the ruleset's own base chains; and the chain listing.
 */
import { describe, expect, it } from 'vitest';
import { describeStep, formatMainLine, pathByHook, whichService } from '../../src/core/index.js';
import { buildNftKubeModel, findNftChains, nftBaseChainTest, nftChainListing, traceNftPacket } from '../../src/core/nft/index.js';
import { loadNftCorpus } from './nft-corpus.js';

const nft = loadNftCorpus('TestOverallNFTablesRules.nft');
const model = buildNftKubeModel(nft);
const which = (id: string) => whichService(nft, model.byId.get(id)!, { nodeAddresses: ['192.168.0.2'], client: null }, traceNftPacket);

describe('which on nftables', () => {
  it('probes every way into svc5 (cluster IP, node port, load balancer from inside its source ranges)', () => {
    const w = which('ns5/svc5:p80');
    expect(w.probes.map((p) => `${p.kind} ${p.address}:${p.port} from ${p.packet.src}`)).toEqual([
      'clusterIP 172.30.0.45:80 from 203.0.113.10',
      'nodePort 192.168.0.2:3002 from 203.0.113.10',
      'loadBalancer 5.6.7.8:80 from 203.0.113.10',
    ]);
    for (const p of w.probes) {
      expect(p.entry?.element?.set.name).toBe(p.kind === 'nodePort' ? 'service-nodeports' : 'service-ips');
      // The affinity set as the dump shows it (empty): a new client, and the one endpoint gets it.
      expect(p.result.outcomes.map((o) => [o.verdict, o.dnat, o.endpointChain, o.case])).toEqual([['ACCEPT', '10.180.0.3:80', 'endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80', []]]);
      expect(p.result.outcomes[0]!.assumptions).toContainEqual(expect.stringMatching(/the client is not in @affinity-GTK6MW7G-ns5\/svc5\/tcp\/p80__10\.180\.0\.3\/80 \(0 pinned there\), so it is taken as a new client/));
    }
  });

  it('a source outside the ranges is dropped by the firewall chain, before DNAT', () => {
    const r = traceNftPacket(nft, { protocol: 'tcp', src: '203.0.113.130', dst: '5.6.7.8', dport: 80 }, { localAddresses: ['192.168.0.2'] });
    expect(r.outcomes.map((o) => [o.verdict, o.dnat, o.reason])).toEqual([
      ['DROP', null, 'source not in loadBalancerSourceRanges of ns5/svc5:p80 (firewall-HVFWP5L3-ns5/svc5/tcp/p80)'],
    ]);
    expect(r.outcomes[0]!.path.at(-1)).toMatchObject({ chain: 'firewall-HVFWP5L3-ns5/svc5/tcp/p80', rule: 1, target: 'DROP' });
  });

  it('a service without endpoints is rejected after routing, with its element\'s words', () => {
    const w = which('ns6/svc6:p80');
    expect(w.probes).toHaveLength(1);
    const o = w.probes[0]!.result.outcomes;
    expect(o.map((x) => [x.verdict, x.reason])).toEqual([['REJECT', 'ns6/svc6:p80 has no endpoints']]);
    const segments = pathByHook(o[0]!.path, nftBaseChainTest(nft));
    expect(segments.map((s) => s.hook)).toEqual(['filter-prerouting-pre-dnat', 'nat-prerouting', 'filter-forward']);
    expect(formatMainLine(segments[2]!)).toBe('ip kube-proxy filter-forward #1 > service-endpoints-check #1 > reject-chain #1');
    expect(segments[2]!.steps.map(describeStep)).toEqual([
      'ip kube-proxy filter-forward rule 1 -> service-endpoints-check',
      'ip kube-proxy service-endpoints-check rule 1 [172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain] goto reject-chain',
      'ip kube-proxy reject-chain rule 1 -> REJECT',
    ]);
  });

  it('an unserved port of a cluster IP is rejected, an unallocated service address dropped (cluster-ips-check)', () => {
    const trace = (dst: string, dport: number) => traceNftPacket(nft, { protocol: 'tcp', src: '10.0.0.2', dst, dport }, { localAddresses: ['192.168.0.2'] });
    expect(trace('172.30.0.41', 81).outcomes.map((o) => [o.verdict, o.reason])).toEqual([
      ['REJECT', 'rejected by ip kube-proxy cluster-ips-check rule 1 (Reject traffic to invalid ports of ClusterIPs)'],
    ]);
    expect(trace('172.30.0.99', 80).outcomes.map((o) => [o.verdict, o.reason])).toEqual([
      ['DROP', 'dropped by ip kube-proxy cluster-ips-check rule 2 (Drop traffic to unallocated ClusterIPs)'],
    ]);
  });

  it('eTP Local without local endpoints: an outside client is dropped on the node port, the node itself is served and masqueraded', () => {
    const outside = traceNftPacket(nft, { protocol: 'tcp', src: '203.0.113.2', dst: '192.168.0.2', dport: 3001 }, { localAddresses: ['192.168.0.2'] });
    expect(outside.outcomes.map((o) => [o.verdict, o.reason])).toEqual([
      ['DROP', 'ns2/svc2:p80 has no local endpoints (externalTrafficPolicy: Local and no endpoint on this node)'],
    ]);
    const node = traceNftPacket(nft, { protocol: 'tcp', src: '192.168.0.2', dst: '192.168.0.2', dport: 3001 }, { localAddresses: ['192.168.0.2'] });
    expect(node.outcomes.map((o) => [o.verdict, o.dnat, o.masquerade, o.reason])).toEqual([
      ['ACCEPT', '10.180.0.2:80', true, 'masqueraded: external-42NFTM6N-ns2/svc2/tcp/p80 rule 2 (masquerade local traffic)'],
    ]);
  });
});

describe('chain listing', () => {
  it('lists rules with position, handle (null in the transaction form), text, target and no counters', () => {
    const [chain] = findNftChains(nft, 'external-42NFTM6N-ns2/svc2/tcp/p80');
    const l = nftChainListing(nft, chain!);
    expect(l).toMatchObject({ family: 'ip', table: 'kube-proxy', base: null });
    expect(l.references).toBe(3);
    expect(l.rules.map((r) => [r.number, r.handle, r.target, r.goto, r.packets, r.comment])).toEqual([
      [1, null, 'service-42NFTM6N-ns2/svc2/tcp/p80', true, null, 'short-circuit pod traffic'],
      [2, null, 'mark-for-masquerade', false, null, 'masquerade local traffic'],
      [3, null, 'service-42NFTM6N-ns2/svc2/tcp/p80', true, null, 'short-circuit local traffic'],
    ]);
    expect(l.rules[1]!.text).toBe('fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"');
    const [services] = findNftChains(nft, 'services');
    expect(nftChainListing(nft, services!).rules.map((r) => r.target)).toEqual(['vmap @service-ips', 'vmap @service-nodeports']);
    const [pre] = findNftChains(nft, 'nat-prerouting');
    expect(nftChainListing(nft, pre!).base).toMatchObject({ type: 'nat', hook: 'prerouting', priority: -100, policy: 'accept' });
  });
});
