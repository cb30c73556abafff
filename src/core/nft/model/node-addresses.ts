/**
 * The node's own addresses as kube-proxy's nftables ruleset tells them: its `nodeport-ips` set
 * holds the IPs that accept NodePort traffic (nftables.md §3; `--nodeport-addresses primary`,
 * the default, puts the node's primary IPs there). Only single addresses count: a prefix or a
 * range names no one address of the node.
 */
import { parseIp } from '../../trace/addr.js';
import type { NftRuleset } from '../types.js';
import { isKubeProxyTable } from './build.js';

/** Where these addresses come from, as the screens and the CLI say it. */
export const NODEPORT_IPS_ORIGIN = '@nodeport-ips';

export function nftNodeportAddresses(nft: NftRuleset | null | undefined): string[] {
  if (!nft) return [];
  const out: string[] = [];
  for (const table of nft.tables) {
    if (!isKubeProxyTable(table)) continue;
    const set = table.setsByName.get('nodeport-ips');
    if (!set) continue;
    for (const el of set.elements) {
      if (typeof el.key !== 'string' || parseIp(el.key) === null) continue;
      if (!out.includes(el.key)) out.push(el.key);
    }
  }
  return out;
}
