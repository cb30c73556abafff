/** Real TCP connections and UDP exchanges from inside a namespace, many at a time, through connector.mjs. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { routeSource } from './exec.js';

const CONNECTOR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'connector.mjs');
const SCTP_INIT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sctp-init.pl');

export type ConnectResult = 'connected' | 'refused' | 'timeout' | 'dropped-local' | 'error' | 'not-run';

export interface ConnectAttempt {
  /** Index of the target in the call's target list. */
  readonly target: number;
  /** "ip:port" connected to. */
  readonly dst: string;
  readonly src: string;
  readonly sport: number;
  readonly result: ConnectResult;
  /** The endpoint's "ip:port" as the listener saw it. */
  readonly answeredBy?: string;
  /** errno code for refused/error results. */
  readonly error?: string;
  readonly ms?: number;
}

export interface ConnectTarget {
  readonly ip: string;
  readonly port: number;
  readonly count: number;
  /** Overrides the batch's timeoutMs for this target (short where a DROP is expected). */
  readonly timeoutMs?: number;
  /** tcp (default): a connection; udp: one datagram and the endpoint's answer. */
  readonly protocol?: 'tcp' | 'udp';
  /** Overrides the batch's source address for this target (many clients in one connector run). */
  readonly sourceAddress?: string;
}

export interface ConnectOptions {
  /** Per-attempt timeout; keep it short where DROP is expected. */
  readonly timeoutMs?: number;
  /** Source address to bind; by default the one the namespace's routing picks for the first target. */
  readonly sourceAddress?: string;
  readonly parallel?: number;
  /** Upper bound for the whole batch. */
  readonly deadlineMs?: number;
}

// Source ports handed out per namespace: each attempt gets a fresh one, so conntrack entries
// (and TIME_WAIT) never collide and every attempt can be found again.
const nextSport = new Map<string, number>();
const SPORT_FIRST = 10_000;
const SPORT_LAST = 60_999;

function allocateSports(ns: string, n: number): number {
  const first = nextSport.get(ns) ?? SPORT_FIRST;
  if (first + n - 1 > SPORT_LAST) throw new Error(`namespace ${ns} ran out of source ports`);
  nextSport.set(ns, first + n);
  return first;
}

/** `count` connections to one ip:port from namespace `fromNs`. */
export function connect(
  fromNs: string,
  ip: string,
  port: number,
  opts: ConnectOptions & { readonly count: number },
): Promise<ConnectAttempt[]> {
  return connectMany(fromNs, [{ ip, port, count: opts.count }], opts);
}

/** Many connections from one namespace and source address, run in parallel by connector.mjs. */
export async function connectMany(
  fromNs: string,
  targets: readonly ConnectTarget[],
  opts: ConnectOptions = {},
): Promise<ConnectAttempt[]> {
  const total = targets.reduce((n, t) => n + t.count, 0);
  if (total === 0) return [];
  const sourceAddress = opts.sourceAddress ?? routeSource(fromNs, targets[0]!.ip);
  const plan = {
    targets,
    sourceAddress,
    sportBase: allocateSports(fromNs, total),
    timeoutMs: opts.timeoutMs ?? 2000,
    parallel: opts.parallel ?? 32,
    deadlineMs: opts.deadlineMs ?? 60_000,
  };
  // The connector bounds itself by deadlineMs; the kill is the backstop.
  const stdout = await runInNs(fromNs, [process.execPath, CONNECTOR, JSON.stringify(plan)], 'connector', plan.deadlineMs + 15_000);
  const attempts = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ConnectAttempt);
  if (attempts.length !== total) throw new Error(`connector reported ${attempts.length} of ${total} attempts`);
  return attempts;
}

/**
 * SCTP attempts from one namespace and source address: one INIT each, through sctp-init.pl (raw
 * sockets: the kernel here has no SCTP sockets). Results: refused (ICMP port unreachable, a
 * REJECT), connected (protocol unreachable from the host the INIT reached), timeout (nothing
 * back), dropped-local (EPERM from the node's own OUTPUT). answeredBy is never known.
 */
export async function sctpMany(
  fromNs: string,
  targets: readonly ConnectTarget[],
  opts: { readonly sourceAddress: string; readonly waitMs?: number },
): Promise<ConnectAttempt[]> {
  const total = targets.reduce((n, t) => n + t.count, 0);
  if (total === 0) return [];
  let sport = allocateSports(fromNs, total);
  const planned: Array<{ target: number; dst: string; src: string; sport: number; line: string }> = [];
  targets.forEach((t, target) => {
    const src = t.sourceAddress ?? opts.sourceAddress;
    for (let k = 0; k < t.count; k++, sport++) {
      planned.push({ target, dst: t.ip.includes(':') ? `[${t.ip}]:${t.port}` : `${t.ip}:${t.port}`, src, sport, line: `${src} ${sport} ${t.ip} ${t.port}` });
    }
  });
  const families = new Set(planned.map((p) => p.src.includes(':')));
  if (families.size > 1) throw new Error('sctpMany: one family per call');
  const waitMs = opts.waitMs ?? 1500;
  const input = planned.map((p) => p.line).join('\n') + '\n';
  const stdout = await runInNs(fromNs, ['perl', SCTP_INIT, String(waitMs)], 'sctp-init.pl', waitMs + 30_000, input);
  const results = new Map<number, { result: ConnectResult; error?: string }>();
  for (const line of stdout.split('\n')) {
    const m = /^(\d+) (refused|connected|timeout|dropped-local|error)(?: (\S+))?$/.exec(line.trim());
    if (m) results.set(Number(m[1]), { result: m[2] as ConnectResult, ...(m[3] ? { error: m[3] } : {}) });
  }
  if (results.size !== planned.length) throw new Error(`sctp-init.pl reported ${results.size} of ${planned.length} attempts: ${stdout.slice(0, 500)}`);
  return planned.map((p) => ({ target: p.target, dst: p.dst, src: p.src, sport: p.sport, ...results.get(p.sport)! }));
}

/** Runs argv in the namespace and gives its standard output; killed after killAfterMs (a backstop), rejected on a non-zero exit. */
function runInNs(ns: string, argv: readonly string[], what: string, killAfterMs: number, input?: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => (out += d));
    child.stderr!.on('data', (d: string) => (errText += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      if (code === 0) resolve(out);
      else reject(new Error(`${what} in ${ns} exited ${code}: ${errText.trim()}`));
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}
