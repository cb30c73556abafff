/**
 * The one-file bundle (npm run bundle): built once into a mkdtemp folder, copied alone into an
 * EMPTY folder (no node_modules, no package.json anywhere above a fresh mkdtemp), and run from
 * there: `services --json` must equal the checkout's build on every fixture, `--version` the
 * package's, bad input exit 2; in tmux, the explorer opens from it and drills into a service.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundle } from '../../scripts/bundle.mjs';
import { fixturesDir, repoRoot } from '../helpers/paths.js';
import { TmuxServer, expectShellBack, hasTmux, rows } from '../helpers/tmux.js';

const builtMain = inject('builtMain');
let buildDir = '';
let runDir = '';
let bundled = '';

beforeAll(async () => {
  buildDir = mkdtempSync(path.join(tmpdir(), 'kc-bundle-build-'));
  const result = await bundle({ outfile: path.join(buildDir, 'kubechains.mjs') });
  expect(result.errors).toEqual([]);
  runDir = mkdtempSync(path.join(tmpdir(), 'kc-bundle-run-'));
  bundled = path.join(runDir, 'kubechains.mjs');
  copyFileSync(path.join(buildDir, 'kubechains.mjs'), bundled);
});

afterAll(() => {
  for (const dir of [buildDir, runDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function node(args: readonly string[], cwd: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NODE_PATH: '' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const FIXTURES = [
  ...readdirSync(fixturesDir).filter((f) => f.endsWith('.save')),
  ...readdirSync(path.join(fixturesDir, 'nftables')).map((f) => `nftables/${f}`),
];

describe('the one-file bundle', () => {
  it('is one file that imports nothing but node: built-ins', () => {
    expect(readdirSync(runDir)).toEqual(['kubechains.mjs']);
    const text = readFileSync(bundled, 'utf8');
    const imported = [...text.matchAll(/^import\s[^;]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/gm)].map((m) => m[1] ?? m[2]!);
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((s) => !s.startsWith('node:'))).toEqual([]);
    // CommonJS packages' require() of anything else than a built-in would need node_modules.
    const required = [...text.matchAll(/\b__require\("([^"]+)"\)/g)].map((m) => m[1]!);
    expect(required.filter((s) => !s.startsWith('node:') && !/^[a-z_]+$/.test(s))).toEqual([]);
    expect(statSync(bundled).size).toBeLessThan(4 * 1024 * 1024);
  });

  it('--version is the package.json version, written in', async () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(await node([bundled, '--version'], runDir)).toEqual({ code: 0, stdout: `kubechains ${version}\n`, stderr: '' });
  });

  it(`services --json equals the checkout's on every fixture (${FIXTURES.length})`, async () => {
    expect(FIXTURES.length).toBeGreaterThan(15);
    const compare = async (name: string) => {
      const file = path.join(fixturesDir, name);
      const [fromBundle, fromCheckout] = await Promise.all([node([bundled, 'services', '--json', file], runDir), node([builtMain, 'services', '--json', file], runDir)]);
      expect(fromBundle.code, `${name}: ${fromBundle.stderr}`).toBe(0);
      expect(fromBundle.stdout.length, name).toBeGreaterThan(20);
      expect(fromBundle, name).toEqual(fromCheckout);
    };
    // Two fixtures at a time (four processes): the machine is shared.
    for (let i = 0; i < FIXTURES.length; i += 2) await Promise.all(FIXTURES.slice(i, i + 2).map(compare));
  }, 180_000);

  it('bad input: FILE:LINE:COL and exit 2, as the checkout', async () => {
    const bad = path.join(fixturesDir, 'seed-clusterip.save');
    // Beside the build, not in the run folder: that one holds the bundle alone.
    const truncated = path.join(buildDir, 'truncated.save');
    const text = readFileSync(bad, 'utf8');
    writeFileSync(truncated, text.slice(0, text.lastIndexOf('COMMIT')));
    const r = await node([bundled, 'services', truncated], runDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error: `));
    expect(r).toEqual(await node([builtMain, 'services', truncated], runDir));
    expect((await node([bundled, 'servcies'], runDir)).code).toBe(2);
  });

  it('diff works from the bundle too', async () => {
    const r = await node([bundled, 'diff', path.join(fixturesDir, 'seed-nodeport-cluster.save'), path.join(fixturesDir, 'seed-nodeport-local-worker02.save'), '--json'], runDir);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ services: { changed: [{ id: 'default/nginx', fields: { externalTrafficPolicy: ['Cluster', 'Local'] } }] } });
  });
});

const skipNoTmux = !hasTmux && process.env.CI !== 'true';
const server = new TmuxServer('kubechains-bundle');
afterAll(() => {
  if (hasTmux) server.kill();
});

describe('the explorer from the bundle, in tmux (80x24)', () => {
  it.skipIf(skipNoTmux)(skipNoTmux ? 'opens and drills into a service (skipped outside CI: tmux is not installed)' : 'opens and drills into a service', async () => {
    const term = server.startShell('bundle1', { width: 80, height: 24, cwd: runDir, timeoutMs: 20_000 });
    await term.waitFor((s) => s.includes('$'), 'the shell prompt');
    term.type(`node kubechains.mjs '${path.join(fixturesDir, 'seed-nodeport-cluster.save')}' --node-ip 172.16.1.10; echo "exit=$?"`);
    term.keys('Enter');
    let s = await term.waitFor((x) => x.includes('5 service ports · sort id'), 'the services screen');
    expect(rows(s)).toHaveLength(24);
    expect(s).toContain('default/nginx');
    term.type('/nginx');
    await term.waitFor((x) => x.includes('/nginx_'), 'the filter line');
    term.keys('Enter');
    s = await term.waitFor((x) => x.includes('KUBE-SEP-YVT6EXXEKT4LDXBC'), 'the service detail');
    expect(s).toContain('10.64.2.4:80');
    expect(s.split('\n')[0]).toBe('Services > default/nginx');
    term.type('q');
    s = await term.waitFor((x) => x.includes('exit=0'), 'the shell back');
    expectShellBack(s, 0);
  });

  // A live source re-reads and re-parses in the background: the poller and its parse thread (the
  // bundle itself, started as a worker) must work from the one file too, with nothing beside it.
  it.skipIf(skipNoTmux)(skipNoTmux ? 'refreshes a live source (skipped outside CI: tmux is not installed)' : 'refreshes a live source', async () => {
    const term = server.startShell('bundle2', { width: 80, height: 24, cwd: runDir, timeoutMs: 20_000 });
    await term.waitFor((s) => s.includes('$'), 'the shell prompt');
    term.type(`node kubechains.mjs --source-cmd 'cat ${path.join(fixturesDir, 'seed-nodeport-cluster.save')}' --interval 0.5; echo "exit=$?"`);
    term.keys('Enter');
    const refreshed = (x: string) => /refreshed (\d\d:\d\d:\d\d)/.exec(x)?.[1] ?? null;
    const first = await term.waitFor((x) => x.includes('5 service ports') && refreshed(x) !== null, 'the first refresh');
    const later = await term.waitFor((x) => refreshed(x) !== null && refreshed(x) !== refreshed(first), 'a later refresh');
    expect(later).toContain('5 service ports');
    expect(later).not.toMatch(/fail|error/i);
    // The bundle starts itself as the parse thread: no fallback to the main thread.
    expect(later).not.toContain('main thread');
    term.type('q');
    expectShellBack(await term.waitFor((x) => x.includes('exit=0'), 'the shell back'), 0);
  });
});
