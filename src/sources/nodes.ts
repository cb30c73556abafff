/**
 * Reading many nodes: each node's dump is read with its own command, a bounded number at a time,
 * each within a deadline, and reduced at once to its service summary (the text and the parsed
 * rules are dropped), so 50 nodes cost about one node's memory at a time per parallel read.
 */
import { dumpDiagnostics, kubeProxyModes, parseDump, summarizeDump, type Dump, type NodeSummary } from '../core/index.js';
import { readDumpCommand } from './command.js';
import { SourceError, type Snapshot } from './types.js';

export interface NodeTarget {
  readonly name: string;
  /** The kube-proxy pod it is read through (--kubectl), else null. */
  readonly pod: string | null;
  /**
   * Shell commands tried in order: the next one is tried only when the output before it has no
   * kube-proxy rules (iptables-save -c, then nft -j list ruleset). [] with `error`: not readable.
   */
  readonly commands: readonly string[];
  /** Why the node cannot be read at all (no kube-proxy pod on it); null otherwise. */
  readonly error: string | null;
}

export interface NodeResult {
  readonly name: string;
  readonly pod: string | null;
  readonly ok: boolean;
  readonly error: string | null;
  readonly summary: NodeSummary | null;
  /** The command whose output was used (the explorer re-reads the node with it). */
  readonly command: string | null;
}

export interface NodeReadOptions {
  readonly parallel: number;
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly kubeJumps?: boolean;
}

/** Every target read, in the order given; never rejects. `onRead` hears of each node as it finishes. */
export async function readNodes(targets: readonly NodeTarget[], options: NodeReadOptions, onRead?: (r: NodeResult, index: number) => void): Promise<NodeResult[]> {
  const results: NodeResult[] = new Array<NodeResult>(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const result = await readOneNode(targets[i]!, options);
      results[i] = result;
      onRead?.(result, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel, targets.length) }, worker));
  return results;
}

/** One node's summary, or the reason it has none. */
export async function readOneNode(target: NodeTarget, options: NodeReadOptions): Promise<NodeResult> {
  const failed = (error: string): NodeResult => ({ name: target.name, pod: target.pod, ok: false, error, summary: null, command: null });
  if (target.error !== null) return failed(target.error);
  try {
    const { dump, command } = await readNodeDump(target, options);
    return { name: target.name, pod: target.pod, ok: true, error: null, summary: summarizeDump(dump), command };
  } catch (e) {
    if (e instanceof SourceError) return failed(e.detail);
    throw e;
  }
}

/** The whole snapshot of one node (the explorer's current node), read with the command that worked before when known. */
export async function readNodeSnapshot(target: NodeTarget, options: Omit<NodeReadOptions, 'parallel'>, command: string | null = null): Promise<Snapshot> {
  const takenAt = new Date();
  const read = await readNodeDump(command === null ? target : { ...target, commands: [command] }, options);
  return { text: read.text, ruleset: read.dump.ruleset, nft: read.dump.nft, origin: read.command, takenAt, nodeAddresses: [] };
}

async function readNodeDump(target: NodeTarget, options: Omit<NodeReadOptions, 'parallel'>): Promise<{ dump: Dump; command: string; text: string }> {
  if (target.error !== null) throw new SourceError(target.error);
  const deadline = Date.now() + options.timeoutMs;
  const env = { ...(options.env ?? process.env), KUBECHAINS_NODE: target.name, KUBECHAINS_POD: target.pod ?? '' };
  let last: { dump: Dump; command: string; text: string } | null = null;
  for (const command of target.commands) {
    const timeoutMs = Math.max(1, deadline - Date.now());
    let text: string;
    try {
      text = await readDumpCommand(command, { env, timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (e) {
      // A fallback that fails (nft missing) leaves the first command's answer standing.
      if (last !== null && e instanceof SourceError && !options.signal?.aborted && Date.now() < deadline) break;
      throw e;
    }
    const dump = parseDump(text, options.kubeJumps ? { kubeJumps: true } : {});
    const error = dumpDiagnostics(dump).find((d) => d.severity === 'error');
    if (error) throw new SourceError(`<${command}>:${error.line}:${error.column}: ${error.message}`, `${error.line}:${error.column}: ${error.message}`);
    last = { dump, command, text };
    if (kubeProxyModes(dump).length > 0) break;
  }
  if (last === null) throw new SourceError('no command to read it with');
  return last;
}
