/**
 * Issue 14 point 7: an nftables ruleset read without --node-ip takes the node's addresses from
 * kube-proxy's `nodeport-ips` set, and says so wherever the node address is shown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { nftNodeportAddresses } from '../../src/core/index.js';
import { loadSnapshot } from '../../src/sources/index.js';
import { nodeAddressesOf } from '../../src/sources/node-addresses.js';
import { snapshotData } from '../../src/tui/model/snapshot-data.js';
import { serviceSecondLine } from '../../src/tui/screens/ServiceScreen.js';
import { repoRoot } from '../helpers/paths.js';
import { run } from '../cli/harness.js';
import { KEY, renderApp, type Rendered } from './harness.js';

const nftDump = path.join(repoRoot, 'test/corpus/kube-proxy/nftables/TestOverallNFTablesRules.nft');
const iptablesDump = path.join(repoRoot, 'fixtures/seed-nodeport-cluster.save');

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

describe('node addresses from @nodeport-ips (issue 14 point 7)', () => {
  it('reads the set of the kube-proxy table, and nothing from a dump without one', async () => {
    const nft = await loadSnapshot({ kind: 'file', path: nftDump });
    expect(nftNodeportAddresses(nft.nft)).toEqual(['192.168.0.2']);
    expect(nodeAddressesOf(nft)).toEqual({ addresses: ['192.168.0.2'], from: '@nodeport-ips' });
    // --node-ip wins, and then nothing is said about the set.
    expect(nodeAddressesOf(nft, ['10.0.0.9'])).toEqual({ addresses: ['10.0.0.9'], from: null });
    const ipt = await loadSnapshot({ kind: 'file', path: iptablesDump });
    expect(nodeAddressesOf(ipt)).toEqual({ addresses: [], from: null });
  });

  it('the CLI traces a node port to the address in the set, and says where the address came from', async () => {
    const r = await run(['trace', nftDump, '--dst', '192.168.0.2:3003']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('node    192.168.0.2 (from @nodeport-ips) (and loopback) are local');
    expect(r.stdout).toMatch(/DNAT to 10\.180\.0\.3:80/);
    const given = await run(['trace', nftDump, '--dst', '192.168.0.2:3003', '--node-ip', '192.168.0.2']);
    expect(given.stdout).toContain('node    192.168.0.2 (and loopback) are local');
    expect(given.stdout).not.toContain('(from @nodeport-ips)');
  });

  it('the explorer shows the node as read from the set, on the service screen and in a trace', async () => {
    const data = snapshotData(await loadSnapshot({ kind: 'file', path: nftDump }));
    expect(data.nodeAddresses).toEqual(['192.168.0.2']);
    const svc3 = data.model.services.find((s) => s.namespace === 'ns3' && s.name === 'svc3')!;
    expect(serviceSecondLine(data, svc3)).toContain('node 192.168.0.2 (from @nodeport-ips)');
    app = await renderApp({ data, color: false }, { columns: 160 });
    await app.waitFor((f) => f.includes('service ports'), 'the services screen');
    await app.press(':', ...'trace 192.168.0.2:3003', KEY.enter);
    const f = await app.waitFor((x) => x.includes('path of outcome 1'), 'the trace');
    expect(f).toContain('node 192.168.0.2 (from @nodeport-ips)');
    expect(f).toContain('10.180.0.3:80');
  });
});
