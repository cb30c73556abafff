/**
 * nftables mode in the benchmark: a generated kube-proxy nftables ruleset in the two forms a
 * node gives (`nft list ruleset` text, `nft -j list ruleset` JSON), loaded (parse + model) by
 * kubechains, next to the tools a user would otherwise point at the JSON: `jq -c '.nftables |
 * length'` and a bare `JSON.parse` on the same file, all in one run.
 *
 * The listings are rendered (src/gen/nft-listing.ts, checked against the kernel's own listing in
 * test/kernel/nft-listing.test.ts): loading 10k services into a kernel and listing them takes
 * minutes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildDumpModel, parseDump } from '../core/index.js';
import type { KubeModel } from '../core/kube/index.js';
import { buildNftKubeModel, parseNftables } from '../core/nft/index.js';
import type { Ruleset } from '../core/parse/index.js';
import type { NftRuleset } from '../core/nft/index.js';
import { generateKubeProxyNftables, randomClusterSpec, type ClusterSpec } from '../gen/kubeproxy.js';
import { renderNftListJson, renderNftListText } from '../gen/nft-listing.js';
import { cpuMs, timed } from './stats.js';
import type { FrameResult, SearchResult } from './tui.js';

/** Up to 14 endpoints per service: about 53k endpoints at 10k services, the scale issue 13 names. */
export const NFT_MAX_ENDPOINTS = 14;

export function nftBenchSpec(services: number, seed = 1): ClusterSpec {
  return { ...randomClusterSpec({ seed, services, maxEndpointsPerService: NFT_MAX_ENDPOINTS }), serviceCIDRs: ['10.96.0.0/16'] };
}

export interface NftBenchFile {
  readonly path: string;
  readonly bytes: number;
  readonly lines: number;
}

