/** `--kube-jumps` on the CLI: kube-proxy's test dumps reach their services, and say what was assumed. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { snapshotData } from '../../src/tui/model/snapshot-data.js';
import { run } from './harness.js';

const dump = path.join(import.meta.dirname, '../corpus/kube-proxy/iptables/TestOverallIPTablesRules.dump');

describe('--kube-jumps', () => {
  it('trace: without it, no DNAT and a note that suggests it; with it, the DNAT and the assumed jump', async () => {
    const plain = await run(['trace', dump, '--dst', '172.30.0.41:80', '--src', '10.0.0.2', '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    const p = JSON.parse(plain.stdout) as { outcomes: { dnat: string | null }[]; notes: string[] };
    expect(p.outcomes.every((o) => o.dnat === null)).toBe(true);
    expect(p.notes).toContainEqual(expect.stringMatching(/^nat PREROUTING has no jump to KUBE-SERVICES .*--kube-jumps adds kube-proxy's standard jumps/));

    const r = await run(['trace', dump, '--dst', '172.30.0.41:80', '--src', '10.0.0.2', '--json', '--kube-jumps']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { outcomes: { dnat: string | null; assumptions: string[] }[]; notes: string[] };
    expect(j.outcomes.map((o) => o.dnat)).toEqual(j.outcomes.map(() => '10.180.0.1:80'));
    for (const o of j.outcomes) expect(o.assumptions).toContainEqual(expect.stringMatching(/^nat PREROUTING: assumed kube-proxy's jump \(--kube-jumps\), not in the dump: -A PREROUTING /));
    expect(j.notes.filter((n) => /no jump to KUBE-SERVICES/.test(n))).toEqual([]);
  });

  it('which: the service is reached, and the text shows the assumption', async () => {
    const r = await run(['which', 'ns1/svc1:p80', dump, '--kube-jumps']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/10\.180\.0\.1:80/);
    expect(r.stdout).toMatch(/assumed kube-proxy's jump \(--kube-jumps\)/);
  });

  it('chain: the assumed rule is listed and marked', async () => {
    const r = await run(['chain', 'PREROUTING', dump, '--kube-jumps']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 .* KUBE-SERVICES /m);
    expect(r.stdout).toMatch(/^rule 1: assumed kube-proxy's jump \(--kube-jumps\), not in the dump$/m);
  });

  it('the explorer: its warnings suggest it when no hook reaches KUBE-SERVICES, and list the jumps it added', () => {
    const text = readFileSync(dump, 'utf8');
    const snap = (kubeJumps: boolean) => ({ text, ruleset: parseIptablesSave(text, { kubeJumps }), origin: dump, takenAt: new Date(0), nodeAddresses: [] });
    expect(snapshotData(snap(false)).warnings).toContainEqual(expect.stringMatching(/^nat PREROUTING has no jump to KUBE-SERVICES .*--kube-jumps adds/));
    const withJumps = snapshotData(snap(true)).warnings;
    expect(withJumps.filter((w) => /no jump to KUBE-SERVICES/.test(w))).toEqual([]);
    expect(withJumps).toContainEqual(expect.stringMatching(/^--kube-jumps: \d+ of kube-proxy's standard jumps added to nat/));
  });

  it('is an option the explorer takes (its usage line lists it)', async () => {
    const r = await run(['--help']);
    expect(r.stdout).toMatch(/--kube-jumps +add kube-proxy's standard jumps/);
  });
});
