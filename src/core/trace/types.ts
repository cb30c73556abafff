/** What the tracer takes and gives: one packet in, every possible outcome out. */
import type { Family, TableName } from '../parse/types.js';

export type TraceProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp';

export interface Packet {
  readonly protocol: TraceProtocol;
  readonly src: string;
  readonly dst: string;
  readonly dport: number;
  /** Source port; a fixed ephemeral port when not given. */
  readonly sport?: number;
  /** Interface the packet arrives on (from the network), default "eth0". */
  readonly inInterface?: string;
  /** Conntrack state; NEW unless asked otherwise. */
  readonly ctstate?: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';
}

export interface NodeContext {
  /** The node's own addresses (what addrtype LOCAL matches). 127.0.0.0/8 and ::1 are always local. */
  readonly localAddresses: readonly string[];
}

export interface PathStep {
  readonly table: TableName;
  readonly chain: string;
  /** Rule number from 1 as `iptables -L --line-numbers` counts; null for a chain's policy. */
  readonly rule: number | null;
  /** The target taken: a chain, ACCEPT, DNAT, … or "policy ACCEPT" at a built-in's end. */
  readonly target: string;
  /** Line in the dump (0 for a policy without a declaration line). */
  readonly line: number;
}

export type Verdict = 'ACCEPT' | 'DROP' | 'REJECT';

export interface Outcome {
  readonly probability: number;
  readonly verdict: Verdict;
  /** "ip:port" after DNAT, null when no DNAT happened. */
  readonly dnat: string | null;
  readonly masquerade: boolean;
  readonly path: PathStep[];
  readonly assumptions: string[];
  /** Plain words for drops, rejects and masquerade where kube-proxy's rules say why; else null. */
  readonly reason: string | null;
  /** Where the packet ends: delivered to a local socket, forwarded, or sent out (locally generated). */
  readonly delivery: 'local' | 'forward' | 'output' | null;
  /** KUBE-SEP chain that did the DNAT, when one did. */
  readonly endpointChain: string | null;
}

export interface TraceResult {
  readonly packet: Packet & { readonly family: Family; readonly origin: 'network' | 'local' };
  readonly outcomes: Outcome[];
}
