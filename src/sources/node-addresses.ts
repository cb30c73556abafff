/**
 * The node's own addresses for a snapshot, and where they came from: --node-ip when given, else
 * what the source read (the local machine's addresses), else kube-proxy's nftables
 * `nodeport-ips` set — so that `node 172.16.1.10 (from @nodeport-ips)` can say it was read off
 * the ruleset rather than given.
 */
import { nftNodeportAddresses, NODEPORT_IPS_ORIGIN } from '../core/index.js';
import type { Snapshot } from './types.js';

export interface NodeAddresses {
  readonly addresses: readonly string[];
  /** '@nodeport-ips' when the ruleset told them; null when given (--node-ip), read off the machine, or none. */
  readonly from: typeof NODEPORT_IPS_ORIGIN | null;
}

export function nodeAddressesOf(snapshot: Pick<Snapshot, 'nodeAddresses' | 'nft'>, given?: readonly string[] | null): NodeAddresses {
  if (given && given.length > 0) return { addresses: given, from: null };
  if (snapshot.nodeAddresses.length > 0) return { addresses: snapshot.nodeAddresses, from: null };
  const fromSet = nftNodeportAddresses(snapshot.nft);
  return fromSet.length > 0 ? { addresses: fromSet, from: NODEPORT_IPS_ORIGIN } : { addresses: [], from: null };
}

