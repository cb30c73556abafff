/**
 * The explorer loads React's production build: the development build records a performance
 * measure for every component render and never clears them, which a live explorer (a redraw a
 * second, a new snapshot every interval) turns into a leak of ~100 MB per refresh at 10k
 * services. Run in a child process of the built CLI, where nothing loaded React before.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtMain } from '../cli/harness.js';
import { repoRoot } from '../helpers/paths.js';

const CHILD = `
import { EventEmitter } from 'node:events';
const { runExplorer } = await import(process.argv[1]);
const { loadSnapshot } = await import(process.argv[2]);
class Out extends EventEmitter { columns = 80; rows = 24; isTTY = true; write() { return true; } }
class In extends EventEmitter {
  isTTY = true; data = null;
  write(d) { this.data = d; this.emit('readable'); }
  read() { const d = this.data; this.data = null; return d; }
  setEncoding() {} setRawMode() {} resume() {} pause() {} ref() {} unref() {}
}
const spec = { kind: 'file', path: process.argv[3] };
const stdin = new In();
const done = runExplorer({ snapshot: await loadSnapshot(spec), source: spec, stdin, stdout: new Out(), stderr: new Out(), env: {} });
const tick = () => new Promise((r) => setTimeout(r, 50));
for (let i = 0; i < 10; i++) await tick();
for (const k of ['j', 'j', 'k', 's', 's']) { stdin.write(k); await tick(); }
stdin.write('q');
const code = await done;
console.log(JSON.stringify({ code, measures: performance.getEntriesByType('measure').length, nodeEnv: process.env.NODE_ENV ?? null }));
`;

function runChild(env: NodeJS.ProcessEnv): Promise<{ code: number; measures: number; nodeEnv: string | null }> {
  const dist = path.dirname(path.dirname(builtMain));
  const args = ['--input-type=module', '-e', CHILD, path.join(dist, 'tui/run.js'), path.join(dist, 'sources/index.js'), path.join(repoRoot, 'fixtures/seed-nodeport-cluster.save')];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env, cwd: repoRoot, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
  });
}

describe('the explorer and React', () => {
  it('loads the production build (no render measures pile up) and leaves NODE_ENV as it was', async () => {
    const env = { ...process.env };
    delete env.NODE_ENV;
    const r = await runChild(env);
    expect(r.code).toBe(0);
    expect(r.measures).toBe(0);
    expect(r.nodeEnv).toBeNull();
  });

  it('(the check can fail: with NODE_ENV=development the measures are there)', async () => {
    const r = await runChild({ ...process.env, NODE_ENV: 'development' });
    expect(r.code).toBe(0);
    expect(r.measures).toBeGreaterThan(0);
    expect(r.nodeEnv).toBe('development');
  });
});
