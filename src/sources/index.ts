/** Loading a dump from wherever it lives: `loadSnapshot(spec)` is what the CLI and the poller call. */
import { parseIptablesSave } from '../core/parse/index.js';
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
  /** Environment for the local source (PATH); process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
}

export const STDIN_ORIGIN = '<stdin>';

/** Reads and parses one dump. Rejects with SourceError when the source cannot be read; parse problems are in ruleset.diagnostics. */
export async function loadSnapshot(spec: SourceSpec, options: LoadOptions = {}): Promise<Snapshot> {
  const takenAt = new Date();
  let text: string;
  let origin: string;
  let nodeAddresses: string[] = [];
  switch (spec.kind) {
    case 'file':
      text = await readDumpFile(spec.path);
      origin = spec.path;
      break;
    case 'stdin':
      text = await readDumpStream(options.stdin ?? process.stdin, STDIN_ORIGIN);
      origin = STDIN_ORIGIN;
      break;
    case 'command':
      text = await readDumpCommand(spec.command);
      origin = spec.command;
      break;
    case 'local': {
      const local = await readLocalDump(options.env ?? process.env);
      text = local.text;
      origin = local.origin;
      nodeAddresses = local.nodeAddresses;
      break;
    }
  }
  return { text, ruleset: parseIptablesSave(text), origin, takenAt, nodeAddresses };
}

/** The SourceSpec a command line names: a SOURCE argument, --source-cmd, or the local node. */
export function sourceSpecFor(source: string | null, sourceCmd: string | null): SourceSpec {
  if (sourceCmd !== null) return { kind: 'command', command: sourceCmd };
  if (source === '-') return { kind: 'stdin' };
  if (source !== null) return { kind: 'file', path: source };
  return { kind: 'local' };
}
