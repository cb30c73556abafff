/**
 * Addresses as the rest of kubechains writes them, so that a conntrack address and a model's
 * endpoint compare as strings: IPv4 dotted decimal, IPv6 in RFC 5952 form (inet_ntop's, which
 * `conntrack -L` and iptables-save print; /proc/net/nf_conntrack prints all eight groups in full).
 */
import { formatIpv6Groups, parseIpv6 } from '../trace/addr.js';

/** What scanIpv4 finds; LeadingZeros: valid, but written "010.0.0.1" (canonicalIpv4 rewrites it). */
export const Ipv4Text = { Invalid: 0, Canonical: 1, LeadingZeros: 2 } as const;
export type Ipv4Text = (typeof Ipv4Text)[keyof typeof Ipv4Text];

/** What text[start, end) is as a dotted quad. Hand-rolled, in place: it runs four times per conntrack entry. */
export function scanIpv4(text: string, start: number, end: number): Ipv4Text {
  let dots = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) leadingZero = true;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return Ipv4Text.Invalid;
    } else if (c === 46 && digits > 0 && dots < 3) {
      dots++;
      value = 0;
      digits = 0;
    } else return Ipv4Text.Invalid;
  }
  if (dots !== 3 || digits === 0) return Ipv4Text.Invalid;
  return leadingZero ? Ipv4Text.LeadingZeros : Ipv4Text.Canonical;
}

/** A dotted quad without leading zeros, or null. */
export function canonicalIpv4(text: string): string | null {
  switch (scanIpv4(text, 0, text.length)) {
    case Ipv4Text.Canonical:
      return text;
    case Ipv4Text.LeadingZeros:
      return text.split('.').map(Number).join('.');
    case Ipv4Text.Invalid:
      return null;
  }
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
