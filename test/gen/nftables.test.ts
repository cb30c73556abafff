import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateKubeProxyNftables, hashAndTruncate, type ClusterSpec } from '../../src/gen/kubeproxy.js';

const CORPUS = fileURLToPath(new URL('../corpus/kube-proxy/nftables/', import.meta.url));

/** The lines of a transaction that carry objects (no blank lines, no `#` comments). */
function objectLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * The cluster of kube-proxy's TestOverallNFTablesRules (pkg/proxy/nftables/proxier_test.go):
 * node 192.168.0.2, cluster CIDR 10.0.0.0/8, service CIDR 172.30.0.0/16, and its six services.
 */
function overallSpec(): ClusterSpec {
  const p80 = [{ name: 'p80', port: 80 }];
  const ep = (ip: string) => ({ ip, port: 80 });
  return {
    nodeIPs: ['192.168.0.2'],
    clusterCIDR: '10.0.0.0/8',
    serviceCIDRs: ['172.30.0.0/16'],
    services: [
      { namespace: 'ns1', name: 'svc1', clusterIP: '172.30.0.41', ports: p80, endpoints: [ep('10.180.0.1')] },
      {
        namespace: 'ns2',
        name: 'svc2',
        type: 'LoadBalancer',
        clusterIP: '172.30.0.42',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 30000,
        externalIPs: ['192.168.99.22'],
        loadBalancerIPs: ['1.2.3.4'],
        ports: [{ name: 'p80', port: 80, nodePort: 3001 }],
        endpoints: [ep('10.180.0.2')],
      },
      { namespace: 'ns3', name: 'svc3', type: 'NodePort', clusterIP: '172.30.0.43', ports: [{ name: 'p80', port: 80, nodePort: 3003 }], endpoints: [ep('10.180.0.3')] },
      { namespace: 'ns4', name: 'svc4', clusterIP: '172.30.0.44', externalIPs: ['192.168.99.33'], ports: p80, endpoints: [ep('10.180.0.4'), ep('10.180.0.5')] },
      {
        namespace: 'ns5',
        name: 'svc5',
        type: 'LoadBalancer',
        clusterIP: '172.30.0.45',
        loadBalancerIPs: ['5.6.7.8'],
        loadBalancerSourceRanges: ['203.0.113.0/25'],
        sessionAffinitySeconds: 10800,
        ports: [{ name: 'p80', port: 80, nodePort: 3002 }],
        endpoints: [ep('10.180.0.3')],
      },
      { namespace: 'ns6', name: 'svc6', clusterIP: '172.30.0.46', ports: p80, endpoints: [] },
    ],
  };
}

