/**
 * NftRuleset -> KubeModel: kube-proxy's nftables services, read from its maps (nftables.md §2-4).
 * service-ips / service-nodeports name the ways in, firewall-ips the source-range checks,
 * no-endpoint-* the services that are refused (their element comments name them); each service's
 * chains give its endpoints (numgen vmap -> endpoint-… -> dnat), policies and affinity.
 *
 * External IPs and load-balancer IPs both `goto external-…` and nothing in the dump tells them
 * apart, except that an address in firewall-ips (loadBalancerSourceRanges) is a load balancer's:
 * every other one is listed under externalIPs, as the iptables model does for refused services.
 */
import { EMPTY } from '../../kube/lists.js';
import { compareServices, modelFromServices } from '../../kube/model.js';
import type { AffinityClient, Endpoint, EndpointProblem, EntryKind, KubeModel, ServicePort, TrafficPolicy } from '../../kube/types.js';
import { compareIp, parseIp } from '../../trace/addr.js';
import { elementText, exprText } from '../expr.js';
import { parseEndpointChainName } from '../names.js';
import type { NftRuleset, NftTable } from '../types.js';
import { affinityByEndpoint, dnatRule, loadBalancing, ruleTargets, sourceRanges } from './chains.js';
import { readServiceGroups, type Group } from './groups.js';

/** A kube-proxy table: the one holding its dispatch map or chain (any name, ip or ip6 or inet). */
export function isKubeProxyTable(t: NftTable): boolean {
  return t.setsByName.has('service-ips') || t.chainsByName.has('services');
}

export function buildNftKubeModel(nft: NftRuleset): KubeModel {
  const services: ServicePort[] = [];
  let kube = false;
  for (const table of nft.tables) {
    if (!isKubeProxyTable(table)) continue;
    kube = true;
    for (const g of readServiceGroups(table)) services.push(finish(table, g));
  }
  services.sort(compareServices);
  return modelFromServices(services, kube ? 'current' : 'none');
}

const ENTRY_ORDER: readonly EntryKind[] = ['clusterIP', 'nodePort', 'externalIP', 'loadBalancer'];

