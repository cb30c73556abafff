/**
 * nftables mode, live: the poller reads `nft -j list ruleset` output from --source-cmd (detected
 * like any dump), and as root with no SOURCE the local node's `nft -j list ruleset` beside
 * iptables-save (a node in nftables mode has no iptables rules at all).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDumpModel } from '../../src/core/index.js';
import { createPoller, type Poller, type PollerEvent } from '../../src/sources/poller.js';
import type { Snapshot } from '../../src/sources/index.js';
import { fixture } from '../cli/harness.js';

let poller: Poller | null = null;
const temps: string[] = [];
afterEach(async () => {
  await poller?.stop();
  poller = null;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function firstSnapshot(p: Poller): Promise<Snapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no snapshot within 60 s')), 60_000);
    p.subscribe((e: PollerEvent) => {
      if (e.type === 'snapshot') {
        clearTimeout(timer);
        resolve(e.snapshot);
      } else if (e.type === 'error') {
        clearTimeout(timer);
        reject(new Error(e.error.message));
      }
    });
    p.start();
  });
}

describe('live nftables sources', () => {
  it("--source-cmd printing nft -j list ruleset: the snapshot is the nft ruleset, modelled like a file's", async () => {
    const json = fixture('nftables/seed-nodeport-cluster.json');
    poller = createPoller({ spec: { kind: 'command', command: `cat '${json}'` }, intervalSeconds: 60 });
    const s = await firstSnapshot(poller);
    expect(s.nft?.form).toBe('json');
    expect(s.ruleset.tables).toEqual([]);
    const model = buildDumpModel({ ruleset: s.ruleset, nft: s.nft ?? null });
    expect(model.services.map((x) => `${x.id} ${x.mode}`)).toContain('default/nginx nftables');
  });

  const isRoot = process.getuid?.() === 0;
  it.skipIf(!isRoot && process.env.CI !== 'true')(`the local node in nftables mode: iptables-save prints nothing, nft -j list ruleset the rules${isRoot || process.env.CI === 'true' ? '' : ' (skipped outside CI: needs root)'}`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-nft-local-'));
    temps.push(dir);
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const shim = (name: string, body: string) => {
      writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    };
    shim('iptables-save', 'exit 0');
    shim('ip6tables-save', 'exit 0');
    shim('nft', `if [ "$*" = "list tables" ]; then echo 'table ip kube-proxy'; exit 0; fi\n[ "$*" = "-j list ruleset" ] || exit 1\nexec /bin/cat '${fixture('nftables/seed-nodeport-cluster.json')}'`);
    poller = createPoller({ spec: { kind: 'local' }, intervalSeconds: 60, env: { PATH: bin } });
    const s = await firstSnapshot(poller);
    expect(s.origin).toBe('iptables-save -c + nft -j list ruleset');
    expect(s.ruleset.tables).toEqual([]);
    expect(s.nft?.tables.map((t) => `${t.family} ${t.name}`)).toEqual(['ip kube-proxy']);
  });
});

describe('the local node in iptables mode, nft installed', () => {
  const isRoot = process.getuid?.() === 0;
  it.skipIf(!isRoot && process.env.CI !== 'true')(`nft holds only iptables-nft's tables: the ruleset is not listed (slow at scale), only its table names${isRoot || process.env.CI === 'true' ? '' : ' (skipped outside CI: needs root)'}`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kc-nft-local-'));
    temps.push(dir);
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const log = path.join(dir, 'calls');
    const shim = (name: string, body: string) => {
      writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${log}'\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    };
    shim('iptables-save', `exec /bin/cat '${fixture('seed-nodeport-cluster.save')}'`);
    shim('ip6tables-save', 'exit 0');
    shim('nft', `[ "$*" = "list tables" ] || exit 1\nprintf 'table ip filter\\ntable ip nat\\ntable ip6 filter\\n'`);
    poller = createPoller({ spec: { kind: 'local' }, intervalSeconds: 60, env: { PATH: bin } });
    const s = await firstSnapshot(poller);
    expect(s.origin).toBe('iptables-save -c');
    expect(s.nft ?? null).toBeNull();
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['iptables-save -c', 'ip6tables-save -c', 'nft list tables']);
  });
});
