/**
 * nftables counters on a real nf_tables kernel. kube-proxy writes no `counter` statement; a user
 * who adds one before each endpoint chain's `dnat` gets per-endpoint packet counts, and kubechains
 * must show (and diff) them as it does iptables' counters. A kube-proxy-shaped ruleset from our
 * generator (four ClusterIP services, endpoints in the pod namespace), with `counter` inserted
 * before every `dnat to`, is loaded with `nft -f` into the node namespace; real TCP connections go
 * from the client namespace to ONE service; then:
 *
 * (a) the real CLI (`services --json --source-cmd 'ip netns exec NODE nft -j list ruleset'`):
 *     each endpoint's packets equal the kernel's counter of its dnat rule (read independently,
 *     `nft list chain` per endpoint chain) and the connections conntrack shows DNATed to it; the
 *     service's packets their sum (nat sees a connection's first packet only). kubechains and the
 *     kernel's counter agree exactly; the counter may exceed the connections by as many SYNs as
 *     the client retransmitted (conntrack.ts synRetransmits: a SYN lost before conntrack
 *     confirmed it is a new connection to netfilter), never fall short;
 * (b) two snapshots read through the same command around a second batch: the counters diff gives
 *     that service a delta of the batch (bounded the same way) and a non-zero rate, every other service 0, and
 *     the text form (`nft list ruleset`) gives the same counts as the JSON form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffSnapshots } from '../../src/core/counters/index.js';
import { buildNftKubeModel, parseNftables } from '../../src/core/nft/index.js';
import { generateKubeProxyNftables } from '../../src/gen/kubeproxy.js';
import { loadSnapshot } from '../../src/sources/index.js';
import { runProcess } from '../cli/harness.js';
import { inNs } from './exec.js';
import { NFT_TOOL, Topology, conntrackList, connect, kernelGate, synRetransmits, type ConnectAttempt } from './netns.js';
import { installNftRuleset, nftListRuleset, type NftClusterUnderTest } from './nft-scenario.js';
import { LIVE_COUNTERS_OTHERS as OTHERS, LIVE_COUNTERS_TARGET as TARGET, liveCountersClusterSpec } from './specs.js';

const gate = kernelGate([NFT_TOOL]);

const SPEC = liveCountersClusterSpec();
const WEB_IP = '10.32.0.41';
const FIRST_BATCH = 30;
const SECOND_BATCH = 20;

/** kube-proxy's transaction with a `counter` before each endpoint chain's `dnat to` (the only rules that DNAT). */
function withDnatCounters(transaction: string): string {
  const out = transaction.replace(/ dnat to /g, ' counter dnat to ');
  if (out === transaction) throw new Error('no dnat rule in the transaction');
  return out;
}

interface ServiceJson {
  id: string;
  packets: number | null;
  bytes: number | null;
  endpoints: { address: string; chain: string; packets: number | null; bytes: number | null }[];
}

/** The kernel's own count of an endpoint chain's dnat rule, from `nft list chain` (not from the ruleset listing kubechains reads). */
function kernelDnatCounter(ns: string, chain: string): { packets: number; bytes: number } {
  const out = inNs(ns, 'nft', ['list', 'chain', 'ip', 'kube-proxy', chain]);
  const rows = [...out.matchAll(/counter packets (\d+) bytes (\d+) dnat to /g)];
  if (rows.length !== 1) throw new Error(`${chain}: expected one counted dnat rule, got:\n${out}`);
  return { packets: Number(rows[0]![1]), bytes: Number(rows[0]![2]) };
}

/** `count` connections to web; the SYNs the client had to send again meanwhile (0 on a quiet machine). */
async function dialWeb(clientNs: string, count: number, parallel: number): Promise<{ attempts: ConnectAttempt[]; retransmits: number }> {
  const before = synRetransmits(clientNs);
  const attempts = await connect(clientNs, WEB_IP, 80, { count, parallel });
  return { attempts, retransmits: synRetransmits(clientNs) - before };
}

/** A DNAT counter against the connections: equal, or above by at most the retransmitted SYNs. */
function expectCountsConnections(counter: number, connections: number, retransmits: number, what: string): void {
  expect(counter, what).toBeGreaterThanOrEqual(connections);
  expect(counter - connections, `${what}: counts beyond the connections (${retransmits} SYNs retransmitted)`).toBeLessThanOrEqual(retransmits);
}

/** Per endpoint ("ip:port"), the connections conntrack shows DNATed there among `attempts` (matched by source port). */
function conntrackDnats(ns: string, attempts: readonly ConnectAttempt[], dst: string, dport: number): Map<string, number> {
  const entries = conntrackList(ns).filter((e) => e.protocol === 'tcp' && e.orig.dst === dst && e.orig.dport === dport);
  const per = new Map<string, number>();
  for (const a of attempts) {
    const e = entries.find((x) => x.orig.src === a.src && x.orig.sport === a.sport);
    if (!e) throw new Error(`no conntrack entry for ${a.src}:${a.sport} -> ${dst}:${dport}`);
    const at = `${e.reply.src}:${e.reply.sport}`;
    per.set(at, (per.get(at) ?? 0) + 1);
  }
  return per;
}

