/** Issue 14, point 1: columns laid out from what they hold, and the selected row whole in a detail pane at 80x24. */
import { afterEach, describe, expect, it } from 'vitest';
import { wrapText } from '../../src/tui/model/format.js';
import { KEY, fixtureData, lines, renderApp, type Rendered } from './harness.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

const selected = (f: string) => lines(f).find((l) => l.startsWith('> ')) ?? '';
/** The detail pane: the lines between the list and the command line (`n` of them). */
const detail = (f: string, n = 1) => lines(f).slice(-2 - n, -2).join('\n');

describe('wrapText', () => {
  it('breaks at spaces, fills lines to the edge when that needs fewer lines, and marks a cut', () => {
    expect(wrapText('aaa bbb ccc', 7, 3)).toEqual(['aaa bbb', 'ccc']);
    // Broken at spaces this needs 3 lines; filled to the edge, 2 hold it whole.
    expect(wrapText('aaaa bbbbbbbbb', 7, 2)).toEqual(['aaaa bb', 'bbbbbbb']);
    expect(wrapText('x'.repeat(20), 8, 2)).toEqual(['xxxxxxxx', 'xxxxxxx…']);
    expect(wrapText('a\x1bb', 10, 1)).toEqual(['a\\x1bb']);
  });
});

describe('layout from content (issue 14 point 1)', () => {
  it('gives an IPv6 cluster address its whole width at 160 columns, the id the rest', async () => {
    app = await renderApp({ data: fixtureData('dual-stack.save', ['172.16.1.10']), color: false }, { columns: 160 });
    const f = await app.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    expect(f).toMatch(/default\/shop:http +NodePort +\[fd00:10:96::2805\]:80\/tcp +30080/);
    for (const l of lines(f)) expect(l.length).toBeLessThanOrEqual(160);
    // The id column is not wider than the terminal needs to leave: every column fits.
    expect(f).toMatch(/POLICY +PKTS +BYTES +ΔPKTS +PKT\/S/);
  });

  it('at 80 columns a cut id is whole in the detail line under the list', async () => {
    app = await renderApp({ data: fixtureData('seed-nodeport-cluster.save', ['172.16.1.10']), color: false });
    await app.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    await app.press('G', 'k');
    const f = app.frame();
    expect(selected(f)).toMatch(/^> kube-sys…[a-z-]*:dns-tcp/);
    // The longest row's detail needs 2 lines at 80 columns, so the pane has 2.
    expect(detail(f, 2).replace('\n', ' ').trim()).toBe('kube-system/kube-dns:dns-tcp · ClusterIP · 10.32.0.10:53/tcp · 2 endpoints · 0 pkts');
    for (const l of lines(f)) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('a chain\'s selected rule is whole under the list, readable or raw (r)', async () => {
    app = await renderApp({ data: fixtureData('seed-nodeport-cluster.save', ['172.16.1.10']), color: false });
    await app.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    await app.press(':', ...'chain KUBE-SERVICES', KEY.enter);
    let f = await app.waitFor((x) => x.includes('nat KUBE-SERVICES ·'), 'KUBE-SERVICES');
    await app.press('G');
    f = app.frame();
    const rule = '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS';
    // However the pane wraps it, joining its lines gives the rule back whole.
    const pane = lines(f).slice(-2 - 4, -2).filter((l) => l !== '');
    expect(pane.join(' ').replace(/\s+/g, ' ')).toContain(rule.replace(/\s+/g, ' '));
    await app.press('r');
    f = app.frame();
    // Raw: the rows are the rules as written (cut at 80), the pane the readable summary with its whole comment.
    expect(lines(f).slice(-2 - 4, -2).join(' ')).toContain('kubernetes service nodeports; NOTE: this must be the last rule in this chain');
    for (const l of lines(f)) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('a drop reason cut in the service tree is whole in the detail pane', async () => {
    app = await renderApp({ data: fixtureData('seed-nodeport-local-other.save', ['172.16.1.11']), color: false });
    await app.waitFor((x) => x.includes('service ports · sort'), 'the services screen');
    await app.press('/nginx', KEY.enter);
    await app.waitFor((x) => x.includes('Services > default/nginx'), 'the service');
    await app.press('o');
    for (let i = 0; i < 30 && !selected(app.frame()).includes('= DROP'); i++) await app.press('j');
    const f = app.frame();
    expect(selected(f)).toContain('= DROP');
    expect(lines(f).slice(-2 - 3, -2).join(' ').replace(/\s+/g, ' ')).toContain('default/nginx has no local endpoints (externalTrafficPolicy: Local and no endpoint on this node)');
  });
});
