/** Every command on every kube-proxy test dump: loads, answers, and keeps its contract. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/paths.js';
import { run } from './harness.js';

const dumps = (JSON.parse(readFileSync(path.join(corpusDir, 'dumps.json'), 'utf8')) as { dumps: { file: string }[] }).dumps.map((d) => d.file);

describe.each(dumps)('%s', (file) => {
  const dump = path.join(corpusDir, file);

  it('services, chain and which answer for every service, in text and JSON', async () => {
    const text = await run(['services', dump]);
    expect(text.code, text.stderr).toBe(0);
    const ids = (JSON.parse((await run(['services', dump, '--json'])).stdout) as { services: { id: string }[] }).services.map((s) => s.id);
    for (const id of ids) expect(text.stdout).toContain(id);

    const text2 = await run(['chain', 'KUBE-SERVICES', dump]);
    const hasChain = readFileSync(dump, 'utf8').includes(':KUBE-SERVICES ');
    expect(text2.code, text2.stderr).toBe(hasChain ? 0 : 1);

    for (const id of new Set(ids)) {
      const w = await run(['which', id, dump, '--json', '--node-ip', '192.168.0.2']);
      expect(w.code, `${id}: ${w.stderr}`).toBe(0);
      const j = JSON.parse(w.stdout) as { services: { id: string; entryPoints: { outcomes: { probability: number }[] }[] }[] };
      expect(j.services.map((s) => s.id)).toContain(id);
      for (const s of j.services) {
        expect(s.entryPoints.length, id).toBeGreaterThan(0);
        for (const e of s.entryPoints) expect(e.outcomes.reduce((a, o) => a + o.probability, 0), id).toBeCloseTo(1, 9);
      }
      const wt = await run(['which', id, dump, '--node-ip', '192.168.0.2']);
      expect(wt.code).toBe(0);
      expect(wt.stdout).toContain(id);
    }
  });
});
