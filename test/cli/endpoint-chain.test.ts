/**
 * An endpoint chain that holds no DNAT rule (the paste was cut, the sync broke) is shown as
 * such: the problem named, "no DNAT rule" in text, and as address only what the SVC rule's
 * comment names (null when it names nothing, never "").
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKubeModel } from '../../src/core/index.js';
import { parseCleanly } from '../helpers/parse.js';
import { fixture, run } from './harness.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-sep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const seed = readFileSync(fixture('seed-nodeport-cluster.save'), 'utf8');
const SEP = 'KUBE-SEP-YVT6EXXEKT4LDXBC';
/** The seed with nginx's SEP chain declared but empty. */
const emptySep = seed.split('\n').filter((l) => !l.startsWith(`[0:0] -A ${SEP} `) && !l.startsWith(`[1:60] -A ${SEP} `)).join('\n');
/** The seed without nginx's SEP chain at all. */
const missingSep = emptySep.split('\n').filter((l) => !l.startsWith(`:${SEP} `)).join('\n');

function nginx(text: string) {
  const s = buildKubeModel(parseCleanly(text)).services.find((x) => x.id === 'default/nginx');
  expect(s).toBeDefined();
  return s!;
}

describe('an endpoint chain without DNAT', () => {
  it('the model: problem empty-endpoint-chain, no DNAT rule, the address the SVC comment names', () => {
    expect(emptySep).not.toBe(seed);
    const [e] = nginx(emptySep).endpoints;
    expect(e).toMatchObject({ chain: SEP, address: '10.64.2.4:80', problem: 'empty-endpoint-chain', dnatRule: null, packets: null });
  });

  it('the model: address null when the comment does not name the endpoint', () => {
    const bare = emptySep.replace('--comment "default/nginx -> 10.64.2.4:80"', '--comment "default/nginx"');
    expect(bare).not.toBe(emptySep);
    const [e] = nginx(bare).endpoints;
    expect(e).toMatchObject({ chain: SEP, address: null, problem: 'empty-endpoint-chain' });
  });

  it('a chain missing from the dump: the comment still names the endpoint, and the problem says the chain is missing', () => {
    const [e] = nginx(missingSep).endpoints;
    expect(e).toMatchObject({ chain: SEP, address: '10.64.2.4:80', problem: 'missing-endpoint-chain', dnatRule: null });
  });

  it('a whole chain: no problem', () => {
    const [e] = nginx(seed).endpoints;
    expect(e).toMatchObject({ chain: SEP, address: '10.64.2.4:80', problem: null });
  });

  it('`services --json` gives address null and the problem; `which` says "no DNAT rule"', async () => {
    const file = path.join(tmp, 'empty-sep.save');
    writeFileSync(file, emptySep.replace('--comment "default/nginx -> 10.64.2.4:80"', '--comment "default/nginx"'));
    const json = await run(['services', file, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const svc = (JSON.parse(json.stdout) as { services: { id: string; endpoints: unknown[] }[] }).services.find((s) => s.id === 'default/nginx');
    expect(svc!.endpoints).toEqual([expect.objectContaining({ address: null, chain: SEP, problem: 'empty-endpoint-chain' })]);
    const which = await run(['which', 'default/nginx', file]);
    expect(which.code, which.stderr).toBe(0);
    expect(which.stdout).toMatch(new RegExp(`endpoint no DNAT rule  ${SEP}  100(\\.0)?%.*\\(no DNAT rule: the chain holds none\\)`));
    expect(which.stdout).not.toMatch(/endpoint  /);
    // With the comment naming it: the address, and still the problem.
    const named = path.join(tmp, 'empty-sep-named.save');
    writeFileSync(named, emptySep);
    const which2 = await run(['which', 'default/nginx', named]);
    expect(which2.stdout).toMatch(new RegExp(`endpoint 10\\.64\\.2\\.4:80  ${SEP} .*\\(no DNAT rule: the chain holds none\\)`));
  });
});
