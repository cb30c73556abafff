/** `:diff FILE` in the explorer at 80x24, ASCII: the list, the detail pane, Enter to a service on screen. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/tui/state/commands.js';
import { fixturesDir } from '../helpers/paths.js';
import { KEY, fixtureData, lines, renderApp, type Rendered } from './harness.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kc-tui-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let app: Rendered | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
});

/** The seed as it was "before": another node port, no kube-dns:metrics, one more filter chain. */
function beforeFile(): string {
  const gone = ['JD5MR3NA4I4DYORP', 'DYBHL6V5AEQM6E62', 'V5Y2VXAIBB7KZLPV'];
  const text = readFileSync(path.join(fixturesDir, 'seed-nodeport-cluster.save'), 'utf8')
    .replace('--dport 30783', '--dport 31000')
    .replace(':KUBE-SERVICES - [0:0]\n[901234', ':KUBE-SERVICES - [0:0]\n:OLD-CHAIN - [0:0]\n[0:0] -A OLD-CHAIN -j RETURN\n[901234')
    .split('\n')
    .filter((l) => !gone.some((h) => l.includes(h)))
    .join('\n');
  const file = path.join(dir, 'before.save');
  writeFileSync(file, text);
  return file;
}

async function openDiff(file: string): Promise<Rendered> {
  app = await renderApp({ data: fixtureData('seed-nodeport-cluster.save'), color: false, ascii: true });
  await app.waitFor((f) => f.includes('service ports'), 'the services screen');
  await app.press(':', ...`diff ${file}`, KEY.enter);
  return app;
}

describe(':diff FILE', () => {
  it('parses the path, spaces and all, and asks for one', () => {
    expect(parseCommand(':diff dumps/a b.save')).toEqual({ ok: true, command: { kind: 'diff', path: 'dumps/a b.save' } });
    expect(parseCommand(':diff')).toMatchObject({ ok: false, error: expect.stringContaining('usage: :diff FILE') });
  });

  it('lists services then chains, with the selected one old -> new, and Enter opens a service on screen', async () => {
    const a = await openDiff(beforeFile());
    const frame = await a.waitFor((f) => f.includes('differ'), 'the diff');
    const shown = lines(frame);
    expect(shown.length).toBeLessThanOrEqual(24);
    expect(frame).toContain('2 services, 1 chain differ');
    const list = shown.filter((l) => /^[> ] [+~-] (service|chain)/.test(l.slice(0, 12)));
    expect(list.map((l) => l.slice(2).trimEnd())).toEqual([
      '+ service kube-system/kube-dns:metrics',
      '~ service default/nginx  (1 difference)',
      '- chain   filter OLD-CHAIN',
    ]);
    expect(frame).toContain('only on screen (not in the file)');
    await a.press(KEY.down);
    const nginx = await a.waitFor((f) => f.includes('nodePort: 31000 -> 30783'), 'the node port change');
    expect(nginx).toContain('~ default/nginx');
    await a.press(KEY.down, KEY.enter);
    await a.waitFor((f) => f.includes('only in the file: nothing on screen to open'), 'the message for a chain only in the file');
    await a.press(KEY.up, KEY.up, KEY.enter);
    const service = await a.waitFor((f) => f.includes('> kube-system/kube-dns:metrics\n') && f.includes('ClusterIP'), 'the service screen');
    expect(service).toContain('10.32.0.10:9153');
    await a.press(KEY.esc);
    await a.waitFor((f) => f.includes('2 services, 1 chain differ'), 'back on the diff');
  });

  it('the same file: no difference', async () => {
    const a = await openDiff(path.join(fixturesDir, 'seed-nodeport-cluster.save'));
    const frame = await a.waitFor((f) => f.includes('differ'), 'the diff');
    expect(frame).toContain('0 services, 0 chains differ');
    expect(frame).toContain('no difference (counters aside)');
  });

  it('a file that cannot be used says why, FILE:LINE:COL for a parse error', async () => {
    const bad = path.join(dir, 'bad.save');
    writeFileSync(bad, '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m comment --comment "open\nCOMMIT\n');
    const a = await openDiff(bad);
    const frame = await a.waitFor((f) => f.includes(`${bad}:`), 'the error');
    expect(frame).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: error: `));
    await a.press(':', ...`diff ${path.join(dir, 'missing.save')}`, KEY.enter);
    await a.waitFor((f) => f.includes('missing.save') && /no such file|cannot|not found/i.test(f), 'the missing file');
  });
});
