/**
 * What the benchmark measures inside one process, as plain functions (the child process entry
 * calls them in a fresh process; the tests call them at tiny sizes). No thresholds here: they
 * return numbers, the report compares them with design.md's targets.
 */
import { readFile } from 'node:fs/promises';
import { buildKubeModel, rebaseKubeModel, type KubeModel, type ServicePort } from '../core/kube/index.js';
import { parseIptablesSave, type Ruleset } from '../core/parse/index.js';
import { tracePacket } from '../core/trace/index.js';
import { readDumpFile } from '../sources/file.js';
import type { Snapshot } from '../sources/types.js';
import { snapshotData } from '../tui/model/snapshot-data.js';
import { max, median, timed } from './stats.js';

export interface LoadResult {
  readonly bytes: number;
  readonly rules: number;
  readonly chains: number;
  readonly servicePorts: number;
  readonly endpoints: number;
  /** Reading and decoding the file (kubechains' file source), before the parse. */
  readonly readMs: number;
  readonly readCpuMs: number;
  readonly parseMs: number;
  readonly parseCpuMs: number;
  readonly modelMs: number;
  readonly modelCpuMs: number;
  /** parse + model: what design.md compares with iptables-restore --test. */
  readonly loadMs: number;
  readonly loadCpuMs: number;
  /** Peak RSS of this process so far (MB): measure in a fresh process. */
  readonly maxRssMB: number;
  readonly errors: number;
}

export async function measureLoad(file: string): Promise<{ result: LoadResult; ruleset: Ruleset; model: KubeModel }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const text = await readDumpFile(file);
  const readMs = performance.now() - t0;
  const readCpuMs = cpu(process.cpuUsage(c0));
  const parse = timed(() => parseIptablesSave(text));
  const model = timed(() => buildKubeModel(parse.value));
  const ruleset = parse.value;
  const endpoints = model.value.services.reduce((n, s) => n + s.endpoints.length, 0);
  const result: LoadResult = {
    bytes: text.length,
    rules: ruleset.tables.reduce((n, t) => n + t.rules.length, 0),
    chains: ruleset.tables.reduce((n, t) => n + t.chains.length, 0),
    servicePorts: model.value.services.length,
    endpoints,
    readMs,
    readCpuMs,
    parseMs: parse.wallMs,
    parseCpuMs: parse.cpuMs,
    modelMs: model.wallMs,
    modelCpuMs: model.cpuMs,
    loadMs: parse.wallMs + model.wallMs,
    loadCpuMs: parse.cpuMs + model.cpuMs,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    errors: ruleset.diagnostics.filter((d) => d.severity === 'error').length,
  };
  return { result, ruleset, model: model.value };
}

export interface LatencyResult {
  readonly count: number;
  /** The first one (indexes built on first use, code not yet compiled), then the rest. */
  readonly firstMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

function latency(samples: readonly number[]): LatencyResult {
  const rest = samples.slice(1);
  return { count: samples.length, firstMs: samples[0] ?? NaN, medianMs: median(rest.length > 0 ? rest : samples), maxMs: max(samples) };
}

/** Services a trace can reach: a cluster IP, a TCP port, endpoints; spread over the list. */
export function traceableServices(model: KubeModel, count: number): ServicePort[] {
  const ok = model.services.filter((s) => s.clusterIP !== null && s.port !== null && s.protocol === 'tcp' && s.endpoints.length > 0 && s.family === 'ipv4');
  if (ok.length <= count) return ok;
  const step = ok.length / count;
  return Array.from({ length: count }, (_, i) => ok[Math.floor(i * step)]!);
}

/** tracePacket to the cluster IPs of `count` services, after the load, one at a time. */
export function measureTraces(ruleset: Ruleset, model: KubeModel, count: number): LatencyResult & { readonly outcomes: number } {
  const samples: number[] = [];
  let outcomes = 0;
  for (const s of traceableServices(model, count)) {
    const t0 = performance.now();
    const r = tracePacket(ruleset, { protocol: 'tcp', src: '203.0.113.7', dst: s.clusterIP!, dport: s.port! }, { localAddresses: ['192.168.0.10'] });
    samples.push(performance.now() - t0);
    outcomes += r.outcomes.length;
  }
  return { ...latency(samples), outcomes };
}

export interface RefreshResult {
  /** CPU and wall time of each refresh: read + parse + model + the explorer's data, sorted by rate. */
  readonly cpuMs: readonly number[];
  readonly wallMs: readonly number[];
  /** Median over the refreshes after the first (a running explorer is warm). */
  readonly medianCpuMs: number;
  readonly medianWallMs: number;
  readonly firstCpuMs: number;
  /** Services with a rate in the last refresh (the counters diff did real work). */
  readonly servicesWithRates: number;
  /** Refreshes whose model carried over from the previous one (the same rules, new counts). */
  readonly carriedOver: number;
  /** Peak RSS of the process over the load and the refreshes (MB): two snapshots alive, as in the explorer. */
  readonly peakRssMB: number;
}

/**
 * A live refresh as the explorer does it, timed: the new dump is read and parsed, its model
 * carried over from the previous snapshot when the rules are the same (else built), the
 * explorer's data made with the previous snapshot's counters, and the services list sorted by
 * rate (the costliest screen: every service's delta). `first` is loaded untimed, then each of
 * `next` in turn is a refresh.
 */
export async function measureRefresh(first: string, next: readonly string[], intervalMs = 2000): Promise<RefreshResult> {
  const snapshot = async (file: string, at: number): Promise<Snapshot> => {
    const text = await readDumpFile(file);
    return { text, ruleset: parseIptablesSave(text), origin: file, takenAt: new Date(at), nodeAddresses: [] };
  };
  let at = Date.UTC(2026, 0, 1);
  let prev = snapshotData(await snapshot(first, at));
  const cpuSamples: number[] = [];
  const wallSamples: number[] = [];
  let servicesWithRates = 0;
  let carriedOver = 0;
  for (const file of next) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    at += intervalMs;
    const snap = await snapshot(file, at);
    // As the explorer does (refreshKubeModel), counting the refreshes whose model carried over.
    const rebased = rebaseKubeModel(prev.model, prev.ruleset, snap.ruleset);
    if (rebased) carriedOver++;
    const data = snapshotData(snap, undefined, prev, rebased ?? buildKubeModel(snap.ruleset));
    const rows = data.sortedServices('rate');
    wallSamples.push(performance.now() - t0);
    cpuSamples.push(cpu(process.cpuUsage(c0)));
    servicesWithRates = rows.filter((r) => data.diff.servicePort(r.service)?.packetRate != null).length;
    prev = data;
  }
  const warmCpu = cpuSamples.slice(1);
  const warmWall = wallSamples.slice(1);
  return {
    cpuMs: cpuSamples,
    wallMs: wallSamples,
    medianCpuMs: median(warmCpu.length > 0 ? warmCpu : cpuSamples),
    medianWallMs: median(warmWall.length > 0 ? warmWall : wallSamples),
    firstCpuMs: cpuSamples[0] ?? NaN,
    servicesWithRates,
    carriedOver,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

function cpu(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

export { latency };
