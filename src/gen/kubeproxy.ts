/**
 * A deterministic kube-proxy (iptables mode) ruleset generator: the *filter and *nat text that
 * kube-proxy's syncProxyRules writes for a ClusterSpec, plus the built-in jumps and kubelet's
 * pieces a real node has around it.
 *
 * Layouts follow kubernetes/kubernetes pkg/proxy/iptables/proxier.go:
 *  - 'current' (v1.28+): KUBE-EXT/KUBE-SVL, KUBE-PROXY-FIREWALL and KUBE-EXTERNAL-SERVICES in
 *    filter, KUBE-FIREWALL with the localnet rule; no nfacct (it needs nfacct objects).
 *  - 'legacy' (v1.21/1.22): KUBE-XLB, KUBE-FW ending in KUBE-MARK-DROP, SVC chains that mark
 *    node-port and external traffic for masquerade, kubelet's KUBE-MARK-DROP and KUBE-FIREWALL.
 * Services and their ports are written in the spec's order (kube-proxy walks a Go map).
 *
 * Forms: 'restore' is kube-proxy's own text; 'save' is what `iptables-save [-c]` prints after
 * loading it (iptables-nft 1.8.9: canonical options, sorted user chains, date header lines).
 */
import { endpointChainName, serviceChainName } from '../core/kube/index.js';
import { canonicalCidr, cidrContains, familyOf, joinHostPort, parseCidr, type IpFamily } from './addr.js';
import { kubeProxyProbability } from './probability.js';
import type { ClusterSpec, Protocol, ServiceSpec } from './spec.js';
import { GenTable, renderRestore, renderSave, type CountersOption } from './tables.js';
import { categorizeEndpoints } from './categorize.js';
import { servicePortFacts } from './port-facts.js';

export * from './spec.js';
export type { CounterFn, CounterRef, CountersOption, GenTableName } from './tables.js';
export { randomClusterSpec, type RandomClusterOptions } from './random-spec.js';
export { generateKubeProxyNftables, hashAndTruncate, type NftGenerateOptions } from './nftables.js';

export interface GenerateOptions {
  /** Default 'current'. */
  readonly layout?: 'current' | 'legacy';
  /** Default 'save'. */
  readonly form?: 'save' | 'restore';
  /** 'none' (default): no `[p:b]` on rules; 'zero': `[0:0]` everywhere; or a function per rule/policy. */
  readonly counters?: CountersOption;
  /** More endpoints than this (over all service ports) switches to large-cluster mode. Default 1000. */
  readonly largeClusterThreshold?: number;
  /** kube-proxy's --iptables-localhost-nodeports (default true; IPv4 only). */
  readonly localhostNodePorts?: boolean;
  /** MASQUERADE --random-fully in KUBE-POSTROUTING (default true, as on any recent iptables). */
  readonly randomFully?: boolean;
  /** The date on the save form's header lines. */
  readonly date?: string;
}

export const DEFAULT_SAVE_DATE = 'Fri Mar  1 12:00:00 2024';
const MASQ_MARK = '0x4000';
const DROP_MARK = '0x8000';
const NODEPORTS_LAST = '"kubernetes service nodeports; NOTE: this must be the last rule in this chain"';

/** One service port as kube-proxy sees it, names and endpoints resolved. */
interface PortView {
  readonly spn: string;
  readonly proto: Protocol;
  readonly clusterIP: string;
  readonly port: string;
  readonly nodePort: string | null;
  readonly externalIPs: readonly string[];
  readonly lbIPs: readonly string[];
  readonly sourceRanges: readonly string[];
  readonly externallyAccessible: boolean;
  readonly eTPLocal: boolean;
  readonly iTPLocal: boolean;
  readonly affinity: number | null;
  readonly healthCheckNodePort: number | null;
  readonly endpoints: readonly EndpointView[];
  readonly svc: string;
  readonly svl: string;
  readonly ext: string;
  readonly fw: string;
  readonly xlb: string;
}

interface EndpointView {
  readonly ip: string;
  readonly address: string;
  readonly local: boolean;
  readonly chain: string;
}

