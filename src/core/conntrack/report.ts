/**
 * What attribution reports: connections per service port and endpoint, and the rules that are
 * the same however the entries are counted (FrontendIndex).
 */
import type { Family } from '../parse/types.js';
import type { ServicePort } from '../kube/types.js';
import type { ConntrackEntry } from './types.js';

export interface EndpointConnections {
  /** "ip:port" / "[v6]:port", as the model writes it. */
  readonly address: string;
  connections: number;
  /** Entries per state: TCP/SCTP as printed; state-less protocols UNREPLIED, ASSURED or SEEN_REPLY (see stateOf). */
  readonly states: Record<string, number>;
  /** Entries whose reply goes to another address than the original source. */
  masqueraded: number;
  /** The model's chance that a new connection picks this endpoint (see Endpoint.probability). */
  readonly probability: number;
}

export interface ServiceConnections {
  /** The service port's id ("namespace/name:port"); a dual-stack service has one per family. */
  readonly id: string;
  readonly family: Family;
  readonly service: ServicePort;
  connections: number;
  /** Every endpoint with an address, in the model's order, 0s included. */
  readonly endpoints: EndpointConnections[];
}

export interface ConnectionReport {
  /** Every service port that has endpoints (only those can have connections), in model order. */
  readonly services: ServiceConnections[];
  /** Entries that belong to no service port: services' connections + unmatched = the table's entries. */
  readonly unmatched: number;
  /** By id; a dual-stack id gives its first family's (as KubeModel.byId): use byService for the exact one. */
  readonly byId: ReadonlyMap<string, ServiceConnections>;
  readonly byService: ReadonlyMap<ServicePort, ServiceConnections>;
  /** What the attribution could not check and assumed; shown to the user. */
  readonly assumptions: string[];
}

export interface AttributionOptions {
  /** The node's own addresses (--node-ip, the machine's, @nodeport-ips); [] when unknown. */
  readonly nodeAddresses: readonly string[];
}

export const NODE_PORT_ANY_ADDRESS_ASSUMPTION =
  'node addresses unknown (--node-ip): a connection to a node port on any address that is no service address counts for that node port';

/** The key of a state-less entry: UNREPLIED (no reply yet), ASSURED, else SEEN_REPLY (a reply seen, not yet assured). */
export function stateOf(entry: ConntrackEntry): string {
  if (entry.state !== null) return entry.state;
  return entry.unreplied ? 'UNREPLIED' : entry.assured ? 'ASSURED' : 'SEEN_REPLY';
}
