/**
 * conntrack -L lines written by hand for the explorer's tests (the real captures are in
 * fixtures/conntrack/), and a conntrack feed the tests drive: each push() is a read of the
 * source, each fail() a failed one, as the conntrack poller reports them.
 */
import { parseConntrack } from '../../src/core/index.js';
import type { PollerStatus } from '../../src/sources/poller.js';
import type { ConntrackSnapshot } from '../../src/sources/conntrack.js';
import type { PollerEvent } from '../../src/sources/poller.js';
import type { ConntrackFeed } from '../../src/tui/hooks/use-connections.js';

export interface Flow {
  readonly proto?: 'tcp' | 'udp' | 'sctp';
  /** TCP/SCTP state; none for UDP. */
  readonly state?: string;
  /** Original direction: client -> frontend. */
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
  /** Reply direction: endpoint -> (the client, or the node when masqueraded). */
  readonly replySrc: string;
  readonly replySport: number;
  readonly replyDst: string;
  readonly flags?: string;
}

const PROTO_NUMBER = { tcp: 6, udp: 17, sctp: 132 } as const;

/** One line as `conntrack -L` prints it (plain form). */
export function flowLine(f: Flow): string {
  const proto = f.proto ?? 'tcp';
  const state = f.state === undefined ? '' : ` ${f.state}`;
  return (
    `${proto.padEnd(8)} ${PROTO_NUMBER[proto]} 431999${state} src=${f.src} dst=${f.dst} sport=${f.sport} dport=${f.dport} ` +
    `src=${f.replySrc} dst=${f.replyDst} sport=${f.replySport} dport=${f.sport} ${f.flags ?? '[ASSURED]'} mark=0 use=1`
  );
}

/** A table: the lines and conntrack's trailer. */
export function conntrackText(flows: readonly Flow[], extra: readonly string[] = []): string {
  const lines = [...flows.map(flowLine), ...extra];
  return `${lines.join('\n')}\nconntrack v1.4.7 (conntrack-tools): ${lines.length} flow entries have been shown.\n`;
}

/** `n` connections from `client` to a frontend, answered by `endpoint` (ip:port), in `state`; masqueraded replies go to `node`. */
export function flows(n: number, o: { state: string; client: string; frontend: string; endpoint: string; node?: string; firstPort?: number; proto?: Flow['proto'] }): Flow[] {
  const [dst, dport] = splitV4(o.frontend);
  const [replySrc, replySport] = splitV4(o.endpoint);
  return Array.from({ length: n }, (_, i) => ({
    proto: o.proto,
    state: o.state,
    src: o.client,
    sport: (o.firstPort ?? 40000) + i,
    dst,
    dport,
    replySrc,
    replySport,
    replyDst: o.node ?? o.client,
  }));
}

function splitV4(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, i), Number(hostPort.slice(i + 1))];
}

/** An entry no service claims: a pod talking to the world. */
export const UNMATCHED_LINE = flowLine({ state: 'ESTABLISHED', src: '10.244.2.50', sport: 51000, dst: '93.184.216.34', dport: 443, replySrc: '93.184.216.34', replySport: 443, replyDst: '172.16.1.10' });

export interface FakeConntrackFeed extends ConntrackFeed {
  /** A good read of `text`. */
  push(text: string): void;
  /** A failed read. */
  fail(detail: string): void;
  readonly pauses: number;
  readonly refreshes: number;
}

/** A conntrack feed the test drives, named `source`, read every `intervalSeconds`. */
export function fakeConntrackFeed(source = 'conntrack -L', intervalSeconds = 2): FakeConntrackFeed {
  const listeners = new Set<(e: PollerEvent<ConntrackSnapshot>) => void>();
  let status: PollerStatus = {
    mode: 'interval', source, intervalSeconds, effectiveIntervalSeconds: intervalSeconds, stretched: false, lastRunSeconds: null,
    running: false, runningSince: null, paused: false, stopped: false, lastGoodAt: null, error: null, runs: 0, refreshes: 0, failures: 0, checks: 0,
  };
  let snapshot: ConntrackSnapshot | null = null;
  let pauses = 0;
  let refreshes = 0;
  const emit = (e: PollerEvent<ConntrackSnapshot>) => {
    for (const l of [...listeners]) l(e);
  };
  return {
    get status() {
      return status;
    },
    get snapshot() {
      return snapshot;
    },
    get pauses() {
      return pauses;
    },
    get refreshes() {
      return refreshes;
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    pause() {
      pauses++;
      status = { ...status, paused: true };
    },
    resume() {
      status = { ...status, paused: false };
    },
    refreshNow() {
      refreshes++;
      return true;
    },
    push(text) {
      snapshot = { table: parseConntrack(text, source), origin: source, takenAt: new Date() };
      status = { ...status, runs: status.runs + 1, refreshes: status.refreshes + 1, lastGoodAt: Date.now(), error: null };
      emit({ type: 'snapshot', snapshot, status });
    },
    fail(detail) {
      const at = Date.now();
      const prev = status.error;
      status = {
        ...status,
        runs: status.runs + 1,
        failures: status.failures + 1,
        error: { message: `${source}: ${detail}`, detail, at, since: prev?.since ?? at, count: (prev?.count ?? 0) + 1 },
      };
      emit({ type: 'error', error: status.error!, status });
    },
  };
}

/** fixtures/multi-endpoint.save (and its nftables twin): the node, shop/api:https's cluster IP, two of its endpoints, a pod. */
export const NODE = '172.16.1.10';
export const API = '10.96.40.2:443';
export const EP1 = '10.244.1.20:8443';
export const EP2 = '10.244.2.21:8443';
export const POD = '10.244.2.50';

/** shop/api:https: 3 ESTABLISHED from a pod and 1 TIME_WAIT from outside (masqueraded) on EP1, 1 on EP2; and one unmatched. */
export const FIRST = conntrackText(
  [
    ...flows(3, { state: 'ESTABLISHED', client: POD, frontend: API, endpoint: EP1 }),
    ...flows(1, { state: 'TIME_WAIT', client: '203.0.113.7', frontend: API, endpoint: EP1, node: NODE, firstPort: 41000 }),
    ...flows(1, { state: 'ESTABLISHED', client: POD, frontend: API, endpoint: EP2, firstPort: 42000 }),
  ],
  [UNMATCHED_LINE],
);

/** The next read: EP1 has 5 ESTABLISHED (2 new) and its TIME_WAIT is gone; EP2 is unchanged. */
export const SECOND = conntrackText(
  [
    ...flows(5, { state: 'ESTABLISHED', client: POD, frontend: API, endpoint: EP1 }),
    ...flows(1, { state: 'ESTABLISHED', client: POD, frontend: API, endpoint: EP2, firstPort: 42000 }),
  ],
  [UNMATCHED_LINE],
);
