import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  attributeConnections,
  buildDumpModel,
  NODE_PORT_ANY_ADDRESS_ASSUMPTION,
  parseConntrack,
  parseDump,
  type ConnectionReport,
  type KubeModel,
} from '../../src/core/index.js';
import { fixturesDir } from '../helpers/paths.js';

const read = (...parts: string[]) => readFileSync(path.join(fixturesDir, ...parts), 'utf8');
const iptablesModel = (name: string): KubeModel => buildDumpModel(parseDump(read(`${name}.save`)));
const nftablesModel = (name: string): KubeModel => buildDumpModel(parseDump('', { nftText: read('nftables', `${name}.nft`) }));
const table = (name: string, form: string) => parseConntrack(read('conntrack', `${name}.${form}.txt`), form);

/** The services with connections: "family id" -> endpoint -> [states, masqueraded]. */
function counted(report: ConnectionReport): Record<string, Record<string, [Record<string, number>, number]>> {
  const out: Record<string, Record<string, [Record<string, number>, number]>> = {};
  for (const s of report.services) {
    if (s.connections === 0) continue;
    const endpoints: Record<string, [Record<string, number>, number]> = {};
    for (const e of s.endpoints) if (e.connections > 0) endpoints[e.address] = [e.states, e.masqueraded];
    out[`${s.family} ${s.id}`] = endpoints;
  }
  return out;
}

function expectSums(report: ConnectionReport, entries: number): void {
  let total = 0;
  for (const s of report.services) {
    let sum = 0;
    for (const e of s.endpoints) {
      expect(e.connections).toBe(Object.values(e.states).reduce((a, b) => a + b, 0));
      expect(e.masqueraded).toBeLessThanOrEqual(e.connections);
      sum += e.connections;
    }
    expect(s.connections).toBe(sum);
    total += sum;
  }
  expect(total + report.unmatched).toBe(entries);
}

// fixtures/build-conntrack.sh says what each entry of these tables is.
const SEED_NODE = ['172.16.1.10'];
const SEED_EXPECTED = {
  'ipv4 default/kubernetes:https': { '172.16.1.5:6443': [{ ESTABLISHED: 1 }, 0] },
  // pod via the cluster IP, the seed's client via the cluster IP, the client via the node port
  // (masqueraded), the node via localhost:nodePort (masqueraded to the node's address).
  'ipv4 default/nginx': { '10.64.2.4:80': [{ ESTABLISHED: 3, TIME_WAIT: 1 }, 2] },
  'ipv4 kube-system/kube-dns:dns': { '10.64.0.2:53': [{ UNREPLIED: 1 }, 0], '10.64.1.3:53': [{ SEEN_REPLY: 1, ASSURED: 1 }, 0] },
  'ipv4 kube-system/kube-dns:dns-tcp': { '10.64.1.3:53': [{ SYN_SENT: 1 }, 0] },
};
// To no service, to the nginx cluster IP answered by the cluster IP itself (not DNATed), ICMP, SCTP to no service.
const SEED_UNMATCHED = 4;

describe('attributeConnections: seed-nodeport-cluster', () => {
  for (const [mode, model] of [
    ['iptables', () => iptablesModel('seed-nodeport-cluster')],
    ['nftables', () => nftablesModel('seed-nodeport-cluster')],
  ] as const) {
    for (const form of ['plain', 'extended', 'proc']) {
      it(`${mode} rules, ${form} table: each endpoint gets its connections, states and masquerade`, () => {
        const t = table('seed-nodeport-cluster', form);
        const report = attributeConnections(model(), t, { nodeAddresses: SEED_NODE });
        expect(counted(report)).toEqual(SEED_EXPECTED);
        expect(report.unmatched).toBe(SEED_UNMATCHED);
        expect(report.assumptions).toEqual([]);
        expectSums(report, t.entries.length);
      });
    }
  }

  it('lists every service port with endpoints, 0s included, in model order', () => {
    const model = iptablesModel('seed-nodeport-cluster');
    const report = attributeConnections(model, table('seed-nodeport-cluster', 'plain'), { nodeAddresses: SEED_NODE });
    expect(report.services.map((s) => s.id)).toEqual(model.services.filter((s) => s.endpoints.length > 0).map((s) => s.id));
    const metrics = report.byId.get('kube-system/kube-dns:metrics')!;
    expect(metrics.connections).toBe(0);
    expect(metrics.endpoints.map((e) => [e.address, e.connections, e.probability])).toEqual([
      ['10.64.0.2:9153', 0, 0.5],
      ['10.64.1.3:9153', 0, 0.5],
    ]);
    expect(report.byService.get(model.byId.get('default/nginx')!)).toBe(report.byId.get('default/nginx'));
  });

  it('without node addresses: the node port matches on any non-service address, and says so', () => {
    const t = table('seed-nodeport-cluster', 'plain');
    const report = attributeConnections(iptablesModel('seed-nodeport-cluster'), t, { nodeAddresses: [] });
    expect(counted(report)).toEqual(SEED_EXPECTED);
    expect(report.unmatched).toBe(SEED_UNMATCHED);
    expect(report.assumptions).toEqual([NODE_PORT_ANY_ADDRESS_ASSUMPTION]);
  });

  it('with other node addresses: a node port on this address is not the node\'s, so unmatched (localhost still is)', () => {
    const t = table('seed-nodeport-cluster', 'plain');
    const report = attributeConnections(iptablesModel('seed-nodeport-cluster'), t, { nodeAddresses: ['172.16.1.11'] });
    expect(report.byId.get('default/nginx')!.endpoints[0]!.states).toEqual({ ESTABLISHED: 2, TIME_WAIT: 1 });
    expect(report.unmatched).toBe(SEED_UNMATCHED + 1);
    expectSums(report, t.entries.length);
  });

  it('a model without node ports makes no assumption', () => {
    const report = attributeConnections(iptablesModel('seed-clusterip'), parseConntrack('', 'f'), { nodeAddresses: [] });
    expect(report.assumptions).toEqual([]);
    expect(report.unmatched).toBe(0);
  });
});

