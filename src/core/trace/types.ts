/** What the tracer takes and gives: one packet in, every possible outcome out. */
import type { Family, Protocol, TableName } from '../parse/types.js';

/** What the tracer follows: a service protocol, or icmp. */
export type TraceProtocol = Protocol | 'icmp';

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
  /** The iptables table, or in nftables mode the nft table's name ("kube-proxy"). */
  readonly table: TableName | string;
  readonly chain: string;
  /** Rule number from 1 as `iptables -L --line-numbers` counts; null for a chain's policy. */
  readonly rule: number | null;
  /** The target taken: a chain, ACCEPT, DNAT, … or "policy ACCEPT" at a built-in's end. */
  readonly target: string;
  /** Line in the dump (0 for a policy without a declaration line). */
  readonly line: number;
  /** The rule's `--comment`, when it has one (kube-proxy's plain words for the rule). */
  readonly comment?: string;
  /** True when the rule used `-g` (goto) rather than `-j`. */
  readonly goto?: boolean;
  /** nftables mode: the table's family ("ip", "ip6", "inet"). */
  readonly nftFamily?: string;
  /** nftables mode: the rule's handle when the input shows it (`nft -a`, JSON), else null. */
  readonly handle?: number | null;
  /** nftables mode: the map element a lookup matched, as nft prints it ("@service-ips: 10.96.0.10 . tcp . 53"). */
  readonly element?: string;
}

export type Verdict = 'ACCEPT' | 'DROP' | 'REJECT';

export interface Outcome {
  readonly probability: number;
  readonly verdict: Verdict;
  /** "ip:port" ("[v6]:port" for IPv6) after DNAT/REDIRECT, null when no DNAT happened. */
  readonly dnat: string | null;
  readonly masquerade: boolean;
  readonly path: PathStep[];
  readonly assumptions: string[];
  /**
   * The case this outcome belongs to: how each match the tracer could not decide was taken on
   * its path, as `--assume` writes it ("set --match-set KUBE-LOOP-BACK dst,dst,src=false").
   * Empty when no undecided match was met. Probabilities sum to 1 within each case
   * (see traceCases), never across cases.
   */
  readonly case: readonly string[];
  /** Plain words for drops, rejects and masquerade where kube-proxy's rules say why; else null. */
  readonly reason: string | null;
  /**
   * Where an accepted packet ends: delivered to a local socket, forwarded, or sent out
   * (locally generated); null for DROP and REJECT.
   */
  readonly delivery: 'local' | 'forward' | 'output' | null;
  /** KUBE-SEP chain that did the DNAT, when one did (null for a DNAT in any other chain). */
  readonly endpointChain: string | null;
}

export interface TraceResult {
  /** The packet as traced: defaults filled in (sport, inInterface, ctstate), its family and origin. */
  readonly packet: Packet & { readonly family: Family; readonly origin: 'network' | 'local' };
  /**
   * Every possible outcome, in rule order (empty only with `error`). Probabilities sum to 1
   * within each case (traceCases groups them): an undecided match is never a coin flip.
   */
  readonly outcomes: Outcome[];
  /** The `assume` answers (their text) that named no match this packet met; absent without `assume`. */
  readonly unusedAssumptions?: readonly string[];
  /** Why the packet could not be traced (bad address, mixed families); absent when it was. */
  readonly error?: string;
}

export interface TraceOptions {
  /**
   * A match the tracer cannot decide (e.g. `-m set`, `-m owner`): 'split' (the default) follows
   * both ways as separate cases, each outcome naming its case; 'match' or 'nomatch' decide every
   * such match one way. Every decision is named in the outcome's assumptions.
   */
  readonly unknownMatches?: 'split' | 'match' | 'nomatch';
  /**
   * At most this many distinct undecided matches are split into cases per trace; later ones
   * count as matching, and say so (default 8, so at most 256 cases).
   */
  readonly maxUnknownSplits?: number;
  /**
   * The user's answers for matches the tracer cannot decide, or decides only from the node
   * context (physdev): `--assume 'EXPR=true|false'` (see parseAssumption). Ahead of any split.
   */
  readonly assume?: readonly Assumption[];
  /** Nested jumps deeper than this stop the branch with DROP (default 64; loops are caught earlier). */
  readonly maxDepth?: number;
  /**
   * Work limit for one trace, in rule steps (a rule looked at by a branch; copying a branch at a
   * split costs its path length). Without it a small hostile dump hangs the tracer: 20 chains that
   * each jump twice to the next are walked 2^20 times, and a few nested random splits multiply the
   * branches beyond memory. Branches still walking when it runs out stop with DROP and say why.
   * Default 1,000,000 (a packet through a 10k-service dump takes about 35,000, one to a service
   * with 1,000 endpoints about 50,000).
   */
  readonly maxSteps?: number;
}

/** One `--assume 'EXPR=true|false'`: every undecided match named by `words` is taken as `value`. */
export interface Assumption {
  /** As the user wrote it, for notes ("set --match-set KUBE-LOOP-BACK=false"). */
  readonly text: string;
  /** EXPR's words with their leading dashes removed ("match-set", "KUBE-LOOP-BACK"). */
  readonly words: readonly string[];
  readonly value: boolean;
}
