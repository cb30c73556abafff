/**
 * The nat side of a service: entry rules in KUBE-SERVICES / KUBE-NODEPORTS, the service chains
 * they lead to (SVC, EXT, SVL, FW, XLB) and, through the jumps, the KUBE-SEP chains and DNATs.
 */
import { WordScanner } from '../parse/scanner.js';
import { chainRows } from '../parse/rule.js';
import type { Chain } from '../parse/types.js';
import type { NatChainFacts } from './chain-facts.js';
import { entryComment, looksLikeServiceId, serviceIdFromComment } from './comments.js';
import { setChainNumber, type Group, type LayoutSigns, type ServiceIndex } from './group.js';
import type { KernelTable } from './kernel-table.js';
import { addUnique } from './lists.js';
import { roleNumber, rolesInOrder, serviceChainRoleOf, type Role } from './roles.js';
import { destination, factsProtocol, PROTOCOLS, toPort } from './rule-values.js';
import { portProtoHash } from './names.js';
import { scanRule, type RuleFacts } from './scan.js';
import type { EntryKind, Protocol } from './types.js';

/** Every jump from KUBE-SERVICES / KUBE-NODEPORTS to a service chain starts or extends a group. */
export function readNatEntries(index: ServiceIndex, nat: KernelTable, facts: NatChainFacts, layout: LayoutSigns): void {
  for (const entryChain of ['KUBE-SERVICES', 'KUBE-NODEPORTS'] as const) {
    const chain = nat.chain(entryChain);
    if (chain) readEntryChain(index, chain, entryChain === 'KUBE-NODEPORTS', facts, layout);
  }
}

function readEntryChain(index: ServiceIndex, chain: Chain, nodePorts: boolean, facts: NatChainFacts, layout: LayoutSigns): void {
  const rows = chainRows(chain);
  const words = new WordScanner();
  const n = rows.size;
  for (let i = 0; i < n; i++) {
    const target = rows.targetAt(i);
    if (target === null) continue;
    if (target === 'KUBE-MARK-MASQ') layout.legacy = true;
    const role = serviceChainRoleOf(target);
    if (role === null) continue;
    const ref = rows.targetRefAt(i);
    const group = index.forChain(target, ref, role);
    attachChains(group, target, ref, facts, index);
    if (nodePorts && role === 'svc') layout.legacy = true;
    addNatEntry(group, chain, i, scanRule(rows.textAt(i), words), role, nodePorts);
  }
}

/** Claim a chain and every service chain it jumps to (EXT -> SVC/SVL, FW -> EXT, XLB -> SVC). */
function attachChains(group: Group, start: string, startRef: number, facts: NatChainFacts, index: ServiceIndex): void {
  if (index.chainGroup(start, startRef)) return;
  const names = [start];
  const refs = [startRef];
  while (names.length > 0) {
    const name = names.pop()!;
    const ref = refs.pop()!;
    if (index.chainGroup(name, ref)) continue;
    const role = serviceChainRoleOf(name);
    if (role === null) continue;
    index.claim(name, ref, group);
    const c = facts.serviceChain(name, ref);
    // Referenced but undeclared chains (partial syncs) are still named: it is what the rule jumps to.
    if (group.chains[role] === undefined) {
      group.chains[role] = name;
      group.roleOrder = group.roleOrder * 8 + roleNumber(role);
      setChainNumber(group, role, c);
    }
    if (c < 0) continue;
    const n = facts.nextCount(c);
    for (let i = 0; i < n; i++) {
      const next = facts.next(c, i);
      const nextRef = facts.nextRef(c, i);
      if (index.chainGroup(next, nextRef)) continue;
      names.push(next);
      refs.push(nextRef);
    }
  }
}

function addNatEntry(group: Group, chain: Chain, at: number, facts: RuleFacts, role: Role, nodePorts: boolean): void {
  const protocol = factsProtocol(facts);
  if (group.protocol === null && protocol !== null) group.protocol = protocol;
  const port = toPort(facts.dport);
  const comment = facts.comment;
  const address = destination(facts);
  if (nodePorts) {
    // KUBE-NODEPORTS rules carry the bare id as comment.
    if (comment !== undefined && looksLikeServiceId(comment)) group.addIdCandidate(comment);
    if (port === null) return;
    if (group.nodePort === null) group.nodePort = port;
    group.entries.push({ kind: 'nodePort', address, port, chain, at });
    return;
  }
  const parsed = comment === undefined ? null : entryComment(comment);
  if (parsed) group.addIdCandidate(parsed.id);
  const kind: EntryKind = parsed?.kind ?? kindFromRole(role, group);
  if (kind === 'clusterIP') {
    if (group.clusterIP === null) {
      group.clusterIP = address;
      group.clusterTarget = role;
      if (port !== null) group.port = port;
    }
  } else {
    if (address !== null) addUnique(kind === 'externalIP' ? (group.externalIPs ??= []) : (group.loadBalancerIPs ??= []), address);
    if (group.port === null && port !== null) group.port = port;
  }
  if (port !== null) group.entries.push({ kind, address, port, chain, at });
}

