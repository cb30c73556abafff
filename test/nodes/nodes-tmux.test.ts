/**
 * The built bin's `kubechains --nodes` in a real terminal (tmux, 80x24, UTF-8): the Nodes screen,
 * Enter onto a node (its own rules, the ≠ column), N back, q to the shell. Needs tmux: skipped
 * outside CI when it is missing, never under CI=true.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtMain } from '../cli/harness.js';
import { nodeIptablesDump } from '../helpers/nodes-cluster.js';
import { repoRoot } from '../helpers/paths.js';
import { expectShellBack, hasTmux, rows, TmuxServer } from '../helpers/tmux.js';

const skip = !hasTmux && process.env.CI !== 'true';
const server = new TmuxServer('kubechains-nodes');

describe.skipIf(skip)(skip ? 'kubechains --nodes in tmux (skipped outside CI: tmux is missing)' : 'kubechains --nodes in tmux', () => {
  let dir = '';
  beforeAll(() => {
    if (!hasTmux) throw new Error('tmux is missing (apt-get install tmux)');
    dir = mkdtempSync(path.join(tmpdir(), 'kc-nodes-tmux-'));
    for (const kind of ['good', 'stale', 'lacking'] as const) writeFileSync(path.join(dir, kind), nodeIptablesDump(kind));
  });
  afterAll(() => {
    server.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens on the Nodes screen, Enter shows a node, N comes back, q quits', async () => {
    const term = server.startShell('nodes', { width: 80, height: 24, cwd: repoRoot, timeoutMs: 30_000 });
    await term.waitFor((x) => x.includes('$'), 'the shell prompt');
    term.type(`node ${builtMain} --nodes good stale lacking nope --source-cmd 'cat ${dir}/{node}'; echo "exit=$?"`);
    term.keys('Enter');
    let s = await term.waitFor((x) => rows(x)[0] === 'Nodes', 'the Nodes screen');
    expect(rows(s)[1]).toBe('4 nodes · 3 read · 2 of 3 services diverge');
    expect(rows(s)[6]).toMatch(/^ !nope\s+error\s+-\s+-\s+-$/);
    term.keys('j', 'Enter');
    s = await term.waitFor((x) => rows(x)[0]?.startsWith('node stale > Services') === true, 'the stale node');
    expect(s).toMatch(/^ {2}≠ {2}shop\/web:http\s+ClusterIP\s+10\.96\.0\.10:80\/tcp\s+-\s+3\/-/m);
    term.keys('N');
    s = await term.waitFor((x) => rows(x)[0] === 'Nodes', 'back on the Nodes screen');
    expect(rows(s).find((l) => l.startsWith('> '))).toMatch(/^> stale\s+ok/);
    term.keys('q');
    expectShellBack(await term.waitFor((x) => x.includes('exit=0'), 'the shell again'), 0);
  });
});
