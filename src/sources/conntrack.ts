/**
 * Where the conntrack table comes from: `--conntrack FILE|-`, `--conntrack-cmd 'COMMAND'` (run
 * like --source-cmd), or, when the rules are this node's own (no SOURCE), `conntrack -L` and
 * `conntrack -L -f ipv6` as root. Only those two programs, with those arguments, are ever run
 * (read-only: kubechains never changes the table). Without the conntrack binary, or not as
 * root, there is no table: the rules commands go on without it and say why.
 */
import { countConnections, finishSteps, parseConntrackSteps, type ConnectionCount, type ConntrackTable, type KubeModel, type Steps } from '../core/index.js';
import { runSteps } from './event-loop.js';
import { readDumpCommand } from './command.js';
import { decodeDump } from './decode.js';
import { readDumpFile } from './file.js';
import { findOnPath } from './local.js';
import { createPollerOf, pollModeOf, sourceName, type Poller, type PollTarget, type PollTiming } from './poller.js';
import { describeFailure, runProgram, succeeded, type RunOptions } from './spawn.js';
import { readDumpStream } from './stream.js';
import { SourceError, type SourceSpec } from './types.js';

/** A conntrack table source: the same kinds as the rules'. */
export type ConntrackSpec = SourceSpec;

export interface ConntrackSnapshot {
  readonly table: ConntrackTable;
  /** The file, `<stdin>`, the command, or `conntrack -L + conntrack -L -f ipv6`. */
  readonly origin: string;
  readonly takenAt: Date;
}

/** The programs the local source runs, and their only arguments. */
export const CONNTRACK_LIST_ARGS = ['-L'] as const;
export const CONNTRACK_LIST_V6_ARGS = ['-L', '-f', 'ipv6'] as const;
export const LOCAL_CONNTRACK_ORIGIN = 'conntrack -L + conntrack -L -f ipv6';
const STDIN_ORIGIN = '<stdin>';

/**
 * Which conntrack source a command line names: --conntrack-cmd, --conntrack FILE|-, else the
 * local node's when the rules are read from it; null when there is none to read.
 */
export function conntrackSpecFor(file: string | null, command: string | null, rules: SourceSpec): ConntrackSpec | null {
  if (command !== null) return { kind: 'command', command };
  if (file === '-') return { kind: 'stdin' };
  if (file !== null) return { kind: 'file', path: file };
  return rules.kind === 'local' ? { kind: 'local' } : null;
}

/** Why the local node's table cannot be read (no conntrack binary, not root), or null when it can. */
export async function localConntrackUnavailable(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if ((await findOnPath('conntrack', env.PATH)) === null) return 'conntrack is not installed (apt-get install conntrack), or pass --conntrack FILE';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'reading the conntrack table needs root (sudo kubechains ...), or pass --conntrack FILE';
  return null;
}

export interface ConntrackReadOptions extends Omit<RunOptions, 'env'> {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: NodeJS.ReadableStream;
}

/** The text of the table and where it came from, before the parse. */
export interface ConntrackText {
  readonly text: string;
  readonly origin: string;
  readonly takenAt: Date;
  /** Local source: the first line of `conntrack -L -f ipv6`'s output (see parseConntrackText). */
  readonly ipv6FromLine?: number;
}

export async function readConntrackText(spec: ConntrackSpec, options: ConntrackReadOptions = {}): Promise<ConntrackText> {
  const takenAt = new Date();
  switch (spec.kind) {
    case 'file':
      return { text: await readDumpFile(spec.path), origin: spec.path, takenAt };
    case 'stdin':
      return { text: await readDumpStream(options.stdin ?? process.stdin, STDIN_ORIGIN), origin: STDIN_ORIGIN, takenAt };
    case 'command':
      return { text: await readDumpCommand(spec.command, options, '--conntrack-cmd'), origin: spec.command, takenAt };
    case 'local':
      return { ...(await readLocalConntrack(options)), takenAt };
  }
}

/**
 * `conntrack -L` lists IPv4 only before conntrack-tools 1.4.5 and both families since; so the
 * IPv4 entries are taken from it and the IPv6 ones from `conntrack -L -f ipv6`, never twice.
 */
