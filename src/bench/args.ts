/** `npm run bench -- [--sizes 1000,10000] [--quick] [--runs N] [--out FILE] [--no-write] [--keep] [--no-nftables] [--no-conntrack] [--only-nftables | --only-explorer | --only-nodes | --only-conntrack]` */

export interface BenchOptions {
  readonly sizes: readonly number[];
  /** Repetitions of each measured process (the median is reported). */
  readonly runs: number;
  /** The size whose live refresh and explorer latencies are measured (10k, or the size nearest it). */
  readonly detailSize: number;
  readonly quick: boolean;
  /** Where the report goes; null: print only. */
  readonly out: string | null;
  /** Keep the generated dumps (their directory is printed). */
  readonly keep: boolean;
  /** Refreshes measured after the first load. */
  readonly refreshes: number;
  /** Traces after the load (latency). */
  readonly traces: number;
  /** Runs of `iptables-save -c` (about 50 s of CPU each at 10k services here; its ratio to a refresh is far from the target). */
  readonly saveRuns: number;
  /** Measure nftables mode (its text and JSON listings, jq, JSON.parse) at the detail size. */
  readonly nftables: boolean;
  /** Measure nftables mode only (a partial run while working on it: never written over BENCHMARKS.md unless --out is given). */
  readonly onlyNftables: boolean;
  /** Measure many nodes only (`nodes --json` over 50 nodes × 1,000 services; prints, writes only with --out). */
  readonly onlyNodes: boolean;
  /** Measure the explorer's keypress-to-frame only, idle and during live refreshes, at the detail size (a partial run, like onlyNftables). */
  readonly onlyExplorer: boolean;
  /** Measure connections (a namespace's conntrack table of `conntrackEntries`, `conntrack -L` vs parse + attribution) at the detail size. */
  readonly conntrack: boolean;
  /** Measure connections only (a partial run: never written over BENCHMARKS.md unless --out is given). */
  readonly onlyConntrack: boolean;
  readonly conntrackEntries: number;
}

export const DEFAULT_SIZES = [1000, 10000, 30000];
export const QUICK_SIZES = [200, 1000];
export const TARGET_SIZE = 10000;
/** Issue 15: the conntrack table the connections figures are measured on. */
export const CONNTRACK_TABLE_ENTRIES = 250_000;
export const QUICK_CONNTRACK_ENTRIES = 5_000;

export const USAGE = `usage: npm run bench -- [--sizes N,N,...] [--quick] [--runs N] [--out FILE | --no-write] [--keep] [--no-nftables] [--no-conntrack] [--only-nftables | --only-explorer | --only-nodes | --only-conntrack]

  --sizes 1000,10000   services per generated dump (default ${DEFAULT_SIZES.join(',')})
  --quick              a fast smoke run: sizes ${QUICK_SIZES.join(',')}, one run each, report not written
  --runs N             repetitions of each measured process, median reported (default 3)
  --save-runs N        repetitions of iptables-save -c for the live-refresh comparison (default 1: ~50 s each at 10k)
  --out FILE           where the report goes (default BENCHMARKS.md in the current directory)
  --no-write           print the table only
  --keep               keep the generated dumps
  --no-nftables        skip nftables mode (its listings at the detail size, next to jq and JSON.parse)
  --only-nftables      nftables mode only, at the size nearest 10k of --sizes (prints; writes only with --out)
  --only-explorer      the explorer's keypress-to-frame only, idle and during live refreshes, --runs times at the
                       size nearest 10k of --sizes (prints; writes only with --out)

  --only-nodes         many nodes only: nodes --json over 50 nodes x 1,000 services (prints; writes only with --out)
  --no-conntrack       skip connections (a namespace's conntrack table: conntrack -L vs kubechains conns)
  --only-conntrack     connections only: ${CONNTRACK_TABLE_ENTRIES.toLocaleString('en-US')} conntrack entries (--quick: ${QUICK_CONNTRACK_ENTRIES.toLocaleString('en-US')}) against the
                       size nearest 10k of --sizes (prints; writes only with --out)`;

