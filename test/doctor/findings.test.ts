/** Each kind of `doctor` finding, shown by a small dump that has it (and nothing else wrong). */
import { describe, expect, it } from 'vitest';
import { buildKubeModel, diagnose, type Finding } from '../../src/core/index.js';
import { generateKubeProxyRules, type ClusterSpec, type GenerateOptions, type ServiceSpec } from '../../src/gen/kubeproxy.js';
import { parseCleanly } from '../helpers/parse.js';

const WEB: ServiceSpec = {
  namespace: 'default',
  name: 'web',
  clusterIP: '10.96.0.20',
  ports: [{ name: 'http', port: 80, targetPort: 8080 }],
  endpoints: [{ ip: '10.244.1.5', local: true }, { ip: '10.244.2.7' }],
};

function cluster(...services: ServiceSpec[]): ClusterSpec {
  return { nodeIPs: ['192.168.0.10'], clusterCIDR: '10.244.0.0/16', services };
}

function dump(spec: ClusterSpec, options: GenerateOptions = {}): string {
  return generateKubeProxyRules(spec, { counters: 'zero', ...options });
}

function doctor(text: string): Finding[] {
  const rs = parseCleanly(text);
  return diagnose(rs, buildKubeModel(rs), { nodeAddresses: ['192.168.0.10'] });
}

const kinds = (fs: readonly Finding[]) => fs.map((f) => f.kind);

/** `text` with `lines` added to the end of table `table` (before its COMMIT) and `chains` declared. */
function addToTable(text: string, table: string, chains: readonly string[], lines: readonly string[]): string {
  const start = text.indexOf(`*${table}\n`);
  const commit = text.indexOf('\nCOMMIT\n', start);
  const decls = chains.map((c) => `:${c} - [0:0]\n`).join('');
  const head = text.slice(0, start + table.length + 2);
  return head + decls + text.slice(start + table.length + 2, commit) + '\n' + lines.join('\n') + text.slice(commit);
}

/** `text` without the lines `drop` says. */
function withoutLines(text: string, drop: (line: string) => boolean): string {
  const lines = text.split('\n');
  const kept = lines.filter((l) => !drop(l));
  expect(kept.length, 'a line was removed').toBeLessThan(lines.length);
  return kept.join('\n');
}

