/**
 * Turning what the kernel did into the tracer's terms, and deciding how many connections it
 * takes to see every outcome the tracer predicts.
 */
import type { Outcome, Verdict } from '../../src/core/trace/types.js';
import type { ConnectAttempt, ConntrackEntry } from './netns.js';

export interface KernelOutcome {
  readonly verdict: Verdict;
  /** The endpoint the reply came from, when it differs from what the client dialled. */
  readonly dnat: string | null;
  /** Whether the reply went to another address than the client's: the source was rewritten. */
  readonly masquerade: boolean;
  /** How this was read off the kernel, for failure messages. */
  readonly evidence: string;
}

/** The comparable part of an outcome. DROP/REJECT: only the verdict, which is all the client sees. */
export function outcomeKey(o: { verdict: Verdict; dnat: string | null; masquerade: boolean }): string {
  if (o.verdict !== 'ACCEPT') return o.verdict;
  return `ACCEPT dnat=${o.dnat === null ? '-' : canonicalHostPort(o.dnat)} masquerade=${o.masquerade}`;
}

/** "ip:port", "[v6]:port" with the IPv6 address in its one canonical text (RFC 5952, as the URL standard writes it). */
export function canonicalHostPort(hostPort: string): string {
  const [ip, port] = splitHostPort(hostPort);
  return joinHostPort(ip, port);
}