function portViews(s: ServiceSpec): PortView[] {
  return servicePortFacts(s).map((f) => {
    const { portName: _portName, ...facts } = f;
    const endpoints = f.endpoints.map((e) => {
      const address = joinHostPort(e.ip, e.port);
      return { ip: e.ip, address, local: e.local, chain: endpointChainName(f.spn, f.proto, address) };
    });
    return {
      ...facts,
      port: String(f.port),
      nodePort: f.nodePort === null ? null : String(f.nodePort),
      healthCheckNodePort: s.healthCheckNodePort ?? null,
      endpoints,
      // All five names share one hash (prefix + portProtoHash): compute it once.
      ...chainNames(f.spn, f.proto),
    };
  });
}

function chainNames(spn: string, proto: Protocol): { svc: string; svl: string; ext: string; fw: string; xlb: string } {
  const svc = serviceChainName('KUBE-SVC-', spn, proto);
  const hash = svc.slice('KUBE-SVC-'.length);
  return { svc, svl: `KUBE-SVL-${hash}`, ext: `KUBE-EXT-${hash}`, fw: `KUBE-FW-${hash}`, xlb: `KUBE-XLB-${hash}` };
}

const q = (s: string) => `"${s}"`;

interface Ctx {
  readonly family: IpFamily;
  readonly filter: GenTable;
  readonly nat: GenTable;
  readonly largeCluster: boolean;
  readonly clusterCIDR: string | null;
  readonly masqueradeAll: boolean;
  readonly nodeIP: string | null;
  readonly layout: 'current' | 'legacy';
}

/** appendServiceCommentLocked: large-cluster mode drops these comments. */
function svcComment(k: Ctx, text: string): string[] {
  return k.largeCluster ? [] : ['-m', 'comment', '--comment', text];
}

/** writeServiceToEndpointRules: affinity checks first, then the 1/n, 1/(n-1), … cascade. */
function writeServiceToEndpointRules(k: Ctx, p: PortView, chain: string, eps: readonly EndpointView[]): void {
  const comment = (e: EndpointView) => (k.layout === 'current' ? q(`${p.spn} -> ${e.address}`) : p.spn);
  if (p.affinity !== null) {
    for (const e of eps) {
      k.nat.rule(chain, [
        ...svcComment(k, comment(e)),
        '-m', 'recent', '--name', e.chain, '--rcheck', '--seconds', String(p.affinity), '--reap',
        '-j', e.chain,
      ]);
    }
  }
  const n = eps.length;
  eps.forEach((e, i) => {
    const stat = i < n - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', kubeProxyProbability(n - i)] : [];
    k.nat.rule(chain, [...svcComment(k, comment(e)), ...stat, '-j', e.chain]);
  });
}

function writeEndpointChain(k: Ctx, p: PortView, e: EndpointView): void {
  k.nat.chain(e.chain);
  const base = svcComment(k, p.spn);
  k.nat.rule(e.chain, [...base, '-s', e.ip, '-j', 'KUBE-MARK-MASQ']);
  const affinity = p.affinity !== null ? ['-m', 'recent', '--name', e.chain, '--set'] : [];
  k.nat.rule(e.chain, [...base, ...affinity, '-m', p.proto, '-p', p.proto, '-j', 'DNAT', '--to-destination', e.address]);
}

function portMatch(p: PortView, dst: string, port: string): string[] {
  return ['-m', p.proto, '-p', p.proto, '-d', dst, '--dport', port];
}

