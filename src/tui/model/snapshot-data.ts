/** A loaded snapshot as the explorer's data, with the previous one for deltas and rates. */
import type { KubeModel } from '../../core/kube/index.js';
import { nodeAddressesOf } from '../../sources/node-addresses.js';
import type { Snapshot } from '../../sources/types.js';
import { buildExplorerData, type ExplorerData } from './explorer-data.js';

/**
 * `nodeAddresses`: --node-ip, else the snapshot's own (a local source reads them each time),
 * else the ones its nftables ruleset lists in kube-proxy's `nodeport-ips` set.
 * `previous`: the data on screen until now (only its counters snapshot is kept alive).
 */
export function snapshotData(
  snapshot: Snapshot,
  nodeAddresses?: readonly string[],
  previous?: ExplorerData | null,
  model?: KubeModel,
): ExplorerData {
  const node = nodeAddressesOf(snapshot, nodeAddresses);
  const input = {
    ruleset: snapshot.ruleset,
    nft: snapshot.nft ?? null,
    source: snapshot.origin,
    takenAt: snapshot.takenAt,
    nodeAddresses: node.addresses,
    nodeAddressesFrom: node.from,
    previous: previous ? previous.counterSnapshot : null,
  };
  return model ? buildExplorerData(input, model, previous ?? null) : buildExplorerData(input, undefined, previous ?? null);
}
