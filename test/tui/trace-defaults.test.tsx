/**
 * Issue 14, points 7 and 10: one set of defaults for `trace` and the explorer (a loopback node
 * port is traced from the node, as `which` does; no stand-in node address in a typed trace), and
 * the trace form's sources menu (ink-select-input): from a pod, from the node, from outside.
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { defaultSource } from '../../src/core/index.js';
import { tracePresets } from '../../src/tui/model/views.js';
import { fixturesDir } from '../helpers/paths.js';
import { run } from '../cli/harness.js';
import { KEY, fixtureData, lines, renderApp, type Rendered } from './harness.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

const seed = 'seed-nodeport-cluster.save';

describe('one set of defaults (issue 14 point 7)', () => {
  it('a loopback destination is traced from the node itself, by the CLI and the explorer alike', async () => {
    expect(defaultSource('127.0.0.1', 'ipv4')).toBe('127.0.0.1');
    expect(defaultSource('::1', 'ipv6')).toBe('::1');
    expect(defaultSource('10.32.0.61', 'ipv4')).toBe('203.0.113.10');
    const cli = await run(['trace', path.join(fixturesDir, seed), '--dst', '127.0.0.1:30783', '--node-ip', '172.16.1.10']);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('packet  tcp 127.0.0.1 -> 127.0.0.1:30783, new connection generated on this node');
    expect(cli.stdout).toContain('outcome 1: 100%  ACCEPT, DNAT to 10.64.2.4:80 (KUBE-SEP-YVT6EXXEKT4LDXBC), masqueraded');

    app = await renderApp({ data: fixtureData(seed, ['172.16.1.10']), color: false });
    await app.waitFor((f) => f.includes('service ports'), 'the services screen');
    await app.press(':', ...'trace 127.0.0.1:30783', KEY.enter);
    const f = await app.waitFor((x) => x.includes('path of outcome 1'), 'the trace');
    expect(f).toMatch(/tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:30783 · from this node/);
    expect(f).toMatch(/100% ACCEPT +10\.64\.2\.4:80 +yes/);
  });

  it('a typed trace without --node-ip takes no stand-in node address: the same answer as `trace`', async () => {
    // 120 columns: the info line says it whole.
    app = await renderApp({ data: fixtureData(seed, []), color: false }, { columns: 120 });
    await app.waitFor((f) => f.includes('service ports'), 'the services screen');
    await app.press(':', ...'trace 192.0.2.1:30783', KEY.enter);
    const f = await app.waitFor((x) => x.includes('outcome'), 'the trace');
    expect(f).toContain('1 outcome · node address unknown (--node-ip)');
    const cli = await run(['trace', path.join(fixturesDir, seed), '--dst', '192.0.2.1:30783', '--json']);
    const outcomes = JSON.parse(cli.stdout).outcomes as { verdict: string; dnat: string | null }[];
    // 192.0.2.1 is not this node's: no node port, the packet is routed on, undNATed, by both.
    expect(outcomes.every((o) => o.dnat === null)).toBe(true);
    expect(f).not.toContain('10.64.2.4:80');
  });
});

describe('trace form sources menu (issue 14 points 7 and 10)', () => {
  it('offers a pod of the traced service, the node, and outside', () => {
    const presets = tracePresets(fixtureData(seed, ['172.16.1.10']), '10.32.0.61:80');
    expect(presets.map((p) => p.src)).toEqual(['10.64.2.4', '172.16.1.10', '203.0.113.10']);
    expect(presets[0]!.label).toContain('an endpoint of default/nginx');
    // Without a node address the node is its loopback, said so.
    expect(tracePresets(fixtureData(seed, []), '10.32.0.61:80')[1]!.label).toContain('127.0.0.1 (no node address known');
  });

  it('f opens the menu at 80x24; j and Enter pick "from the node" and trace from it; Esc closes it', async () => {
    app = await renderApp({ data: fixtureData(seed, ['172.16.1.10']), color: false });
    await app.waitFor((f) => f.includes('service ports'), 'the services screen');
    await app.press(':', ...'trace 10.32.0.61:80', KEY.enter);
    await app.waitFor((x) => x.includes('path of outcome 1'), 'the trace');
    await app.press('f');
    let f = await app.waitFor((x) => x.includes('trace from (Enter picks'), 'the menu');
    expect(lines(f)).toHaveLength(23);
    expect(f).toMatch(/^> 1 from a pod: 10\.64\.2\.4/m);
    await app.press('j');
    await app.waitFor((x) => /^> 2 from the node: 172\.16\.1\.10/m.test(x), 'the node picked');
    await app.press(KEY.enter);
    f = await app.waitFor((x) => /tcp 172\.16\.1\.10:\d+ -> 10\.32\.0\.61:80 · from this node/.test(x), 'traced from the node');
    expect(f).not.toContain('trace from (Enter picks');
    await app.press('f');
    await app.waitFor((x) => x.includes('trace from (Enter picks'), 'the menu again');
    await app.press(KEY.esc);
    await app.waitFor((x) => !x.includes('trace from (Enter picks') && x.includes('path of outcome 1'), 'closed');
    // Still on the trace screen, the keys its own again.
    await app.press('e');
    expect(app.frame()).toContain('>dst 10.32.0.61:80_');
  });
});
