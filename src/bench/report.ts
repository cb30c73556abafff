/**
 * The benchmark's results as a table for the terminal and as BENCHMARKS.md, each figure next
 * to design.md's target. Pure: numbers in, text out.
 */
import type { ConntrackBenchResult } from './conntrack.js';
import type { BenchDump } from './dumps.js';
import type { MachineInfo } from './machine.js';
import type { LatencyResult, LoadResult, RefreshResult } from './measure.js';
import type { NftBenchResult } from './nft.js';
import { nodesReportLines, type NodesBenchResult } from './nodes.js';
import type { ProcResult } from './proc.js';
import { median } from './stats.js';
import type { FrameResult, RefreshFrameResult, SearchResult } from './tui.js';

export interface LoadRun {
  readonly load: LoadResult;
  readonly traces: LatencyResult;
  /** The child process as the kernel saw it (wall, CPU, peak RSS). */
  readonly proc: ProcResult;
}

export interface SizeResult {
  readonly dump: BenchDump;
  readonly loads: readonly LoadRun[];
  /** null: not measured (reason in `kernelSkipped`). */
  readonly restores: readonly ProcResult[] | null;
  readonly servicesJson: readonly ProcResult[];
  readonly traceCli: readonly ProcResult[];
}

export interface DetailResult {
  readonly size: number;
  readonly refresh: RefreshResult | { readonly error: string };
  /** `iptables-save -c` of the same dump loaded in a namespace; null: not measured. */
  readonly saves: readonly ProcResult[] | null;
  readonly tui:
    | { readonly explorerDataMs: number; readonly search: SearchResult; readonly frames: FrameResult }
    | { readonly error: string };
  /** Keypress-to-frame while a live source refreshes every second (absent in results from before it was measured). */
  readonly refreshFrames?: RefreshFrameResult | { readonly error: string };
}

export interface BenchResult {
  readonly machine: MachineInfo;
  readonly iptables: string;
  readonly runs: number;
  readonly sizes: readonly SizeResult[];
  readonly detail: DetailResult | null;
  /** nftables mode at the detail size; null: not asked for (--no-nftables). */
  readonly nft?: NftBenchResult | { readonly error: string } | null;
  /** Many nodes (`nodes --json`, 50 × 1,000 services); null or absent: not measured. */
  readonly nodes?: NodesBenchResult | { readonly error: string } | null;
  /** Connections (a namespace's conntrack table) at the detail size; null or absent: not asked for. */
  readonly conntrack?: ConntrackBenchResult | { readonly error: string } | null;
  /** Why iptables was not measured, null when it was. */
  readonly kernelSkipped: string | null;
  readonly totalSeconds: number;
}

/** design.md's targets at 10k services. */
export const TARGETS = {
  loadRatio: 0.5,
  rssMB: 400,
  searchMs: 20,
  frameMs: 50,
  /** Issue 14: a key gets its frame within this while a 10k snapshot is read, parsed and modelled. */
  refreshFrameMs: 150,
  /** "far less CPU than the iptables-save that feeds it": taken as at most half. */
  refreshRatio: 0.5,
  traceMs: 1000,
  /** Issue 13: loading `nft -j list ruleset` at most as long as `jq -c '.nftables | length'` on it. */
  nftJsonVsJq: 1.0,
  /** ... and the `nft list ruleset` text at most as long as the JSON. */
  nftTextVsJson: 1.0,
  /** Issue 15: parse + attribution of a 250k-entry table against the 10k dump, at most this share of `conntrack -L` printing it. */
  conntrackVsList: 0.5,
} as const;

export interface ConntrackSummary {
  readonly services: number;
  readonly entries: number;
  readonly listingMB: number;
  /** Medians over the runs (they alternated). */
  readonly listWallMs: number;
  readonly listCpuMs: number;
  readonly totalMs: number;
  readonly totalCpuMs: number;
  readonly readMs: number;
  readonly rulesLoadMs: number;
  /** Peak RSS of the in-process measurement (GNU time's view when there is one) and of the whole command. */
  readonly rssMB: number;
  readonly cliWallMs: number;
  readonly cliCpuMs: number;
  readonly cliRssMB: number;
  /** Per run: parse + attribution / conntrack -L, wall time. */
  readonly ratios: readonly number[];
}

export function summarizeConntrack(c: ConntrackBenchResult): ConntrackSummary {
  const pick = (f: (r: ConntrackBenchResult['runs'][number]) => number) => med(c.runs.map(f));
  const rss = (r: ConntrackBenchResult['runs'][number]) => (Number.isFinite(r.kubechains.proc.maxRssMB) ? r.kubechains.proc.maxRssMB : r.kubechains.measure.maxRssMB);
  return {
    services: c.services,
    entries: c.table.entries,
    listingMB: c.listingMB,
    listWallMs: pick((r) => r.list.wallMs),
    listCpuMs: pick((r) => r.list.cpuMs),
    totalMs: pick((r) => r.kubechains.measure.totalMs),
    totalCpuMs: pick((r) => r.kubechains.measure.totalCpuMs),
    readMs: pick((r) => r.kubechains.measure.readMs),
    rulesLoadMs: pick((r) => r.kubechains.measure.rulesLoadMs),
    rssMB: pick(rss),
    cliWallMs: pick((r) => r.cli.wallMs),
    cliCpuMs: pick((r) => r.cli.cpuMs),
    cliRssMB: pick((r) => r.cli.maxRssMB),
    ratios: c.runs.map((r) => r.kubechains.measure.totalMs / r.list.wallMs),
  };
}

