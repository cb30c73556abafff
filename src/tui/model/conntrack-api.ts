/**
 * TEMPORARY: ct-core's documented conntrack API (src/core/conntrack), written here until their
 * branch lands; deleted on merge, when the explorer imports it from src/core/index.ts.
 */
import type { Diagnostic, Family } from '../../core/parse/types.js';
import type { ServicePort } from '../../core/kube/types.js';

export interface Tuple {
  readonly src: string;
  readonly dst: string;
  readonly sport: number | null;
  readonly dport: number | null;
}

export interface ConntrackEntry {
  readonly family: 'ipv4' | 'ipv6';
  readonly protocol: string;
  readonly state: string | null;
  readonly original: Tuple;
  readonly reply: Tuple;
  readonly unreplied: boolean;
  readonly assured: boolean;
  readonly timeout: number | null;
  readonly mark: number | null;
  readonly line: number;
}

export interface ConntrackTable {
  readonly entries: ConntrackEntry[];
  readonly warnings: Diagnostic[];
  readonly reportedCount: number | null;
}

export interface EndpointConnections {
  readonly address: string;
  readonly connections: number;
  readonly states: Record<string, number>;
  readonly masqueraded: number;
  readonly probability: number;
}

export interface ServiceConnections {
  readonly id: string;
  readonly family: Family;
  readonly service: ServicePort;
  readonly connections: number;
  readonly endpoints: EndpointConnections[];
}

export interface ConnectionReport {
  readonly services: ServiceConnections[];
  readonly unmatched: number;
  readonly byId: ReadonlyMap<string, ServiceConnections>;
  readonly byService: ReadonlyMap<ServicePort, ServiceConnections>;
  readonly assumptions: string[];
}
