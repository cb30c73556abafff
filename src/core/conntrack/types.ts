/** A conntrack table as `conntrack -L` (plain or `-o extended`) or /proc/net/nf_conntrack prints it. */
import type { Diagnostic } from '../parse/types.js';

/** One direction of a connection. Addresses are canonical (IPv6 compressed, lower case, no brackets). */
export interface Tuple {
  readonly src: string;
  readonly dst: string;
  /** null for protocols without ports (ICMP, GRE, …). */
  readonly sport: number | null;
  readonly dport: number | null;
}

export interface ConntrackEntry {
  readonly family: 'ipv4' | 'ipv6';
  /** As printed: 'tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'gre', 'unknown', … */
  readonly protocol: string;
  /** The protocol state as printed (TCP, SCTP, DCCP: ESTABLISHED, TIME_WAIT, COOKIE_WAIT…); null when none is printed (UDP, ICMP). */
  readonly state: string | null;
  readonly original: Tuple;
  readonly reply: Tuple;
  /** [UNREPLIED]: no packet seen in the reply direction yet. */
  readonly unreplied: boolean;
  /** [ASSURED] */
  readonly assured: boolean;
  /** Seconds left, as printed; null when the line has none. */
  readonly timeout: number | null;
  readonly mark: number | null;
  /** Line in the input, from 1. */
  readonly line: number;
}

export interface ConntrackTable {
  readonly entries: ConntrackEntry[];
  readonly warnings: Diagnostic[];
  /** N of the trailer `conntrack vX (conntrack-tools): N flow entries have been shown.` (summed when several), null without one. */
  readonly reportedCount: number | null;
}
