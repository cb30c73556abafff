/**
 * An nftables ruleset as kubechains reads it (`nft list ruleset`, `nft -j list ruleset`, or
 * kube-proxy's transaction form), with the position of everything so that answers point at a line.
 *
 * Expressions and statements use the shapes of libnftables' JSON (man libnftables-json): the JSON
 * form is read as it is, and the text forms are parsed into the same objects. One vocabulary for
 * three inputs, and the kernel's own `nft -j` output is the reference for what the text means.
 */
import type { Counters, Diagnostic } from '../parse/types.js';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export const NFT_FAMILIES: readonly NftFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

/** Which of the three inputs the ruleset was read from. */
export type NftForm = 'text' | 'json' | 'transaction';

/**
 * An expression, as libnftables-json writes it: a string ("@name", "local", "tcp"), a number,
 * a boolean, an array (concatenation lists in `set`), or an object with one key naming its kind
 * ({"payload": {...}}, {"meta": {...}}, {"prefix": {...}}, {"set": [...]}, {"concat": [...]},
 * {"range": [a, b]}, {"numgen": {...}}, {"fib": {...}}, {"ct": {...}}, {"|": [a, b]}, ...).
 */
export type NftExpr = string | number | boolean | null | readonly NftExpr[] | { readonly [kind: string]: NftExpr };

/**
 * A statement, as libnftables-json writes it: an object with one key naming its kind
 * ({"match": {"op", "left", "right"}}, {"jump": {"target"}}, {"goto": {"target"}},
 * {"accept": null}, {"drop": null}, {"return": null}, {"vmap": {"key", "data"}},
 * {"counter": {"packets", "bytes"}}, {"mangle": {"key", "value"}}, {"dnat": {...}},
 * {"masquerade": {...}}, {"reject": {...}}, {"set": {"op", "elem", "set"}}, ...).
 * Statements kubechains does not know are kept as read, and the tracer treats them as undecided.
 */
export type NftStatement = { readonly [kind: string]: NftExpr };

export interface NftRule {
  readonly family: NftFamily;
  readonly table: string;
  readonly chain: string;
  /** Position in its chain from 1. */
  index: number;
  /** `# handle N` in the text form, "handle" in JSON; null when the input does not say (transaction form). */
  readonly handle: number | null;
  /** Line of the rule in the input (for JSON: the line where the rule object starts). */
  readonly line: number;
  /** Column where it starts (1-based): with line, a position in one-line `nft -j` output. */
  readonly column?: number;
  readonly expr: readonly NftStatement[];
  /** The rule's `comment "…"`, null without one. */
  readonly comment: string | null;
  /** From a `counter packets N bytes M` statement; null when the rule has none (kube-proxy writes none). */
  readonly counters: Counters | null;
  /**
   * The rule as `nft list ruleset` prints it, without handle: as printed for text input; for JSON
   * and transaction input rendered from `expr` when first read (a getter: copy it explicitly, a
   * spread `{...rule}` leaves it out).
   */
  readonly text: string;
}

/** type/hook/priority/policy of a base chain. */
export interface NftBaseChain {
  /** filter, nat, route. */
  readonly type: string;
  readonly hook: string;
  /** The priority as a number ("dstnat - 10" is -110 in the ip family). */
  readonly priority: number;
  readonly policy: 'accept' | 'drop';
  /** netdev/ingress chains name a device. */
  readonly device: string | null;
}

export interface NftChain {
  readonly family: NftFamily;
  readonly table: string;
  readonly name: string;
  readonly line: number;
  /** Column where it starts (1-based): with line, a position in one-line `nft -j` output. */
  readonly column?: number;
  readonly handle: number | null;
  /** null for a regular chain (reached only by jump/goto). */
  readonly base: NftBaseChain | null;
  readonly comment: string | null;
  readonly rules: NftRule[];
}

export interface NftElement {
  /** The key: a value, a concatenation ({"concat": [...]}), a prefix or a range. */
  readonly key: NftExpr;
  /** For maps: the data (a verdict statement such as {"goto": {"target": "…"}} for vmaps). */
  readonly data: NftExpr | null;
  readonly comment: string | null;
  /** Seconds left before a dynamic element expires (`expires 2h59m59s776ms`), null when none shown. */
  readonly expires: number | null;
  /** The element's own timeout in seconds, null when none. */
  readonly timeout: number | null;
  readonly line: number;
}

export interface NftSet {
  readonly family: NftFamily;
  readonly table: string;
  readonly name: string;
  /** A map carries data with each element; a vmap is a map whose data type is "verdict". */
  readonly kind: 'set' | 'map';
  /** Key type, one entry per concatenated part ("ipv4_addr", "inet_proto", "inet_service"). */
  readonly keyType: readonly string[];
  /** Data type for maps ("verdict", "ipv4_addr", ...), null for sets. */
  readonly dataType: string | null;
  readonly flags: readonly string[];
  /** Default timeout in seconds, null when none. */
  readonly timeout: number | null;
  readonly comment: string | null;
  readonly line: number;
  /** Column where it starts (1-based): with line, a position in one-line `nft -j` output. */
  readonly column?: number;
  readonly handle: number | null;
  readonly elements: NftElement[];
}

export interface NftTable {
  readonly family: NftFamily;
  readonly name: string;
  readonly line: number;
  /** Column where it starts (1-based): with line, a position in one-line `nft -j` output. */
  readonly column?: number;
  readonly handle: number | null;
  readonly comment: string | null;
  readonly chains: NftChain[];
  readonly chainsByName: Map<string, NftChain>;
  readonly sets: NftSet[];
  readonly setsByName: Map<string, NftSet>;
}

export interface NftRuleset {
  readonly form: NftForm;
  readonly tables: NftTable[];
  readonly diagnostics: Diagnostic[];
  /** True when any rule carries a `counter` statement with numbers. */
  readonly hasCounters: boolean;
}
