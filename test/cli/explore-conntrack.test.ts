/**
 * The explorer's conntrack options (issue 15): --conntrack FILE and --conntrack-cmd reach
 * runExplorer with the table read once already; an unreadable one exits 2 before the explorer
 * opens; without one on a dump file there is no conntrack source at all.
 */
import { describe, expect, it } from 'vitest';
import { fakeExplorer, fixture, run } from './harness.js';


const RULES = fixture('seed-nodeport-cluster.save');
const TABLE = fixture('conntrack/seed-nodeport-cluster.plain.txt');

describe('the explorer with a conntrack source', () => {
  it('--conntrack FILE: the table read once, its spec for the re-reads', async () => {
    const fake = fakeExplorer();
    const r = await run([RULES, '--node-ip', '172.16.1.10', '--conntrack', TABLE], { tty: { columns: 100 }, importExplorer: fake.importExplorer });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const launch = fake.launches[0]!;
    expect(launch.conntrack?.spec).toEqual({ kind: 'file', path: TABLE });
    expect(launch.conntrack?.initial.table.entries).toHaveLength(13);
    expect(launch.conntrackNote ?? null).toBeNull();
  });

  it('--conntrack-cmd: run once before the explorer opens, then handed over as a command', async () => {
    const fake = fakeExplorer();
    const r = await run([RULES, '--conntrack-cmd', `cat '${TABLE}'`], { tty: { columns: 100 }, importExplorer: fake.importExplorer });
    expect(r.code).toBe(0);
    expect(fake.launches[0]!.conntrack?.spec).toEqual({ kind: 'command', command: `cat '${TABLE}'` });
    expect(fake.launches[0]!.conntrack?.initial.origin).toBe(`cat '${TABLE}'`);
  });

  it('an unreadable --conntrack FILE exits 2 with a one-line message, and the explorer does not open', async () => {
    const fake = fakeExplorer();
    const r = await run([RULES, '--conntrack', fixture('conntrack/no-such-table.txt')], { tty: { columns: 100 }, importExplorer: fake.importExplorer });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^kubechains: .*no-such-table\.txt/);
    expect(fake.launches).toHaveLength(0);
  });

  it('a dump file without --conntrack: no conntrack source (the table would not be that dump\'s node\'s)', async () => {
    const fake = fakeExplorer();
    const r = await run([RULES], { tty: { columns: 100 }, importExplorer: fake.importExplorer });
    expect(r.code).toBe(0);
    expect(fake.launches[0]!.conntrack ?? null).toBeNull();
  });
});
