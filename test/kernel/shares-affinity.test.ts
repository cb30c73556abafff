/**
 * What the kernel does over many connections, against the tracer:
 *
 * - Shares: kube-proxy spreads a service's new connections with a cascade of
 *   `-m statistic --mode random --probability` rules. Many connections from one client to a
 *   multi-endpoint service must land on each endpoint about as often as the tracer's outcome
 *   probability says (IPv4 and IPv6, TCP, UDP and SCTP, equal shares and unequal ones).
 * - Session affinity (sessionAffinity: ClientIP): the first connection of a client is "a new
 *   client" and goes where the tracer says it may; kube-proxy's `-m recent --set` remembers the
 *   client in the endpoint's list (the KUBE-SEP chain the tracer names), and every later
 *   connection from the same address, on any source port, goes to that same endpoint.
 *
 * Both run on one dual-stack node with a small generated cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracePacket } from '../../src/core/trace/index.js';
import type { Outcome, Packet } from '../../src/core/trace/types.js';
import { generateKubeProxyRules, type ClusterSpec, type EndpointSpec, type ServiceSpec } from '../../src/gen/kubeproxy.js';
import { binomialRange, canonicalHostPort, canonicalIp, indexConntrack, kernelOutcome, outcomeKey, possibleKeys } from './compare.js';
import { CLUSTER_CIDR, NODE_IP, NODE_POD_CIDR, toIPv6Spec } from './specs.js';
import {
  DEFAULT_CLIENT_ADDRESSES,
  DEFAULT_CLIENT_ADDRESSES6,
  Topology,
  connectMany,
  conntrackList,
  sctpMany,
  kernelGate,
  type ConnectAttempt,
} from './netns.js';
import { inNs } from './exec.js';
import { installRuleset, type InstalledRuleset, type RulesetUnderTest } from './scenario.js';

const http = [{ port: 80, targetPort: 8080 }];
const dns = [{ port: 53, protocol: 'udp' as const }];
const eps = (n: number, first: number, port = 8080): EndpointSpec[] =>
  Array.from({ length: n }, (_, i) => ({ ip: `10.64.${1 + (i % 3)}.${first + i}`, port, local: i % 3 === 1 }));
const svc = (name: string, spec: Omit<ServiceSpec, 'namespace' | 'name'>): ServiceSpec => ({ namespace: 'kc', name, ...spec });

const SPEC: ClusterSpec = {
  nodeIPs: [NODE_IP],
  podCIDR: NODE_POD_CIDR,
  clusterCIDR: CLUSTER_CIDR,
  services: [
    // kube-proxy's cascade 1/4, 1/3, 1/2, rest: a quarter each.
    svc('four', { clusterIP: '10.32.1.4', ports: http, endpoints: eps(4, 100) }),
    // Rewritten below to 0.1, 1/3, rest: shares 0.1, 0.3, 0.6.
    svc('skewed', { clusterIP: '10.32.1.5', ports: http, endpoints: eps(3, 110) }),
    svc('dns-like', { clusterIP: '10.32.1.6', ports: dns, endpoints: eps(3, 120, 53) }),
    svc('diameter', { clusterIP: '10.32.1.9', ports: [{ port: 3868, protocol: 'sctp' }], endpoints: eps(3, 150, 3868) }),
    svc('sticky', { clusterIP: '10.32.1.7', ports: http, sessionAffinitySeconds: 10800, endpoints: eps(3, 130) }),
    svc('sticky-dns', { clusterIP: '10.32.1.8', ports: dns, sessionAffinitySeconds: 10800, endpoints: eps(3, 140, 53) }),
    svc('sticky-diameter', {
      clusterIP: '10.32.1.10',
      ports: [{ port: 3868, protocol: 'sctp' }],
      sessionAffinitySeconds: 10800,
      endpoints: eps(3, 160, 3868),
    }),
  ],
};

/**
 * kc/skewed's cascade with unequal shares: the first rule at 0.1, the second at 1/3 of the rest
 * (0.9 / 3 = 0.3), the third takes what is left (0.6). kube-proxy never writes this, but nothing
 * stops a ruleset from doing so, and the tracer must multiply the cascade out the same way.
 */