async function readLocalConntrack(options: ConntrackReadOptions): Promise<{ text: string; origin: string; ipv6FromLine: number }> {
  const env = options.env ?? process.env;
  const why = await localConntrackUnavailable(env);
  if (why !== null) throw new SourceError(`no conntrack table: ${why}`, why);
  const conntrack = (await findOnPath('conntrack', env.PATH))!;
  const run = { env, timeoutMs: options.timeoutMs, signal: options.signal };
  const all = await runProgram(conntrack, [...CONNTRACK_LIST_ARGS], run);
  if (!succeeded(all)) throw new SourceError(`conntrack ${CONNTRACK_LIST_ARGS.join(' ')} ${describeFailure(all)}`, describeFailure(all));
  const v6 = await runProgram(conntrack, [...CONNTRACK_LIST_V6_ARGS], run);
  if (!succeeded(v6)) throw new SourceError(`conntrack ${CONNTRACK_LIST_V6_ARGS.join(' ')} ${describeFailure(v6)}`, describeFailure(v6));
  let text = decodeDump(all.stdout);
  if (text !== '' && !text.endsWith('\n')) text += '\n';
  const ipv6FromLine = lineCount(text) + 1;
  return { text: text + decodeDump(v6.stdout), origin: LOCAL_CONNTRACK_ORIGIN, ipv6FromLine };
}

/** The table the text holds; the local source's two listings give each family once. */
export function parseConntrackText(read: ConntrackText): ConntrackSnapshot {
  return finishSteps(parseConntrackTextSteps(read, Infinity));
}

/**
 * Lines parsed between turns of the event loop when the explorer's poller reads a table: about
 * 15 ms of work, so a 250k-entry table lets keys in some 25 times instead of stalling them.
 */
export const CONNTRACK_SLICE = 10_000;

/** parseConntrackText pausing after every `slice` lines. */
export function* parseConntrackTextSteps(read: ConntrackText, slice: number): Steps<ConntrackSnapshot> {
  const table = yield* parseConntrackSteps(read.text, read.origin, slice);
  const from = read.ipv6FromLine;
  if (from === undefined) return { table, origin: read.origin, takenAt: read.takenAt };
  const entries = table.entries.filter((e) => (e.family === 'ipv6') === e.line >= from);
  return { table: { ...table, entries }, origin: read.origin, takenAt: read.takenAt };
}

/** The text's connections per service port and endpoint, in one pass (no entries kept); each family once, as parseConntrackText. */
export function countConntrackText(read: ConntrackText, model: KubeModel, nodeAddresses: readonly string[]): ConnectionCount {
  const from = read.ipv6FromLine;
  return countConnections(read.text, read.origin, model, from === undefined ? { nodeAddresses } : { nodeAddresses, ipv6FromLine: from });
}

export async function loadConntrack(spec: ConntrackSpec, options: ConntrackReadOptions = {}): Promise<ConntrackSnapshot> {
  return parseConntrackText(await readConntrackText(spec, options));
}

export interface ConntrackPollerOptions extends PollTiming {
  readonly spec: ConntrackSpec;
  readonly initial?: ConntrackSnapshot | null;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: NodeJS.ReadableStream;
}

/** A poller of the conntrack table, not started: the rules' interval, no overlap, the last good table kept. */
export function createConntrackPoller(options: ConntrackPollerOptions): Poller<ConntrackSnapshot> {
  const { spec } = options;
  const target: PollTarget<ConntrackSnapshot> = {
    mode: pollModeOf(spec),
    name: conntrackSourceName(spec),
    path: spec.kind === 'file' ? spec.path : null,
    read: async ({ timeoutMs, signal }) => {
      const read = await readConntrackText(spec, { env: options.env, stdin: options.stdin, timeoutMs, signal });
      // In slices, keys served between them: a busy node's table is 250k lines.
      return () => runSteps(parseConntrackTextSteps(read, CONNTRACK_SLICE));
    },
  };
  return createPollerOf(target, options);
}

/** As the rules' sources are named (the command, the file, `<stdin>`), the local node's listings aside. */
export function conntrackSourceName(spec: ConntrackSpec): string {
  return spec.kind === 'local' ? LOCAL_CONNTRACK_ORIGIN : sourceName(spec);
}

function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