export function parseBenchArgs(argv: readonly string[]): BenchOptions | { error: string } {
  let sizes: number[] | null = null;
  let runs: number | null = null;
  let quick = false;
  let out: string | null = 'BENCHMARKS.md';
  let outGiven = false;
  let keep = false;
  let saveRuns: number | null = null;
  let nftables = true;
  let onlyNftables = false;
  let onlyNodes = false;
  let onlyExplorer = false;
  let conntrack = true;
  let onlyConntrack = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | null => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      return v === undefined ? null : v;
    };
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    switch (name) {
      case '--sizes': {
        const v = value();
        const list = (v ?? '').split(',').map((s) => Number(s.trim().replace(/k$/i, '000')));
        if (v === null || list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 2 || n > 200000)) {
          return { error: `--sizes wants numbers of services from 2 to 200000, like 1000,10000 (got ${v ?? 'nothing'})` };
        }
        sizes = list;
        break;
      }
      case '--runs': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 50) return { error: '--runs wants a number from 1 to 50' };
        runs = n;
        break;
      }
      case '--save-runs': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 50) return { error: '--save-runs wants a number from 1 to 50' };
        saveRuns = n;
        break;
      }
      case '--quick':
        quick = true;
        break;
      case '--out': {
        const v = value();
        if (!v) return { error: '--out wants a file name' };
        out = v;
        outGiven = true;
        break;
      }
      case '--no-write':
        out = null;
        outGiven = true;
        break;
      case '--keep':
        keep = true;
        break;
      case '--no-nftables':
        nftables = false;
        break;
      case '--only-nftables':
        onlyNftables = true;
        break;
      case '--only-nodes':
        onlyNodes = true;
        break;
      case '--only-explorer':
        onlyExplorer = true;
        break;
      case '--no-conntrack':
        conntrack = false;
        break;
      case '--only-conntrack':
        onlyConntrack = true;
        break;
      case '--help':
      case '-h':
        return { error: USAGE };
      default:
        return { error: `unknown option ${a}\n${USAGE}` };
    }
  }
  if (onlyNftables && !nftables) return { error: '--only-nftables and --no-nftables leave nothing to measure' };
  if ([onlyNftables, onlyExplorer, onlyNodes, onlyConntrack].filter(Boolean).length > 1) return { error: '--only-nftables, --only-explorer, --only-nodes and --only-conntrack: choose one' };
  if (onlyConntrack && !conntrack) return { error: '--only-conntrack and --no-conntrack leave nothing to measure' };
  const chosen = sizes ?? (quick ? QUICK_SIZES : DEFAULT_SIZES);
  const detailSize = chosen.reduce((best, n) => (Math.abs(n - TARGET_SIZE) < Math.abs(best - TARGET_SIZE) ? n : best), chosen[0]!);
  return {
    sizes: chosen,
    runs: runs ?? (quick ? 1 : 3),
    detailSize,
    quick,
    // A smoke run does not overwrite the real figures unless asked to.
    out: (quick || onlyNftables || onlyExplorer || onlyNodes || onlyConntrack) && !outGiven ? null : out,
    keep,
    refreshes: quick ? 2 : 4,
    traces: quick ? 5 : 20,
    saveRuns: saveRuns ?? 1,
    // A partial run measures its own part alone.
    nftables: nftables && !onlyExplorer && !onlyNodes && !onlyConntrack,
    onlyNftables,
    onlyExplorer,
    onlyNodes,
    conntrack: conntrack && !onlyNftables && !onlyExplorer && !onlyNodes,
    onlyConntrack,
    conntrackEntries: quick ? QUICK_CONNTRACK_ENTRIES : CONNTRACK_TABLE_ENTRIES,
  };
}