describe('generateKubeProxyNftables', () => {
  it("writes exactly kube-proxy's own transaction for TestOverallNFTablesRules' cluster (object order aside)", () => {
    const corpus = objectLines(readFileSync(`${CORPUS}TestOverallNFTablesRules.nft`, 'utf8'));
    const ours = objectLines(generateKubeProxyNftables(overallSpec()));
    expect([...ours].sort()).toEqual([...corpus].sort());
  });

  it('ensures every chain and set before a rule or element refers to it (nft -f reads the file in order)', () => {
    const text = generateKubeProxyNftables(overallSpec());
    const declared = new Set<string>();
    for (const line of objectLines(text)) {
      const decl = /^add (?:chain|set|map) ip kube-proxy (\S+)/.exec(line);
      if (decl) {
        declared.add(decl[1]!);
        continue;
      }
      const rule = /^add (?:rule|element) ip kube-proxy (\S+) (.*)$/.exec(line);
      if (!rule) continue;
      expect(declared.has(rule[1]!), line).toBe(true);
      for (const m of rule[2]!.matchAll(/(?:goto|jump) ([^\s,}]+)|@([^\s,}]+)/g)) {
        expect(declared.has((m[1] ?? m[2])!), `${line}: ${m[0]}`).toBe(true);
      }
    }
  });

  it('names chains with hashAndTruncate as kube-proxy does', () => {
    expect(hashAndTruncate('ns1/svc1/tcp/p80')).toBe('ULMVA6XW-ns1/svc1/tcp/p80');
    expect(hashAndTruncate('ns1/svc1/tcp/p80__10.180.0.1/80')).toBe('5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
    // IPv6 endpoint bases (TestTracePacketV6): colons became dots.
    expect(hashAndTruncate('ns1/svc1/tcp/p80__fd00.10.180..1/80')).toBe('ZVRFLKHO-ns1/svc1/tcp/p80__fd00.10.180..1/80');
    const long = hashAndTruncate('x'.repeat(300));
    expect(long).toHaveLength(240);
    expect(long.endsWith('...')).toBe(true);
  });

  it('writes an ip6 table for an IPv6 cluster', () => {
    const text = generateKubeProxyNftables({
      ipFamily: 'ipv6',
      nodeIPs: ['2001:db8::1'],
      clusterCIDR: 'fd00:10::/64',
      serviceCIDRs: ['fd00:172:30::/112'],
      services: [
        {
          namespace: 'ns1',
          name: 'svc1',
          type: 'NodePort',
          clusterIP: 'fd00:172:30::41',
          sessionAffinitySeconds: 60,
          ports: [{ name: 'p80', port: 80, nodePort: 3001 }],
          endpoints: [{ ip: 'fd00:10:180::1', port: 80 }],
        },
      ],
    });
    const lines = objectLines(text);
    expect(lines.every((l) => /^add \w+ ip6 kube-proxy /.test(l))).toBe(true);
    expect(lines.some((l) => / ip (daddr|saddr) /.test(l))).toBe(false);
    expect(lines).toContain('add table ip6 kube-proxy { comment "rules for kube-proxy" ; }');
    expect(lines).toContain('add element ip6 kube-proxy nodeport-ips { 2001:db8::1 }');
    expect(lines).toContain('add rule ip6 kube-proxy cluster-ips-check ip6 daddr { fd00:172:30::/112 } drop comment "Drop traffic to unallocated ClusterIPs"');
    expect(lines).toContain(
      'add rule ip6 kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip6 daddr fd00:172:30::41 ip6 saddr != fd00:10::/64 jump mark-for-masquerade',
    );
    const ep = 'endpoint-ZVRFLKHO-ns1/svc1/tcp/p80__fd00.10.180..1/80';
    expect(lines).toContain(`add rule ip6 kube-proxy ${ep} meta l4proto tcp dnat to [fd00:10:180::1]:80`);
    expect(lines).toContain(`add rule ip6 kube-proxy ${ep} update @affinity-ZVRFLKHO-ns1/svc1/tcp/p80__fd00.10.180..1/80 { ip6 saddr }`);
    expect(lines).toContain('add set ip6 kube-proxy affinity-ZVRFLKHO-ns1/svc1/tcp/p80__fd00.10.180..1/80 { type ipv6_addr ; flags dynamic,timeout ; timeout 60s ; }');
  });

  it('with --nodeport-addresses matching everything: no nodeport-ips set, fib local instead', () => {
    const lines = objectLines(generateKubeProxyNftables(overallSpec(), { nodePortAddresses: 'all', masqueradeMark: '0x004000' }));
    expect(lines.some((l) => l.includes('nodeport-ips'))).toBe(false);
    expect(lines).toContain(
      'add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
    );
    expect(lines).toContain('add rule ip kube-proxy nodeport-endpoints-check ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports');
    expect(lines).toContain('add rule ip kube-proxy mark-for-masquerade mark set mark or 0x004000');
  });

  it('masqueradeAll marks every ClusterIP connection; no detector leaves no masquerade rule', () => {
    const base = overallSpec();
    const all = objectLines(generateKubeProxyNftables({ ...base, masqueradeAll: true }));
    expect(all).toContain('add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr 172.30.0.41 jump mark-for-masquerade');
    const none = objectLines(generateKubeProxyNftables({ ...base, clusterCIDR: null }));
    expect(none.some((l) => l.startsWith('add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 ip daddr'))).toBe(false);
    // Without a detector the eTP=Local external chain has no pod short-circuit.
    expect(none.some((l) => l.includes('short-circuit pod traffic'))).toBe(false);
  });

  it('internalTrafficPolicy Local: the ClusterIP goes to local-…, or is dropped without a local endpoint', () => {
    const spec: ClusterSpec = {
      nodeIPs: ['192.168.0.2'],
      clusterCIDR: '10.0.0.0/8',
      services: [
        { namespace: 'ns', name: 'a', clusterIP: '172.30.0.1', internalTrafficPolicy: 'Local', ports: [{ port: 80 }], endpoints: [{ ip: '10.0.1.1', local: true }, { ip: '10.0.2.1' }] },
        { namespace: 'ns', name: 'b', clusterIP: '172.30.0.2', internalTrafficPolicy: 'Local', ports: [{ port: 80 }], endpoints: [{ ip: '10.0.2.2' }] },
      ],
    };
    const lines = objectLines(generateKubeProxyNftables(spec));
    const a = hashAndTruncate('ns/a/tcp/');
    expect(lines).toContain(`add element ip kube-proxy service-ips { 172.30.0.1 . tcp . 80 : goto local-${a} }`);
    expect(lines.filter((l) => l.startsWith(`add rule ip kube-proxy local-${a} numgen random mod 1 `))).toHaveLength(1);
    expect(lines.some((l) => l.includes(`service-${a}`))).toBe(false);
    expect(lines).toContain('add element ip kube-proxy no-endpoint-services { 172.30.0.2 . tcp . 80 comment "ns/b" : drop }');
  });
});
