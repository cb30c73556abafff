/** Scalar values of nft expressions as numbers, addresses and protocol numbers, whatever form the input wrote them in. */
import { parseCidr, parseIp, type Cidr, type IpBytes } from '../trace/addr.js';
import type { Protocol } from '../parse/types.js';
import type { NftExpr } from './types.js';
import { body, field } from './expr.js';

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  icmp: 1, igmp: 2, tcp: 6, udp: 17, ipv6: 41, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, udplite: 136, sctp: 132,
};

/** 80, "80", "0x4000" -> the number; null for anything else. */
export function numberOf(e: NftExpr | undefined): number | null {
  if (typeof e === 'number') return e;
  if (typeof e !== 'string') return null;
  if (/^0x[0-9a-f]+$/i.test(e)) return parseInt(e, 16);
  if (/^\d+$/.test(e)) return Number(e);
  return null;
}

/** "tcp", 6, "6" -> 6. */
export function protocolNumberOf(e: NftExpr | undefined): number | null {
  if (typeof e === 'string' && e.toLowerCase() in PROTOCOL_NUMBERS) return PROTOCOL_NUMBERS[e.toLowerCase()]!;
  return numberOf(e);
}

export function protocolNameOf(e: NftExpr | undefined): Protocol | null {
  const n = protocolNumberOf(e);
  return n === 6 ? 'tcp' : n === 17 ? 'udp' : n === 132 ? 'sctp' : null;
}

export function ipOf(e: NftExpr | undefined): IpBytes | null {
  return typeof e === 'string' ? parseIp(e) : null;
}

/** A prefix ({"prefix": {"addr", "len"}}) or a CIDR string, as a Cidr. */
export function cidrOf(e: NftExpr | undefined): Cidr | null {
  const p = body(e, 'prefix');
  if (p !== undefined) {
    const addr = ipOf(field(p, 'addr'));
    const len = numberOf(field(p, 'len'));
    return addr && len !== null && len <= addr.length * 8 ? { bytes: addr, prefix: len } : null;
  }
  return typeof e === 'string' && e.includes('/') ? parseCidr(e) : null;
}

/** The address as one canonical text ("10.0.0.1"; IPv6 as its 16 bytes), for comparing addresses written differently. */
export function ipKey(bytes: IpBytes): string {
  return bytes.join('.');
}
