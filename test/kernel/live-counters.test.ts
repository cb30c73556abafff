/**
 * Live counters on real netfilter: a node namespace with a generated kube-proxy ruleset (four
 * ClusterIP services, endpoints in the pod namespace) loaded by iptables-restore, real TCP
 * connections from the client namespace to ONE service, and kubechains reading
 * `ip netns exec NODE iptables-save -c` through --source-cmd.
 *
 * (a) the real CLI process (`services --json --source-cmd …`): every endpoint's packets equal the
 *     kernel's DNAT rule counter, read independently with `iptables -t nat -L CHAIN -v -x -n`,
 *     and the service's packets their sum (= the connections made: nat sees a connection's
 *     first packet only);
 * (b) the poller and the counters diff while more traffic flows: the rate of that service is
 *     non-zero, every other service's is zero, and the deltas add up to the kernel's counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffSnapshots, type CounterDiff } from '../../src/core/counters/index.js';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { generateKubeProxyRules } from '../../src/gen/kubeproxy.js';
import type { Snapshot } from '../../src/sources/types.js';
import { createPoller, type Poller } from '../../src/sources/poller.js';
import { runProcess } from '../cli/harness.js';
import { inNs } from './exec.js';
import { Topology, connect, kernelGate, loadRuleset } from './netns.js';
import { LIVE_COUNTERS_OTHERS as OTHERS, LIVE_COUNTERS_TARGET as TARGET, liveCountersClusterSpec } from './specs.js';

const gate = kernelGate();

const SPEC = liveCountersClusterSpec();

interface ServiceJson {
  id: string;
  packets: number | null;
  endpoints: { address: string; chain: string; packets: number | null }[];
}

/** The kernel's own count of a KUBE-SEP chain's DNAT rule, from `iptables -L -v -x` (not from iptables-save). */
function kernelDnatPackets(ns: string, chain: string): number {
  const out = inNs(ns, 'iptables', ['-w', '-t', 'nat', '-L', chain, '-v', '-x', '-n']);
  const rows = out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[2] === 'DNAT');
  if (rows.length !== 1) throw new Error(`${chain}: expected one DNAT rule, got:\n${out}`);
  return Number(rows[0]![0]);
}

