/**
 * `npm run bench`: generates kube-proxy dumps of 1k, 10k and 30k services, measures kubechains
 * on them next to iptables on the same files in the same run, prints a table and writes
 * BENCHMARKS.md. Options: see args.ts (`npm run bench -- --help`).
 *
 * Every measurement of kubechains runs in a fresh child process (child.ts), so peak RSS, JIT
 * warm-up and garbage are its own; load and iptables-restore alternate run by run, so a busy
 * machine slows both alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, type BenchOptions } from './args.js';
import {
  conntrackUnavailable,
  fillConntrack,
  listConntrack,
  writeConntrackTable,
  type ConntrackBenchResult,
  type ConntrackBenchRun,
  type ConntrackMeasure,
} from './conntrack.js';
import { benchSpec, writeBenchDump, writeRefreshSnapshots, type BenchDump } from './dumps.js';
import { iptablesVersion, kernelUnavailable, restoreInto, restoreTest, saveCounters, withNamespace } from './kernel.js';
import { machineInfo } from './machine.js';
import { measureNodes } from './nodes.js';
import { countDnatRules, writeNftBenchDumps, type JsonParseResult, type NftBenchResult, type NftBenchRun, type NftExplorerResult, type NftLoadResult, type NftProc } from './nft.js';
import type { LatencyResult, LoadResult, RefreshResult } from './measure.js';
import { runMeasured, type ProcResult } from './proc.js';
import { keptPart, markdownReport, ms, summarize, terminalReport, type BenchResult, type DetailResult, type LoadRun, type SizeResult } from './report.js';
import type { FrameResult, RefreshFrameResult, SearchResult } from './tui.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(HERE, 'child.js');
const CLI = path.join(HERE, '..', 'cli', 'main.js');

function log(line: string): void {
  process.stderr.write(line + '\n');
}

async function child<T>(args: readonly string[]): Promise<{ out: T; proc: ProcResult }> {
  const proc = await runMeasured(process.execPath, [CHILD, ...args]);
  if (proc.code !== 0) throw new Error(`child ${args[0]} failed (exit ${proc.code}): ${proc.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  const last = proc.stdout.trim().split('\n').pop() ?? '';
  return { out: JSON.parse(last) as T, proc };
}

async function cli(args: readonly string[]): Promise<ProcResult> {
  const r = await runMeasured(process.execPath, [CLI, ...args], { discardStdout: true });
  if (r.code !== 0) throw new Error(`kubechains ${args.join(' ')} exited with ${r.code}: ${r.stderr.trim().split('\n')[0]}`);
  return r;
}

async function measureSize(dump: BenchDump, opts: BenchOptions, kernelSkipped: string | null): Promise<SizeResult> {
  const loads: LoadRun[] = [];
  const restores: ProcResult[] = [];
  const runOnce = async (ns: string | null) => {
    for (let i = 0; i < opts.runs; i++) {
      const { out, proc } = await child<{ load: LoadResult; traces: LatencyResult }>(['load', dump.path, String(opts.traces)]);
      loads.push({ load: out.load, traces: out.traces, proc });
      let restore = '';
      if (ns !== null) {
        const r = await restoreTest(ns, dump.path);
        if (r.code !== 0) throw new Error(`iptables-restore --test failed on ${dump.path}: ${r.stderr.trim().split('\n')[0]}`);
        restores.push(r);
        restore = `, iptables-restore --test ${ms(r.cpuMs)} CPU / ${ms(r.wallMs)}`;
      }
      log(`  run ${i + 1}: load ${ms(out.load.loadCpuMs)} CPU / ${ms(out.load.loadMs)} wall, ${out.load.maxRssMB.toFixed(0)} MB${restore}`);
    }
  };
  if (kernelSkipped === null) await withNamespace((ns) => runOnce(ns));
  else await runOnce(null);
  const servicesJson: ProcResult[] = [];
  const traceCli: ProcResult[] = [];
  for (let i = 0; i < opts.runs; i++) {
    servicesJson.push(await cli(['services', '--json', dump.path]));
    traceCli.push(await cli(['trace', dump.path, '--dst', dump.traceTarget]));
  }
  log(`  kubechains services --json ${ms(servicesJson.at(-1)!.wallMs)}, trace --dst ${dump.traceTarget} ${ms(traceCli.at(-1)!.wallMs)}`);
  return { dump, loads, restores: kernelSkipped === null ? restores : null, servicesJson, traceCli };
}

async function measureDetail(dump: BenchDump, opts: BenchOptions, kernelSkipped: string | null): Promise<DetailResult> {
  let refresh: DetailResult['refresh'];
  let files: string[] = [];
  try {
    files = writeRefreshSnapshots(dump, opts.refreshes);
    refresh = (await child<{ refresh: RefreshResult }>(['refresh', dump.path, ...files])).out.refresh;
    log(`  live refresh: ${ms(refresh.medianCpuMs)} CPU (first ${ms(refresh.firstCpuMs)})`);
  } catch (e) {
    refresh = { error: (e as Error).message };
  }
  let saves: ProcResult[] | null = null;
  if (kernelSkipped === null) {
    saves = await withNamespace(async (ns) => {
      restoreInto(ns, dump.path);
      const out: ProcResult[] = [];
      for (let i = 0; i < opts.saveRuns; i++) {
        const r = await saveCounters(ns);
        if (r.code !== 0) throw new Error(`iptables-save -c failed: ${r.stderr.trim().split('\n')[0]}`);
        out.push(r);
      }
      return out;
    });
    log(`  iptables-save -c: ${ms(saves.at(-1)!.cpuMs)} CPU / ${ms(saves.at(-1)!.wallMs)}`);
  }
  return { size: dump.services, refresh, saves, ...(await measureExplorerFrames(dump, files)) };
}

/** The explorer's keypress-to-frame at `dump`: idle, and while a live file is replaced by `files` every second. */
async function measureExplorerFrames(dump: BenchDump, files: readonly string[]): Promise<Pick<DetailResult, 'tui' | 'refreshFrames'>> {
  let tui: DetailResult['tui'];
  try {
    const out = (await child<{ explorerDataMs: number; search: SearchResult; frames: FrameResult }>(['tui', dump.path])).out;
    tui = { explorerDataMs: out.explorerDataMs, search: out.search, frames: out.frames };
    log(`  search ${ms(out.search.medianMs)} / ${ms(out.search.maxMs)} per keystroke, keypress-to-frame ${ms(out.frames.medianMs)} / ${ms(out.frames.maxMs)}`);
  } catch (e) {
    tui = { error: (e as Error).message };
  }
  let refreshFrames: DetailResult['refreshFrames'];
  try {
    if (files.length === 0) throw new Error('no refresh snapshots');
    const watched = dump.path.replace(/\.save$/, '.watched.save');
    refreshFrames = (await child<{ frames: RefreshFrameResult }>(['tui-live', watched, dump.path, ...files])).out.frames;
    const where = refreshFrames.parsedIn === 'main' ? `, parsed on the main thread: ${refreshFrames.mainThreadReason ?? 'no parse thread asked for'}` : refreshFrames.parsedIn === 'worker' ? ', parsed in the worker thread' : '';
    log(`  keypress-to-frame during refreshes ${ms(refreshFrames.medianMs)} / ${ms(refreshFrames.maxMs)} (${refreshFrames.refreshes} refreshes${where})`);
  } catch (e) {
    refreshFrames = { error: (e as Error).message };
  }
  return { tui, refreshFrames };
}

