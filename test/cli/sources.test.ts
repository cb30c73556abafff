import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { findOnPath, loadSnapshot, localNodeAddresses, sourceSpecFor, SourceError } from '../../src/sources/index.js';
import { fixture } from './harness.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const tmp = mkdtempSync(path.join(tmpdir(), 'kc-sources-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function sourceError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SourceError);
    return (e as Error).message;
  }
  throw new Error('expected a SourceError');
}

function shim(dir: string, name: string, body: string): void {
  const p = path.join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
}

describe('sourceSpecFor', () => {
  it('maps SOURCE and --source-cmd to a spec', () => {
    expect(sourceSpecFor('x.save', null)).toEqual({ kind: 'file', path: 'x.save' });
    expect(sourceSpecFor('-', null)).toEqual({ kind: 'stdin' });
    expect(sourceSpecFor(null, 'cat x')).toEqual({ kind: 'command', command: 'cat x' });
    expect(sourceSpecFor(null, null)).toEqual({ kind: 'local' });
  });
});

describe('file source', () => {
  it('reads and parses a dump, with origin and time', async () => {
    const before = Date.now();
    const snap = await loadSnapshot({ kind: 'file', path: fixture('seed-clusterip.save') });
    expect(snap.text).toBe(readFileSync(fixture('seed-clusterip.save'), 'utf8'));
    expect(snap.origin).toBe(fixture('seed-clusterip.save'));
    expect(snap.ruleset.tables.map((t) => t.name)).toContain('nat');
    expect(snap.takenAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(snap.nodeAddresses).toEqual([]);
  });

  it('refuses a missing file and a directory with one line', async () => {
    expect(await sourceError(loadSnapshot({ kind: 'file', path: path.join(tmp, 'nope.save') }))).toMatch(/nope\.save: no such file$/);
    expect(await sourceError(loadSnapshot({ kind: 'file', path: tmp }))).toMatch(/is a directory/);
  });

  it('drops a UTF-8 byte order mark', async () => {
    const p = path.join(tmp, 'bom.save');
    writeFileSync(p, '\ufeff' + readFileSync(fixture('seed-clusterip.save'), 'utf8'));
    const snap = await loadSnapshot({ kind: 'file', path: p });
    expect(snap.text.charCodeAt(0)).toBe('#'.charCodeAt(0));
    expect(snap.ruleset.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('reads a 40 MB dump whole', async () => {
    const head = '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n';
    const rule = '[5:300] -A KUBE-SERVICES -d 10.32.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j ACCEPT\n';
    const count = Math.ceil((40 * 1024 * 1024) / rule.length);
    const p = path.join(tmp, 'big.save');
    writeFileSync(p, head + rule.repeat(count) + 'COMMIT\n');
    const snap = await loadSnapshot({ kind: 'file', path: p });
    expect(snap.text.length).toBeGreaterThan(40 * 1024 * 1024);
    expect(snap.ruleset.tables[0]!.chainsByName.get('KUBE-SERVICES')!.rules.length).toBe(count);
  }, 60_000);
});

describe('stdin source', () => {
  it('reads everything from the stream', async () => {
    const text = readFileSync(fixture('seed-nodeport-cluster.save'));
    // Split in two chunks: the reader must join them, not take the first.
    const stdin = Readable.from([text.subarray(0, 1000), text.subarray(1000)]);
    const snap = await loadSnapshot({ kind: 'stdin' }, { stdin });
    expect(snap.text).toBe(text.toString('utf8'));
    expect(snap.origin).toBe('<stdin>');
  });
});

describe('command source', () => {
  it('runs the command through /bin/sh and reads its output', async () => {
    const file = fixture('seed-clusterip.save');
    const snap = await loadSnapshot({ kind: 'command', command: `cat '${file}' | cat` });
    expect(snap.text).toBe(readFileSync(file, 'utf8'));
    expect(snap.origin).toBe(`cat '${file}' | cat`);
  });

  it('reports a failing command with its status and first stderr line', async () => {
    const m = await sourceError(loadSnapshot({ kind: 'command', command: 'echo; echo "no route to node" >&2; exit 3' }));
    expect(m).toMatch(/exited with status 3: no route to node/);
  });
});

describe('local source', () => {
  it('says what to pass when neither iptables-save nor nft is on PATH', async () => {
    const empty = mkdtempSync(path.join(tmp, 'empty-'));
    const m = await sourceError(loadSnapshot({ kind: 'local' }, { env: { PATH: empty } }));
    expect(m).toMatch(/neither iptables-save nor nft is on PATH/);
    expect(m).toMatch(/dump file.*standard input.*--source-cmd/);
  });

  it('finds programs on PATH without running anything, ignoring relative entries', async () => {
    const dir = mkdtempSync(path.join(tmp, 'path-'));
    shim(dir, 'iptables-save', 'exit 0');
    writeFileSync(path.join(dir, 'not-executable'), '');
    expect(await findOnPath('iptables-save', `relative:${dir}`)).toBe(path.join(dir, 'iptables-save'));
    expect(await findOnPath('not-executable', dir)).toBeNull();
    expect(await findOnPath('iptables-save', 'relative')).toBeNull();
  });

  it('lists the node addresses, outward-facing IPv4 first and loopback last', () => {
    const addrs = localNodeAddresses();
    expect(addrs).toContain('127.0.0.1');
    expect(addrs.indexOf('127.0.0.1')).toBe(addrs.length - (addrs.includes('::1') ? 2 : 1));
  });

  describe.skipIf(!isRoot && process.env.CI !== 'true')('as root (skipped: needs root, run as root or with CI=true)', () => {
    it('concatenates iptables-save -c and ip6tables-save -c and reads the node addresses', async () => {
      const dir = mkdtempSync(path.join(tmp, 'bin-'));
      const log = path.join(dir, 'log');
      const v6 = path.join(dir, 'v6.save');
      writeFileSync(v6, '# Generated by ip6tables-save v1.8.9\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -d fd00::1/128 -j ACCEPT\nCOMMIT\n');
      shim(dir, 'iptables-save', `echo "iptables-save $*" >> '${log}'; /bin/cat '${fixture('seed-clusterip.save')}'`);
      shim(dir, 'ip6tables-save', `echo "ip6tables-save $*" >> '${log}'; /bin/cat '${v6}'`);
      const snap = await loadSnapshot({ kind: 'local' }, { env: { PATH: dir } });
      expect(readFileSync(log, 'utf8')).toBe('iptables-save -c\nip6tables-save -c\n');
      expect(snap.origin).toBe('iptables-save -c + ip6tables-save -c');
      expect(snap.ruleset.tables.map((t) => `${t.family} ${t.name}`)).toContain('ipv6 nat');
      expect(snap.ruleset.tables.map((t) => `${t.family} ${t.name}`)).toContain('ipv4 nat');
      expect(snap.nodeAddresses).toEqual(localNodeAddresses());
    });

    it('leaves out an ip6tables-save that prints no rules, and fails with iptables-save', async () => {
      const dir = mkdtempSync(path.join(tmp, 'bin-'));
      shim(dir, 'iptables-save', `/bin/cat '${fixture('seed-clusterip.save')}'`);
      shim(dir, 'ip6tables-save', 'echo "ip6tables-save: IPv6 disabled" >&2; exit 1');
      const snap = await loadSnapshot({ kind: 'local' }, { env: { PATH: dir } });
      expect(snap.origin).toBe('iptables-save -c');
      expect(snap.text).toBe(readFileSync(fixture('seed-clusterip.save'), 'utf8'));

      shim(dir, 'iptables-save', 'echo "iptables-save: Permission denied (you must be root)" >&2; exit 4');
      const m = await sourceError(loadSnapshot({ kind: 'local' }, { env: { PATH: dir } }));
      expect(m).toBe('iptables-save -c exited with status 4: iptables-save: Permission denied (you must be root)');
    });
  });
});
