import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/paths.js';
import { fixture, run } from './harness.js';

const SEEDS = ['seed-clusterip.save', 'seed-nodeport-cluster.save', 'seed-nodeport-local-worker02.save', 'seed-nodeport-local-other.save'];
const CONTRACT_KEYS = [
  'id', 'namespace', 'name', 'portName', 'protocol', 'clusterIP', 'port', 'nodePort', 'externalIPs', 'loadBalancerIPs',
  'externalTrafficPolicy', 'sessionAffinitySeconds', 'chains', 'endpoints', 'packets', 'bytes',
];

interface ServiceJson {
  id: string;
  clusterIP: string | null;
  port: number | null;
  nodePort: number | null;
  externalTrafficPolicy: string | null;
  chains: Record<string, string>;
  endpoints: { address: string; chain: string; probability: number; local: boolean | null; packets: number | null; bytes: number | null }[];
  packets: number | null;
  [key: string]: unknown;
}

async function servicesJson(file: string): Promise<ServiceJson[]> {
  const r = await run(['services', file, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const parsed = JSON.parse(r.stdout) as { services: ServiceJson[] };
  expect(Object.keys(parsed)).toEqual(['services']);
  return parsed.services;
}

describe('services --json', () => {
  it.each(SEEDS)('lists every service port of %s with the contract fields first, in order', async (name) => {
    const services = await servicesJson(fixture(name));
    expect(services.map((s) => s.id).sort()).toEqual(
      ['default/kubernetes:https', 'default/nginx', 'kube-system/kube-dns:dns', 'kube-system/kube-dns:dns-tcp', 'kube-system/kube-dns:metrics'],
    );
    for (const s of services) {
      expect(Object.keys(s).slice(0, CONTRACT_KEYS.length)).toEqual(CONTRACT_KEYS);
      for (const e of s.endpoints) expect(Object.keys(e)).toEqual(['address', 'chain', 'probability', 'local', 'packets', 'bytes', 'problem']);
    }
  });

  it('describes the seed NodePort service as the notes show it', async () => {
    const nginx = (await servicesJson(fixture('seed-nodeport-cluster.save'))).find((s) => s.id === 'default/nginx')!;
    expect(nginx).toMatchObject({
      namespace: 'default',
      name: 'nginx',
      portName: null,
      protocol: 'tcp',
      clusterIP: '10.32.0.61',
      port: 80,
      nodePort: 30783,
      externalIPs: [],
      loadBalancerIPs: [],
      externalTrafficPolicy: 'Cluster',
      sessionAffinitySeconds: null,
      chains: { svc: 'KUBE-SVC-2CMXP7HKUVJN7L6M', ext: 'KUBE-EXT-2CMXP7HKUVJN7L6M' },
      packets: 1,
      bytes: 60,
    });
    expect(nginx.endpoints).toEqual([
      { address: '10.64.2.4:80', chain: 'KUBE-SEP-YVT6EXXEKT4LDXBC', probability: 1, local: null, packets: 1, bytes: 60, problem: null },
    ]);
  });

  it('splits kube-dns evenly over its two coredns pods', async () => {
    const dns = (await servicesJson(fixture('seed-clusterip.save'))).find((s) => s.id === 'kube-system/kube-dns:dns')!;
    expect(dns.protocol).toBe('udp');
    expect(dns.endpoints.map((e) => [e.address, e.probability])).toEqual([
      ['10.64.0.2:53', 0.5],
      ['10.64.1.3:53', 0.5],
    ]);
  });

  it('marks the Local-policy endpoint local on the node with the pod and not elsewhere', async () => {
    const on = (await servicesJson(fixture('seed-nodeport-local-worker02.save'))).find((s) => s.id === 'default/nginx')!;
    const off = (await servicesJson(fixture('seed-nodeport-local-other.save'))).find((s) => s.id === 'default/nginx')!;
    expect(on.externalTrafficPolicy).toBe('Local');
    expect(on.chains.svl).toBe('KUBE-SVL-2CMXP7HKUVJN7L6M');
    expect(on.endpoints[0]!.local).toBe(true);
    expect(off.externalTrafficPolicy).toBe('Local');
    expect(off.endpoints[0]!.local).toBe(false);
  });

  it('loads every corpus dump and keeps the JSON shape', async () => {
    const dumps = JSON.parse(readFileSync(path.join(corpusDir, 'dumps.json'), 'utf8')) as { dumps: { file: string }[] };
    expect(dumps.dumps.length).toBeGreaterThan(10);
    for (const { file } of dumps.dumps) {
      const r = await run(['services', path.join(corpusDir, file), '--json']);
      expect(r.code, `${file}: ${r.stderr}`).toBe(0);
      const services = (JSON.parse(r.stdout) as { services: ServiceJson[] }).services;
      for (const s of services) expect(Object.keys(s).slice(0, CONTRACT_KEYS.length)).toEqual(CONTRACT_KEYS);
    }
  });
});

describe('services (text)', () => {
  it('prints a table with the seed service on one row', async () => {
    const r = await run(['services', fixture('seed-nodeport-cluster.save')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['ID', 'TYPE', 'CLUSTER-IP:PORT/PROTO', 'NODE-PORT', 'ENDPOINTS', 'POLICY', 'PACKETS']);
    const nginx = lines.find((l) => l.startsWith('default/nginx'))!;
    expect(nginx.split(/\s+/)).toEqual(['default/nginx', 'NodePort', '10.32.0.61:80/tcp', '30783', '1/-', 'Cluster', '1']);
    expect(lines).toHaveLength(6);
  });

  it('shows total/local endpoints for Local policy and iptables-style packet counts', async () => {
    const r = await run(['services', fixture('seed-nodeport-local-worker02.save')]);
    expect(r.stdout).toMatch(/^default\/nginx\s+NodePort\s+10\.32\.0\.61:80\/tcp\s+30783\s+1\/1\s+Local\s+1$/m);
    const other = await run(['services', fixture('seed-nodeport-local-other.save')]);
    expect(other.stdout).toMatch(/^default\/nginx\s+NodePort\s+\S+\s+30783\s+1\/0\s+Local\s+0$/m);
  });

  it('names LoadBalancer and ExternalIP services and shows "-" without counters', async () => {
    const r = await run(['services', path.join(corpusDir, 'TestOverallIPTablesRules.dump')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ns2\/svc2:p80\s+LoadBalancer\s+172\.30\.0\.42:80\/tcp\s+3001\s+1\/0\s+Local\s+-$/m);
    expect(r.stdout).toMatch(/^ns4\/svc4:p80\s+ExternalIP\s+/m);
    expect(r.stdout).toMatch(/^ns6\/svc6:p80\s+ClusterIP\s+172\.30\.0\.46:80\/tcp\s+-\s+0\/-/m);
  });

  it('fits an 80-column terminal by cutting ids in the middle', async () => {
    const r = await run(['services', fixture('seed-nodeport-cluster.save')], { tty: { columns: 80 } });
    const lines = r.stdout.trimEnd().split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines.some((l) => l.includes('…'))).toBe(true);
    // A wide terminal gets the full ids.
    const wide = await run(['services', fixture('seed-nodeport-cluster.save')], { tty: { columns: 200 } });
    expect(wide.stdout).toContain('kube-system/kube-dns:dns-tcp');
  });
});
