/**
 * The nat side of a service: entry rules in KUBE-SERVICES / KUBE-NODEPORTS, the service chains
 * they lead to (SVC, EXT, SVL, FW, XLB) and, through the jumps, the KUBE-SEP chains and DNATs.
 */
import type { Chain, Rule } from '../parse/types.js';
import { entryComment, looksLikeServiceId, serviceIdFromComment } from './comments.js';
import { endpointDnat, splitEndpoints } from './endpoints.js';
import {
  addUnique,
  destination,
  factsProtocol,
  PROTOCOLS,
  serviceChainRole,
  toPort,
  unique,
  type Group,
  type LayoutSigns,
  type Role,
  type ServiceIndex,
  type TableSet,
} from './group.js';
import { portProtoHash } from './names.js';
import { scanRule, type RuleFacts } from './scan.js';
import type { EntryKind, TrafficPolicy } from './types.js';

/** Every jump from KUBE-SERVICES / KUBE-NODEPORTS to a service chain starts or extends a group. */
export function readNatEntries(index: ServiceIndex, nat: TableSet, layout: LayoutSigns): void {
  for (const entryChain of ['KUBE-SERVICES', 'KUBE-NODEPORTS'] as const) {
    const chain = nat.chain(entryChain);
    if (!chain) continue;
    const nodePorts = entryChain === 'KUBE-NODEPORTS';
    for (const rule of chain.rules) {
      const target = rule.target;
      if (target === null) continue;
      if (target === 'KUBE-MARK-MASQ') layout.legacy = true;
      const role = serviceChainRole(target);
      if (!role) continue;
      const group = index.forChain(target, role.hash);
      attachChains(group, target, nat, index.chainGroup);
      if (nodePorts && role.role === 'svc') layout.legacy = true;
      addNatEntry(group, rule, scanRule(rule.text), role.role, nodePorts);
    }
  }
}

/** Claim a chain and every service chain it jumps to (EXT -> SVC/SVL, FW -> EXT, XLB -> SVC). */
function attachChains(group: Group, start: string, nat: TableSet, chainGroup: Map<string, Group>): void {
  const stack = [start];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (chainGroup.has(name)) continue;
    const role = serviceChainRole(name);
    if (!role) continue;
    chainGroup.set(name, group);
    // Referenced but undeclared chains (partial syncs) are still named: it is what the rule jumps to.
    if (group.chains[role.role] === undefined) group.chains[role.role] = name;
    const chain = nat.chain(name);
    if (!chain) continue;
    for (const rule of chain.rules) {
      const t = rule.target;
      if (t !== null && !t.startsWith('KUBE-SEP-') && !chainGroup.has(t) && serviceChainRole(t)) stack.push(t);
    }
  }
}

function addNatEntry(group: Group, rule: Rule, facts: RuleFacts, role: Role, nodePorts: boolean): void {
  const protocol = factsProtocol(facts);
  if (group.protocol === null && protocol !== null) group.protocol = protocol;
  const port = toPort(facts.dport);
  const comment = facts.comment;
  const address = destination(facts);
  if (nodePorts) {
    // KUBE-NODEPORTS rules carry the bare id as comment.
    if (comment !== undefined && looksLikeServiceId(comment)) group.idCandidates.push(comment);
    if (port === null) return;
    if (group.nodePort === null) group.nodePort = port;
    group.entries.push({ kind: 'nodePort', address, port, rule });
    return;
  }
  const parsed = comment === undefined ? null : entryComment(comment);
  if (parsed) group.idCandidates.push(parsed.id);
  const kind: EntryKind = parsed?.kind ?? kindFromRole(role, group);
  if (kind === 'clusterIP') {
    if (group.clusterIP === null) {
      group.clusterIP = address;
      group.clusterTarget = role;
      if (port !== null) group.port = port;
    }
  } else {
    if (address !== null) addUnique(kind === 'externalIP' ? group.externalIPs : group.loadBalancerIPs, address);
    if (group.port === null && port !== null) group.port = port;
  }
  if (port !== null) group.entries.push({ kind, address, port, rule });
}

/** Without a comment, the target tells: FW chains serve load balancers, EXT/XLB external IPs. */
function kindFromRole(role: Role, group: Group): EntryKind {
  if (role === 'fw') return 'loadBalancer';
  if (role === 'ext' || role === 'xlb') return 'externalIP';
  return group.clusterIP === null ? 'clusterIP' : 'externalIP';
}

