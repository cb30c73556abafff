/**
 * Live connections: the conntrack source's tables as they come, each attributed to the services
 * of the snapshot on screen (again when a new snapshot replaces it), with the report of the
 * refresh before kept for the deltas. `p` pauses this source with the rules', `R` reads it too.
 *
 * The attribution is work over every entry (250,000 on a busy node): it runs in slices with a
 * turn of the event loop between them, so keys typed meanwhile go first, and never twice for the
 * same table and model (a newer table or model cancels the one under way).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { attributeConnectionsSteps, type ConnectionReport, type ConntrackTable } from '../../core/index.js';
import { CONNTRACK_SLICE, type ConntrackSnapshot } from '../../sources/conntrack.js';
import { runSteps } from '../../sources/event-loop.js';
import { yieldToEventLoop, type PollerListener, type PollerStatus } from '../../sources/poller.js';
import { nextAttribution, type AttributionInputs, type Connections } from '../model/connections.js';
import type { ExplorerData } from '../model/explorer-data.js';
import type { Store } from '../state.js';

/** What the explorer needs of the conntrack source's poller (sources/conntrack.ts's is one). */
export interface ConntrackFeed {
  readonly status: PollerStatus;
  /** The last good read, when one was made before the explorer subscribed. */
  readonly snapshot: ConntrackSnapshot | null;
  subscribe(listener: PollerListener<ConntrackSnapshot>): () => void;
  pause(): void;
  resume(): void;
  refreshNow?(): boolean;
}

export interface ConntrackProps {
  readonly feed: ConntrackFeed;
}

interface Attributed {
  readonly table: ConntrackTable;
  readonly data: ExplorerData;
  readonly report: ConnectionReport;
  readonly previous: ConnectionReport | null;
}

/** An attribution under way, in slices; a newer table or model that changes its answer cancels it (nextAttribution). */
interface Running extends AttributionInputs {
  cancelled: boolean;
}

/** null without a conntrack source; else what is known of the connections now. */
export function useConnections(conntrack: ConntrackProps | undefined, data: ExplorerData, store: Store): Connections | null {
  const feed = conntrack?.feed;
  const [table, setTable] = useState<ConntrackTable | null>(() => feed?.snapshot?.table ?? null);
  const [status, setStatus] = useState<PollerStatus | null>(() => feed?.status ?? null);
  const [attributed, setAttributed] = useState<Attributed | null>(null);
  const attributedRef = useRef(attributed);
  attributedRef.current = attributed;

  useEffect(() => {
    if (!feed) return;
    const unsubscribe = feed.subscribe((event) => {
      setStatus(event.status);
      if (event.type === 'snapshot') setTable(event.snapshot.table);
    });
    setStatus(feed.status);
    if (feed.snapshot) setTable(feed.snapshot.table);
    return unsubscribe;
  }, [feed]);

  // A new table, or new rules under the same table: attribute again.
  const running = useRef<Running | null>(null);
  useEffect(() => {
    if (table === null) return;
    const before = attributedRef.current;
    const next = nextAttribution(before, running.current, { table, data });
    if (next === 'under-way') return;
    if (running.current !== null) running.current.cancelled = true;
    running.current = null;
    if (next === 'shown') return;
    const run: Running = { table, data, cancelled: false };
    running.current = run;
    void yieldToEventLoop().then(async () => {
      if (run.cancelled) return;
      const report = await runSteps(attributeConnectionsSteps(data.model, table, { nodeAddresses: data.nodeAddresses }, CONNTRACK_SLICE), () => run.cancelled);
      if (report === null) return;
      if (running.current === run) running.current = null;
      // The delta is from the table before: new rules alone keep the same one to compare with.
      const previous = before === null ? null : before.table === table ? before.previous : before.report;
      setAttributed({ table, data, report, previous });
    });
  }, [table, data]);
  useEffect(
    () => () => {
      if (running.current !== null) running.current.cancelled = true;
    },
    [],
  );

  const paused = store.state.paused;
  useEffect(() => {
    if (!feed) return;
    if (paused) feed.pause();
    else feed.resume();
  }, [paused, feed]);

  const refreshes = store.state.refreshRequests;
  useEffect(() => {
    if (refreshes > 0) feed?.refreshNow?.();
  }, [refreshes]);

  // One object per attribution and status: what views keep their sorted rows by.
  // Until the attribution of the newest table is done, the last one stays on screen.
  return useMemo(
    () => (feed ? { report: attributed?.report ?? null, previous: attributed?.previous ?? null, entries: attributed?.table.entries.length ?? 0, badLines: attributed?.table.warnings.length ?? 0, status } : null),
    [feed, attributed, status],
  );
}
