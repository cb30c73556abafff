/**
 * `kubechains which QUERY`: the service ports a query means. Forms, tried in this order:
 * a node port ("30080"), an address with an optional port ("10.96.0.10", "10.96.0.10:53",
 * "fd00::10", "[fd00::10]:53": cluster, external and load-balancer IPs), an id
 * ("ns/name:port" exactly, "ns/name" for all its ports), else a case-insensitive substring of
 * the id. A form that matches nothing falls through to the substring search.
 */
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
  if (q.startsWith('[')) {
    const close = q.indexOf(']');
    if (close < 0) return null;
    const address = q.slice(1, close);
    const rest = q.slice(close + 1);
    if (!isIPv6(address)) return null;
    if (rest === '') return { address, port: null };
    return rest.startsWith(':') && isPort(rest.slice(1)) ? { address, port: Number(rest.slice(1)) } : null;
  }
  if (isIPv6(q)) return { address: q, port: null };
  const colon = q.indexOf(':');
  const host = colon < 0 ? q : q.slice(0, colon);
  if (!isIPv4(host)) return null;
  if (colon < 0) return { address: host, port: null };
  const port = q.slice(colon + 1);
  return isPort(port) ? { address: host, port: Number(port) } : null;
}

function sameAddress(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase();
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => isDigits(p) && p.length <= 3 && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (s.indexOf(':') === s.lastIndexOf(':')) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const ok = c === ':' || c === '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return true;
}

function isPort(s: string): boolean {
  return isDigits(s) && s.length <= 5 && Number(s) <= 65535;
}

function isDigits(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
