/** Where a dump comes from, and what loading one gives. Shared by the CLI and the live poller. */
import type { NftRuleset, Ruleset } from '../core/index.js';

export type SourceSpec =
  /** A dump file. */
  | { readonly kind: 'file'; readonly path: string }
  /** Standard input (`-`). */
  | { readonly kind: 'stdin' }
  /** The user's own command, run through /bin/sh -c; its standard output is the dump. */
  | { readonly kind: 'command'; readonly command: string }
  /** This node: `iptables-save -c` (and `ip6tables-save -c`), as root. */
  | { readonly kind: 'local' };

export interface Snapshot {
  readonly text: string;
  /** The iptables-mode rules (an empty ruleset when the source gave an nftables ruleset only). */
  readonly ruleset: Ruleset;
  /** The nftables ruleset, when the source gave one (alone, or beside iptables-save's on a local node). */
  readonly nft?: NftRuleset | null;
  /** What was read: a file path, `<stdin>`, or the command line that printed the dump. */
  readonly origin: string;
  readonly takenAt: Date;
  /** The node's own addresses when the dump is this node's (local source); [] otherwise. */
  readonly nodeAddresses: string[];
  /** Where the live poller parsed it: in its worker thread or on the main thread (absent: not read by a poller). */
  readonly parsedIn?: 'worker' | 'main';
}

/** A source that could not be read. The CLI prints `message` as one line and exits 2. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  readonly exitCode = 2;
  /**
   * What went wrong without naming the source again ("exited with status 4: Another app is
   * currently holding the xtables lock"), for a status line that shows the source already.
   */
  readonly detail: string;

  constructor(message: string, detail?: string) {
    super(message);
    this.detail = detail ?? message;
  }
}
