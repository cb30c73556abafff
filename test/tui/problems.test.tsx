/** The Problems screen (`:problems`): doctor's findings, the status line's count, Enter to the service or the rule. */
import React from 'react';
import { render } from 'ink';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../../src/core/parse/index.js';
import { generateKubeProxyRules, type ClusterSpec } from '../../src/gen/kubeproxy.js';
import { StatusLine, type StatusLineProps } from '../../src/tui/components/StatusLine.js';
import { buildExplorerData } from '../../src/tui/model/explorer-data.js';
import { parseCommand } from '../../src/tui/state/commands.js';
import { FakeStdout, KEY, fixtureData, lines, renderApp, tick, type Rendered } from './harness.js';

async function statusText(props: StatusLineProps): Promise<string> {
  const stdout = new FakeStdout(160, 5);
  const instance = render(<StatusLine {...props} />, { stdout: stdout as unknown as NodeJS.WriteStream, debug: true, patchConsole: false });
  await tick();
  const frame = stdout.lastFrame();
  instance.unmount();
  return frame.trimEnd();
}

let app: Rendered | null = null;

afterEach(() => {
  app?.unmount();
  app = null;
});

async function open(name: string): Promise<Rendered> {
  app = await renderApp({ data: fixtureData(name), color: false });
  await app.waitFor((f) => f.includes('service ports · sort'), 'the services screen');
  return app;
}

async function problems(a: Rendered): Promise<string> {
  await a.press(':', 'p', 'r', 'o', 'b', 'l', 'e', 'm', 's', KEY.enter);
  return a.waitFor((f) => f.includes('Problems ·'), 'the problems screen');
}

describe('the Problems screen', () => {
  it(':problems, :prob and :doctor open it', () => {
    for (const text of [':problems', 'prob', ':doctor']) expect(parseCommand(text)).toEqual({ ok: true, command: { kind: 'problems' } });
  });

  it('the status line counts errors and warnings, and says where to see them; a healthy dump shows no count', async () => {
    const a = await open('old-layout.save');
    expect(lines(a.frame()).at(-1)).toMatch(/^4 warnings \(:problems\) · /);
    a.unmount();
    const healthy = await open('seed-clusterip.save');
    expect(healthy.frame()).not.toContain(':problems)');
  });

  it('live, the count follows the cadence and refresh time; alerts and parse warnings stay first; zero counts are left out', async () => {
    const parts = ['every 2 s', 'refreshed 12:00:00 (4 s ago)', 'node.save'];
    expect(await statusText({ parts, warnings: 0, problems: { error: 2, warning: 1 }, problemsAt: 2 })).toBe(
      'every 2 s · refreshed 12:00:00 (4 s ago) · 2 errors, 1 warning (:problems) · node.save',
    );
    expect(await statusText({ parts, warnings: 1, alerts: ['PAUSED (p resumes)'], problems: { error: 0, warning: 3 }, problemsAt: 2 })).toBe(
      '! 1 warning · PAUSED (p resumes) · every 2 s · refreshed 12:00:00 (4 s ago) · 3 warnings (:problems) · node.save',
    );
    expect(await statusText({ parts, warnings: 0, problems: { error: 0, warning: 0 }, problemsAt: 2 })).toBe(parts.join(' · '));
    expect(await statusText({ parts: [], warnings: 0, problems: { error: 1, warning: 0 } })).toBe('1 error (:problems)');
  });

  it('lists the findings most severe first, within 80x24, with the selection\'s message and hint', async () => {
    const a = await open('old-layout.save');
    const f = await problems(a);
    const l = lines(f);
    expect(l.length).toBe(23);
    for (const line of l) expect(line.length).toBeLessThanOrEqual(80);
    expect(l[1]).toBe('Problems · 0 errors, 4 warnings, 2 info · Enter opens the service or the rule');
    const rows = l.filter((x) => /^[> ] (WARN|ERROR|info) /.test(x)).map((x) => x.slice(2, 33).trim().replace(/\s+/g, ' '));
    expect(rows).toEqual([
      'WARN no-endpoints',
      'WARN counting-drop',
      'WARN counting-drop',
      'WARN counting-drop',
      'info no-local-endpoints',
      'info source-ranges',
    ]);
    expect(f).toContain('filter KUBE-SERVICES #1: default/empty (10.96.60.1:80, tcp) has no endpoints');
    expect(f).toContain('hint: check that pods match');
  });

  it('Enter opens a service finding\'s service, and a rule finding\'s chain at the rule; Esc comes back', async () => {
    const a = await open('loadbalancer-source-ranges.save');
    await problems(a);
    await a.press(KEY.enter);
    let f = await a.waitFor((x) => lines(x)[0] === 'Problems > default/broken-lb', 'the service');
    await a.press(KEY.esc);
    await a.waitFor((x) => lines(x)[0] === 'Problems');
    // The third finding: filter KUBE-EXTERNAL-SERVICES rule 2 rejected 3 packets.
    await a.press('j', 'j', KEY.enter);
    f = await a.waitFor((x) => lines(x)[0] === 'Problems > KUBE-EXTERNAL-SERVICES', 'the chain');
    expect(f).toContain('filter KUBE-EXTERNAL-SERVICES · 2 rules');
    expect(lines(f).find((x) => x.startsWith('> '))).toMatch(/^>\s+2\s+3\s+180 REJECT/);
  });

  it('a refresh with the same rules keeps the rule findings and recounts the drops', () => {
    const spec: ClusterSpec = {
      nodeIPs: ['192.168.0.10'],
      services: [{ namespace: 'kc', name: 'idle', clusterIP: '10.96.0.9', ports: [{ port: 80 }], endpoints: [] }],
    };
    const dumpWith = (packets: number) =>
      parseIptablesSave(generateKubeProxyRules(spec, { counters: (ref) => (ref.table === 'filter' && ref.chain === 'KUBE-SERVICES' ? [packets, packets * 60] : [0, 0]) }));
    const input = { source: 'x.save', takenAt: null, nodeAddresses: [] };
    const first = buildExplorerData({ ...input, ruleset: dumpWith(0) });
    expect(first.problemCounts()).toEqual({ error: 0, warning: 1 });
    const second = buildExplorerData({ ...input, ruleset: dumpWith(5) }, undefined, first);
    expect(second.problemCounts()).toEqual({ error: 0, warning: 2 });
    expect(second.searchIndexes.ruleFindings).toBe(first.searchIndexes.ruleFindings);
    expect(second.findings().map((f) => f.kind)).toEqual(['no-endpoints', 'counting-drop']);
    expect(second.findings()[1]!.message).toContain('rejected 5 packets (300 bytes)');
  });

  it('/ filters the findings', async () => {
    const a = await open('loadbalancer-source-ranges.save');
    await problems(a);
    await a.press('/', 's', 'o', 'u', 'r', 'c', 'e', '-', 'r', KEY.tab);
    const f = await a.waitFor((x) => x.includes('filter "source-r"'));
    const rows = lines(f).filter((x) => /^[> ] (WARN|ERROR|info) /.test(x));
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.includes('source-ranges'))).toBe(true);
  });
});