/** Without a comment, the target tells: FW chains serve load balancers, EXT/XLB external IPs. */
function kindFromRole(role: Role, group: Group): EntryKind {
  if (role === 'fw') return 'loadBalancer';
  if (role === 'ext' || role === 'xlb') return 'externalIP';
  return group.clusterIP === null ? 'clusterIP' : 'externalIP';
}

export function readServiceChains(g: Group, facts: NatChainFacts, layout: LayoutSigns): void {
  const svc = g.svcChain;
  if (svc >= 0 && facts.split(svc) >= 0) g.svcSplit = facts.split(svc);
  // KUBE-SVL (current) or KUBE-XLB (older): the chains that only reach this node's endpoints.
  const local = g.chains.svl !== undefined ? g.svlChain : g.xlbChain;
  if (local >= 0 && facts.split(local) >= 0) {
    g.localSplit = facts.split(local);
    const drops = facts.splits.dropRules(g.localSplit);
    for (let i = 0; i < drops.length; i++) (g.blockingRules ??= []).push(drops[i]!);
    if (drops.length > 0) layout.legacy = true;
  }
  if (g.chains.xlb) layout.legacy = true;

  const ext = g.extChain;
  if (ext >= 0) g.extPolicy = facts.extPolicy(ext);

  const fw = g.fwChain;
  if (fw >= 0) {
    const drops = facts.fwDrops(fw);
    for (let i = 0; i < drops.length; i++) (g.blockingRules ??= []).push(drops[i]!);
    if (drops.length > 0) layout.legacy = true;
    const sources = facts.fwSources(fw);
    for (let i = 0; i < sources.length; i++) addUnique((g.sourceRanges ??= []), sources[i]!);
  }

  // No -p on the entry rules: the DNAT rules say it.
  if (g.protocol === null && g.svcSplit >= 0) g.protocol = dnatProtocol(g.svcSplit, facts);
  if (g.protocol === null && g.localSplit >= 0) g.protocol = dnatProtocol(g.localSplit, facts);
}

/** The protocol of the first DNAT rule (in jump order) that names one. */
function dnatProtocol(split: number, facts: NatChainFacts): Protocol | null {
  const t = facts.splits;
  const end = t.start[split]! + t.count[split]!;
  for (let j = t.start[split]!; j < end; j++) {
    const s = facts.sep(t.jumpChain[j]!, t.jumpRef[j]!);
    const text = s < 0 ? null : facts.sepDnatText(s);
    if (text === null) continue;
    const p = factsProtocol(scanRule(text));
    if (p !== null) return p;
  }
  return null;
}

/**
 * Name the service: the entry rules' comment when they agree and the protocol is known (no
 * hashing needed); otherwise the candidate whose hash matches the chain names, trying the
 * comments of the service's own chains too, and every protocol when none was written.
 */
export function resolveIdentity(g: Group, nat: KernelTable, facts: NatChainFacts): void {
  const named = g.idCandidates();
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
  const fromChains = chainCommentIds(g, nat, facts);
  if (matching(fromChains.filter((id) => !named.includes(id)))) return;
  // Hand-written dumps may use made-up hashes: fall back to what the comments say.
  g.id = named[0] ?? fromChains[0] ?? null;
}

/** Ids named by comments anywhere in the service's chains (EXT, FW, SVC, SEP, ...). */
function chainCommentIds(g: Group, nat: KernelTable, facts: NatChainFacts): string[] {
  const ids: string[] = [];
  const names: string[] = [];
  for (const role of rolesInOrder(g.roleOrder)) names.push(g.chains[role]!);
  for (const split of [g.svcSplit, g.localSplit]) {
    if (split < 0) continue;
    const t = facts.splits;
    for (let j = t.start[split]!; j < t.start[split]! + t.count[split]!; j++) names.push(t.jumpChain[j]!);
  }
  for (const name of names) {
    const chain = nat.chain(name);
    if (!chain) continue;
    const rows = chainRows(chain);
    const words = new WordScanner();
    const n = rows.size;
    for (let i = 0; i < n; i++) {
      const c = scanRule(rows.textAt(i), words).comment;
      const id = c === undefined ? null : serviceIdFromComment(c);
      if (id !== null) addUnique(ids, id);
    }
  }
  return ids;
}
