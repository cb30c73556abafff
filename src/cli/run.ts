/** The CLI without the process: argv and IO in, exit code out (tests call this in-process). */
import { dumpDiagnostics, parseErrors } from '../core/index.js';
import { loadSnapshot, sourceSpecFor } from '../sources/index.js';
import { nodeAddressesOf } from '../sources/node-addresses.js';
import { DEFAULT_INTERVAL_SECONDS } from '../sources/poller.js';
import { SourceError, type Snapshot, type SourceSpec } from '../sources/types.js';
import { parseArgs, type CliOptions } from './args.js';
import {
  conntrackSpecFor,
  localConntrackUnavailable,
  parseConntrackText,
  readConntrackText,
  type ConntrackSnapshot,
  type ConntrackSpec,
  type ConntrackText,
} from '../sources/conntrack.js';
import { chainCommand } from './commands/chain.js';
import { connsCommand } from './commands/conns.js';
import type { CommandContext, ConntrackInput } from './commands/context.js';
import { diffCommand } from './commands/diff.js';
import { doctorCommand } from './commands/doctor.js';
import { exploreNodes, nodesCommand } from './commands/nodes.js';
import { servicesCommand } from './commands/services.js';
import { traceCommand } from './commands/trace.js';
import { whichCommand } from './commands/which.js';
import { reportDiagnostics, sourceLabel } from './diagnostics.js';
import { launchExplorer, type ExplorerLaunch } from './explore.js';
import { helpHint, helpText } from './help.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, Output, type CliIO } from './io.js';
import { packageVersion } from './version.js';

/** Runs one command line; never throws (an unexpected exception is exit 70 with one line). */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  return guard(() => runCli(argv, io), io);
}

export async function guard(fn: () => Promise<number>, io: CliIO): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    const out = new Output(io);
    const err = e instanceof Error ? e : new Error(String(e));
    out.error(`kubechains: internal error: ${(err.message.split('\n')[0] ?? '') || err.name}`);
    if (io.env.KUBECHAINS_DEBUG === '1' && err.stack) io.stderr.write(err.stack + '\n');
    return EXIT_INTERNAL;
  }
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const out = new Output(io);
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    out.error(`kubechains: ${parsed.message} (see ${helpHint(parsed.command)})`);
    return EXIT_USAGE;
  }
  const options = parsed.options;
  if (options.help) {
    io.stdout.write(helpText(options.command) + '\n');
    return EXIT_OK;
  }
  if (options.version) {
    io.stdout.write(`kubechains ${packageVersion()}\n`);
    return EXIT_OK;
  }

  if (options.command === 'diff') return diffCommand(options, (spec) => loadChecked(spec, io, out, options.kubeJumps), out);
  if (options.nodes !== null && options.command === 'nodes') return nodesCommand(options.nodes, options.json, options.kubeJumps, io, out);
  if (options.nodes !== null) return exploreNodes(options.nodes, options, io, out);

  const spec = sourceSpecFor(options.source, options.sourceCmd);
  const loaded = await loadChecked(spec, io, out, options.kubeJumps);
  if (typeof loaded === 'number') return loaded;
  const snapshot = loaded;
  const node = nodeAddressesOf(snapshot, options.nodeIPs);
  const nodeAddresses = node.addresses;

  if (options.command === 'explore') {
    const conntrack = await explorerConntrack(options, spec, io, out);
    if (typeof conntrack === 'number') return conntrack;
    return launchExplorer(
      {
        snapshot,
        source: spec,
        intervalSeconds: options.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
        // --node-ip only: the explorer reads each snapshot's own addresses (the local machine's, @nodeport-ips).
        nodeAddresses: options.nodeIPs ?? [],
        kubeJumps: options.kubeJumps,
        ...conntrack,
      },
      io,
      out,
    );
  }
  const conntrack = await conntrackFor(options, spec, io, out);
  if (typeof conntrack === 'number') return conntrack;
  const ctx: CommandContext = { snapshot, dump: { ruleset: snapshot.ruleset, nft: snapshot.nft ?? null }, options, out, nodeAddresses, nodeAddressesFrom: node.from, conntrack };
  return runCommand(options, ctx);
}

