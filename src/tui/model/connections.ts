/**
 * Live connections beside the rules: the conntrack table's attribution (the core's
 * ConnectionReport) as the explorer's columns read it, per service port and per endpoint, with
 * the change since the conntrack refresh before.
 *
 * Lookups go by family, service id and endpoint address, not by the model's objects, so a report
 * made against an older model (the previous refresh's) still lines up with the services on screen.
 */
import type { ServicePort } from '../../core/kube/index.js';
import type { ExplorerData } from './explorer-data.js';
import type { PollerStatus } from '../../sources/poller.js';
import type { ConnectionReport, ConntrackTable, EndpointConnections } from '../../core/index.js';
import { clockTime, display, humanCount, plural } from './format.js';
import { ago } from './live-status.js';

/** What the explorer knows of conntrack at one moment (null where a conntrack source is not given at all). */
export interface Connections {
  /** The last good table's attribution against the model on screen; null before the first good read. */
  readonly report: ConnectionReport | null;
  /** The refresh before's attribution: what deltas are counted from; null until there were two. */
  readonly previous: ConnectionReport | null;
  /** Entries in the last good table (every one, attributed or not). */
  readonly entries: number;
  /** Lines of that table that did not parse (left out of it). */
  readonly badLines?: number;
  /** The conntrack source's poller: its name, cadence, last good read, failure. */
  readonly status: PollerStatus | null;
}

/** An endpoint's connections by state and the net change of each since the refresh before. */
export interface ConnectionDelta {
  readonly total: number;
  /** Per state; a state that went away shows as a negative count. */
  readonly states: Readonly<Record<string, number>>;
}

type ByAddress = ReadonlyMap<string, EndpointConnections>;

const indexes = new WeakMap<ConnectionReport, ReadonlyMap<string, ByAddress>>();

/** "family id" -> endpoint address -> its connections. */
function indexOf(report: ConnectionReport): ReadonlyMap<string, ByAddress> {
  let index = indexes.get(report);
  if (!index) {
    const built = new Map<string, ByAddress>();
    for (const s of report.services) built.set(serviceKey(s), new Map(s.endpoints.map((e) => [e.address, e])));
    indexes.set(report, (index = built));
  }
  return index;
}

const serviceKey = (s: { readonly family: string; readonly id: string }) => `${s.family} ${s.id}`;

const NO_STATES: Readonly<Record<string, number>> = {};

/** The endpoint's connections in `report`: zeros for an endpoint no connection goes to; null when there is no report or no address. */
function endpointConnectionsIn(report: ConnectionReport | null, s: ServicePort, address: string | null): Pick<EndpointConnections, 'connections' | 'states' | 'masqueraded'> | null {
  if (report === null || address === null) return null;
  return indexOf(report).get(serviceKey(s))?.get(address) ?? { connections: 0, states: NO_STATES, masqueraded: 0 };
}

export function endpointConnections(c: Connections | null, s: ServicePort, address: string | null): Pick<EndpointConnections, 'connections' | 'states' | 'masqueraded'> | null {
  return endpointConnectionsIn(c?.report ?? null, s, address);
}

/** The service port's connections: the sum over its endpoints (of its family); null without a conntrack table. */
export function serviceConnections(c: Connections | null, s: ServicePort): number | null {
  const report = c?.report ?? null;
  if (report === null) return null;
  const byAddress = indexOf(report).get(serviceKey(s));
  if (!byAddress) return 0;
  let n = 0;
  for (const e of s.endpoints) if (e.address !== null) n += byAddress.get(e.address)?.connections ?? 0;
  return n;
}

/** The endpoint's change since the refresh before, null until there were two refreshes. */
export function endpointDelta(c: Connections | null, s: ServicePort, address: string | null): ConnectionDelta | null {
  if (!c || c.previous === null) return null;
  const now = endpointConnectionsIn(c.report, s, address);
  const before = endpointConnectionsIn(c.previous, s, address);
  if (now === null || before === null) return null;
  const states: Record<string, number> = {};
  for (const name of new Set([...Object.keys(now.states), ...Object.keys(before.states)])) {
    const d = (now.states[name] ?? 0) - (before.states[name] ?? 0);
    if (d !== 0) states[name] = d;
  }
  return { total: now.connections - before.connections, states };
}

/** A conntrack table and the rules it was (or is being) attributed against. */
export interface AttributionInputs {
  readonly table: ConntrackTable;
  readonly data: ExplorerData;
}

/**
 * What to do when the table or the rules on screen change, given what is shown and what is being
 * attributed in slices: 'shown' when the report on screen already answers (a refresh that brought
 * new counts only) — nothing to run, and an attribution under way, for other rules, is to be
 * dropped; 'under-way' when the one running will give the answer (let it finish: restarting it at
 * every refresh could starve it); else 'start' (and drop the one under way).
 */
export function nextAttribution(shown: AttributionInputs | null, underWay: AttributionInputs | null, now: AttributionInputs): 'shown' | 'under-way' | 'start' {
  const answers = (x: AttributionInputs | null) => x !== null && x.table === now.table && sameAttribution(x.data, now.data);
  if (answers(shown)) return 'shown';
  return answers(underWay) ? 'under-way' : 'start';
}