export function readServiceChains(g: Group, nat: TableSet, layout: LayoutSigns): void {
  const svc = g.chains.svc ? nat.chain(g.chains.svc) : undefined;
  if (svc) g.svcSplit = splitEndpoints(svc);
  // KUBE-SVL (current) or KUBE-XLB (older): the chains that only reach this node's endpoints.
  const localName = g.chains.svl ?? g.chains.xlb;
  const local = localName ? nat.chain(localName) : undefined;
  if (local) {
    g.localSplit = splitEndpoints(local);
    for (const r of g.localSplit.dropRules) g.blockingRules.push(r);
    if (g.localSplit.dropRules.length > 0) layout.legacy = true;
  }
  if (g.chains.xlb) layout.legacy = true;

  const ext = g.chains.ext ? nat.chain(g.chains.ext) : undefined;
  if (ext) g.extPolicy = extChainPolicy(ext);

  const fw = g.chains.fw ? nat.chain(g.chains.fw) : undefined;
  if (fw) {
    for (const rule of fw.rules) {
      const t = rule.target;
      if (t === null) continue;
      if (t === 'KUBE-MARK-DROP') {
        g.blockingRules.push(rule);
        layout.legacy = true;
        continue;
      }
      if (!serviceChainRole(t)) continue;
      const f = scanRule(rule.text);
      if (f.source !== undefined && !f.sourceNegated) addUnique(g.sourceRanges, f.source);
    }
  }

  for (const split of [g.svcSplit, g.localSplit]) {
    if (!split) continue;
    for (const jump of split.jumps) {
      const sep = nat.chain(jump.chain);
      jump.dnat = sep ? endpointDnat(sep) : null;
      // No -p on the entry rules: the DNAT rules say it.
      if (g.protocol === null && jump.dnat) g.protocol = factsProtocol(scanRule(jump.dnat.rule.text));
    }
  }
}

/**
 * ETP Cluster: the EXT chain masquerades everything, then jumps to SVC.
 * ETP Local: it short-circuits pod and node (src-type LOCAL) traffic to SVC and sends the rest to SVL.
 */
function extChainPolicy(chain: Chain): TrafficPolicy | null {
  let local = false;
  for (const rule of chain.rules) {
    const t = rule.target;
    if (t === null) continue;
    const f = scanRule(rule.text);
    if (t === 'KUBE-MARK-MASQ' && f.conditions === 0) return 'Cluster';
    if (t.startsWith('KUBE-SVL-') || f.srcType !== undefined) local = true;
  }
  return local ? 'Local' : null;
}

/**
 * Name the service: the entry rules' comment when they agree and the protocol is known (no
 * hashing needed); otherwise the candidate whose hash matches the chain names, trying the
 * comments of the service's own chains too, and every protocol when none was written.
 */
export function resolveIdentity(g: Group, nat: TableSet): void {
  const named = unique(g.idCandidates);
  if (named.length === 1 && g.protocol !== null) {
    g.id = named[0]!;
    return;
  }
  const hash = g.hash;
  const protocols = g.protocol !== null ? [g.protocol] : PROTOCOLS;
  const matching = (pool: readonly string[]): boolean => {
    if (hash === null) return false;
    for (const id of pool) {
      for (const p of protocols) {
        if (portProtoHash(id, p) === hash) {
          g.id = id;
          g.protocol = p;
          return true;
        }
      }
    }
    return false;
  };
  if (matching(named)) return;
  const fromChains = chainCommentIds(g, nat);
  if (matching(fromChains.filter((id) => !named.includes(id)))) return;
  // Hand-written dumps may use made-up hashes: fall back to what the comments say.
  g.id = named[0] ?? fromChains[0] ?? null;
}

/** Ids named by comments anywhere in the service's chains (EXT, FW, SVC, SEP, ...). */
function chainCommentIds(g: Group, nat: TableSet): string[] {
  const ids: string[] = [];
  const names = [...Object.values(g.chains), ...endpointChains(g)];
  for (const name of names) {
    const chain = name ? nat.chain(name) : undefined;
    if (!chain) continue;
    for (const rule of chain.rules) {
      const c = scanRule(rule.text).comment;
      const id = c === undefined ? null : serviceIdFromComment(c);
      if (id !== null) addUnique(ids, id);
    }
  }
  return ids;
}

function endpointChains(g: Group): string[] {
  return [...(g.svcSplit?.jumps ?? []), ...(g.localSplit?.jumps ?? [])].map((j) => j.chain);
}
