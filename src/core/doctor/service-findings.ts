/** Findings about one service port, read from the kube model: no endpoints, none here, source ranges. */
import { findChain, ruleComment } from '../parse/query.js';
import type { Rule, Ruleset, TableName } from '../parse/types.js';
import { hostPort } from '../trace/addr.js';
import type { KubeModel, NftElementRef, ServicePort } from '../kube/types.js';
import { finding, rulePlace } from './place.js';
import type { DoctorContext, Finding, Place } from './types.js';

export function serviceFindings(ruleset: Ruleset, model: KubeModel, context: DoctorContext): Finding[] {
  const out: Finding[] = [];
  for (const s of model.services) {
    if (s.endpoints.length === 0) {
      const f = noEndpoints(ruleset, s);
      if (f !== null) out.push(f);
    }
    else if (s.externalTrafficPolicy === 'Local' && s.endpoints.every((e) => e.local === false)) {
      const f = noLocalEndpoints(ruleset, s, context);
      if (f !== null) out.push(f);
    }
    if (s.loadBalancerSourceRanges.length > 0) out.push(sourceRanges(s));
  }
  return out;
}

/**
 * A service the dump shows without endpoints: kube-proxy's "has no endpoints" rule, or its own
 * chain present with no endpoint in it. A service the dump only mentions (a partial restore
 * that leaves its unchanged chains out, a firewall rule) is not known to have none: null.
 */
function noEndpoints(ruleset: Ruleset, s: ServicePort): Finding | null {
  if (s.mode === 'nftables') return nftNoEndpoints(s);
  const reject = blockingRule(s, ' has no endpoints');
  const own = [s.chains.svc, s.chains.svl].find((c) => c !== undefined && findChain(ruleset, 'nat', c, s.family) !== undefined);
  if (reject === undefined && own === undefined) return null;
  const refused = reject === undefined ? 'its traffic is sent to no pod' : `kube-proxy ${reject.target === 'DROP' ? 'drops' : 'rejects'} its traffic`;
  return finding('no-endpoints', 'warning', reject ? rulePlace(reject) : serviceChainPlace(s, own), {
    service: s.id,
    message: `${s.id} (${frontends(s)}) has no endpoints: ${refused}`,
    hint: `check that pods match the service's selector and are ready: kubectl -n ${s.namespace} get endpointslices -l kubernetes.io/service-name=${s.name}`,
  });
}

/** Known from kube-proxy's "has no local endpoints" rule, or from the external chain present with no local endpoint. */
function noLocalEndpoints(ruleset: Ruleset, s: ServicePort, context: DoctorContext): Finding | null {
  const drop = blockingRule(s, ' has no local endpoints');
  const own = [s.chains.ext, s.chains.xlb].find((c) => c !== undefined && findChain(ruleset, 'nat', c, s.family) !== undefined);
  const nftDrop = s.mode === 'nftables' ? s.blockingElements?.[0] : undefined;
  if (drop === undefined && own === undefined && nftDrop === undefined) return null;
  const place = nftDrop ? nftElementPlace(s, nftDrop) : drop ? rulePlace(drop) : serviceChainPlace(s, own);
  return finding('no-local-endpoints', 'info', place, {
    service: s.id,
    message: `${s.id} has externalTrafficPolicy Local and ${s.endpoints.length} endpoint(s), none on this node: external traffic to this node's ${externalFrontends(s)} is dropped${nodeText(context)}`,
    hint: 'expected when the load balancer health-checks nodes (healthCheckNodePort); otherwise run a pod of the service on this node or use externalTrafficPolicy Cluster',
  });
}

function sourceRanges(s: ServicePort): Finding {
  const ips = s.loadBalancerIPs.length > 0 ? s.loadBalancerIPs.join(', ') : 'its load-balancer IPs';
  return finding('source-ranges', 'info', serviceChainPlace(s, s.chains.fw), {
    service: s.id,
    message: `${s.id}: load-balancer traffic to ${ips} is accepted only from ${s.loadBalancerSourceRanges.join(', ')}; other sources are dropped`,
    hint: 'a client outside these ranges is refused by design; change loadBalancerSourceRanges to allow it',
  });
}

/** The filter rule kube-proxy wrote for the service with a comment ending in `suffix`. */
function blockingRule(s: ServicePort, suffix: string): Rule | undefined {
  return s.blockingRules.find((r) => (ruleComment(r) ?? '').endsWith(suffix));
}

/**
 * nftables mode: kube-proxy put the service in no-endpoint-services / no-endpoint-nodeports
 * (reject, or drop for external traffic); a service whose own chain is there but empty of
 * endpoints sends its traffic nowhere.
 */
function nftNoEndpoints(s: ServicePort): Finding | null {
  const element = s.blockingElements?.[0];
  if (element === undefined && s.chains.svc === undefined) return null;
  const data = element?.element.data;
  const drops = data !== null && data !== undefined && typeof data === 'object' && !Array.isArray(data) && 'drop' in data;
  const refused = element === undefined ? 'its traffic is sent to no pod' : `kube-proxy ${drops ? 'drops' : 'rejects'} its traffic`;
  return finding('no-endpoints', 'warning', element ? nftElementPlace(s, element) : serviceChainPlace(s, s.chains.svc), {
    service: s.id,
    message: `${s.id} (${frontends(s)}) has no endpoints: ${refused}`,
    hint: `check that pods match the service's selector and are ready: kubectl -n ${s.namespace} get endpointslices -l kubernetes.io/service-name=${s.name}`,
  });
}

/** An nft map element as a place: its table ("ip kube-proxy") and "@map" where a chain would be. */
function nftElementPlace(s: ServicePort, ref: NftElementRef): Place {
  return { family: s.family, table: `${ref.set.family} ${ref.set.table}` as TableName, chain: `@${ref.set.name}`, rule: null };
}

export function serviceChainPlace(s: ServicePort, chain: string | undefined): Place | null {
  if (chain !== undefined && s.mode === 'nftables') return { family: s.family, table: s.family === 'ipv6' ? 'ip6 kube-proxy' : 'ip kube-proxy', chain, rule: null };
  if (chain !== undefined) return { family: s.family, table: 'nat', chain, rule: null };
  const entry = s.entryPoints[0];
  return entry?.rule ? rulePlace(entry.rule) : null;
}

function frontends(s: ServicePort): string {
  const parts: string[] = [];
  if (s.clusterIP !== null) parts.push(s.port === null ? s.clusterIP : hostPort(s.clusterIP, s.port));
  if (s.nodePort !== null) parts.push(`node port ${s.nodePort}`);
  parts.push(s.protocol);
  return parts.join(', ');
}

function externalFrontends(s: ServicePort): string {
  const parts: string[] = [];
  if (s.nodePort !== null) parts.push(`node port ${s.nodePort}`);
  for (const ip of [...s.externalIPs, ...s.loadBalancerIPs]) parts.push(s.port === null ? ip : hostPort(ip, s.port));
  return parts.length > 0 ? parts.join(', ') : 'external addresses';
}

/** " (node 172.16.1.10)" when the node's addresses are known: where the traffic is dropped. */
function nodeText(context: DoctorContext): string {
  return context.nodeAddresses.length > 0 ? ` (node ${context.nodeAddresses.join(', ')})` : '';
}
