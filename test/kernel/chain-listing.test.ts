/**
 * `kubechains chain` against `iptables -L -v -n -x --line-numbers` for kube-proxy's session
 * affinity chains: fixtures/session-affinity.save is loaded into a scratch namespace, and for
 * every KUBE-SVC and KUBE-SEP chain with a `-m recent` rule the CLI's --json listing must give,
 * rule by rule, the counters, target and match summary that iptables prints for the same rules.
 * (The prot column is left out: iptables 1.8.9 prints protocol numbers, `chain` their names.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../helpers/paths.js';
import { run } from '../cli/harness.js';
import { inNs } from './exec.js';
import { ScratchNamespace, kernelGate, loadRuleset } from './netns.js';

const gate = kernelGate();
const FILE = path.join(fixturesDir, 'session-affinity.save');

interface Listed {
  readonly number: number;
  readonly packets: number;
  readonly bytes: number;
  readonly target: string;
  readonly summary: string;
}

/** Rule lines of `iptables -L CHAIN -v -n -x --line-numbers`: num pkts bytes target prot opt in out source destination summary. */
function parseIptablesList(text: string): Listed[] {
  const rules: Listed[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s*(.*)$/.exec(line);
    if (m) rules.push({ number: Number(m[1]), packets: Number(m[2]), bytes: Number(m[3]), target: m[4]!, summary: m[5]!.trim() });
  }
  return rules;
}

describe.skipIf(gate.skip)(gate.title('chain listing vs iptables -L: -m recent (session affinity)'), () => {
  let ns: ScratchNamespace;
  const text = fs.readFileSync(FILE, 'utf8');
  const chains = [...new Set([...text.matchAll(/^\[\d+:\d+\] -A (KUBE-(?:SVC|SEP)-\S+) .*-m recent /gm)].map((m) => m[1]!))].sort();

  beforeAll(() => {
    gate.assertAvailable();
    ns = ScratchNamespace.create('cl');
    loadRuleset(ns.name, text, { counters: true });
  });
  afterAll(() => ns?.destroy());

  it('finds the affinity chains: two KUBE-SVC with --rcheck, five KUBE-SEP with --set', () => {
    expect(chains.filter((c) => c.startsWith('KUBE-SVC-'))).toHaveLength(2);
    expect(chains.filter((c) => c.startsWith('KUBE-SEP-'))).toHaveLength(5);
  });

  it('lists each chain rule for rule as iptables -L does', async () => {
    for (const chain of chains) {
      const kernel = parseIptablesList(inNs(ns.name, 'iptables', ['-w', '-t', 'nat', '-L', chain, '-v', '-n', '-x', '--line-numbers']));
      const r = await run(['chain', chain, FILE, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const [listed] = (JSON.parse(r.stdout) as { chains: Array<{ rules: Listed[] }> }).chains;
      const ours = listed!.rules.map(({ number, packets, bytes, target, summary }) => ({ number, packets, bytes, target, summary }));
      expect(kernel.length, `${chain}: rules iptables lists`).toBeGreaterThan(1);
      expect(ours, chain).toEqual(kernel);
      expect(ours.some((x) => /recent: (CHECK|SET) /.test(x.summary)), chain).toBe(true);
    }
  });
});