/**
 * Whether two snapshots' data attribute a table alike: the same node addresses and the same
 * service ports with the same frontends and endpoint addresses (counters aside), as after a
 * live refresh that only brought new counts.
 */
export function sameAttribution(a: ExplorerData, b: ExplorerData): boolean {
  if (a === b) return true;
  if (!sameList(a.nodeAddresses, b.nodeAddresses)) return false;
  const x = a.model.services;
  const y = b.model.services;
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const s = x[i]!;
    const t = y[i]!;
    if (s === t) continue;
    if (s.id !== t.id || s.family !== t.family || s.protocol !== t.protocol || s.clusterIP !== t.clusterIP || s.port !== t.port || s.nodePort !== t.nodePort) return false;
    if (!sameList(s.externalIPs, t.externalIPs) || !sameList(s.loadBalancerIPs, t.loadBalancerIPs)) return false;
    if (s.endpoints.length !== t.endpoints.length || s.endpoints.some((e, j) => e.address !== t.endpoints[j]!.address)) return false;
    if (s.entryPoints.length !== t.entryPoints.length || s.entryPoints.some((e, j) => e.kind !== t.entryPoints[j]!.kind || e.address !== t.entryPoints[j]!.address || e.port !== t.entryPoints[j]!.port)) return false;
  }
  return true;
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A count in a narrow column: "-" without a table. */
export function connectionsText(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : humanCount(n);
}

/** A net change: "+3", "-1", "0"; "-" unknown (one refresh so far). */
export function signedText(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n === 0) return '0';
  return n > 0 ? `+${humanCount(n)}` : `-${humanCount(-n)}`;
}

/** States busiest first, then by name: "ESTABLISHED 12 · TIME_WAIT 3". */
export function statesText(states: Readonly<Record<string, number>>, format: (n: number) => string = humanCount): string {
  return Object.entries(states)
    .sort(([a, x], [b, y]) => Math.abs(y) - Math.abs(x) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, n]) => `${name} ${format(n)}`)
    .join(' · ');
}

/**
 * What the endpoint's detail says of its connections: "15 connections: ESTABLISHED 12 ·
 * TIME_WAIT 3 · 4 masqueraded · +3 since the last conntrack read (ESTABLISHED +4 · TIME_WAIT -1)".
 */
export function endpointConnectionsDetail(c: Connections | null, s: ServicePort, address: string | null): string | null {
  const e = endpointConnections(c, s, address);
  if (e === null) return null;
  const parts = [e.connections === 0 ? 'no connections' : `${plural(e.connections, 'connection')}: ${statesText(e.states)}`];
  if (e.masqueraded > 0) parts.push(`${humanCount(e.masqueraded)} masqueraded`);
  const d = endpointDelta(c, s, address);
  if (d !== null) {
    const states = statesText(d.states, signedText);
    parts.push(`${signedText(d.total)} since the last conntrack read${states ? ` (${states})` : ''}`);
  }
  return parts.join(' · ');
}

/** What the status line says of conntrack, and the failure's reason for the line above. */
export interface ConntrackStatusView {
  /** "conntrack failed 3 s ago", or null. */
  readonly alert: string | null;
  /** Early on the line: "conntrack: 1.2K entries, 34 unmatched" ("… (last good 12:00:01)" after a failure). */
  readonly counts: string;
  /** Later on the line, cut first: "conntrack -L 4 s ago", "conns.txt unchanged since 12:00:01". */
  readonly source: string;
  /** "! conntrack: exited with status 1: …", or null. */
  readonly problem: string | null;
}

/** The conntrack source's name in the status line: a long command cut in the middle. */
const SOURCE_ROOM = 28;

export function conntrackStatusView(c: Connections, now: number): ConntrackStatusView {
  const status = c.status;
  const error = status?.error ?? null;
  const taken = status?.lastGoodAt ?? null;
  const bad = c.badLines ? `, ${plural(c.badLines, 'bad line')} left out` : '';
  const table = c.report === null ? (error ? 'no table read' : 'reading') : `${humanCount(c.entries)} ${c.entries === 1 ? 'entry' : 'entries'}, ${humanCount(c.report.unmatched)} unmatched${bad}`;
  const stale = error && taken !== null ? ` (last good ${clockTime(taken)})` : '';
  let when: string;
  if (taken === null) when = '';
  else if (status?.mode === 'watch') when = ` unchanged since ${clockTime(taken)}`;
  else if (status?.mode === 'once') when = ` read ${clockTime(taken)}`;
  else when = ` ${ago(taken, now)}`;
  return {
    alert: error ? `conntrack failed ${ago(error.at, now)}` : null,
    counts: `conntrack: ${table}${stale}`,
    source: cutMiddle(display(status?.source ?? 'conntrack'), SOURCE_ROOM) + when,
    problem: error ? `! conntrack: ${error.detail}${error.count > 1 ? ` (${error.count} failures in a row)` : ''}` : null,
  };
}

function cutMiddle(text: string, room: number): string {
  if (text.length <= room) return text;
  const tail = Math.ceil((room - 1) * 0.4);
  return text.slice(0, room - 1 - tail) + '…' + text.slice(text.length - tail);
}