describe('doctor findings', () => {
  it('finds nothing in a healthy cluster, in both layouts', () => {
    for (const layout of ['current', 'legacy'] as const) {
      expect(doctor(dump(cluster(WEB), { layout }))).toEqual([]);
    }
  });

  it('no-endpoints: a service port without endpoints, at the REJECT rule kube-proxy wrote', () => {
    const fs = doctor(dump(cluster(WEB, { ...WEB, name: 'idle', clusterIP: '10.96.0.21', endpoints: [] })));
    expect(kinds(fs)).toEqual(['no-endpoints']);
    expect(fs[0]).toMatchObject({ severity: 'warning', service: 'default/idle:http', table: 'filter', chain: 'KUBE-SERVICES', rule: 1 });
    expect(fs[0]!.message).toContain('10.96.0.21:80');
    expect(fs[0]!.message).toContain('rejects');
  });

  it('no-local-endpoints: policy Local with every endpoint on other nodes', () => {
    for (const layout of ['current', 'legacy'] as const) {
      const remote: ServiceSpec = {
        ...WEB,
        name: 'remote',
        clusterIP: '10.96.0.22',
        type: 'NodePort',
        ports: [{ name: 'http', port: 80, nodePort: 30080 }],
        externalTrafficPolicy: 'Local',
        endpoints: [{ ip: '10.244.2.9' }],
      };
      const fs = doctor(dump(cluster(WEB, remote), { layout }));
      expect(kinds(fs), layout).toEqual(['no-local-endpoints']);
      expect(fs[0]).toMatchObject({ severity: 'info', service: 'default/remote:http' });
      expect(fs[0]!.message).toContain('node port 30080');
      expect(fs[0]!.message).toMatch(/is dropped \(node 192\.168\.0\.10\)$/);
    }
  });

  it('source-ranges: a load balancer that only some sources may reach', () => {
    const lb: ServiceSpec = {
      ...WEB,
      name: 'lb',
      type: 'LoadBalancer',
      clusterIP: '10.96.0.23',
      ports: [{ name: 'http', port: 80, nodePort: 30081 }],
      loadBalancerIPs: ['198.18.0.5'],
      loadBalancerSourceRanges: ['203.0.113.0/24'],
    };
    const fs = doctor(dump(cluster(lb)));
    expect(kinds(fs)).toEqual(['source-ranges']);
    expect(fs[0]).toMatchObject({ severity: 'info', service: 'default/lb:http', table: 'nat', rule: null });
    expect(fs[0]!.chain).toMatch(/^KUBE-FW-/);
    expect(fs[0]!.message).toContain('198.18.0.5');
    expect(fs[0]!.message).toContain('203.0.113.0/24');
  });

  it('counting-drop: a DROP or REJECT rule that counted, with its counts', () => {
    const idle = { ...WEB, name: 'idle', clusterIP: '10.96.0.21', endpoints: [] };
    const text = dump(cluster(idle), {
      counters: (ref) => (ref.table === 'filter' && ref.chain === 'KUBE-SERVICES' && ref.rule === 1 ? [7, 420] : [0, 0]),
    });
    const fs = doctor(text);
    expect(kinds(fs)).toEqual(['no-endpoints', 'counting-drop']);
    expect(fs[1]).toMatchObject({ severity: 'warning', service: 'default/idle:http', table: 'filter', chain: 'KUBE-SERVICES', rule: 1 });
    expect(fs[1]!.message).toContain('rejected 7 packets (420 bytes)');
  });

  it('stale-chain: service and endpoint chains nothing reaches (or only other stale chains); an empty one changes nothing', () => {
    const chains = ['KUBE-SVC-LEFTOVERAAAAAAAAA', 'KUBE-SEP-LEFTOVERBBBBBBBBB', 'KUBE-XLB-EMPTYCCCCCCCCCCCC'];
    const text = addToTable(dump(cluster(WEB)), 'nat', chains, [
      '[0:0] -A KUBE-SVC-LEFTOVERAAAAAAAAA -j KUBE-SEP-LEFTOVERBBBBBBBBB',
      '[0:0] -A KUBE-SEP-LEFTOVERBBBBBBBBB -p tcp -m tcp -j DNAT --to-destination 10.244.9.9:80',
    ]);
    const fs = doctor(text);
    expect(kinds(fs)).toEqual(['stale-chain', 'stale-chain']);
    expect(fs.map((f) => [f.table, f.chain, f.rule])).toEqual([
      ['nat', 'KUBE-SVC-LEFTOVERAAAAAAAAA', null],
      ['nat', 'KUBE-SEP-LEFTOVERBBBBBBBBB', null],
    ]);
    expect(fs[1]!.message).toContain('but other stale chains (KUBE-SVC-LEFTOVERAAAAAAAAA)');
  });

  it('empty-endpoint-chain: a KUBE-SEP chain without its DNAT, read from the chain itself', () => {
    const text = withoutLines(dump(cluster(WEB)), (l) => l.includes('-j DNAT') && l.includes('10.244.2.7'));
    const fs = doctor(text);
    expect(kinds(fs)).toEqual(['empty-endpoint-chain']);
    expect(fs[0]).toMatchObject({ severity: 'error', table: 'nat', rule: null });
    expect(fs[0]!.chain).toMatch(/^KUBE-SEP-/);
    expect(fs[0]!.message).toContain('has no DNAT rule');
  });

  it('missing-dport: service rules printed without their port match (iptables-nft version skew)', () => {
    const text = dump(cluster(WEB)).replace(/(-A KUBE-SERVICES .*) -m tcp --dport 80 /, '$1 ');
    const fs = doctor(text);
    expect(kinds(fs)).toEqual(['missing-dport']);
    expect(fs[0]).toMatchObject({ severity: 'error', service: 'default/web:http', table: 'nat', chain: 'KUBE-SERVICES' });
    expect(fs[0]!.hint).toContain("kube-proxy's own image");
  });

  it('no-masquerade: KUBE-POSTROUTING without MASQUERADE, or never reached from POSTROUTING', () => {
    const noMasq = doctor(withoutLines(dump(cluster(WEB)), (l) => l.includes('-j MASQUERADE')));
    expect(kinds(noMasq)).toEqual(['no-masquerade']);
    expect(noMasq[0]).toMatchObject({ severity: 'error', table: 'nat', chain: 'KUBE-POSTROUTING' });
    expect(noMasq[0]!.message).toContain('has no MASQUERADE rule');
    const unhooked = doctor(withoutLines(dump(cluster(WEB)), (l) => l.includes('-A POSTROUTING') && l.includes('KUBE-POSTROUTING')));
    expect(kinds(unhooked)).toEqual(['no-masquerade']);
    expect(unhooked[0]!.message).toContain('POSTROUTING never reaches');
  });

  it('both-backends: iptables-nft says legacy tables are present too', () => {
    const text = dump(cluster(WEB)) + '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n';
    const fs = doctor(text);
    expect(kinds(fs)).toEqual(['both-backends']);
    expect(fs[0]).toMatchObject({ severity: 'warning', service: null, table: null, chain: null, rule: null });
  });

  it('unreachable-kube-services: a hook that never reaches KUBE-SERVICES is named', () => {
    const text = withoutLines(dump(cluster(WEB)), (l) => l.includes('-A PREROUTING') && l.includes('-j KUBE-SERVICES'));
    const fs = doctor(text);
    expect(kinds(fs)).toEqual(['unreachable-kube-services']);
    expect(fs[0]).toMatchObject({ severity: 'error', table: 'nat', chain: 'KUBE-SERVICES' });
    expect(fs[0]!.message).toMatch(/^nat PREROUTING never reaches/);
  });

  it('duplicate-frontend: two services on one IP:port/protocol, the second never matches', () => {
    const twin = { ...WEB, name: 'twin', endpoints: [{ ip: '10.244.3.3' }] };
    const fs = doctor(dump(cluster(WEB, twin)));
    expect(kinds(fs)).toEqual(['duplicate-frontend']);
    // The second rule is twin's: twin is the service no packet reaches.
    expect(fs[0]).toMatchObject({ severity: 'warning', service: 'default/twin:http', table: 'nat', chain: 'KUBE-SERVICES', rule: 2 });
    expect(fs[0]!.message).toContain('10.96.0.20:80/tcp');
  });

  it('unknown-match: matches the tracer does not model, once per kind with where they are', () => {
    const text = addToTable(dump(cluster(WEB)), 'nat', [], [
      '[0:0] -A KUBE-SERVICES -m set --match-set blocked src -j RETURN',
      '[0:0] -A KUBE-SERVICES -m set --match-set other dst -j RETURN',
      '[0:0] -A KUBE-SERVICES -m physdev ! --physdev-is-in -j RETURN',
    ]);
    const fs = doctor(text);
    expect(kinds(fs)).toEqual(['unknown-match', 'unknown-match']);
    expect(fs[0]!.message).toMatch(/^-m set is not modelled/);
    expect(fs[0]!.message).toMatch(/in nat KUBE-SERVICES rule \d+, nat KUBE-SERVICES rule \d+:/);
    expect(fs[1]!.message).toMatch(/^-m physdev/);
    expect(fs.every((f) => f.severity === 'info' && f.chain === 'KUBE-SERVICES' && f.rule !== null)).toBe(true);
  });

  it('lists the most severe first', () => {
    const idle = { ...WEB, name: 'idle', clusterIP: '10.96.0.21', endpoints: [] };
    const text = withoutLines(dump(cluster(WEB, idle)), (l) => l.includes('-j MASQUERADE'));
    const fs = doctor(text + '# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n');
    expect(kinds(fs)).toEqual(['no-masquerade', 'no-endpoints', 'both-backends']);
  });
});
