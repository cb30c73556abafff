/**
 * The old layout (kube-proxy v1.22, fixtures/old-layout.save from fixtures/src/old-layout.rules)
 * without root: node-port traffic of an externalTrafficPolicy: Local service through KUBE-XLB-…,
 * with a local endpoint (default/local-np: straight to it, client address kept) and without one
 * (default/remote-np: KUBE-MARK-DROP, then kubelet's KUBE-FIREWALL drops it); the exceptions XLB
 * makes for pods and for the node itself (to the whole service); and load-balancer traffic through
 * KUBE-FW-… with its source ranges, on a node that holds the LB address and on one that forwards it.
 * Outcomes, probabilities, paths and reasons are what the kernel does with these rules.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { parseErrors, parseIptablesSave } from '../../src/core/parse/index.js';
import { tracePacket, type Outcome, type TraceResult } from '../../src/core/trace/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { steps } from './helpers.js';

const rs = parseIptablesSave(fs.readFileSync(path.join(fixturesDir, 'old-layout.save'), 'utf8'));
const nodes = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'nodes.json'), 'utf8')) as Record<string, { nodeIPs: string[] }>;
const NODE = nodes['old-layout.save']!.nodeIPs;
const NODE_IP = '192.168.10.11';
const CLIENT = '203.0.113.50';
const POD = '10.244.1.50';
const LB = '203.0.113.10';

const XLB_LOCAL = 'KUBE-XLB-QJQ42ZBOL65WTBBW';
const SVC_LOCAL = 'KUBE-SVC-QJQ42ZBOL65WTBBW';
const XLB_REMOTE = 'KUBE-XLB-OHX3GKRUED7TEZY3';
const SVC_REMOTE = 'KUBE-SVC-OHX3GKRUED7TEZY3';
const FW = 'KUBE-FW-KMOEDJLBXLV3OTMX';
const SVC_WEB = 'KUBE-SVC-KMOEDJLBXLV3OTMX';

function trace(src: string, dst: string, dport: number, local: readonly string[] = NODE): TraceResult {
  const r = tracePacket(rs, { protocol: 'tcp', src, dst, dport }, { localAddresses: local });
  expect(r.error).toBeUndefined();
  expect(r.outcomes.reduce((s, o) => s + o.probability, 0)).toBeCloseTo(1, 12);
  for (const o of r.outcomes) expect(o.assumptions).toEqual([]);
  return r;
}

/** The nat steps as "CHAIN#rule>TARGET", up to and including the DNAT (all of them without one). */
function natSteps(o: Outcome): string[] {
  const nat = steps(o).filter((s) => s.startsWith('nat '));
  const dnat = nat.findIndex((s) => s.endsWith('>DNAT'));
  return (dnat < 0 ? nat : nat.slice(0, dnat + 1)).map((s) => s.slice(4));
}

describe('old layout: the model', () => {
  it('parses cleanly and sees both node ports as externalTrafficPolicy: Local with their XLB chains', () => {
    expect(parseErrors(rs)).toEqual([]);
    expect(NODE).toEqual([NODE_IP]);
    const model = buildKubeModel(rs);
    const local = model.services.find((s) => s.id === 'default/local-np')!;
    const remote = model.services.find((s) => s.id === 'default/remote-np')!;
    expect(local).toMatchObject({ externalTrafficPolicy: 'Local', chains: { svc: SVC_LOCAL, xlb: XLB_LOCAL } });
    expect(remote).toMatchObject({ externalTrafficPolicy: 'Local', chains: { svc: SVC_REMOTE, xlb: XLB_REMOTE } });
    // local-np's endpoint on this node is the one its XLB chain jumps to; remote-np has none here.
    expect(local.endpoints.map((e) => [e.address, e.local])).toEqual([
      ['10.244.1.23:80', true],
      ['10.244.2.24:80', false],
    ]);
    expect(remote.endpoints.map((e) => [e.address, e.local])).toEqual([['10.244.3.25:80', false]]);
  });
});