describe.skipIf(gate.skip)(gate.title('nftables counters on a real kernel'), () => {
  let topo: Topology;
  let sourceCmd = '';
  const cut: NftClusterUnderTest = { name: 'counted dnat rules', specs: [SPEC], podClientAddress: '10.64.2.250', edit: withDnatCounters };
  // The model of what is loaded, for the service's address and endpoint chains (the kernel's listing gives the same).
  const model = buildNftKubeModel(parseNftables(withDnatCounters(generateKubeProxyNftables(SPEC))));
  const web = model.services.find((s) => s.id === TARGET)!;

  beforeAll(async () => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'nlc' });
    const installed = await installNftRuleset(topo, cut);
    // The kernel took the counters: every dnat rule shows one, at zero.
    expect(installed.listing.text.match(/counter packets 0 bytes 0 dnat to /g)?.length).toBe(8);
    sourceCmd = `ip netns exec ${topo.nodeNs} nft -j list ruleset`;
  }, 180_000);

  afterAll(() => {
    topo?.destroy();
  });

  it('(a) services --json --source-cmd "nft -j list ruleset": each endpoint counts what the kernel counted and conntrack DNATed', async () => {
    expect(web.clusterIP).toBe(WEB_IP);
    const { attempts, retransmits } = await dialWeb(topo.clientNs, FIRST_BATCH, 4);
    expect(attempts.filter((a) => a.result !== 'connected')).toEqual([]);
    expect(new Set(attempts.map((a) => a.answeredBy)).size).toBeGreaterThan(1); // numgen really spread them
    const dnats = conntrackDnats(topo.nodeNs, attempts, WEB_IP, 80);

    const r = await runProcess(['services', '--json', '--source-cmd', sourceCmd]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const services = (JSON.parse(r.stdout) as { services: ServiceJson[] }).services;
    expect(services.map((s) => s.id).sort()).toEqual([TARGET, ...OTHERS].sort());
    const lines: string[] = [];
    for (const s of services) {
      let sum = 0;
      for (const e of s.endpoints) {
        const kernel = kernelDnatCounter(topo.nodeNs, e.chain);
        expect(e.packets, `${s.id} ${e.address} (${e.chain})`).toBe(kernel.packets);
        expect(e.bytes, `${s.id} ${e.address} bytes`).toBe(kernel.bytes);
        if (s.id === TARGET) {
          expectCountsConnections(e.packets!, dnats.get(e.address) ?? 0, retransmits, `${e.address}: conntrack`);
          expectCountsConnections(e.packets!, attempts.filter((a) => a.answeredBy === e.address).length, retransmits, `${e.address}: listener`);
        }
        lines.push(`${s.id} ${e.address}: kubechains ${e.packets}, kernel ${kernel.packets}, conntrack ${s.id === TARGET ? (dnats.get(e.address) ?? 0) : '-'}`);
        sum += kernel.packets;
      }
      expect(s.packets, s.id).toBe(sum);
    }
    console.log(`nft counters, ${FIRST_BATCH} connections to ${TARGET} (${retransmits} SYNs retransmitted):\n${lines.join('\n')}`);
    const byId = new Map(services.map((s) => [s.id, s]));
    expectCountsConnections(byId.get(TARGET)!.packets!, FIRST_BATCH, retransmits, TARGET);
    for (const id of OTHERS) expect(byId.get(id)!.packets, id).toBe(0);
  }, 120_000);

  it('(b) the diff of two snapshots around a batch: the batch on that service (more only by retransmitted SYNs), 0 elsewhere; text and JSON forms agree', async () => {
    const spec = { kind: 'command', command: sourceCmd } as const;
    const before = await loadSnapshot(spec);
    expect(before.nft?.form).toBe('json');
    expect(before.nft?.hasCounters).toBe(true);
    const { attempts, retransmits } = await dialWeb(topo.clientNs, SECOND_BATCH, 2);
    expect(attempts.filter((a) => a.result !== 'connected')).toEqual([]);
    const after = await loadSnapshot(spec);
    const diff = diffSnapshots(
      { ruleset: before.ruleset, nft: before.nft, takenAtMs: before.takenAt.getTime() },
      { ruleset: after.ruleset, nft: after.nft, takenAtMs: after.takenAt.getTime() },
    );
    const w = diff.service(TARGET, 'ipv4')!;
    expect(w.state).toBe('ok');
    expectCountsConnections(w.deltaPackets!, SECOND_BATCH, retransmits, `${TARGET} delta`);
    // The totals: what the first snapshot had, plus the delta.
    const previousTotal = buildNftKubeModel(before.nft!).services.find((s) => s.id === TARGET)!.packets!;
    expect(previousTotal).toBeGreaterThanOrEqual(FIRST_BATCH);
    expect(w.packets).toBe(previousTotal + w.deltaPackets!);
    expect(w.packetRate!).toBeCloseTo(w.deltaPackets! / diff.intervalSeconds!, 9);
    expect(w.packetRate!).toBeGreaterThan(0);
    expect(w.countedSinceLast).toBe(true);
    // Per endpoint: the batch's connections conntrack DNATed there.
    const dnats = conntrackDnats(topo.nodeNs, attempts, WEB_IP, 80);
    for (const e of w.endpoints) expectCountsConnections(e.deltaPackets!, dnats.get(e.endpoint.address!) ?? 0, retransmits, e.endpoint.address!);
    for (const id of OTHERS) {
      const o = diff.service(id, 'ipv4')!;
      expect([o.state, o.deltaPackets, o.packetRate, o.countedSinceLast], id).toEqual(['ok', 0, 0, false]);
    }
    // Every counted rule that moved is one of that service's dnat rules.
    const moved = diff.countedRules().map((d) => d.rule.chain).sort();
    expect(moved).toEqual(w.endpoints.filter((e) => e.deltaPackets! > 0).map((e) => e.endpoint.chain).sort());

    // The text listing reads the same counts as the JSON one.
    const text = buildNftKubeModel(parseNftables(nftListRuleset(topo.nodeNs, 'text')));
    const fromJson = buildNftKubeModel(after.nft!);
    const counts = (m: typeof text) => m.services.map((s) => [s.id, s.packets, s.endpoints.map((e) => e.packets)]);
    expect(counts(text)).toEqual(counts(fromJson));
  }, 120_000);
});
