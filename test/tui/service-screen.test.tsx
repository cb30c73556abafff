/** Issue 14, point 3: the endpoint table on the service screen, collapsed entry trees, counts where they belong, Enter on an outcome at its DNAT rule. */
import { afterEach, describe, expect, it } from 'vitest';
import { serviceTreeRows } from '../../src/tui/model/views.js';
import { KEY, fixtureData, lines, renderApp, type Rendered } from './harness.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

const selected = (f: string) => lines(f).find((l) => l.startsWith('> ')) ?? '';

async function openService(fixture: string, node: string, id: string): Promise<Rendered> {
  app = await renderApp({ data: fixtureData(fixture, [node]), color: false });
  await app.waitFor((f) => f.includes('service ports · sort'), 'the services screen');
  await app.press(':', ...`svc ${id}`, KEY.enter);
  await app.waitFor((f) => f.includes(`Services > ${id}`), id);
  return app;
}

describe('service screen (issue 14 point 3)', () => {
  it('a 10-endpoint service shows all ten endpoints at 80x24: address, KUBE-SEP, local, share, probability, packets', async () => {
    const a = await openService('multi-endpoint.save', '172.16.1.10', 'shop/api:https');
    const f = a.frame();
    expect(lines(f)).toHaveLength(23);
    expect(f).toMatch(/ENDPOINT +KUBE-SEP +LOCAL +SHARE +PROB +PKTS/);
    const endpoints = lines(f).filter((l) => /^[> ] 10\.244\.\d+\.\d+:8443 +KUBE-SEP-[A-Z2-7]{16} /.test(l));
    expect(endpoints).toHaveLength(10);
    // Each took 1000 of the 10000 packets: 10% of the service's traffic, at a 10% chance.
    for (const l of endpoints) expect(l).toMatch(/ 10% +10% +1000$/);
    // The entry point's tree is closed: one row, with its size.
    expect(f).toMatch(/▸ cluster IP 10\.96\.40\.2:443\/tcp  from 203\.0\.113\.10  \(\d+ rows\) +10000/);
    for (const l of lines(f)) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('Enter on an endpoint opens its KUBE-SEP at the DNAT rule', async () => {
    const a = await openService('multi-endpoint.save', '172.16.1.10', 'shop/api:https');
    await a.press('j', KEY.enter);
    const f = await a.waitFor((x) => x.includes('Services > shop/api:https > KUBE-SEP-B6HOG6RTRFXEX5EI'), 'the second endpoint\'s chain');
    expect(selected(f)).toMatch(/^> +2 .*DNAT/);
  });

  it('Enter opens and closes an entry point\'s tree; Enter on "= ACCEPT to …" opens the SEP at its DNAT rule, not rule 1', async () => {
    const a = await openService('seed-nodeport-cluster.save', '172.16.1.10', 'default/nginx');
    for (let i = 0; i < 5 && !selected(a.frame()).includes('▸ node port'); i++) await a.press('j');
    await a.press(KEY.enter);
    expect(selected(a.frame())).toContain('▾ node port 172.16.1.10:30783/tcp');
    for (let i = 0; i < 30 && !selected(a.frame()).includes('= ACCEPT to 10.64.2.4:80'); i++) await a.press('j');
    expect(selected(a.frame())).toContain('= ACCEPT to 10.64.2.4:80');
    await a.press(KEY.enter);
    const f = await a.waitFor((x) => x.includes('nat KUBE-SEP-YVT6EXXEKT4LDXBC · 2 rules'), 'the SEP chain');
    expect(selected(f)).toMatch(/^> +2 .*DNAT/);
    // Back, and the tree closes again with Enter on its entry.
    await a.press(KEY.esc);
    for (let i = 0; i < 30 && !selected(a.frame()).includes('▾ node port'); i++) await a.press('k');
    await a.press(KEY.enter);
    expect(selected(a.frame())).toMatch(/▸ node port 172\.16\.1\.10:30783\/tcp .*\(\d+ rows\)/);
  });

  it('a count several entry points share is not shown as one entry\'s: the SEP\'s DNAT under the cluster IP is marked, and counted once in the table', async () => {
    const data = fixtureData('seed-nodeport-cluster.save', ['172.16.1.10']);
    const rows = serviceTreeRows(data, data.findService('ipv4', 'default/nginx')!);
    // The DNAT rule counted the node-port packet: under both entries it is "shared", never shown as the cluster IP's.
    const dnat = rows.filter((r) => r.text === 'KUBE-SEP-YVT6EXXEKT4LDXBC #2 -> DNAT');
    expect(dnat).toHaveLength(2);
    for (const r of dnat) expect(r.countersNote).toBe('shared');
    // PREROUTING's jump counts every service's packets.
    expect(rows.filter((r) => r.text === 'PREROUTING #1 -> KUBE-SERVICES').every((r) => r.countersNote === 'others')).toBe(true);
    // Each entry rule counts its own.
    expect(rows.filter((r) => r.kind === 'entry').every((r) => !r.countersNote)).toBe(true);
    const a = await openService('seed-nodeport-cluster.save', '172.16.1.10', 'default/nginx');
    await a.press('o');
    const f = a.frame();
    expect(lines(f).filter((l) => /KUBE-SEP-YVT6EXXEKT4LDXBC #2 -> DNAT/.test(l)).every((l) => /\*$/.test(l))).toBe(true);
    expect(f).toMatch(/^> 10\.64\.2\.4:80 +KUBE-SEP-YVT6EXXEKT4LDXBC .* 1$/m);
    // The detail pane says whose count it is.
    for (let i = 0; i < 30 && !/KUBE-SEP-YVT6EXXEKT4LDXBC #2 -> DNAT/.test(selected(a.frame())); i++) await a.press('j');
    expect(lines(a.frame()).slice(-5, -2).join(' ')).toContain('every entry point of this service that passes it');
  });
});
