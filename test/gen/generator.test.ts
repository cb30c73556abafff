import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import {
  generateKubeProxyRules,
  randomClusterSpec,
  type ClusterSpec,
  type CounterRef,
  type GenerateOptions,
  type ServiceSpec,
} from '../../src/gen/kubeproxy.js';
import { kubeProxyProbability, iptablesProbability } from '../../src/gen/probability.js';
import { canonicalCidr, formatAddress, parseAddress } from '../../src/gen/addr.js';
import { endpointChainName, serviceChainName } from '../../src/core/kube/names.js';
import { parseIptablesSave, findChain, findTable, ruleComment } from '../../src/core/parse/index.js';
import { parseCleanly } from '../helpers/parse.js';
import type { Rule, Ruleset } from '../../src/core/parse/index.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

const layouts = ['current', 'legacy'] as const;
const forms = ['save', 'restore'] as const;

function parsed(spec: ClusterSpec, options: GenerateOptions): Ruleset {
  return parseCleanly(generateKubeProxyRules(spec, options));
}

function servicePortNames(s: ServiceSpec) {
  return s.ports.map((p) => ({
    spn: p.name ? `${s.namespace}/${s.name}:${p.name}` : `${s.namespace}/${s.name}`,
    proto: p.protocol ?? 'tcp',
    port: p,
  }));
}

describe('randomClusterSpec', () => {
  it('is deterministic from the seed', () => {
    expect(randomClusterSpec({ seed: 42, services: 200 })).toEqual(randomClusterSpec({ seed: 42, services: 200 }));
    expect(randomClusterSpec({ seed: 42, services: 200 })).not.toEqual(randomClusterSpec({ seed: 43, services: 200 }));
  });

  it('gives the realistic mix: mostly ClusterIP, NodePort, LB with source ranges, Local, affinity, no endpoints, UDP DNS', () => {
    const spec = randomClusterSpec({ seed: 1, services: 1000 });
    const s = spec.services;
    const count = (f: (x: ServiceSpec) => boolean) => s.filter(f).length;
    expect(s).toHaveLength(1000);
    expect(count((x) => (x.type ?? 'ClusterIP') === 'ClusterIP')).toBeGreaterThan(500);
    expect(count((x) => x.type === 'NodePort')).toBeGreaterThan(50);
    expect(count((x) => x.type === 'LoadBalancer' && (x.loadBalancerSourceRanges?.length ?? 0) > 0)).toBeGreaterThan(10);
    expect(count((x) => x.externalTrafficPolicy === 'Local')).toBeGreaterThan(10);
    expect(count((x) => x.sessionAffinitySeconds === 10800)).toBeGreaterThan(10);
    expect(count((x) => x.endpoints.length === 0)).toBeGreaterThan(10);
    expect(count((x) => (x.externalIPs?.length ?? 0) > 0)).toBeGreaterThan(0);
    expect(s.some((x) => x.ports.some((p) => p.protocol === 'udp' && p.port === 53))).toBe(true);
    expect(s.flatMap((x) => x.endpoints).some((e) => e.local)).toBe(true);
    // unique cluster IPs, unique node ports
    expect(new Set(s.map((x) => x.clusterIP)).size).toBe(s.length);
    const nodePorts = s.flatMap((x) => x.ports.map((p) => p.nodePort).filter((n) => n !== undefined));
    expect(new Set(nodePorts).size).toBe(nodePorts.length);
  });

  it('keeps every address inside the ranges it was given', () => {
    const spec = randomClusterSpec({
      seed: 5, services: 300, serviceCIDR: '10.200.0.0/20', podCIDR: '10.201.0.0/16', nodePodCIDR: '10.201.7.0/24',
      nodeIP: '10.9.9.9', loadBalancerCIDR: '10.202.0.0/24', externalIPCIDR: '10.203.0.0/24',
    });
    const inside = (ip: string, cidr: string) => canonicalCidr(`${ip}/${cidr.split('/')[1]}`) === canonicalCidr(cidr);
    expect(spec.nodeIPs).toEqual(['10.9.9.9']);
    for (const s of spec.services) {
      expect(inside(s.clusterIP, '10.200.0.0/20'), s.clusterIP).toBe(true);
      for (const ip of s.loadBalancerIPs ?? []) expect(inside(ip, '10.202.0.0/24')).toBe(true);
      for (const ip of s.externalIPs ?? []) expect(inside(ip, '10.203.0.0/24')).toBe(true);
      for (const e of s.endpoints) {
        if (s.name === 'kubernetes') continue; // the apiserver is the node
        expect(inside(e.ip, e.local ? '10.201.7.0/24' : '10.201.0.0/16'), e.ip).toBe(true);
        if (!e.local) expect(inside(e.ip, '10.201.7.0/24'), e.ip).toBe(false);
      }
    }
  });

  it('builds IPv6 clusters too', () => {
    const spec = randomClusterSpec({ seed: 3, services: 50, ipFamily: 'ipv6' });
    expect(spec.ipFamily).toBe('ipv6');
    expect(spec.services.every((s) => s.clusterIP.includes(':') && s.endpoints.every((e) => e.ip.includes(':')))).toBe(true);
  });
});

