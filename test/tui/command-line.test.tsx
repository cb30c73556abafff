/** Issue 14, point 5: the `:` line completes with Tab (commands, chain names, service ids), keeps a history, and says "did you mean". */
import { afterEach, describe, expect, it } from 'vitest';
import { completeCommand } from '../../src/tui/state/commands.js';
import { KEY, fixtureData, lines, renderApp, type Rendered } from './harness.js';

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

const data = () => fixtureData('seed-nodeport-cluster.save', ['172.16.1.10']);
const commandLine = (f: string) => lines(f).at(-2) ?? '';

async function open(): Promise<Rendered> {
  app = await renderApp({ data: data(), color: false });
  await app.waitFor((f) => f.includes('service ports · sort'), 'the services screen');
  return app;
}

describe('completion (pure)', () => {
  it('completes the command, then chain names (any case, or by a part of the name), tables, service ids, addresses', () => {
    const d = data();
    expect(completeCommand('ch', d)).toMatchObject({ text: 'chain ', choices: ['chain'] });
    expect(completeCommand('chain kube-sep-y', d)).toMatchObject({ text: 'chain KUBE-SEP-YVT6EXXEKT4LDXBC ' });
    // By a part of the name: the hash alone finds its chain.
    expect(completeCommand('chain 2CMXP7', d).choices).toEqual(['KUBE-EXT-2CMXP7HKUVJN7L6M', 'KUBE-SVC-2CMXP7HKUVJN7L6M']);
    expect(completeCommand('chain nat/KUBE-SEP-Y', d).text).toBe('chain nat/KUBE-SEP-YVT6EXXEKT4LDXBC ');
    expect(completeCommand('chain KUBE-SERVICES f', d).text).toBe('chain KUBE-SERVICES filter ');
    const svc = completeCommand('svc kube-system/', d);
    expect(svc.text).toBe('svc kube-system/kube-dns:');
    expect(svc.choices).toEqual(['kube-system/kube-dns:dns', 'kube-system/kube-dns:dns-tcp', 'kube-system/kube-dns:metrics']);
    expect(completeCommand('trace 10.32.0.6', d).text).toBe('trace 10.32.0.61:80 ');
    expect(completeCommand('trace 172.16', d).text).toBe('trace 172.16.1.10:30783 ');
    expect(completeCommand('chain NOPE-NOTHING', d).choices).toEqual([]);
  });
});

describe('the : line at 80x24 (issue 14 point 5)', () => {
  it('Tab completes a chain name and Enter opens it', async () => {
    const a = await open();
    await a.press(':', ...'chain kube-sep-y', KEY.tab);
    expect(commandLine(a.frame())).toBe(':chain KUBE-SEP-YVT6EXXEKT4LDXBC _');
    await a.press(KEY.enter);
    await a.waitFor((f) => f.includes('nat KUBE-SEP-YVT6EXXEKT4LDXBC · 2 rules'), 'the chain');
  });

  it('several completions show in a palette; Tab picks the next, Up the previous, Enter runs the pick', async () => {
    const a = await open();
    await a.press(':', ...'svc kube-sys', KEY.tab);
    let f = a.frame();
    expect(commandLine(f)).toBe(':svc kube-system/kube-dns:_');
    expect(f).toContain('3 completions · Tab or ↑/↓ picks');
    expect(f).toContain('  kube-system/kube-dns:dns-tcp');
    expect(lines(f).length).toBe(23);
    await a.press(KEY.tab, KEY.tab);
    f = a.frame();
    expect(commandLine(f)).toBe(':svc kube-system/kube-dns:dns-tcp_');
    expect(lines(f).filter((l) => l.startsWith('> ')).at(-1)).toBe('> kube-system/kube-dns:dns-tcp');
    await a.press(KEY.up);
    expect(commandLine(a.frame())).toBe(':svc kube-system/kube-dns:dns_');
    // `:svc ID` opens the service (over the list filtered to it: Esc goes back to it).
    await a.press(KEY.enter);
    f = await a.waitFor((x) => x.includes('Services > kube-system/kube-dns:dns'), 'the service');
    await a.press(KEY.esc);
    expect(a.frame()).toContain('filter "kube-system/kube-dns:dns"');
  });

  it('Up and Down walk the history of commands run, and Down past the newest gives back what was typed', async () => {
    const a = await open();
    await a.press(':', ...'hooks', KEY.enter);
    await a.waitFor((f) => f.includes('Hooks ·'), 'hooks');
    await a.press(':', ...'problems', KEY.enter);
    await a.waitFor((f) => f.includes('Problems ·'), 'problems');
    await a.press(':', ...'sv', KEY.up);
    expect(commandLine(a.frame())).toBe(':problems_');
    await a.press(KEY.up);
    expect(commandLine(a.frame())).toBe(':hooks_');
    await a.press(KEY.up);
    expect(commandLine(a.frame())).toBe(':hooks_');
    await a.press(KEY.down, KEY.down);
    expect(commandLine(a.frame())).toBe(':sv_');
    await a.press(KEY.up, KEY.up, KEY.enter);
    await a.waitFor((f) => f.includes('Hooks ·'), 'hooks from the history');
  });

  it('says "did you mean" for a chain and a command, and opens a chain typed in the wrong case', async () => {
    const a = await open();
    await a.press(':', ...'chain KUBE-SEP-YVT6EXXEKT4LDXBX', KEY.enter);
    expect(commandLine(a.frame())).toBe('no chain KUBE-SEP-YVT6EXXEKT4LDXBX (did you mean KUBE-SEP-YVT6EXXEKT4LDXBC?)');
    await a.press(':', ...'chian KUBE-SERVICES', KEY.enter);
    expect(commandLine(a.frame())).toBe('unknown command :chian (did you mean chain?)');
    await a.press(':', ...'chain kube-sep-yvt6exxekt4ldxbc', KEY.enter);
    await a.waitFor((f) => f.includes('nat KUBE-SEP-YVT6EXXEKT4LDXBC · 2 rules'), 'the chain, by its name in any case');
  });
});
