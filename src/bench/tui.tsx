/**
 * The explorer's latencies on a big dump: the `/` filter's work per keystroke (the services
 * screen's search, as servicesView runs it for every character typed) and keypress-to-frame
 * (the App rendered with ink-testing-library, keys written to its stdin, the time until the
 * frame on its stdout changes).
 */
import React from 'react';
import { render } from 'ink-testing-library';
import type { KubeModel } from '../core/kube/index.js';
import type { NftRuleset } from '../core/nft/index.js';
import type { Ruleset } from '../core/parse/index.js';
import { App } from '../tui/App.js';
import { buildExplorerData, type ExplorerData } from '../tui/model/explorer-data.js';
import { servicesView, warmSearch } from '../tui/model/views.js';
import { copyFileSync } from 'node:fs';
import { copyFile, rename } from 'node:fs/promises';
import { loadSnapshot } from '../sources/index.js';
import { parseWorkerUrl } from '../sources/parse-off-thread.js';
import { createPoller } from '../sources/poller.js';
import { snapshotData } from '../tui/model/snapshot-data.js';
import { max, median } from './stats.js';

/** The explorer's data for a loaded dump; `nft` the nftables ruleset when the dump is one (its views go through core/nft-display). */
export function explorerData(ruleset: Ruleset, model: KubeModel, source: string, nft: NftRuleset | null = null): { data: ExplorerData; ms: number } {
  const t0 = performance.now();
  const data = buildExplorerData({ ruleset, nft, source, takenAt: null, nodeAddresses: ['192.168.0.10'] }, model);
  return { data, ms: performance.now() - t0 };
}

export interface KeystrokeResult {
  readonly query: string;
  /** Building the services list's search index on a fresh snapshot (the explorer does it when idle). */
  readonly indexMs: number;
  /** Milliseconds per character typed: the filter after 1, 2, … characters. */
  readonly ms: readonly number[];
  /** Rows the full query keeps. */
  readonly matches: number;
  /** True when no row contains the query and the rows are fuzzy matches. */
  readonly fuzzy: boolean;
}

export interface SearchResult {
  readonly queries: readonly KeystrokeResult[];
  readonly medianMs: number;
  readonly maxMs: number;
  readonly keystrokes: number;
  readonly indexMedianMs: number;
}

/** Names, an address prefix, a name no service has (fuzzy noise), a typo (fuzzy, found). */
export const SEARCH_QUERIES = ['kube-dns', '10.96.1', 'nginx', 'kbue-dsn'] as const;

/**
 * Types each query character by character into the services filter. Each query starts from a
 * fresh ExplorerData (`fresh()`) whose search index is built first and timed apart, as the
 * explorer builds it once the screen is idle (`warmSearch`).
 */
export function measureSearch(fresh: () => ExplorerData, queries: readonly string[] = SEARCH_QUERIES): SearchResult {
  const results: KeystrokeResult[] = [];
  for (const query of queries) {
    const data = fresh();
    const t0 = performance.now();
    warmSearch(data, { kind: 'services' });
    const indexMs = performance.now() - t0;
    const ms: number[] = [];
    let matches = 0;
    for (let i = 1; i <= query.length; i++) {
      const t1 = performance.now();
      matches = servicesView(data, query.slice(0, i), 'id').length;
      ms.push(performance.now() - t1);
    }
    results.push({ query, indexMs, ms, matches, fuzzy: data.serviceSearcher().search(query).fuzzy });
  }
  const all = results.flatMap((r) => r.ms);
  return { queries: results, medianMs: median(all), maxMs: max(all), keystrokes: all.length, indexMedianMs: median(results.map((r) => r.indexMs)) };
}

export interface KeyLatency {
  readonly key: string;
  readonly ms: number;
  /** False when the frame did not change within the timeout (the key did nothing visible). */
  readonly changed: boolean;
}

export interface FrameResult {
  readonly firstFrameMs: number;
  readonly keys: readonly KeyLatency[];
  readonly medianMs: number;
  readonly maxMs: number;
  readonly columns: number;
  readonly rows: number;
}

/** A name for each key the benchmark presses. */
export const KEY_NAMES: Readonly<Record<string, string>> = {
  j: 'j',
  k: 'k',
  G: 'G',
  g: 'g',
  '/': '/',
  '\x1b[6~': 'PgDn',
  '\x1b[5~': 'PgUp',
  '\x1b': 'Esc',
};

/** What the explorer gets pressed: moves, pages, the filter opened, letters typed, closed. */
export const DEFAULT_KEYS: readonly string[] = ['j', 'j', 'j', 'j', 'j', '\x1b[6~', '\x1b[6~', '\x1b[6~', 'G', 'g', '/', 'a', 'p', 'i', '\x1b'];

/** Longer than the explorer waits before indexing the shown list (App's WARM_AFTER_MS) plus the indexing. */
const IDLE_BEFORE_KEYS_MS = 1500;

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Renders the App on `data` (ink-testing-library: 100 columns, 24 rows), waits for its first
 * frame, then presses each key and waits for the frame to change. Keys are pressed one at a
 * time after the previous frame settled.
 */