describe('generateKubeProxyRules', () => {
  const spec = randomClusterSpec({ seed: 11, services: 120 });

  it.each(layouts.flatMap((l) => forms.map((f) => [l, f] as const)))('%s/%s: deterministic, parses without errors', (layout, form) => {
    const a = generateKubeProxyRules(spec, { layout, form });
    expect(generateKubeProxyRules(spec, { layout, form })).toBe(a);
    const rs = parseCleanly(a);
    expect(rs.tables.map((t) => t.name)).toEqual(['filter', 'nat']);
  });

  it.each(layouts)('%s: every service port of the spec is there, with hashed chain names', (layout) => {
    const rs = parsed(spec, { layout });
    const natServices = findChain(rs, 'nat', 'KUBE-SERVICES')!.rules;
    const filterServices = findChain(rs, 'filter', 'KUBE-SERVICES')!.rules;
    for (const s of spec.services) {
      for (const { spn, proto, port } of servicePortNames(s)) {
        const svc = serviceChainName('KUBE-SVC-', spn, proto);
        const dst = (r: Rule) => r.args.find((a) => a.name === '-d')?.values[0];
        if (s.endpoints.length === 0) {
          const reject = filterServices.filter((r) => ruleComment(r) === `${spn} has no endpoints`);
          expect(reject, spn).toHaveLength(1);
          expect(reject[0]!.target).toBe('REJECT');
          expect(findChain(rs, 'nat', svc)).toBeUndefined();
          continue;
        }
        if (s.internalTrafficPolicy === 'Local' && !s.endpoints.some((e) => e.local)) continue;
        const entry = natServices.filter((r) => ruleComment(r) === `${spn} cluster IP`);
        expect(entry, spn).toHaveLength(1);
        expect(dst(entry[0]!)).toBe(`${s.clusterIP}/32`);
        expect(entry[0]!.args.find((a) => a.name === '--dport')?.values[0]).toBe(String(port.port));
        // internalTrafficPolicy Local sends the cluster IP to KUBE-SVL (current layout only)
        const internal = layout === 'current' && s.internalTrafficPolicy === 'Local' ? serviceChainName('KUBE-SVL-', spn, proto) : svc;
        expect(entry[0]!.target).toBe(internal);
        expect(findChain(rs, 'nat', internal), `${spn} ${internal}`).toBeDefined();
        for (const e of s.endpoints) {
          if (layout === 'current' && s.internalTrafficPolicy === 'Local' && !e.local && (s.type ?? 'ClusterIP') === 'ClusterIP') continue;
          const address = `${e.ip}:${e.ports?.[port.name ?? ''] ?? e.port ?? port.targetPort ?? port.port}`;
          const sep = findChain(rs, 'nat', endpointChainName(spn, proto, address));
          expect(sep, `${spn} -> ${address}`).toBeDefined();
          const dnat = sep!.rules.find((r) => r.target === 'DNAT')!;
          expect(dnat.args.find((a) => a.name === '--to-destination')?.values[0]).toBe(address);
        }
      }
    }
  });

  it('names EXT, SVL, FW and XLB chains with kube-proxy\'s hash', () => {
    const rs = parsed(spec, { layout: 'current' });
    const legacy = parsed(spec, { layout: 'legacy' });
    let checked = 0;
    for (const s of spec.services) {
      for (const { spn, proto } of servicePortNames(s)) {
        if (s.endpoints.length === 0) continue;
        const ext = serviceChainName('KUBE-EXT-', spn, proto);
        const hasExt = findChain(rs, 'nat', ext) !== undefined;
        expect(hasExt, spn).toBe((s.type ?? 'ClusterIP') !== 'ClusterIP' || (s.externalIPs?.length ?? 0) > 0);
        if (s.externalTrafficPolicy === 'Local' && s.endpoints.some((e) => e.local)) {
          expect(findChain(rs, 'nat', serviceChainName('KUBE-SVL-', spn, proto)), spn).toBeDefined();
          expect(findChain(legacy, 'nat', serviceChainName('KUBE-XLB-', spn, proto)), spn).toBeDefined();
          checked++;
        }
        if ((s.loadBalancerSourceRanges?.length ?? 0) > 0) {
          expect(findChain(rs, 'nat', serviceChainName('KUBE-FW-', spn, proto)), spn).toBeDefined();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('writes probabilities as kube-proxy (restore) and as iptables prints them (save)', () => {
    const three: ClusterSpec = {
      nodeIPs: ['192.168.0.10'],
      services: [{
        namespace: 'default', name: 'web', clusterIP: '10.96.0.20', ports: [{ port: 80 }],
        endpoints: Array.from({ length: 10 }, (_, i) => ({ ip: `10.244.0.${i + 2}` })),
      }, {
        namespace: 'default', name: 'three', clusterIP: '10.96.0.21', ports: [{ port: 80 }],
        endpoints: [{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }, { ip: '10.244.1.4' }],
      }],
    };
    const probs = (text: string, svc: string) => {
      const rs = parseIptablesSave(text);
      return findChain(rs, 'nat', serviceChainName('KUBE-SVC-', svc, 'tcp'))!.rules.map((r) => r.args.find((a) => a.name === '--probability')?.values[0] ?? null);
    };
    expect(probs(generateKubeProxyRules(three, { form: 'restore' }), 'default/three')).toEqual(['0.3333333333', '0.5000000000', null]);
    expect(probs(generateKubeProxyRules(three, { form: 'save' }), 'default/three')).toEqual(['0.33333333349', '0.50000000000', null]);
    expect(probs(generateKubeProxyRules(three, { form: 'save' }), 'default/web')[0]).toBe('0.10000000009');
  });

  it.each(layouts)('%s: large-cluster mode drops exactly the SVC->SEP and SEP comments', (layout) => {
    const small = randomClusterSpec({ seed: 21, services: 60 });
    const total = small.services.reduce((n, s) => n + s.endpoints.length * s.ports.length, 0);
    const normal = parsed(small, { layout, largeClusterThreshold: total });
    const large = parsed(small, { layout, largeClusterThreshold: total - 1 });
    let dropped = 0;
    let kept = 0;
    for (const t of normal.tables) {
      const lt = findTable(large, t.name)!;
      expect(lt.chains.map((c) => c.name)).toEqual(t.chains.map((c) => c.name));
      for (const c of t.chains) {
        const lc = lt.chainsByName.get(c.name)!;
        expect(lc.rules).toHaveLength(c.rules.length);
        c.rules.forEach((r, i) => {
          const lr = lc.rules[i]!;
          const inSep = c.name.startsWith('KUBE-SEP-');
          const toSep = /^KUBE-(SVC|SVL|XLB)-/.test(c.name) && (r.target ?? '').startsWith('KUBE-SEP-');
          if (inSep || toSep) {
            expect(ruleComment(r), r.text).toBeDefined();
            expect(ruleComment(lr), lr.text).toBeUndefined();
            // the rule is otherwise unchanged
            expect(lr.text).toBe(r.text.replace(/ -m comment --comment ("[^"]*"|\S+)/, ''));
            dropped++;
          } else {
            expect(lr.text).toBe(r.text);
            if (ruleComment(r) !== undefined) kept++;
          }
        });
      }
    }
    expect(dropped).toBeGreaterThan(100);
    expect(kept).toBeGreaterThan(50);
  });

  it('default threshold: above 1000 endpoints is large-cluster mode, 1000 is not', () => {
    const withEndpoints = (n: number): ClusterSpec => ({
      nodeIPs: ['192.168.0.10'],
      services: [{
        namespace: 'ns', name: 'big', clusterIP: '10.96.0.30', ports: [{ port: 80 }],
        endpoints: Array.from({ length: n }, (_, i) => ({ ip: `10.244.${i >> 7}.${(i & 127) + 1}` })),
      }],
    });
    const sepComments = (rs: Ruleset) => findTable(rs, 'nat')!.rules.filter((r) => r.chain.startsWith('KUBE-SEP-') && ruleComment(r) !== undefined).length;
    expect(sepComments(parsed(withEndpoints(1000), {}))).toBe(2000);
    expect(sepComments(parsed(withEndpoints(1001), {}))).toBe(0);
  });

  it('calls the counter function once per rule and per built-in policy, with positions as iptables counts them', () => {
    const seen: CounterRef[] = [];
    const text = generateKubeProxyRules(spec, { counters: (ref) => (seen.push(ref), [ref.rule ?? 0, 1000 + (ref.rule ?? 0)]) });
    const rs = parseIptablesSave(text);
    const rules = rs.tables.flatMap((t) => t.rules);
    expect(seen.filter((r) => r.rule !== null)).toHaveLength(rules.length);
    expect(seen.filter((r) => r.rule === null).map((r) => `${r.table}/${r.chain}`)).toEqual([
      'filter/INPUT', 'filter/FORWARD', 'filter/OUTPUT', 'nat/PREROUTING', 'nat/INPUT', 'nat/OUTPUT', 'nat/POSTROUTING',
    ]);
    for (const r of rules) expect(r.counters).toEqual({ packets: r.index, bytes: 1000 + r.index });
  });

  it('save form: user chains sorted, built-ins first, rules grouped by chain', () => {
    const rs = parsed(spec, { form: 'save' });
    for (const t of rs.tables) {
      const user = t.chains.filter((c) => !c.builtin).map((c) => c.name);
      expect(user).toEqual([...user].sort());
      const order = t.chains.map((c) => c.name);
      const ruleChainOrder = t.rules.map((r) => order.indexOf(r.chain));
      expect(ruleChainOrder).toEqual([...ruleChainOrder].sort((a, b) => a - b));
    }
  });

  it('refuses an address of the other family', () => {
    expect(() => generateKubeProxyRules({ nodeIPs: ['10.0.0.1'], services: [{ namespace: 'a', name: 'b', clusterIP: 'fd00::1', ports: [{ port: 1 }], endpoints: [] }] })).toThrow(/not ipv4/);
  });
});

/**
 * The seed fixtures were written by hand from the user's notes and proxier.go; the generator
 * from proxier.go alone. For the seed's cluster they must write the same kube-proxy rules.
 */
describe('the generator reproduces the seed fixtures', () => {
  const node = (ip: string): Pick<ClusterSpec, 'nodeIPs'> => ({ nodeIPs: [ip] });
  const kubernetes: ServiceSpec = { namespace: 'default', name: 'kubernetes', clusterIP: '10.32.0.1', ports: [{ name: 'https', port: 443 }], endpoints: [{ ip: '172.16.1.5', port: 6443 }] };
  const kubeDns: ServiceSpec = {
    namespace: 'kube-system', name: 'kube-dns', clusterIP: '10.32.0.10',
    ports: [{ name: 'dns', port: 53, protocol: 'udp' }, { name: 'dns-tcp', port: 53 }, { name: 'metrics', port: 9153 }],
    endpoints: [{ ip: '10.64.0.2' }, { ip: '10.64.1.3' }],
  };
  const nginx = (extra: Partial<ServiceSpec>, local: boolean): ServiceSpec => ({
    namespace: 'default', name: 'nginx', clusterIP: '10.32.0.61', ports: [{ port: 80, nodePort: 30783 }],
    endpoints: [{ ip: '10.64.2.4', local }], ...extra,
  });
  const cases: Array<[string, ClusterSpec]> = [
    ['seed-clusterip', { ...node('172.16.1.11'), services: [nginx({ clusterIP: '10.32.0.251', ports: [{ port: 80 }] }, false), kubernetes, kubeDns] }],
    ['seed-nodeport-cluster', { ...node('172.16.1.10'), services: [kubernetes, kubeDns, nginx({ type: 'NodePort' }, true)] }],
    ['seed-nodeport-local-worker02', { ...node('172.16.1.10'), services: [kubernetes, kubeDns, nginx({ type: 'NodePort', externalTrafficPolicy: 'Local' }, true)] }],
    ['seed-nodeport-local-other', { ...node('172.16.1.11'), services: [kubernetes, kubeDns, nginx({ type: 'NodePort', externalTrafficPolicy: 'Local' }, false)] }],
  ];

  const rulesByChain = (rs: Ruleset) => {
    const out: Record<string, string[]> = {};
    for (const t of rs.tables) {
      for (const c of t.chains) {
        if (/CANARY|HINT/.test(c.name) || t.name === 'mangle') continue;
        out[`${t.name} ${c.name}`] = c.rules.map((r) => r.text);
      }
    }
    return out;
  };

  it.each(cases)('%s', (fixture, spec) => {
    const seed = parseIptablesSave(readFileSync(`${FIXTURES}${fixture}.save`, 'utf8'));
    const generated = parsed(spec, { layout: 'current' });
    expect(rulesByChain(generated)).toEqual(rulesByChain(seed));
  });
});

describe('probability and address formatting', () => {
  it('kube-proxy writes 1/n with %0.10f, ties to even', () => {
    expect(kubeProxyProbability(2)).toBe('0.5000000000');
    expect(kubeProxyProbability(3)).toBe('0.3333333333');
    expect(kubeProxyProbability(7)).toBe('0.1428571429');
    // 1/2048 = 0.00048828125 exactly: Go rounds the tie to even
    expect(kubeProxyProbability(2048)).toBe('0.0004882812');
  });

  it('iptables stores round(p * 2^31) and prints it with %.11f', () => {
    expect(iptablesProbability('0.3333333333')).toBe('0.33333333349');
    expect(iptablesProbability('0.1000000000')).toBe('0.10000000009');
    expect(iptablesProbability('0.5000000000')).toBe('0.50000000000');
    expect(iptablesProbability('0.2500000000')).toBe('0.25000000000');
  });

  it('formats IPv6 as inet_ntop does', () => {
    const rt = (s: string) => formatAddress('ipv6', parseAddress(s).value);
    expect(rt('fd00:10:96:0:0:0:0:a')).toBe('fd00:10:96::a');
    expect(rt('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(rt('fd00:0:0:1:0:0:0:1')).toBe('fd00:0:0:1::1'); // the longest zero run
    expect(rt('1:0:0:2:0:0:3:4')).toBe('1::2:0:0:3:4'); // the first of equal runs
    expect(rt('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(rt('1:2:3:4:5:6:7:8')).toBe('1:2:3:4:5:6:7:8');
    expect(canonicalCidr('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(canonicalCidr('fd00:10:244:1::5')).toBe('fd00:10:244:1::5/128');
  });
});
