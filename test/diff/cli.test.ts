/**
 * `kubechains diff A B`: variants of the fixtures made by editing copies (an extra endpoint, a
 * removed service, a changed node port, affinity, a changed DOCKER chain), the iptables and
 * nftables twins of one cluster, counters alone, bad input.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixturesDir } from '../helpers/paths.js';
import { fixture, run, runProcess } from '../cli/harness.js';

interface DiffJson {
  services: { added: string[]; removed: string[]; changed: { id: string; endpointsAdded: string[]; endpointsRemoved: string[]; fields: Record<string, [unknown, unknown]> }[] };
  chains: {
    added: { family: string; table: string; chain: string }[];
    removed: { family: string; table: string; chain: string }[];
    changed: { family: string; table: string; chain: string; rulesAdded: string[]; rulesRemoved: string[]; reordered: boolean; policy: [string | null, string | null] | null }[];
  };
}

const dir = mkdtempSync(path.join(tmpdir(), 'kc-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of a fixture, edited. */
function variant(name: string, from: string, edit: (text: string) => string): string {
  const text = readFileSync(fixture(from), 'utf8');
  const edited = edit(text);
  expect(edited).not.toBe(text);
  const file = path.join(dir, name);
  writeFileSync(file, edited);
  return file;
}

async function diffJson(a: string, b: string, expectedCode: number): Promise<DiffJson> {
  const r = await run(['diff', a, b, '--json']);
  expect(r.code, r.stderr).toBe(expectedCode);
  const parsed = JSON.parse(r.stdout) as DiffJson;
  expect(Object.keys(parsed)).toEqual(['services', 'chains']);
  expect(Object.keys(parsed.services)).toEqual(['added', 'removed', 'changed']);
  expect(Object.keys(parsed.chains)).toEqual(['added', 'removed', 'changed']);
  return parsed;
}

const EMPTY = { services: { added: [], removed: [], changed: [] }, chains: { added: [], removed: [], changed: [] } };
const SEED = 'seed-nodeport-cluster.save';

