/** kube-proxy's own test dumps: every one builds a model, and the facts read off them hold. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { buildKubeModel, endpointChainName, serviceChainName, type KubeModel, type ServicePort } from '../../src/core/kube/index.js';
import { corpusDir } from '../helpers/paths.js';

const dumps = fs.readdirSync(corpusDir).filter((f) => f.endsWith('.dump')).sort();

function load(file: string): KubeModel {
  return buildKubeModel(parseIptablesSave(fs.readFileSync(path.join(corpusDir, file), 'utf8')));
}

function svc(model: KubeModel, id: string): ServicePort {
  const s = model.byId.get(id);
  if (!s) throw new Error(`no service ${id} in ${model.services.map((x) => x.id).join(', ')}`);
  return s;
}

describe('every corpus dump', () => {
  it('finds the 16 dumps', () => {
    expect(dumps.length).toBe(16);
  });

  for (const file of dumps) {
    it(`${file}: builds, lists services sorted, names chains as kube-proxy hashes them`, () => {
      const model = load(file);
      expect(model.services.length).toBeGreaterThan(0);
      const ids = model.services.map((s) => s.id);
      expect(ids).toEqual([...ids].sort());
      for (const s of model.services) {
        // The id the model gives must be the one kube-proxy hashed into the chain names.
        for (const [role, prefix] of [['svc', 'KUBE-SVC-'], ['ext', 'KUBE-EXT-'], ['svl', 'KUBE-SVL-'], ['fw', 'KUBE-FW-']] as const) {
          const chain = s.chains[role];
          if (chain) expect(chain).toBe(serviceChainName(prefix, s.id, s.protocol));
        }
        for (const ep of s.endpoints) {
          expect(ep.address).not.toBeNull();
          expect(ep.chain).toBe(endpointChainName(s.id, s.protocol, ep.address!));
          expect(model.chainOwner.get(`ipv4/${ep.chain}`)).toBe(s);
        }
        if (s.endpoints.length > 0 && s.chains.svc) {
          expect(s.endpoints.reduce((sum, ep) => sum + ep.probability, 0)).toBeCloseTo(1, 12);
        }
      }
    });
  }
});

describe('TestOverallIPTablesRules.dump', () => {
  const model = load('TestOverallIPTablesRules.dump');

  it('lists svc1..svc6, all IPv4 TCP port 80', () => {
    expect(model.services.map((s) => s.id)).toEqual([
      'ns1/svc1:p80', 'ns2/svc2:p80', 'ns3/svc3:p80', 'ns4/svc4:p80', 'ns5/svc5:p80', 'ns6/svc6:p80',
    ]);
    for (const s of model.services) {
      expect([s.family, s.protocol, s.port, s.portName]).toEqual(['ipv4', 'tcp', 80, 'p80']);
    }
    expect(model.services.map((s) => s.clusterIP)).toEqual([
      '172.30.0.41', '172.30.0.42', '172.30.0.43', '172.30.0.44', '172.30.0.45', '172.30.0.46',
    ]);
    expect(model.layout).toBe('current');
  });

  it('svc1 is a plain ClusterIP with one endpoint', () => {
    const s = svc(model, 'ns1/svc1:p80');
    expect(s.nodePort).toBeNull();
    expect(s.externalTrafficPolicy).toBeNull();
    expect(s.internalTrafficPolicy).toBe('Cluster');
    expect(s.chains).toEqual({ svc: 'KUBE-SVC-XPGD46QRK7WJZT7O' });
    expect(s.endpoints.map((e) => [e.address, e.chain, e.probability, e.local])).toEqual([
      ['10.180.0.1:80', 'KUBE-SEP-SXIVWICOYRO3J4NJ', 1, null],
    ]);
    expect(s.endpoints[0]!.dnatRule?.chain).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });

  it('svc2 is externalTrafficPolicy Local with no local endpoint: external IP, LB IP, node port, drops', () => {
    const s = svc(model, 'ns2/svc2:p80');
    expect(s.externalIPs).toEqual(['192.168.99.22']);
    expect(s.loadBalancerIPs).toEqual(['1.2.3.4']);
    expect(s.nodePort).toBe(3001);
    expect(s.healthCheckNodePort).toBe(30000);
    expect(s.externalTrafficPolicy).toBe('Local');
    expect(s.chains).toEqual({ svc: 'KUBE-SVC-GNZBNJ2PO5MGZ6GT', ext: 'KUBE-EXT-GNZBNJ2PO5MGZ6GT' });
    expect(s.endpoints.map((e) => [e.address, e.local])).toEqual([['10.180.0.2:80', false]]);
    expect(s.blockingRules.map((r) => `${r.table}/${r.chain}/${r.target}`)).toEqual([
      'filter/KUBE-EXTERNAL-SERVICES/DROP',
      'filter/KUBE-EXTERNAL-SERVICES/DROP',
      'filter/KUBE-EXTERNAL-SERVICES/DROP',
    ]);
    expect(s.entryPoints.map((e) => `${e.kind} ${e.address ?? '*'}:${e.port}`)).toEqual([
      'clusterIP 172.30.0.42:80',
      'externalIP 192.168.99.22:80',
      'loadBalancer 1.2.3.4:80',
      'nodePort 127.0.0.0/8:3001',
      'nodePort *:3001',
    ]);
  });

  it('svc3 is a NodePort with externalTrafficPolicy Cluster', () => {
    const s = svc(model, 'ns3/svc3:p80');
    expect(s.nodePort).toBe(3003);
    expect(s.externalTrafficPolicy).toBe('Cluster');
    expect(s.chains.ext).toBe('KUBE-EXT-X27LE4BHSL4DOUIK');
    expect(s.endpoints.map((e) => e.address)).toEqual(['10.180.0.3:80']);
  });

  it('svc4 has an external IP and two endpoints at 1/2 each', () => {
    const s = svc(model, 'ns4/svc4:p80');
    expect(s.externalIPs).toEqual(['192.168.99.33']);
    expect(s.nodePort).toBeNull();
    expect(s.externalTrafficPolicy).toBe('Cluster');
    expect(s.endpoints.map((e) => [e.address, e.chain, e.probability])).toEqual([
      ['10.180.0.4:80', 'KUBE-SEP-UKSFD7AGPMPPLUHC', 0.5],
      ['10.180.0.5:80', 'KUBE-SEP-C6EBXVWJJZMIWKLZ', 0.5],
    ]);
  });

  it('svc5 is a LoadBalancer with a source range, session affinity and a firewall drop', () => {
    const s = svc(model, 'ns5/svc5:p80');
    expect(s.loadBalancerIPs).toEqual(['5.6.7.8']);
    expect(s.loadBalancerSourceRanges).toEqual(['203.0.113.0/25']);
    expect(s.chains.fw).toBe('KUBE-FW-NUKIZ6OKUXPJNT4C');
    expect(s.sessionAffinitySeconds).toBe(10800);
    expect(s.nodePort).toBe(3002);
    expect(s.externalTrafficPolicy).toBe('Cluster');
    // The affinity check does not split: the one endpoint still gets every new client.
    expect(s.endpoints.map((e) => [e.address, e.probability])).toEqual([['10.180.0.3:80', 1]]);
    expect(s.blockingRules.map((r) => `${r.chain}/${r.target}`)).toEqual(['KUBE-PROXY-FIREWALL/DROP']);
    expect(model.chainOwner.get('ipv4/KUBE-FW-NUKIZ6OKUXPJNT4C')).toBe(s);
  });

  it('svc6 has no endpoints: only the filter REJECT exists', () => {
    const s = svc(model, 'ns6/svc6:p80');
    expect(s.endpoints).toEqual([]);
    expect(s.chains).toEqual({});
    expect(s.clusterIP).toBe('172.30.0.46');
    expect(s.blockingRules.map((r) => `${r.table}/${r.chain}/${r.target}`)).toEqual(['filter/KUBE-SERVICES/REJECT']);
    expect(s.entryPoints.map((e) => [e.kind, e.address, e.port, e.rule?.table])).toEqual([['clusterIP', '172.30.0.46', 80, 'filter']]);
  });

  it('has no counters in a restore-form dump', () => {
    for (const s of model.services) {
      expect(s.packets).toBeNull();
      for (const e of s.endpoints) expect(e.packets).toBeNull();
    }
  });
});

describe('TestTracePacket.dump', () => {
  const model = load('TestTracePacket.dump');
  it('reads the same services despite unquoted multi-word comments in the built-in chains', () => {
    expect(model.services.map((s) => s.id)).toEqual([
      'ns1/svc1:p80', 'ns2/svc2:p80', 'ns3/svc3:p80', 'ns4/svc4:p80', 'ns5/svc5:p80', 'ns6/svc6:p80',
    ]);
    expect(model.services.map((s) => s.nodePort)).toEqual([null, 3001, 3003, null, 3002, null]);
    expect(svc(model, 'ns5/svc5:p80').sessionAffinitySeconds).toBeNull();
    expect(svc(model, 'ns5/svc5:p80').loadBalancerSourceRanges).toEqual(['203.0.113.0/25']);
    expect(svc(model, 'ns2/svc2:p80').externalTrafficPolicy).toBe('Local');
  });
});

describe('TestSortIPTablesRules_1.dump (older pieces: SVL -> KUBE-MARK-DROP, node port straight to SVC)', () => {
  const model = load('TestSortIPTablesRules_1.dump');
  it('reads svc2 through FW -> EXT -> SVL and its KUBE-MARK-DROP', () => {
    const s = svc(model, 'ns2/svc2:p80');
    expect(s.chains).toEqual({
      svc: 'KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      ext: 'KUBE-EXT-GNZBNJ2PO5MGZ6GT',
      svl: 'KUBE-SVL-GNZBNJ2PO5MGZ6GT',
      fw: 'KUBE-FW-GNZBNJ2PO5MGZ6GT',
    });
    expect(s.externalTrafficPolicy).toBe('Local');
    expect(s.loadBalancerSourceRanges).toEqual(['203.0.113.0/25']);
    expect(s.endpoints.map((e) => [e.address, e.local])).toEqual([['10.180.0.2:80', false]]);
    expect(s.blockingRules.some((r) => r.chain === 'KUBE-SVL-GNZBNJ2PO5MGZ6GT' && r.target === 'KUBE-MARK-DROP')).toBe(true);
  });
  it('reads svc3, whose node port jumps straight to its SVC chain', () => {
    const s = svc(model, 'ns3/svc3:p80');
    expect(s.nodePort).toBe(3002);
    expect(s.externalTrafficPolicy).toBe('Cluster');
    expect(s.endpoints.map((e) => e.address)).toEqual(['10.180.0.3:80']);
  });
  it('recognises the older layout', () => {
    expect(model.layout).toBe('legacy');
  });
});

describe('partial syncs', () => {
  it('_2 jumps to SVC chains it does not declare: the services are listed without endpoints', () => {
    const model = load('TestSyncProxyRulesRepeated_2.dump');
    expect(model.services.map((s) => [s.id, s.clusterIP, s.endpoints.map((e) => e.address)])).toEqual([
      ['ns1/svc1:p80', '172.30.0.41', []],
      ['ns2/svc2:p8080', '172.30.0.42', []],
      ['ns3/svc3:p80', '172.30.0.43', ['10.0.3.1:80']],
    ]);
    expect(svc(model, 'ns1/svc1:p80').chains.svc).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
  });
  it('_4 holds a REJECT for svc4, which lost its endpoints', () => {
    const s = svc(load('TestSyncProxyRulesRepeated_4.dump'), 'ns4/svc4:p80');
    expect(s.endpoints).toEqual([]);
    expect(s.blockingRules.map((r) => r.target)).toEqual(['REJECT']);
  });
  it('_9 deletes chains with -X and still lists what it declares', () => {
    const model = load('TestSyncProxyRulesRepeated_9.dump');
    expect(model.services.map((s) => s.id)).toEqual(['ns1/svc1:p80', 'ns3/svc3:p80']);
    expect(svc(model, 'ns3/svc3:p80').endpoints.map((e) => [e.address, e.probability])).toEqual([
      ['10.0.3.2:80', 0.5],
      ['10.0.3.3:80', 0.5],
    ]);
  });
});
