/**
 * The live poller's parse thread (src/sources/parse-off-thread.ts, parse-worker.ts): a ruleset
 * packed, handed across threads and rebuilt is the ruleset a parse on the main thread gives (its
 * tables, chains, rules, kube model and traces), for every iptables dump of the corpus, the
 * restore forms with deleted and re-inserted chains, an `iptables -S` listing and --kube-jumps.
 * Then the poller with the real worker (the build's dist/sources/parse-worker.js: a worker cannot
 * load the .ts sources vitest runs) says it parsed there and hands over the same snapshot; an
 * nftables ruleset, a worker module that is missing and one that fails at start are parsed on the
 * main thread with the reason in the status and on the status line.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import {
  buildDumpModel,
  buildKubeModel,
  counterpartChains,
  noteSameRules,
  packedBuffers,
  packRuleset,
  parseIptablesSave,
  tableRows,
  refreshKubeModel,
  traceDump,
  unpackRuleset,
  unpackRulesetSteps,
  type Rule,
  type Ruleset,
} from '../../src/core/index.js';
import { rulesetView } from '../helpers/ruleset-view.js';
import { loadSnapshot, type Snapshot } from '../../src/sources/index.js';
import { createPoller, type Poller, type PollerEvent } from '../../src/sources/poller.js';
import { statusView } from '../../src/tui/model/live-status.js';
import { snapshotData } from '../../src/tui/model/snapshot-data.js';

vi.setConfig({ testTimeout: 120_000 });

const CORPUS = path.resolve(import.meta.dirname, '../corpus/kube-proxy');
const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures');
const WORKER = new URL('../sources/parse-worker.js', pathToFileURL(inject('builtMain')));

const iptablesDumps = (): { name: string; text: string }[] => [
  ...readdirSync(path.join(CORPUS, 'iptables'))
    .filter((f) => f.endsWith('.dump'))
    .map((f) => ({ name: f, text: readFileSync(path.join(CORPUS, 'iptables', f), 'utf8') })),
  ...['seed-nodeport-cluster.save', 'dual-stack.save', 'multi-endpoint.save', 'old-layout.save'].map((f) => ({ name: f, text: readFileSync(path.join(FIXTURES, f), 'utf8') })),
];

/** A model or trace as JSON, each rule in it named by place (a rule object holds its whole store). */
const asJson = (value: unknown) =>
  JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => {
      if (v !== null && typeof v === 'object' && 'args' in v && 'text' in v && 'chain' in v) {
        const r = v as Rule;
        return `${r.table}/${r.chain}#${r.index}@${r.line}: ${r.text}`;
      }
      return v;
    }),
  ) as unknown;

/** `ruleset` packed, its buffers moved through structured clone as postMessage moves them, and rebuilt over `text`. */
function roundTrip(ruleset: Ruleset, text: string): Ruleset {
  const packed = packRuleset(ruleset, text);
  return unpackRuleset(structuredClone(packed, { transfer: packedBuffers(packed) }), text);
}

/** roundTrip rebuilt in steps of `slice` chains (as the live explorer does), with the pauses counted. */
function slicedRoundTrip(ruleset: Ruleset, text: string, slice: number): { ruleset: Ruleset; pauses: number } {
  const packed = packRuleset(ruleset, text);
  const steps = unpackRulesetSteps(structuredClone(packed, { transfer: packedBuffers(packed) }), text, slice);
  for (let pauses = 0; ; pauses++) {
    const r = steps.next();
    if (r.done) return { ruleset: r.value, pauses };
  }
}