describe.skipIf(gate.skip)(gate.title('live counters on real netfilter'), () => {
  let topo: Topology;
  let sourceCmd = '';
  let poller: Poller | null = null;
  // The model of the ruleset as loaded, for the service's address (iptables-save -c gives the same).
  const model = buildKubeModel(parseIptablesSave(generateKubeProxyRules(SPEC, { form: 'save' })));
  const web = model.services.find((s) => s.id === TARGET)!;

  beforeAll(async () => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'lc' });
    const endpoints = SPEC.services.flatMap((s) => s.endpoints.map((e) => e.ip));
    topo.addPodAddresses(endpoints);
    await topo.startListeners([8080]);
    topo.routeFromClient(SPEC.services.map((s) => `${s.clusterIP}/32`));
    loadRuleset(topo.nodeNs, generateKubeProxyRules(SPEC, { form: 'restore' }));
    sourceCmd = `ip netns exec ${topo.nodeNs} iptables-save -c`;
  }, 180_000);

  afterAll(async () => {
    await poller?.stop();
    topo?.destroy();
  });

  it('(a) services --json --source-cmd: each endpoint counts what the kernel counted, the service their sum', async () => {
    const attempts = await connect(topo.clientNs, web.clusterIP!, web.port!, { count: 30, parallel: 4 });
    expect(attempts.filter((a) => a.result !== 'connected')).toEqual([]);
    const answered = new Set(attempts.map((a) => a.answeredBy));
    expect(answered.size).toBeGreaterThan(1); // the random split really spread them

    const r = await runProcess(['services', '--json', '--source-cmd', sourceCmd]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const services = (JSON.parse(r.stdout) as { services: ServiceJson[] }).services;
    expect(services.map((s) => s.id).sort()).toEqual([TARGET, ...OTHERS].sort());
    for (const s of services) {
      let sum = 0;
      for (const e of s.endpoints) {
        const kernel = kernelDnatPackets(topo.nodeNs, e.chain);
        expect(e.packets, `${s.id} ${e.address} (${e.chain})`).toBe(kernel);
        sum += kernel;
      }
      expect(s.packets, s.id).toBe(sum);
    }
    const byId = new Map(services.map((s) => [s.id, s]));
    expect(byId.get(TARGET)!.packets).toBe(30);
    for (const id of OTHERS) expect(byId.get(id)!.packets, id).toBe(0);
    // Each endpoint's count is the connections its listener answered.
    for (const e of byId.get(TARGET)!.endpoints) {
      expect(e.packets, e.address).toBe(attempts.filter((a) => a.answeredBy === e.address).length);
    }
  }, 120_000);

  it('(b) the poller and the diff while traffic flows: a non-zero rate for that service only', async () => {
    poller = createPoller({ spec: { kind: 'command', command: sourceCmd }, intervalSeconds: 0.3 });
    const snaps: Snapshot[] = [];
    const errors: string[] = [];
    let resolveNext: (() => void) | null = null;
    poller.subscribe((e) => {
      if (e.type === 'error') errors.push(e.error.message);
      if (e.type !== 'snapshot') return;
      snaps.push(e.snapshot);
      resolveNext?.();
    });
    const nextSnapshot = () => new Promise<void>((resolve) => (resolveNext = resolve));
    poller.start();
    await nextSnapshot();
    const before = snaps.length;

    // Traffic to one service in three batches; after each, a snapshot read once the batch was over.
    const marks: Snapshot[] = [snaps.at(-1)!];
    for (let batch = 0; batch < 3; batch++) {
      const attempts = await connect(topo.clientNs, web.clusterIP!, web.port!, { count: 20, parallel: 2 });
      expect(attempts.filter((a) => a.result !== 'connected')).toEqual([]);
      const ended = Date.now();
      while (snaps.at(-1)!.takenAt.getTime() < ended) await nextSnapshot();
      marks.push(snaps.at(-1)!);
    }
    await poller.stop();
    expect(errors).toEqual([]);
    expect(poller.status.failures).toBe(0);

    // Batch by batch: exactly its 20 connections on that service, nothing on the others.
    for (let i = 1; i < marks.length; i++) {
      const d = diffSnapshots(
        { ruleset: marks[i - 1]!.ruleset, takenAtMs: marks[i - 1]!.takenAt.getTime() },
        { ruleset: marks[i]!.ruleset, takenAtMs: marks[i]!.takenAt.getTime() },
      );
      const w = d.service(TARGET, 'ipv4')!;
      expect(w.deltaPackets).toBe(20);
      expect(w.packetRate!).toBeGreaterThan(0);
      expect(w.countedSinceLast).toBe(true);
      for (const id of OTHERS) expect(d.service(id, 'ipv4')!.packetRate, id).toBe(0);
    }

    const window = snaps.slice(before - 1);
    expect(window.length).toBeGreaterThanOrEqual(2);
    const diffs: CounterDiff[] = [];
    for (let i = 1; i < window.length; i++) {
      diffs.push(
        diffSnapshots(
          { ruleset: window[i - 1]!.ruleset, takenAtMs: window[i - 1]!.takenAt.getTime() },
          { ruleset: window[i]!.ruleset, takenAtMs: window[i]!.takenAt.getTime() },
        ),
      );
    }
    let total = 0;
    for (const d of diffs) {
      const w = d.service(TARGET, 'ipv4')!;
      expect(w.state).toBe('ok');
      total += w.deltaPackets!;
      expect(w.countedSinceLast).toBe(w.deltaPackets! > 0);
      if (w.deltaPackets! > 0) expect(w.packetRate!).toBeGreaterThan(0);
      for (const id of OTHERS) {
        const o = d.service(id, 'ipv4')!;
        expect(o.state, id).toBe('ok');
        expect(o.deltaPackets, id).toBe(0);
        expect(o.packetRate, id).toBe(0);
        expect(o.countedSinceLast, id).toBe(false);
      }
    }
    // Refresh by refresh: the 60 connections in all, and a non-zero rate while they ran.
    expect(total).toBe(60);
    expect(diffs.some((d) => (d.service(TARGET, 'ipv4')!.packetRate ?? 0) > 0)).toBe(true);
    // The rate is the delta over the real time between the two snapshots.
    for (const d of diffs) {
      const w = d.service(TARGET, 'ipv4')!;
      expect(w.packetRate!).toBeCloseTo(w.deltaPackets! / d.intervalSeconds!, 9);
    }
    // And the last snapshot agrees with the kernel.
    const last = buildKubeModel(window.at(-1)!.ruleset).services.find((s) => s.id === TARGET)!;
    const kernel = last.endpoints.reduce((n, e) => n + kernelDnatPackets(topo.nodeNs, e.chain), 0);
    expect(last.packets).toBe(kernel);
    expect(kernel).toBe(90);
  }, 120_000);
});