describe('diff: no difference', () => {
  it.each(['seed-nodeport-cluster.save', 'non-kube.save', 'dual-stack.save', 'nftables/session-affinity.nft'])('%s against itself: exit 0, empty', async (name) => {
    expect(await diffJson(fixture(name), fixture(name), 0)).toEqual(EMPTY);
    const text = await run(['diff', fixture(name), fixture(name)]);
    expect(text).toEqual({ code: 0, stdout: 'no difference\n', stderr: '' });
  });

  it('counters alone are no difference', async () => {
    for (const name of [SEED, 'non-kube.save']) {
      const zeroed = variant(`zero-${name}`, name, (t) => t.replace(/\[\d+:\d+\]/g, '[0:0]'));
      expect(await diffJson(fixture(name), zeroed, 0)).toEqual(EMPTY);
    }
  });

  it('nftables counters alone are no difference', async () => {
    const name = 'nftables/seed-nodeport-cluster.nft';
    const counted = (packets: number) => (t: string) => t.replace(/(\tchain nat-prerouting \{\n[^\n]*\n\t\t)(jump services)/, `$1counter packets ${packets} bytes ${packets * 60} $2`);
    const a = variant('counted.nft', name, counted(0));
    const b = variant('recounted.nft', name, counted(12));
    expect(await diffJson(a, b, 0)).toEqual(EMPTY);
  });

  // fixtures/nftables/* are generated from the iptables fixture of the same name: one cluster, two modes.
  const twins = readdirSync(path.join(fixturesDir, 'nftables')).filter((f) => f.endsWith('.nft') || f.endsWith('.json'));
  it.each(twins)('the iptables fixture and its nftables twin %s have the same services', async (twin) => {
    const iptables = twin.replace(/\.(nft|json)$/, '.save');
    const r = await run(['diff', fixture(iptables), fixture(`nftables/${twin}`), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(EMPTY);
    // Chains are not compared across modes, and the user is told so.
    expect(r.stderr).toContain('chains are compared only within one mode');
  });
});

describe('diff: differences', () => {
  it('an extra endpoint', async () => {
    const b = variant('extra-endpoint.save', SEED, (t) =>
      t
        .replace(':KUBE-SEP-YVT6EXXEKT4LDXBC - [0:0]', ':KUBE-SEP-YVT6EXXEKT4LDXBC - [0:0]\n:KUBE-SEP-ZZEXTRAENDPOINT01 - [0:0]')
        .replace(
          '[1:60] -A KUBE-SVC-2CMXP7HKUVJN7L6M -m comment --comment "default/nginx -> 10.64.2.4:80" -j KUBE-SEP-YVT6EXXEKT4LDXBC',
          [
            '[1:60] -A KUBE-SVC-2CMXP7HKUVJN7L6M -m comment --comment "default/nginx -> 10.64.2.4:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-YVT6EXXEKT4LDXBC',
            '[0:0] -A KUBE-SVC-2CMXP7HKUVJN7L6M -m comment --comment "default/nginx -> 10.64.3.7:80" -j KUBE-SEP-ZZEXTRAENDPOINT01',
            '[0:0] -A KUBE-SEP-ZZEXTRAENDPOINT01 -s 10.64.3.7/32 -m comment --comment "default/nginx" -j KUBE-MARK-MASQ',
            '[0:0] -A KUBE-SEP-ZZEXTRAENDPOINT01 -p tcp -m comment --comment "default/nginx" -m tcp -j DNAT --to-destination 10.64.3.7:80',
          ].join('\n'),
        ),
    );
    const d = await diffJson(fixture(SEED), b, 1);
    expect(d.services).toEqual({ added: [], removed: [], changed: [{ id: 'default/nginx', endpointsAdded: ['10.64.3.7:80'], endpointsRemoved: [], fields: {} }] });
    // The new KUBE-SEP chain and the SVC rules are the service's change, not chain noise.
    expect(d.chains).toEqual(EMPTY.chains);
    const back = await diffJson(b, fixture(SEED), 1);
    expect(back.services.changed).toEqual([{ id: 'default/nginx', endpointsAdded: [], endpointsRemoved: ['10.64.3.7:80'], fields: {} }]);
  });

  it('a removed service: its KUBE-SERVICES rule and chains are not reported again as chains', async () => {
    const gone = ['JD5MR3NA4I4DYORP', 'DYBHL6V5AEQM6E62', 'V5Y2VXAIBB7KZLPV'];
    const b = variant('removed.save', SEED, (t) => t.split('\n').filter((l) => !gone.some((h) => l.includes(h))).join('\n'));
    const d = await diffJson(fixture(SEED), b, 1);
    expect(d).toEqual({ ...EMPTY, services: { added: [], removed: ['kube-system/kube-dns:metrics'], changed: [] } });
    const text = await run(['diff', fixture(SEED), b]);
    expect(text.stdout).toBe('services: 0 added, 1 removed, 0 changed\n  - kube-system/kube-dns:metrics\n');
  });

  it('a changed node port and external traffic policy', async () => {
    const b = variant('nodeport.save', SEED, (t) => t.replace('--dport 30783', '--dport 31000'));
    expect((await diffJson(fixture(SEED), b, 1)).services.changed).toEqual([{ id: 'default/nginx', endpointsAdded: [], endpointsRemoved: [], fields: { nodePort: [30783, 31000] } }]);
    const local = await diffJson(fixture(SEED), fixture('seed-nodeport-local-worker02.save'), 1);
    expect(local).toEqual({
      ...EMPTY,
      services: {
        added: [],
        removed: [],
        changed: [{ id: 'default/nginx', endpointsAdded: [], endpointsRemoved: [], fields: { externalTrafficPolicy: ['Cluster', 'Local'], localEndpoints: [null, ['10.64.2.4:80']] } }],
      },
    });
  });

  it('node against node: which endpoints each serves itself under policy Local, in either mode', async () => {
    const expected = { ...EMPTY, services: { added: [], removed: [], changed: [{ id: 'default/nginx', endpointsAdded: [], endpointsRemoved: [], fields: { localEndpoints: [[], ['10.64.2.4:80']] } }] } };
    expect(await diffJson(fixture('seed-nodeport-local-other.save'), fixture('seed-nodeport-local-worker02.save'), 1)).toEqual(expected);
    expect(await diffJson(fixture('nftables/seed-nodeport-local-other.nft'), fixture('nftables/seed-nodeport-local-worker02.json'), 1)).toEqual(expected);
  });

  it('an endpoint chain that lost its DNAT (a partial sync): same address, a problem', async () => {
    const b = variant('no-dnat.save', SEED, (t) => t.replace('[1:60] -A KUBE-SEP-YVT6EXXEKT4LDXBC -p tcp -m comment --comment "default/nginx" -m tcp -j DNAT --to-destination 10.64.2.4:80\n', ''));
    const d = await diffJson(fixture(SEED), b, 1);
    expect(d.services.changed).toEqual([{ id: 'default/nginx', endpointsAdded: [], endpointsRemoved: [], fields: { endpointProblems: [[], ['10.64.2.4:80 empty-endpoint-chain']] } }]);
  });

  it('a changed session affinity timeout', async () => {
    const b = variant('affinity.save', 'session-affinity.save', (t) => t.replaceAll('--rcheck --seconds 10800', '--rcheck --seconds 600'));
    const d = await diffJson(fixture('session-affinity.save'), b, 1);
    const affinity = { sessionAffinitySeconds: [10800, 600] };
    expect(d.services.changed.map((c) => [c.id, c.fields])).toEqual([['default/web-sticky', affinity], ['shop/cart:http', affinity]]);
    expect(d.chains).toEqual(EMPTY.chains);
  });

  it('a changed DOCKER chain, rule by rule, and a changed policy', async () => {
    const b = variant('docker.save', 'non-kube.save', (t) =>
      t
        .replace('-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80', '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 172.17.0.2:80')
        .replace(/:FORWARD DROP/, ':FORWARD ACCEPT'),
    );
    const d = await diffJson(fixture('non-kube.save'), b, 1);
    expect(d.services).toEqual(EMPTY.services);
    expect(d.chains.added).toEqual([]);
    expect(d.chains.removed).toEqual([]);
    expect(d.chains.changed).toEqual([
      { family: 'ipv4', table: 'filter', chain: 'FORWARD', rulesAdded: [], rulesRemoved: [], reordered: false, policy: ['DROP', 'ACCEPT'] },
      {
        family: 'ipv4',
        table: 'nat',
        chain: 'DOCKER',
        rulesAdded: ['-A DOCKER ! -i docker0 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 172.17.0.2:80'],
        rulesRemoved: ['-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80'],
        reordered: false,
        policy: null,
      },
    ]);
    const text = await run(['diff', fixture('non-kube.save'), b]);
    expect(text.stdout).toContain('chains: 0 added, 0 removed, 2 changed\n  ~ filter FORWARD\n      policy: DROP -> ACCEPT\n  ~ nat DOCKER\n');
  });

  it('added and removed chains, and the same rules in another order', async () => {
    const b = variant('chains.save', 'non-kube.save', (t) =>
      t
        .replace(':DOCKER-USER - [0:0]', ':DOCKER-USER - [0:0]\n:EXTRA-CHAIN - [0:0]')
        .replace('[0:0] -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP\n[0:0] -A DOCKER-ISOLATION-STAGE-2 -j RETURN', '[0:0] -A DOCKER-ISOLATION-STAGE-2 -j RETURN\n[0:0] -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP'),
    );
    const d = await diffJson(fixture('non-kube.save'), b, 1);
    expect(d.chains.added).toEqual([{ family: 'ipv4', table: 'filter', chain: 'EXTRA-CHAIN' }]);
    expect(d.chains.changed).toEqual([
      { family: 'ipv4', table: 'filter', chain: 'DOCKER-ISOLATION-STAGE-2', rulesAdded: [], rulesRemoved: [], reordered: true, policy: null },
    ]);
    expect((await diffJson(b, fixture('non-kube.save'), 1)).chains.removed).toEqual([{ family: 'ipv4', table: 'filter', chain: 'EXTRA-CHAIN' }]);
  });

  it('dual-stack: an IPv6 service port is named with its family', async () => {
    const b = variant('v6-port.save', 'dual-stack.save', (t) => {
      // The second nat table is IPv6's.
      const v6 = t.lastIndexOf('*nat');
      return t.slice(0, v6) + t.slice(v6).replace('-m tcp --dport 30080', '-m tcp --dport 30081');
    });
    const d = await diffJson(fixture('dual-stack.save'), b, 1);
    expect(d.services.changed.map((c) => [c.id, c.fields])).toEqual([['default/shop:http (ipv6)', { nodePort: [30080, 30081] }]]);
  });

  it('reads one of A and B from standard input', async () => {
    const r = await run(['diff', '-', fixture('seed-nodeport-local-worker02.save'), '--json'], { stdin: readFileSync(fixture(SEED)) });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as DiffJson).services.changed.map((c) => c.id)).toEqual(['default/nginx']);
  });
});

describe('diff: bad input', () => {
  it('a truncated dump is FILE:LINE:COL and exit 2, not a stack trace', async () => {
    const bad = variant('truncated.save', SEED, (t) => t.slice(0, t.lastIndexOf('COMMIT')));
    const r = await run(['diff', fixture(SEED), bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `, 'm'));
  });

  it('usage: two dumps, standard input once', async () => {
    for (const argv of [['diff', fixture(SEED)], ['diff', '-', '-'], ['diff', fixture(SEED), fixture(SEED), fixture(SEED)], ['diff', fixture(SEED), fixture(SEED), '--node-ip', '10.0.0.1']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^kubechains: .*\(see kubechains diff --help\)\n$/);
    }
  });

  it('a missing file is exit 2', async () => {
    const r = await run(['diff', fixture(SEED), path.join(dir, 'no-such.save')]);
    expect(r.code).toBe(2);
  });

  it('the built bin exits 1 on a difference, 0 on none', async () => {
    expect((await runProcess(['diff', fixture(SEED), fixture('seed-nodeport-local-worker02.save')])).code).toBe(1);
    expect((await runProcess(['diff', fixture(SEED), fixture(SEED)])).code).toBe(0);
  });
});
