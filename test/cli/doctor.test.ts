/** `kubechains doctor`: the JSON contract, the text form most severe first, exit codes 0/1/2. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/paths.js';
import { fixture, run, runProcess } from './harness.js';

const CONTRACT_KEYS = ['kind', 'severity', 'service', 'table', 'chain', 'rule', 'message', 'hint'];

interface FindingJson {
  kind: string;
  severity: 'error' | 'warning' | 'info';
  service: string | null;
  table: string | null;
  chain: string | null;
  rule: number | null;
  message: string;
  hint: string;
}

async function doctorJson(args: string[]): Promise<{ code: number; findings: FindingJson[] }> {
  const r = await run(['doctor', ...args, '--json']);
  expect(r.stderr).toBe('');
  const parsed = JSON.parse(r.stdout) as { findings: FindingJson[] };
  expect(Object.keys(parsed)).toEqual(['findings']);
  for (const f of parsed.findings) expect(Object.keys(f)).toEqual(CONTRACT_KEYS);
  return { code: r.code, findings: parsed.findings };
}

describe('kubechains doctor', () => {
  it('--json: the contract fields, most severe first, exit 0 with no error finding', async () => {
    const { code, findings } = await doctorJson([fixture('loadbalancer-source-ranges.save')]);
    expect(code).toBe(0);
    expect(findings.map((f) => `${f.severity} ${f.kind} ${f.service} ${f.table} ${f.chain} ${f.rule}`)).toEqual([
      'warning no-endpoints default/broken-lb filter KUBE-SERVICES 1',
      'warning counting-drop default/broken-lb filter KUBE-EXTERNAL-SERVICES 1',
      'warning counting-drop default/broken-lb filter KUBE-EXTERNAL-SERVICES 2',
      'warning counting-drop null filter KUBE-FORWARD 1',
      'warning counting-drop default/public-web:https filter KUBE-PROXY-FIREWALL 1',
      'warning counting-drop default/ingress:http filter KUBE-PROXY-FIREWALL 2',
      'warning counting-drop default/broken-lb filter KUBE-SERVICES 1',
      'info source-ranges default/ingress:http nat KUBE-FW-FYLGM62JFGZEKHFX null',
      'info source-ranges default/public-web:https nat KUBE-FW-KMOEDJLBXLV3OTMX null',
    ]);
    expect(findings[5]!.message).toContain('dropped 1680 packets (100800 bytes)');
  });

  it('exits 1 when a finding is an error, in-process and as a real process', async () => {
    const dump = path.join(corpusDir, 'TestOverallIPTablesRules.dump');
    const { code, findings } = await doctorJson([dump]);
    expect(code).toBe(1);
    expect(findings.filter((f) => f.severity === 'error').map((f) => f.kind)).toEqual(['no-masquerade', 'unreachable-kube-services']);
    const p = await runProcess(['doctor', dump]);
    expect(p.code).toBe(1);
    expect(p.stderr).toBe('');
    expect(p.stdout).toMatch(/^ERROR no-masquerade {2}\[nat KUBE-POSTROUTING\]\n/);
  });

  it('prints text most severe first, each finding with where, what and a hint, and a count', async () => {
    const r = await run(['doctor', fixture('old-layout.save')]);
    expect(r.code).toBe(0);
    const heads = r.stdout.split('\n').filter((l) => /^(ERROR|WARNING|INFO) /.test(l));
    expect(heads).toEqual([
      'WARNING no-endpoints  [filter KUBE-SERVICES rule 1]',
      'WARNING counting-drop  [filter KUBE-FIREWALL rule 1]',
      'WARNING counting-drop  [filter KUBE-FORWARD rule 1]',
      'WARNING counting-drop  [filter KUBE-SERVICES rule 1]',
      'INFO no-local-endpoints  [nat KUBE-XLB-OHX3GKRUED7TEZY3 rule 4]',
      'INFO source-ranges  [nat KUBE-FW-KMOEDJLBXLV3OTMX]',
    ]);
    expect(r.stdout).toContain('  hint: check that pods match');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('0 errors, 4 warnings, 2 info');
  });

  it('says so when nothing is wrong', async () => {
    const r = await run(['doctor', fixture('seed-clusterip.save'), '--node-ip', '10.0.0.1']);
    expect(r).toEqual({ code: 0, stdout: 'no problems found\n', stderr: '' });
    expect((await doctorJson([fixture('seed-clusterip.save')])).findings).toEqual([]);
  });

  it('bad input is file:line:column and exit 2; a flag it does not take is a usage error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kubechains-doctor-'));
    const bad = path.join(dir, 'bad.save');
    writeFileSync(bad, '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\n*bogus\nCOMMIT\n');
    const r = await run(['doctor', bad, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
    const usage = await run(['doctor', fixture('seed-clusterip.save'), '--dst', '10.0.0.1:80']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('kubechains: --dst does not apply to `doctor` (see kubechains doctor --help)\n');
  });

  it('has its own --help', async () => {
    const r = await run(['doctor', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kubechains doctor \[SOURCE\]/);
    expect((await run(['--help'])).stdout).toContain('kubechains doctor [SOURCE] [--node-ip IP,...] [--conntrack F] [--json]');
  });
});
