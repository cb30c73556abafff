/**
 * `services`, `chain` and `which` with --json read one snapshot from --source-cmd: the command
 * runs once, through /bin/sh, and its dump's counters are what the JSON reports. A failing
 * command is one line on stderr and exit 2; so is output that does not parse.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildKubeModel } from '../../src/core/kube/index.js';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { run } from '../cli/harness.js';
import { XTABLES_LOCK, createFakeSource, fakeTemplate, type FakeSource } from './fake-source.js';

let fake: FakeSource | null = null;
afterEach(() => {
  fake?.cleanup();
  fake = null;
});

interface ServiceJson {
  id: string;
  packets: number | null;
  endpoints: { address: string; chain: string; packets: number | null }[];
}

describe('--source-cmd with --json (one snapshot)', () => {
  it('services --json: the command runs once and its counters are reported', async () => {
    fake = createFakeSource();
    const r = await run(['services', '--json', '--source-cmd', fake.command]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fake.runs()).toBe(1);
    const services = (JSON.parse(r.stdout) as { services: ServiceJson[] }).services;
    expect(services.map((s) => s.id)).toEqual(['kc/alpha', 'kc/beta', 'kc/gamma']);
    // Run 1: each of alpha's DNAT rules counts 10, beta's 20, gamma's 0.
    const byId = new Map(services.map((s) => [s.id, s]));
    expect(byId.get('kc/alpha')!.endpoints.map((e) => e.packets)).toEqual([10, 10]);
    expect(byId.get('kc/alpha')!.packets).toBe(20);
    expect(byId.get('kc/beta')!.packets).toBe(40);
    expect(byId.get('kc/gamma')!.packets).toBe(0);
  });

  it('chain NAME --json and which QUERY --json read the same command', async () => {
    fake = createFakeSource();
    const model = buildKubeModel(parseIptablesSave(fakeTemplate()));
    const alpha = model.services.find((s) => s.id === 'kc/alpha')!;
    const sep = alpha.endpoints[0]!.chain;

    const chain = await run(['chain', sep, '--json', '--source-cmd', fake.command]);
    expect(chain.stderr).toBe('');
    expect(chain.code).toBe(0);
    const c = (JSON.parse(chain.stdout) as { chains: { name: string; rules: { target: string; packets: number }[] }[] }).chains[0]!;
    expect(c.name).toBe(sep);
    expect(c.rules.find((x) => x.target === 'DNAT')!.packets).toBe(10);

    const which = await run(['which', 'kc/beta', '--json', '--source-cmd', fake.command]);
    expect(which.stderr).toBe('');
    expect(which.code).toBe(0);
    const w = JSON.parse(which.stdout) as { match: string; services: (ServiceJson & { entryPoints: { outcomes: { dnat: string | null }[] }[] })[] };
    expect(w.match).toBe('exact');
    expect(w.services.map((s) => s.id)).toEqual(['kc/beta']);
    // The second run of the command: beta's DNAT rules count 20 × 2 each.
    expect(w.services[0]!.packets).toBe(80);
    expect(w.services[0]!.entryPoints[0]!.outcomes.map((o) => o.dnat).sort()).toEqual(['10.64.1.12:8080', '10.64.2.12:8080']);
    expect(fake.runs()).toBe(2);
  });

  it('a failing command and a truncated dump are one line and exit 2', async () => {
    fake = createFakeSource();
    fake.setMode('fail');
    const failed = await run(['services', '--json', '--source-cmd', fake.command]);
    expect(failed.code).toBe(2);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toBe(`kubechains: --source-cmd ${JSON.stringify(fake.command)} exited with status 4: ${XTABLES_LOCK}\n`);

    fake.setMode('truncated');
    const cut = await run(['services', '--json', '--source-cmd', fake.command]);
    expect(cut.code).toBe(2);
    expect(cut.stdout).toBe('');
    expect(cut.stderr).toMatch(new RegExp(`^<${fake.command.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}>:\\d+:\\d+: error: `));
  });
});
