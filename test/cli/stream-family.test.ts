/** `trace` says when the dump did not tell its family and the packet is of the other one. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './harness.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-family-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('trace and the family of a dump that does not say it', () => {
  const file = path.join(tmp, 'plain.save');
  writeFileSync(file, '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n');

  it('an IPv6 packet: a note says the tables were read as IPv4', async () => {
    const r = await run(['trace', file, '--dst', '[fd00::1]:22', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const notes = (JSON.parse(r.stdout) as { notes: string[] }).notes;
    expect(notes).toEqual([expect.stringMatching(/^the dump does not say its family .*read as IPv4, so this IPv6 packet passes none of them/)]);
  });

  it('an IPv4 packet: nothing to say', async () => {
    const r = await run(['trace', file, '--dst', '10.0.0.1:22', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { notes: string[] }).notes).toEqual([]);
  });
});
