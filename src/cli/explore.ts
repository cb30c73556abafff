/**
 * No subcommand: hand the loaded dump to the explorer in src/tui. The import is dynamic so the
 * non-interactive commands never load Ink and React, and a broken TUI cannot break them.
 */
import type { ServiceAcrossNodes } from '../core/index.js';
import type { NodeResult } from '../sources/nodes.js';
import type { ConntrackSnapshot, ConntrackSpec } from '../sources/conntrack.js';
import type { Snapshot, SourceSpec } from '../sources/types.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, type CliIO, type Output } from './io.js';

/** What runExplorer(options) in src/tui/run.ts receives. */
export interface ExplorerLaunch {
  /** Absent with `nodes`. */
  readonly snapshot?: Snapshot;
  /** --nodes: every node's summary, and how to read one node whole (src/tui/nodes/NodesExplorer.tsx NodesLaunch). */
  readonly nodes?: {
    readonly nodes: readonly NodeResult[];
    readonly services: readonly ServiceAcrossNodes[];
    load(name: string): Promise<Snapshot>;
  };
  /** The explorer re-reads it as its kind says (sources/poller.ts pollModeOf); absent with `nodes`. */
  readonly source?: SourceSpec;
  readonly intervalSeconds: number;
  /** --node-ip, else the local node's addresses, else []. */
  readonly nodeAddresses: readonly string[];
  /** --kube-jumps: the explorer's re-reads add kube-proxy's standard jumps too. */
  readonly kubeJumps: boolean;
  /** The conntrack table (--conntrack, --conntrack-cmd, the local node's), read once already; re-read like the rules. */
  readonly conntrack?: { readonly spec: ConntrackSpec; readonly initial: ConntrackSnapshot } | null;
  /** Why the local node's table is not shown (no conntrack binary, not root), said on the status line. */
  readonly conntrackNote?: string | null;
}

// A variable, so type-checking does not need src/tui to exist.
const TUI_MODULE = '../tui/run.js';

export async function launchExplorer(launch: ExplorerLaunch, io: CliIO, out: Output): Promise<number> {
  if (!io.stdout.isTTY) {
    out.error('kubechains: the explorer needs a terminal; for scripts use services, which, chain or trace (see kubechains --help)');
    return EXIT_USAGE;
  }
  let runExplorer: unknown;
  try {
    const mod = (await (io.importExplorer ?? (() => import(TUI_MODULE)))()) as { runExplorer?: unknown } | null;
    runExplorer = mod?.runExplorer;
  } catch (e) {
    out.error(`kubechains: cannot load the explorer (${firstLine(e)}); the services, which, chain and trace commands still work`);
    return EXIT_INTERNAL;
  }
  if (typeof runExplorer !== 'function') {
    out.error('kubechains: cannot load the explorer (src/tui/run.js has no runExplorer); the services, which, chain and trace commands still work');
    return EXIT_INTERNAL;
  }
  const code: unknown = await (runExplorer as (l: ExplorerLaunch) => unknown)(launch);
  return typeof code === 'number' ? code : EXIT_OK;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}
