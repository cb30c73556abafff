/** What `doctor` reports: findings over a whole dump, each pointing at where it lives. */
import type { Family, TableName } from '../parse/types.js';

/** The kinds, most severe first within each severity (issue 12 names them). */
export const FINDING_KINDS = [
  'no-endpoints',
  'no-local-endpoints',
  'source-ranges',
  'counting-drop',
  'stale-chain',
  'empty-endpoint-chain',
  'missing-dport',
  'no-masquerade',
  'both-backends',
  'both-modes',
  'unreachable-kube-services',
  'duplicate-frontend',
  'skewed-connections',
  'unknown-match',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  readonly kind: FindingKind;
  readonly severity: Severity;
  /** The service id the finding is about, null when it is about no one service. */
  readonly service: string | null;
  /** Where it lives: table, chain, rule number from 1 (null for a whole chain or the whole dump). */
  readonly table: TableName | null;
  readonly chain: string | null;
  readonly rule: number | null;
  /** The family of the table (dual-stack dumps hold two of each); null with no table. */
  readonly family: Family | null;
  /** What is wrong, in plain words. */
  readonly message: string;
  /** What to do about it. */
  readonly hint: string;
}

/** What the dump does not say about the node. */
export interface DoctorContext {
  /** The node's own addresses (--node-ip, or read from the machine), [] when unknown. */
  readonly nodeAddresses: readonly string[];
}

/** Where a finding lives. */
export interface Place {
  readonly family: Family;
  readonly table: TableName;
  readonly chain: string;
  /** From 1, null for the chain as a whole. */
  readonly rule: number | null;
}