function conntrackTargetRows(r: BenchResult): TargetRow[] {
  if (!r.conntrack) return [];
  const what = 'connections: parse + attribution vs `conntrack -L` printing the table';
  const target = `≤ ${TARGETS.conntrackVsList}`;
  if ('error' in r.conntrack) return [{ what, target, measured: `not measured: ${r.conntrack.error}`, ok: null }];
  const s = summarizeConntrack(r.conntrack);
  const x = s.totalMs / s.listWallMs;
  return [
    {
      what: `${what} (${num(s.entries)} entries)`,
      target,
      measured: `${ratio(x)} (${ms(s.totalMs)} vs ${ms(s.listWallMs)}; CPU ${ms(s.totalCpuMs)} vs ${ms(s.listCpuMs)})`,
      ok: x <= TARGETS.conntrackVsList,
    },
    {
      what: 'connections: peak RSS (in-process / whole `kubechains conns`)',
      target: '–',
      measured: `${num(s.rssMB)} MB / ${num(s.cliRssMB)} MB`,
      ok: 'figure',
    },
  ];
}

function conntrackSection(r: BenchResult): string[] {
  if (!r.conntrack) return [];
  if ('error' in r.conntrack) return ['## Connections (conntrack)', '', `Not measured: ${r.conntrack.error}`, ''];
  const c = r.conntrack;
  const s = summarizeConntrack(c);
  const states = Object.entries(c.table.byState)
    .sort(([, a], [, b]) => b - a)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join(', ');
  return [
    `## Connections (conntrack, ${num(s.entries)} entries, ${num(s.services)} services)`,
    '',
    `A throwaway network namespace's conntrack table filled with ${num(s.entries)} real entries (\`conntrack --load-file\`,`,
    `${ms(c.fill.wallMs)}) shaped like a node of the ${num(s.services)}-service dump: ${num(c.table.toServices)} connections to a service frontend`,
    `answered by one of its endpoints (${num(c.table.masqueraded)} masqueraded: from outside, to a node port, LoadBalancer or external IP),`,
    `${num(c.table.unrelated)} to no service; by state ${states}. \`conntrack -L\` prints the table into a file (${num(s.listingMB, 1)} MB);`,
    'kubechains reads that file in a fresh process: the dump loaded first (not counted), then `countConnections` (parse',
    'and attribution in one pass, as `conns` runs them) timed, their result checked against the generated table. *kubechains conns* is the whole command',
    `on the dump and the file (\`--json\`, output discarded). Medians of ${c.runs.length} run${c.runs.length === 1 ? '' : 's'}, alternating.`,
    '',
    mdTable(
      ['', 'wall', 'CPU', 'peak RSS'],
      [
        ['`conntrack -L` into a file', ms(s.listWallMs), ms(s.listCpuMs), '–'],
        ['kubechains parse + attribution (one pass, `countConnections`)', ms(s.totalMs), ms(s.totalCpuMs), `${num(s.rssMB)} MB`],
        [`kubechains conns, whole command (read ${ms(s.readMs)}, rules load ${ms(s.rulesLoadMs)} in-process)`, ms(s.cliWallMs), ms(s.cliCpuMs), `${num(s.cliRssMB)} MB`],
      ],
      ['l', 'r', 'r', 'r'],
    ),
    '',
    `Each run, parse + attribution / \`conntrack -L\`: ${s.ratios.map(ratio).join(', ')}.`,
    '',
  ];
}

export interface NftSummary {
  readonly services: number;
  readonly servicePorts: number;
  readonly endpoints: number;
  readonly textMB: number;
  readonly textLines: number;
  readonly jsonMB: number;
  /** Medians: [wall, CPU] of the in-process load (read + parse + model), peak RSS of the process. */
  readonly json: { readonly wallMs: number; readonly cpuMs: number; readonly parseCpuMs: number; readonly modelCpuMs: number; readonly rssMB: number };
  readonly text: { readonly wallMs: number; readonly cpuMs: number; readonly parseCpuMs: number; readonly modelCpuMs: number; readonly rssMB: number };
  readonly jq: { readonly wallMs: number; readonly cpuMs: number; readonly rssMB: number } | null;
  readonly jsonParse: { readonly wallMs: number; readonly cpuMs: number; readonly rssMB: number };
  /** Per run (they alternated): JSON load / jq and text load / JSON load, wall time. */
  readonly jsonVsJq: readonly number[];
  readonly textVsJson: readonly number[];
}

