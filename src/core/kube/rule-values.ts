/** Values the model takes from a rule's facts: addresses, protocols, ports. */
import type { RuleFacts } from './scan.js';
import type { Protocol } from './types.js';

export { PROTOCOLS } from '../parse/types.js';

/** "10.0.0.1/32" -> "10.0.0.1", "fd00::1/128" -> "fd00::1"; wider CIDRs stay as written. */
export function hostAddress(cidr: string): string {
  if (cidr.endsWith('/32') && cidr.indexOf(':') < 0) return cidr.slice(0, -3);
  if (cidr.endsWith('/128')) return cidr.slice(0, -4);
  return cidr;
}

export function destination(f: RuleFacts): string | null {
  return f.destination === undefined || f.destinationNegated ? null : hostAddress(f.destination);
}

export function factsProtocol(f: RuleFacts): Protocol | null {
  return f.protocolNegated ? null : asProtocol(f.protocol);
}

function asProtocol(p: string | undefined): Protocol | null {
  return p === 'tcp' || p === 'udp' || p === 'sctp' ? p : null;
}

export function toPort(s: string | undefined): number | null {
  if (s === undefined || s === '' || s.length > 5) return null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const n = Number(s);
  return n <= 65535 ? n : null;
}
