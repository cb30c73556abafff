/**
 * The pure parts of live updates: the status line and the problem line from a poller status,
 * rate and delta cells, sorting by rate, and the reducer's pause and selection pinning.
 */
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import type { PollerStatus } from '../../src/sources/poller.js';
import type { Snapshot } from '../../src/sources/types.js';
import { deltaText, rateText } from '../../src/tui/model/format.js';
import { ago, cadence, problemText, statusView } from '../../src/tui/model/live-status.js';
import { snapshotData } from '../../src/tui/model/snapshot-data.js';
import { detailHeight, serviceDetail } from '../../src/tui/model/details.js';
import { selectionKeys, serviceContent, servicesDetailHeight, servicesView } from '../../src/tui/model/views.js';
import { current, initialState, reducer } from '../../src/tui/state.js';
import { fakeTemplate } from './fake-source.js';

/** The fake source's dump at run n (see fake-source.ts), taken at `at` ms. */
function snapshotAt(n: number, at: number): Snapshot {
  const text = fakeTemplate()
    .replace(/^\[1:100\]/gm, `[${10 * n}:${600 * n}]`)
    .replace(/^\[2:200\]/gm, `[${20 * n}:${1200 * n}]`);
  return { text, ruleset: parseIptablesSave(text), origin: "'/srv/x/source.sh'", takenAt: new Date(at), nodeAddresses: [] };
}

const T0 = new Date(2024, 2, 1, 12, 0, 0).getTime();

function status(over: Partial<PollerStatus> = {}): PollerStatus {
  return {
    mode: 'interval',
    source: 'ip netns exec kc-1-node iptables-save -c',
    intervalSeconds: 2,
    effectiveIntervalSeconds: 2,
    stretched: false,
    lastRunSeconds: 0.1,
    running: false,
    runningSince: null,
    paused: false,
    stopped: false,
    lastGoodAt: T0,
    error: null,
    runs: 1,
    refreshes: 1,
    failures: 0,
    checks: 0,
    parsedIn: 'main',
    mainThreadReason: null,
    ...over,
  };
}

describe('cells', () => {
  it('rates and deltas fit five columns and say "-" when unknown', () => {
    expect([null, 0, 0.01, 0.25, 2.04, 9.96, 12.4, 840, 123456].map(rateText)).toEqual(['-', '0', '<0.1', '0.3', '2', '10', '12', '840', '123K']);
    expect([null, 0, 12, 123456].map(deltaText)).toEqual(['-', '0', '+12', '+123K']);
  });
});

describe('status line', () => {
  const data = snapshotData(snapshotAt(1, T0));

  it('a live command: cadence, refresh time and age, then the source', () => {
    const v = statusView(data, status(), 120, T0 + 4_500);
    expect(v.alerts).toEqual([]);
    expect(v.parts.slice(0, 3)).toEqual(['every 2 s', 'refreshed 12:00:00 (4 s ago)', 'ip netns exec kc-1-node iptables-save -c']);
  });

  it('a slow source: the stretched interval, and a read under way for longer than the interval', () => {
    const st = status({ stretched: true, lastRunSeconds: 3.14, effectiveIntervalSeconds: 3.14, running: true, runningSince: T0 + 1000 });
    expect(cadence(st)).toBe('source took 3.1 s; refreshing every 3.1 s');
    expect(statusView(data, st, 200, T0 + 6_000).parts.slice(0, 3)).toEqual([
      'source took 3.1 s; refreshing every 3.1 s',
      'refreshed 12:00:00 (6 s ago)',
      'reading for 5 s',
    ]);
  });

  it('paused and failing: alerts first, the last good snapshot and its age', () => {
    const error = { message: '--source-cmd "x" exited with status 4: lock', detail: 'exited with status 4: lock', at: T0 + 3000, since: T0 + 1000, count: 2 };
    const v = statusView(data, status({ paused: true, error }), 200, T0 + 5000);
    expect(v.alerts).toEqual(['PAUSED (p resumes)', 'refresh failed 2 s ago']);
    expect(v.parts[1]).toBe('last good 12:00:00 (5 s ago)');
    expect(problemText(status({ error }))).toBe('! exited with status 4: lock (2 failures in a row since 12:00:01)');
    expect(problemText(status())).toBeNull();
  });

  it('cuts a long command in the middle so that the line keeps its head', () => {
    const long = `ssh -o BatchMode=yes root@node-17.example.internal sudo iptables-save -c`;
    const v = statusView(data, status({ source: long }), 80, T0);
    const line = v.parts.join(' · ');
    expect(v.parts[2]).toMatch(/^ssh -o .*….*-save -c$/);
    // The source and the separator before what follows fit in 80 columns.
    expect(line.indexOf(v.parts[2]!) + v.parts[2]!.length + 2).toBeLessThanOrEqual(80);
  });

  it('a watched file, and a dump read once', () => {
    expect(statusView(data, status({ mode: 'watch', source: '/var/tmp/node.save' }), 200, T0).parts.slice(0, 3)).toEqual([
      'watched every 2 s',
      'unchanged since 12:00:00',
      '/var/tmp/node.save',
    ]);
    // An hour on, a file that has not changed is still "unchanged since", not an age that keeps growing (issue 14 point 8).
    expect(statusView(data, status({ mode: 'watch', source: '/var/tmp/node.save' }), 200, T0 + 3_600_000).parts[1]).toBe('unchanged since 12:00:00');
    const once = statusView(data, null, 200, T0);
    expect(once.parts[0]).toBe("'/srv/x/source.sh'");
    expect(once.parts[1]).toBe(data.ruleset.info.generatedAt);
    expect(ago(T0, T0 + 125_000)).toBe('2 min ago');
  });
});