function skew(text: string): string {
  let n = 0;
  const out = text.replace(/^(-A KUBE-SVC-\S+ .*"kc\/skewed -> .*--probability )(\S+)/gm, (_m, head: string) => {
    n++;
    return head + (n === 1 ? '0.10000000000' : '0.33333333349');
  });
  if (n !== 2) throw new Error(`expected 2 statistic rules for kc/skewed, rewrote ${n}`);
  return out;
}

// Sixteen client addresses per family: the first two are the topology's defaults.
const CLIENTS4 = [...DEFAULT_CLIENT_ADDRESSES, ...Array.from({ length: 14 }, (_, i) => `172.16.1.${160 + i}`)];
const CLIENTS6 = [...DEFAULT_CLIENT_ADDRESSES6, ...Array.from({ length: 14 }, (_, i) => `fd00:172:16:1::${(160 + i).toString(16)}`)];

const gate = kernelGate();

describe.skipIf(gate.skip)(gate.title('kernel vs tracer: endpoint shares and session affinity'), () => {
  let topo: Topology;
  let installed: InstalledRuleset;
  const spec6 = toIPv6Spec(SPEC);
  const rut: RulesetUnderTest = {
    name: 'shares and affinity',
    restoreText: skew(generateKubeProxyRules(SPEC, { form: 'restore' })),
    restoreText6: skew(generateKubeProxyRules(spec6, { form: 'restore' })),
    nodeIPs: [...SPEC.nodeIPs, ...spec6.nodeIPs],
    podClientAddress: '10.64.2.250',
    podClientAddress6: 'fd00:10:64:2::250',
  };

  beforeAll(async () => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'sa', ipv6: true, clientAddresses: CLIENTS4, clientAddresses6: CLIENTS6 });
    installed = await installRuleset(topo, rut);
  }, 60_000);
  afterAll(() => topo?.destroy());

  /** The tracer's outcomes for a packet from the external client (arriving on the node's client link). */
  function traced(protocol: 'tcp' | 'udp' | 'sctp', src: string, dst: string, dport: number): { restore: Outcome[]; save: Outcome[] } {
    const packet: Packet = { protocol, src, dst, dport, inInterface: 'to-client' };
    return {
      restore: tracePacket(installed.restoreRs, packet, installed.node).outcomes,
      save: tracePacket(installed.saveRs, packet, installed.node).outcomes,
    };
  }

  function service(name: string, fam: 'ipv4' | 'ipv6') {
    const s = installed.model.services.find((v) => v.id === `kc/${name}` && v.family === fam);
    if (!s || !s.clusterIP || s.port === null) throw new Error(`no ${fam} kc/${name} with a cluster IP in the model`);
    return { ip: s.clusterIP, port: s.port, protocol: s.protocol as 'tcp' | 'udp' | 'sctp' };
  }

  /** The kernel's outcome key of every attempt, read from the node's conntrack table. */
  function kernelKeys(attempts: readonly ConnectAttempt[], protocol: 'tcp' | 'udp' | 'sctp'): { keys: string[]; dnats: string[]; errors: string[] } {
    const ct = indexConntrack(conntrackList(topo.nodeNs));
    const local = new Set(installed.node.localAddresses);
    const keys: string[] = [];
    const dnats: string[] = [];
    const errors: string[] = [];
    for (const a of attempts) {
      const k = kernelOutcome(a, ct, local, protocol);
      if ('error' in k) {
        errors.push(`${a.src}:${a.sport} -> ${a.dst}: ${k.error}`);
        continue;
      }
      keys.push(outcomeKey(k));
      dnats.push(k.dnat ?? '-');
    }
    return { keys, dnats, errors };
  }

  // Shares. Each case: N connections from one client to one service. With alpha = 1e-6, an
  // endpoint whose tracer probability is p passes when its count lies in binomialRange(N, p,
  // alpha / k) (k outcomes: Bonferroni), so a correct tracer fails a case with probability at
  // most 1e-6. The range is about N*p +- 5.3 standard deviations: at N = 400 and p = 1/4 that is
  // 100 +- 46, so a tracer off by a third of a share or more (1/4 read as 1/3 or 1/6, 0.6 as 0.45)
  // is caught nearly always.
  const ALPHA = 1e-6;
  const shareCases = [
    { name: 'four', fam: 'ipv4', n: 400 },
    { name: 'skewed', fam: 'ipv4', n: 500 },
    { name: 'dns-like', fam: 'ipv4', n: 300 },
    { name: 'four', fam: 'ipv6', n: 400 },
    { name: 'skewed', fam: 'ipv6', n: 400 },
    { name: 'dns-like', fam: 'ipv6', n: 300 },
    { name: 'diameter', fam: 'ipv4', n: 300 },
    { name: 'diameter', fam: 'ipv6', n: 300 },
  ] as const;

  it.each(shareCases.map((c) => [`${c.fam} kc/${c.name}`, c] as const))(
    'endpoint shares over many connections match the tracer probabilities: %s',
    async (_title, c) => {
      const s = service(c.name, c.fam);
      const src = c.fam === 'ipv4' ? CLIENTS4[0]! : CLIENTS6[0]!;
      const predicted = { restore: possibleKeys(traced(s.protocol, src, s.ip, s.port).restore), save: possibleKeys(traced(s.protocol, src, s.ip, s.port).save) };
      expect([...predicted.restore], 'restore and save forms trace alike').toEqual([...predicted.save]);
      expect(predicted.save.size, 'one outcome per endpoint').toBe(installed.model.services.find((v) => v.id === `kc/${c.name}` && v.family === c.fam)!.endpoints.length);

      const target = { ip: s.ip, port: s.port, count: c.n };
      const attempts =
        s.protocol === 'sctp'
          ? await sctpMany(topo.clientNs, [target], { sourceAddress: src })
          : await connectMany(topo.clientNs, [{ ...target, protocol: s.protocol, timeoutMs: 3000 }], { sourceAddress: src, parallel: 24, deadlineMs: 90_000 });
      const { keys, errors } = kernelKeys(attempts, s.protocol);
      expect(errors).toEqual([]);
      expect(keys.length).toBe(c.n);
      const counts = new Map<string, number>();
      for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
      const unexpected = [...counts.keys()].filter((k) => !predicted.save.has(k));
      expect(unexpected, 'kernel outcomes the tracer did not predict').toEqual([]);

      const k = predicted.save.size;
      const rows = [...predicted.save].map(([key, p]) => {
        const [lo, hi] = binomialRange(c.n, p, ALPHA / k);
        const seen = counts.get(key) ?? 0;
        return { key, p, expected: c.n * p, lo, hi, seen, ok: seen >= lo && seen <= hi };
      });
      console.log(
        `${c.fam} ${s.protocol} kc/${c.name}, ${c.n} connections:\n` +
          rows.map((r) => `  ${r.key}: p=${r.p.toFixed(4)} expected ${r.expected.toFixed(1)}, allowed ${r.lo}..${r.hi}, seen ${r.seen}`).join('\n'),
      );
      expect(rows.filter((r) => !r.ok).map((r) => `${r.key}: seen ${r.seen}, allowed ${r.lo}..${r.hi} (p=${r.p})`)).toEqual([]);
      if (c.name === 'skewed') expect(rows.map((r) => Number(r.p.toFixed(6))).sort()).toEqual([0.1, 0.3, 0.6]);
    },
    120_000,
  );

  // Affinity: 16 clients, one first connection each, then 5 more each. The check that clients
  // do not all share one endpoint fails wrongly with probability 3 * (1/3)^16 = 7e-8 per case.
  const FOLLOW_UPS = 5;
  const affinityCases = [
    { name: 'sticky', fam: 'ipv4' },
    { name: 'sticky-dns', fam: 'ipv4' },
    { name: 'sticky', fam: 'ipv6' },
    { name: 'sticky-diameter', fam: 'ipv4' },
  ] as const;

  it.each(affinityCases.map((c) => [`${c.fam} kc/${c.name}`, c] as const))(
    'session affinity: a client sticks to its first endpoint, which the tracer predicted for a new client: %s',
    async (_title, c) => {
      const s = service(c.name, c.fam);
      const clients = c.fam === 'ipv4' ? CLIENTS4 : CLIENTS6;
      const dial = (count: number) =>
        s.protocol === 'sctp'
          ? sctpMany(
              topo.clientNs,
              clients.map((src) => ({ ip: s.ip, port: s.port, count, sourceAddress: src })),
              { sourceAddress: clients[0]! },
            )
          : connectMany(
              topo.clientNs,
              clients.map((src) => ({ ip: s.ip, port: s.port, count, protocol: s.protocol as 'tcp' | 'udp', timeoutMs: 3000, sourceAddress: src })),
              { sourceAddress: clients[0]!, parallel: 16, deadlineMs: 60_000 },
            );

      const first = await dial(1);
      const firstRead = kernelKeys(first, s.protocol);
      expect(firstRead.errors).toEqual([]);
      const firstEndpoint = new Map<string, string>();
      for (const [i, a] of first.entries()) {
        const key = firstRead.keys[i]!;
        const dnat = firstRead.dnats[i]!;
        expect(dnat, `${a.src}'s first connection was DNATed`).not.toBe('-');
        firstEndpoint.set(a.src, dnat);
        // The first connection is a new client: one of the tracer's outcomes, in both forms.
        const t = traced(s.protocol, a.src, s.ip, s.port);
        expect([...possibleKeys(t.restore).keys()], `${a.src} first`).toContain(key);
        expect([...possibleKeys(t.save).keys()], `${a.src} first`).toContain(key);
        expect(t.save.every((o) => o.assumptions.some((x) => /session affinity/.test(x))), 'the tracer says it assumed a new client').toBe(true);
        // kube-proxy's `--set` put the client in the list named after the KUBE-SEP chain the tracer went through.
        const chain = t.save.find((o) => o.dnat !== null && canonicalHostPort(o.dnat) === dnat)?.endpointChain;
        expect(chain, `the tracer's KUBE-SEP chain for ${dnat}`).toMatch(/^KUBE-SEP-/);
        const listed = inNs(topo.nodeNs, 'cat', [`/proc/net/xt_recent/${chain}`]);
        const sources = [...listed.matchAll(/src=(\S+)/g)].map((m) => canonicalIp(m[1]!));
        expect(sources, `/proc/net/xt_recent/${chain}`).toContain(canonicalIp(a.src));
      }
      expect(firstEndpoint.size).toBe(clients.length);

      const later = await dial(FOLLOW_UPS);
      const laterRead = kernelKeys(later, s.protocol);
      expect(laterRead.errors).toEqual([]);
      const moved = later
        .map((a, i) => ({ src: a.src, sport: a.sport, dnat: laterRead.dnats[i]! }))
        .filter((x) => x.dnat !== firstEndpoint.get(x.src))
        .map((x) => `${x.src}:${x.sport} went to ${x.dnat}, its first connection to ${firstEndpoint.get(x.src)}`);
      expect(moved, 'follow-up connections that left their first endpoint').toEqual([]);
      expect(later.length).toBe(clients.length * FOLLOW_UPS);

      const endpointsUsed = new Set(firstEndpoint.values());
      console.log(`${c.fam} ${s.protocol} kc/${c.name}: ${clients.length} clients on ${endpointsUsed.size} endpoints, ${later.length} follow-ups all stayed`);
      // Different clients are spread: affinity is per client, not one endpoint for everybody.
      expect(endpointsUsed.size).toBeGreaterThan(1);
    },
    120_000,
  );
});
