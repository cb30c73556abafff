/** Loading a dump from wherever it lives: `loadSnapshot(spec)` is what the CLI and the poller call. */
import { parseDump } from '../core/index.js';
import { readDumpCommand } from './command.js';
import { readDumpFile } from './file.js';
import { readLocalDump } from './local.js';
import { readDumpStream } from './stream.js';
import type { Snapshot, SourceSpec } from './types.js';

export { SourceError, type Snapshot, type SourceSpec } from './types.js';
export { localNodeAddresses, findOnPath } from './local.js';

export interface LoadOptions {
  /** Where `-` reads from; process.stdin by default. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Environment for the local source (PATH) and the command; process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** A command or iptables-save running longer than this is killed and the load fails. */
  readonly timeoutMs?: number;
  /** Aborting kills a running command or iptables-save (the load then fails). */
  readonly signal?: AbortSignal;
  /** Parse with kube-proxy's standard jumps added where the dump lacks them (--kube-jumps). */
  readonly kubeJumps?: boolean;
}

export const STDIN_ORIGIN = '<stdin>';

/** Reads and parses one dump. Rejects with SourceError when the source cannot be read; parse problems are in ruleset.diagnostics. */
export async function loadSnapshot(spec: SourceSpec, options: LoadOptions = {}): Promise<Snapshot> {
  const text = await readSource(spec, options);
  return { ...text, ...parseSource(text, options.kubeJumps ?? false) };
}

/** The dump in whichever mode the source gave it (see parseDump). */
export function parseSource(read: SourceText, kubeJumps: boolean): Pick<Snapshot, 'ruleset' | 'nft'> {
  const dump = parseDump(read.text, { ...(kubeJumps ? { kubeJumps: true } : {}), ...(read.nftText === undefined ? {} : { nftText: read.nftText }) });
  return { ruleset: dump.ruleset, nft: dump.nft };
}

/** What loadSnapshot reads, before the parse: the poller parses after yielding to the keyboard. */
export interface SourceText {
  readonly text: string;
  /** The local node's `nft -j list ruleset`, read beside iptables-save (see readLocalDump). */
  readonly nftText?: string;
  readonly origin: string;
  /** When the read started: the counters are as of about then. */
  readonly takenAt: Date;
  readonly nodeAddresses: string[];
}

export async function readSource(spec: SourceSpec, options: LoadOptions = {}): Promise<SourceText> {
  const takenAt = new Date();
  const run = { timeoutMs: options.timeoutMs, signal: options.signal };
  switch (spec.kind) {
    case 'file':
      return { text: await readDumpFile(spec.path), origin: spec.path, takenAt, nodeAddresses: [] };
    case 'stdin':
      return { text: await readDumpStream(options.stdin ?? process.stdin, STDIN_ORIGIN), origin: STDIN_ORIGIN, takenAt, nodeAddresses: [] };
    case 'command':
      return { text: await readDumpCommand(spec.command, { ...run, env: options.env }), origin: spec.command, takenAt, nodeAddresses: [] };
    case 'local': {
      const local = await readLocalDump(options.env ?? process.env, run);
      return { text: local.text, ...(local.nftText === undefined ? {} : { nftText: local.nftText }), origin: local.origin, takenAt, nodeAddresses: local.nodeAddresses };
    }
  }
}

/** The SourceSpec a command line names: a SOURCE argument, --source-cmd, or the local node. */
export function sourceSpecFor(source: string | null, sourceCmd: string | null): SourceSpec {
  if (sourceCmd !== null) return { kind: 'command', command: sourceCmd };
  if (source === '-') return { kind: 'stdin' };
  if (source !== null) return { kind: 'file', path: source };
  return { kind: 'local' };
}