/** The services and a few traces (each service port's first entry points, from outside and from the node). */
function behaviour(ruleset: Ruleset) {
  const dump = { ruleset, nft: null };
  const model = buildDumpModel(dump);
  const traces = model.services.slice(0, 8).flatMap((s) =>
    s.entryPoints.slice(0, 2).flatMap((e) => {
      // A node port's entry has no address: the node's own.
      const dst = e.address?.split('/')[0] ?? '172.16.1.10';
      if (!/^[\d.]+$/.test(dst)) return [];
      return [
        traceDump(dump, { protocol: s.protocol, src: '203.0.113.7', dst, dport: e.port }, { localAddresses: ['172.16.1.10'] }),
        traceDump(dump, { protocol: s.protocol, src: '172.16.1.10', dst, dport: e.port }, { localAddresses: ['172.16.1.10'] }),
      ];
    }),
  );
  return asJson({ model, traces });
}

describe('a parsed ruleset across threads', () => {
  const dumps = iptablesDumps();

  it('has dumps to carry', () => {
    expect(dumps.length).toBeGreaterThan(15);
  });

  for (const { name, text } of dumps) {
    it(`${name}: the rebuilt ruleset reads, models and traces as the parsed one`, () => {
      const parsed = parseIptablesSave(text);
      const rebuilt = roundTrip(parseIptablesSave(text), text);
      expect(rulesetView(rebuilt)).toEqual(rulesetView(parsed));
      expect(behaviour(rebuilt)).toEqual(behaviour(parsed));
      // In slices of 3 chains: the same ruleset, with a pause per slice (chains made, then added to their tables).
      const sliced = slicedRoundTrip(parseIptablesSave(text), text, 3);
      const chains = parsed.tables.reduce((n, t) => n + t.chains.length, 0);
      expect(sliced.pauses).toBeGreaterThanOrEqual(2 * Math.floor(chains / 3) - 1);
      expect(rulesetView(sliced.ruleset)).toEqual(rulesetView(parsed));
      expect(behaviour(sliced.ruleset)).toEqual(behaviour(parsed));
    });
  }

  it('carries --kube-jumps (rules after the text) and an `iptables -S` listing (a text of its own)', () => {
    const restore = readFileSync(path.join(CORPUS, 'iptables', 'TestSyncProxyRulesRepeated_1.dump'), 'utf8');
    const jumps = parseIptablesSave(restore, { kubeJumps: true });
    expect(jumps.info.notes.length).toBeGreaterThan(0);
    expect(rulesetView(roundTrip(parseIptablesSave(restore, { kubeJumps: true }), restore))).toEqual(rulesetView(jumps));
    const listing = '-P INPUT ACCEPT\n-N KUBE-SERVICES\n-A INPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -j ACCEPT\n';
    const parsed = parseIptablesSave(listing);
    expect(parsed.tables.map((t) => t.chains.map((c) => c.rules.length))).toEqual([[1, 1]]);
    expect(rulesetView(roundTrip(parseIptablesSave(listing), listing))).toEqual(rulesetView(parsed));
  });

  it('a ruleset noted as holding the same rules as another is paired by position, its rule texts not read again', () => {
    const text = readFileSync(path.join(FIXTURES, 'seed-clusterip.save'), 'utf8');
    const a = parseIptablesSave(text);
    // Same structure, one rule's text changed: compared, they differ; noted, the comparison is trusted.
    const changed = text.replace(/-j ACCEPT/, '-j DROP');
    expect(changed).not.toBe(text);
    expect(counterpartChains(a, parseIptablesSave(changed))).toBeNull();
    const b = parseIptablesSave(changed);
    noteSameRules(a, b);
    expect(counterpartChains(a, b)?.size).toBe(a.tables.reduce((n, t) => n + t.chains.length, 0));
    // Only for that pair, and never across a change of structure.
    expect(counterpartChains(parseIptablesSave(text), b)).toBeNull();
    const longer = text.replace(/^(.*-A KUBE-SERVICES .*)$/m, '$1\n$1');
    expect(longer.length).toBeGreaterThan(text.length);
    const c = parseIptablesSave(longer);
    noteSameRules(a, c);
    expect(counterpartChains(a, c)).toBeNull();
  });

  it('refuses what it cannot carry: tables that did not come from a parse', () => {
    const rs = parseIptablesSave(readFileSync(path.join(FIXTURES, 'seed-clusterip.save'), 'utf8'));
    const copy: Ruleset = { ...rs, tables: rs.tables.map((t) => ({ ...t, chains: [...t.chains], chainsByName: new Map(t.chainsByName), rules: [...t.rules] })) };
    expect(() => packRuleset(copy, '')).toThrow(/was not parsed/);
  });
});