function writeCurrentService(k: Ctx, p: PortView): void {
  const { filter, nat } = k;
  const { usesClusterEndpoints, usesLocalEndpoints, clusterEps, localEps, reachable } = categorizeEndpoints(p, p.endpoints, (e) => e.address);
  const hasEndpoints = p.endpoints.length > 0;

  const usesClusterPolicyChain = clusterEps.length > 0 && usesClusterEndpoints;
  const usesLocalPolicyChain = localEps.length > 0 && usesLocalEndpoints;
  const internalChain = p.iTPLocal ? p.svl : p.svc;
  const hasInternalEndpoints = hasEndpoints && !(p.iTPLocal && localEps.length === 0);
  const externalPolicyChain = p.eTPLocal ? p.svl : p.svc;
  const hasExternalEndpoints = hasEndpoints && !(p.eTPLocal && localEps.length === 0);
  const usesExternalTrafficChain = hasEndpoints && p.externallyAccessible;
  const usesFWChain = hasEndpoints && p.lbIPs.length > 0 && p.sourceRanges.length > 0;
  const lbChain = usesFWChain ? p.fw : p.ext;

  let internalFilterTarget = '';
  let internalFilterComment = '';
  let externalFilterTarget = '';
  let externalFilterComment = '';
  if (!hasEndpoints) {
    internalFilterTarget = externalFilterTarget = 'REJECT';
    internalFilterComment = externalFilterComment = q(`${p.spn} has no endpoints`);
  } else {
    if (!hasInternalEndpoints) {
      internalFilterTarget = 'DROP';
      internalFilterComment = q(`${p.spn} has no local endpoints`);
    }
    if (!hasExternalEndpoints) {
      externalFilterTarget = 'DROP';
      externalFilterComment = q(`${p.spn} has no local endpoints`);
    }
  }

  // Capture the clusterIP.
  if (hasInternalEndpoints) {
    nat.rule('KUBE-SERVICES', ['-m', 'comment', '--comment', q(`${p.spn} cluster IP`), ...portMatch(p, p.clusterIP, p.port), '-j', internalChain]);
  } else {
    filter.rule('KUBE-SERVICES', ['-m', 'comment', '--comment', internalFilterComment, ...portMatch(p, p.clusterIP, p.port), '-j', internalFilterTarget]);
  }
  // Capture externalIPs.
  for (const ip of p.externalIPs) {
    if (hasEndpoints) {
      nat.rule('KUBE-SERVICES', ['-m', 'comment', '--comment', q(`${p.spn} external IP`), ...portMatch(p, ip, p.port), '-j', p.ext]);
    }
    if (!hasExternalEndpoints) {
      filter.rule('KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', externalFilterComment, ...portMatch(p, ip, p.port), '-j', externalFilterTarget]);
    }
  }
  // Capture load-balancer ingress.
  for (const ip of p.lbIPs) {
    if (hasEndpoints) {
      nat.rule('KUBE-SERVICES', ['-m', 'comment', '--comment', q(`${p.spn} loadbalancer IP`), ...portMatch(p, ip, p.port), '-j', lbChain]);
    }
    if (usesFWChain) {
      filter.rule('KUBE-PROXY-FIREWALL', ['-m', 'comment', '--comment', q(`${p.spn} traffic not accepted by ${p.fw}`), ...portMatch(p, ip, p.port), '-j', 'DROP']);
    }
  }
  if (!hasExternalEndpoints) {
    for (const ip of p.lbIPs) {
      filter.rule('KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', externalFilterComment, ...portMatch(p, ip, p.port), '-j', externalFilterTarget]);
    }
  }
  // Capture nodeports.
  if (p.nodePort !== null) {
    if (hasEndpoints) {
      nat.rule('KUBE-NODEPORTS', ['-m', 'comment', '--comment', p.spn, '-m', p.proto, '-p', p.proto, '--dport', p.nodePort, '-j', p.ext]);
    }
    if (!hasExternalEndpoints) {
      filter.rule('KUBE-EXTERNAL-SERVICES', [
        '-m', 'comment', '--comment', externalFilterComment,
        '-m', 'addrtype', '--dst-type', 'LOCAL',
        '-m', p.proto, '-p', p.proto, '--dport', p.nodePort,
        '-j', externalFilterTarget,
      ]);
    }
  }
  // Capture healthCheckNodePorts.
  if (p.healthCheckNodePort !== null) {
    filter.rule('KUBE-NODEPORTS', [
      '-m', 'comment', '--comment', q(`${p.spn} health check node port`),
      '-m', 'tcp', '-p', 'tcp', '--dport', String(p.healthCheckNodePort), '-j', 'ACCEPT',
    ]);
  }
  // Internal traffic: masquerade off-cluster sources.
  if (hasInternalEndpoints) {
    const args = ['-m', 'comment', '--comment', q(`${p.spn} cluster IP`), ...portMatch(p, p.clusterIP, p.port)];
    if (k.masqueradeAll) nat.rule(internalChain, [...args, '-j', 'KUBE-MARK-MASQ']);
    else if (k.clusterCIDR) nat.rule(internalChain, [...args, '!', '-s', k.clusterCIDR, '-j', 'KUBE-MARK-MASQ']);
  }
  // External traffic chain.
  if (usesExternalTrafficChain) {
    nat.chain(p.ext);
    if (!p.eTPLocal) {
      nat.rule(p.ext, ['-m', 'comment', '--comment', q(`masquerade traffic for ${p.spn} external destinations`), '-j', 'KUBE-MARK-MASQ']);
    } else {
      if (k.clusterCIDR) {
        nat.rule(p.ext, ['-m', 'comment', '--comment', q(`pod traffic for ${p.spn} external destinations`), '-s', k.clusterCIDR, '-j', p.svc]);
      }
      nat.rule(p.ext, ['-m', 'comment', '--comment', q(`masquerade LOCAL traffic for ${p.spn} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'KUBE-MARK-MASQ']);
      nat.rule(p.ext, ['-m', 'comment', '--comment', q(`route LOCAL traffic for ${p.spn} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', p.svc]);
    }
    if (hasExternalEndpoints) nat.rule(p.ext, ['-j', externalPolicyChain]);
  }
  // Firewall chain for loadBalancerSourceRanges.
  if (usesFWChain) {
    nat.chain(p.fw);
    const args = ['-m', 'comment', '--comment', q(`${p.spn} loadbalancer IP`)];
    let allowFromNode = false;
    for (const range of p.sourceRanges) {
      const cidr = canonicalCidr(range);
      nat.rule(p.fw, [...args, '-s', cidr, '-j', p.ext]);
      if (k.nodeIP !== null && cidrContains(parseCidr(cidr), k.nodeIP)) allowFromNode = true;
    }
    if (allowFromNode) {
      for (const ip of p.lbIPs) nat.rule(p.fw, [...args, '-s', ip, '-j', p.ext]);
    }
    nat.rule(p.fw, ['-m', 'comment', '--comment', q(`other traffic to ${p.spn} will be dropped by KUBE-PROXY-FIREWALL`)]);
  }
  if (usesClusterPolicyChain) {
    nat.chain(p.svc);
    writeServiceToEndpointRules(k, p, p.svc, clusterEps);
  }
  if (usesLocalPolicyChain) {
    nat.chain(p.svl);
    writeServiceToEndpointRules(k, p, p.svl, localEps);
  }
  for (const e of reachable) writeEndpointChain(k, p, e);
}

function writeLegacyService(k: Ctx, p: PortView): void {
  const { filter, nat } = k;
  const hasEndpoints = p.endpoints.length > 0;
  const localEps = p.eTPLocal ? p.endpoints.filter((e) => e.local) : [];
  const loopback = k.family === 'ipv4' ? '127.0.0.0/8' : '::1/128';
  const ifNotLocal = (chain: string) => (k.clusterCIDR ? ['!', '-s', k.clusterCIDR, '-j', chain] : ['-j', chain]);

  for (const e of p.endpoints) writeEndpointChain(k, p, e);
  if (hasEndpoints) nat.chain(p.svc);
  if (p.eTPLocal) nat.chain(p.xlb);

  // Capture the clusterIP.
  if (hasEndpoints) {
    const args = ['-m', 'comment', '--comment', q(`${p.spn} cluster IP`), ...portMatch(p, p.clusterIP, p.port)];
    if (k.masqueradeAll) nat.rule(p.svc, [...args, '-j', 'KUBE-MARK-MASQ']);
    else if (k.clusterCIDR) nat.rule(p.svc, [...args, '!', '-s', k.clusterCIDR, '-j', 'KUBE-MARK-MASQ']);
    nat.rule('KUBE-SERVICES', [...args, '-j', p.svc]);
  } else {
    filter.rule('KUBE-SERVICES', ['-m', 'comment', '--comment', q(`${p.spn} has no endpoints`), ...portMatch(p, p.clusterIP, p.port), '-j', 'REJECT']);
  }
  // Capture externalIPs.
  for (const ip of p.externalIPs) {
    if (hasEndpoints) {
      const args = ['-m', 'comment', '--comment', q(`${p.spn} external IP`), ...portMatch(p, ip, p.port)];
      let dest = p.xlb;
      if (!p.eTPLocal) {
        nat.rule(p.svc, [...args, ...ifNotLocal('KUBE-MARK-MASQ')]);
        dest = p.svc;
      }
      nat.rule('KUBE-SERVICES', [...args, '-j', dest]);
    } else {
      filter.rule('KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', q(`${p.spn} has no endpoints`), ...portMatch(p, ip, p.port), '-j', 'REJECT']);
    }
  }
  // Capture load-balancer ingress.
  for (const ip of p.lbIPs) {
    if (hasEndpoints) {
      nat.chain(p.fw);
      nat.rule('KUBE-SERVICES', ['-m', 'comment', '--comment', q(`${p.spn} loadbalancer IP`), ...portMatch(p, ip, p.port), '-j', p.fw]);
      const args = ['-m', 'comment', '--comment', q(`${p.spn} loadbalancer IP`)];
      let chosen = p.xlb;
      if (!p.eTPLocal) {
        nat.rule(p.fw, [...args, '-j', 'KUBE-MARK-MASQ']);
        chosen = p.svc;
      }
      if (p.sourceRanges.length === 0) {
        nat.rule(p.fw, [...args, '-j', chosen]);
      } else {
        let allowFromNode = false;
        for (const range of p.sourceRanges) {
          nat.rule(p.fw, [...args, '-s', range, '-j', chosen]);
          if (k.nodeIP !== null && cidrContains(parseCidr(range), k.nodeIP)) allowFromNode = true;
        }
        if (allowFromNode) nat.rule(p.fw, [...args, '-s', ip, '-j', chosen]);
      }
      // Whatever reaches the end of the firewall chain was not DNATed: mark it for dropping.
      nat.rule(p.fw, [...args, '-j', 'KUBE-MARK-DROP']);
    } else {
      filter.rule('KUBE-EXTERNAL-SERVICES', ['-m', 'comment', '--comment', q(`${p.spn} has no endpoints`), ...portMatch(p, ip, p.port), '-j', 'REJECT']);
    }
  }
  // Capture nodeports.
  if (p.nodePort !== null) {
    if (hasEndpoints) {
      const args = ['-m', 'comment', '--comment', p.spn, '-m', p.proto, '-p', p.proto, '--dport', p.nodePort];
      if (!p.eTPLocal) {
        nat.rule(p.svc, [...args, '-j', 'KUBE-MARK-MASQ']);
        nat.rule('KUBE-NODEPORTS', [...args, '-j', p.svc]);
      } else {
        nat.rule('KUBE-NODEPORTS', [...args, '-s', loopback, '-j', 'KUBE-MARK-MASQ']);
        nat.rule('KUBE-NODEPORTS', [...args, '-j', p.xlb]);
      }
    } else {
      filter.rule('KUBE-EXTERNAL-SERVICES', [
        '-m', 'comment', '--comment', q(`${p.spn} has no endpoints`),
        '-m', 'addrtype', '--dst-type', 'LOCAL',
        '-m', p.proto, '-p', p.proto, '--dport', p.nodePort,
        '-j', 'REJECT',
      ]);
    }
  }
  if (p.healthCheckNodePort !== null) {
    filter.rule('KUBE-NODEPORTS', [
      '-m', 'comment', '--comment', q(`${p.spn} health check node port`),
      '-m', 'tcp', '-p', 'tcp', '--dport', String(p.healthCheckNodePort), '-j', 'ACCEPT',
    ]);
  }
  if (!hasEndpoints) return;
  writeServiceToEndpointRules(k, p, p.svc, p.endpoints);
  if (!p.eTPLocal) return;
  if (k.clusterCIDR) {
    nat.rule(p.xlb, ['-m', 'comment', '--comment', q('Redirect pods trying to reach external loadbalancer VIP to clusterIP'), '-s', k.clusterCIDR, '-j', p.svc]);
  }
  nat.rule(p.xlb, ['-m', 'comment', '--comment', q(`masquerade LOCAL traffic for ${p.spn} LB IP`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'KUBE-MARK-MASQ']);
  nat.rule(p.xlb, ['-m', 'comment', '--comment', q(`route LOCAL traffic for ${p.spn} LB IP to service chain`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', p.svc]);
  if (localEps.length === 0) {
    nat.rule(p.xlb, ['-m', 'comment', '--comment', q(`${p.spn} has no local endpoints`), '-j', 'KUBE-MARK-DROP']);
  } else {
    writeServiceToEndpointRules(k, p, p.xlb, localEps);
  }
}

type Jump = readonly [table: 'filter' | 'nat', from: string, args: readonly string[]];

const NEW = ['-m', 'conntrack', '--ctstate', 'NEW'];
const jumpArgs = (extra: readonly string[], comment: string, to: string) => [...extra, '-m', 'comment', '--comment', q(comment), '-j', to];

/**
 * The built-in chains' jumps as a node shows them: kube-proxy prepends its jumps in the order
 * of its iptablesJumpChains list (so they end up reversed per chain); kubelet's
 * `-j KUBE-FIREWALL` was there first and stays last.
 */
function builtinJumps(layout: 'current' | 'legacy'): Jump[] {
  const common: Jump[] = [
    ['nat', 'PREROUTING', jumpArgs([], 'kubernetes service portals', 'KUBE-SERVICES')],
    ['nat', 'OUTPUT', jumpArgs([], 'kubernetes service portals', 'KUBE-SERVICES')],
    ['nat', 'POSTROUTING', jumpArgs([], 'kubernetes postrouting rules', 'KUBE-POSTROUTING')],
  ];
  const fw = layout === 'current';
  return [
    ...(fw ? [['filter', 'INPUT', jumpArgs(NEW, 'kubernetes load balancer firewall', 'KUBE-PROXY-FIREWALL')] as Jump] : []),
    ['filter', 'INPUT', jumpArgs([], 'kubernetes health check service ports', 'KUBE-NODEPORTS')],
    ['filter', 'INPUT', jumpArgs(NEW, 'kubernetes externally-visible service portals', 'KUBE-EXTERNAL-SERVICES')],
    ['filter', 'INPUT', ['-j', 'KUBE-FIREWALL']],
    ...(fw ? [['filter', 'FORWARD', jumpArgs(NEW, 'kubernetes load balancer firewall', 'KUBE-PROXY-FIREWALL')] as Jump] : []),
    ['filter', 'FORWARD', jumpArgs([], 'kubernetes forwarding rules', 'KUBE-FORWARD')],
    ['filter', 'FORWARD', jumpArgs(NEW, 'kubernetes service portals', 'KUBE-SERVICES')],
    ['filter', 'FORWARD', jumpArgs(NEW, 'kubernetes externally-visible service portals', 'KUBE-EXTERNAL-SERVICES')],
    ...(fw ? [['filter', 'OUTPUT', jumpArgs(NEW, 'kubernetes load balancer firewall', 'KUBE-PROXY-FIREWALL')] as Jump] : []),
    ['filter', 'OUTPUT', jumpArgs(NEW, 'kubernetes service portals', 'KUBE-SERVICES')],
    ['filter', 'OUTPUT', ['-j', 'KUBE-FIREWALL']],
    ...common,
  ];
}

const LOCALNET_RULE = [
  '-m', 'comment', '--comment', q('block incoming localnet connections'),
  '-d', '127.0.0.0/8', '!', '-s', '127.0.0.0/8',
  '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT',
  '-j', 'DROP',
];

/** The ruleset kube-proxy (and kubelet around it) would have on the node, as one text. */
export function generateKubeProxyRules(spec: ClusterSpec, options: GenerateOptions = {}): string {
  const layout = options.layout ?? 'current';
  const form = options.form ?? 'save';
  const counters = options.counters ?? 'none';
  const family = spec.ipFamily ?? 'ipv4';
  const localhostNodePorts = family === 'ipv4' && (options.localhostNodePorts ?? true);
  const views = spec.services.flatMap(portViews);
  const checkFamily = (spn: string, a: string) => {
    if (familyOf(a) !== family) throw new Error(`${spn}: address ${a} is not ${family}`);
  };
  for (const v of views) {
    checkFamily(v.spn, v.clusterIP);
    for (const a of v.externalIPs) checkFamily(v.spn, a);
    for (const a of v.lbIPs) checkFamily(v.spn, a);
    for (const e of v.endpoints) checkFamily(v.spn, e.ip);
  }
  const totalEndpoints = views.reduce((n, v) => n + v.endpoints.length, 0);
  const filter = new GenTable('filter', form, family);
  const nat = new GenTable('nat', form, family);
  const k: Ctx = {
    family,
    filter,
    nat,
    largeCluster: totalEndpoints > (options.largeClusterThreshold ?? 1000),
    clusterCIDR: spec.clusterCIDR ? canonicalCidr(spec.clusterCIDR) : null,
    masqueradeAll: spec.masqueradeAll === true,
    nodeIP: spec.nodeIPs.find((ip) => familyOf(ip) === family) ?? null,
    layout,
  };

  for (const [table, from, args] of builtinJumps(layout)) (table === 'filter' ? filter : nat).rule(from, args);

  if (layout === 'current') {
    for (const c of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) filter.chain(c);
  } else {
    for (const c of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS']) filter.chain(c);
  }
  for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) nat.chain(c);

  nat.rule('KUBE-POSTROUTING', ['-m', 'mark', '!', '--mark', `${MASQ_MARK}/${MASQ_MARK}`, '-j', 'RETURN']);
  nat.rule('KUBE-POSTROUTING', ['-j', 'MARK', '--xor-mark', MASQ_MARK]);
  nat.rule('KUBE-POSTROUTING', [
    '-m', 'comment', '--comment', q('kubernetes service traffic requiring SNAT'), '-j', 'MASQUERADE',
    ...(options.randomFully === false ? [] : ['--random-fully']),
  ]);
  nat.rule('KUBE-MARK-MASQ', ['-j', 'MARK', '--or-mark', MASQ_MARK]);

  if (layout === 'current') {
    // kube-proxy's copy of kubelet's KUBE-FIREWALL (IPv4 with localhost node ports only); the
    // chain itself always exists, kube-proxy ensures it for the INPUT/OUTPUT jumps.
    filter.chain('KUBE-FIREWALL');
    if (localhostNodePorts) filter.rule('KUBE-FIREWALL', LOCALNET_RULE);
  } else {
    // kubelet's chains of that era.
    nat.chain('KUBE-MARK-DROP');
    nat.rule('KUBE-MARK-DROP', ['-j', 'MARK', '--or-mark', DROP_MARK]);
    filter.chain('KUBE-FIREWALL');
    filter.rule('KUBE-FIREWALL', ['-m', 'comment', '--comment', q('kubernetes firewall for dropping marked packets'), '-m', 'mark', '--mark', `${DROP_MARK}/${DROP_MARK}`, '-j', 'DROP']);
    if (family === 'ipv4') filter.rule('KUBE-FIREWALL', LOCALNET_RULE);
  }

  for (const v of views) (layout === 'current' ? writeCurrentService : writeLegacyService)(k, v);

  const nodePortsArgs = ['-m', 'comment', '--comment', NODEPORTS_LAST, '-m', 'addrtype', '--dst-type', 'LOCAL'];
  if (layout === 'current' && family === 'ipv6') nodePortsArgs.push('!', '-d', '::1/128');
  else if (layout === 'current' && !localhostNodePorts) nodePortsArgs.push('!', '-d', '127.0.0.0/8');
  nat.rule('KUBE-SERVICES', [...nodePortsArgs, '-j', 'KUBE-NODEPORTS']);

  filter.rule('KUBE-FORWARD', ['-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP']);
  filter.rule('KUBE-FORWARD', ['-m', 'comment', '--comment', q('kubernetes forwarding rules'), '-m', 'mark', '--mark', `${MASQ_MARK}/${MASQ_MARK}`, '-j', 'ACCEPT']);
  filter.rule('KUBE-FORWARD', ['-m', 'comment', '--comment', q('kubernetes forwarding conntrack rule'), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']);

  const out: string[] = [];
  if (form === 'restore') {
    renderRestore(out, filter, family, counters);
    renderRestore(out, nat, family, counters);
  } else {
    const header = `${family === 'ipv4' ? 'iptables' : 'ip6tables'}-save v1.8.9 (nf_tables)`;
    const date = options.date ?? DEFAULT_SAVE_DATE;
    renderSave(out, filter, family, counters, header, date);
    renderSave(out, nat, family, counters, header, date);
  }
  return out.join('\n') + '\n';
}
