import { describe, expect, it } from 'vitest';
import { pollModeOf } from '../../src/sources/poller.js';
import { fakeExplorer, fixture, run } from './harness.js';


describe('no subcommand: the explorer', () => {
  it('refuses to start without a terminal', async () => {
    const fake = fakeExplorer();
    const r = await run([fixture('seed-clusterip.save')], { importExplorer: fake.importExplorer });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kubechains: the explorer needs a terminal; for scripts use services, which, chain or trace/);
    expect(fake.launches).toHaveLength(0);
  });

  it('hands runExplorer the loaded snapshot, the source, the interval and the node addresses', async () => {
    const fake = fakeExplorer();
    const file = fixture('seed-nodeport-cluster.save');
    const r = await run([file, '--node-ip', '172.16.1.10', '--interval', '5'], { tty: { columns: 100 }, importExplorer: fake.importExplorer });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fake.launches).toHaveLength(1);
    const launch = fake.launches[0]!;
    expect(launch.snapshot!.origin).toBe(file);
    expect(launch.snapshot!.ruleset.tables.length).toBeGreaterThan(0);
    expect(launch.source).toEqual({ kind: 'file', path: file });
    expect(pollModeOf(launch.source!)).toBe('watch');
    expect(launch.intervalSeconds).toBe(5);
    expect(launch.nodeAddresses).toEqual(['172.16.1.10']);
  });

  it('treats --source-cmd as a live source with the default 2 s interval', async () => {
    const fake = fakeExplorer();
    const file = fixture('seed-clusterip.save');
    const r = await run(['--source-cmd', `cat '${file}'`], { tty: { columns: 100 }, importExplorer: fake.importExplorer });
    expect(r.code).toBe(0);
    const launch = fake.launches[0]!;
    expect(pollModeOf(launch.source!)).toBe('interval');
    expect(launch.intervalSeconds).toBe(2);
    expect(launch.source).toEqual({ kind: 'command', command: `cat '${file}'` });
  });

  it('passes on the explorer\'s exit code', async () => {
    const r = await run([fixture('seed-clusterip.save')], {
      tty: { columns: 100 },
      importExplorer: async () => ({ runExplorer: async () => 3 }),
    });
    expect(r.code).toBe(3);
  });

  it('prints one clear line when the explorer cannot be loaded', async () => {
    for (const importExplorer of [() => Promise.reject(new Error("Cannot find module 'ink'\n  at somewhere")), async () => ({})]) {
      const r = await run([fixture('seed-clusterip.save')], { tty: { columns: 80 }, importExplorer });
      expect(r.code).toBe(70);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^kubechains: cannot load the explorer \(.+\); the services, which, chain and trace commands still work$/m);
    }
  });
});