describe('the poller parsing in the worker thread', () => {
  let poller: Poller | null = null;
  const temps: string[] = [];

  afterEach(async () => {
    await poller?.stop();
    poller = null;
    for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
  });

  function dumpFile(text: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-parse-thread-'));
    temps.push(dir);
    const file = path.join(dir, 'dump');
    writeFileSync(file, text);
    return file;
  }

  /** The first snapshot (or error) a poller of `file` reads, parsing with `worker`. */
  async function firstRead(file: string, worker: URL | null): Promise<PollerEvent & { type: 'snapshot' | 'error' }> {
    poller = createPoller({ spec: { kind: 'file', path: file }, intervalSeconds: 60, parseWorker: worker });
    const p = poller;
    const event = new Promise<PollerEvent & { type: 'snapshot' | 'error' }>((resolve) =>
      p.subscribe((e) => {
        if (e.type !== 'status') resolve(e);
      }),
    );
    p.start();
    return event;
  }

  const snapshotOf = (e: PollerEvent): Snapshot => {
    if (e.type !== 'snapshot') throw new Error(`expected a snapshot, got ${e.type}: ${e.type === 'error' ? e.error.message : ''}`);
    return e.snapshot;
  };

  it('parses an iptables-save dump in the worker, and the snapshot is the main thread\'s', async () => {
    const text = readFileSync(path.join(FIXTURES, 'multi-endpoint.save'), 'utf8');
    const file = dumpFile(text);
    const event = await firstRead(file, WORKER);
    const snapshot = snapshotOf(event);
    expect(snapshot.parsedIn).toBe('worker');
    expect(event.status).toMatchObject({ parsedIn: 'worker', mainThreadReason: null });
    const main = await loadSnapshot({ kind: 'file', path: file });
    expect(rulesetView(snapshot.ruleset)).toEqual(rulesetView(main.ruleset));
    expect(behaviour(snapshot.ruleset)).toEqual(behaviour(main.ruleset));
    expect(snapshot.nft).toBeNull();
    // The explorer's screens from it are the same too, and the status line says nothing of threads.
    const data = snapshotData(snapshot, ['172.16.1.10']);
    expect(asJson(data.model)).toEqual(asJson(snapshotData(main, ['172.16.1.10']).model));
    expect(statusView(data, event.status, 200, Date.now()).parts.join(' · ')).not.toContain('main thread');
  });

  it('keeps the last good snapshot when a rewrite does not parse, and parses the next good one in the worker', async () => {
    const text = readFileSync(path.join(FIXTURES, 'seed-nodeport-cluster.save'), 'utf8');
    const file = dumpFile(text);
    const first = snapshotOf(await firstRead(file, WORKER));
    expect(first.parsedIn).toBe('worker');
    const p = poller!;
    const next = (type: 'snapshot' | 'error') =>
      new Promise<PollerEvent>((resolve) => {
        const off = p.subscribe((e) => {
          if (e.type === type) {
            off();
            resolve(e);
          }
        });
      });
    const failed = next('error');
    writeFileSync(file, text.slice(0, text.lastIndexOf('COMMIT')));
    expect(p.refreshNow()).toBe(true);
    const error = await failed;
    expect(error.type === 'error' && error.error.detail).toMatch(/^output does not parse: line \d+:\d+: truncated dump/);
    expect(p.snapshot).toBe(first);
    const good = next('snapshot');
    writeFileSync(file, text.replace(/\[0:0\]/, '[5:300]'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(p.refreshNow()).toBe(true);
    const again = snapshotOf(await good);
    expect(again.parsedIn).toBe('worker');
    expect(again).not.toBe(first);
  });

  it('says when a re-read holds the same rules, and the model carried over to it is the one built anew', async () => {
    const text = readFileSync(path.join(FIXTURES, 'multi-endpoint.save'), 'utf8');
    const file = dumpFile(text);
    const first = snapshotOf(await firstRead(file, WORKER));
    const p = poller!;
    const good = new Promise<PollerEvent>((resolve) => p.subscribe((e) => e.type === 'snapshot' && resolve(e)));
    let n = 0;
    writeFileSync(file, text.replace(/^\[(\d+):(\d+)\]/gm, (_m, a: string, b: string) => `[${Number(a) + 7 * ++n}:${Number(b) + 420 * n}]`));
    expect(n).toBeGreaterThan(10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(p.refreshNow()).toBe(true);
    const second = snapshotOf(await good);
    expect(second.parsedIn).toBe('worker');
    const carried = refreshKubeModel(second.ruleset, { model: buildKubeModel(first.ruleset), ruleset: first.ruleset });
    expect(asJson(carried)).toEqual(asJson(buildKubeModel(second.ruleset)));
    expect(asJson(carried)).not.toEqual(asJson(buildKubeModel(first.ruleset)));
  });

  it('parses an nftables ruleset on the main thread, says why, and gives the main thread\'s snapshot', async () => {
    const file = path.join(CORPUS, 'nftables', 'TestOverallNFTablesRules.nft');
    const event = await firstRead(file, WORKER);
    const snapshot = snapshotOf(event);
    expect(snapshot.parsedIn).toBe('main');
    expect(event.status.mainThreadReason).toBe('the parse thread reads iptables-save text, not nftables rulesets');
    const main = await loadSnapshot({ kind: 'file', path: file });
    expect(snapshot.nft).not.toBeNull();
    expect(asJson(buildDumpModel({ ruleset: snapshot.ruleset, nft: snapshot.nft! }))).toEqual(asJson(buildDumpModel({ ruleset: main.ruleset, nft: main.nft! })));
    const line = statusView(snapshotData(snapshot), event.status, 400, Date.now()).parts.join(' · ');
    expect(line).toContain('parsing on the main thread: the parse thread reads iptables-save text, not nftables rulesets');
  });

  it('falls back to the main thread when the worker module is not there, and says so', async () => {
    const file = dumpFile(readFileSync(path.join(FIXTURES, 'seed-clusterip.save'), 'utf8'));
    const missing = new URL('parse-worker-that-is-not-there.js', pathToFileURL(path.dirname(file) + '/'));
    const event = await firstRead(file, missing);
    const snapshot = snapshotOf(event);
    expect(snapshot.parsedIn).toBe('main');
    expect(event.status.mainThreadReason).toMatch(/^no parse thread \(.*parse-worker-that-is-not-there\.js is not there\)$/);
    expect(statusView(snapshotData(snapshot), event.status, 400, Date.now()).parts.join(' · ')).toContain('parsing on the main thread: no parse thread (');
    expect(rulesetView(snapshot.ruleset)).toEqual(rulesetView((await loadSnapshot({ kind: 'file', path: file })).ruleset));
  });

  it('falls back to the main thread when the worker fails as it starts, and says so', async () => {
    const file = dumpFile(readFileSync(path.join(FIXTURES, 'seed-clusterip.save'), 'utf8'));
    const broken = path.join(path.dirname(file), 'broken-worker.mjs');
    writeFileSync(broken, "throw new Error('this worker cannot start');\n");
    const event = await firstRead(file, pathToFileURL(broken));
    expect(snapshotOf(event).parsedIn).toBe('main');
    expect(event.status.mainThreadReason).toBe('the parse thread failed: this worker cannot start');
  });

  it('parses on the main thread without a note when no worker is asked for', async () => {
    const file = dumpFile(readFileSync(path.join(FIXTURES, 'seed-clusterip.save'), 'utf8'));
    const event = await firstRead(file, null);
    expect(snapshotOf(event).parsedIn).toBe('main');
    expect(event.status.mainThreadReason).toBeNull();
  });
});
