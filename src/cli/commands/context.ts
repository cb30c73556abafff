/** What every command gets: the loaded dump, the parsed flags and somewhere to write. */
import type { Dump } from '../../core/index.js';
import type { ConntrackText } from '../../sources/conntrack.js';
import type { Snapshot } from '../../sources/types.js';
import type { CliOptions } from '../args.js';
import type { Output } from '../io.js';

export interface CommandContext {
  readonly snapshot: Snapshot;
  /** The snapshot's rules in whichever kube-proxy mode they are (iptables, nftables or both). */
  readonly dump: Dump;
  readonly options: CliOptions;
  readonly out: Output;
  /** --node-ip, else the local node's addresses, else an nftables ruleset's @nodeport-ips, else []. */
  readonly nodeAddresses: readonly string[];
  /** '@nodeport-ips' when nodeAddresses were read off that set (the output says so). */
  readonly nodeAddressesFrom?: string | null;
  /**
   * The conntrack table as read, not parsed yet: always for conns, for doctor when --conntrack or
   * --conntrack-cmd named one. The command counts it against its model in one pass (liveConnections).
   */
  readonly conntrack?: ConntrackInput | null;
}

export interface ConntrackInput {
  readonly read: ConntrackText;
  /** How its warnings name it (FILE:LINE:COL). */
  readonly label: string;
}
