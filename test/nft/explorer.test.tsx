/**
 * The explorer on an nftables ruleset at 80×24: hooks by priority (nft base chains beside each
 * other), chains with nft's own rule text, maps browsable with Enter following a verdict, the
 * service screen's tree from the map element to the endpoint, and a status line that says the
 * mode and why the packet columns are empty.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDump } from '../../src/core/index.js';
import { buildExplorerData } from '../../src/tui/model/explorer-data.js';
import { fixturesDir } from '../helpers/paths.js';
import { KEY, fixtureData, lines, renderApp, type Rendered } from '../tui/harness.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

async function open(name = 'nftables/seed-nodeport-cluster.json'): Promise<Rendered> {
  app = await renderApp({ data: fixtureData(name, ['172.16.1.10']), color: false });
  await app.waitFor((f) => f.includes('service ports · sort'), 'the services screen');
  return app;
}

async function command(a: Rendered, text: string): Promise<void> {
  await a.press(':', ...text.split(''), KEY.enter);
}

describe('explorer on an nftables ruleset (80x24)', () => {
  it('lists the services; the status line says nftables and that kube-proxy writes no counters', async () => {
    const a = await open();
    const f = a.frame();
    expect(f).toMatch(/default\/nginx\s+NodePort\s+10\.32\.0\.61:80\/tcp\s+30783/);
    // At 80 columns the end of the counters note is cut; at 120 it shows whole.
    expect(lines(f).at(-1)).toMatch(/^seed-nodeport-cluster\.json · nftables · \d+ chains · \d+ rules · no counters/);
    a.unmount();
    const wider = await renderApp({ data: fixtureData('nftables/seed-nodeport-cluster.json', ['172.16.1.10']), color: false }, { columns: 120 });
    app = wider;
    const wide = await wider.waitFor((x) => x.includes('service ports · sort'), 'the services screen at 120 columns');
    expect(lines(wide).at(-1)).toContain('no counters (kube-proxy nftables writes none)');
    for (const line of lines(f)) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('hooks: nft base chains by hook, then priority', async () => {
    const a = await open();
    await command(a, 'hooks');
    const f = await a.waitFor((x) => x.includes('Hooks ·'), 'the hooks screen');
    const rows = lines(f).filter((l) => /^[> ] [A-Z]+ +-?\d+ /.test(l)).map((l) => l.slice(2).split(/\s+/).slice(0, 4).join(' '));
    expect(rows).toEqual([
      'PREROUTING -110 ip kube-proxy',
      'PREROUTING -100 ip kube-proxy',
      'INPUT 0 ip kube-proxy',
      'FORWARD 0 ip kube-proxy',
      'OUTPUT -110 ip kube-proxy',
      'OUTPUT -100 ip kube-proxy',
      'OUTPUT 0 ip kube-proxy',
      'POSTROUTING 100 ip kube-proxy',
    ]);
    expect(f).toContain('filter-prerouting-pre-dnat');
    expect(f).toContain('nat-postrouting');
  });

  it('chain services: nft rule text; Enter on the vmap lookup opens @service-ips, Enter on an element opens its chain', async () => {
    const a = await open();
    await command(a, 'chain services');
    let f = await a.waitFor((x) => x.includes('ip kube-proxy services'), 'chain services');
    expect(f).toContain('ip daddr . meta l4proto . th dport vmap @service-ips');
    // The JSON form has handles: a column of them, and the detail line names the selected rule's.
    expect(f).toMatch(/# +HANDLE +PKTS +BYTES/);
    expect(f).toMatch(/^> +1 +\d+ +- +- /m);
    expect(f).toMatch(/#1 handle \d+ line 1:/);
    await a.press(KEY.enter);
    f = await a.waitFor((x) => x.includes('map ip kube-proxy service-ips'), 'the service-ips map');
    expect(f).toContain('map ip kube-proxy service-ips · 5 elements · ipv4_addr . inet_proto');
    await a.press('/', ...'10.32.0.61'.split(''));
    f = await a.waitFor((x) => lines(x).some((l) => l.startsWith('> 10.32.0.61 . tcp . 80 : goto service-ECO34HEO')), 'the nginx element selected');
    await a.press(KEY.enter);
    f = await a.waitFor((x) => x.includes('ip kube-proxy service-ECO34HEO-default/nginx/tcp/ ·'), 'the nginx service chain');
    expect(f).toContain('numgen random mod 1 vmap');
    expect(lines(f)[0]).toContain('@service-ips');
  });

  it('service screen: the endpoint table, each frontend through its map element to the endpoint; Enter on the lookup step opens the map at that element', async () => {
    const a = await open();
    await a.press('/', ...'nginx'.split(''), KEY.enter);
    let f = await a.waitFor((x) => x.includes('node port 172.16.1.10:30783/tcp'), 'the nginx service screen');
    expect(f).toContain('10.64.2.4:80');
    expect(f).toMatch(/cluster IP 10\.32\.0\.61:80\/tcp +from 203\.0\.113\.10 +\(@service-ips/);
    expect(f).toMatch(/ENDPOINT +CHAIN +LOCAL/);
    expect(f).toContain('Enter opens its DNAT rule #2');
    const moveTo = async (pred: (line: string) => boolean, what: string) => {
      for (let i = 0; i < 40 && !pred(lines(a.frame()).find((l) => l.startsWith('> ')) ?? ''); i++) await a.press('j');
      expect(lines(a.frame()).find((l) => l.startsWith('> ')), what).toSatisfy(pred);
    };
    await moveTo((l) => l.includes('node port 172.16.1.10:30783/tcp'), 'the node-port entry');
    await a.press(KEY.enter); // opens its tree
    f = await a.waitFor((x) => x.includes('services #2 [tcp . 30783 : goto external-ECO34HEO'), 'the node-port tree');
    expect(f).toMatch(/= ACCEPT to 10\.64\.2\.4:80/);
    await moveTo((l) => l.includes('services #2 [tcp . 30783'), 'the service-nodeports lookup');
    await a.press(KEY.enter);
    f = await a.waitFor((x) => x.includes('map ip kube-proxy service-nodeports'), 'the service-nodeports map');
    expect(lines(f).find((l) => l.startsWith('> '))).toContain('tcp . 30783 : goto external-ECO34HEO-default/nginx/tcp/');
  });

  it(':trace follows the nft rules, steps named by table and chain', async () => {
    const a = await open();
    await command(a, 'trace 172.16.1.10:30783');
    const f = await a.waitFor((x) => /outcome/.test(x) && x.includes('ACCEPT'), 'a trace');
    expect(f).toContain('10.64.2.4:80');
    expect(f).toMatch(/ip kube-proxy (nat-prerouting|services|filter-prerouting-pre-dnat)/);
  });
});

describe('session affinity in nftables mode (80x24)', () => {
  it('an endpoint\'s pinned clients, with their expiry, are in its detail; a pinned client is traced to it', async () => {
    const text = readFileSync(path.join(fixturesDir, 'nftables/session-affinity.nft'), 'utf8').replace(
      /(set affinity-M3O2WX2O-default\/web-sticky\/tcp\/__10\.244\.1\.6\/8080 \{\n(?:\t\t.*\n)*?\t\ttimeout 3h\n)/,
      '$1\t\telements = { 203.0.113.10 expires 2h59m59s776ms }\n',
    );
    expect(text).toContain('203.0.113.10 expires');
    const dump = parseDump(text);
    const data = buildExplorerData({ ruleset: dump.ruleset, nft: dump.nft, source: 'pinned.nft', takenAt: null, nodeAddresses: ['192.168.10.11'] });
    app = await renderApp({ data, color: false });
    const a = app;
    await a.waitFor((f) => f.includes('service ports · sort'), 'the services screen');
    await a.press('/', ...'web-sticky'.split(''), KEY.enter);
    const f = await a.waitFor((x) => x.includes('Services > default/web-sticky'), 'the web-sticky service');
    // The first endpoint row is selected: its detail names the pinned client.
    expect(f).toMatch(/pinned 203\.0\.113\.10 \(expires in 10800 s\)/);
    await command(a, 'trace 10.96.12.50:80 203.0.113.10');
    const t = await a.waitFor((x) => /outcome/.test(x) && x.includes('10.244.1.6:8080'), 'the pinned trace');
    // One outcome, to the pinned endpoint, with certainty.
    expect(t).toMatch(/>   100% ACCEPT  10\.244\.1\.6:8080/);
    expect(lines(t).filter((l) => /^[> ] +\d+(\.\d+)?% (ACCEPT|DROP|REJECT)/.test(l))).toHaveLength(1);
  });
});

describe('both kube-proxy modes on one node (80x24)', () => {
  it('the status line says BOTH MODES, :problems lists both-modes, and the services of each mode are listed', async () => {
    const save = parseDump(readFileSync(path.join(fixturesDir, 'seed-nodeport-cluster.save'), 'utf8'));
    const nft = parseDump(readFileSync(path.join(fixturesDir, 'nftables/seed-nodeport-cluster.json'), 'utf8'));
    const data = buildExplorerData({ ruleset: save.ruleset, nft: nft.nft, source: 'node', takenAt: null, nodeAddresses: ['172.16.1.10'] });
    expect(data.modes).toEqual(['iptables', 'nftables']);
    app = await renderApp({ data, color: false });
    const a = app;
    let f = await a.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    expect(f).toContain('10 service ports');
    expect(lines(f).at(-1)).toContain('BOTH MODES');
    await command(a, 'problems');
    f = await a.waitFor((x) => x.includes('both-modes'), 'the problems screen');
    expect(f).toMatch(/both kube-proxy modes have rules here/);
  });
});
