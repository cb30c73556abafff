/**
 * The dumps the benchmark reads: kube-proxy's current layout as `iptables-save -c` prints it,
 * generated from a seeded random cluster (up to 10 endpoints per service; large-cluster mode
 * above 1000 endpoints, as kube-proxy switches), and later snapshots of the same rules (every
 * counter grown) for the live-refresh measurement.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKubeProxyRules, randomClusterSpec, type ClusterSpec, type CounterRef } from '../gen/kubeproxy.js';

export interface BenchDump {
  readonly services: number;
  readonly path: string;
  readonly bytes: number;
  readonly lines: number;
  /** Service ports and endpoints as generated (what the model should find). */
  readonly servicePorts: number;
  readonly endpoints: number;
  /** A cluster IP:port of a service with endpoints, for `trace --dst`. */
  readonly traceTarget: string;
  readonly generateMs: number;
}

/** kube-proxy's default --iptables-large-cluster threshold (endpoints over all service ports). */
export const LARGE_CLUSTER_ENDPOINTS = 1000;

export function benchSpec(services: number, seed = 1): ClusterSpec {
  return randomClusterSpec({ seed, services, maxEndpointsPerService: 10 });
}

/** Deterministic counters: packets and bytes per rule and chain policy. */
function counters(round: number): (ref: CounterRef) => readonly [number, number] {
  return (ref) => {
    const key = `${ref.table}/${ref.chain}/${ref.rule ?? 'policy'}`;
    let h = 2166136261;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
    const packets = (h % 5000) + round * ((h >>> 13) % 40);
    return [packets, packets * (60 + (h % 1400))];
  };
}

/**
 * The same dump `round` refreshes later: every rule's counters grown (some by nothing), as
 * `iptables-save -c` would print them again. Written next to the dump; returns the paths.
 */
export function writeRefreshSnapshots(dump: BenchDump, rounds: number): string[] {
  const text = readFileSync(dump.path, 'utf8');
  const files: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    let n = 0;
    const next = text.replace(/^\[(\d+):(\d+)\]/gm, (_, p: string, b: string) => {
      const grow = round * (n++ % 5);
      return `[${Number(p) + grow}:${Number(b) + grow * 84}]`;
    });
    const file = dump.path.replace(/\.save$/, `.refresh${round}.save`);
    writeFileSync(file, next);
    files.push(file);
  }
  return files;
}

export function writeBenchDump(dir: string, services: number, seed = 1): BenchDump {
  const t0 = performance.now();
  const spec = benchSpec(services, seed);
  const options = { form: 'save', layout: 'current', largeClusterThreshold: LARGE_CLUSTER_ENDPOINTS } as const;
  const text = generateKubeProxyRules(spec, { ...options, counters: counters(0) });
  const generateMs = performance.now() - t0;
  const file = path.join(dir, `kube-proxy-${services}.save`);
  writeFileSync(file, text);
  let servicePorts = 0;
  let endpoints = 0;
  let traceTarget = '';
  for (const s of spec.services) {
    servicePorts += s.ports.length;
    endpoints += s.ports.length * s.endpoints.length;
    const p = s.ports.find((x) => (x.protocol ?? 'tcp') === 'tcp');
    // A TCP service with endpoints, from the second half of the list (not KUBE-SERVICES' first rule).
    if (p && s.endpoints.length > 0 && (traceTarget === '' || s === spec.services[Math.floor(spec.services.length * 0.6)])) {
      traceTarget = `${s.clusterIP}:${p.port}`;
    }
  }
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return { services, path: file, bytes: Buffer.byteLength(text), lines, servicePorts, endpoints, traceTarget, generateMs };
}
