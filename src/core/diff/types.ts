/** What differs between two dumps: the `diff --json` contract (README "kubechains diff"). */

/** A service field that differs, as [old, new] in `services --json`'s own names and values. */
export type FieldChange = readonly [unknown, unknown];

export interface ServiceChange {
  /** The service port's id; an IPv6 service port's is followed by " (ipv6)" (dual-stack ids repeat). */
  readonly id: string;
  /** Endpoint addresses ("ip:port") only B has, and only A has. */
  readonly endpointsAdded: readonly string[];
  readonly endpointsRemoved: readonly string[];
  readonly fields: Readonly<Record<string, FieldChange>>;
}

export interface ServicesDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly ServiceChange[];
}

/** A chain by where it lives: iptables' table ("nat") or an nft table's label ("ip kube-proxy"). */
export interface ChainRef {
  readonly family: 'ipv4' | 'ipv6';
  readonly table: string;
  readonly chain: string;
}

export interface ChainChange extends ChainRef {
  /** Rule texts (counters left out) only B has, and only A has, each as often as it is missing. */
  readonly rulesAdded: readonly string[];
  readonly rulesRemoved: readonly string[];
  /** The same rules in another order (order decides which rule matches first). */
  readonly reordered: boolean;
  /** A built-in chain's policy [old, new], null when unchanged. */
  readonly policy: readonly [string | null, string | null] | null;
}

export interface ChainsDiff {
  readonly added: readonly ChainRef[];
  readonly removed: readonly ChainRef[];
  readonly changed: readonly ChainChange[];
}

export interface DumpDiff {
  readonly services: ServicesDiff;
  readonly chains: ChainsDiff;
  /**
   * Why some chains were not compared: chains are compared only within one kube-proxy mode
   * (iptables tables with iptables tables, nftables with nftables), and only when both dumps have
   * rules of that mode. Empty when every chain was compared.
   */
  readonly notes: readonly string[];
}
