/**
 * Addresses as the rest of kubechains writes them, so that a conntrack address and a model's
 * endpoint compare as strings: IPv4 dotted decimal, IPv6 in RFC 5952 form (inet_ntop's, which
 * `conntrack -L` and iptables-save print; /proc/net/nf_conntrack prints all eight groups in full).
 */
import { formatIpv6Groups, parseIpv6 } from '../trace/addr.js';

/** scanIpv4's answers besides an address's value. */
export const IPV4_INVALID = -1;
/** Valid, but written with leading zeros ("010.0.0.1"): canonicalIpv4 rewrites it. */
export const IPV4_LEADING_ZEROS = -2;

/**
 * text[start, end) as a dotted quad: its 32-bit value when canonical, else IPV4_INVALID or
 * IPV4_LEADING_ZEROS. Hand-rolled, in place: it runs four times per conntrack entry, and the
 * value lets the parser share one string per distinct address.
 */
export function scanIpv4(text: string, start: number, end: number): number {
  let dots = 0;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) leadingZero = true;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return IPV4_INVALID;
    } else if (c === 46 && digits > 0 && dots < 3) {
      dots++;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else return IPV4_INVALID;
  }
  if (dots !== 3 || digits === 0) return IPV4_INVALID;
  return leadingZero ? IPV4_LEADING_ZEROS : value * 256 + octet;
}

/** A dotted quad without leading zeros, or null. */
export function canonicalIpv4(text: string): string | null {
  const scanned = scanIpv4(text, 0, text.length);
  if (scanned === IPV4_INVALID) return null;
  return scanned === IPV4_LEADING_ZEROS ? text.split('.').map(Number).join('.') : text;
}

/** RFC 5952 text of an IPv6 address (compressed, lower case, `::ffff:a.b.c.d` for IPv4-mapped), or null. */
export function canonicalIpv6(text: string): string | null {
  if (text.startsWith('[') || text.includes('%')) return null;
  const b = parseIpv6(text);
  if (!b) return null;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return formatIpv6Groups(groups);
}

/** Either family's canonical text, or null when `text` is no address. */
export function canonicalIp(text: string): string | null {
  return text.includes(':') ? canonicalIpv6(text) : canonicalIpv4(text);
}
