/**
 * Connections in the benchmark (issue 15): a throwaway network namespace's conntrack table filled
 * with real entries (`conntrack --load-file`, one netlink batch of `-I` commands: about 15 µs an
 * entry here, where one `conntrack -I` process per entry would take hours), shaped like a busy
 * node of the 10k-service dump: most entries a connection to a service frontend (cluster IP, node
 * port, LoadBalancer or external IP) answered by one of its endpoints, masqueraded where
 * kube-proxy masquerades (from outside the cluster), and some connections no service owns (pods
 * talking to the internet, SNATed to the node). Then `conntrack -L` prints the table into a file,
 * timed, and kubechains reads that very file.
 *
 * Only namespaces named kc-bench-… are touched (kernel.ts); the table dies with the namespace.
 * nf_conntrack_max is global on recent kernels (read-only inside a namespace) and compared with
 * each namespace's own count: the bench checks it leaves room and never changes it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { countConnections } from '../core/index.js';
import { servicePortFacts, type PortFacts } from '../gen/port-facts.js';
import { prng } from '../gen/random-spec.js';
import type { ClusterSpec } from '../gen/spec.js';
import { measureLoad } from './measure.js';
import { runChecked, runMeasured, type ProcResult } from './proc.js';
import { timed } from './stats.js';

/** Issue 15's table size. */
export const CONNTRACK_ENTRIES = 250_000;

export interface ConntrackBenchTable {
  /** The `conntrack --load-file` input: one `-I …` command a line. */
  readonly loadFile: string;
  readonly entries: number;
  /** Entries whose original destination is a frontend and reply source one of its endpoints. */
  readonly toServices: number;
  /** Of those, how many reply to the node's address instead of the client (masqueraded). */
  readonly masqueraded: number;
  /** Entries to no service at all. */
  readonly unrelated: number;
  readonly byState: Readonly<Record<string, number>>;
}

/** Distinct client addresses per kind; with the source port derived from the entry's index, every original tuple is unique. */
const CLIENTS = 4096;
const podClient = (c: number) => `10.244.${1 + (c >> 8)}.${c & 255}`;
const outsideClient = (c: number) => `100.64.${c >> 8}.${c & 255}`;
const internetHost = (c: number) => `140.82.${c >> 8}.${c & 255}`;

const TCP_STATES: ReadonlyArray<readonly [string, number]> = [
  ['ESTABLISHED', 0.86],
  ['TIME_WAIT', 0.1],
  ['CLOSE_WAIT', 0.02],
  ['FIN_WAIT', 0.01],
  ['SYN_SENT', 0.01],
];

function pickState(r: number): string {
  let acc = 0;
  for (const [state, share] of TCP_STATES) {
    acc += share;
    if (r < acc) return state;
  }
  return TCP_STATES[0]![0];
}

/** The endpoints kube-proxy on this node sends a port's traffic to: from outside (eTP) or inside (iTP) the cluster. */
function reachable(f: PortFacts, external: boolean): PortFacts['endpoints'] {
  const local = external ? f.eTPLocal : f.iTPLocal;
  return local ? f.endpoints.filter((e) => e.local) : f.endpoints;
}

/**
 * The `-I` lines for `entries` connections of `spec`'s cluster, as its node (spec.nodeIPs[0]) sees
 * them: 90% to a service port with endpoints (TCP and UDP ports; SCTP ones are left out), the
 * rest to the internet. Written into `dir`.
 */