export function canonicalIp(ip: string): string {
  return ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${canonicalIp(ip)}]:${port}` : `${ip}:${port}`;
}

/** The tracer's outcomes by key, probabilities summed, only those with probability > 0. */
export function possibleKeys(outcomes: readonly Outcome[]): Map<string, number> {
  const keys = new Map<string, number>();
  for (const o of outcomes) {
    if (!(o.probability > 0)) continue;
    const k = outcomeKey(o);
    keys.set(k, (keys.get(k) ?? 0) + o.probability);
  }
  return keys;
}

export function conntrackKey(protocol: string, src: string, sport: number, dst: string, dport: number): string {
  return `${protocol}|${src}|${sport}|${dst}|${dport}`;
}

export function indexConntrack(entries: readonly ConntrackEntry[]): Map<string, ConntrackEntry> {
  const m = new Map<string, ConntrackEntry>();
  for (const e of entries) {
    if (e.orig.sport === null || e.orig.dport === null) continue;
    m.set(conntrackKey(e.protocol, canonicalIp(e.orig.src), e.orig.sport, canonicalIp(e.orig.dst), e.orig.dport), e);
  }
  return m;
}

/**
 * What the kernel did with one connection attempt, read from the node's conntrack table and
 * what the client saw.
 *
 * - An entry that saw a reply: the first packet passed every hook. The reply tuple names the
 *   endpoint (DNAT) and whether the source was rewritten (masquerade).
 * - No entry: the SYN died in a filter hook before conntrack confirmed it (FORWARD, or INPUT
 *   for traffic from the network): refused = REJECT, timeout (EPERM for the node's own
 *   packets) = DROP.
 * - An entry that never saw a reply: conntrack confirms the node's own packets in POSTROUTING,
 *   before they come back over loopback through filter INPUT. A refusal then is a REJECT in
 *   INPUT; a timeout towards a node address is a DROP in INPUT; a timeout elsewhere means the
 *   packet was forwarded and nobody answered (ACCEPT).
 */
export function kernelOutcome(
  attempt: ConnectAttempt,
  conntrack: ReadonlyMap<string, ConntrackEntry>,
  nodeAddresses: ReadonlySet<string>,
  protocol: 'tcp' | 'udp' | 'sctp' = 'tcp',
): KernelOutcome | { error: string } {
  const [dstIP, dstPort] = splitHostPort(attempt.dst);
  const entry = conntrack.get(conntrackKey(protocol, canonicalIp(attempt.src), attempt.sport, canonicalIp(dstIP), dstPort));
  const failed = attempt.result !== 'connected';
  if (entry) {
    const replied = joinHostPort(entry.reply.src, entry.reply.sport ?? 0);
    const dnat = replied === canonicalHostPort(attempt.dst) ? null : replied;
    const evidence = `conntrack ${entry.state ?? ''}${entry.flags.length ? ` [${entry.flags.join(',')}]` : ''} reply src=${replied} dst=${entry.reply.dst}, client ${attempt.result}`;
    if (entry.flags.includes('UNREPLIED') && failed) {
      if (attempt.result === 'refused') return { verdict: 'REJECT', dnat: null, masquerade: false, evidence };
      if (nodeAddresses.has(entry.reply.src)) return { verdict: 'DROP', dnat: null, masquerade: false, evidence };
    }
    if (attempt.answeredBy !== undefined && dnat !== null && canonicalHostPort(attempt.answeredBy) !== dnat) {
      return { error: `conntrack says ${dnat} but ${attempt.answeredBy} answered` };
    }
    return { verdict: 'ACCEPT', dnat, masquerade: canonicalIp(entry.reply.dst) !== canonicalIp(attempt.src), evidence };
  }
  switch (attempt.result) {
    case 'refused':
      return { verdict: 'REJECT', dnat: null, masquerade: false, evidence: 'ECONNREFUSED, no conntrack entry' };
    case 'timeout':
      return { verdict: 'DROP', dnat: null, masquerade: false, evidence: 'timeout, no conntrack entry' };
    case 'dropped-local':
      return { verdict: 'DROP', dnat: null, masquerade: false, evidence: 'EPERM from a local DROP, no conntrack entry' };
    default:
      return { error: `client result ${attempt.result} (${attempt.error ?? 'no error code'}) and no conntrack entry` };
  }
}

/** "ip:port" or "[v6]:port" into the address (without brackets) and the port. */
export function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  const ip = hostPort.slice(0, i);
  return [ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip, Number(hostPort.slice(i + 1))];
}

/**
 * Connections needed so that every predicted outcome shows up with odds of missing one below
 * `missOdds`: n >= ln(k / missOdds) / -ln(1 - pmin) for k outcomes, the rarest at pmin.
 */
export function attemptsForCoverage(probabilities: readonly number[], missOdds = 1e-6, cap = 250): number {
  const ps = probabilities.filter((p) => p > 0);
  if (ps.length === 0) return 1;
  const pmin = Math.min(...ps);
  if (pmin >= 1 - 1e-12) return 1;
  const n = Math.ceil(Math.log(ps.length / missOdds) / -Math.log(1 - pmin));
  return Math.min(Math.max(n, 1), cap);
}

/**
 * The counts a Binomial(n, p) variable stays within except with probability at most `alpha`:
 * the tightest [lo, hi] with P(X < lo) <= alpha/2 and P(X > hi) <= alpha/2, computed exactly
 * (log-space pmf summed), not by a normal approximation, so it holds for small shares too.
 */
export function binomialRange(n: number, p: number, alpha: number): [number, number] {
  if (!(n >= 0 && Number.isInteger(n))) throw new Error(`n must be a whole number: ${n}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`p must be in [0, 1]: ${p}`);
  if (p === 0) return [0, 0];
  if (p === 1) return [n, n];
  const logFact: number[] = [0];
  for (let i = 1; i <= n; i++) logFact.push(logFact[i - 1]! + Math.log(i));
  const pmf = (k: number) => Math.exp(logFact[n]! - logFact[k]! - logFact[n - k]! + k * Math.log(p) + (n - k) * Math.log1p(-p));
  let lo = 0;
  for (let below = 0; lo < n && below + pmf(lo) <= alpha / 2; lo++) below += pmf(lo);
  let hi = n;
  for (let above = 0; hi > 0 && above + pmf(hi) <= alpha / 2; hi--) above += pmf(hi);
  return [lo, hi];
}
