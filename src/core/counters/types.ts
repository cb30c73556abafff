/**
 * Live counters: what changed between two `iptables-save -c` snapshots. Every number a view shows
 * next to a rule, chain, service or endpoint (totals, deltas, per-second rates) comes from here.
 */
import type { Chain, Family, Rule, Ruleset, TableName } from '../parse/types.js';
import type { Endpoint, KubeModel, Protocol, ServicePort } from '../kube/types.js';
import type { NftRuleset } from '../nft/types.js';

/** One dump and when it was taken (ms, any clock, as long as both snapshots use the same one). */
export interface Snapshot {
  readonly ruleset: Ruleset;
  /**
   * The nftables ruleset of the same reading, when the source gave one: its rules are counted
   * (`counter packets N bytes M`) as the views show them (core/nft-display), by table label.
   */
  readonly nft?: NftRuleset | null;
  readonly takenAtMs: number;
  /** The kube model of `ruleset`, when the caller built it already (it is then reused, never rebuilt). */
  readonly model?: KubeModel;
}

/**
 * Why a delta is what it is:
 * - `ok`: counted in both snapshots and not lower now; deltas are known (rates too when the interval is > 0).
 * - `new`: not in the previous snapshot (a new rule, chain, endpoint, or a service whose every
 *   endpoint is new): no delta, never its whole count as one.
 * - `reset`: the count went down (the rule was recreated, or a restore without -c zeroed it):
 *   the delta is unknown.
 * - `first`: nothing to compare with (no previous snapshot, or the previous dump had no counters).
 * - `uncounted`: the current dump has no counters (`iptables-save` without -c).
 */
export type DeltaState = 'ok' | 'new' | 'reset' | 'first' | 'uncounted';

export interface CounterDelta {
  readonly state: DeltaState;
  /** Totals in the current snapshot; null when it has no counters. */
  readonly packets: number | null;
  readonly bytes: number | null;
  /** Change since the previous snapshot; null unless `state` is `ok`. Never negative. */
  readonly deltaPackets: number | null;
  readonly deltaBytes: number | null;
  /** Per second (delta / intervalSeconds); null unless `state` is `ok` and the interval is > 0. */
  readonly packetRate: number | null;
  readonly byteRate: number | null;
  /** deltaPackets > 0: the row counted since the last refresh. */
  readonly countedSinceLast: boolean;
}

export interface RuleDelta extends CounterDelta {
  readonly rule: Rule;
  /** The same rule in the previous snapshot, null when it is new (or there is none). */
  readonly previous: Rule | null;
}

/** A chain's own counters (`:NAME POLICY [p:b]`: the policy's count on built-in chains). */
export interface ChainDelta extends CounterDelta {
  readonly chain: Chain;
}

/** An endpoint's DNAT rule in its KUBE-SEP chain. */
export interface EndpointDelta extends CounterDelta {
  readonly endpoint: Endpoint;
  readonly service: ServicePort;
}

/**
 * A service port: totals are the model's (the sum of its endpoints' DNAT rules). The delta is the
 * sum of the deltas of the endpoints present in both snapshots: an endpoint that is new adds
 * nothing (counted in `newEndpoints`), one that went away takes nothing away, and a reset in any
 * endpoint makes the service's delta unknown (`reset`).
 */
export interface ServiceDelta extends CounterDelta {
  readonly service: ServicePort;
  /** In the service's endpoint order. */
  readonly endpoints: readonly EndpointDelta[];
  /** Endpoints with state `new`, whose counts are left out of the service's delta. */
  readonly newEndpoints: number;
}

export interface CounterDiff {
  readonly previous: Snapshot | null;
  readonly current: Snapshot;
  /** Seconds between the snapshots; null without a previous one. Rates exist only when > 0. */
  readonly intervalSeconds: number | null;
  /** The current snapshot's kube model (the caller's, else built on first use). */
  readonly model: KubeModel;
  /** A rule of the current ruleset; undefined for a rule that is not in it. */
  rule(rule: Rule): RuleDelta | undefined;
  /** Every rule of a chain of the current ruleset, in chain order; undefined when there is no such chain. */
  chainRules(table: TableName, family: Family, name: string): readonly RuleDelta[] | undefined;
  chain(table: TableName, family: Family, name: string): ChainDelta | undefined;
  /** By kube-proxy's service port name; the first in model order (by protocol) unless `protocol` is given. */
  service(id: string, family: Family, protocol?: Protocol): ServiceDelta | undefined;
  /** A service port object of the current model. */
  servicePort(service: ServicePort): ServiceDelta | undefined;
  /** By KUBE-SEP chain name. */
  endpoint(chain: string, family: Family): EndpointDelta | undefined;
  /** Every rule of the current ruleset whose packet count went up, in dump order (one linear pass). */
  countedRules(): RuleDelta[];
}
