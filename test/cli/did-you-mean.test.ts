/** Issue 14, point 5 (CLI): a misspelt command says which one was meant; `which FILE` says the QUERY is missing. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggestions } from '../../src/core/index.js';
import { fixturesDir } from '../helpers/paths.js';
import { run } from './harness.js';

const seed = path.join(fixturesDir, 'seed-clusterip.save');

describe('did you mean', () => {
  it('counts a swap of two neighbours as one edit and suggests by prefix first', () => {
    expect(editDistance('chian', 'chain')).toBe(1);
    expect(editDistance('servcies', 'services')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(suggestions('doc', ['services', 'doctor'])).toEqual(['doctor']);
    expect(suggestions('KUBE-SEP-kfr', ['KUBE-SEP-KFR23ABC', 'KUBE-SEP-XYZ'])).toEqual(['KUBE-SEP-KFR23ABC']);
    expect(didYouMean('zzz', ['services', 'which'])).toBe('');
    expect(didYouMean('whihc', ['services', 'which'])).toBe(' (did you mean which?)');
  });

  it('kubechains servcies FILE: exit 2, did you mean services', async () => {
    const r = await run(['servcies', seed]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command servcies (did you mean services?)');
    expect(r.stdout).toBe('');
  });

  it('kubechains cons FILE: exit 2, did you mean conns', async () => {
    const r = await run(['cons', seed]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command cons (did you mean conns?)');
  });

  it('kubechains which FILE: exit 2, the QUERY is missing (never the host\'s rules read for the query "FILE")', async () => {
    const r = await run(['which', seed]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('`which` needs a QUERY before the SOURCE');
    expect(r.stderr).toContain('is a file');
    const c = await run(['chain', seed]);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('`chain` needs a chain NAME before the SOURCE');
  });

  it('still runs which QUERY FILE', async () => {
    const r = await run(['which', 'default/nginx', seed]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('default/nginx');
  });
});