/** --only-explorer: keypress-to-frame idle and during refreshes, `runs` times; the last run's figures are reported. */
async function measureExplorerOnly(dir: string, opts: BenchOptions): Promise<DetailResult> {
  const dump = writeBenchDump(dir, opts.detailSize);
  log(`${opts.detailSize} services: ${dump.lines.toLocaleString('en-US')} lines, ${(dump.bytes / 1e6).toFixed(1)} MB (generated in ${ms(dump.generateMs)})`);
  const files = writeRefreshSnapshots(dump, opts.refreshes);
  let frames: Pick<DetailResult, 'tui' | 'refreshFrames'> | null = null;
  for (let i = 0; i < opts.runs; i++) {
    log(` run ${i + 1}:`);
    frames = await measureExplorerFrames(dump, files);
  }
  return { size: dump.services, refresh: { error: 'not measured (--only-explorer)' }, saves: null, ...frames! };
}

const procFigures = (p: ProcResult): NftProc => ({ wallMs: p.wallMs, cpuMs: p.cpuMs, maxRssMB: p.maxRssMB });

function jqVersion(): string | null {
  const r = spawnSync('jq', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * nftables mode at the detail size: kubechains loading the `nft -j` and `nft list` listings, jq
 * and a bare JSON.parse on the JSON, alternating run by run so a busy machine slows all alike.
 */
async function measureNft(dir: string, opts: BenchOptions): Promise<NftBenchResult> {
  const dumps = writeNftBenchDumps(dir, opts.detailSize);
  const endpointChains = countDnatRules(dumps.transaction.path);
  log(
    `nftables, ${opts.detailSize} services (${endpointChains.toLocaleString('en-US')} endpoint chains): nft list ${(dumps.text.bytes / 1e6).toFixed(1)} MB, ` +
      `nft -j ${(dumps.json.bytes / 1e6).toFixed(1)} MB (generated in ${ms(dumps.generateMs)}, rendered in ${ms(dumps.renderMs)})`,
  );
  const jq = jqVersion();
  if (jq === null) log('  jq figures skipped: jq is not installed');
  const runs: NftBenchRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const json = await child<{ load: NftLoadResult }>(['nft-load', dumps.json.path]);
    let jqRun: NftProc | null = null;
    if (jq !== null) {
      const r = await runMeasured('jq', ['-c', '.nftables | length', dumps.json.path], { discardStdout: true });
      if (r.code !== 0) throw new Error(`jq failed on ${dumps.json.path}: ${r.stderr.trim().split('\n')[0]}`);
      jqRun = procFigures(r);
    }
    const text = await child<{ load: NftLoadResult }>(['nft-load', dumps.text.path]);
    const parse = await child<{ parse: JsonParseResult }>(['json-parse', dumps.json.path]);
    for (const l of [json.out.load, text.out.load]) {
      if (l.errors > 0) throw new Error(`the ${l.form} listing read with ${l.errors} errors`);
      if (l.endpoints !== endpointChains) throw new Error(`the ${l.form} listing's model has ${l.endpoints} endpoints, the ruleset ${endpointChains}`);
    }
    runs.push({
      json: { load: json.out.load, proc: procFigures(json.proc) },
      text: { load: text.out.load, proc: procFigures(text.proc) },
      jq: jqRun,
      jsonParse: { parse: parse.out.parse, proc: procFigures(parse.proc) },
    });
    log(
      `  run ${i + 1}: JSON load ${ms(json.out.load.loadMs)} (${ms(json.out.load.loadCpuMs)} CPU), text load ${ms(text.out.load.loadMs)} (${ms(text.out.load.loadCpuMs)} CPU)` +
        `${jqRun ? `, jq ${ms(jqRun.wallMs)} (${ms(jqRun.cpuMs)} CPU)` : ''}, JSON.parse ${ms(parse.out.parse.ms)}`,
    );
  }
  let tui: NftBenchResult['tui'];
  try {
    tui = (await child<NftExplorerResult>(['nft-tui', dumps.json.path])).out;
    log(`  explorer on nft -j: search ${ms(tui.search.medianMs)} / ${ms(tui.search.maxMs)} per keystroke, keypress-to-frame ${ms(tui.frames.medianMs)} / ${ms(tui.frames.maxMs)}`);
  } catch (e) {
    tui = { error: (e as Error).message };
    log(`  explorer on nft -j not measured: ${tui.error}`);
  }
  return { dumps, endpointChains, jqVersion: jq, runs, tui };
}

/**
 * Connections at the detail size: a namespace's conntrack table filled with real entries for the
 * dump's cluster, then, alternating run by run, `conntrack -L` printing it into a file, kubechains
 * parsing and attributing that file in a fresh process (checked against what was generated), and
 * the whole `kubechains conns` command on it.
 */
async function measureConntrackBench(dir: string, opts: BenchOptions, kernelSkipped: string | null): Promise<ConntrackBenchResult> {
  const unavailable = kernelSkipped ?? conntrackUnavailable();
  if (unavailable !== null) throw new Error(unavailable);
  const dump = writeBenchDump(dir, opts.detailSize);
  const spec = benchSpec(opts.detailSize);
  const nodeIP = spec.nodeIPs[0]!;
  const { loadFile, ...table } = writeConntrackTable(dir, spec, opts.conntrackEntries);
  log(
    `connections, ${opts.detailSize} services: ${table.entries.toLocaleString('en-US')} conntrack entries ` +
      `(${table.toServices.toLocaleString('en-US')} to services, ${table.masqueraded.toLocaleString('en-US')} of them masqueraded, ${table.unrelated.toLocaleString('en-US')} to no service)`,
  );
  const listing = path.join(dir, 'conntrack-L.txt');
  return withNamespace(async (ns) => {
    const fill = await fillConntrack(ns, { loadFile, ...table });
    log(`  conntrack --load-file: ${ms(fill.wallMs)} (${ms(fill.cpuMs)} CPU)`);
    const runs: ConntrackBenchRun[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const list = await listConntrack(ns, listing, table.entries);
      const kc = await child<{ conntrack: ConntrackMeasure }>(['conntrack', dump.path, listing, nodeIP]);
      const m = kc.out.conntrack;
      // The figures only count if kubechains found what the table holds.
      const found = [m.entries, m.warnings, m.connections, m.masqueraded, m.unmatched];
      const wanted = [table.entries, 0, table.toServices, table.masqueraded, table.unrelated];
      if (found.some((x, k) => x !== wanted[k])) {
        throw new Error(`kubechains read the table as entries/warnings/connections/masqueraded/unmatched ${found.join('/')}, generated ${wanted.join('/')}`);
      }
      const full = await cli(['conns', dump.path, '--conntrack', listing, '--node-ip', nodeIP, '--json']);
      runs.push({ list: procFigures(list), kubechains: { measure: m, proc: procFigures(kc.proc) }, cli: procFigures(full) });
      log(
        `  run ${i + 1}: conntrack -L ${ms(list.wallMs)} (${ms(list.cpuMs)} CPU); parse + attribution ${ms(m.totalMs)} (${ms(m.totalCpuMs)} CPU) ` +
          `(${(m.totalMs / list.wallMs).toFixed(2)} of it), ${m.maxRssMB.toFixed(0)} MB; kubechains conns ${ms(full.wallMs)}, ${full.maxRssMB.toFixed(0)} MB`,
      );
    }
    return { services: opts.detailSize, table, listingMB: statSync(listing).size / 1e6, fill: procFigures(fill), runs };
  });
}

export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const machine = machineInfo();
  const kernelSkipped = kernelUnavailable();
  const iptables = kernelSkipped === null ? iptablesVersion() : `iptables not measured (${kernelSkipped})`;
  log(`kubechains bench: sizes ${opts.sizes.join(', ')}, ${opts.runs} run${opts.runs === 1 ? '' : 's'} each; ${machine.cpus} × ${machine.model}, node ${machine.node}`);
  if (kernelSkipped) log(`  iptables figures skipped: ${kernelSkipped}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-bench-'));
  try {
    const sizes: SizeResult[] = [];
    let detail: DetailResult | null = opts.onlyExplorer ? await measureExplorerOnly(dir, opts) : null;
    for (const n of opts.onlyNftables || opts.onlyExplorer || opts.onlyNodes || opts.onlyConntrack ? [] : opts.sizes) {
      const dump = writeBenchDump(dir, n);
      log(`${n} services: ${dump.lines.toLocaleString('en-US')} lines, ${(dump.bytes / 1e6).toFixed(1)} MB (generated in ${ms(dump.generateMs)})`);
      const result = await measureSize(dump, opts, kernelSkipped);
      sizes.push(result);
      if (n === opts.detailSize && detail === null) detail = await measureDetail(dump, opts, kernelSkipped);
      // Dumps of 30k services are big: drop each once measured.
      if (!opts.keep) {
        const prefix = path.basename(dump.path).replace(/\.save$/, '.');
        for (const f of readdirSync(dir)) if (f.startsWith(prefix)) rmSync(path.join(dir, f), { force: true });
      }
    }
    let nft: BenchResult['nft'] = null;
    if (opts.nftables) {
      try {
        nft = await measureNft(dir, opts);
      } catch (e) {
        nft = { error: (e as Error).message };
        log(`  nftables not measured: ${nft.error}`);
      }
      if (!opts.keep) for (const f of readdirSync(dir)) if (/\.nft/.test(f)) rmSync(path.join(dir, f), { force: true });
    }
    let nodes: BenchResult['nodes'] = null;
    if (opts.onlyNodes || !(opts.onlyNftables || opts.onlyExplorer || opts.onlyConntrack)) {
      log(`many nodes: kubechains nodes --json`);
      try {
        nodes = await measureNodes(dir, CLI, opts.runs, log);
      } catch (e) {
        nodes = { error: (e as Error).message };
        log(`  many nodes not measured: ${nodes.error}`);
      }
      if (!opts.keep) for (const f of readdirSync(dir)) if (f.endsWith('.nodes.save')) rmSync(path.join(dir, f), { force: true });
    }
    let conntrack: BenchResult['conntrack'] = null;
    if (opts.conntrack) {
      try {
        conntrack = await measureConntrackBench(dir, opts, kernelSkipped);
      } catch (e) {
        conntrack = { error: (e as Error).message };
        log(`  connections not measured: ${conntrack.error}`);
      }
    }
    return { machine, iptables, runs: opts.runs, sizes, detail, nft, nodes, conntrack, kernelSkipped, totalSeconds: (performance.now() - started) / 1000 };
  } finally {
    if (opts.keep) log(`dumps kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const parsed = parseBenchArgs(process.argv.slice(2));
  if ('error' in parsed) {
    process.stderr.write(parsed.error + '\n');
    return parsed.error.startsWith('usage:') ? 0 : 2;
  }
  const result = await runBench(parsed);
  process.stdout.write('\n' + terminalReport(result) + '\n');
  if (parsed.out !== null) {
    const existing = existsSync(parsed.out) ? readFileSync(parsed.out, 'utf8') : null;
    writeFileSync(parsed.out, markdownReport(result, keptPart(existing)));
    log(`\nwrote ${parsed.out}`);
  }
  // A sanity line for scripts: the 10k load ratio.
  const d = result.sizes.find((s) => s.dump.services === parsed.detailSize);
  if (d) {
    const s = summarize(d);
    const r = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'not measured');
    log(`load/restore at ${s.services} services: ${r(s.ratioWall)} (time), ${r(s.ratioCpu)} (CPU)`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