/** Addresses in numeric order (IPv4 before IPv6), unparsable ones last by text. */
function compareAddresses(a: string, b: string): number {
  const x = parseIp(a);
  const y = parseIp(b);
  if (x && y) return compareIp(x, y);
  if (x || y) return x ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Map elements come in hash order (the kernel's listing differs from the input's): everything
 * read from them is sorted, so that every form of one ruleset gives the same model.
 */
function sortFromElements(g: Group): void {
  g.externalIPs.sort(compareAddresses);
  g.loadBalancerIPs.sort(compareAddresses);
  g.entries.sort((a, b) => ENTRY_ORDER.indexOf(a.kind) - ENTRY_ORDER.indexOf(b.kind) || compareAddresses(a.address ?? '', b.address ?? '') || a.port - b.port);
  g.blocking.sort((a, b) => (a.set.name < b.set.name ? -1 : a.set.name > b.set.name ? 1 : 0) || compareText(elementText(a.element), elementText(b.element)));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One ServicePort from its group: endpoints, policies and affinity from its chains, ranges from its firewall chain. */
function finish(table: NftTable, g: Group): ServicePort {
  sortFromElements(g);
  const chainOf = (name: string | undefined) => (name === undefined ? undefined : table.chainsByName.get(name));
  // external-… leads to service-… and (eTP=Local with local endpoints) local-…
  let etpLocal = g.dropsExternal;
  const ext = chainOf(g.chains.ext);
  for (const rule of ext?.rules ?? []) {
    for (const t of ruleTargets(rule)) {
      if (t.target.startsWith('service-')) {
        g.chains.svc ??= t.target;
        // Only eTP=Local short-circuits pods and the node; eTP=Cluster goes to service-… for all.
        if (t.conditional) etpLocal = true;
      } else if (t.target.startsWith('local-')) {
        g.chains.svl ??= t.target;
        etpLocal = true;
      }
    }
  }
  const internalTrafficPolicy: TrafficPolicy = g.clusterToLocal ? 'Local' : 'Cluster';
  const external = g.nodePort !== null || g.externalIPs.length > 0 || g.loadBalancerIPs.length > 0;
  const externalTrafficPolicy: TrafficPolicy | null = external ? (etpLocal ? 'Local' : 'Cluster') : null;

  const svc = loadBalancing(chainOf(g.chains.svc));
  const svl = loadBalancing(chainOf(g.chains.svl));
  const localKnown = svl.length > 0 || g.chains.svl !== undefined || externalTrafficPolicy === 'Local' || internalTrafficPolicy === 'Local';
  const localChains = new Set(svl.map((e) => e.chain));
  const endpoints: Endpoint[] = [];
  const affinityClients: AffinityClient[] = [];
  let affinitySeconds: number | null = null;
  const affinitySets = affinityByEndpoint(table, [chainOf(g.chains.svc), chainOf(g.chains.svl)]);
  const addEndpoint = (ep: { chain: string; probability: number }, local: boolean | null) => {
    const chain = table.chainsByName.get(ep.chain);
    const dnat = chain ? dnatRule(chain) : null;
    const problem: EndpointProblem | null = dnat ? null : chain ? 'empty-endpoint-chain' : 'missing-endpoint-chain';
    const address = dnat?.address ?? parseEndpointChainName(ep.chain)?.address ?? null;
    const counters = dnat?.rule.counters ?? null;
    endpoints.push({
      address, chain: ep.chain, problem, probability: ep.probability, local,
      packets: counters ? counters.packets : null, bytes: counters ? counters.bytes : null,
      dnatRule: null, nftDnatRule: dnat?.rule ?? null,
    });
    const aff = affinitySets.get(ep.chain);
    if (aff) {
      affinitySeconds ??= aff.timeout;
      for (const el of aff.elements) {
        affinityClients.push({ endpoint: address ?? ep.chain, client: exprText(el.key), expiresInSeconds: el.expires });
      }
    }
  };
  for (const ep of svc) addEndpoint(ep, localKnown ? localChains.has(ep.chain) : null);
  for (const ep of svl) if (!svc.some((s) => s.chain === ep.chain)) addEndpoint(ep, true);
  affinityClients.sort((a, b) => compareAddresses(a.endpoint, b.endpoint) || compareAddresses(a.client, b.client));

  const counted = endpoints.filter((e) => e.packets !== null);
  const id = g.id ?? g.chains.svc ?? g.chains.ext ?? g.chains.svl ?? g.chains.fw ?? 'unknown';
  const [namespace, rest] = splitAt(id, '/');
  const [name, portName] = splitAt(rest, ':');
  return {
    id,
    namespace,
    name,
    portName: portName === '' ? null : portName,
    protocol: g.protocol ?? 'tcp',
    family: g.family,
    clusterIP: g.clusterIP,
    port: g.port,
    nodePort: g.nodePort,
    healthCheckNodePort: null,
    externalIPs: g.externalIPs.length > 0 ? g.externalIPs : EMPTY,
    loadBalancerIPs: g.loadBalancerIPs.length > 0 ? g.loadBalancerIPs : EMPTY,
    loadBalancerSourceRanges: sourceRanges(chainOf(g.chains.fw), g.loadBalancerIPs),
    externalTrafficPolicy,
    internalTrafficPolicy,
    sessionAffinitySeconds: affinitySeconds,
    chains: g.chains,
    endpoints,
    packets: counted.length > 0 ? counted.reduce((s, e) => s + e.packets!, 0) : null,
    bytes: counted.length > 0 ? counted.reduce((s, e) => s + (e.bytes ?? 0), 0) : null,
    entryPoints: g.entries,
    blockingRules: EMPTY,
    mode: 'nftables',
    blockingElements: g.blocking,
    affinityClients,
  };
}

function splitAt(text: string, sep: string): [string, string] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}
