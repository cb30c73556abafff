/**
 * `kubechains conns` against a real kernel, for one ruleset mode (iptables or nftables; the same
 * generated cluster, connsClusterSpec): a node namespace with kube-proxy's rules, four endpoints
 * that really answer (held-listener.mjs), and long-lived TCP connections held open from the
 * external client (to the node port and the LoadBalancer IP), from a pod and from the node itself
 * (to the cluster IP). Then:
 *
 * (a) `conns --json --conntrack-cmd 'ip netns exec NODE conntrack -L'`, the rules read from the
 *     kernel (`--source-cmd`): each endpoint's connections are exactly the ones its listener
 *     accepted, all ESTABLISHED, and `masqueraded` is what the kernel did, read two ways: the
 *     conntrack entry's reply destination against its original source, and the peer address the
 *     endpoint saw against the client's own address;
 * (b) the same table captured to a file (`conntrack -L` with its trailer, `-o extended`,
 *     /proc/net/nf_conntrack) and read with `--conntrack FILE` and `--conntrack -`: the same answer;
 * (c) the client closes every connection first: a refresh shows them all in TIME_WAIT (the node
 *     namespace's own TIME_WAIT timeout, a per-namespace sysctl, is shortened), later refreshes
 *     show them gone as the kernel expires them; the explorer's conntrack poller, on the same
 *     command all along, sees the same: all ESTABLISHED, all TIME_WAIT, none.
 *
 * conntrack is read from the node namespace only; kubechains is never asked to change it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeConnections, buildDumpModel, parseDump } from '../../src/core/index.js';
import { generateKubeProxyNftables, generateKubeProxyRules } from '../../src/gen/kubeproxy.js';
import { createConntrackPoller } from '../../src/sources/conntrack.js';
import { runProcess, type RunResult } from '../cli/harness.js';
import { inNs, routeSource } from './exec.js';
import { HeldConnections, HeldListener, type HeldConnection } from './held.js';
import { NFT_TOOL, Topology, conntrackFlush, conntrackList, kernelGate, loadRuleset, type ConntrackEntry } from './netns.js';
import { nftLoad } from './nft-scenario.js';
import { CONNS_IDLE, CONNS_TARGET, NODE_IP, connsClusterSpec } from './specs.js';

const SPEC = connsClusterSpec();
const WEB = SPEC.services.find((s) => `${s.namespace}/${s.name}` === CONNS_TARGET)!;
const CLUSTER_IP = WEB.clusterIP;
const LB_IP = WEB.loadBalancerIPs![0]!;
const NODE_PORT = WEB.ports[0]!.nodePort!;
const TARGET_PORT = 8080;
const POD_CLIENT = '10.64.2.250';
/** The node namespace's conntrack TIME_WAIT timeout during the test: long enough for one refresh, short enough to wait out. */
const TIME_WAIT_SECONDS = 15;

/** Held connections per source, and what each dials. */
const PLAN = {
  clientNodePort: 12,
  clientLoadBalancer: 6,
  pod: 12,
  node: 12,
} as const;

export interface ConnsMode {
  readonly name: 'iptables' | 'nftables';
  /** Namespace tag (netns.ts: 1-8 of [a-z0-9]). */
  readonly tag: string;
  /** Loads the cluster's rules into the node namespace. */
  load(nodeNs: string): void;
  /** The program and arguments that dump the node's rules from the kernel (run in its namespace). */
  readonly rules: readonly string[];
}

/** The --source-cmd that dumps the node's rules. */
const rulesCommand = (mode: ConnsMode, nodeNs: string): string => `ip netns exec ${nodeNs} ${mode.rules.join(' ')}`;

export const IPTABLES_MODE: ConnsMode = {
  name: 'iptables',
  tag: 'cti',
  load: (ns) => loadRuleset(ns, generateKubeProxyRules(SPEC, { form: 'restore' })),
  rules: ['iptables-save', '-c'],
};

export const NFTABLES_MODE: ConnsMode = {
  name: 'nftables',
  tag: 'ctn',
  load: (ns) => nftLoad(ns, generateKubeProxyNftables(SPEC)),
  rules: ['nft', '-j', 'list', 'ruleset'],
};

interface EndpointJson {
  address: string;
  connections: number;
  states: Record<string, number>;
  masqueraded: number;
}
interface ServiceJson {
  id: string;
  connections: number;
  endpoints: EndpointJson[];
}
interface ConnsJson {
  services: ServiceJson[];
  unmatched: number;
}

