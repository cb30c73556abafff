/**
 * doctor on the kernel's own dump: a node namespace with a generated kube-proxy ruleset (one
 * service with endpoints, one without), real TCP connections from the client namespace to the
 * service without endpoints, which kube-proxy's filter KUBE-SERVICES rule rejects, then
 * `doctor --json --source-cmd 'ip netns exec NODE iptables-save -c'` as a real process: it names
 * that service as no-endpoints and the REJECT rule as counting-drop with the packets the kernel
 * counted (read independently with `iptables -L -v -x`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKubeProxyRules, type ClusterSpec } from '../../src/gen/kubeproxy.js';
import { runProcess } from '../cli/harness.js';
import { inNs } from './exec.js';
import { Topology, connect, kernelGate, loadRuleset } from './netns.js';
import { CLUSTER_CIDR, NODE_IP, NODE_POD_CIDR } from './specs.js';

const gate = kernelGate();

const IDLE_IP = '10.32.0.52';
const SPEC: ClusterSpec = {
  nodeIPs: [NODE_IP],
  podCIDR: NODE_POD_CIDR,
  clusterCIDR: CLUSTER_CIDR,
  services: [
    { namespace: 'kc', name: 'web', clusterIP: '10.32.0.51', ports: [{ port: 80, targetPort: 8080 }], endpoints: [{ ip: '10.64.2.51', local: true }] },
    { namespace: 'kc', name: 'idle', clusterIP: IDLE_IP, ports: [{ port: 80, targetPort: 8080 }], endpoints: [] },
  ],
};

interface FindingJson {
  kind: string;
  severity: string;
  service: string | null;
  table: string | null;
  chain: string | null;
  rule: number | null;
  message: string;
}

/** The kernel's packet count of rule `n` (from 1) of a filter chain, from `iptables -L -v -x --line-numbers`. */
function kernelRulePackets(ns: string, chain: string, n: number): number {
  const out = inNs(ns, 'iptables', ['-w', '-t', 'filter', '-L', chain, '-v', '-x', '-n', '--line-numbers']);
  const row = out.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[0] === String(n));
  if (!row) throw new Error(`filter ${chain}: no rule ${n} in:\n${out}`);
  return Number(row[1]);
}

describe.skipIf(gate.skip)(gate.title('doctor on the kernel\'s iptables-save -c'), () => {
  let topo: Topology;
  let sourceCmd = '';

  beforeAll(async () => {
    gate.assertAvailable();
    topo = Topology.create({ tag: 'dr' });
    topo.addPodAddresses(['10.64.2.51']);
    await topo.startListeners([8080]);
    topo.routeFromClient(SPEC.services.map((s) => `${s.clusterIP}/32`));
    loadRuleset(topo.nodeNs, generateKubeProxyRules(SPEC, { form: 'restore' }));
    sourceCmd = `ip netns exec ${topo.nodeNs} iptables-save -c`;
  }, 180_000);

  afterAll(() => {
    topo?.destroy();
  });

  it('names the service without endpoints, and its REJECT rule as counting-drop with the kernel\'s packet count', async () => {
    const attempts = await connect(topo.clientNs, IDLE_IP, 80, { count: 7, parallel: 2, timeoutMs: 3000 });
    expect(attempts.map((a) => a.result)).toEqual(Array(7).fill('refused'));

    const r = await runProcess(['doctor', '--json', '--source-cmd', sourceCmd]);
    expect(r.stderr).toBe('');
    // No error finding: the kernel's dump has its hooks, masquerade and port matches.
    expect(r.code).toBe(0);
    const findings = (JSON.parse(r.stdout) as { findings: FindingJson[] }).findings;
    expect(findings.filter((f) => f.kind === 'no-endpoints').map((f) => f.service)).toEqual(['kc/idle']);

    const drop = findings.find((f) => f.kind === 'counting-drop' && f.service === 'kc/idle');
    expect(drop, JSON.stringify(findings, null, 2)).toBeDefined();
    expect(drop!.table).toBe('filter');
    const kernel = kernelRulePackets(topo.nodeNs, drop!.chain!, drop!.rule!);
    // Each refused connection is one SYN the rule rejected (retransmits would only add).
    expect(kernel).toBeGreaterThanOrEqual(7);
    expect(drop!.message).toContain(`rejected ${kernel} packets`);
    // Nothing else counted a drop or reject: the other service's traffic went nowhere near one.
    expect(findings.filter((f) => f.kind === 'counting-drop').map((f) => f.service)).toEqual(['kc/idle']);
  }, 120_000);
});
