/** `kubechains nodes` over files read by a --source-cmd, in-process: JSON, text, failures, timeouts, usage. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../cli/harness.js';
import { ExplorerLaunchCapture } from './launch-capture.js';
import { DB, DNS, nodeIptablesDump, nodeNftablesRuleset, STALE_ENDPOINT, WEB } from '../helpers/nodes-cluster.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kc-nodes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
writeFileSync(path.join(tmp, 'good'), nodeIptablesDump('good'));
writeFileSync(path.join(tmp, 'stale'), nodeIptablesDump('stale'));
writeFileSync(path.join(tmp, 'lacking'), nodeIptablesDump('lacking'));
writeFileSync(path.join(tmp, 'nft'), nodeNftablesRuleset('good'));
writeFileSync(path.join(tmp, 'broken'), '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j NOWHERE\n');
const catCmd = `cat ${tmp}/{node}`;

describe('kubechains nodes --json', () => {
  it('gives every node and every service with its endpoints per node, null where missing', async () => {
    const r = await run(['nodes', 'good', 'nft', 'stale', 'lacking', 'absent', '--source-cmd', catCmd, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.nodes).toEqual([
      { name: 'good', ok: true, error: null, services: 3, mode: 'iptables' },
      { name: 'nft', ok: true, error: null, services: 3, mode: 'nftables' },
      { name: 'stale', ok: true, error: null, services: 3, mode: 'iptables' },
      { name: 'lacking', ok: true, error: null, services: 2, mode: 'iptables' },
      { name: 'absent', ok: false, error: expect.stringMatching(/^exited with status 1: cat: .*absent: No such file/), services: null, mode: null },
    ]);
    const web = { endpoints: [...WEB.endpoints].sort() };
    expect(json.services).toEqual([
      { id: DB.id, diverges: true, nodes: { good: { endpoints: DB.endpoints }, nft: { endpoints: DB.endpoints }, stale: { endpoints: DB.endpoints }, lacking: null } },
      { id: WEB.id, diverges: true, nodes: { good: web, nft: web, stale: { endpoints: [...WEB.endpoints, STALE_ENDPOINT].sort() }, lacking: web } },
      { id: DNS.id, diverges: false, nodes: { good: { endpoints: DNS.endpoints }, nft: { endpoints: DNS.endpoints }, stale: { endpoints: DNS.endpoints }, lacking: { endpoints: DNS.endpoints } } },
    ]);
  });

  it('reports a dump that does not parse with its line and column', async () => {
    const r = await run(['nodes', 'good', 'broken', '--source-cmd', catCmd, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).nodes[1]).toEqual({ name: 'broken', ok: false, error: expect.stringMatching(/^3:\d+: /), services: null, mode: null });
  });

  it('exits 2 when no node could be read', async () => {
    const r = await run(['nodes', 'absent', '--source-cmd', catCmd, '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).nodes[0].ok).toBe(false);
  });

  it('passes the node name in $KUBECHAINS_NODE too', async () => {
    const r = await run(['nodes', 'good', '--source-cmd', `cat ${tmp}/$KUBECHAINS_NODE`, '--json']);
    expect(JSON.parse(r.stdout).nodes[0].ok).toBe(true);
  });
});

describe('kubechains nodes, text', () => {
  it('lists the nodes, then the diverging services first with the nodes that differ', async () => {
    const r = await run(['nodes', 'good', 'stale', 'lacking', 'absent', '--source-cmd', catCmd]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^NODE\s+STATUS\s+MODE\s+SERVICES\s+DIVERGING\s+ERROR$/);
    expect(lines[1]).toMatch(/^good\s+ok\s+iptables\s+3\s+0\s*$/);
    expect(lines[2]).toMatch(/^stale\s+ok\s+iptables\s+3\s+1\s*$/);
    expect(lines[4]).toMatch(/^absent\s+error\s+-\s+-\s+-\s+exited with status 1/);
    expect(r.stdout).toContain('2 of 3 services diverge across the 3 nodes read');
    const db = lines.indexOf(`!= ${DB.id}  (differs on lacking)`);
    const web = lines.indexOf(`!= ${WEB.id}  (differs on stale)`);
    const dns = lines.indexOf(`== ${DNS.id}  1 endpoint on every node read`);
    expect(db).toBeGreaterThan(0);
    expect(web).toBeGreaterThan(db);
    expect(dns).toBeGreaterThan(web);
    expect(lines[db + 2]).toBe('   lacking: no such service');
    expect(r.stdout).toContain(`   stale: ${[...WEB.endpoints, STALE_ENDPOINT].sort().join(' ')}`);
  });
});

describe('timeouts', () => {
  it('kills a node that runs past --timeout with everything it started, and still shows the others', async () => {
    const pidFile = path.join(tmp, 'sleeper.pid');
    const cmd = `if [ {node} = slow ]; then sleep 300 & echo $! > ${pidFile}; wait; else cat ${tmp}/{node}; fi`;
    const r = await run(['nodes', 'good', 'slow', '--source-cmd', cmd, '--timeout', '0.5', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.nodes[0].ok).toBe(true);
    expect(json.nodes[1]).toEqual({ name: 'slow', ok: false, error: 'timed out after 0.5 s (killed)', services: null, mode: null });
    // The background sleep was in the killed process group: no orphan is left.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((res) => setTimeout(res, 100));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });
});

describe('usage', () => {
  const usage = async (argv: string[]) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    return r.stderr;
  };
  it('refuses what cannot work, in one line', async () => {
    expect(await usage(['nodes', 'a'])).toMatch(/`nodes` needs --source-cmd 'COMMAND with \{node\}' or --kubectl/);
    expect(await usage(['nodes', '--source-cmd', 'cat {node}'])).toMatch(/needs at least one NODE/);
    expect(await usage(['nodes', 'a', '--source-cmd', 'cat x'])).toMatch(/has no \{node\}/);
    expect(await usage(['nodes', 'a;rm', '--source-cmd', 'cat {node}'])).toMatch(/node name "a;rm": only letters, digits/);
    expect(await usage(['nodes', '$(id)', '--source-cmd', 'cat {node}'])).toMatch(/only letters/);
    expect(await usage(['nodes', 'a', 'a', '--source-cmd', 'cat {node}'])).toMatch(/named twice/);
    expect(await usage(['nodes', 'a', '--source-cmd', 'cat {node}', '--parallel', '0'])).toMatch(/--parallel "0"/);
    expect(await usage(['nodes', 'a', '--source-cmd', 'cat {node}', '--timeout', 'x'])).toMatch(/--timeout "x"/);
    expect(await usage(['nodes', 'a', '--source-cmd', 'cat {pod}'])).toMatch(/\{pod\} needs --kubectl/);
    expect(await usage(['nodes', 'a', '--source-cmd', 'cat {node}', '--context', 'c'])).toMatch(/--context needs --kubectl/);
    expect(await usage(['services', '--kubectl'])).toMatch(/--kubectl does not apply to `services`/);
    expect(await usage(['--kubectl'])).toMatch(/--kubectl needs --nodes/);
    expect(await usage(['--nodes', 'a', '--source-cmd', 'cat {node}', '--interval', '5'])).toMatch(/--interval does not apply to --nodes/);
  });

  it('suggests the command for a slip and prints help', async () => {
    expect(await usage(['nods', 'a'])).toMatch(/unknown command nods.*nodes/);
    const help = await run(['nodes', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kubechains nodes NODE\.\.\./);
    expect((await run(['--help'])).stdout).toContain('kubechains nodes NODE...');
  });
});

describe('kubechains --nodes (the explorer)', () => {
  it('reads every node first, then hands the explorer the summaries and a reader of one node whole', async () => {
    const capture = new ExplorerLaunchCapture();
    const r = await run(['--nodes', 'good', 'stale', 'absent', '--source-cmd', catCmd], { tty: { columns: 80 }, importExplorer: capture.importExplorer });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const launch = capture.launches[0]!;
    expect(launch.snapshot).toBeUndefined();
    expect(launch.nodes!.nodes.map((n) => [n.name, n.ok])).toEqual([
      ['good', true],
      ['stale', true],
      ['absent', false],
    ]);
    expect(launch.nodes!.services.filter((s) => s.diverges).map((s) => s.id)).toEqual([WEB.id]);
    const snapshot = await launch.nodes!.load('stale');
    expect(snapshot.origin).toBe(`cat ${tmp}/stale`);
    expect(snapshot.text).toBe(readFileSync(path.join(tmp, 'stale'), 'utf8'));
    await expect(launch.nodes!.load('absent')).rejects.toThrow(/No such file/);
  });

  it('needs a terminal before reading any node', async () => {
    const r = await run(['--nodes', 'good', '--source-cmd', catCmd]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the explorer needs a terminal/);
  });
});