export function writeConntrackTable(dir: string, spec: ClusterSpec, entries = CONNTRACK_ENTRIES, seed = 15): ConntrackBenchTable {
  const nodeIP = spec.nodeIPs[0]!;
  const ports = spec.services.flatMap(servicePortFacts).filter((f) => f.endpoints.length > 0 && (f.proto === 'tcp' || f.proto === 'udp'));
  if (ports.length === 0) throw new Error('the cluster has no TCP or UDP service port with endpoints');
  const rnd = prng(seed);
  // Reply destination ports handed out per reply source when the reply goes to the node (SNAT/masquerade).
  const natPorts = new Map<string, number>();
  const natPort = (replySrc: string): number => {
    const p = natPorts.get(replySrc) ?? 32768;
    if (p > 65535) throw new Error(`more than 32768 masqueraded connections from ${replySrc}`);
    natPorts.set(replySrc, p + 1);
    return p;
  };
  const byState: Record<string, number> = {};
  const lines: string[] = [];
  let toServices = 0;
  let masqueraded = 0;
  for (let i = 0; i < entries; i++) {
    const client = i % CLIENTS;
    const sport = 1024 + Math.floor(i / CLIENTS);
    if (sport > 65535) throw new Error(`${entries} entries need more than ${CLIENTS} clients`);
    let proto: string;
    let src: string;
    let dst: string;
    let dport: number;
    let replySrc: string;
    let replySport: number;
    let masquerade: boolean;
    if (rnd() < 0.9) {
      let f = ports[Math.floor(rnd() * ports.length)]!;
      const r = rnd();
      const external = [...f.lbIPs, ...f.externalIPs];
      if (f.nodePort !== null && r < 0.15) [src, dst, dport, masquerade] = [outsideClient(client), nodeIP, f.nodePort, true];
      else if (external.length > 0 && r < 0.25) [src, dst, dport, masquerade] = [outsideClient(client), external[Math.floor(rnd() * external.length)]!, f.port, true];
      else [src, dst, dport, masquerade] = [podClient(client), f.clusterIP, f.port, false];
      // Only an endpoint this node's kube-proxy can send that traffic to (a traffic policy Local
      // keeps it on local endpoints); with none, the connection goes to the next port's cluster IP.
      let eps = reachable(f, masquerade);
      for (let tries = 0; eps.length === 0; tries++) {
        if (tries === ports.length) throw new Error('no service port has an endpoint this node sends its cluster traffic to');
        f = ports[(ports.indexOf(f) + 1) % ports.length]!;
        [src, dst, dport, masquerade] = [podClient(client), f.clusterIP, f.port, false];
        eps = reachable(f, false);
      }
      const ep = eps[Math.floor(rnd() * eps.length)]!;
      proto = f.proto;
      [replySrc, replySport] = [ep.ip, ep.port];
      toServices++;
      if (masquerade) masqueraded++;
    } else {
      proto = 'tcp';
      [src, dst, dport, replySrc, replySport, masquerade] = [podClient(client), internetHost(Math.floor(rnd() * CLIENTS)), 443, '', 443, true];
      replySrc = dst;
    }
    const replyDst = masquerade ? nodeIP : src;
    const replyDport = masquerade ? natPort(`${proto} ${replySrc}:${replySport}`) : sport;
    let status: string;
    let state = '';
    if (proto === 'tcp') {
      const s = pickState(rnd());
      state = ` --state ${s}`;
      byState[s] = (byState[s] ?? 0) + 1;
      status = s === 'SYN_SENT' ? '' : ' -u SEEN_REPLY,ASSURED';
    } else {
      const replied = rnd() < 0.95;
      const key = replied ? 'ASSURED' : 'UNREPLIED';
      byState[key] = (byState[key] ?? 0) + 1;
      status = replied ? ' -u SEEN_REPLY,ASSURED' : '';
    }
    lines.push(
      `-I -p ${proto} -s ${src} -d ${dst} --sport ${sport} --dport ${dport} -r ${replySrc} -q ${replyDst} ` +
        `--reply-port-src ${replySport} --reply-port-dst ${replyDport}${state} -t 86400${status}`,
    );
  }
  const loadFile = path.join(dir, `conntrack-${entries}.load`);
  writeFileSync(loadFile, lines.join('\n') + '\n');
  return { loadFile, entries, toServices, masqueraded, unrelated: entries - toServices, byState };
}

/** Entries in `ns`'s table (`conntrack -C`). */
export function conntrackCount(ns: string): number {
  return Number(runChecked('ip', ['netns', 'exec', ns, 'conntrack', '-C']).trim());
}

/** nf_conntrack_max as `ns` sees it (global on recent kernels, compared with each namespace's own count). */
export function conntrackMax(ns: string): number {
  return Number(readFileSyncInNs(ns, '/proc/sys/net/netfilter/nf_conntrack_max'));
}

function readFileSyncInNs(ns: string, file: string): string {
  return runChecked('ip', ['netns', 'exec', ns, 'cat', file]).trim();
}

/** Fills `ns`'s table from the load file; checks the kernel took every entry. Setup, but timed for the report. */
export async function fillConntrack(ns: string, table: ConntrackBenchTable): Promise<ProcResult> {
  const max = conntrackMax(ns);
  if (max < table.entries) throw new Error(`nf_conntrack_max is ${max}, below the ${table.entries} entries wanted (not raised: it is global)`);
  const r = await runMeasured('ip', ['netns', 'exec', ns, 'conntrack', '--load-file', table.loadFile], { discardStdout: true });
  if (r.code !== 0) throw new Error(`conntrack --load-file failed (exit ${r.code}): ${r.stderr.trim().split('\n')[0]}`);
  const count = conntrackCount(ns);
  if (count !== table.entries) throw new Error(`the kernel holds ${count} entries after loading ${table.entries}`);
  return r;
}

