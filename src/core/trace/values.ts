/** Parsing of the small values rules carry: marks, ports, protocols, probabilities. */

export interface MarkMask {
  readonly value: number;
  readonly mask: number;
}

/** "0x4000", "16384", "0x4000/0x4000"; the mask defaults to all ones. */
export function parseMark(text: string | undefined): MarkMask | null {
  if (text === undefined) return null;
  const [v, m] = text.split('/');
  const value = parseUint32(v);
  const mask = m === undefined ? 0xffffffff : parseUint32(m);
  return value === null || mask === null ? null : { value, mask };
}

export function parseUint32(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const t = text.trim().toLowerCase();
  let n: number;
  if (/^0x[0-9a-f]+$/.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^\d+$/.test(t)) n = Number(t);
  else return null;
  return n <= 0xffffffff ? n >>> 0 : null;
}

export type PortRange = readonly [number, number];

/** "80", "1000:2000", ":80", "1024:" (also "a-b" as multiport-style lists may write). */
export function parsePortRange(text: string): PortRange | null {
  const sep = text.includes(':') ? ':' : text.includes('-') ? '-' : null;
  if (sep === null) {
    const p = parsePort(text);
    return p === null ? null : [p, p];
  }
  const [a, b] = text.split(sep);
  const lo = a === '' ? 0 : parsePort(a!);
  const hi = b === '' ? 65535 : parsePort(b!);
  return lo === null || hi === null ? null : [Math.min(lo, hi), Math.max(lo, hi)];
}

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/** A comma list of ports and ranges (multiport). */
export function parsePortList(text: string): PortRange[] | null {
  const out: PortRange[] = [];
  for (const part of text.split(',')) {
    const r = parsePortRange(part.trim());
    if (!r) return null;
    out.push(r);
  }
  return out;
}

export function inPortRanges(port: number, ranges: readonly PortRange[]): boolean {
  for (const [lo, hi] of ranges) if (port >= lo && port <= hi) return true;
  return false;
}

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  all: 0, icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58,
  icmpv6: 58, icmp6: 58, sctp: 132, udplite: 136, dccp: 33, mh: 135,
};

/** "tcp", "6", "all" -> protocol number (0 = all); null when unknown. */
export function protocolNumber(name: string): number | null {
  const lower = name.toLowerCase();
  if (lower in PROTOCOL_NUMBERS) return PROTOCOL_NUMBERS[lower]!;
  if (/^\d{1,3}$/.test(lower) && Number(lower) <= 255) return Number(lower);
  return null;
}

/**
 * The chance that `-m statistic --mode random --probability p` matches, exactly as the kernel
 * draws it: iptables stores lround(p × 2^31) and the kernel compares 31 random bits with it.
 * So restore form 0.3333333333 and save form 0.33333333349 give the same number.
 */
export function kernelProbability(p: number): number {
  if (!(p > 0)) return 0;
  if (p >= 1) return 1;
  return Math.round(p * 0x80000000) / 0x80000000;
}