describe('sorting by rate and keeping the selection', () => {
  it('orders by packets per second between the snapshots, unknown rates last', () => {
    const first = snapshotData(snapshotAt(1, T0));
    // Without a previous snapshot nobody has a rate: the id order (packets break no ties at 0).
    expect(servicesView(first, '', 'rate').map((r) => r.service.id)).toEqual(['kc/beta', 'kc/alpha', 'kc/gamma']);
    const second = snapshotData(snapshotAt(2, T0 + 2000), [], first);
    expect(servicesView(second, '', 'rate').map((r) => r.service.id)).toEqual(['kc/beta', 'kc/alpha', 'kc/gamma']);
    const beta = second.diff.servicePort(second.findService('ipv4', 'kc/beta')!)!;
    expect(beta.deltaPackets).toBe(40);
    expect(beta.packetRate).toBe(20);
    // Only the counters snapshot of the previous data is kept.
    expect(second.diff.previous).toBe(first.counterSnapshot);
  });

  it('pin gives position-only selections their row key; togglePause flips', () => {
    const data = snapshotData(snapshotAt(1, T0));
    let s = reducer(initialState(), { type: 'sort' });
    s = reducer(s, { type: 'open', screen: { kind: 'hooks' }, cursor: 2 });
    const keys = selectionKeys(data, s.stack);
    expect(keys[0]).toBe('ipv4 kc/beta'); // sorted by packets: beta first
    expect(keys[1]).toBe(data.hookRows[2]!.key);
    s = reducer(s, { type: 'pin', keys });
    expect(s.stack.map((f) => f.main.key)).toEqual(keys);
    // A selection with a key keeps it.
    const again = reducer(s, { type: 'pin', keys: ['ipv4 kc/gamma', null] });
    expect(again).toBe(s);
    expect(current(reducer(s, { type: 'togglePause' })).screen.kind).toBe('hooks');
    expect(reducer(s, { type: 'togglePause' }).paused).toBe(true);
    expect(reducer(reducer(s, { type: 'togglePause' }), { type: 'togglePause' }).paused).toBe(false);
  });
});

