/**
 * Many nodes (issue 16): `kubechains nodes --json` over 50 nodes × 1,000 services, each node's
 * dump a generated file that the --source-cmd cats by {node}. Some nodes are made to disagree
 * (a service missing, an extra endpoint) so the comparison has work to do. Measured from outside:
 * wall time, CPU (the kubechains process and every `cat` it ran) and peak RSS (GNU time: the
 * largest process of the tree, which is kubechains).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKubeProxyRules, type ClusterSpec } from '../gen/kubeproxy.js';
import { benchSpec, LARGE_CLUSTER_ENDPOINTS } from './dumps.js';
import { runMeasured } from './proc.js';
import { median } from './stats.js';

export const BENCH_NODES = 50;
export const BENCH_NODE_SERVICES = 1000;

export interface NodesBenchRun {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMB: number;
}

export interface NodesBenchResult {
  readonly nodes: number;
  readonly services: number;
  /** One node's dump, for scale. */
  readonly dumpMB: number;
  readonly parallel: number;
  readonly diverging: number;
  readonly runs: readonly NodesBenchRun[];
  readonly median: NodesBenchRun;
}

/** Node i's view of the cluster: every 10th lacks a service, every 7th keeps a stale endpoint. */
function nodeSpec(base: ClusterSpec, i: number): ClusterSpec {
  let services = base.services;
  if (i % 10 === 3) services = services.filter((_, k) => k !== i);
  if (i % 7 === 5) services = services.map((s, k) => (k === i && s.endpoints.length > 0 ? { ...s, endpoints: [...s.endpoints, { ...s.endpoints[0]!, ip: '10.255.255.254' }] } : s));
  return { ...base, services };
}

export async function measureNodes(dir: string, cli: string, runs: number, log: (line: string) => void): Promise<NodesBenchResult> {
  const base = benchSpec(BENCH_NODE_SERVICES);
  const names: string[] = [];
  let bytes = 0;
  for (let i = 0; i < BENCH_NODES; i++) {
    const name = `node-${String(i).padStart(2, '0')}`;
    const text = generateKubeProxyRules(nodeSpec(base, i), { form: 'save', layout: 'current', largeClusterThreshold: LARGE_CLUSTER_ENDPOINTS, counters: 'zero' });
    writeFileSync(path.join(dir, `${name}.nodes.save`), text);
    if (i === 0) bytes = Buffer.byteLength(text);
    names.push(name);
  }
  const parallel = 8;
  const args = [cli, 'nodes', ...names, '--source-cmd', `cat ${dir}/{node}.nodes.save`, '--json', '--parallel', String(parallel)];
  const results: NodesBenchRun[] = [];
  let diverging = 0;
  for (let r = 0; r < runs; r++) {
    const proc = await runMeasured(process.execPath, args);
    if (proc.code !== 0) throw new Error(`kubechains nodes exited ${proc.code}: ${proc.stderr.trim().split('\n')[0]}`);
    const json = JSON.parse(proc.stdout) as { nodes: { ok: boolean }[]; services: { diverges: boolean }[] };
    if (json.nodes.filter((n) => n.ok).length !== BENCH_NODES) throw new Error('kubechains nodes did not read every node');
    diverging = json.services.filter((s) => s.diverges).length;
    results.push({ wallMs: proc.wallMs, cpuMs: proc.cpuMs, maxRssMB: proc.maxRssMB });
    log(`  run ${r + 1}: ${Math.round(proc.wallMs)} ms, ${Math.round(proc.cpuMs)} ms CPU, peak RSS ${Math.round(proc.maxRssMB)} MB`);
  }
  const med = (pick: (x: NodesBenchRun) => number) => median(results.map(pick));
  return {
    nodes: BENCH_NODES,
    services: BENCH_NODE_SERVICES,
    dumpMB: bytes / 1e6,
    parallel,
    diverging,
    runs: results,
    median: { wallMs: med((x) => x.wallMs), cpuMs: med((x) => x.cpuMs), maxRssMB: med((x) => x.maxRssMB) },
  };
}

/** The figures as report lines (terminal and BENCHMARKS.md alike). */
export function nodesReportLines(n: NodesBenchResult | { readonly error: string }): string[] {
  if ('error' in n) return [`Many nodes: not measured: ${n.error}`];
  const m = n.median;
  return [
    `Many nodes: \`kubechains nodes --json\` over ${n.nodes} nodes × ${n.services.toLocaleString('en-US')} services (${n.dumpMB.toFixed(1)} MB per node's dump, --parallel ${n.parallel}, ${n.diverging} services diverging):`,
    `${Math.round(m.wallMs).toLocaleString('en-US')} ms wall, ${Math.round(m.cpuMs).toLocaleString('en-US')} ms CPU (kubechains and every cat), peak RSS ${Math.round(m.maxRssMB)} MB (medians of ${n.runs.length} run${n.runs.length === 1 ? '' : 's'}).`,
  ];
}