describe('attributeConnections: dual-stack', () => {
  const NODES = ['192.168.10.11', 'fd00:192:168:10::11'];
  const EXPECTED = {
    'ipv4 default/web': { '10.244.2.7:8080': [{ CLOSE_WAIT: 1 }, 0] },
    'ipv6 default/web': { '[fd00:10:244:1::5]:8080': [{ ESTABLISHED: 1 }, 0], '[fd00:10:244:2::7]:8080': [{ ESTABLISHED: 1, FIN_WAIT: 1 }, 0] },
    'ipv4 default/shop:http': { '10.244.3.22:8080': [{ ESTABLISHED: 1 }, 1] },
    'ipv6 default/shop:http': { '[fd00:10:244:1::21]:8080': [{ ESTABLISHED: 1 }, 0] },
  };
  for (const [mode, model] of [
    ['iptables', () => iptablesModel('dual-stack')],
    ['nftables', () => nftablesModel('dual-stack')],
  ] as const) {
    for (const form of ['plain', 'extended', 'proc']) {
      it(`${mode} rules, ${form} table: both families, IPv6 addresses in either spelling`, () => {
        const t = table('dual-stack', form);
        const report = attributeConnections(model(), t, { nodeAddresses: NODES });
        expect(counted(report)).toEqual(EXPECTED);
        expect(report.unmatched).toBe(1);
        expectSums(report, t.entries.length);
      });
    }
  }

  it('byService tells the two families of one id apart; byId gives the first', () => {
    const model = iptablesModel('dual-stack');
    const report = attributeConnections(model, table('dual-stack', 'plain'), { nodeAddresses: NODES });
    const webs = model.services.filter((s) => s.id === 'default/web');
    expect(webs.map((s) => report.byService.get(s)!.connections)).toEqual([1, 3]);
    expect(report.byId.get('default/web')).toBe(report.byService.get(webs[0]!));
  });
});

describe('attributeConnections: rules', () => {
  const model = () => iptablesModel('seed-nodeport-cluster');
  const line = (proto: string, state: string, o: string, r: string, flags = '') => `${proto} 6 10 ${state} ${o} ${r} ${flags}`.replace(/ +/g, ' ');

  it('the protocol must match: UDP to a TCP-only frontend is unmatched', () => {
    const t = parseConntrack('udp 17 10 src=10.64.2.9 dst=10.32.0.61 sport=1 dport=80 src=10.64.2.4 dst=10.64.2.9 sport=80 dport=1', 'f');
    expect(attributeConnections(model(), t, { nodeAddresses: SEED_NODE }).unmatched).toBe(1);
  });

  it('the reply source must be one of that port\'s endpoints (port included)', () => {
    const t = parseConntrack(
      [
        line('tcp', 'ESTABLISHED', 'src=10.64.2.9 dst=10.32.0.61 sport=1 dport=80', 'src=10.64.2.4 dst=10.64.2.9 sport=81 dport=1'),
        line('tcp', 'ESTABLISHED', 'src=10.64.2.9 dst=10.32.0.61 sport=2 dport=80', 'src=10.64.0.2 dst=10.64.2.9 sport=80 dport=2'),
        line('tcp', 'ESTABLISHED', 'src=10.64.2.9 dst=10.32.0.61 sport=3 dport=80', 'src=10.64.2.4 dst=10.64.2.9 sport=80 dport=3'),
      ].join('\n'),
      'f',
    );
    const report = attributeConnections(model(), t, { nodeAddresses: SEED_NODE });
    expect(report.unmatched).toBe(2);
    expect(report.byId.get('default/nginx')!.connections).toBe(1);
  });

  it('masquerade compares addresses: a source port remapped alone is not masquerade', () => {
    const t = parseConntrack(
      [
        line('tcp', 'ESTABLISHED', 'src=10.64.2.9 dst=10.32.0.61 sport=1 dport=80', 'src=10.64.2.4 dst=10.64.2.9 sport=80 dport=61000'),
        line('tcp', 'ESTABLISHED', 'src=172.16.1.152 dst=10.32.0.61 sport=2 dport=80', 'src=10.64.2.4 dst=172.16.1.10 sport=80 dport=2'),
      ].join('\n'),
      'f',
    );
    const e = attributeConnections(model(), t, { nodeAddresses: SEED_NODE }).byId.get('default/nginx')!.endpoints[0]!;
    expect([e.connections, e.masqueraded]).toEqual([2, 1]);
  });

  it('a service address never counts as a node address for a node port', () => {
    // 10.32.0.61:30783 is the nginx cluster IP on its node port number: not a frontend.
    const t = parseConntrack(line('tcp', 'ESTABLISHED', 'src=10.64.2.9 dst=10.32.0.61 sport=1 dport=30783', 'src=10.64.2.4 dst=10.64.2.9 sport=80 dport=1'), 'f');
    expect(attributeConnections(model(), t, { nodeAddresses: [] }).unmatched).toBe(1);
  });

  it('an empty table gives every service 0 connections', () => {
    const report = attributeConnections(model(), parseConntrack('', 'f'), { nodeAddresses: SEED_NODE });
    expect(report.unmatched).toBe(0);
    expect(report.services.every((s) => s.connections === 0 && s.endpoints.every((e) => e.connections === 0 && Object.keys(e.states).length === 0))).toBe(true);
  });
});
