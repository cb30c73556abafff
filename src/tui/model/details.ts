/**
 * What the detail line under each list says about the selected row: the row whole, so that
 * whatever a column cut (an id, a rule, a comment, a reason) can be read at 80x24. And how many
 * lines a list's detail takes: enough for its longest row, found once per list and width, so
 * the list does not change height as the selection moves.
 */
import { hostPort } from '../../core/index.js';
import type { RuleRow, ServiceRow } from './explorer-data.js';
import { display, humanCount, percent, plural } from './format.js';
import type { TreeRow } from './service-tree.js';

/**
 * "default/nginx · NodePort · 10.32.0.61:80/tcp · node port 30783 · 1 endpoint · policy Cluster ·
 * 1 pkts" (and "· 3 connections" when a conntrack table is loaded).
 */
export function serviceDetail(r: ServiceRow, connections: number | null = null): string {
  const rules = serviceRuleDetail(r);
  const counted = r.packets === null ? rules : rules + packetsDetail(r.packets);
  return connections === null ? counted : `${counted} · ${plural(connections, 'connection')}`;
}

/** serviceDetail up to its packet count: what follows from the rules alone, the same over a live refresh's new counts. */
export function serviceRuleDetail(r: ServiceRow): string {
  const s = r.service;
  const parts = [s.id, r.type, r.cluster];
  if (s.nodePort !== null) parts.push(`node port ${s.nodePort}`);
  for (const ip of s.externalIPs) parts.push(`external ${s.port === null ? ip : hostPort(ip, s.port)}`);
  for (const ip of s.loadBalancerIPs) parts.push(`LB ${s.port === null ? ip : hostPort(ip, s.port)}`);
  parts.push(`${plural(r.endpointsTotal, 'endpoint')}${r.endpointsLocal === null ? '' : ` (${r.endpointsLocal} local)`}`);
  if (r.policy !== '-') parts.push(`policy ${r.policy}`);
  return parts.join(' · ');
}

const packetsDetail = (packets: number): string => ` · ${humanCount(packets)} pkts`;

/** display(serviceDetail(r)).length, given `ruleLength`, display(serviceRuleDetail(r)).length. */
export function serviceDetailLength(r: ServiceRow, ruleLength: number): number {
  return r.packets === null ? ruleLength : ruleLength + display(packetsDetail(r.packets)).length;
}

/** The rule as written when the list shows readable summaries, and the summary when it shows rules as written. */
export function ruleDetail(r: RuleRow, raw: boolean): string {
  const handle = r.rule.nft?.handle != null ? ` handle ${r.rule.nft.handle}` : '';
  return `#${r.rule.index}${handle} line ${r.rule.line}: ${raw ? r.summary : r.rule.text}`;
}

/**
 * A tree row whole: an endpoint with its chain and counts (and `connections`, what its live
 * connections are, when a conntrack table is loaded), an outcome with its reason, a step with its
 * rule as written and its count.
 */
export function treeDetail(r: TreeRow, connections: string | null = null): string {
  if (r.kind === 'endpoint' && r.endpoint) {
    const e = r.endpoint;
    const parts = [r.text, e.chain, `chance ${percent(e.probability)}`, e.local === null ? 'locality unknown' : e.local ? 'on this node' : 'on another node'];
    // Before the packet counts: in nftables mode connections are the only live figure.
    if (connections !== null) parts.push(connections);
    if (e.packets !== null) parts.push(`${humanCount(e.packets)} pkts${r.share === null || r.share === undefined ? '' : ` (${percent(r.share)} of the service's)`}`);
    if (e.problem) parts.push(e.problem);
    // nftables session affinity: the clients its set pins to this endpoint, with their expiry.
    for (const c of r.pinned ?? []) parts.push(`pinned ${c.client}${c.expiresInSeconds === null ? '' : ` (expires in ${Math.round(c.expiresInSeconds)} s)`}`);
    const dnat = r.rule ?? e.nftDnatRule ?? null;
    parts.push(dnat ? `Enter opens its DNAT rule #${dnat.index}` : 'no DNAT rule');
    return parts.join(' · ');
  }
  if (!r.rule) return r.text;
  const count = r.counters ? `${humanCount(r.counters.packets)} pkts` : '';
  const note =
    r.countersNote === 'others'
      ? ` · ${count}, other services' packets too (*)`
      : r.countersNote === 'shared'
        ? ` · ${count}, every entry point of this service that passes it (*)`
        : r.countersNote === 'repeat'
          ? ` · ${count} (^ shown above)`
          : '';
  return `${r.text} · ${r.rule.text}${note}`;
}

/** Lines (1 to `max`) that the longest of `texts` needs at `width`. */
export function detailHeight(texts: Iterable<string>, width: number, max: number): number {
  let longest = 0;
  for (const t of texts) longest = Math.max(longest, display(t).length);
  return linesFor(longest, width, max);
}

/** Lines (1 to `max`) a detail of `longest` characters (as displayed) needs at `width`. */
export function linesFor(longest: number, width: number, max: number): number {
  if (width <= 0) return 1;
  // wrapText fills lines to the edge when breaking at spaces would need more: this many always do.
  return Math.max(1, Math.min(max, Math.ceil(longest / width)));
}

/**
 * A service row that stands out in the list: no endpoints (kube-proxy rejects its traffic), or
 * none on this node under a Local policy (traffic that must stay on the node is dropped).
 */
export function needsAttention(r: ServiceRow): boolean {
  if (r.endpointsTotal === 0) return true;
  const local = r.service.externalTrafficPolicy === 'Local' || r.service.internalTrafficPolicy === 'Local';
  return local && r.endpointsLocal === 0;
}
