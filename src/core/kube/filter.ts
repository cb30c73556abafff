/**
 * The filter side: REJECT "has no endpoints", DROP "has no local endpoints", DROP "traffic not
 * accepted by KUBE-FW-…" and the health-check ACCEPT. They add services that have no nat rules
 * at all, the addresses such services answer on, and the reasons traffic is refused.
 */
import { WordScanner } from '../parse/scanner.js';
import { chainRows } from '../parse/rule.js';
import type { Chain } from '../parse/types.js';
import { serviceIdFromComment } from './comments.js';
import type { Group, ServiceIndex } from './group.js';
import type { KernelTable } from './kernel-table.js';
import { addUnique, listHas } from './lists.js';
import { destination, factsProtocol, toPort } from './rule-values.js';
import { scanRule, type RuleFacts } from './scan.js';
import type { EntryKind } from './types.js';

const FILTER_CHAINS = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-PROXY-FIREWALL', 'KUBE-NODEPORTS'] as const;
const NOT_ACCEPTED_BY = ' traffic not accepted by ';

export function readFilterRules(index: ServiceIndex, filter: KernelTable): void {
  const healthChecks: { id: string; port: number | null }[] = [];
  for (const chainName of FILTER_CHAINS) {
    const chain = filter.chain(chainName);
    if (!chain) continue;
    const rows = chainRows(chain);
    const words = new WordScanner();
    const n = rows.size;
    for (let i = 0; i < n; i++) {
      const target = rows.targetAt(i);
      if (chainName === 'KUBE-NODEPORTS' ? target !== 'ACCEPT' : target !== 'REJECT' && target !== 'DROP') {
        continue;
      }
      const facts = scanRule(rows.textAt(i), words);
      const comment = facts.comment;
      if (comment === undefined) continue;
      if (chainName === 'KUBE-NODEPORTS') {
        const id = comment.endsWith(' health check node port') ? serviceIdFromComment(comment) : null;
        if (id !== null) healthChecks.push({ id, port: toPort(facts.dport) });
        continue;
      }
      let group: Group | undefined;
      if (chainName === 'KUBE-PROXY-FIREWALL') {
        const at = comment.indexOf(NOT_ACCEPTED_BY);
        if (at > 0) group = index.chainGroup(comment.slice(at + NOT_ACCEPTED_BY.length), -1);
      }
      if (!group) {
        const id = serviceIdFromComment(comment);
        if (id === null) continue;
        group = index.named(id, factsProtocol(facts));
      }
      applyFilterRule(group, chainName, chain, i, facts, comment);
    }
  }
  for (const hc of healthChecks) {
    // The health check port is always TCP, whatever the service's protocol.
    const g = index.byId(hc.id);
    if (!g) continue;
    g.healthCheckNodePort = hc.port;
    g.etpLocalHint = true;
  }
}

function applyFilterRule(g: Group, chainName: string, chain: Chain, at: number, facts: RuleFacts, comment: string): void {
  (g.blockingRules ??= []).push(chainRows(chain).ruleAt(at));
  const address = destination(facts);
  const port = toPort(facts.dport);
  const noLocal = comment.endsWith(' has no local endpoints');
  if (g.port === null && port !== null && chainName !== 'KUBE-EXTERNAL-SERVICES') g.port = port;
  if (chainName === 'KUBE-SERVICES') {
    if (noLocal) g.itpLocalHint = true;
    if (address === null) return;
    if (g.clusterIP === null) {
      g.clusterIP = address;
      addFilterEntry(g, 'clusterIP', address, port, chain, at);
    } else if (address !== g.clusterIP) {
      // Older kube-proxy rejected load-balancer IPs of services without endpoints here too.
      addUnique((g.loadBalancerIPs ??= []), address);
      addFilterEntry(g, 'loadBalancer', address, port, chain, at);
    }
  } else if (chainName === 'KUBE-EXTERNAL-SERVICES') {
    if (noLocal) g.etpLocalHint = true;
    if (address === null) {
      if (port !== null && facts.dstType !== undefined) {
        if (g.nodePort === null) g.nodePort = port;
        addFilterEntry(g, 'nodePort', null, port, chain, at);
      }
      return;
    }
    if (g.port === null) g.port = port;
    if (listHas(g.externalIPs, address) || listHas(g.loadBalancerIPs, address)) return;
    // Both external and load-balancer IPs are refused here; without a nat rule there is no telling which.
    (g.externalIPs ??= []).push(address);
    addFilterEntry(g, 'externalIP', address, port, chain, at);
  } else if (chainName === 'KUBE-PROXY-FIREWALL') {
    if (address === null || listHas(g.loadBalancerIPs, address)) return;
    (g.loadBalancerIPs ??= []).push(address);
    addFilterEntry(g, 'loadBalancer', address, port, chain, at);
  }
}

/** Filter rules are entry points only where no nat rule already covers the address. */
function addFilterEntry(g: Group, kind: EntryKind, address: string | null, port: number | null, chain: Chain, at: number): void {
  if (port === null) return;
  for (const e of g.entries) if (e.kind === kind && e.address === address && e.port === port) return;
  g.entries.push({ kind, address, port, chain, at });
}
