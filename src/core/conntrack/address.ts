/**
 * Addresses as the rest of kubechains writes them, so that a conntrack address and a model's
 * endpoint compare as strings: IPv4 dotted decimal, IPv6 in RFC 5952 form (inet_ntop's, which
 * `conntrack -L` and iptables-save print; /proc/net/nf_conntrack prints all eight groups in full).
 */
import { parseIpv6 } from '../trace/addr.js';

/** A dotted quad without leading zeros, or null. Hand-rolled: it runs four times per conntrack entry. */
export function canonicalIpv4(text: string): string | null {
  let parts = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) leadingZero = true;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return null;
    } else if (c === 46 && digits > 0 && parts < 3) {
      parts++;
      value = 0;
      digits = 0;
    } else {
      return null;
    }
  }
  if (parts !== 3 || digits === 0) return null;
  return leadingZero ? text.split('.').map(Number).join('.') : text;
}

/** RFC 5952 text of an IPv6 address (compressed, lower case, `::ffff:a.b.c.d` for IPv4-mapped), or null. */
export function canonicalIpv6(text: string): string | null {
  if (text.startsWith('[') || text.includes('%')) return null;
  const b = parseIpv6(text);
  if (!b) return null;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  // The longest run of two or more zero groups (the first of equals) becomes "::".
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestAt = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLength))}`;
}

/** Either family's canonical text, or null when `text` is no address. */
export function canonicalIp(text: string): string | null {
  return text.includes(':') ? canonicalIpv6(text) : canonicalIpv4(text);
}