export function summarizeNft(n: NftBenchResult): NftSummary {
  const rss = (x: { proc: { maxRssMB: number }; load: { maxRssMB: number } }) => (Number.isFinite(x.proc.maxRssMB) ? x.proc.maxRssMB : x.load.maxRssMB);
  const side = (pick: (r: NftBenchResult['runs'][number]) => NftBenchResult['runs'][number]['json']) => ({
    wallMs: med(n.runs.map((r) => pick(r).load.loadMs)),
    cpuMs: med(n.runs.map((r) => pick(r).load.loadCpuMs)),
    parseCpuMs: med(n.runs.map((r) => pick(r).load.parseCpuMs)),
    modelCpuMs: med(n.runs.map((r) => pick(r).load.modelCpuMs)),
    rssMB: med(n.runs.map((r) => rss(pick(r)))),
  });
  const jqRuns = n.runs.map((r) => r.jq).filter((j): j is NonNullable<typeof j> => j !== null);
  return {
    services: n.dumps.services,
    servicePorts: n.runs[0]?.json.load.servicePorts ?? NaN,
    endpoints: n.endpointChains,
    textMB: n.dumps.text.bytes / 1e6,
    textLines: n.dumps.text.lines,
    jsonMB: n.dumps.json.bytes / 1e6,
    json: side((r) => r.json),
    text: side((r) => r.text),
    jq: jqRuns.length === 0 ? null : { wallMs: med(jqRuns.map((j) => j.wallMs)), cpuMs: med(jqRuns.map((j) => j.cpuMs)), rssMB: med(jqRuns.map((j) => j.maxRssMB)) },
    jsonParse: {
      wallMs: med(n.runs.map((r) => r.jsonParse.parse.ms)),
      cpuMs: med(n.runs.map((r) => r.jsonParse.parse.cpuMs)),
      rssMB: med(n.runs.map((r) => (Number.isFinite(r.jsonParse.proc.maxRssMB) ? r.jsonParse.proc.maxRssMB : r.jsonParse.parse.maxRssMB))),
    },
    jsonVsJq: n.runs.filter((r) => r.jq !== null).map((r) => r.json.load.loadMs / r.jq!.wallMs),
    textVsJson: n.runs.map((r) => r.text.load.loadMs / r.json.load.loadMs),
  };
}

function nftTargetRows(r: BenchResult): TargetRow[] {
  if (!r.nft) return [];
  if ('error' in r.nft) return [{ what: 'nftables mode', target: '–', measured: `not measured: ${r.nft.error}`, ok: null }];
  const s = summarizeNft(r.nft);
  const jsonVsJq = s.jq ? s.json.wallMs / s.jq.wallMs : NaN;
  const textVsJson = s.text.wallMs / s.json.wallMs;
  return [
    {
      what: "nftables: load of `nft -j list ruleset` vs `jq -c '.nftables | length'`",
      target: `≤ ${TARGETS.nftJsonVsJq.toFixed(1)}`,
      measured: s.jq ? `${ratio(jsonVsJq)} (${ms(s.json.wallMs)} vs ${ms(s.jq.wallMs)}; CPU ${ms(s.json.cpuMs)} vs ${ms(s.jq.cpuMs)})` : 'jq not installed',
      ok: s.jq ? jsonVsJq <= TARGETS.nftJsonVsJq : null,
    },
    {
      what: 'nftables: load of `nft list ruleset` text vs the JSON',
      target: `≤ ${TARGETS.nftTextVsJson.toFixed(1)}`,
      measured: `${ratio(textVsJson)} (${ms(s.text.wallMs)} vs ${ms(s.json.wallMs)}; CPU ${ms(s.text.cpuMs)} vs ${ms(s.json.cpuMs)})`,
      ok: textVsJson <= TARGETS.nftTextVsJson,
    },
    {
      what: 'nftables: peak RSS of the load (JSON / text)',
      target: `≤ ${TARGETS.rssMB} MB`,
      measured: `${num(s.json.rssMB)} MB / ${num(s.text.rssMB)} MB`,
      ok: Math.max(s.json.rssMB, s.text.rssMB) <= TARGETS.rssMB,
    },
    ...(r.nft.tui ? explorerTargetRows('nftables: ', r.nft.tui) : []),
  ];
}