/** `conntrack -L` printing the table into `file`, measured; the trailer on its stderr must count every entry. */
export async function listConntrack(ns: string, file: string, expected: number): Promise<ProcResult> {
  const r = await runMeasured('ip', ['netns', 'exec', ns, 'conntrack', '-L'], { stdoutFile: file });
  if (r.code !== 0) throw new Error(`conntrack -L failed (exit ${r.code}): ${r.stderr.trim().split('\n')[0]}`);
  const shown = /(\d+) flow entries have been shown/.exec(r.stderr);
  if (!shown || Number(shown[1]) !== expected) throw new Error(`conntrack -L showed ${shown?.[1] ?? 'no count of'} entries, ${expected} expected`);
  return r;
}

export interface ConntrackMeasure {
  readonly entries: number;
  readonly warnings: number;
  /** The trailer's count when the listing has one (conntrack prints it on stderr: usually none). */
  readonly reportedCount: number | null;
  /** The 10k-service dump loaded first (parse + model), not part of the measured figure. */
  readonly rulesLoadMs: number;
  readonly readMs: number;
  /** parse + attribution in one pass (countConnections, as conns runs): what issue 15 compares with `conntrack -L` printing the table. */
  readonly totalMs: number;
  readonly totalCpuMs: number;
  /** What the attribution found (checked against the generated table by the bench). */
  readonly connections: number;
  readonly masqueraded: number;
  readonly unmatched: number;
  readonly servicesWithConnections: number;
  /** Peak RSS of the process (MB): the rules model, the listing's text and the table. */
  readonly maxRssMB: number;
}

/** Load the dump, then read the listing and count its connections (parse + attribution in one pass), timed apart; run in a fresh process for its peak RSS. */
export async function measureConntrack(dumpFile: string, listingFile: string, nodeIP: string): Promise<ConntrackMeasure> {
  const { result: rules, model } = await measureLoad(dumpFile);
  const read = timed(() => readFileSync(listingFile, 'utf8'));
  const count = timed(() => countConnections(read.value, listingFile, model, { nodeAddresses: [nodeIP] }));
  const { report } = count.value;
  let connections = 0;
  let masqueraded = 0;
  let servicesWithConnections = 0;
  for (const s of report.services) {
    connections += s.connections;
    if (s.connections > 0) servicesWithConnections++;
    for (const e of s.endpoints) masqueraded += e.masqueraded;
  }
  return {
    entries: count.value.entries,
    warnings: count.value.warnings.length,
    reportedCount: count.value.reportedCount,
    rulesLoadMs: rules.loadMs,
    readMs: read.wallMs,
    totalMs: count.wallMs,
    totalCpuMs: count.cpuMs,
    connections,
    masqueraded,
    unmatched: report.unmatched,
    servicesWithConnections,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

/** Why the connections figures cannot be measured here (beyond kernel.ts's reasons), or null. */
export function conntrackUnavailable(): string | null {
  const r = spawnSync('conntrack', ['--version'], { stdio: 'ignore' });
  return r.error || r.status !== 0 ? 'needs conntrack (apt-get install conntrack)' : null;
}

/** A measured process as the report shows it. */
export interface ProcFigures {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMB: number;
}

export interface ConntrackBenchRun {
  /** `conntrack -L` printing the table into a file. */
  readonly list: ProcFigures;
  /** Parse + attribution of that file in a fresh process (child.ts), and that process as GNU time saw it. */
  readonly kubechains: { readonly measure: ConntrackMeasure; readonly proc: ProcFigures };
  /** The whole `kubechains conns DUMP --conntrack FILE --node-ip IP --json` command, output discarded. */
  readonly cli: ProcFigures;
}

export interface ConntrackBenchResult {
  readonly services: number;
  readonly table: Omit<ConntrackBenchTable, 'loadFile'>;
  /** Size of the `conntrack -L` listing (MB). */
  readonly listingMB: number;
  /** `conntrack --load-file` filling the namespace (setup, shown for scale). */
  readonly fill: ProcFigures;
  readonly runs: readonly ConntrackBenchRun[];
}
