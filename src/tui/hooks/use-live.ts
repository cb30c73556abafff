/**
 * Live updates: new snapshots from the poller replace the data on screen (each list keeps its
 * selected row by key), the poller's status feeds the status line, a clock redraws the ages
 * once a second, and `p` (state.paused) pauses and resumes the poller.
 *
 * A snapshot arrives parsed (in the poller's worker thread when it has one); its model (carried
 * over from the previous one when only counts changed) and rows are synchronous work, done in
 * pieces with the event loop in between (the carry-over every MODEL_SLICE services) so that keys
 * typed meanwhile are handled first.
 */
import { useEffect, useRef, useState } from 'react';
import { refreshKubeModelSteps } from '../../core/kube/index.js';
import { runSteps, yieldToEventLoop } from '../../sources/event-loop.js';
import type { PollerListener, PollerStatus } from '../../sources/poller.js';
import type { ExplorerData } from '../model/explorer-data.js';
import { snapshotData } from '../model/snapshot-data.js';
import { selectionKeys } from '../model/views.js';
import type { Store } from '../state.js';

/** Services carried over between two turns of the event loop: some 10 ms of work. */
const MODEL_SLICE = 2000;

/** What the explorer needs of a poller (src/sources/poller.ts's Poller is one). */
export interface LiveFeed {
  readonly status: PollerStatus;
  subscribe(listener: PollerListener): () => void;
  pause(): void;
  resume(): void;
  /** Read the source now (the refresh key); false when it cannot (paused, read once, reading already). */
  refreshNow?(): boolean;
}

export interface LiveProps {
  readonly feed: LiveFeed;
  /** --node-ip: kept over each snapshot's own addresses. */
  readonly nodeAddresses?: readonly string[];
  /**
   * Called with each new snapshot's data once it is on screen: the explorer renders the App
   * again with it as `data`, so the first snapshot is not kept alive by a prop all session.
   */
  readonly shown?: (data: ExplorerData) => void;
}

export interface Live {
  readonly data: ExplorerData;
  /** null without a live source. */
  readonly status: PollerStatus | null;
  /** The time the ages on screen are counted to (ms since the epoch). */
  readonly now: number;
}

export function useLive(initial: ExplorerData, live: LiveProps | undefined, store: Store): Live {
  // A new `initial` (a re-render with other data) starts over from it. The `initial` the data
  // came from is held weakly: once the App is rendered with newer data, the older may go.
  const initialRef = useRef(initial);
  initialRef.current = initial;
  const [current, setCurrent] = useState(() => ({ base: new WeakRef(initial), data: initial }));
  const data = current.base.deref() === initial ? current.data : initial;
  const dataRef = useRef(data);
  dataRef.current = data;
  const [status, setStatus] = useState<PollerStatus | null>(live ? live.feed.status : null);
  const [now, setNow] = useState(() => Date.now());
  const feed = live?.feed;
  const nodeAddresses = live?.nodeAddresses;
  const shownRef = useRef(live?.shown);
  shownRef.current = live?.shown;

  useEffect(() => {
    if (!feed) return;
    let closed = false;
    let queue: Promise<void> = Promise.resolve();
    const unsubscribe = feed.subscribe((event) => {
      setStatus(event.status);
      if (event.type !== 'snapshot') return;
      const { snapshot } = event;
      queue = queue
        .then(async () => {
          await yieldToEventLoop();
          if (closed) return;
          // The same rules with new counts (the usual refresh): the services carry over. The
          // carry-over knows iptables' rules only: with an nftables ruleset the model is the
          // whole dump's, built anew (snapshotData), or its nftables services would be lost.
          let model;
          if (!snapshot.nft) {
            // The model on screen is kept whole until the new one is: the steps read only the old data.
            model = await runSteps(refreshKubeModelSteps(snapshot.ruleset, dataRef.current, MODEL_SLICE), () => closed);
            if (model === null) return;
          }
          await yieldToEventLoop();
          if (closed) return;
          const before = dataRef.current;
          const next = snapshotData(snapshot, nodeAddresses, before, model);
          // The new data and the frame it brings are two pieces of work: keys typed meanwhile go between.
          await yieldToEventLoop();
          if (closed) return;
          // Rows known only by position get their key first: the same rows stay selected.
          store.dispatch({ type: 'pin', keys: selectionKeys(before, store.get().stack) });
          dataRef.current = next;
          setCurrent({ base: new WeakRef(initialRef.current), data: next });
          setNow(Date.now());
          shownRef.current?.(next);
        })
        .catch((e: unknown) => {
          store.dispatch({ type: 'message', text: `cannot show the new snapshot: ${e instanceof Error ? e.message : String(e)}`, error: true });
        });
    });
    setStatus(feed.status);
    const clock = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      closed = true;
      unsubscribe();
      clearInterval(clock);
    };
  }, [feed]);

  // The refresh key: each press asks the feed for a read now.
  const refreshes = store.state.refreshRequests;
  useEffect(() => {
    if (refreshes === 0) return;
    if (!feed) {
      store.dispatch({ type: 'message', text: 'nothing to refresh: this dump was read once (live sources: --source-cmd, the local node, a file)' });
      return;
    }
    const started = feed.refreshNow?.() ?? false;
    store.dispatch({ type: 'message', text: started ? 'refreshing now…' : feed.status.paused ? 'paused: p resumes, and reads at once' : 'a read is going on already' });
  }, [refreshes]);

  const paused = store.state.paused;
  useEffect(() => {
    if (!feed) {
      if (paused) {
        store.dispatch({ type: 'togglePause' });
        store.dispatch({ type: 'message', text: 'nothing to pause: this dump was read once (live sources: --source-cmd, the local node, a file)' });
      }
      return;
    }
    if (paused) feed.pause();
    else feed.resume();
  }, [paused, feed]);

  return { data, status, now };
}
