/** The node's conntrack table: what the kernel decided for each connection. */
import { inNs } from './exec.js';

export interface ConntrackTuple {
  readonly src: string;
  readonly dst: string;
  readonly sport: number | null;
  readonly dport: number | null;
}

export interface ConntrackEntry {
  readonly protocol: string;
  readonly state: string | null;
  readonly orig: ConntrackTuple;
  readonly reply: ConntrackTuple;
  readonly mark: number | null;
  readonly flags: readonly string[];
}

/** Parse `conntrack -L` lines: the first src/dst/sport/dport group is the original direction. */
export function parseConntrack(text: string): ConntrackEntry[] {
  const entries: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length < 4 || !/^[a-z]+$/.test(words[0]!)) continue;
    const groups: Array<Record<string, string>> = [{}, {}];
    let mark: number | null = null;
    const flags: string[] = [];
    let state: string | null = null;
    for (const w of words.slice(1)) {
      const kv = /^([a-z_]+)=(.*)$/.exec(w);
      if (kv) {
        const [, key, value] = kv as unknown as [string, string, string];
        if (key === 'mark') mark = Number(value);
        else if (['src', 'dst', 'sport', 'dport'].includes(key)) {
          const g = groups[0]![key] === undefined ? groups[0]! : groups[1]!;
          g[key] = value;
        }
      } else if (/^\[[A-Z_]+\]$/.test(w)) flags.push(w.slice(1, -1));
      else if (/^[A-Z_]+$/.test(w)) state = w;
    }
    const tuple = (g: Record<string, string>): ConntrackTuple => ({
      src: g.src ?? '',
      dst: g.dst ?? '',
      sport: g.sport === undefined ? null : Number(g.sport),
      dport: g.dport === undefined ? null : Number(g.dport),
    });
    if (!groups[0]!.src || !groups[1]!.src) continue;
    entries.push({ protocol: words[0]!, state, orig: tuple(groups[0]!), reply: tuple(groups[1]!), mark, flags });
  }
  return entries;
}

/** Both families' entries (conntrack -L alone lists IPv4 only). */
export function conntrackList(ns: string): ConntrackEntry[] {
  return parseConntrack(inNs(ns, 'conntrack', ['-L', '-f', 'ipv4']) + '\n' + inNs(ns, 'conntrack', ['-L', '-f', 'ipv6']));
}

/** `conntrack -S` summed over CPUs: insert_failed, drop, clash_resolve, invalid, … */
export function conntrackStats(ns: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const m of inNs(ns, 'conntrack', ['-S']).matchAll(/\b([a-z_]+)=(\d+)/g)) {
    if (m[1] === 'cpu') continue;
    totals[m[1]!] = (totals[m[1]!] ?? 0) + Number(m[2]);
  }
  return totals;
}

export function conntrackFlush(ns: string): void {
  inNs(ns, 'conntrack', ['-F', '-f', 'ipv4']);
  inNs(ns, 'conntrack', ['-F', '-f', 'ipv6']);
}

/**
 * SYNs the namespace's TCP stack sent again (TcpExt TCPSynRetrans in its own /proc/net/netstat).
 * A SYN lost after nat PREROUTING but before conntrack confirmed its entry (a full backlog on a
 * loaded machine) leaves no entry: the retransmission is a new connection to netfilter, so the
 * DNAT rule counts one connection twice. This bounds how often that can have happened.
 */
export function synRetransmits(ns: string): number {
  const lines = inNs(ns, 'cat', ['/proc/net/netstat']).split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = (lines[0] ?? '').split(/\s+/);
  const values = (lines[1] ?? '').split(/\s+/);
  const at = names.indexOf('TCPSynRetrans');
  if (at < 1) throw new Error(`${ns}: no TcpExt TCPSynRetrans in /proc/net/netstat`);
  return Number(values[at]);
}
