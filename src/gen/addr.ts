/**
 * Just enough IPv4/IPv6 arithmetic for the generator: parse, format the way iptables prints
 * (inet_ntop: RFC 5952 compressed IPv6), mask a CIDR to its network, and count addresses
 * inside a CIDR. Addresses are BigInts so the same code serves both families.
 */

import { formatIpv6Groups } from '../core/trace/addr.js';

export type IpFamily = 'ipv4' | 'ipv6';

export interface ParsedAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

const V4_BITS = 32;
const V6_BITS = 128;

export function familyOf(address: string): IpFamily {
  return address.includes(':') ? 'ipv6' : 'ipv4';
}

export function bitsOf(family: IpFamily): number {
  return family === 'ipv4' ? V4_BITS : V6_BITS;
}

export function parseAddress(text: string): ParsedAddress {
  if (!text.includes(':')) {
    const parts = text.split('.');
    if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
    let v = 0n;
    for (const p of parts) {
      const n = Number(p);
      if (!/^\d{1,3}$/.test(p) || n > 255) throw new Error(`not an IPv4 address: ${text}`);
      v = (v << 8n) | BigInt(n);
    }
    return { family: 'ipv4', value: v };
  }
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`not an IPv6 address: ${text}`);
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) throw new Error(`not an IPv6 address: ${text}`);
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`not an IPv6 address: ${text}`);
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return { family: 'ipv6', value: v };
}

export function formatAddress(family: IpFamily, value: bigint): string {
  if (family === 'ipv4') {
    return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return formatIpv6Groups(groups);
}

export interface Cidr {
  readonly family: IpFamily;
  /** The network address (host bits cleared). */
  readonly network: bigint;
  readonly prefix: number;
}

/** "10.0.0.5/8" -> network 10.0.0.0/8; a bare address is a host route (/32, /128). */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const bits = bitsOf(addr.family);
  const prefix = slash < 0 ? bits : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) throw new Error(`bad prefix length: ${text}`);
  const hostBits = BigInt(bits - prefix);
  return { family: addr.family, network: (addr.value >> hostBits) << hostBits, prefix };
}

/** The CIDR as iptables-save prints `-s`/`-d`: masked network and an explicit prefix. */
export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.family, c.network)}/${c.prefix}`;
}

export function canonicalCidr(text: string): string {
  return formatCidr(parseCidr(text));
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(bitsOf(c.family) - c.prefix);
}

/** The address `offset` places into the CIDR (no wrapping: the caller keeps offset in range). */
export function addressAt(c: Cidr, offset: bigint): string {
  return formatAddress(c.family, c.network + offset);
}

export function cidrContains(c: Cidr, address: string): boolean {
  const a = parseAddress(address);
  if (a.family !== c.family) return false;
  const hostBits = BigInt(bitsOf(c.family) - c.prefix);
  return a.value >> hostBits === c.network >> hostBits;
}

/** "ip:port" as Go's net.JoinHostPort writes it: IPv6 in brackets. */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
