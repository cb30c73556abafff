/**
 * iptables in throwaway network namespaces: `iptables-restore --test` on a dump (what the parse
 * is compared with) and `iptables-save -c` of a loaded dump (what a live refresh runs). Only
 * namespaces named kc-bench-… are created, always deleted afterwards; the host's own netfilter
 * is never touched.
 */
import { spawnSync } from 'node:child_process';
import { hasGnuTime, runChecked, runMeasured, type ProcResult } from './proc.js';

/** Why the kernel measurements cannot run here, or null when they can. */
export function kernelUnavailable(): string | null {
  if (process.platform !== 'linux') return `needs Linux network namespaces (platform is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (ip netns, iptables-restore)';
  for (const [cmd, arg] of [['ip', '-V'], ['iptables-restore', '--version'], ['iptables-save', '--version']] as const) {
    const r = spawnSync(cmd, [arg], { stdio: 'ignore' });
    if (r.error || r.status !== 0) return `needs ${cmd} (apt-get install iptables iproute2)`;
  }
  if (!hasGnuTime()) return 'needs GNU time (/usr/bin/time) for the CPU time of iptables';
  return null;
}

export function iptablesVersion(): string {
  const r = spawnSync('iptables-restore', ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim() || 'unknown';
}

const live = new Set<string>();
let hooked = false;
let counter = 0;

function deleteNamespace(name: string): void {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  live.delete(name);
}

/** A fresh namespace for `fn`, deleted afterwards (and on exit or Ctrl-C should `fn` never return). */
export async function withNamespace<T>(fn: (ns: string) => Promise<T>): Promise<T> {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => [...live].forEach(deleteNamespace));
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        [...live].forEach(deleteNamespace);
        process.exit(130);
      });
    }
  }
  const name = `kc-bench-${process.pid}-${counter++}`;
  runChecked('ip', ['netns', 'add', name]);
  live.add(name);
  try {
    return await fn(name);
  } finally {
    deleteNamespace(name);
  }
}

/** `iptables-restore --test FILE` inside `ns`: parses the whole dump, changes nothing. */
export function restoreTest(ns: string, file: string): Promise<ProcResult> {
  return runMeasured('ip', ['netns', 'exec', ns, 'iptables-restore', '--test', file]);
}

/** Loads FILE with its counters into `ns` (setup for iptables-save; not measured). */
export function restoreInto(ns: string, file: string): void {
  runChecked('ip', ['netns', 'exec', ns, 'iptables-restore', '-c', file]);
}

/** `iptables-save -c` of what `ns` holds, output discarded. */
export function saveCounters(ns: string): Promise<ProcResult> {
  return runMeasured('ip', ['netns', 'exec', ns, 'iptables-save', '-c'], { discardStdout: true });
}
