/**
 * A deterministic kube-proxy (nftables mode) ruleset generator: the transaction kube-proxy sends
 * to `nft -f` on its first full sync, for the same ClusterSpec the iptables generator takes.
 *
 * Follows kubernetes/kubernetes pkg/proxy/nftables/proxier.go (setupNFTables and
 * syncProxyRules, the layout /work/shared/nftables.md §1–§3 describes): one table per family,
 * base chains with numeric priorities, the fixed dispatch and check chains, the service maps,
 * and per service port its service-/local-/external-/firewall-/endpoint- chains and affinity
 * sets. Objects are written in the order proxier.go writes them (chains are ensured before
 * anything refers to them, so `nft -f` accepts the file as it is). Services come in the spec's
 * order, where kube-proxy walks a Go map.
 */
import { createHash } from 'node:crypto';
import { base32 } from '../core/kube/index.js';
import { canonicalCidr, cidrContains, familyOf, parseCidr, type IpFamily } from './addr.js';
import type { ClusterSpec, Protocol, ServiceSpec } from './spec.js';
import { categorizeEndpoints } from './categorize.js';
import { servicePortFacts, type PortFacts } from './port-facts.js';

export interface NftGenerateOptions {
  /**
   * kube-proxy's --nodeport-addresses: 'primary' (the nftables-mode default: the node's primary
   * IP of the family in @nodeport-ips) or 'all' (every local address but loopback, via fib).
   */
  readonly nodePortAddresses?: 'primary' | 'all';
  /** The masquerade mark as kube-proxy formats it: "0x4000" (its unit tests) or "0x004000" (a real node, %#08x). */
  readonly masqueradeMark?: string;
}

export const NFT_TABLE = 'kube-proxy';

/** hashAndTruncate: first 8 characters of base32(sha256(s)), "-", s; cut to 237 + "..." past 240. */
export function hashAndTruncate(name: string): string {
  const hash = base32(createHash('sha256').update(name).digest()).slice(0, 8);
  const full = `${hash}-${name}`;
  return full.length > 240 ? full.slice(0, 237) + '...' : full;
}

/** servicePortChainNameBase: "ns/name/proto/portName" hashed (an unnamed port leaves the trailing slash). */
export function nftServiceChainBase(namespace: string, name: string, protocol: string, portName: string): string {
  return hashAndTruncate(`${namespace}/${name}/${protocol}/${portName}`);
}

/** servicePortEndpointChainNameBase: the IP's colons become dots, "/" separates the port. */
export function nftEndpointChainBase(namespace: string, name: string, protocol: string, portName: string, ip: string, port: number): string {
  return hashAndTruncate(`${namespace}/${name}/${protocol}/${portName}__${ip.replace(/:/g, '.')}/${port}`);
}

interface EndpointView {
  readonly ip: string;
  readonly port: number;
  readonly local: boolean;
  /** endpoint-HASH-… */
  readonly chain: string;
  /** affinity-HASH-… (same base) */
  readonly affinitySet: string;
  /** "ip:port" / "[ip]:port" as `dnat to` takes it. */
  readonly dnatTo: string;
}

/** A service port's facts (port-facts.ts) with its nftables chain names resolved. */
interface PortView extends Omit<PortFacts, 'portName' | 'endpoints'> {
  readonly endpoints: readonly EndpointView[];
  readonly clusterChain: string;
  readonly localChain: string;
  readonly externalChain: string;
  readonly firewallChain: string;
}

