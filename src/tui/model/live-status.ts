/**
 * The status line and the problem line of a live explorer, from the poller's status: the source,
 * how often it is read (and that the pause stretched when the source was slow), when the snapshot
 * on screen was taken and how long ago, "paused", and a failed refresh with its age.
 */
import type { PollerStatus } from '../../sources/poller.js';
import type { ExplorerData } from './explorer-data.js';
import { clockTime, display, plural, seconds } from './format.js';

/** What the status line says of a conntrack source: its table's counts, its name and age, and an alert when its last read failed. */
export interface ConntrackLine {
  readonly counts: string;
  readonly source: string;
  readonly alert: string | null;
}

/** What the status line shows, most important first. */
export interface StatusView {
  /** Shown first, as an alert: "PAUSED", "refresh failed 3 s ago". */
  readonly alerts: readonly string[];
  /** The rest, in order; cut at the right edge when the terminal is narrow. */
  readonly parts: readonly string[];
}

const SEP = ' · ';

/** "4 s ago" (whole seconds: the line is redrawn once a second). */
export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

/** How often the source is read: "every 2 s", or that it stretched: "source took 3.1 s; refreshing every 3.1 s". */
export function cadence(status: PollerStatus): string | null {
  switch (status.mode) {
    case 'once':
      return null;
    case 'watch':
      return `watched every ${seconds(status.intervalSeconds)}`;
    case 'interval':
      if (status.stretched && status.lastRunSeconds !== null) {
        return `source took ${seconds(status.lastRunSeconds)}; refreshing every ${seconds(status.effectiveIntervalSeconds)}`;
      }
      return `every ${seconds(status.intervalSeconds)}`;
  }
}

/**
 * The failed refresh, for the line above the status: "! exited with status 4: Another app is
 * currently holding the xtables lock…" (the status line says "refresh failed 3 s ago" already;
 * the reason comes first so that 80 columns show it).
 */
export function problemText(status: PollerStatus | null): string | null {
  const e = status?.error;
  if (!e) return null;
  const times = e.count > 1 ? ` (${e.count} failures in a row since ${clockTime(e.since)})` : '';
  return `! ${e.detail}${times}`;
}

/**
 * The status line. Without a live source: the source, the dump's date and its size. With one:
 * the alerts (paused, a failed refresh and its age), the cadence, when the snapshot on screen was
 * taken and how long ago, then the source (cut to fit: a file to its name, a command in the
 * middle) and the size.
 */
export function statusView(data: ExplorerData, status: PollerStatus | null, width: number, now: number, conntrack: ConntrackLine | null = null): StatusView {
  const size = [plural(data.counts.chains, 'chain'), plural(data.counts.rules, 'rule')];
  const mode = modeText(data);
  const noCounters = countersNote(data);
  // conntrack's counts come early (first when the rules are read once, after their refresh time
  // when live), its name and age after the rules' source: a narrow terminal cuts those first.
  const ct = conntrack === null ? [] : [conntrack.counts];
  const ctSource = conntrack?.source ? [conntrack.source] : [];
  const ctAlerts = conntrack?.alert ? [conntrack.alert] : [];
  if (status === null || status.mode === 'once') {
    const dated = data.dump.nft !== null && data.ruleset.tables.length === 0 ? [] : [data.ruleset.info.generatedAt ?? 'undated dump'];
    const rest = [...mode, ...ctSource, ...dated, ...size, ...noCounters];
    return { alerts: ctAlerts, parts: [...ct, fitSource(data.source, true, width - used(ctAlerts, [...ct, ...rest])), ...rest] };
  }
  const alerts: string[] = [];
  if (status.paused) alerts.push('PAUSED (p resumes)');
  if (status.error) alerts.push(`refresh failed ${ago(status.error.at, now)}`);
  const taken = data.takenAt ? data.takenAt.getTime() : status.lastGoodAt;
  // A watched file is read again only when it changes: until then it is unchanged since it was read, not ever older.
  const when =
    taken === null
      ? 'not read yet'
      : status.error
        ? `last good ${clockTime(taken)} (${ago(taken, now)})`
        : status.mode === 'watch'
          ? `unchanged since ${clockTime(taken)}`
          : `refreshed ${clockTime(taken)} (${ago(taken, now)})`;
  alerts.push(...ctAlerts);
  const head = [cadence(status)!, when];
  // The parse thread was asked for and could not be used: keys may wait while a snapshot is parsed.
  if (status.mainThreadReason != null) head.push(`parsing on the main thread: ${status.mainThreadReason}`);
  // A source slower than the interval: say that a read is under way, and for how long.
  if (status.runningSince !== null && now - status.runningSince > status.intervalSeconds * 1000) {
    head.push(`reading for ${Math.floor((now - status.runningSince) / 1000)} s`);
  }
  const source = fitSource(status.source, status.mode === 'watch', width - used(alerts, [...head, ...ct]));
  return { alerts, parts: [...head, ...ct, ...mode, source, ...ctSource, ...noCounters, ...size] };
}

/** Which kube-proxy mode the rules are in: said for nftables, and loudly for both (a half-done migration). */
function modeText(data: ExplorerData): string[] {
  if (data.modes.length === 2) return ['BOTH MODES: iptables + nftables rules (see :problems)'];
  return data.dump.nft !== null && data.modes[0] !== 'iptables' ? ['nftables'] : [];
}

/** Why packet columns are empty: iptables-save without -c, or an nft ruleset without `counter` statements (kube-proxy writes none). */
function countersNote(data: ExplorerData): string[] {
  if (hasCounters(data)) return [];
  return isNftOnly(data) ? ['no counters (kube-proxy nftables writes none)'] : ['no counters (iptables-save -c)'];
}

const isNftOnly = (data: ExplorerData) => data.dump.nft !== null && data.ruleset.tables.length === 0;

/** Whether the snapshot's rules carry packet counters at all (else every packet column shows "-"). */
export function hasCounters(data: ExplorerData): boolean {
  return isNftOnly(data) ? data.dump.nft!.hasCounters : data.ruleset.info.hasCounters;
}

/**
 * Columns that `alerts` and `parts` take on the line with their separators, and 2 more: the
 * source is followed by more parts, cut at the edge with "…", and must not lose its own end.
 */
function used(alerts: readonly string[], parts: readonly string[]): number {
  return [...alerts, ...parts].reduce((n, p) => n + display(p).length + SEP.length, 2);
}

/** The source in `room` columns: whole, a file's name, or a command cut in the middle (12 columns at least). */
function fitSource(source: string, isFile: boolean, room: number): string {
  const text = display(source);
  if (text.length <= room) return source;
  if (isFile && source.includes('/')) {
    const base = source.slice(source.lastIndexOf('/') + 1);
    if (display(base).length <= room || room < 12) return base;
  }
  const r = Math.max(12, room);
  if (text.length <= r) return text;
  const tail = Math.ceil((r - 1) * 0.4);
  return text.slice(0, r - 1 - tail) + '…' + text.slice(text.length - tail);
}
