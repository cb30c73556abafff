/**
 * What kube-proxy's nftables mode does with a new connection, worked out from the ClusterSpec
 * alone by the rules of /work/shared/nftables.md §4 (a second opinion beside the tracer, which
 * reads the kernel's listing): which endpoints it may reach, whether it is masqueraded, or
 * whether it is dropped or rejected. Outcome keys as compare.ts writes them.
 */
import { cidrContains, parseCidr } from '../../src/gen/addr.js';
import type { ClusterSpec } from '../../src/gen/kubeproxy.js';
import { outcomeKey } from './compare.js';
import { isIPv6 } from './netns.js';
import { UNSERVED_PORT, clusterPorts, unallocatedAddresses } from './nft-scenario.js';
import type { Probe } from './scenario.js';

const inAny = (cidrs: readonly string[], ip: string) => cidrs.some((c) => cidrContains(parseCidr(c), ip));
const hostPort = (ip: string, port: number) => (isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`);

function spread(eps: ReadonlyArray<{ ip: string; port: number }>, masquerade: (ep: string) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of eps) {
    const dnat = hostPort(e.ip, e.port);
    const key = outcomeKey({ verdict: 'ACCEPT', dnat, masquerade: masquerade(e.ip) });
    out.set(key, (out.get(key) ?? 0) + 1 / eps.length);
  }
  return out;
}

const only = (verdict: 'DROP' | 'REJECT') => new Map([[verdict, 1]]);

/** Outcome key -> probability for one probe sent from `src`. */
export function expectedNftOutcomes(specs: readonly ClusterSpec[], probe: Probe, src: string): Map<string, number> {
  const spec = specs.find((s) => (s.ipFamily ?? 'ipv4') === probe.family);
  if (!spec) throw new Error(`no ${probe.family} spec`);
  const clusterCIDR = spec.clusterCIDR ?? null;
  const fromPod = clusterCIDR !== null && inAny([clusterCIDR], src);
  const nodeIP = spec.nodeIPs.find((ip) => isIPv6(ip) === (probe.family === 'ipv6')) ?? null;
  // The node's own packets (its IPs and loopback): `fib saddr type local`.
  const fromNode = probe.source === 'node' || probe.source === 'node-loopback';

  const tags = probe.tags ?? [];
  if (tags.includes('unserved ClusterIP port')) return only('REJECT');
  if (tags.includes('unallocated service-CIDR address')) {
    if (!unallocatedAddresses(spec).includes(probe.dst)) throw new Error(`${probe.dst} is not an unallocated probe address`);
    return only('DROP');
  }
  if (probe.dst === '127.0.0.1') {
    // Not in @nodeport-ips: no DNAT; the node's own stack answers (nothing listens: RST).
    return new Map([[outcomeKey({ verdict: 'ACCEPT', dnat: null, masquerade: false }), 1]]);
  }
  const f = clusterPorts([spec]).find((p) => p.spn === probe.service && p.protocol === probe.protocol);
  if (!f) throw new Error(`no service port ${probe.service}`);
  if (probe.dport === UNSERVED_PORT && probe.entry === 'clusterIP') throw new Error('unserved probes carry their tag');

  const local = f.endpoints.filter((e) => e.local);
  const all = f.endpoints;
  const hairpin = (ip: string) => ip === src;

  if (probe.entry === 'clusterIP') {
    if (all.length === 0) return only('REJECT');
    const eps = f.iTPLocal ? local : all;
    if (eps.length === 0) return only('DROP');
    // service-/local-…: `ip daddr CLUSTERIP ip saddr != CLUSTERCIDR jump mark-for-masquerade`.
    return spread(eps, (ip) => hairpin(ip) || (clusterCIDR !== null && !fromPod));
  }

  // External destinations: the firewall comes first, before DNAT, with or without endpoints.
  if (probe.entry === 'loadBalancer' && f.sourceRanges.length > 0) {
    const allowed = [...f.sourceRanges];
    if (nodeIP !== null && inAny(f.sourceRanges, nodeIP)) allowed.push(...f.lbIPs.map((ip) => `${ip}/${isIPv6(ip) ? 128 : 32}`));
    if (!inAny(allowed, src)) return only('DROP');
  }
  if (all.length === 0) return only('REJECT');
  if (!f.eTPLocal) return spread(all, () => true);
  // eTP=Local: pods and the node short-circuit to every endpoint (the node masqueraded).
  if (fromPod) return spread(all, (ip) => hairpin(ip));
  if (fromNode) return spread(all, () => true);
  if (local.length === 0) return only('DROP');
  return spread(local, (ip) => hairpin(ip));
}