describe('old layout: node port through KUBE-XLB', () => {
  it('with a local endpoint: straight to it, certainly, the client address kept', () => {
    const r = trace(CLIENT, NODE_IP, 30081);
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(natSteps(o)).toEqual([
      'PREROUTING#1>KUBE-SERVICES',
      'KUBE-SERVICES#11>KUBE-NODEPORTS',
      // Rule 2 (-s 127.0.0.0/8, masquerade) does not match an outside client.
      `KUBE-NODEPORTS#3>${XLB_LOCAL}`,
      // Not from a pod, not from the node: the local endpoint, no statistic split.
      `${XLB_LOCAL}#4>KUBE-SEP-IH3473SLQYIBPKDV`,
      'KUBE-SEP-IH3473SLQYIBPKDV#2>DNAT',
    ]);
    expect(o).toMatchObject({ probability: 1, verdict: 'ACCEPT', dnat: '10.244.1.23:80', masquerade: false, delivery: 'forward', reason: null, endpointChain: 'KUBE-SEP-IH3473SLQYIBPKDV' });
    // Forwarded with the client's address: KUBE-POSTROUTING returns at once (no 0x4000 mark).
    expect(steps(o).slice(-3)).toEqual(['nat POSTROUTING#1>KUBE-POSTROUTING', 'nat KUBE-POSTROUTING#1>RETURN', 'nat POSTROUTING#policy ACCEPT']);
  });

  it('without a local endpoint: marked for drop in XLB, no DNAT, dropped by KUBE-FIREWALL on INPUT, and why', () => {
    const r = trace(CLIENT, NODE_IP, 30082);
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(natSteps(o)).toEqual([
      'PREROUTING#1>KUBE-SERVICES',
      'KUBE-SERVICES#11>KUBE-NODEPORTS',
      `KUBE-NODEPORTS#5>${XLB_REMOTE}`,
      `${XLB_REMOTE}#4>KUBE-MARK-DROP`,
      'KUBE-MARK-DROP#1>MARK',
      // The mark is all: back through XLB and KUBE-NODEPORTS to PREROUTING's policy, no DNAT.
      'PREROUTING#policy ACCEPT',
    ]);
    // Still addressed to the node: INPUT, where kubelet's KUBE-FIREWALL drops marked packets.
    expect(steps(o).filter((s) => s.startsWith('filter '))).toEqual([
      'filter INPUT#1>KUBE-NODEPORTS',
      'filter INPUT#2>KUBE-EXTERNAL-SERVICES',
      'filter INPUT#3>KUBE-FIREWALL',
      'filter KUBE-FIREWALL#1>DROP',
    ]);
    expect(o).toMatchObject({ probability: 1, verdict: 'DROP', dnat: null, masquerade: false, delivery: null, endpointChain: null });
    expect(o.reason).toBe(`marked for drop by KUBE-MARK-DROP (${XLB_REMOTE} rule 4: default/remote-np has no local endpoints), dropped by filter KUBE-FIREWALL rule 1`);
  });

  it('from a pod: XLB sends it to the whole service (both endpoints, 1/2 each), not masqueraded', () => {
    const r = trace(POD, NODE_IP, 30081);
    expect(r.outcomes.map((o) => [o.probability, o.dnat, o.masquerade, o.delivery])).toEqual([
      [0.5, '10.244.1.23:80', false, 'forward'],
      [0.5, '10.244.2.24:80', false, 'forward'],
    ]);
    for (const o of r.outcomes) {
      expect(natSteps(o).slice(2, 4)).toEqual([`KUBE-NODEPORTS#3>${XLB_LOCAL}`, `${XLB_LOCAL}#1>${SVC_LOCAL}`]);
      expect(o.reason).toBeNull();
    }
    expect(natSteps(r.outcomes[0]!).slice(4)).toEqual([`${SVC_LOCAL}#2>KUBE-SEP-IH3473SLQYIBPKDV`, 'KUBE-SEP-IH3473SLQYIBPKDV#2>DNAT']);
    expect(natSteps(r.outcomes[1]!).slice(4)).toEqual([`${SVC_LOCAL}#3>KUBE-SEP-PFFKLMLYWJTPTD6R`, 'KUBE-SEP-PFFKLMLYWJTPTD6R#2>DNAT']);
  });

  it('from a pod, no local endpoint needed: the remote endpoint, not dropped', () => {
    const r = trace(POD, NODE_IP, 30082);
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(natSteps(o).slice(2)).toEqual([`KUBE-NODEPORTS#5>${XLB_REMOTE}`, `${XLB_REMOTE}#1>${SVC_REMOTE}`, `${SVC_REMOTE}#2>KUBE-SEP-VQOYWFR4M7WO2C6P`, 'KUBE-SEP-VQOYWFR4M7WO2C6P#2>DNAT']);
    expect(o).toMatchObject({ probability: 1, verdict: 'ACCEPT', dnat: '10.244.3.25:80', masquerade: false, delivery: 'forward', reason: null });
  });

  it('from the node itself, no local endpoint needed: masqueraded by XLB rule 2, to the service', () => {
    const r = trace(NODE_IP, NODE_IP, 30082);
    expect(r.packet.origin).toBe('local');
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(natSteps(o)).toEqual([
      'OUTPUT#1>KUBE-SERVICES',
      'KUBE-SERVICES#11>KUBE-NODEPORTS',
      `KUBE-NODEPORTS#5>${XLB_REMOTE}`,
      `${XLB_REMOTE}#2>KUBE-MARK-MASQ`,
      'KUBE-MARK-MASQ#1>MARK',
      `${XLB_REMOTE}#3>${SVC_REMOTE}`,
      `${SVC_REMOTE}#2>KUBE-SEP-VQOYWFR4M7WO2C6P`,
      'KUBE-SEP-VQOYWFR4M7WO2C6P#2>DNAT',
    ]);
    expect(o).toMatchObject({ probability: 1, verdict: 'ACCEPT', dnat: '10.244.3.25:80', masquerade: true, delivery: 'output' });
    expect(o.reason).toBe(`masqueraded: ${XLB_REMOTE} rule 2 (masquerade LOCAL traffic for default/remote-np LB IP)`);
    expect(steps(o).at(-1)).toBe('nat KUBE-POSTROUTING#3>MASQUERADE');
  });

  it('from the node itself with a local endpoint: still the whole service, 1/2 each, masqueraded', () => {
    const r = trace(NODE_IP, NODE_IP, 30081);
    expect(r.outcomes.map((o) => [o.probability, o.dnat, o.masquerade, o.delivery])).toEqual([
      [0.5, '10.244.1.23:80', true, 'output'],
      [0.5, '10.244.2.24:80', true, 'output'],
    ]);
    for (const o of r.outcomes) expect(natSteps(o).slice(3, 6)).toEqual([`${XLB_LOCAL}#2>KUBE-MARK-MASQ`, 'KUBE-MARK-MASQ#1>MARK', `${XLB_LOCAL}#3>${SVC_LOCAL}`]);
  });
});

