/** The flows of the user's notes (shared/seed), on the fixtures rebuilt from them. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { tracePacket, type Outcome } from '../../src/core/trace/index.js';
import { fixturesDir } from '../helpers/paths.js';

const nodes = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'nodes.json'), 'utf8')) as Record<string, { nodeIPs: string[] }>;

function traceFixture(file: string, src: string, dst: string, dport: number) {
  const rs = parseIptablesSave(fs.readFileSync(path.join(fixturesDir, file), 'utf8'));
  const r = tracePacket(rs, { protocol: 'tcp', src, dst, dport }, { localAddresses: nodes[file]!.nodeIPs });
  expect(r.error).toBeUndefined();
  expect(r.outcomes).toHaveLength(1);
  return { result: r, o: r.outcomes[0]! };
}

/** The targets the nat rules took up to the DNAT, in order (what the notes draw as A ==> B ==> C). */
function natChains(o: Outcome): string[] {
  const nat = o.path.filter((s) => s.table === 'nat' && s.rule !== null);
  const upTo = nat.findIndex((s) => s.target === 'DNAT');
  return nat.slice(0, upTo + 1).map((s) => s.target);
}

const SVC = 'KUBE-SVC-2CMXP7HKUVJN7L6M';
const SEP = 'KUBE-SEP-YVT6EXXEKT4LDXBC';
const EXT = 'KUBE-EXT-2CMXP7HKUVJN7L6M';
const SVL = 'KUBE-SVL-2CMXP7HKUVJN7L6M';
const CLIENT = '172.16.1.152';

describe('seed: Cluster IP SVC', () => {
  it('ingress: PREROUTING ==> KUBE-SERVICES ==> KUBE-SVC ==> KUBE-SEP, DNAT to the pod', () => {
    const { o } = traceFixture('seed-clusterip.save', CLIENT, '10.32.0.251', 80);
    expect(natChains(o)).toEqual(['KUBE-SERVICES', SVC, SEP, 'DNAT']);
    expect(o.path.find((s) => s.table === 'nat')).toMatchObject({ chain: 'PREROUTING' });
    expect(o).toMatchObject({ verdict: 'ACCEPT', dnat: '10.64.2.4:80', masquerade: false, endpointChain: SEP, delivery: 'forward' });
  });

  it('egress from the node: OUTPUT ==> KUBE-SERVICES ==> KUBE-SVC ==> KUBE-SEP', () => {
    const { result, o } = traceFixture('seed-clusterip.save', '172.16.1.11', '10.32.0.251', 80);
    expect(result.packet.origin).toBe('local');
    expect(o.path.find((s) => s.table === 'nat')).toMatchObject({ chain: 'OUTPUT' });
    expect(natChains(o)).toEqual(['KUBE-SERVICES', SVC, SEP, 'DNAT']);
    expect(o).toMatchObject({ dnat: '10.64.2.4:80', delivery: 'output' });
  });
});

describe('seed: NodePort SVC with Cluster traffic policy', () => {
  it('KUBE-NODEPORTS ==> KUBE-EXT ==> KUBE-MARK-MASQ ==> KUBE-SVC ==> KUBE-SEP, masqueraded', () => {
    const { o } = traceFixture('seed-nodeport-cluster.save', CLIENT, '172.16.1.10', 30783);
    expect(natChains(o)).toEqual(['KUBE-SERVICES', 'KUBE-NODEPORTS', EXT, 'KUBE-MARK-MASQ', 'MARK', SVC, SEP, 'DNAT']);
    expect(o.path.at(-1)).toMatchObject({ table: 'nat', chain: 'KUBE-POSTROUTING', target: 'MASQUERADE' });
    expect(o).toMatchObject({ verdict: 'ACCEPT', dnat: '10.64.2.4:80', masquerade: true, delivery: 'forward' });
    expect(o.reason).toBe(`masqueraded: ${EXT} rule 1 (masquerade traffic for default/nginx external destinations)`);
  });
});

describe('seed: NodePort SVC with Local traffic policy', () => {
  it('on the node with the pod: KUBE-EXT ==> KUBE-SVL ==> KUBE-SEP, client address kept', () => {
    const { o } = traceFixture('seed-nodeport-local-worker02.save', CLIENT, '172.16.1.10', 30783);
    expect(natChains(o)).toEqual(['KUBE-SERVICES', 'KUBE-NODEPORTS', EXT, SVL, SEP, 'DNAT']);
    expect(o).toMatchObject({ verdict: 'ACCEPT', dnat: '10.64.2.4:80', masquerade: false });
  });

  it('on a node without the pod: INPUT ==> KUBE-EXTERNAL-SERVICES ==> DROP, and why', () => {
    const { o } = traceFixture('seed-nodeport-local-other.save', CLIENT, '172.16.1.11', 30783);
    expect(o.verdict).toBe('DROP');
    expect(o.path.at(-1)).toMatchObject({ table: 'filter', chain: 'KUBE-EXTERNAL-SERVICES', target: 'DROP' });
    expect(o.reason).toBe('default/nginx has no local endpoints (externalTrafficPolicy: Local and no endpoint on this node)');
  });

  it('on a node without the pod, the node itself still reaches the remote pod (masqueraded)', () => {
    const { o } = traceFixture('seed-nodeport-local-other.save', '172.16.1.11', '172.16.1.11', 30783);
    expect(o).toMatchObject({ verdict: 'ACCEPT', dnat: '10.64.2.4:80', masquerade: true, delivery: 'output' });
  });
});
