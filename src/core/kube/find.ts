/**
 * `kubechains which QUERY`: the service ports a query means. Forms, tried in this order:
 * a node port ("30080"), an address with an optional port ("10.96.0.10", "10.96.0.10:53",
 * "fd00::10", "[fd00::10]:53": cluster, external and load-balancer IPs), an id
 * ("ns/name:port" exactly, "ns/name" for all its ports), else a case-insensitive substring of
 * the id. A form that matches nothing falls through to the substring search.
 */
import { familyOfIp, parsePortNumber, splitHostPort } from '../trace/addr.js';
import type { KubeModel, ServicePort } from './types.js';

export function findServices(model: KubeModel, query: string): ServicePort[] {
  const q = query.trim();
  if (q === '') return [];
  const services = model.services;

  if (isDigits(q)) {
    const nodePort = Number(q);
    const hits = services.filter((s) => s.nodePort === nodePort);
    if (hits.length > 0) return hits;
  }

  const target = parseAddressQuery(q);
  if (target) {
    const hits = services.filter(
      (s) =>
        (target.port === null || s.port === target.port) &&
        (sameAddress(s.clusterIP, target.address) ||
          s.externalIPs.some((a) => sameAddress(a, target.address)) ||
          s.loadBalancerIPs.some((a) => sameAddress(a, target.address))),
    );
    if (hits.length > 0) return hits;
  }

  if (q.indexOf('/') > 0) {
    const exact = services.filter((s) => s.id === q);
    if (exact.length > 0) return exact;
    if (q.indexOf(':') < 0) {
      const prefix = q + ':';
      const ports = services.filter((s) => s.id.startsWith(prefix));
      if (ports.length > 0) return ports;
    }
  }

  const needle = q.toLowerCase();
  return services.filter((s) => s.id.toLowerCase().includes(needle));
}

/** "1.2.3.4", "1.2.3.4:80", "fd00::1", "[fd00::1]:80" -> address and port; null for anything else. */
export function parseAddressQuery(q: string): { address: string; port: number | null } | null {
  const hp = splitHostPort(q);
  const family = hp === null ? null : familyOfIp(hp.host);
  if (hp === null || family === null || (hp.bracketed && family !== 'ipv6')) return null;
  if (hp.port === null) return { address: hp.host, port: null };
  const port = parsePortNumber(hp.port);
  return port === null ? null : { address: hp.host, port };
}

function sameAddress(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase();
}

function isDigits(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
