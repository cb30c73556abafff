/**
 * The benchmark's measurement functions at a tiny size: they run, measure what they say, and
 * return sane structures. No timing thresholds (the bench reports, design.md sets the targets).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBenchArgs, DEFAULT_SIZES, QUICK_SIZES } from '../../src/bench/args.js';
import { conntrackUnavailable, fillConntrack, listConntrack, measureConntrack, writeConntrackTable, type ConntrackBenchResult } from '../../src/bench/conntrack.js';
import { benchSpec, writeBenchDump, writeRefreshSnapshots, type BenchDump } from '../../src/bench/dumps.js';
import { kernelUnavailable, restoreTest, withNamespace } from '../../src/bench/kernel.js';
import { machineInfo } from '../../src/bench/machine.js';
import { measureLoad, measureRefresh, measureTraces } from '../../src/bench/measure.js';
import { countDnatRules, loadNftDump, measureJsonParse, measureNftLoad, writeNftBenchDumps, type NftBenchResult } from '../../src/bench/nft.js';
import { hasGnuTime, runMeasured } from '../../src/bench/proc.js';
import { KEEP_MARKER, keptPart, markdownReport, summarize, summarizeConntrack, summarizeNft, targetRows, terminalReport, type BenchResult } from '../../src/bench/report.js';
import { servicePortFacts } from '../../src/gen/port-facts.js';
import { explorerData, measureKeys, measureKeysDuringRefreshes, measureSearch, type FrameResult } from '../../src/bench/tui.js';

let dir: string;
let dump: BenchDump;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kc-bench-test-'));
  dump = writeBenchDump(dir, 20);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench dumps', () => {
  it('writes a kube-proxy dump of the asked size with a target to trace', () => {
    expect(existsSync(dump.path)).toBe(true);
    expect(dump.services).toBe(20);
    expect(dump.servicePorts).toBeGreaterThanOrEqual(20);
    expect(dump.endpoints).toBeGreaterThan(0);
    expect(dump.lines).toBeGreaterThan(100);
    expect(dump.traceTarget).toMatch(/^10\.96\.\d+\.\d+:\d+$/);
  });
});

describe('measureLoad and measureTraces', () => {
  it('loads the dump and finds every generated service port and endpoint', async () => {
    const { result, ruleset, model } = await measureLoad(dump.path);
    expect(result.errors).toBe(0);
    expect(result.servicePorts).toBe(dump.servicePorts);
    expect(result.endpoints).toBe(dump.endpoints);
    expect(result.rules).toBeGreaterThan(0);
    expect(result.bytes).toBe(dump.bytes);
    for (const k of ['readMs', 'parseMs', 'modelMs', 'loadMs', 'loadCpuMs', 'maxRssMB'] as const) expect(result[k]).toBeGreaterThan(0);
    expect(result.loadMs).toBeCloseTo(result.parseMs + result.modelMs, 6);

    const traces = measureTraces(ruleset, model, 5);
    expect(traces.count).toBe(5);
    expect(traces.outcomes).toBeGreaterThanOrEqual(5);
    expect(traces.maxMs).toBeGreaterThanOrEqual(traces.medianMs);
    expect(traces.firstMs).toBeGreaterThan(0);
  });
});

describe('measureRefresh', () => {
  it('refreshes from snapshots whose counters grew, and finds rates and counted rules', async () => {
    const files = writeRefreshSnapshots(dump, 2);
    expect(files).toHaveLength(2);
    const r = await measureRefresh(dump.path, files);
    expect(r.cpuMs).toHaveLength(2);
    expect(r.wallMs.every((x) => x > 0)).toBe(true);
    expect(r.medianCpuMs).toBeGreaterThan(0);
    expect(r.servicesWithRates).toBeGreaterThan(0);
    // Only the counts changed: both refreshes carry the model over.
    expect(r.carriedOver).toBe(2);
  });
});

describe('explorer measurements', () => {
  it('types queries into the services filter, one keystroke at a time', async () => {
    const { ruleset, model } = await measureLoad(dump.path);
    const search = measureSearch(() => explorerData(ruleset, model, dump.path).data, ['kube-dns', 'nginx']);
    expect(search.keystrokes).toBe('kube-dns'.length + 'nginx'.length);
    expect(search.queries.map((q) => q.ms.length)).toEqual([8, 5]);
    // kube-system/kube-dns has three ports: dns, dns-tcp, metrics.
    expect(search.queries[0]!.matches).toBe(3);
    expect(search.queries[0]!.fuzzy).toBe(false);
    expect(search.indexMedianMs).toBeGreaterThan(0);
    expect(search.maxMs).toBeGreaterThanOrEqual(search.medianMs);
  });

  it('renders the explorer and sees a new frame for every key', async () => {
    const { ruleset, model } = await measureLoad(dump.path);
    const { data } = explorerData(ruleset, model, dump.path);
    const frames = await measureKeys(data, ['j', 'j', '\x1b[6~', '/', 'a', '\x1b']);
    expect(frames.keys.map((k) => k.key)).toEqual(['j', 'j', 'PgDn', '/', 'a', 'Esc']);
    expect(frames.keys.every((k) => k.changed)).toBe(true);
    expect(frames.firstFrameMs).toBeGreaterThan(0);
    expect(frames.maxMs).toBeGreaterThanOrEqual(frames.medianMs);
  });

  it('presses keys while a real poller refreshes the explorer from a file replaced every second (issue 14 point 9)', async () => {
    const files = writeRefreshSnapshots(dump, 2);
    const watched = path.join(dir, 'watched.save');
    const r = await measureKeysDuringRefreshes(watched, [dump.path, ...files], 3);
    expect(r.keys).toBeGreaterThan(3);
    expect(r.missed).toBe(0);
    // The file changed every second and the poller read it each time it looked.
    expect(r.refreshes).toBeGreaterThanOrEqual(1);
    expect(r.intervalSeconds).toBe(1);
    expect(r.maxMs).toBeGreaterThanOrEqual(r.medianMs);
  });
});

describe('running programs measured', () => {
  it('reports wall time, and CPU and peak RSS when GNU time is there', async () => {
    const r = await runMeasured(process.execPath, ['-e', 'let x = 0; for (let i = 0; i < 3e6; i++) x += i; console.log(x)']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(String((3e6 * (3e6 - 1)) / 2));
    expect(r.wallMs).toBeGreaterThan(0);
    if (hasGnuTime()) {
      expect(r.cpuMs).toBeGreaterThan(0);
      expect(r.maxRssMB).toBeGreaterThan(1);
    }
  });

  const kernel = kernelUnavailable();
  it.skipIf(kernel !== null && process.env.CI !== 'true')(`iptables-restore --test reads the dump in a namespace${kernel ? ` (skipped: ${kernel})` : ''}`, async () => {
    const r = await withNamespace((ns) => restoreTest(ns, dump.path));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.wallMs).toBeGreaterThan(0);
    // GNU time counts CPU in 10 ms steps: a 20-service dump may take less than one.
    expect(r.cpuMs).toBeGreaterThanOrEqual(0);
    expect(r.maxRssMB).toBeGreaterThan(1);
  });
});

describe('arguments', () => {
  it('has defaults, --quick, --sizes and --runs', () => {
    const d = parseBenchArgs([]);
    expect(d).toMatchObject({ sizes: DEFAULT_SIZES, runs: 3, detailSize: 10000, out: 'BENCHMARKS.md' });
    expect(parseBenchArgs(['--quick'])).toMatchObject({ sizes: QUICK_SIZES, runs: 1, out: null });
    expect(parseBenchArgs(['--sizes', '1000,5k', '--runs=5'])).toMatchObject({ sizes: [1000, 5000], runs: 5, detailSize: 5000 });
    expect(parseBenchArgs(['--sizes', 'x'])).toHaveProperty('error');
    expect(parseBenchArgs(['--frobnicate'])).toHaveProperty('error');
  });
});

describe('the report', () => {
  it('puts every measured figure next to its target and keeps the hand-written part', async () => {
    const { result, ruleset, model } = await measureLoad(dump.path);
    const traces = measureTraces(ruleset, model, 3);
    const proc = { code: 0, stdout: '', stderr: '', wallMs: 100, cpuMs: 90, userMs: 80, sysMs: 10, maxRssMB: 50 };
    const bench: BenchResult = {
      machine: machineInfo(),
      iptables: 'iptables-restore v0 (test)',
      runs: 1,
      sizes: [{ dump, loads: [{ load: result, traces, proc }], restores: [{ ...proc, cpuMs: result.loadCpuMs * 4, wallMs: result.loadMs * 4 }], servicesJson: [proc], traceCli: [proc] }],
      detail: { size: 20, refresh: { error: 'not run here' }, saves: null, tui: { error: 'not run here' } },
      kernelSkipped: null,
      totalSeconds: 1,
    };
    const s = summarize(bench.sizes[0]!);
    expect(s.ratioCpu).toBeCloseTo(0.25, 6);
    expect(s.ratioWall).toBeCloseTo(0.25, 6);
    const rows = targetRows(bench);
    // design.md's target is time; CPU is shown beside it.
    expect(rows[0]).toMatchObject({ what: 'load (parse + model) time vs `iptables-restore --test`', target: '≤ 0.5', ok: true });
    expect(rows[1]).toMatchObject({ what: 'the same in CPU time, every thread', ok: 'figure' });
    expect(rows.find((r) => r.what.startsWith('search'))).toMatchObject({ ok: null });
    expect(terminalReport(bench)).toContain('0.25 (');
    const md = markdownReport(bench, keptPart(`old\n${KEEP_MARKER}\n\n## History\n\nhand-written\n`));
    expect(md).toContain('## Targets (20 services)');
    expect(md).toContain('Each run at 20 services, load time / restore time: 0.25.');
    expect(md).toContain('| load (parse + model) time vs `iptables-restore --test` | ≤ 0.5 | 0.25');
    expect(md).toContain('| the same in CPU time, every thread | – | 0.25');
    expect(md.endsWith(`${KEEP_MARKER}\n\n## History\n\nhand-written\n`)).toBe(true);

    // Keypress-to-frame during refreshes, beside the idle figures, in the targets and the explorer section.
    const frames: FrameResult = { firstFrameMs: 100, keys: [{ key: 'j', ms: 20, changed: true }, { key: 'k', ms: 40, changed: true }], medianMs: 30, maxMs: 40, columns: 100, rows: 24 };
    const search = { queries: [], medianMs: 1, maxMs: 2, keystrokes: 0, indexMedianMs: 3 };
    const live: BenchResult = {
      ...bench,
      detail: {
        ...bench.detail!,
        tui: { explorerDataMs: 50, search, frames },
        refreshFrames: { keys: 40, medianMs: 62, maxMs: 320, missed: 0, refreshes: 9, intervalSeconds: 1, seconds: 12 },
      },
    };
    expect(targetRows(live).find((r) => r.what.startsWith('keypress-to-frame during live refreshes'))).toMatchObject({
      target: '≤ 150 ms',
      measured: '62.0 ms / 320 ms over 40 keys, 9 refreshes in 12 s',
      ok: false,
    });
    const liveMd = markdownReport(live, null);
    expect(liveMd).toContain('| idle | 30.0 ms | 40.0 ms | 2 |');
    expect(liveMd).toContain('| during refreshes (9 in 12 s) | 62.0 ms | 320 ms | 40 |');
    expect(keptPart(md)).toBe('\n\n## History\n\nhand-written\n');
  });
});

describe('nftables mode', () => {
  it('writes a generated ruleset as nft list text and nft -j JSON, and loads both to the same services', () => {
    const nft = writeNftBenchDumps(dir, 20);
    const chains = countDnatRules(nft.transaction.path);
    expect(chains).toBeGreaterThan(0);
    expect(nft.text.lines).toBeGreaterThan(100);
    const json = measureNftLoad(nft.json.path);
    const text = measureNftLoad(nft.text.path);
    expect(json.form).toBe('json');
    expect(text.form).toBe('text');
    for (const l of [json, text]) {
      expect(l.errors).toBe(0);
      expect(l.endpoints).toBe(chains);
      expect(l.servicePorts).toBe(nft.servicePorts);
      expect(l.loadMs).toBeGreaterThan(0);
      expect(l.maxRssMB).toBeGreaterThan(0);
    }
    expect({ chains: text.chains, rules: text.rules }).toEqual({ chains: json.chains, rules: json.rules });
    const parsed = measureJsonParse(nft.json.path);
    expect(parsed.items).toBe((JSON.parse(readFileSync(nft.json.path, 'utf8')) as { nftables: unknown[] }).nftables.length);
  });

  it('measures the explorer on the nft -j listing: search through its services, frames from its screens', async () => {
    const nft = writeNftBenchDumps(dir, 20);
    const loaded = loadNftDump(nft.json.path);
    expect(loaded.nft.form).toBe('json');
    expect(loaded.ruleset.tables).toEqual([]);
    expect(loaded.model.services.length).toBe(nft.servicePorts);
    const search = measureSearch(() => explorerData(loaded.ruleset, loaded.model, nft.json.path, loaded.nft).data, ['kube-dns']);
    expect(search.queries[0]!.matches).toBe(3);
    const { data } = explorerData(loaded.ruleset, loaded.model, nft.json.path, loaded.nft);
    expect(data.nft).toBe(loaded.nft);
    const frames = await measureKeys(data, ['j', '\x1b[6~', '/', 'a', '\x1b']);
    expect(frames.keys.every((k) => k.changed)).toBe(true);
  });

  it('reports the three targets next to jq and JSON.parse, and --no-nftables skips it', () => {
    expect(parseBenchArgs([])).toMatchObject({ nftables: true });
    expect(parseBenchArgs(['--no-nftables'])).toMatchObject({ nftables: false });
    const nft = writeNftBenchDumps(dir, 20);
    const load = measureNftLoad(nft.json.path);
    const proc = { wallMs: 100, cpuMs: 90, maxRssMB: 50 };
    const run = {
      json: { load: { ...load, loadMs: 200, loadCpuMs: 180 }, proc },
      text: { load: { ...load, form: 'text', loadMs: 150, loadCpuMs: 140 }, proc: { ...proc, maxRssMB: 40 } },
      jq: { wallMs: 400, cpuMs: 380, maxRssMB: 800 },
      jsonParse: { parse: { items: 1, ms: 50, cpuMs: 50, maxRssMB: 30 }, proc: { ...proc, maxRssMB: 30 } },
    };
    const bench: BenchResult = {
      machine: machineInfo(),
      iptables: 'iptables-restore v0 (test)',
      runs: 1,
      sizes: [],
      detail: { size: 20, refresh: { error: 'not run here' }, saves: null, tui: { error: 'not run here' } },
      nft: { dumps: nft, endpointChains: load.endpoints, jqVersion: 'jq-1.6', runs: [run] },
      kernelSkipped: null,
      totalSeconds: 1,
    };
    const s = summarizeNft(bench.nft as NftBenchResult);
    expect(s.jsonVsJq).toEqual([0.5]);
    expect(s.textVsJson).toEqual([0.75]);
    const md = markdownReport(bench, null);
    expect(md).toContain('## nftables mode (20 services)');
    expect(md).toContain("| kubechains, `nft -j` JSON | 200 ms | 180 ms |");
    expect(md).toContain("`jq -c '.nftables \\| length'` (jq-1.6) | 400 ms");
    expect(md).toContain('Each run, JSON load / jq: 0.50; text load / JSON load: 0.75.');
    expect(md).not.toContain('### Explorer on the nftables ruleset');
    const frames = { firstFrameMs: 9, keys: [{ key: 'j', ms: 60, changed: true }], medianMs: 60, maxMs: 60, columns: 100, rows: 24 };
    const search = { queries: [{ query: 'kube-dns', indexMs: 5, ms: [1, 2], matches: 3, fuzzy: false }], medianMs: 1.5, maxMs: 2, keystrokes: 2, indexMedianMs: 5 };
    const withTui: BenchResult = { ...bench, nft: { ...(bench.nft as NftBenchResult), tui: { explorerDataMs: 7, search, frames } } };
    const rows = targetRows(withTui).filter((t) => t.what.startsWith('nftables: ') && /search|keypress/.test(t.what));
    expect(rows.map((t) => [t.ok, t.measured.split(' over ')[0]])).toEqual([
      [true, '1.50 ms / 2.00 ms'],
      [false, '60.0 ms / 60.0 ms'],
    ]);
    expect(markdownReport(withTui, null)).toContain('### Explorer on the nftables ruleset');
    expect(parseBenchArgs(['--only-nftables'])).toMatchObject({ onlyNftables: true, out: null });
    expect(parseBenchArgs(['--only-nftables', '--no-nftables'])).toHaveProperty('error');
    expect(parseBenchArgs(['--only-explorer'])).toMatchObject({ onlyExplorer: true, nftables: false, out: null, runs: 3, detailSize: 10000 });
    expect(parseBenchArgs(['--only-explorer', '--out', 'x.md'])).toMatchObject({ onlyExplorer: true, out: 'x.md' });
    expect(parseBenchArgs(['--only-explorer', '--only-nftables'])).toHaveProperty('error');
  });
});

describe('connections (conntrack)', () => {
  /** The fields of one `-I` line of the load file. */
  const fields = (line: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const words = line.split(' ');
    for (let i = 1; i < words.length; i += 2) out[words[i]!] = words[i + 1]!;
    return out;
  };

  it('writes a table of the cluster: unique tuples, services answered by their endpoints, the rest to no service', () => {
    const spec = benchSpec(20);
    const table = writeConntrackTable(dir, spec, 3000);
    const lines = readFileSync(table.loadFile, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3000);
    expect(table.toServices + table.unrelated).toBe(3000);
    expect(table.toServices).toBeGreaterThan(2400);
    expect(table.masqueraded).toBeGreaterThan(0);
    expect(Object.values(table.byState).reduce((a, b) => a + b, 0)).toBe(3000);
    const frontends = new Map<string, Set<string>>();
    for (const s of spec.services) {
      for (const f of servicePortFacts(s)) {
        const eps = new Set(f.endpoints.map((e) => `${e.ip}:${e.port}`));
        for (const fe of [`${f.clusterIP}:${f.port}`, ...(f.nodePort ? [`${spec.nodeIPs[0]}:${f.nodePort}`] : []), ...[...f.lbIPs, ...f.externalIPs].map((ip) => `${ip}:${f.port}`)]) {
          frontends.set(`${f.proto} ${fe}`, eps);
        }
      }
    }
    const originals = new Set<string>();
    const replies = new Set<string>();
    let toServices = 0;
    let masqueraded = 0;
    for (const line of lines) {
      expect(line.startsWith('-I -p ')).toBe(true);
      const f = fields(line);
      originals.add(`${f['-p']} ${f['-s']}:${f['--sport']} ${f['-d']}:${f['--dport']}`);
      replies.add(`${f['-p']} ${f['-r']}:${f['--reply-port-src']} ${f['-q']}:${f['--reply-port-dst']}`);
      const eps = frontends.get(`${f['-p']} ${f['-d']}:${f['--dport']}`);
      if (eps?.has(`${f['-r']}:${f['--reply-port-src']}`)) {
        toServices++;
        if (f['-q'] !== f['-s']) {
          masqueraded++;
          expect(f['-q']).toBe(spec.nodeIPs[0]);
        }
      }
    }
    // conntrack refuses a second entry with the same tuple in either direction.
    expect(originals.size).toBe(3000);
    expect(replies.size).toBe(3000);
    expect(toServices).toBe(table.toServices);
    expect(masqueraded).toBe(table.masqueraded);
  });

  const kernel = kernelUnavailable() ?? conntrackUnavailable();
  it.skipIf(kernel !== null && process.env.CI !== 'true')(
    `fills a namespace's table, conntrack -L prints it, kubechains attributes it as generated${kernel ? ` (skipped: ${kernel})` : ''}`,
    async () => {
      const spec = benchSpec(20);
      const table = writeConntrackTable(dir, spec, 2000);
      const listing = path.join(dir, 'conntrack-L.txt');
      await withNamespace(async (ns) => {
        const fill = await fillConntrack(ns, table);
        expect(fill.code).toBe(0);
        const list = await listConntrack(ns, listing, 2000);
        expect(list.wallMs).toBeGreaterThan(0);
      });
      const m = await measureConntrack(dump.path, listing, spec.nodeIPs[0]!);
      expect([m.entries, m.warnings, m.connections, m.masqueraded, m.unmatched]).toEqual([2000, 0, table.toServices, table.masqueraded, table.unrelated]);
      expect(m.totalMs).toBeGreaterThan(0);
      expect(m.servicesWithConnections).toBeGreaterThan(0);
    },
    60_000,
  );

  it('--only-conntrack and the report: the target row next to conntrack -L, and the section', () => {
    expect(parseBenchArgs([])).toMatchObject({ conntrack: true, onlyConntrack: false, conntrackEntries: 250_000 });
    expect(parseBenchArgs(['--only-conntrack'])).toMatchObject({ conntrack: true, onlyConntrack: true, nftables: false, out: null });
    expect(parseBenchArgs(['--quick'])).toMatchObject({ conntrackEntries: 5000 });
    expect(parseBenchArgs(['--no-conntrack'])).toMatchObject({ conntrack: false });
    expect(parseBenchArgs(['--only-conntrack', '--no-conntrack'])).toHaveProperty('error');
    expect(parseBenchArgs(['--only-conntrack', '--only-nftables'])).toHaveProperty('error');
    const measure = {
      entries: 250_000, warnings: 0, reportedCount: null, rulesLoadMs: 900, readMs: 40,
      totalMs: 800, totalCpuMs: 860, connections: 225_000, masqueraded: 10_000, unmatched: 25_000, servicesWithConnections: 9_000, maxRssMB: 300,
    };
    const run = (listMs: number) => ({ list: { wallMs: listMs, cpuMs: 1400, maxRssMB: 3 }, kubechains: { measure, proc: { wallMs: 2000, cpuMs: 2100, maxRssMB: 320 } }, cli: { wallMs: 3000, cpuMs: 3100, maxRssMB: 350 } });
    const bench: BenchResult = {
      machine: machineInfo(),
      iptables: 'iptables-restore v0 (test)',
      runs: 2,
      sizes: [],
      detail: null,
      conntrack: {
        services: 10_000,
        table: { entries: 250_000, toServices: 225_000, masqueraded: 10_000, unrelated: 25_000, byState: { ESTABLISHED: 200_000, TIME_WAIT: 50_000 } },
        listingMB: 40.5,
        fill: { wallMs: 8000, cpuMs: 2800, maxRssMB: 390 },
        runs: [run(4000), run(1000)],
      },
      kernelSkipped: null,
      totalSeconds: 1,
    };
    expect(summarizeConntrack(bench.conntrack as ConntrackBenchResult).ratios).toEqual([0.2, 0.8]);
    const rows = targetRows(bench);
    expect(rows[0]).toMatchObject({ target: '≤ 0.5', measured: '0.32 (800 ms vs 2.50 s; CPU 860 ms vs 1.40 s)', ok: true });
    expect(rows[0]!.what).toContain('conntrack -L');
    expect(rows[1]).toMatchObject({ measured: '320 MB / 350 MB', ok: 'figure' });
    const md = markdownReport(bench, null);
    expect(md).toContain('## Targets (10,000 services)');
    expect(md).toContain('## Connections (conntrack, 250,000 entries, 10,000 services)');
    expect(md).toContain('| `conntrack -L` into a file | 2.50 s | 1.40 s | – |');
    expect(md).toContain('Each run, parse + attribution / `conntrack -L`: 0.20, 0.80.');
    expect(terminalReport(bench)).toContain('targets at 10,000 services:');
    expect(targetRows({ ...bench, conntrack: { error: 'needs root' } })[0]).toMatchObject({ measured: 'not measured: needs root', ok: null });
  });
});
