/** `kubechains conns`: the JSON contract, the text form, QUERY, the conntrack sources and exit codes. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, run } from './harness.js';

const SEED = fixture('seed-nodeport-cluster.save');
const SEED_CT = fixture('conntrack/seed-nodeport-cluster.plain.txt');

interface ConnsJson {
  services: { id: string; connections: number; endpoints: { address: string; connections: number; states: Record<string, number>; masqueraded: number }[]; family: string; protocol: string }[];
  unmatched: number;
  entries: number;
  assumptions: string[];
}

async function connsJson(args: string[]): Promise<ConnsJson> {
  const r = await run(['conns', ...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const parsed = JSON.parse(r.stdout) as ConnsJson;
  expect(Object.keys(parsed)).toEqual(['services', 'unmatched', 'entries', 'assumptions']);
  for (const s of parsed.services) {
    expect(Object.keys(s)).toEqual(['id', 'connections', 'endpoints', 'family', 'protocol']);
    for (const e of s.endpoints) expect(Object.keys(e)).toEqual(['address', 'connections', 'states', 'masqueraded']);
  }
  return parsed;
}

describe('kubechains conns', () => {
  it('--json: every service port with endpoints, connections per endpoint and state, masquerade, unmatched', async () => {
    const j = await connsJson([SEED, '--conntrack', SEED_CT, '--node-ip', '172.16.1.10']);
    expect(j.services.map((s) => [s.id, s.connections])).toEqual([
      ['default/kubernetes:https', 1],
      ['default/nginx', 4],
      ['kube-system/kube-dns:dns', 3],
      ['kube-system/kube-dns:dns-tcp', 1],
      ['kube-system/kube-dns:metrics', 0],
    ]);
    expect(j.services[1]!.endpoints).toEqual([{ address: '10.64.2.4:80', connections: 4, states: { ESTABLISHED: 3, TIME_WAIT: 1 }, masqueraded: 2 }]);
    expect(j.unmatched).toBe(4);
    expect(j.entries).toBe(13);
    expect(j.assumptions).toEqual([]);
  });

  it('without a node address: the node port is matched on any non-service address, and the JSON says so', async () => {
    const j = await connsJson([SEED, '--conntrack', SEED_CT]);
    expect(j.services.find((s) => s.id === 'default/nginx')!.connections).toBe(4);
    expect(j.assumptions).toHaveLength(1);
    expect(j.assumptions[0]).toContain('node addresses unknown');
  });

  it('an nftables ruleset, IPv6 and /proc/net/nf_conntrack', async () => {
    const j = await connsJson([fixture('nftables/dual-stack.nft'), '--conntrack', fixture('conntrack/dual-stack.proc.txt'), 'default/web']);
    expect(j.services.map((s) => [s.id, s.family, s.connections])).toEqual([
      ['default/web', 'ipv4', 1],
      ['default/web', 'ipv6', 3],
    ]);
    expect(j.services[1]!.endpoints.map((e) => [e.address, e.connections])).toEqual([
      ['[fd00:10:244:1::5]:8080', 1],
      ['[fd00:10:244:2::7]:8080', 2],
    ]);
    // The node ports count on the ruleset's @nodeport-ips: only the UDP flow to no service is unmatched.
    expect(j.unmatched).toBe(1);
    expect(j.assumptions).toEqual([]);
  });

  it('QUERY after SOURCE keeps the service ports it matches; with one argument a word is the QUERY', async () => {
    const j = await connsJson([SEED, 'nginx', '--conntrack', SEED_CT, '--node-ip', '172.16.1.10']);
    expect(j.services.map((s) => s.id)).toEqual(['default/nginx']);
    const byCmd = await connsJson(['--source-cmd', `cat '${SEED}'`, '10.32.0.10:53', '--conntrack', SEED_CT]);
    expect(byCmd.services.map((s) => s.id)).toEqual(['kube-system/kube-dns:dns', 'kube-system/kube-dns:dns-tcp']);
  });

  it('a QUERY that matches no service port: exit 1', async () => {
    const r = await run(['conns', SEED, 'no-such-thing-zzz', '--conntrack', SEED_CT]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no service with endpoints matches');
  });

  it('text: a row per service port and endpoint with CONN, MASQ and the states', async () => {
    const r = await run(['conns', SEED, '--conntrack', SEED_CT, '--node-ip', '172.16.1.10']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`13 conntrack entries from ${SEED_CT}: 9 to service endpoints, 4 unmatched`);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}10\.64\.2\.4:80 +4 +2 +ESTABLISHED 3, TIME_WAIT 1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}10\.64\.1\.3:53 +2 +0 +ASSURED 1, SEEN_REPLY 1$/));
    expect(r.stdout).not.toContain('assumption:');
    const unknown = await run(['conns', SEED, '--conntrack', SEED_CT]);
    expect(unknown.stdout).toContain('assumption: node addresses unknown');
  });

  it('--conntrack - reads standard input; --conntrack-cmd runs the command', async () => {
    const text = readFileSync(SEED_CT, 'utf8');
    const r = await run(['conns', SEED, '--conntrack', '-', '--node-ip', '172.16.1.10', '--json'], { stdin: text });
    expect((JSON.parse(r.stdout) as ConnsJson).entries).toBe(13);
    const cmd = await connsJson([SEED, '--conntrack-cmd', `cat '${SEED_CT}'`, '--node-ip', '172.16.1.10']);
    expect(cmd.entries).toBe(13);
  });

  it('bad lines are warnings FILE:LINE:COL on stderr; the rest is counted', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-conns-'));
    const file = path.join(dir, 'ct.txt');
    writeFileSync(file, readFileSync(SEED_CT, 'utf8') + 'tcp 6 10 ESTABLISHED src=10.0.0.300 dst=10.32.0.61 sport=1 dport=80 src=10.64.2.4 dst=10.0.0.1 sport=80 dport=1\n\u001b[31mjunk\n');
    const r = await run(['conns', SEED, '--conntrack', file, '--node-ip', '172.16.1.10', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      `${file}:16:26: warning: bad address "10.0.0.300"`,
      `${file}:17:1: warning: bad protocol "\\x1b[31mjunk"`,
    ]);
    expect(r.stderr).not.toContain('\u001b');
    expect((JSON.parse(r.stdout) as ConnsJson).entries).toBe(13);
  });

  it('an unreadable table, no table, a failing command, or both stdin: exit 2 with one line', async () => {
    const missing = await run(['conns', SEED, '--conntrack', '/nonexistent/ct.txt']);
    expect([missing.code, missing.stderr]).toEqual([2, 'kubechains: /nonexistent/ct.txt: no such file\n']);
    const none = await run(['conns', SEED]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('conns needs a conntrack table');
    const failing = await run(['conns', SEED, '--conntrack-cmd', 'echo nope >&2; exit 3']);
    expect(failing.code).toBe(2);
    expect(failing.stderr).toMatch(/^kubechains: --conntrack-cmd "echo nope >&2; exit 3" exited with status 3/);
    const both = await run(['conns', '-', '--conntrack', '-']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
    const twice = await run(['conns', SEED, '--conntrack', SEED_CT, '--conntrack-cmd', 'true']);
    expect(twice.code).toBe(2);
  });

  it('--conntrack does not apply to services', async () => {
    const r = await run(['services', SEED, '--conntrack', SEED_CT]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--conntrack does not apply to `services`');
  });
});
