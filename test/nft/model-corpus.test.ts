/**
 * buildNftKubeModel on kube-proxy's nftables corpus: every ruleset builds a model and lists its
 * services, and TestOverallNFTablesRules (the six services of the iptables TestOverallIPTablesRules)
 * comes out field by field through the `services --json` contract.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceJson } from '../../src/cli/json.js';
import { buildNftKubeModel, parseNftables } from '../../src/core/nft/index.js';
import { repoRoot } from '../helpers/paths.js';
import { loadNftCorpus, nftCorpusFiles } from './nft-corpus.js';

describe('every corpus ruleset', () => {
  const files = nftCorpusFiles();

  it('is all there', () => {
    expect(files.length).toBe(16);
  });

  for (const file of files) {
    it(`${file} builds a model with its services`, () => {
      const nft = loadNftCorpus(file);
      expect(nft.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const m = buildNftKubeModel(nft);
      expect(m.layout).toBe('current');
      expect(m.services.length).toBeGreaterThan(0);
      const ids = m.services.map((s) => `${s.id} ${s.family} ${s.protocol}`);
      expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      for (const s of m.services) {
        expect(s.mode).toBe('nftables');
        expect(s.id).toMatch(/^[a-z0-9-]+\/[a-z0-9-]+(:[a-z0-9-]+)?$/);
        expect(s.clusterIP ?? s.externalIPs[0] ?? s.nodePort).not.toBeNull();
        for (const e of s.endpoints) {
          expect(e.chain).toMatch(/^endpoint-[A-Z2-7]{8}-/);
          expect(e.address).toMatch(/:\d+$/);
          expect(m.chainOwner.get(`${s.family}/${e.chain}`)).toBe(s);
        }
        if (s.endpoints.length > 0) expect(s.endpoints.reduce((p, e) => p + e.probability, 0)).toBeCloseTo(1, 12);
      }
    });
  }
});

describe('TestOverallNFTablesRules.nft', () => {
  const model = buildNftKubeModel(loadNftCorpus('TestOverallNFTablesRules.nft'));
  const json = (id: string) => {
    const s = model.byId.get(id);
    if (!s) throw new Error(`no ${id}`);
    return serviceJson(s);
  };

  it('lists the six services in id order', () => {
    expect(model.services.map((s) => s.id)).toEqual(['ns1/svc1:p80', 'ns2/svc2:p80', 'ns3/svc3:p80', 'ns4/svc4:p80', 'ns5/svc5:p80', 'ns6/svc6:p80']);
  });

  it('svc1: a ClusterIP service with one endpoint', () => {
    expect(json('ns1/svc1:p80')).toEqual({
      id: 'ns1/svc1:p80', namespace: 'ns1', name: 'svc1', portName: 'p80', protocol: 'tcp',
      clusterIP: '172.30.0.41', port: 80, nodePort: null, externalIPs: [], loadBalancerIPs: [],
      externalTrafficPolicy: null, sessionAffinitySeconds: null,
      chains: { svc: 'service-ULMVA6XW-ns1/svc1/tcp/p80' },
      endpoints: [{ address: '10.180.0.1:80', chain: 'endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80', probability: 1, local: null, packets: null, bytes: null, problem: null }],
      packets: null, bytes: null, type: 'ClusterIP', family: 'ipv4', internalTrafficPolicy: 'Cluster', loadBalancerSourceRanges: [], mode: 'nftables',
    });
  });

  it('svc2: eTP Local without local endpoints: every endpoint not local, and the no-endpoint drops', () => {
    const s = model.byId.get('ns2/svc2:p80')!;
    expect(s).toMatchObject({ clusterIP: '172.30.0.42', nodePort: 3001, externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Cluster' });
    // The LB IP and the external IP both goto external-…: the dump does not tell them apart.
    expect(s.externalIPs).toEqual(['1.2.3.4', '192.168.99.22']);
    expect(s.endpoints.map((e) => [e.address, e.local])).toEqual([['10.180.0.2:80', false]]);
    expect(s.chains).toEqual({ svc: 'service-42NFTM6N-ns2/svc2/tcp/p80', ext: 'external-42NFTM6N-ns2/svc2/tcp/p80' });
    expect(s.blockingElements!.map((b) => `${b.set.name}: ${b.element.comment}`).sort()).toEqual([
      'no-endpoint-nodeports: ns2/svc2:p80', 'no-endpoint-services: ns2/svc2:p80', 'no-endpoint-services: ns2/svc2:p80',
    ]);
    expect(s.entryPoints.map((e) => `${e.kind} ${e.address}:${e.port} ${e.element!.set.name}`)).toEqual([
      'clusterIP 172.30.0.42:80 service-ips', 'nodePort null:3001 service-nodeports', 'externalIP 1.2.3.4:80 service-ips', 'externalIP 192.168.99.22:80 service-ips',
    ]);
  });

  it('svc3 and svc4: eTP Cluster node port and external IP; two endpoints at 1/2', () => {
    expect(json('ns3/svc3:p80')).toMatchObject({ nodePort: 3003, externalTrafficPolicy: 'Cluster', type: 'NodePort' });
    const s4 = json('ns4/svc4:p80');
    expect(s4).toMatchObject({ externalIPs: ['192.168.99.33'], externalTrafficPolicy: 'Cluster', type: 'ExternalIP' });
    expect(s4.endpoints.map((e) => [e.address, e.probability])).toEqual([['10.180.0.4:80', 0.5], ['10.180.0.5:80', 0.5]]);
  });

  it('svc5: a load balancer with source ranges and session affinity', () => {
    expect(json('ns5/svc5:p80')).toMatchObject({
      clusterIP: '172.30.0.45', nodePort: 3002, externalIPs: [], loadBalancerIPs: ['5.6.7.8'], type: 'LoadBalancer',
      loadBalancerSourceRanges: ['203.0.113.0/25'], sessionAffinitySeconds: 10800, externalTrafficPolicy: 'Cluster',
      chains: { svc: 'service-HVFWP5L3-ns5/svc5/tcp/p80', ext: 'external-HVFWP5L3-ns5/svc5/tcp/p80', fw: 'firewall-HVFWP5L3-ns5/svc5/tcp/p80' },
    });
    const s = model.byId.get('ns5/svc5:p80')!;
    expect(s.entryPoints.find((e) => e.kind === 'loadBalancer')?.address).toBe('5.6.7.8');
    expect(s.affinityClients).toEqual([]);
  });

  it('svc6: no endpoints, named by its no-endpoint element, its cluster IP known from @cluster-ips', () => {
    const s = model.byId.get('ns6/svc6:p80')!;
    expect(serviceJson(s)).toMatchObject({ clusterIP: '172.30.0.46', port: 80, endpoints: [], chains: {}, externalIPs: [], type: 'ClusterIP' });
    expect(s.blockingElements!.map((b) => b.element.data)).toEqual([{ goto: { target: 'reject-chain' } }]);
  });
});

describe('TestOverallNFTablesRules as the kernel lists it (test/nft/listings)', () => {
  const input = buildNftKubeModel(loadNftCorpus('TestOverallNFTablesRules.nft'));
  for (const file of ['TestOverallNFTablesRules.list.txt', 'TestOverallNFTablesRules.list.json']) {
    it(`${file} gives the same services --json as the input form`, () => {
      const nft = parseNftables(fs.readFileSync(path.join(repoRoot, 'test/nft/listings', file), 'utf8'));
      expect(nft.diagnostics).toEqual([]);
      const listed = buildNftKubeModel(nft);
      expect(listed.services.map(serviceJson)).toEqual(input.services.map(serviceJson));
      expect(listed.services.map((s) => s.entryPoints.map((e) => [e.kind, e.address, e.port]))).toEqual(
        input.services.map((s) => s.entryPoints.map((e) => [e.kind, e.address, e.port])),
      );
    });
  }
});
