/** The built bin as a real process: what `npx kubechains …` runs. */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { builtMain, fixture, runProcess } from './harness.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-process-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the built kubechains bin', () => {
  it('starts with a node shebang', () => {
    expect(readFileSync(builtMain, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('reads a dump from standard input with -', async () => {
    const r = await runProcess(['services', '-', '--json'], { stdin: readFileSync(fixture('seed-nodeport-cluster.save'), 'utf8') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ids = (JSON.parse(r.stdout) as { services: { id: string; nodePort: number | null }[] }).services;
    expect(ids.find((s) => s.id === 'default/nginx')!.nodePort).toBe(30783);
  });

  it('names <stdin> in a parse error from standard input', async () => {
    const r = await runProcess(['services', '-'], { stdin: '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j\nCOMMIT\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^<stdin>:3:\d+: error: /);
  });

  it('reads a dump from --source-cmd', async () => {
    const file = fixture('seed-nodeport-cluster.save');
    const r = await runProcess(['which', 'default/nginx', '--source-cmd', `cat '${file}'`, '--node-ip', '172.16.1.10']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('KUBE-SEP-YVT6EXXEKT4LDXBC');
    expect(r.stdout).toContain('node port 172.16.1.10:30783/tcp');
    const failing = await runProcess(['services', '--source-cmd', 'echo "ssh: connect to host node1: No route" >&2; exit 255']);
    expect(failing.code).toBe(2);
    expect(failing.stderr).toMatch(/^kubechains: --source-cmd .* exited with status 255: ssh: connect to host node1: No route\n$/);
  });

  it('exits 0, 1 and 2 as the contract says, never with a stack trace', async () => {
    const file = fixture('seed-clusterip.save');
    const cases: [string[], number][] = [
      [['chain', 'KUBE-SERVICES', file], 0],
      [['trace', file, '--dst', '10.32.0.251:80'], 0],
      [['which', 'nosuchservicexyz', file], 1],
      [['chain', 'NO-SUCH-CHAIN', file], 1],
      [['services', path.join(tmp, 'missing.save')], 2],
      [['trace', file], 2],
      [['--bogus'], 2],
    ];
    for (const [argv, code] of cases) {
      const r = await runProcess(argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.stderr, argv.join(' ')).not.toMatch(/\n\s+at /);
      if (code !== 0) expect(r.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });

  it('without SOURCE and not root, says to run as root or what to pass (exit 2)', async () => {
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin, { recursive: true });
    const shim = path.join(bin, 'iptables-save');
    writeFileSync(shim, '#!/bin/sh\nexit 0\n');
    chmodSync(shim, 0o755);
    chmodSync(tmp, 0o755);
    // As root, drop to nobody for this run; otherwise we already are not root.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = await runProcess(['services'], { env: { PATH: bin }, cwd: '/', ...asNobody });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^kubechains: no SOURCE given: reading this node's rules needs root \(sudo kubechains \.\.\.\), or pass a dump file .*--source-cmd/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);

    const none = await runProcess(['services'], { env: { PATH: path.join(tmp, 'empty') } });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^kubechains: no SOURCE given and neither iptables-save nor nft is on PATH \(not a node\?\): pass a dump file/);
  });

  it('prints its version and help', async () => {
    const pkg = JSON.parse(readFileSync(path.resolve(fixture('..'), 'package.json'), 'utf8')) as { version: string };
    expect((await runProcess(['--version'])).stdout).toBe(`kubechains ${pkg.version}\n`);
    expect((await runProcess(['which', '--help'])).stdout).toMatch(/^Usage: kubechains which QUERY/);
  });

  it('stops quietly when the reader of its output goes away (| head)', () => {
    const lines = ['*nat', ':PREROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]'];
    for (let i = 0; i < 20000; i++) lines.push(`[0:0] -A KUBE-SERVICES -d 10.${i >> 8}.${i & 255}.1/32 -p tcp -m tcp --dport 80 -j ACCEPT`);
    lines.push('COMMIT', '');
    const big = path.join(tmp, 'big.save');
    writeFileSync(big, lines.join('\n'));
    const errFile = path.join(tmp, 'stderr');
    const out = execFileSync('/bin/sh', ['-c', `'${process.execPath}' '${builtMain}' chain KUBE-SERVICES '${big}' 2>'${errFile}' | head -n 2`]).toString();
    expect(out.split('\n')[1]).toMatch(/^Chain KUBE-SERVICES/);
    expect(readFileSync(errFile, 'utf8')).toBe('');
  });
});