export interface NftBenchDumps {
  readonly services: number;
  readonly servicePorts: number;
  readonly endpoints: number;
  readonly transaction: NftBenchFile;
  readonly text: NftBenchFile;
  readonly json: NftBenchFile;
  /** Generating the transaction, then reading it and rendering both listings. */
  readonly generateMs: number;
  readonly renderMs: number;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function write(file: string, text: string): NftBenchFile {
  writeFileSync(file, text);
  return { path: file, bytes: Buffer.byteLength(text), lines: countLines(text) };
}

/** The transaction kube-proxy would send, and the text and JSON listings of it, written into `dir`. */
export function writeNftBenchDumps(dir: string, services: number, seed = 1): NftBenchDumps {
  const spec = nftBenchSpec(services, seed);
  const gen = timed(() => generateKubeProxyNftables(spec));
  const transaction = write(path.join(dir, `kube-proxy-${services}.nft`), gen.value);
  const render = timed(() => {
    const nft = parseNftables(gen.value);
    const errors = nft.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new Error(`the generated transaction does not read cleanly: ${errors[0]!.message}`);
    return { text: renderNftListText(nft), json: renderNftListJson(nft) };
  });
  const text = write(path.join(dir, `kube-proxy-${services}.nft-list.txt`), render.value.text);
  const json = write(path.join(dir, `kube-proxy-${services}.nft-list.json`), render.value.json);
  let servicePorts = 0;
  let endpoints = 0;
  for (const s of spec.services) {
    servicePorts += s.ports.length;
    endpoints += s.ports.length * s.endpoints.length;
  }
  return { services, servicePorts, endpoints, transaction, text, json, generateMs: gen.wallMs, renderMs: render.wallMs };
}

export interface NftLoadResult {
  readonly form: string;
  readonly bytes: number;
  readonly chains: number;
  readonly rules: number;
  readonly servicePorts: number;
  readonly endpoints: number;
  readonly readMs: number;
  readonly parseMs: number;
  readonly parseCpuMs: number;
  readonly modelMs: number;
  readonly modelCpuMs: number;
  /** read + parse + model: what a user waits for, compared with jq reading the same file. */
  readonly loadMs: number;
  readonly loadCpuMs: number;
  readonly maxRssMB: number;
  readonly errors: number;
}

/** Read, parse (form detected) and model one listing; run in a fresh process for its peak RSS. */
export function measureNftLoad(file: string): NftLoadResult {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const text = readFileSync(file, 'utf8');
  const readMs = performance.now() - t0;
  const readCpuMs = cpuMs(process.cpuUsage(c0));
  const parse = timed(() => parseNftables(text));
  const model = timed(() => buildNftKubeModel(parse.value));
  const nft = parse.value;
  return {
    form: nft.form,
    bytes: Buffer.byteLength(text),
    chains: nft.tables.reduce((n, t) => n + t.chains.length, 0),
    rules: nft.tables.reduce((n, t) => n + t.chains.reduce((m, c) => m + c.rules.length, 0), 0),
    servicePorts: model.value.services.length,
    endpoints: model.value.services.reduce((n, s) => n + s.endpoints.length, 0),
    readMs,
    parseMs: parse.wallMs,
    parseCpuMs: parse.cpuMs,
    modelMs: model.wallMs,
    modelCpuMs: model.cpuMs,
    loadMs: readMs + parse.wallMs + model.wallMs,
    loadCpuMs: readCpuMs + parse.cpuMs + model.cpuMs,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    errors: nft.diagnostics.filter((d) => d.severity === 'error').length,
  };
}

/** A listing loaded as the explorer loads a file (parseDump, buildDumpModel): what its screens are measured on. */
export function loadNftDump(file: string): { ruleset: Ruleset; nft: NftRuleset; model: KubeModel } {
  const dump = parseDump(readFileSync(file, 'utf8'));
  if (dump.nft === null) throw new Error(`${file} is not an nftables listing`);
  return { ruleset: dump.ruleset, nft: dump.nft, model: buildDumpModel(dump) };
}

export interface JsonParseResult {
  readonly items: number;
  /** Reading the file and JSON.parse, as measureNftLoad reads it. */
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxRssMB: number;
}

/** The floor for any JSON reader in Node: read the file and JSON.parse it, nothing more. */
export function measureJsonParse(file: string): JsonParseResult {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = JSON.parse(readFileSync(file, 'utf8')) as { nftables?: unknown[] };
  const ms = performance.now() - t0;
  return { items: value.nftables?.length ?? 0, ms, cpuMs: cpuMs(process.cpuUsage(c0)), maxRssMB: process.resourceUsage().maxRSS / 1024 };
}

/** One run of each measured side, in the order they alternated. */
export interface NftBenchRun {
  /** kubechains on the JSON listing and on the text listing, each in a fresh process (GNU time's view in `proc`). */
  readonly json: { readonly load: NftLoadResult; readonly proc: NftProc };
  readonly text: { readonly load: NftLoadResult; readonly proc: NftProc };
  /** `jq -c '.nftables | length'` on the JSON listing; null when jq is not installed. */
  readonly jq: NftProc | null;
  readonly jsonParse: { readonly parse: JsonParseResult; readonly proc: NftProc };
}

/** A measured process: wall, CPU (user + system) and peak RSS as GNU time saw them. */
export interface NftProc {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMB: number;
}

export interface NftBenchResult {
  readonly dumps: NftBenchDumps;
  /** Endpoint chains (`dnat to` rules) in the generated ruleset: what the model should find. */
  readonly endpointChains: number;
  readonly jqVersion: string | null;
  readonly runs: readonly NftBenchRun[];
  /** The explorer on the `nft -j` listing (search per keystroke, keypress-to-frame), as on the iptables dump; null: not measured. */
  readonly tui?: NftExplorerResult | { readonly error: string } | null;
}

export interface NftExplorerResult {
  readonly explorerDataMs: number;
  readonly search: SearchResult;
  readonly frames: FrameResult;
}

/** `dnat to` rules in a transaction: one per endpoint chain kube-proxy wrote. */
export function countDnatRules(transactionFile: string): number {
  const text = readFileSync(transactionFile, 'utf8');
  let n = 0;
  for (let i = text.indexOf(' dnat to '); i >= 0; i = text.indexOf(' dnat to ', i + 1)) n++;
  return n;
}
