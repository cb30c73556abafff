/** skewed-connections: the rule (at least 20 connections, 25 points over the share, beyond chance), affinity, and doctor --conntrack. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributeConnections, buildDumpModel, connectionFindings, parseConntrack, parseDump, type KubeModel } from '../../src/core/index.js';
import { fixture, run } from '../cli/harness.js';

const model = (name: string): KubeModel => buildDumpModel(parseDump(readFileSync(fixture(name), 'utf8')));

/** conntrack -L lines: `counts[i]` connections from pods to the service's cluster IP, answered by its endpoint i. */
function table(m: KubeModel, id: string, counts: readonly number[]): string {
  const s = m.byId.get(id)!;
  const lines: string[] = [];
  let port = 20000;
  s.endpoints.forEach((e, i) => {
    const [ip, epPort] = [e.address!.slice(0, e.address!.lastIndexOf(':')), e.address!.slice(e.address!.lastIndexOf(':') + 1)];
    for (let k = 0; k < (counts[i] ?? 0); k++, port++) {
      lines.push(`tcp      6 431999 ESTABLISHED src=10.244.9.9 dst=${s.clusterIP} sport=${port} dport=${s.port} src=${ip} dst=10.244.9.9 sport=${epPort} dport=${port} [ASSURED] mark=0 use=1`);
    }
  });
  return lines.join('\n');
}

function findings(m: KubeModel, id: string, counts: readonly number[]) {
  const t = parseConntrack(table(m, id, counts), 'f');
  expect(t.warnings).toEqual([]);
  return connectionFindings(attributeConnections(m, t, { nodeAddresses: [] }));
}

describe('skewed-connections', () => {
  const multi = model('multi-endpoint.save');

  it('all of 30 connections on one of three endpoints: an info finding naming it, its count and its share', () => {
    const f = findings(multi, 'default/web', [0, 30, 0]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ kind: 'skewed-connections', severity: 'info', service: 'default/web', table: 'nat' });
    const address = multi.byId.get('default/web')!.endpoints[1]!.address!;
    expect(f[0]!.message).toBe(`default/web: 30 of its 30 live connections (100%) are on ${address}, whose share of new connections is 33%`);
    expect(f[0]!.message).not.toContain('expected');
  });

  it('25 of 30 is beyond chance too; balanced, moderate or too few connections are not', () => {
    expect(findings(multi, 'default/web', [25, 3, 2])).toHaveLength(1);
    expect(findings(multi, 'default/web', [10, 10, 10])).toEqual([]);
    expect(findings(multi, 'default/web', [14, 8, 8])).toEqual([]);
    expect(findings(multi, 'default/web', [19, 0, 0])).toEqual([]);
    expect(findings(multi, 'default/web', [0, 0, 0])).toEqual([]);
  });

  it('two endpoints (where "twice the share" could never fire): 20 of 20 and 36 of 40 fire, 15 of 20 is within chance', () => {
    const dual = model('dual-stack.save');
    const id = 'default/web';
    expect(dual.byId.get(id)!.endpoints).toHaveLength(2);
    expect(findings(dual, id, [20, 0])).toHaveLength(1);
    expect(findings(dual, id, [36, 4])).toHaveLength(1);
    expect(findings(dual, id, [15, 5])).toEqual([]);
    expect(findings(dual, id, [0, 0])).toEqual([]);
  });

  it('with session affinity the finding says it is expected', () => {
    const sticky = model('session-affinity.save');
    const [f] = findings(sticky, 'default/web-sticky', [0, 40, 0]);
    expect(f!.message).toContain('expected with session affinity (ClientIP, 10800 s)');
    expect(f!.hint).toContain('nothing to do');
  });

  it('doctor --conntrack adds it (info: exit 0); without --conntrack no table is read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-skew-'));
    const file = path.join(dir, 'ct.txt');
    writeFileSync(file, table(multi, 'default/web', [30, 0, 0]) + '\n');
    const r = await run(['doctor', fixture('multi-endpoint.save'), '--conntrack', file, '--json']);
    expect(r.code).toBe(0);
    const kinds = (JSON.parse(r.stdout) as { findings: { kind: string; service: string }[] }).findings.map((x) => `${x.kind} ${x.service}`);
    expect(kinds).toContain('skewed-connections default/web');
    const without = await run(['doctor', fixture('multi-endpoint.save'), '--json']);
    expect(without.stdout).not.toContain('skewed-connections');
  });
});