describe('old layout: load-balancer IP through KUBE-FW', () => {
  it('from an allowed source range: masqueraded, to either endpoint at 1/2', () => {
    const r = trace('198.51.100.7', LB, 443);
    expect(r.outcomes.map((o) => [o.probability, o.verdict, o.dnat, o.masquerade, o.delivery])).toEqual([
      [0.5, 'ACCEPT', '10.244.1.7:8443', true, 'forward'],
      [0.5, 'ACCEPT', '10.244.2.9:8443', true, 'forward'],
    ]);
    for (const o of r.outcomes) {
      expect(natSteps(o).slice(1, 5)).toEqual([`KUBE-SERVICES#10>${FW}`, `${FW}#1>KUBE-MARK-MASQ`, 'KUBE-MARK-MASQ#1>MARK', `${FW}#2>${SVC_WEB}`]);
      expect(o.reason).toBe(`masqueraded: ${FW} rule 1 (default/public-web:https loadbalancer IP)`);
    }
  });

  it('from outside the source ranges, on a node that holds the LB address: marked, dropped by KUBE-FIREWALL', () => {
    const r = trace(CLIENT, LB, 443, [NODE_IP, LB]);
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(natSteps(o)).toEqual([
      'PREROUTING#1>KUBE-SERVICES',
      `KUBE-SERVICES#10>${FW}`,
      `${FW}#1>KUBE-MARK-MASQ`,
      'KUBE-MARK-MASQ#1>MARK',
      `${FW}#3>KUBE-MARK-DROP`,
      'KUBE-MARK-DROP#1>MARK',
      // KUBE-FW returns; the LB address is local, so the last KUBE-SERVICES rule goes to KUBE-NODEPORTS, where port 443 matches nothing.
      'KUBE-SERVICES#11>KUBE-NODEPORTS',
      'PREROUTING#policy ACCEPT',
    ]);
    expect(o).toMatchObject({ probability: 1, verdict: 'DROP', dnat: null, delivery: null });
    expect(o.reason).toBe(`marked for drop by KUBE-MARK-DROP (${FW} rule 3: default/public-web:https loadbalancer IP), dropped by filter KUBE-FIREWALL rule 1`);
  });

  it('from outside the source ranges, on a node that only forwards it: v1.22 drops only on INPUT and OUTPUT, and KUBE-FORWARD accepts the masquerade mark', () => {
    const r = trace(CLIENT, LB, 443);
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(natSteps(o)).toEqual([
      'PREROUTING#1>KUBE-SERVICES',
      `KUBE-SERVICES#10>${FW}`,
      `${FW}#1>KUBE-MARK-MASQ`,
      'KUBE-MARK-MASQ#1>MARK',
      `${FW}#3>KUBE-MARK-DROP`,
      'KUBE-MARK-DROP#1>MARK',
      // Not a local address: KUBE-NODEPORTS is not entered.
      'PREROUTING#policy ACCEPT',
      'POSTROUTING#1>KUBE-POSTROUTING',
      'KUBE-POSTROUTING#2>MARK',
      'KUBE-POSTROUTING#3>MASQUERADE',
    ]);
    expect(steps(o).filter((s) => s.startsWith('filter '))).toEqual(['filter FORWARD#1>KUBE-FORWARD', 'filter KUBE-FORWARD#2>ACCEPT']);
    expect(o).toMatchObject({ probability: 1, verdict: 'ACCEPT', dnat: null, masquerade: true, delivery: 'forward' });
  });
});
