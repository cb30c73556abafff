/**
 * kube-proxy's nftables chain names (nftables.md §3): `service-HASH-ns/name/proto/portName`,
 * `local-…`, `external-…`, `firewall-…`, and `endpoint-HASH-ns/name/proto/portName__IP/port`.
 * Every service or endpoint chain holds a "/"; no fixed chain does.
 */
import type { Protocol } from '../parse/types.js';

export type NftServiceRole = 'service' | 'local' | 'external' | 'firewall';

export interface NftServiceChainName {
  readonly role: NftServiceRole;
  readonly namespace: string;
  readonly name: string;
  readonly protocol: Protocol | null;
  /** null when the port has no name (the chain name ends in "/"). */
  readonly portName: string | null;
  /** "ns/name:port", or "ns/name" without a port name: the iptables model's id. */
  readonly id: string;
}

const SERVICE_CHAIN = /^(service|local|external|firewall)-[A-Z2-7]{8}-([^/]+)\/([^/]+)\/([^/]+)\/(.*)$/;
const ENDPOINT_CHAIN = /^endpoint-[A-Z2-7]{8}-([^/]+)\/([^/]+)\/([^/]+)\/(.*)__(.+)\/(\d+)$/;
const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

export function serviceIdOf(namespace: string, name: string, portName: string | null): string {
  return portName === null || portName === '' ? `${namespace}/${name}` : `${namespace}/${name}:${portName}`;
}

/** The service a per-service chain belongs to, null for any other chain (or a name cut by hashAndTruncate). */
export function parseServiceChainName(chain: string): NftServiceChainName | null {
  const m = SERVICE_CHAIN.exec(chain);
  if (!m || m[5]!.endsWith('...')) return null;
  const [, role, namespace, name, proto, port] = m;
  const portName = port === '' ? null : port!;
  const protocol = PROTOCOLS.has(proto!) ? (proto as Protocol) : null;
  return { role: role as NftServiceRole, namespace: namespace!, name: name!, protocol, portName, id: serviceIdOf(namespace!, name!, portName) };
}

export interface NftEndpointChainName {
  readonly id: string;
  readonly protocol: Protocol | null;
  /** "10.180.0.1:80" or "[fd00::1]:80" (the name writes IPv6 colons as dots, which cannot be undone reliably: null then). */
  readonly address: string | null;
}

export function parseEndpointChainName(chain: string): NftEndpointChainName | null {
  const m = ENDPOINT_CHAIN.exec(chain);
  if (!m) return null;
  const [, namespace, name, proto, port, ip, epPort] = m;
  const isV4 = /^\d+\.\d+\.\d+\.\d+$/.test(ip!);
  return {
    id: serviceIdOf(namespace!, name!, port === '' ? null : port!),
    protocol: PROTOCOLS.has(proto!) ? (proto as Protocol) : null,
    address: isV4 ? `${ip}:${epPort}` : null,
  };
}

/** "ns/name:port" from an element comment, when it looks like one. */
export function serviceIdFromElementComment(comment: string | null): string | null {
  if (comment === null) return null;
  return /^[^/\s]+\/[^/\s:]+(:\S+)?$/.test(comment) ? comment : null;
}