function runCommand(options: CliOptions, ctx: CommandContext): number {
  switch (options.command) {
    case 'services':
      return servicesCommand(ctx);
    case 'which':
      return whichCommand(ctx);
    case 'chain':
      return chainCommand(ctx);
    case 'trace':
      return traceCommand(ctx);
    case 'doctor':
      return doctorCommand(ctx);
    case 'conns':
      return connsCommand(ctx);
    case 'explore':
    case 'diff':
    case 'nodes':
      throw new Error(`${options.command} is not a one-dump command`);
  }
}

/**
 * The conntrack table a command reads: conns always (--conntrack, --conntrack-cmd, else this
 * node's own when the rules are), doctor only when a flag names one. Exit 2 when conns has none
 * or it cannot be read; bad lines are warnings (FILE:LINE:COL) and the rest is used.
 */
async function conntrackFor(options: CliOptions, rules: SourceSpec, io: CliIO, out: Output): Promise<ConntrackInput | null | number> {
  const named = options.conntrack !== null || options.conntrackCmd !== null;
  if (options.command !== 'conns' && !(options.command === 'doctor' && named)) return null;
  const spec = conntrackSpecFor(options.conntrack, options.conntrackCmd, rules);
  if (spec === null) {
    out.error('kubechains: conns needs a conntrack table: --conntrack FILE (conntrack -L > FILE), --conntrack -, or --conntrack-cmd CMD; on a node as root with no SOURCE it runs conntrack -L itself');
    return EXIT_USAGE;
  }
  const read = await readConntrackChecked(spec, io, out);
  return typeof read === 'number' ? read : { read, label: sourceLabel(read.origin, spec.kind === 'file') };
}

/** Reads the conntrack table's text: exit 2 when it cannot be read. */
async function readConntrackChecked(spec: ConntrackSpec, io: CliIO, out: Output): Promise<ConntrackText | number> {
  try {
    return await readConntrackText(spec, { stdin: io.stdin, env: io.env });
  } catch (e) {
    if (e instanceof SourceError) {
      out.error(`kubechains: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}

/** Reads and parses the conntrack table (the explorer keeps its entries): bad lines are warnings (FILE:LINE:COL) and the rest is used. */
async function loadConntrackChecked(spec: ConntrackSpec, io: CliIO, out: Output): Promise<ConntrackSnapshot | number> {
  const read = await readConntrackChecked(spec, io, out);
  if (typeof read === 'number') return read;
  const conntrack = parseConntrackText(read);
  reportDiagnostics(sourceLabel(conntrack.origin, spec.kind === 'file'), conntrack.table.warnings, out);
  return conntrack;
}

/**
 * The explorer's conntrack table: one a flag names must be readable (else exit 2, as for the
 * rules); the local node's is read when it can be, and otherwise the status line says why not.
 */
async function explorerConntrack(options: CliOptions, rules: SourceSpec, io: CliIO, out: Output): Promise<Pick<ExplorerLaunch, 'conntrack' | 'conntrackNote'> | number> {
  const spec = conntrackSpecFor(options.conntrack, options.conntrackCmd, rules);
  // Without a terminal the explorer will not open (launchExplorer says so): nothing more to read.
  if (spec === null || !io.stdout.isTTY) return {};
  if (spec.kind === 'local') {
    const why = await localConntrackUnavailable(io.env);
    if (why !== null) return { conntrackNote: `no conntrack table: ${why}` };
  }
  const initial = await loadConntrackChecked(spec, io, out);
  if (typeof initial === 'number') return initial;
  return { conntrack: { spec, initial } };
}

/** Loads the dump; prints why and returns exit 2 when it cannot be read or has parse errors. */
async function loadChecked(spec: SourceSpec, io: CliIO, out: Output, kubeJumps: boolean): Promise<Snapshot | number> {
  let snapshot: Snapshot;
  try {
    snapshot = await loadSnapshot(spec, { stdin: io.stdin, env: io.env, kubeJumps });
  } catch (e) {
    if (e instanceof SourceError) {
      out.error(`kubechains: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
  const label = sourceLabel(snapshot.origin, spec.kind === 'file');
  const fatal = reportDiagnostics(label, dumpDiagnostics({ ruleset: snapshot.ruleset, nft: snapshot.nft ?? null }), out);
  if (fatal || parseErrors(snapshot.ruleset).length > 0) return EXIT_USAGE;
  return snapshot;
}