function portViews(s: ServiceSpec): PortView[] {
  return servicePortFacts(s).map((f) => {
    const { portName, ...facts } = f;
    const base = nftServiceChainBase(s.namespace, s.name, f.proto, portName);
    const endpoints = f.endpoints.map((e): EndpointView => {
      const epBase = nftEndpointChainBase(s.namespace, s.name, f.proto, portName, e.ip, e.port);
      return {
        ...e,
        chain: `endpoint-${epBase}`,
        affinitySet: `affinity-${epBase}`,
        dnatTo: e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`,
      };
    });
    return {
      ...facts,
      endpoints,
      clusterChain: `service-${base}`,
      localChain: `local-${base}`,
      externalChain: `external-${base}`,
      firewallChain: `firewall-${base}`,
    };
  });
}

const q = (s: string) => `"${s}"`;

/** The transaction being written, one `add …` line at a time. */
class Tx {
  readonly lines: string[] = [];
  constructor(private readonly family: 'ip' | 'ip6') {}

  private obj(kind: string, rest: string): void {
    this.lines.push(`add ${kind} ${this.family} ${NFT_TABLE} ${rest}`);
  }
  chain(name: string, spec?: string): void {
    this.obj('chain', spec ? `${name} { ${spec} ; }` : name);
  }
  rule(chain: string, rule: string, comment?: string): void {
    this.obj('rule', `${chain} ${rule}${comment === undefined ? '' : ` comment ${q(comment)}`}`);
  }
  set(name: string, spec: string): void {
    this.obj('set', `${name} { ${spec} ; }`);
  }
  map(name: string, spec: string): void {
    this.obj('map', `${name} { ${spec} ; }`);
  }
  element(set: string, key: string, value?: string, comment?: string): void {
    const c = comment === undefined ? '' : ` comment ${q(comment)}`;
    this.obj('element', `${set} { ${key}${c}${value === undefined ? '' : ` : ${value}`} }`);
  }
  blank(): void {
    this.lines.push('');
  }
}

interface Ctx {
  readonly tx: Tx;
  /** "ip" or "ip6": the payload protocol in matches. */
  readonly ipX: 'ip' | 'ip6';
  readonly addrType: 'ipv4_addr' | 'ipv6_addr';
  /** The local-pod detector's CIDR (kube-proxy's --cluster-cidr), null for none. */
  readonly clusterCIDR: string | null;
  readonly masqueradeAll: boolean;
  readonly nodeIP: string | null;
}

const MARK_MASQ = 'mark-for-masquerade';
const REJECT_CHAIN = 'reject-chain';

/** setupNFTables: the table, its sets and maps, the fixed chains and their rules. */
function writeSetup(k: Ctx, spec: ClusterSpec, options: NftGenerateOptions): void {
  const { tx, ipX, addrType } = k;
  const mark = options.masqueradeMark ?? '0x4000';
  const allNodePorts = options.nodePortAddresses === 'all';
  const loopback = ipX === 'ip' ? '127.0.0.0/8' : '::1';
  tx.lines.push(`add table ${ipX} ${NFT_TABLE} { comment ${q('rules for kube-proxy')} ; }`);
  tx.blank();

  tx.set('cluster-ips', `type ${addrType} ; comment ${q('Active ClusterIPs')}`);
  if (!allNodePorts) tx.set('nodeport-ips', `type ${addrType} ; comment ${q('IPs that accept NodePort traffic')}`);
  tx.blank();
  const svcKey = `${addrType} . inet_proto . inet_service`;
  tx.map('firewall-ips', `type ${svcKey} : verdict ; comment ${q('destinations that are subject to LoadBalancerSourceRanges')}`);
  tx.map('no-endpoint-nodeports', `type inet_proto . inet_service : verdict ; comment ${q('vmap to drop or reject packets to service nodeports with no endpoints')}`);
  tx.map('no-endpoint-services', `type ${svcKey} : verdict ; comment ${q('vmap to drop or reject packets to services with no endpoints')}`);
  tx.map('service-ips', `type ${svcKey} : verdict ; comment ${q('ClusterIP, ExternalIP and LoadBalancer IP traffic')}`);
  tx.map('service-nodeports', `type inet_proto . inet_service : verdict ; comment ${q('NodePort traffic')}`);
  tx.blank();

  // Base chains: numeric priorities, as knftables writes them (nft 1.0.6 rejects `dstnat` on output).
  const base: Array<[string, string, string, number]> = [
    ['filter-prerouting-pre-dnat', 'filter', 'prerouting', -110],
    ['filter-output-pre-dnat', 'filter', 'output', -110],
    ['filter-input', 'filter', 'input', 0],
    ['filter-forward', 'filter', 'forward', 0],
    ['filter-output', 'filter', 'output', 0],
    ['nat-prerouting', 'nat', 'prerouting', -100],
    ['nat-output', 'nat', 'output', -100],
    ['nat-postrouting', 'nat', 'postrouting', 100],
  ];
  for (const c of ['cluster-ips-check', 'firewall-check', MARK_MASQ, 'masquerading', 'nodeport-endpoints-check', 'services', 'service-endpoints-check']) {
    tx.chain(c);
  }
  tx.chain(REJECT_CHAIN, `comment ${q('helper for @no-endpoint-services / @no-endpoint-nodeports')}`);
  for (const [name, type, hook, prio] of base) tx.chain(name, `type ${type} hook ${hook} priority ${prio}`);
  tx.blank();

  const svcLookup = `${ipX} daddr . meta l4proto . th dport`;
  tx.rule('filter-prerouting-pre-dnat', 'ct state new jump firewall-check');
  tx.rule('filter-output-pre-dnat', 'ct state new jump firewall-check');
  tx.rule('filter-input', 'ct state new jump nodeport-endpoints-check');
  tx.rule('filter-input', 'ct state new jump service-endpoints-check');
  tx.rule('filter-forward', 'ct state new jump service-endpoints-check');
  tx.rule('filter-forward', 'ct state new jump cluster-ips-check');
  tx.rule('filter-output', 'ct state new jump service-endpoints-check');
  tx.rule('filter-output', 'ct state new jump cluster-ips-check');
  tx.rule('nat-prerouting', 'jump services');
  tx.rule('nat-output', 'jump services');
  tx.rule('nat-postrouting', 'jump masquerading');

  tx.rule('firewall-check', `${svcLookup} vmap @firewall-ips`);
  tx.rule('reject-chain', 'reject');
  tx.rule('services', `${svcLookup} vmap @service-ips`);
  if (allNodePorts) {
    tx.rule('services', `fib daddr type local ${ipX} daddr != ${loopback} meta l4proto . th dport vmap @service-nodeports`);
    tx.rule('nodeport-endpoints-check', `${ipX} daddr != ${loopback} meta l4proto . th dport vmap @no-endpoint-nodeports`);
  } else {
    tx.rule('services', `${ipX} daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports`);
    tx.rule('nodeport-endpoints-check', `${ipX} daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports`);
  }
  tx.rule('service-endpoints-check', `${svcLookup} vmap @no-endpoint-services`);
  tx.rule('cluster-ips-check', `${ipX} daddr @cluster-ips reject`, 'Reject traffic to invalid ports of ClusterIPs');
  const serviceCIDRs = (spec.serviceCIDRs ?? []).map(canonicalCidr);
  if (serviceCIDRs.length > 0) {
    tx.rule('cluster-ips-check', `${ipX} daddr { ${serviceCIDRs.join(', ')} } drop`, 'Drop traffic to unallocated ClusterIPs');
  }
  tx.rule(MARK_MASQ, `mark set mark or ${mark}`);
  tx.rule('masquerading', `mark and ${mark} == 0 return`);
  tx.rule('masquerading', `mark set mark xor ${mark}`);
  tx.rule('masquerading', 'masquerade fully-random');
  tx.blank();

  // --nodeport-addresses primary: the node's primary IP of this family.
  if (!allNodePorts && k.nodeIP !== null) tx.element('nodeport-ips', k.nodeIP);
}

/** writeServiceToEndpointRules: affinity lookups first, then one numgen vmap over the endpoints. */
function writeServiceToEndpointRules(k: Ctx, p: PortView, chain: string, eps: readonly EndpointView[]): void {
  if (p.affinity !== null) {
    for (const e of eps) k.tx.rule(chain, `${k.ipX} saddr @${e.affinitySet} goto ${e.chain}`);
  }
  const arms = eps.map((e, i) => `${i} : goto ${e.chain}`).join(' , ');
  k.tx.rule(chain, `numgen random mod ${eps.length} vmap { ${arms} }`);
}

/** One service port, in syncProxyRules' order. */
function writeService(k: Ctx, p: PortView): void {
  const { tx, ipX } = k;
  const { usesClusterEndpoints, usesLocalEndpoints, clusterEps, localEps, reachable } = categorizeEndpoints(p, p.endpoints, (e) => e.chain);
  const hasEndpoints = p.endpoints.length > 0;

  for (const e of reachable) tx.chain(e.chain);
  const usesClusterPolicyChain = clusterEps.length > 0 && usesClusterEndpoints;
  if (usesClusterPolicyChain) tx.chain(p.clusterChain);
  const usesLocalPolicyChain = localEps.length > 0 && usesLocalEndpoints;
  if (usesLocalPolicyChain) tx.chain(p.localChain);

  const internalTrafficChain = p.iTPLocal ? p.localChain : p.clusterChain;
  const hasInternalEndpoints = hasEndpoints && !(p.iTPLocal && localEps.length === 0);
  const externalPolicyChain = p.eTPLocal ? p.localChain : p.clusterChain;
  const hasExternalEndpoints = hasEndpoints && !(p.eTPLocal && localEps.length === 0);
  const usesExternalTrafficChain = hasEndpoints && p.externallyAccessible;
  if (usesExternalTrafficChain) tx.chain(p.externalChain);

  let internalFilterVerdict = '';
  let externalFilterVerdict = '';
  if (!hasEndpoints) {
    internalFilterVerdict = externalFilterVerdict = `goto ${REJECT_CHAIN}`;
  } else {
    if (!hasInternalEndpoints) internalFilterVerdict = 'drop';
    if (!hasExternalEndpoints) externalFilterVerdict = 'drop';
  }
  const key = (ip: string) => `${ip} . ${p.proto} . ${p.port}`;

  // Capture the clusterIP.
  tx.element('cluster-ips', p.clusterIP);
  if (hasInternalEndpoints) tx.element('service-ips', key(p.clusterIP), `goto ${internalTrafficChain}`);
  else tx.element('no-endpoint-services', key(p.clusterIP), internalFilterVerdict, p.spn);

  // Capture externalIPs.
  for (const ip of p.externalIPs) {
    if (hasEndpoints) tx.element('service-ips', key(ip), `goto ${p.externalChain}`);
    if (!hasExternalEndpoints) tx.element('no-endpoint-services', key(ip), externalFilterVerdict, p.spn);
  }

  // Capture load-balancer ingress (source ranges apply whether or not there are endpoints).
  const usesFWChain = p.lbIPs.length > 0 && p.sourceRanges.length > 0;
  if (usesFWChain) tx.chain(p.firewallChain);
  for (const ip of p.lbIPs) {
    if (hasEndpoints) tx.element('service-ips', key(ip), `goto ${p.externalChain}`);
    if (usesFWChain) tx.element('firewall-ips', key(ip), `goto ${p.firewallChain}`);
  }
  if (!hasExternalEndpoints) {
    for (const ip of p.lbIPs) tx.element('no-endpoint-services', key(ip), externalFilterVerdict, p.spn);
  }

  // Capture nodeports (not subject to loadBalancerSourceRanges).
  if (p.nodePort !== null) {
    const npKey = `${p.proto} . ${p.nodePort}`;
    if (hasEndpoints) tx.element('service-nodeports', npKey, `goto ${p.externalChain}`);
    if (!hasExternalEndpoints) tx.element('no-endpoint-nodeports', npKey, externalFilterVerdict, p.spn);
  }

  // Internal traffic: masquerade off-cluster sources.
  if (hasInternalEndpoints) {
    if (k.masqueradeAll) tx.rule(internalTrafficChain, `${ipX} daddr ${p.clusterIP} jump ${MARK_MASQ}`);
    else if (k.clusterCIDR) tx.rule(internalTrafficChain, `${ipX} daddr ${p.clusterIP} ${ipX} saddr != ${k.clusterCIDR} jump ${MARK_MASQ}`);
  }

  // External traffic.
  if (usesExternalTrafficChain) {
    if (!p.eTPLocal) {
      tx.rule(p.externalChain, `jump ${MARK_MASQ}`);
    } else {
      if (k.clusterCIDR) tx.rule(p.externalChain, `${ipX} saddr ${k.clusterCIDR} goto ${p.clusterChain}`, 'short-circuit pod traffic');
      tx.rule(p.externalChain, `fib saddr type local jump ${MARK_MASQ}`, 'masquerade local traffic');
      tx.rule(p.externalChain, `fib saddr type local goto ${p.clusterChain}`, 'short-circuit local traffic');
    }
    if (hasExternalEndpoints) tx.rule(p.externalChain, `goto ${externalPolicyChain}`);
  }

  // loadBalancerSourceRanges: drop other sources before DNAT; allowed traffic falls through.
  if (usesFWChain) {
    const sources: string[] = [];
    let allowFromNode = false;
    for (const range of p.sourceRanges) {
      const cidr = canonicalCidr(range);
      sources.push(cidr);
      if (k.nodeIP !== null && cidrContains(parseCidr(cidr), k.nodeIP)) allowFromNode = true;
    }
    if (allowFromNode) sources.push(...p.lbIPs);
    tx.rule(p.firewallChain, `${ipX} saddr != { ${sources.join(', ')} } drop`);
  }

  if (p.affinity !== null) {
    for (const e of reachable) tx.set(e.affinitySet, `type ${k.addrType} ; flags dynamic,timeout ; timeout ${p.affinity}s`);
  }
  if (usesClusterPolicyChain) writeServiceToEndpointRules(k, p, p.clusterChain, clusterEps);
  if (usesLocalPolicyChain) writeServiceToEndpointRules(k, p, p.localChain, localEps);

  for (const e of reachable) {
    tx.rule(e.chain, `${ipX} saddr ${e.ip} jump ${MARK_MASQ}`);
    if (p.affinity !== null) tx.rule(e.chain, `update @${e.affinitySet} { ${ipX} saddr }`);
    tx.rule(e.chain, `meta l4proto ${p.proto} dnat to ${e.dnatTo}`);
  }
  tx.blank();
}

/** The transaction kube-proxy's nftables proxier would send for this node (`nft -f` input). */
export function generateKubeProxyNftables(spec: ClusterSpec, options: NftGenerateOptions = {}): string {
  const family: IpFamily = spec.ipFamily ?? 'ipv4';
  const ipX = family === 'ipv4' ? 'ip' : 'ip6';
  const views = spec.services.flatMap(portViews);
  const checkFamily = (spn: string, a: string) => {
    if (familyOf(a) !== family) throw new Error(`${spn}: address ${a} is not ${family}`);
  };
  for (const v of views) {
    checkFamily(v.spn, v.clusterIP);
    for (const a of [...v.externalIPs, ...v.lbIPs]) checkFamily(v.spn, a);
    for (const e of v.endpoints) checkFamily(v.spn, e.ip);
  }
  for (const c of spec.serviceCIDRs ?? []) checkFamily('serviceCIDRs', c.split('/')[0]!);
  const k: Ctx = {
    tx: new Tx(ipX),
    ipX,
    addrType: family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr',
    clusterCIDR: spec.clusterCIDR ? canonicalCidr(spec.clusterCIDR) : null,
    masqueradeAll: spec.masqueradeAll === true,
    nodeIP: spec.nodeIPs.find((ip) => familyOf(ip) === family) ?? null,
  };
  writeSetup(k, spec, options);
  k.tx.blank();
  for (const v of views) writeService(k, v);
  return k.tx.lines.join('\n') + '\n';
}
