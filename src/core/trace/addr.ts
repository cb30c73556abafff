/** IPv4/IPv6 addresses as bytes, CIDRs and ranges: just what rule matching needs. */
import type { Family } from '../parse/types.js';

/** 4 bytes for IPv4, 16 for IPv6. */
export type IpBytes = Uint8Array;

export interface Cidr {
  readonly bytes: IpBytes;
  readonly prefix: number;
}

export function parseIpv4(text: string): IpBytes | null {
  // Hand-rolled: this runs for every -d of a 20k-rule chain.
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return null;
    } else if (c === 46 /* . */ && digits > 0 && part < 3) {
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return null;
    }
  }
  if (part !== 3 || digits === 0) return null;
  out[3] = value;
  return out;
}

export function parseIpv6(text: string): IpBytes | null {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':')) return null;
  const out = new Uint8Array(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) fills the last 4 bytes.
  let tail: IpBytes | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    tail = parseIpv4(s.slice(lastColon + 1));
    if (!tail) return null;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return null;
  if (halves.length === 1 ? head.length !== 8 : head.length + rest.length > 7) return null;
  const all = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  for (let i = 0; i < 8; i++) {
    out[i * 2] = all[i]! >> 8;
    out[i * 2 + 1] = all[i]! & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

export function parseIp(text: string): IpBytes | null {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

export function familyOfIp(text: string): Family | null {
  const b = parseIp(text);
  return b === null ? null : b.length === 4 ? 'ipv4' : 'ipv6';
}

/** `10.0.0.0/8`, `10.180.0.1/32`, a bare address, `10.0.0.0/255.0.0.0`, `fd00::/64`. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return null;
  const bits = addr.length * 8;
  if (slash < 0) return { bytes: addr, prefix: bits };
  const m = text.slice(slash + 1);
  if (/^\d{1,3}$/.test(m)) {
    const prefix = Number(m);
    return prefix <= bits ? { bytes: addr, prefix } : null;
  }
  // A dotted (or colon) mask: only contiguous masks make sense to iptables-save.
  const mask = parseIp(m);
  if (!mask || mask.length !== addr.length) return null;
  let prefix = 0;
  while (prefix < bits && (mask[prefix >> 3]! & (0x80 >> (prefix & 7))) !== 0) prefix++;
  return { bytes: addr, prefix };
}

export function inCidr(addr: IpBytes, cidr: Cidr): boolean {
  if (addr.length !== cidr.bytes.length) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (addr[i] !== cidr.bytes[i]) return false;
  const rem = cidr.prefix & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (addr[full]! & mask) === (cidr.bytes[full]! & mask);
}

/** -1, 0, 1 like a comparator; addresses of different families compare by length. */
export function compareIp(a: IpBytes, b: IpBytes): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const LOOPBACK_V4: Cidr = { bytes: new Uint8Array([127, 0, 0, 0]), prefix: 8 };
const LOOPBACK_V6: Cidr = { bytes: parseIpv6('::1')!, prefix: 128 };
const MULTICAST_V4: Cidr = { bytes: new Uint8Array([224, 0, 0, 0]), prefix: 4 };
const MULTICAST_V6: Cidr = { bytes: parseIpv6('ff00::')!, prefix: 8 };

export function isLoopback(addr: IpBytes): boolean {
  return inCidr(addr, LOOPBACK_V4) || inCidr(addr, LOOPBACK_V6);
}

export function isMulticast(addr: IpBytes): boolean {
  return inCidr(addr, MULTICAST_V4) || inCidr(addr, MULTICAST_V6);
}

export function isLimitedBroadcast(addr: IpBytes): boolean {
  return addr.length === 4 && addr.every((b) => b === 255);
}

/** The node's local addresses (plus loopback, always local) as a membership test. */
export class LocalAddresses {
  private readonly keys = new Set<string>();

  constructor(addresses: readonly string[]) {
    for (const a of addresses) {
      // Accept "192.168.0.2/24" as well as bare addresses: only the address is local.
      const b = parseIp(a.split('/')[0]!.trim());
      if (b) this.keys.add(b.join('.'));
    }
  }

  has(addr: IpBytes): boolean {
    return isLoopback(addr) || this.keys.has(addr.join('.'));
  }

  /** First configured address of a family (what REDIRECT would pick on the incoming interface). */
  static firstOf(addresses: readonly string[], family: Family): string | null {
    for (const a of addresses) {
      const text = a.split('/')[0]!.trim();
      const b = parseIp(text);
      if (b && (b.length === 4) === (family === 'ipv4') && !isLoopback(b)) return text;
    }
    return null;
  }
}

/** An address and what follows its port colon, as written (splitHostPort). */
export interface HostPortText {
  readonly host: string;
  /** The text after the colon, null when there is none. */
  readonly port: string | null;
  /** Written as `[host]`: IPv6 only. */
  readonly bracketed: boolean;
}

/**
 * The one reading of "address[:port]": "10.0.0.1", "10.0.0.1:80", "[fd00::1]", "[fd00::1]:80",
 * and a bare IPv6 address (more than one colon), which has no port. Null when a bracket is not
 * closed or is followed by anything but ":". Neither part is checked here.
 */
export function splitHostPort(text: string): HostPortText | null {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return null;
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    return { host: text.slice(1, close), port: rest === '' ? null : rest.slice(1), bracketed: true };
  }
  const colon = text.indexOf(':');
  if (colon < 0 || text.indexOf(':', colon + 1) >= 0) return { host: text, port: null, bracketed: false };
  return { host: text.slice(0, colon), port: text.slice(colon + 1), bracketed: false };
}

/** A port 0-65535 written as 1 to 5 decimal digits, or null. */
export function parsePortNumber(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

/** Eight 16-bit groups as RFC 5952 (inet_ntop) writes them: the longest run (>= 2) of zero groups, the first on a tie, becomes "::". */
export function formatIpv6Groups(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** "ip:port", or "[v6]:port" for IPv6; "ip" or "[v6]" without a port. */
export function hostPort(ip: string, port: number | null): string {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port === null ? host : `${host}:${port}`;
}