/** What one held connection looks like to the kernel and to its endpoint. */
interface Observed {
  readonly source: string;
  readonly conn: HeldConnection;
  readonly entry: ConntrackEntry;
  readonly masqueradedInConntrack: boolean;
  readonly masqueradedAtEndpoint: boolean;
}

const hostOf = (hostPort: string): string => hostPort.replace(/^\[(.*)\]:\d+$/, '$1').replace(/:\d+$/, '');
const endpointAddress = (ip: string, port: number) => `${ip}:${port}`;

function parseConns(r: RunResult, what: string): ConnsJson {
  expect(r.code, `${what}: exit code (stderr: ${r.stderr})`).toBe(0);
  return JSON.parse(r.stdout) as ConnsJson;
}

/** A service's endpoints by address; an endpoint or service the JSON leaves out has no connections. */
/** A states record with its keys in one order, to compare counts and not the order they were met in. */
function sortedStates(states: Record<string, number>): Array<[string, number]> {
  return Object.entries(states).sort(([a], [b]) => a.localeCompare(b));
}

function endpointsOf(json: ConnsJson, id: string): Map<string, EndpointJson> {
  const s = json.services.find((x) => x.id === id);
  return new Map((s?.endpoints ?? []).map((e) => [e.address, e]));
}

export function connsSuite(mode: ConnsMode): void {
  const gate = kernelGate(mode.name === 'nftables' ? [NFT_TOOL] : []);

  describe.skipIf(gate.skip)(gate.title(`conns on a real kernel (${mode.name} rules)`), () => {
    let topo: Topology;
    let listener: HeldListener | null = null;
    const held: Array<{ source: string; set: HeldConnections }> = [];
    let dir = '';
    let conntrackCmd = '';
    let baseArgs: string[] = [];
    /** (c)'s conntrack poller, stopped after the suite should (c) fail half-way. */
    let poller: { stop(): Promise<void> } | null = null;
    /** Filled by (a): every held connection as the kernel and its endpoint saw it. */
    let observed: Observed[] = [];

    const conns = (extra: readonly string[], stdin?: string): Promise<RunResult> =>
      runProcess(['conns', '--json', ...baseArgs, ...extra], stdin === undefined ? {} : { stdin });

    beforeAll(async () => {
      gate.assertAvailable();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-conns-'));
      topo = Topology.create({ tag: mode.tag });
      topo.setPodClientAddress(POD_CLIENT);
      topo.addPodAddresses(SPEC.services.flatMap((s) => s.endpoints.map((e) => e.ip)));
      topo.routeFromClient([`${CLUSTER_IP}/32`, `${LB_IP}/32`]);
      mode.load(topo.nodeNs);
      conntrackFlush(topo.nodeNs);
      // Per network namespace (the host's own value is untouched): entries leave TIME_WAIT soon.
      inNs(topo.nodeNs, 'sysctl', ['-qw', `net.netfilter.nf_conntrack_tcp_timeout_time_wait=${TIME_WAIT_SECONDS}`]);
      conntrackCmd = `ip netns exec ${topo.nodeNs} conntrack -L`;
      baseArgs = ['--source-cmd', rulesCommand(mode, topo.nodeNs), '--node-ip', NODE_IP];

      listener = await HeldListener.start(topo.podNs, [TARGET_PORT]);
      const clientSrc = topo.clientAddresses[0]!;
      held.push({
        source: 'client',
        set: await HeldConnections.open(topo.clientNs, clientSrc, [
          { ip: NODE_IP, port: NODE_PORT, count: PLAN.clientNodePort },
          { ip: LB_IP, port: 80, count: PLAN.clientLoadBalancer },
        ]),
      });
      held.push({ source: 'pod', set: await HeldConnections.open(topo.podClientNs, POD_CLIENT, [{ ip: CLUSTER_IP, port: 80, count: PLAN.pod }]) });
      held.push({
        source: 'node',
        set: await HeldConnections.open(topo.nodeNs, routeSource(topo.nodeNs, CLUSTER_IP), [{ ip: CLUSTER_IP, port: 80, count: PLAN.node }]),
      });
    }, 180_000);

    afterAll(async () => {
      await poller?.stop();
      for (const h of held) h.set.stop();
      listener?.stop();
      topo?.destroy();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const allConnections = () => held.flatMap((h) => h.set.connections.map((conn) => ({ source: h.source, conn })));

    it('(a) conns --conntrack-cmd: each endpoint has exactly the connections the kernel made to it, ESTABLISHED, masqueraded as the kernel did', async () => {
      for (const h of held) expect(h.set.failures, h.source).toEqual([]);
      const total = PLAN.clientNodePort + PLAN.clientLoadBalancer + PLAN.pod + PLAN.node;
      expect(allConnections()).toHaveLength(total);

      // The listener's own account: what it accepted, from which peer, is what the clients were told.
      await listener!.accepted(total);
      const accepted = listener!.openConnections().map((e) => `${e.local} ${e.peer}`).sort();
      expect(accepted).toEqual(allConnections().map(({ conn }) => `${conn.answeredBy} ${conn.peer}`).sort());

      // The kernel's table, read independently of kubechains: one entry per held connection.
      const table = conntrackList(topo.nodeNs);
      observed = allConnections().map(({ source, conn }) => {
        const [dstIp, dport] = [hostOf(conn.dst), Number(conn.dst.slice(conn.dst.lastIndexOf(':') + 1))];
        const found = table.filter((e) => e.protocol === 'tcp' && e.orig.src === conn.src && e.orig.sport === conn.sport && e.orig.dst === dstIp && e.orig.dport === dport);
        expect(found, `conntrack entry of ${conn.src}:${conn.sport} -> ${conn.dst}`).toHaveLength(1);
        const entry = found[0]!;
        // The entry's reply source is the endpoint that accepted.
        expect(endpointAddress(entry.reply.src, entry.reply.sport!)).toBe(conn.answeredBy);
        const masqueradedInConntrack = entry.reply.dst !== entry.orig.src;
        const masqueradedAtEndpoint = hostOf(conn.peer) !== conn.src;
        // The two views of the kernel's decision agree, connection by connection.
        expect(masqueradedAtEndpoint, `${source} ${conn.src}:${conn.sport} -> ${conn.dst}`).toBe(masqueradedInConntrack);
        return { source, conn, entry, masqueradedInConntrack, masqueradedAtEndpoint };
      });
      // Whatever else the table holds (nothing, normally; `conntrack -L` lists both families) is unmatched.
      const unrelated = table.length - observed.length;

      const r = await conns(['--conntrack-cmd', conntrackCmd]);
      const json = parseConns(r, 'conns --conntrack-cmd');
      const web = endpointsOf(json, CONNS_TARGET);
      const lines: string[] = [];
      let masqueradedTotal = 0;
      for (const e of WEB.endpoints) {
        const address = endpointAddress(e.ip, TARGET_PORT);
        const mine = observed.filter((o) => o.conn.answeredBy === address);
        const masqueraded = mine.filter((o) => o.masqueradedInConntrack).length;
        masqueradedTotal += masqueraded;
        const got = web.get(address);
        lines.push(
          `${address}: listener ${mine.length} (${['client', 'pod', 'node'].map((s) => `${s} ${mine.filter((o) => o.source === s).length}`).join(', ')}), ` +
            `masqueraded ${masqueraded}; kubechains ${got?.connections ?? 0} ${JSON.stringify(got?.states ?? {})} masqueraded ${got?.masqueraded ?? 0}`,
        );
        expect(got?.connections ?? 0, `${address} connections`).toBe(mine.length);
        expect(got?.states ?? {}, `${address} states`).toEqual(mine.length > 0 ? { ESTABLISHED: mine.length } : {});
        expect(got?.masqueraded ?? 0, `${address} masqueraded (conntrack)`).toBe(masqueraded);
        expect(got?.masqueraded ?? 0, `${address} masqueraded (endpoint's peer)`).toBe(mine.filter((o) => o.masqueradedAtEndpoint).length);
      }
      const addresses = WEB.endpoints.map((e) => endpointAddress(e.ip, TARGET_PORT));
      for (const a of web.keys()) expect(addresses, 'an endpoint kc/web does not have').toContain(a);
      expect(json.services.find((s) => s.id === CONNS_TARGET)?.connections).toBe(total);
      for (const e of endpointsOf(json, CONNS_IDLE).values()) expect(e.connections, `${CONNS_IDLE} ${e.address}`).toBe(0);
      expect(json.unmatched).toBe(unrelated);
      const bySource = ['client', 'pod', 'node'].map((s) => {
        const of = observed.filter((o) => o.source === s);
        return `${s} ${of.filter((o) => o.masqueradedInConntrack).length}/${of.length}`;
      });
      console.log(`conns (${mode.name}), ${total} held connections; masqueraded by source: ${bySource.join(', ')}; unmatched ${json.unmatched}\n${lines.join('\n')}`);
      // The split really spread them, and the run saw both masqueraded and direct connections.
      expect([...web.values()].filter((e) => e.connections > 0).length).toBeGreaterThan(1);
      expect(masqueradedTotal).toBeGreaterThan(0);
      expect(masqueradedTotal).toBeLessThan(total);
    }, 120_000);

    it('(b) the same table captured to a file (plain with trailer, -o extended, /proc/net/nf_conntrack) and on stdin: the same answer', async () => {
      expect(observed.length).toBeGreaterThan(0);
      const reference = parseConns(await conns(['--conntrack-cmd', conntrackCmd]), 'conns --conntrack-cmd');
      const plain = inNs(topo.nodeNs, 'conntrack', ['-L']);
      const trailer = `conntrack v1.4.7 (conntrack-tools): ${plain.split('\n').filter((l) => l.trim() !== '').length} flow entries have been shown.\n`;
      const captures: Record<string, string> = {
        'conntrack -L (and its trailer)': plain + trailer,
        'conntrack -L -o extended': inNs(topo.nodeNs, 'conntrack', ['-L', '-o', 'extended']),
        '/proc/net/nf_conntrack': inNs(topo.nodeNs, 'cat', ['/proc/net/nf_conntrack']),
      };
      const answer = (j: ConnsJson) => ({ services: j.services, unmatched: j.unmatched });
      for (const [what, text] of Object.entries(captures)) {
        expect(text, what).toContain(`sport=${TARGET_PORT}`);
        const file = path.join(dir, `${what.replace(/[^a-z]+/g, '-')}.txt`);
        fs.writeFileSync(file, text, { mode: 0o600 });
        const fromFile = await conns(['--conntrack', file]);
        expect(fromFile.stderr, what).toBe('');
        expect(answer(parseConns(fromFile, `--conntrack ${what}`)), what).toEqual(answer(reference));
      }
      const fromStdin = await conns(['--conntrack', '-'], plain);
      expect(answer(parseConns(fromStdin, '--conntrack -')), 'stdin').toEqual(answer(reference));
    }, 120_000);

    it('(c) after the client closes first: a refresh shows every connection in TIME_WAIT, then gone; the conntrack poller sees the same', async () => {
      expect(observed.length).toBeGreaterThan(0);
      const before = parseConns(await conns(['--conntrack-cmd', conntrackCmd]), 'conns before close');
      // The explorer's conntrack poller on the same command all along, each table attributed as
      // the explorer does, against the rules read from the kernel.
      const model = buildDumpModel(parseDump(inNs(topo.nodeNs, mode.rules[0]!, mode.rules.slice(1))));
      const polled: Array<{ at: number; connections: number; states: Record<string, number> }> = [];
      const pollErrors: string[] = [];
      const tables = createConntrackPoller({ spec: { kind: 'command', command: conntrackCmd }, intervalSeconds: 0.5 });
      poller = tables;
      let onSnapshot: (() => void) | null = null;
      tables.subscribe((e) => {
        if (e.type === 'error') pollErrors.push(e.error.message);
        if (e.type !== 'snapshot') return;
        const web = attributeConnections(model, e.snapshot.table, { nodeAddresses: [NODE_IP] }).byId.get(CONNS_TARGET)!;
        const states: Record<string, number> = {};
        for (const ep of web.endpoints) for (const [k, n] of Object.entries(ep.states)) states[k] = (states[k] ?? 0) + n;
        polled.push({ at: e.snapshot.takenAt.getTime(), connections: web.connections, states });
        onSnapshot?.();
      });
      const nextPolled = () => new Promise<void>((resolve) => (onSnapshot = resolve));
      tables.start();
      await nextPolled();
      const closedAt = Date.now();
      await Promise.all(held.map((h) => h.set.close()));
      // The endpoint closes last, on the client's final ACK: once it has, the node saw that ACK.
      await listener!.allClosed();

      const r = await conns(['--conntrack-cmd', conntrackCmd]);
      // The kernel's own view right after, read independently of kubechains: the reference.
      const ours = (t: readonly ConntrackEntry[]) =>
        t.filter((x) => observed.some((o) => o.entry.orig.src === x.orig.src && o.entry.orig.sport === x.orig.sport && o.entry.orig.dst === x.orig.dst));
      const kernelNow = ours(conntrackList(topo.nodeNs));
      const elapsed = (Date.now() - closedAt) / 1000;
      expect(elapsed, 'the refresh came after the TIME_WAIT timeout: nothing left to see').toBeLessThan(TIME_WAIT_SECONDS);
      expect(kernelNow).toHaveLength(observed.length);
      // The client closed first, so the kernel ends them in TIME_WAIT; the only other ending seen
      // (rarely, on a machine loaded to the full) is one the kernel saw reset: CLOSE.
      for (const x of kernelNow) expect(['TIME_WAIT', 'CLOSE'], `${x.orig.src}:${x.orig.sport}`).toContain(x.state);
      const reset = kernelNow.filter((x) => x.state === 'CLOSE').length;
      expect(reset, 'connections the kernel saw reset rather than closed').toBeLessThanOrEqual(Math.floor(observed.length / 10));
      const closing = parseConns(r, 'conns after close');
      const was = endpointsOf(before, CONNS_TARGET);
      const now = endpointsOf(closing, CONNS_TARGET);
      for (const e of WEB.endpoints) {
        const address = endpointAddress(e.ip, TARGET_PORT);
        const n = observed.filter((o) => o.conn.answeredBy === address).length;
        const kernelStates: Record<string, number> = {};
        for (const x of kernelNow) if (endpointAddress(x.reply.src, x.reply.sport!) === address) kernelStates[x.state!] = (kernelStates[x.state!] ?? 0) + 1;
        expect(now.get(address)?.connections ?? 0, `${address} connections`).toBe(n);
        // Order aside: the kernel lists entries in hash order, kubechains keeps states in the order met.
        expect(sortedStates(now.get(address)?.states ?? {}), `${address} states`).toEqual(sortedStates(kernelStates));
        expect(now.get(address)?.masqueraded ?? 0, `${address} masqueraded`).toBe(was.get(address)?.masqueraded ?? 0);
      }

      // Then gone, as the kernel expires them: refresh until the service has no connections left.
      const deadline = Date.now() + (TIME_WAIT_SECONDS + 45) * 1000;
      let refreshes = 0;
      let last = closing;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        last = parseConns(await conns(['--conntrack-cmd', conntrackCmd]), 'conns while expiring');
        refreshes++;
        const left = [...endpointsOf(last, CONNS_TARGET).values()];
        // While they expire, nothing but TIME_WAIT (and a reset one's CLOSE): no entry goes anywhere else on the way out.
        for (const e of left) for (const state of Object.keys(e.states)) expect(['TIME_WAIT', 'CLOSE'], e.address).toContain(state);
        if (left.every((e) => e.connections === 0)) break;
        if (Date.now() > deadline) throw new Error(`still ${left.reduce((n, e) => n + e.connections, 0)} connections after ${refreshes} refreshes`);
      }
      expect(ours(conntrackList(topo.nodeNs))).toEqual([]);
      expect(last.services.find((s) => s.id === CONNS_TARGET)?.connections ?? 0).toBe(0);

      // The poller saw the same story: all ESTABLISHED, then all TIME_WAIT, then none.
      const goneAt = Date.now();
      while (polled.at(-1)!.at < goneAt) await nextPolled();
      await tables.stop();
      expect(pollErrors).toEqual([]);
      const n = observed.length;
      expect(polled[0]).toMatchObject({ connections: n, states: { ESTABLISHED: n } });
      const allTimeWait = polled.findIndex((p) => p.connections === n && (p.states.TIME_WAIT ?? 0) + (p.states.CLOSE ?? 0) === n && (p.states.CLOSE ?? 0) <= reset);
      expect(allTimeWait, JSON.stringify(polled.map((p) => p.states))).toBeGreaterThan(0);
      for (let i = allTimeWait + 1; i < polled.length; i++) {
        expect(Object.keys(polled[i]!.states).filter((k) => k !== 'TIME_WAIT' && k !== 'CLOSE')).toEqual([]);
        expect(polled[i]!.connections).toBeLessThanOrEqual(polled[i - 1]!.connections);
      }
      expect(polled.at(-1)!.connections).toBe(0);
      console.log(
        `conns (${mode.name}): TIME_WAIT read ${elapsed.toFixed(1)} s after closing (${reset} reset by the kernel: CLOSE); gone after ${refreshes} more refreshes (${((goneAt - closedAt) / 1000).toFixed(1)} s); ` +
          `the poller read ${polled.length} tables, all in TIME_WAIT from table ${allTimeWait + 1} on`,
      );
    }, 180_000);
  });
}