describe('search indexes across snapshots', () => {
  it('carry over when the rules are the same, and answer as a fresh index would', () => {
    const first = snapshotData(snapshotAt(1, T0));
    const fresh = first.serviceSearcher();
    const next = snapshotData(snapshotAt(2, T0 + 2000), undefined, first);
    expect(next.searchIndexes).toBe(first.searchIndexes);
    expect(next.serviceSearcher()).toBe(fresh);
    const alone = snapshotData(snapshotAt(2, T0 + 2000));
    for (const q of ['kc', 'web', '10.', 'KUBE-SEP', 'wbe']) {
      expect(servicesView(next, q, 'id').map((r) => r.key)).toEqual(servicesView(alone, q, 'id').map((r) => r.key));
    }
  });

  it('start over when the rules changed', () => {
    const first = snapshotData(snapshotAt(1, T0));
    first.serviceSearcher();
    const s = snapshotAt(2, T0 + 2000);
    const changedText = s.text.replace(/^(\[\d+:\d+\] -A KUBE-SERVICES .*)$/m, '$1\n[0:0] -A KUBE-SERVICES -d 10.0.0.1/32 -j RETURN');
    expect(changedText).not.toBe(s.text);
    const changed = snapshotData({ ...s, text: changedText, ruleset: parseIptablesSave(changedText) }, undefined, first);
    expect(changed.searchIndexes).not.toBe(first.searchIndexes);
  });

  it('counting drops on a refresh with the same rules: the drop rules found once, the findings a fresh snapshot has', () => {
    // A DROP with a comment naming a service, and one in an endpoint chain (blamed on its owner), counting from run 2.
    const withDrops = (n: number, at: number): Snapshot => {
      const s = snapshotAt(n, at);
      const lines = s.text.split('\n');
      const sep = lines.find((l) => l.includes('-j DNAT'))!.replace(/^\[\d+:\d+\] -A (\S+) .*$/, '$1');
      const services = lines.findIndex((l) => l.includes('-A KUBE-SERVICES '));
      const dnat = lines.findIndex((l) => l.includes('-j DNAT'));
      const counts = `[${3 * (n - 1)}:${180 * (n - 1)}]`;
      lines.splice(dnat + 1, 0, `${counts} -A ${sep} -s 10.9.9.9/32 -j DROP`);
      lines.splice(services, 0, `${counts} -A KUBE-SERVICES -d 10.96.9.9/32 -p tcp -m comment --comment "kc/beta:http has no endpoints" -m tcp --dport 80 -j REJECT`);
      const text = lines.join('\n');
      return { ...s, text, ruleset: parseIptablesSave(text) };
    };
    const first = snapshotData(withDrops(1, T0));
    expect(first.findings().filter((f) => f.kind === 'counting-drop')).toEqual([]);
    let before = first;
    for (const n of [2, 3]) {
      const next = snapshotData(withDrops(n, T0 + 2000 * n), undefined, before);
      expect(next.searchIndexes).toBe(first.searchIndexes);
      const alone = snapshotData(withDrops(n, T0 + 2000 * n));
      const drops = next.findings().filter((f) => f.kind === 'counting-drop');
      // In dump order: the endpoint chain's DROP (blamed on the service owning the chain), then the REJECT.
      expect(drops.map((f) => f.service)).toEqual(['kc/gamma', 'kc/beta:http']);
      expect(drops[1]!.message).toContain(`rejected ${3 * (n - 1)} packets`);
      expect(next.findings()).toEqual(alone.findings());
      expect(next.problemCounts()).toEqual(alone.problemCounts());
      before = next;
    }
  });

  it('the services list\'s column widths and detail height carry over and equal what every row\'s detail line gives', () => {
    const first = snapshotData(snapshotAt(1, T0));
    const widths = [12, 20, 33, 47, 60, 80, 200];
    const expected = (d: typeof first) => widths.map((w) => detailHeight(d.serviceRows.map((r) => serviceDetail(r)), w, 3));
    expect(widths.map((w) => servicesDetailHeight(first, w, 3))).toEqual(expected(first));
    // Counts grown by orders of magnitude: the same rules, longer packet counts in the detail line.
    const next = snapshotData(snapshotAt(2000, T0 + 2000), undefined, first);
    expect(next.searchIndexes).toBe(first.searchIndexes);
    expect(next.serviceRows.some((r) => (r.packets ?? 0) > 10_000)).toBe(true);
    expect(widths.map((w) => servicesDetailHeight(next, w, 3))).toEqual(expected(next));
    const alone = snapshotData(snapshotAt(2000, T0 + 2000));
    expect(serviceContent(next)).toEqual(serviceContent(alone));
    expect(widths.map((w) => servicesDetailHeight(alone, w, 3))).toEqual(expected(next));
  });
});
