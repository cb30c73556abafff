/**
 * A node's services reduced to what is compared across nodes: each service id's endpoint set.
 * Many nodes are kept as these summaries, never as whole snapshots, so memory stays bounded.
 */
import { buildDumpModel, kubeProxyModes, type Dump } from '../dump.js';
import type { KubeModel, ServicePort } from '../kube/types.js';

/** 'both' when a node holds rules of both kube-proxy modes; null when it holds none. */
export type NodeMode = 'iptables' | 'nftables' | 'both' | null;

export interface NodeSummary {
  readonly mode: NodeMode;
  /** Service id -> its endpoints as sorted "ip:port" strings. */
  readonly services: ReadonlyMap<string, readonly string[]>;
}

/** The summary of one node's dump (its model may be handed in when already built). */
export function summarizeDump(dump: Dump, model: KubeModel = buildDumpModel(dump)): NodeSummary {
  const modes = kubeProxyModes(dump);
  const mode: NodeMode = modes.length === 2 ? 'both' : (modes[0] ?? null);
  return { mode, services: summarizeServices(model.services) };
}

/**
 * Id -> sorted endpoints. An id seen twice (an IPv4 and an IPv6 service port of one dual-stack
 * service, or one port in both modes) gets the union of its endpoints. An endpoint whose address
 * the dump does not show (a KUBE-SEP without DNAT) is listed by its chain name, never guessed.
 */
export function summarizeServices(services: readonly ServicePort[]): Map<string, readonly string[]> {
  const sets = new Map<string, Set<string>>();
  for (const s of services) {
    let set = sets.get(s.id);
    if (!set) sets.set(s.id, (set = new Set()));
    for (const e of s.endpoints) set.add(e.address ?? e.chain);
  }
  const out = new Map<string, readonly string[]>();
  for (const id of [...sets.keys()].sort()) out.set(own(id), [...sets.get(id)!].sort().map(own));
  return out;
}

/**
 * A copy of `s` that holds no reference to the string it was cut from: V8 keeps a substring's
 * parent alive, and ids and addresses are cut from the whole dump text, so without the copy every
 * node's summary would keep its whole dump in memory.
 */
function own(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}