function nftSection(r: BenchResult): string[] {
  if (!r.nft) return [];
  if ('error' in r.nft) return [`## nftables mode (${num(r.detail?.size ?? NaN)} services)`, '', `Not measured: ${r.nft.error}`, ''];
  const out: string[] = [`## nftables mode (${num(r.nft.dumps.services)} services)`, ''];
  const s = summarizeNft(r.nft);
  out.push(
    `A generated kube-proxy nftables ruleset (\`randomClusterSpec\`, seed 1, up to 14 endpoints per service: ${num(s.servicePorts)} service ports,`,
    `${num(s.endpoints)} endpoint chains) in the forms a node gives: \`nft list ruleset\` (${num(s.textMB, 1)} MB, ${num(s.textLines)} lines) and`,
    `\`nft -j list ruleset\` (${num(s.jsonMB, 1)} MB), rendered as nft 1.0.6 prints them (\`src/gen/nft-listing.ts\`, checked against the`,
    "kernel's own listings in `test/kernel/nft-listing.test.ts`; loading 10k services into a kernel takes minutes). *load* = read +",
    '`parseNftables` + `buildNftKubeModel` in a fresh process; jq and a bare `JSON.parse` (read + parse, nothing else) on the same',
    `JSON file, alternating with the loads run by run. Medians of ${r.nft.runs.length} run${r.nft.runs.length === 1 ? '' : 's'}; peak RSS of the whole process (GNU time).`,
    '',
  );
  out.push(
    mdTable(
      ['', 'wall', 'CPU', 'parse CPU', 'model CPU', 'peak RSS'],
      [
        ['kubechains, `nft -j` JSON', ms(s.json.wallMs), ms(s.json.cpuMs), ms(s.json.parseCpuMs), ms(s.json.modelCpuMs), `${num(s.json.rssMB)} MB`],
        ['kubechains, `nft list` text', ms(s.text.wallMs), ms(s.text.cpuMs), ms(s.text.parseCpuMs), ms(s.text.modelCpuMs), `${num(s.text.rssMB)} MB`],
        s.jq
          ? [`\`jq -c '.nftables | length'\` (${r.nft.jqVersion ?? 'jq'})`, ms(s.jq.wallMs), ms(s.jq.cpuMs), '–', '–', `${num(s.jq.rssMB)} MB`]
          : ['jq', 'not installed', '–', '–', '–', '–'],
        ['`JSON.parse` (Node)', ms(s.jsonParse.wallMs), ms(s.jsonParse.cpuMs), '–', '–', `${num(s.jsonParse.rssMB)} MB`],
      ],
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  out.push(`Each run, JSON load / jq: ${s.jsonVsJq.map(ratio).join(', ') || '–'}; text load / JSON load: ${s.textVsJson.map(ratio).join(', ')}.`);
  out.push('');
  const tui = r.nft.tui;
  if (tui) {
    out.push('### Explorer on the nftables ruleset');
    out.push('');
    if ('error' in tui) out.push(`Not measured: ${tui.error}`);
    else {
      out.push('The same measurements as the iptables explorer above, on the `nft -j` listing loaded as the explorer loads a file');
      out.push('(`parseDump`, `buildDumpModel`; its chain and rule screens read nft tables through `core/nft-display`). Milliseconds:');
      out.push('');
      out.push(...explorerTables(tui));
    }
    out.push('');
  }
  return out;
}

/** The search table (per query: index, each keystroke, rows kept) and the keypress-to-frame row. */
function explorerTables(t: { readonly explorerDataMs: number; readonly search: SearchResult; readonly frames: FrameResult }): string[] {
  const { search, frames, explorerDataMs } = t;
  return [
    mdTable(
      ['query', 'index', 'per keystroke', 'rows kept'],
      search.queries.map((q) => [`\`${q.query}\``, q.indexMs.toFixed(1), q.ms.map((x) => x.toFixed(1)).join(', '), `${num(q.matches)}${q.fuzzy ? ' (fuzzy)' : ''}`]),
      ['l', 'r', 'l', 'r'],
    ),
    '',
    `Keypress-to-frame: the App rendered with ink-testing-library (${frames.columns}×${frames.rows}), each key written to its stdin`,
    `and timed until the frame changes; first frame after ${ms(frames.firstFrameMs)} (explorer data built in ${ms(explorerDataMs)}).`,
    '',
    mdTable(['key', ...frames.keys.map((k) => k.key)], [['ms', ...frames.keys.map((k) => (k.changed ? k.ms.toFixed(1) : 'no change'))]]),
  ];
}

/** The two explorer target rows (search per keystroke, keypress-to-frame), `label` before each. */
function explorerTargetRows(label: string, tui: { readonly search: SearchResult; readonly frames: FrameResult } | { readonly error: string }): TargetRow[] {
  if ('error' in tui) {
    return [
      { what: `${label}search per keystroke`, target: `≤ ${TARGETS.searchMs} ms`, measured: `not measured: ${tui.error}`, ok: null },
      { what: `${label}keypress-to-frame`, target: `≤ ${TARGETS.frameMs} ms`, measured: `not measured: ${tui.error}`, ok: null },
    ];
  }
  const sr = tui.search;
  const fr = tui.frames;
  return [
    {
      what: `${label}search per keystroke (median / max)`,
      target: `≤ ${TARGETS.searchMs} ms`,
      measured: `${ms(sr.medianMs)} / ${ms(sr.maxMs)} over ${sr.keystrokes} keystrokes (index: ${ms(sr.indexMedianMs)} per snapshot, built while idle)`,
      ok: sr.maxMs <= TARGETS.searchMs,
    },
    {
      what: `${label}keypress-to-frame (median / max)`,
      target: `≤ ${TARGETS.frameMs} ms`,
      measured: `${ms(fr.medianMs)} / ${ms(fr.maxMs)} over ${fr.keys.filter((k) => k.changed).length} keys`,
      ok: fr.maxMs <= TARGETS.frameMs && fr.keys.every((k) => k.changed),
    },
  ];
}

const med = (xs: readonly number[]) => median(xs);

export interface SizeSummary {
  readonly services: number;
  readonly servicePorts: number;
  readonly endpoints: number;
  readonly lines: number;
  readonly mb: number;
  readonly readMs: number;
  readonly parseCpuMs: number;
  readonly modelCpuMs: number;
  readonly loadCpuMs: number;
  readonly loadWallMs: number;
  readonly rssMB: number;
  readonly restoreCpuMs: number;
  readonly restoreWallMs: number;
  readonly ratioCpu: number;
  readonly ratioWall: number;
  readonly servicesJsonMs: number;
  readonly traceCliMs: number;
  readonly traceMedianMs: number;
  readonly traceMaxMs: number;
  readonly traceFirstMs: number;
}

export function summarize(s: SizeResult): SizeSummary {
  const l = s.loads.map((r) => r.load);
  const restoreCpu = s.restores ? med(s.restores.map((r) => r.cpuMs)) : NaN;
  const restoreWall = s.restores ? med(s.restores.map((r) => r.wallMs)) : NaN;
  const loadCpu = med(l.map((x) => x.loadCpuMs));
  const loadWall = med(l.map((x) => x.loadMs));
  return {
    services: s.dump.services,
    servicePorts: l[0]?.servicePorts ?? NaN,
    endpoints: l[0]?.endpoints ?? NaN,
    lines: s.dump.lines,
    mb: s.dump.bytes / 1e6,
    readMs: med(l.map((x) => x.readCpuMs)),
    parseCpuMs: med(l.map((x) => x.parseCpuMs)),
    modelCpuMs: med(l.map((x) => x.modelCpuMs)),
    loadCpuMs: loadCpu,
    loadWallMs: loadWall,
    // The kernel's figure when there is one (the whole child), else the child's own.
    rssMB: med(s.loads.map((r) => (Number.isFinite(r.proc.maxRssMB) ? r.proc.maxRssMB : r.load.maxRssMB))),
    restoreCpuMs: restoreCpu,
    restoreWallMs: restoreWall,
    ratioCpu: loadCpu / restoreCpu,
    ratioWall: loadWall / restoreWall,
    servicesJsonMs: med(s.servicesJson.map((r) => r.wallMs)),
    traceCliMs: med(s.traceCli.map((r) => r.wallMs)),
    traceMedianMs: med(s.loads.map((r) => r.traces.medianMs)),
    traceMaxMs: med(s.loads.map((r) => r.traces.maxMs)),
    traceFirstMs: med(s.loads.map((r) => r.traces.firstMs)),
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting

export function ms(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x >= 10000) return `${(x / 1000).toFixed(1)} s`;
  if (x >= 1000) return `${(x / 1000).toFixed(2)} s`;
  if (x >= 100) return `${x.toFixed(0)} ms`;
  if (x >= 10) return `${x.toFixed(1)} ms`;
  return `${x.toFixed(2)} ms`;
}

function num(x: number, digits = 0): string {
  return Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–';
}

function ratio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '–';
}

function verdict(ok: boolean | null | 'figure'): string {
  if (ok === 'figure') return '(a figure, no target)';
  return ok === null ? 'not measured' : ok ? 'met' : 'MISSED';
}

interface TargetRow {
  readonly what: string;
  readonly target: string;
  readonly measured: string;
  /** 'figure': shown beside the targets for what it tells, not one of them. */
  readonly ok: boolean | null | 'figure';
}

function refreshFigures(d: DetailResult): { kcCpu: number; kcWall: number; saveCpu: number; saveWall: number } | null {
  if ('error' in d.refresh) return null;
  return {
    kcCpu: d.refresh.medianCpuMs,
    kcWall: d.refresh.medianWallMs,
    saveCpu: d.saves ? med(d.saves.map((r) => r.cpuMs)) : NaN,
    saveWall: d.saves ? med(d.saves.map((r) => r.wallMs)) : NaN,
  };
}

/** Load time over restore time of each run (paired as they alternated) at the detail size. */
function perRunRatios(r: BenchResult): { size: number; ratios: number[] } | null {
  const sz = r.sizes.find((s) => s.dump.services === r.detail?.size);
  if (!sz?.restores || sz.restores.length !== sz.loads.length) return null;
  return { size: sz.dump.services, ratios: sz.loads.map((l, i) => l.load.loadMs / sz.restores![i]!.wallMs) };
}

export function targetRows(r: BenchResult): TargetRow[] {
  const d = r.detail;
  const sz = r.sizes.find((s) => s.dump.services === d?.size) ?? r.sizes[r.sizes.length - 1];
  // A partial run (--only-explorer, --only-nftables, --only-conntrack): no iptables dump was measured.
  if (!sz) return [...(d ? explorerFrameRows(d) : []), ...nftTargetRows(r), ...conntrackTargetRows(r)];
  const s = summarize(sz);
  const rows: TargetRow[] = [];
  const haveRestore = Number.isFinite(s.restoreCpuMs);
  // design.md: "load ≤ half the time of iptables-restore --test in the same run".
  rows.push({
    what: 'load (parse + model) time vs `iptables-restore --test`',
    target: `≤ ${TARGETS.loadRatio}`,
    measured: haveRestore ? `${ratio(s.ratioWall)} (${ms(s.loadWallMs)} vs ${ms(s.restoreWallMs)})` : `${ms(s.loadWallMs)}; restore not measured: ${r.kernelSkipped}`,
    ok: haveRestore ? s.ratioWall <= TARGETS.loadRatio : null,
  });
  rows.push({
    what: 'the same in CPU time, every thread',
    target: '–',
    measured: haveRestore ? `${ratio(s.ratioCpu)} (${ms(s.loadCpuMs)} vs ${ms(s.restoreCpuMs)})` : ms(s.loadCpuMs),
    ok: 'figure',
  });
  rows.push({ what: 'peak RSS of the load', target: `≤ ${TARGETS.rssMB} MB`, measured: `${num(s.rssMB)} MB`, ok: s.rssMB <= TARGETS.rssMB });
  rows.push({
    what: 'trace after load (median / max of the next traces)',
    target: `well under ${ms(TARGETS.traceMs)}`,
    measured: `${ms(s.traceMedianMs)} / ${ms(s.traceMaxMs)} (first ${ms(s.traceFirstMs)})`,
    ok: s.traceMaxMs < TARGETS.traceMs && s.traceFirstMs < TARGETS.traceMs,
  });
  if (d) {
    rows.push(...explorerFrameRows(d));
    const f = refreshFigures(d);
    if (!f) {
      rows.push({ what: 'live refresh CPU vs `iptables-save -c`', target: 'far less', measured: `not measured: ${(d.refresh as { error: string }).error}`, ok: null });
    } else {
      const have = Number.isFinite(f.saveCpu);
      rows.push({
        what: 'live refresh: kubechains CPU vs `iptables-save -c` CPU',
        target: `far less (≤ ${TARGETS.refreshRatio})`,
        measured: have
          ? `${ratio(f.kcCpu / f.saveCpu)} (${ms(f.kcCpu)} vs ${ms(f.saveCpu)}; kubechains ${num((100 * f.kcCpu) / 2000)}% of a 2 s interval, iptables-save ${num((100 * f.saveCpu) / 2000)}%)`
          : `${ms(f.kcCpu)} (${num((100 * f.kcCpu) / 2000)}% of a 2 s interval); iptables-save not measured: ${r.kernelSkipped}`,
        ok: have ? f.kcCpu / f.saveCpu <= TARGETS.refreshRatio : null,
      });
      rows.push({
        what: 'peak RSS while refreshing (two snapshots alive)',
        target: '–',
        measured: `${num((d.refresh as RefreshResult).peakRssMB)} MB`,
        ok: 'figure',
      });
    }
  }
  rows.push(...nftTargetRows(r));
  rows.push(...conntrackTargetRows(r));
  return rows;
}

/** The explorer's keypress-to-frame rows: idle (with search), and during live refreshes. */
function explorerFrameRows(d: DetailResult): TargetRow[] {
  const rows = explorerTargetRows('', d.tui);
  const rf = d.refreshFrames;
  if (rf === undefined) return rows;
  const what = 'keypress-to-frame during live refreshes (median / max)';
  const target = `≤ ${TARGETS.refreshFrameMs} ms`;
  if ('error' in rf) return [...rows, { what, target, measured: `not measured: ${rf.error}`, ok: null }];
  const where = rf.parsedIn === 'main' ? `; parsed on the main thread (${rf.mainThreadReason ?? 'no parse thread'})` : rf.parsedIn === 'worker' ? '; parsed in a worker thread' : '';
  rows.push({
    what,
    target,
    measured: `${ms(rf.medianMs)} / ${ms(rf.maxMs)} over ${rf.keys} keys, ${rf.refreshes} refreshes in ${rf.seconds} s${rf.missed > 0 ? `, ${rf.missed} keys without a frame` : ''}${where}`,
    ok: rf.maxMs <= TARGETS.refreshFrameMs && rf.missed === 0,
  });
  return rows;
}

const SIZE_HEADER = [
  'services',
  'ports',
  'endpoints',
  'lines',
  'MB',
  'read',
  'parse CPU',
  'model CPU',
  'load CPU',
  'load wall',
  'peak RSS',
  'restore CPU',
  'restore wall',
  'ratio CPU',
  'ratio wall',
  'services --json',
  'trace (CLI)',
  'trace after load',
];

function sizeRow(s: SizeSummary): string[] {
  return [
    num(s.services),
    num(s.servicePorts),
    num(s.endpoints),
    num(s.lines),
    num(s.mb, 1),
    ms(s.readMs),
    ms(s.parseCpuMs),
    ms(s.modelCpuMs),
    ms(s.loadCpuMs),
    ms(s.loadWallMs),
    `${num(s.rssMB)} MB`,
    ms(s.restoreCpuMs),
    ms(s.restoreWallMs),
    ratio(s.ratioCpu),
    ratio(s.ratioWall),
    ms(s.servicesJsonMs),
    ms(s.traceCliMs),
    `${ms(s.traceMedianMs)} / ${ms(s.traceMaxMs)}`,
  ];
}

function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function mdTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const sep = header.map((_, i) => ((align?.[i] ?? 'r') === 'l' ? ':--' : '--:'));
  return [header, sep, ...rows].map((r) => `| ${r.map(esc).join(' | ')} |`).join('\n');
}

/** The size the target rows were measured at: the detail size, else what a partial run (--only-…) measured. */
function targetSize(r: BenchResult): number {
  const nftServices = r.nft && !('error' in r.nft) ? r.nft.dumps.services : undefined;
  const conntrackServices = r.conntrack && !('error' in r.conntrack) ? r.conntrack.services : undefined;
  return r.detail?.size ?? r.sizes[r.sizes.length - 1]?.dump.services ?? nftServices ?? conntrackServices ?? NaN;
}

export function terminalReport(r: BenchResult): string {
  const out: string[] = [];
  out.push(`kubechains bench: ${r.machine.cpus} × ${r.machine.model}, node ${r.machine.node}, ${r.iptables}, load average ${num(r.machine.loadAverage, 2)} at start`);
  out.push('');
  // A partial run (--only-…) measured no dump size: no empty table.
  if (r.sizes.length > 0) {
    out.push(textTable(SIZE_HEADER, r.sizes.map((s) => sizeRow(summarize(s)))));
    out.push('');
  }
  const rows = targetRows(r);
  if (rows.length > 0) {
    out.push(`targets at ${num(targetSize(r))} services:`);
    out.push(textTable(['', 'target', 'measured', ''], rows.map((t) => [t.what, t.target, t.measured, verdict(t.ok)])).replace(/^/gm, '  '));
  }
  if (r.nodes) out.push('', ...nodesReportLines(r.nodes));
  out.push('');
  out.push(`(medians of ${r.runs} run${r.runs === 1 ? '' : 's'}; ${num(r.totalSeconds)} s in all)`);
  return out.join('\n');
}

/** Lines from this marker on are kept when the bench rewrites BENCHMARKS.md. */
export const KEEP_MARKER = '<!-- Everything below this line is written by hand and kept when `npm run bench` rewrites this file. -->';

export function markdownReport(r: BenchResult, kept: string | null): string {
  const m = r.machine;
  const d = r.detail;
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(`Written by \`npm run bench\` on ${m.date}. Every figure below was measured in that one run, on this machine,`);
  out.push("next to the target from design.md's \"Performance targets\" (figures for the targets at 10,000 services).");
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(`- ${m.cpus} CPU${m.cpus === 1 ? '' : 's'} (\`nproc\`), ${m.model}; ${m.kernel}`);
  out.push(`- Node ${m.node}; ${r.iptables}`);
  out.push(`- load average ${num(m.loadAverage, 2)} when the run started (other work on the machine stretches wall times; CPU times are the process's own)`);
  out.push('');
  const rows = targetRows(r);
  if (rows.length > 0) {
    out.push(`## Targets (${num(targetSize(r))} services)`);
    out.push('');
    out.push(mdTable(['', 'target', 'measured', ''], rows.map((t) => [t.what, t.target, t.measured, verdict(t.ok)]), ['l', 'l', 'l', 'l']));
    out.push('');
  }
  out.push('## Load, every size');
  out.push('');
  out.push(`Medians of ${r.runs} run${r.runs === 1 ? '' : 's'}, each in a fresh process. *load* = parse + model (\`parseIptablesSave\` + \`buildKubeModel\`), the`);
  out.push('figure compared with `iptables-restore --test` on the same file in a throwaway network namespace; *read* is reading and');
  out.push("decoding the file before that (kubechains' file source). CPU is user + system of the whole process, every thread (Node's");
  out.push('garbage collector and compiler run beside the main thread). *services --json* and *trace (CLI)* are whole `kubechains`');
  out.push('processes, wall time; *trace after load* is `tracePacket` to a service\'s cluster IP once the dump is loaded, median / max.');
  out.push('');
  out.push(mdTable(SIZE_HEADER, r.sizes.map((s) => sizeRow(summarize(s)))));
  out.push('');
  const runs = perRunRatios(r);
  if (runs) {
    // The medians hide how much a busy 2-core machine moves a two-thread load against a one-thread restore.
    out.push(`Each run at ${num(runs.size)} services, load time / restore time: ${runs.ratios.map(ratio).join(', ')}.`);
    out.push('');
  }
  if (d) {
    out.push(`## Live refresh (${num(d.size)} services)`);
    out.push('');
    const f = refreshFigures(d);
    if (!f) {
      out.push(`Not measured: ${(d.refresh as { error: string }).error}`);
    } else {
      const rf = d.refresh as RefreshResult;
      out.push('One refresh = what the explorer does with a new dump: read, parse, model, its data with the counters diffed against');
      out.push('the previous snapshot, and the services list sorted by rate (every service\'s delta, the costliest screen). The refreshes');
      out.push('bring the same rules with new counts, as a live source mostly does, so the model carries over from the previous snapshot');
      out.push('(`refreshKubeModel`). Median of the refreshes after the first, in one process (a running explorer is warm).');
      out.push(`\`iptables-save -c\` prints the same ruleset loaded with \`iptables-restore -c\` into a network namespace (median of ${d.saves?.length ?? 0} run${d.saves?.length === 1 ? '' : 's'}).`);
      out.push('');
      out.push(
        mdTable(
          ['', 'CPU', 'wall', 'share of a 2 s interval (CPU)'],
          [
            ['kubechains refresh', ms(f.kcCpu), ms(f.kcWall), `${num((100 * f.kcCpu) / 2000)}%`],
            ['kubechains, first refresh', ms(rf.firstCpuMs), ms(rf.wallMs[0] ?? NaN), `${num((100 * rf.firstCpuMs) / 2000)}%`],
            ['`iptables-save -c`', ms(f.saveCpu), ms(f.saveWall), `${num((100 * f.saveCpu) / 2000)}%`],
          ],
          ['l', 'r', 'r', 'r'],
        ),
      );
      out.push('');
      out.push(
        `Each refresh found ${num(rf.servicesWithRates)} services with a rate; ${num(rf.carriedOver)} of ${num(rf.cpuMs.length)} ` +
          `carried the model over. Peak RSS over the load and the refreshes: ${num(rf.peakRssMB)} MB (the explorer keeps the ` +
          'snapshot on screen and the one before it, for the deltas).',
      );
    }
    out.push('');
    out.push(`## Explorer (${num(d.size)} services)`);
    out.push('');
    if ('error' in d.tui) {
      out.push(`Not measured: ${d.tui.error}`);
    } else {
      out.push(`Search: the services screen's \`/\` filter (\`servicesView\`), each query typed one character at a time into a fresh`);
      out.push('snapshot. The search index is built first and timed apart: the explorer builds it for the list on screen once');
      out.push(`keys have been quiet for a moment, after every snapshot (\`warmSearch\`). Milliseconds:`);
      out.push('');
      out.push(...explorerTables(d.tui));
    }
    const rf = d.refreshFrames;
    if (rf !== undefined) {
      out.push('');
      out.push(`Keypress-to-frame during live refreshes: the same App with a real poller watching a file that is replaced by a`);
      out.push('new snapshot of the same dump (every counter grown) every second, interval 1 s, so a snapshot is read, parsed and');
      out.push('modelled each second while `j` and `k` alternate every ~200 ms (a key counts until the selected row moved).');
      out.push('');
      if ('error' in rf) out.push(`Not measured: ${rf.error}`);
      else if (!('error' in d.tui)) {
        out.push(
          mdTable(
            ['keypress-to-frame', 'median', 'max', 'keys'],
            [
              ['idle', ms(d.tui.frames.medianMs), ms(d.tui.frames.maxMs), String(d.tui.frames.keys.filter((k) => k.changed).length)],
              [`during refreshes (${rf.refreshes} in ${rf.seconds} s)`, ms(rf.medianMs), ms(rf.maxMs), `${rf.keys}${rf.missed > 0 ? ` (${rf.missed} without a frame)` : ''}`],
            ],
            ['l', 'r', 'r', 'r'],
          ),
        );
      } else out.push(`During refreshes: ${ms(rf.medianMs)} median, ${ms(rf.maxMs)} max over ${rf.keys} keys (${rf.refreshes} refreshes in ${rf.seconds} s).`);
    }
    out.push('');
  }
  out.push(...nftSection(r));
  if (r.nodes) out.push('## Many nodes', '', ...nodesReportLines(r.nodes), '');
  out.push(...conntrackSection(r));
  out.push('## How to run');
  out.push('');
  out.push('```');
  out.push('npm run bench                          # 1k, 10k and 30k services, 3 runs each; rewrites BENCHMARKS.md');
  out.push('npm run bench -- --sizes 1000,10000    # other sizes (the live refresh and the explorer are measured at the size nearest 10k)');
  out.push('npm run bench -- --quick               # a smoke run in well under a minute; prints, does not write');
  out.push('npm run bench -- --runs 5 --no-write   # more repetitions, print only');
  out.push('npm run bench -- --no-nftables         # without the nftables listings');
  out.push('npm run bench -- --only-nftables       # the nftables listings and their explorer only; prints, does not write');
  out.push('npm run bench -- --only-explorer       # keypress-to-frame at 10k, idle and during live refreshes, only; prints, does not write');
  out.push('npm run bench -- --only-nodes          # many nodes only (nodes --json over 50 nodes x 1,000 services); prints, does not write');
  out.push('npm run bench -- --only-conntrack      # connections only (250k conntrack entries); prints, does not write');
  out.push('```');
  out.push('');
  out.push('Run it as root with `iptables`, `iproute2` and GNU `time` installed to get the `iptables-restore` and `iptables-save`');
  out.push('figures (namespaces named `kc-bench-…`, deleted afterwards; the host\'s own rules are never touched); elsewhere those');
  out.push('columns say why they are missing. The machine may be busy: compare CPU times, and ratios measured in the same run.');
  out.push('Dumps come from `src/gen` (`randomClusterSpec`, seed 1, up to 10 endpoints per service; `generateKubeProxyRules`, current');
  out.push('layout, `iptables-save -c` form, large-cluster mode above 1000 endpoints as kube-proxy switches).');
  out.push('');
  out.push(KEEP_MARKER);
  if (kept !== null && kept.trim() !== '') {
    out.push(kept.replace(/^\n+/, '\n'));
  } else {
    out.push('');
  }
  return out.join('\n').replace(/\n*$/, '\n');
}

/** The hand-written part of an existing BENCHMARKS.md (after KEEP_MARKER), or null. */
export function keptPart(existing: string | null): string | null {
  if (existing === null) return null;
  const at = existing.indexOf(KEEP_MARKER);
  return at < 0 ? null : existing.slice(at + KEEP_MARKER.length);
}