export async function measureKeys(data: ExplorerData, keys: readonly string[] = DEFAULT_KEYS, timeoutMs = 5000): Promise<FrameResult> {
  const t0 = performance.now();
  const app = render(<App data={data} color={false} />);
  try {
    const frame = () => app.lastFrame() ?? '';
    while (frame() === '' && performance.now() - t0 < timeoutMs) await tick();
    const firstFrameMs = performance.now() - t0;
    await settle(frame);
    // A user reads the first screen before typing: the explorer indexes its list meanwhile.
    await new Promise((resolve) => setTimeout(resolve, IDLE_BEFORE_KEYS_MS));
    const results: KeyLatency[] = [];
    for (const key of keys) {
      const before = frame();
      const start = performance.now();
      app.stdin.write(key);
      let changed = false;
      while (performance.now() - start < timeoutMs) {
        await tick();
        if (frame() !== before) {
          changed = true;
          break;
        }
      }
      const ms = performance.now() - start;
      results.push({ key: KEY_NAMES[key] ?? key, ms, changed });
      // A lone Esc is only Esc after Ink's parser waited a turn: let everything land.
      await settle(frame);
    }
    const ms = results.filter((r) => r.changed).map((r) => r.ms);
    return { firstFrameMs, keys: results, medianMs: median(ms), maxMs: max(ms), columns: 100, rows: 24 };
  } finally {
    app.unmount();
    app.cleanup();
  }
}

/** Waits until the frame has not changed for a few event-loop turns. */
async function settle(frame: () => string): Promise<void> {
  let last = frame();
  let quiet = 0;
  for (let i = 0; i < 200 && quiet < 5; i++) {
    await tick();
    const now = frame();
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}

export interface RefreshFrameResult {
  /** Keys pressed while the live source refreshed every second; median and max of their frames. */
  readonly keys: number;
  readonly medianMs: number;
  readonly maxMs: number;
  /** Keys whose selection did not move within the timeout. */
  readonly missed: number;
  /** Snapshots the explorer took in meanwhile. */
  readonly refreshes: number;
  /** Where the poller parsed the last of them, and why on the main thread when it was (absent in results from before the parse thread). */
  readonly parsedIn?: 'worker' | 'main' | null;
  readonly mainThreadReason?: string | null;
  readonly intervalSeconds: number;
  readonly seconds: number;
}

/** The line of the selected row (ListView's `>` marker, a problem's `!` may follow it), -1 when none is on screen. */
const selectedLine = (frame: string): number => frame.split('\n').findIndex((l) => l.startsWith('>'));

/**
 * Keypress-to-frame while a live source refreshes: the App runs with a real poller watching a
 * file (interval 1 s) that is replaced by the next refresh snapshot (every counter grown) every
 * second, so that each second a 10k dump is read, parsed and modelled while keys come in. `j` and
 * `k` alternate every ~200 ms (a key's time: until the selected row moved), for `seconds`.
 */
export async function measureKeysDuringRefreshes(watched: string, snapshots: readonly string[], seconds = 12, timeoutMs = 5000): Promise<RefreshFrameResult> {
  copyFileSync(snapshots[0]!, watched);
  const first = await loadSnapshot({ kind: 'file', path: watched });
  const data = snapshotData(first, ['192.168.0.10']);
  const intervalSeconds = 1;
  const poller = createPoller({ spec: { kind: 'file', path: watched }, intervalSeconds, initial: first, parseWorker: parseWorkerUrl() });
  const app = render(<App data={data} color={false} live={{ feed: poller, nodeAddresses: ['192.168.0.10'] }} />);
  let next = 1;
  let writing = false;
  const replace = setInterval(() => {
    // A rename over the file, as a tool writing a new dump would: the poller sees a new inode. The
    // copy runs off the main thread (a 20 MB copyFileSync here took 20-45 ms of the explorer's
    // thread, which a tool writing the dump, another process, never takes).
    if (writing) return;
    writing = true;
    const tmp = `${watched}.tmp`;
    void copyFile(snapshots[next % snapshots.length]!, tmp)
      .then(() => rename(tmp, watched))
      .then(() => next++)
      .finally(() => (writing = false));
  }, intervalSeconds * 1000);
  try {
    const frame = () => app.lastFrame() ?? '';
    const t0 = performance.now();
    while (selectedLine(frame()) < 0 && performance.now() - t0 < timeoutMs) await tick();
    await new Promise((resolve) => setTimeout(resolve, IDLE_BEFORE_KEYS_MS));
    poller.start();
    const refreshesBefore = poller.status.refreshes;
    const ms: number[] = [];
    let missed = 0;
    const end = performance.now() + seconds * 1000;
    for (let i = 0; performance.now() < end; i++) {
      const before = selectedLine(frame());
      const start = performance.now();
      app.stdin.write(i % 2 === 0 ? 'j' : 'k');
      let moved = false;
      while (performance.now() - start < timeoutMs) {
        await tick();
        const now = selectedLine(frame());
        if (now >= 0 && now !== before) {
          moved = true;
          break;
        }
      }
      if (moved) ms.push(performance.now() - start);
      else missed++;
      // Keys come at a person's pace, at any point of a refresh.
      await new Promise((resolve) => setTimeout(resolve, 150 + (i % 5) * 20));
    }
    const { parsedIn, mainThreadReason } = poller.status;
    return { keys: ms.length, medianMs: median(ms), maxMs: max(ms), missed, refreshes: poller.status.refreshes - refreshesBefore, intervalSeconds, seconds, parsedIn, mainThreadReason };
  } finally {
    clearInterval(replace);
    await poller.stop();
    app.unmount();
    app.cleanup();
  }
}
