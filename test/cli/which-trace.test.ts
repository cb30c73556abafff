import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/paths.js';
import { fixture, run } from './harness.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-which-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface OutcomeJson {
  probability: number;
  verdict: string;
  dnat: string | null;
  masquerade: boolean;
  path: { table: string; chain: string; rule: number | null; target: string }[];
  assumptions: string[];
  reason: string | null;
  endpointChain: string | null;
}
interface EntryJson {
  kind: string;
  address: string;
  port: number;
  protocol: string;
  outcomes: OutcomeJson[];
}
interface WhichJson {
  query: string;
  services: ({ id: string; entryPoints: EntryJson[] } & Record<string, unknown>)[];
}

const nodesJson = JSON.parse(readFileSync(fixture('nodes.json'), 'utf8')) as Record<string, { nodeIPs: string[]; clientIP: string }>;

/** The chains of the path in order, to compare with the seed's "A ==> B ==> C" flows. */
const chainsOf = (o: OutcomeJson, table = 'nat') => o.path.filter((s) => s.table === table).map((s) => s.chain);

describe('which (text)', () => {
  it('default/nginx on the NodePort seed: the SEP, the pod and the two paths the notes show', async () => {
    const r = await run(['which', 'default/nginx', fixture('seed-nodeport-cluster.save')]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain('KUBE-SEP-YVT6EXXEKT4LDXBC');
    expect(out).toContain('10.64.2.4:80');
    // Cluster IP: PREROUTING > KUBE-SERVICES > KUBE-SVC > KUBE-SEP.
    const cluster = out.slice(out.indexOf('cluster IP 10.32.0.61:80/tcp'), out.indexOf('node port'));
    expect(cluster).toMatch(/100%\s+ACCEPT, DNAT to 10\.64\.2\.4:80 \(KUBE-SEP-YVT6EXXEKT4LDXBC\), not masqueraded/);
    expect(cluster).toContain('nat PREROUTING #1 > KUBE-SERVICES #5 > KUBE-SVC-2CMXP7HKUVJN7L6M #1 > KUBE-SEP-YVT6EXXEKT4LDXBC #2');
    // Node port: … KUBE-NODEPORTS > KUBE-EXT > KUBE-SVC > KUBE-SEP, masqueraded.
    const nodePort = out.slice(out.indexOf('node port'));
    expect(nodePort).toMatch(/node port 192\.0\.2\.1:30783\/tcp/);
    expect(nodePort).toMatch(/100%\s+ACCEPT, DNAT to 10\.64\.2\.4:80 \(KUBE-SEP-YVT6EXXEKT4LDXBC\), masqueraded/);
    expect(nodePort).toContain(
      'nat PREROUTING #1 > KUBE-SERVICES #6 > KUBE-NODEPORTS #1 > KUBE-EXT-2CMXP7HKUVJN7L6M #2 > KUBE-SVC-2CMXP7HKUVJN7L6M #1 > KUBE-SEP-YVT6EXXEKT4LDXBC #2',
    );
    expect(nodePort).toMatch(/reason: masqueraded: KUBE-EXT-2CMXP7HKUVJN7L6M/);
    // No --node-ip: the stand-in node address is said, not silently used.
    expect(out).toMatch(/note: no node address given \(--node-ip\): node port 30783 is traced to 192\.0\.2\.1/);
  });

  it('uses the first --node-ip for node ports, and finds a service by node port and by cluster IP:port', async () => {
    const node = nodesJson['seed-nodeport-cluster.save']!.nodeIPs[0]!;
    for (const query of ['30783', '10.32.0.61:80', '10.32.0.61']) {
      const r = await run(['which', query, fixture('seed-nodeport-cluster.save'), '--node-ip', node]);
      expect(r.code, query).toBe(0);
      expect(r.stdout).toMatch(/^default\/nginx /m);
      expect(r.stdout).toContain(`node port ${node}:30783/tcp`);
      expect(r.stdout).not.toContain('192.0.2.1');
    }
  });

  it('shows the drop on a Local-policy node without the pod, with kube-proxy\'s reason', async () => {
    const node = nodesJson['seed-nodeport-local-other.save']!.nodeIPs[0]!;
    const r = await run(['which', 'default/nginx', fixture('seed-nodeport-local-other.save'), '--node-ip', node]);
    expect(r.code).toBe(0);
    const nodePort = r.stdout.slice(r.stdout.indexOf('node port'));
    expect(nodePort).toMatch(/100%\s+DROP/);
    expect(nodePort).toContain('filter INPUT #3 > KUBE-EXTERNAL-SERVICES #1');
    expect(nodePort).toMatch(/reason: .*has no local endpoints/);
  });

  it('splits kube-dns 50/50 and matches a misspelt name fuzzily', async () => {
    const r = await run(['which', 'kube-system/kube-dns:dns', fixture('seed-clusterip.save')]);
    expect(r.stdout.match(/^\s+50%\s+ACCEPT, DNAT to 10\.64\.[01]\.[23]:53/gm)).toHaveLength(2);
    const fuzzy = await run(['which', 'ngnix', fixture('seed-clusterip.save')]);
    expect(fuzzy.code).toBe(0);
    expect(fuzzy.stdout).toMatch(/no exact match for "ngnix"/);
    expect(fuzzy.stdout).toMatch(/^default\/nginx /m);
  });

  it('exits 1 with one line when nothing matches', async () => {
    const r = await run(['which', 'qqqqzzzz', fixture('seed-clusterip.save')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no service matches "qqqqzzzz"/);
  });
});

describe('which --json', () => {
  it('gives query, the service fields and every entry point with its trace outcomes', async () => {
    const r = await run(['which', 'default/nginx', fixture('seed-nodeport-cluster.save'), '--json', '--node-ip', '172.16.1.10']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as WhichJson;
    expect(Object.keys(j).slice(0, 2)).toEqual(['query', 'services']);
    expect(j.query).toBe('default/nginx');
    expect(j.services).toHaveLength(1);
    const s = j.services[0]!;
    expect(s.id).toBe('default/nginx');
    expect(s).toMatchObject({ clusterIP: '10.32.0.61', nodePort: 30783 });
    expect(s.entryPoints.map((e) => [e.kind, e.address, e.port, e.protocol])).toEqual([
      ['clusterIP', '10.32.0.61', 80, 'tcp'],
      ['nodePort', '172.16.1.10', 30783, 'tcp'],
    ]);
    const [cluster, nodePort] = s.entryPoints.map((e) => e.outcomes[0]!);
    expect(chainsOf(cluster!).slice(0, 4)).toEqual(['PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 'KUBE-SEP-YVT6EXXEKT4LDXBC']);
    expect(cluster).toMatchObject({ probability: 1, verdict: 'ACCEPT', dnat: '10.64.2.4:80', masquerade: false, endpointChain: 'KUBE-SEP-YVT6EXXEKT4LDXBC' });
    expect(chainsOf(nodePort!)).toEqual(expect.arrayContaining(['KUBE-NODEPORTS', 'KUBE-EXT-2CMXP7HKUVJN7L6M', 'KUBE-MARK-MASQ', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 'KUBE-SEP-YVT6EXXEKT4LDXBC']));
    expect(nodePort).toMatchObject({ verdict: 'ACCEPT', dnat: '10.64.2.4:80', masquerade: true });
  });

  it('agrees with trace --json for every entry point (one tracer behind both)', async () => {
    const file = fixture('seed-nodeport-local-worker02.save');
    const w = JSON.parse((await run(['which', 'default/nginx', file, '--json', '--node-ip', '172.16.1.10'])).stdout) as WhichJson;
    for (const e of w.services[0]!.entryPoints) {
      const t = await run(['trace', file, '--dst', `${e.address}:${e.port}`, '--proto', e.protocol, '--node-ip', '172.16.1.10', '--json']);
      expect((JSON.parse(t.stdout) as { outcomes: OutcomeJson[] }).outcomes).toEqual(e.outcomes);
    }
  });

  it('traces a load-balancer IP from inside loadBalancerSourceRanges', async () => {
    const file = withImplicitJumps('TestOverallIPTablesRules.dump');
    const r = await run(['which', 'ns5/svc5:p80', file, '--json', '--node-ip', '192.168.0.2', '--src', '198.51.100.7']);
    const s = (JSON.parse(r.stdout) as WhichJson).services[0]!;
    const lb = s.entryPoints.find((e) => e.kind === 'loadBalancer')!;
    expect(lb.address).toBe('5.6.7.8');
    expect(chainsOf(lb.outcomes[0]!)).toContain('KUBE-FW-NUKIZ6OKUXPJNT4C');
    expect(lb.outcomes[0]).toMatchObject({ verdict: 'ACCEPT', dnat: '10.180.0.3:80' });
    expect((s as unknown as { notes: string[] }).notes.join('\n')).toMatch(/do not include 198\.51\.100\.7; 5\.6\.7\.8 is traced from 203\.0\.113\.1/);
  });
});

describe('trace', () => {
  it('prints every outcome rule by rule with the rule text, verdict, DNAT and masquerade', async () => {
    const r = await run(['trace', fixture('seed-nodeport-cluster.save'), '--dst', '172.16.1.10:30783', '--node-ip', '172.16.1.10']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^packet\s+tcp 203\.0\.113\.10 -> 172\.16\.1\.10:30783, new connection arriving from the network/m);
    expect(r.stdout).toMatch(/^outcome 1: 100%\s+ACCEPT, DNAT to 10\.64\.2\.4:80 \(KUBE-SEP-YVT6EXXEKT4LDXBC\), masqueraded/m);
    expect(r.stdout).toMatch(/^\s+nat KUBE-NODEPORTS #1\s+-A KUBE-NODEPORTS -p tcp -m comment --comment "default\/nginx" -m tcp --dport 30783 -j KUBE-EXT-2CMXP7HKUVJN7L6M$/m);
    expect(r.stdout).toMatch(/^\s+nat KUBE-SEP-YVT6EXXEKT4LDXBC #2\s+-A KUBE-SEP-YVT6EXXEKT4LDXBC .* -j DNAT --to-destination 10\.64\.2\.4:80$/m);
    expect(r.stdout).toMatch(/^\s+nat KUBE-POSTROUTING #3\s+.*-j MASQUERADE --random-fully$/m);
    expect(r.stdout).toMatch(/^\s+verdict: ACCEPT$/m);
    expect(r.stdout).toMatch(/^\s+dnat: 10\.64\.2\.4:80 by KUBE-SEP-YVT6EXXEKT4LDXBC$/m);
    expect(r.stdout).toMatch(/^\s+masquerade: yes$/m);
    expect(r.stdout).toMatch(/^\s+reason: masqueraded/m);
  });

  it('prints the contract JSON: packet, then outcomes whose probabilities sum to 1', async () => {
    const r = await run(['trace', fixture('seed-clusterip.save'), '--dst', '10.32.0.10:53', '--proto', 'udp', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { packet: Record<string, unknown>; outcomes: OutcomeJson[] };
    expect(Object.keys(j).slice(0, 2)).toEqual(['packet', 'outcomes']);
    expect(j.packet).toMatchObject({ protocol: 'udp', src: '203.0.113.10', dst: '10.32.0.10', dport: 53, family: 'ipv4', origin: 'network' });
    expect(j.outcomes).toHaveLength(2);
    for (const o of j.outcomes) {
      expect(Object.keys(o).slice(0, 7)).toEqual(['probability', 'verdict', 'dnat', 'masquerade', 'path', 'assumptions', 'reason']);
      for (const step of o.path) expect(Object.keys(step).slice(0, 4)).toEqual(['table', 'chain', 'rule', 'target']);
    }
    expect(j.outcomes.map((o) => o.dnat).sort()).toEqual(['10.64.0.2:53', '10.64.1.3:53']);
    expect(j.outcomes.reduce((a, o) => a + o.probability, 0)).toBeCloseTo(1, 12);
  });

  it('traces a node address as a source generated on the node', async () => {
    const r = await run(['trace', fixture('seed-nodeport-cluster.save'), '--dst', '10.32.0.61:80', '--src', '172.16.1.10', '--node-ip', '172.16.1.10', '--json']);
    const j = JSON.parse(r.stdout) as { packet: { origin: string }; outcomes: OutcomeJson[] };
    expect(j.packet.origin).toBe('local');
    expect(j.outcomes[0]!.path.some((s) => s.table === 'nat' && s.chain === 'OUTPUT')).toBe(true);
  });

  it('agrees with every linked flow of kube-proxy\'s TestTracePacket', async () => {
    const flows = JSON.parse(readFileSync(path.join(corpusDir, 'flows.json'), 'utf8')) as {
      dump: string; name: string; sourceIP: string; destIP: string; destPort: number; protocol: string; output: string; masq: boolean;
    }[];
    const index = JSON.parse(readFileSync(path.join(corpusDir, 'dumps.json'), 'utf8')) as { dumps: { file: string; environment: { testNodeIPs: string[] } }[] };
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) {
      const nodeIPs = index.dumps.find((d) => d.file === f.dump)!.environment.testNodeIPs;
      const dst = f.destIP.includes(':') ? `[${f.destIP}]:${f.destPort}` : `${f.destIP}:${f.destPort}`;
      const r = await run(['trace', path.join(corpusDir, f.dump), '--dst', dst, '--src', f.sourceIP, '--proto', f.protocol, '--node-ip', nodeIPs.join(','), '--json']);
      expect(r.code, `${f.name}: ${r.stderr}`).toBe(0);
      const outcomes = (JSON.parse(r.stdout) as { outcomes: OutcomeJson[] }).outcomes;
      const verdicts = new Set(outcomes.map((o) => o.verdict));
      if (['DROP', 'REJECT'].includes(f.output)) {
        expect([...verdicts], f.name).toEqual([f.output]);
      } else {
        expect([...verdicts], f.name).toEqual(['ACCEPT']);
        const expected = f.output === '' || f.output === 'ACCEPT' ? [] : f.output.split(', ').sort();
        expect(outcomes.map((o) => o.dnat).filter((d) => d !== null).sort(), f.name).toEqual(expected);
      }
      expect(outcomes.some((o) => o.masquerade), f.name).toBe(f.masq);
    }
  });

  it('says when the dump lacks kube-proxy\'s built-in jumps', async () => {
    const r = await run(['trace', path.join(corpusDir, 'TestOverallIPTablesRules.dump'), '--dst', '172.30.0.41:80']);
    expect(r.stdout).toMatch(/^note: nat PREROUTING has no jump to KUBE-SERVICES/m);
  });
});

/** kube-proxy's restore-form dumps leave out the built-in jumps; dumps.json lists them. */
function withImplicitJumps(file: string): string {
  const index = JSON.parse(readFileSync(path.join(corpusDir, 'dumps.json'), 'utf8')) as { implicit_jump_rules: Record<string, string[] | string> };
  let text = readFileSync(path.join(corpusDir, file), 'utf8');
  for (const table of ['nat', 'filter']) {
    const rules = index.implicit_jump_rules[table] as string[];
    const start = text.indexOf(`*${table}\n`);
    const commit = text.indexOf('COMMIT\n', start);
    text = text.slice(0, commit) + rules.join('\n') + '\n' + text.slice(commit);
  }
  const out = path.join(tmp, file);
  writeFileSync(out, text);
  return out;
}
