/**
 * Vitest global setup: builds the program once for the whole run, into a fresh mkdtemp folder
 * outside the checkout, and hands its path to the test files (inject('builtMain')).
 *
 * Outside the checkout, and 0755 with the runtime dependencies copied beside it, because some
 * tests run the built CLI as another user (nobody), who cannot enter a clone in a private
 * (0700) directory. A failed build fails the run: tests never run a stale or partial build.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** dist/cli/main.js of this run's build. */
    builtMain: string;
  }
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-test-build-'));
  chmodSync(dir, 0o755);
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(dir, 'dist')], { cwd: repoRoot, stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const out = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`the build for the tests failed:\n${out.stdout?.toString() ?? ''}${out.stderr?.toString() ?? out.message}`);
  }
  // version.ts reads ../../package.json from dist/cli.
  cpSync(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
  for (const pkg of runtimePackages()) {
    cpSync(path.join(repoRoot, 'node_modules', pkg), path.join(dir, 'node_modules', pkg), { recursive: true, dereference: true });
  }
  const builtMain = path.join(dir, 'dist', 'cli', 'main.js');
  if (!existsSync(builtMain)) throw new Error(`the build did not produce ${builtMain}`);
  project.provide('builtMain', builtMain);
  return () => rmSync(dir, { recursive: true, force: true });
}

/**
 * The top-level node_modules entries the program needs at run time: npm's own list, dev
 * dependencies left out. npm ls exits non-zero for problems of the tree that do not matter here
 * (an extraneous package a user installed by hand), so its list is read whatever its status, and
 * checked to hold every dependency package.json names.
 */
function runtimePackages(): string[] {
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repoRoot, encoding: 'utf8' });
  const top = path.join(repoRoot, 'node_modules') + path.sep;
  const names = new Set<string>();
  for (const line of (ls.stdout ?? '').split('\n')) {
    if (!line.startsWith(top)) continue;
    const parts = line.slice(top.length).split(path.sep);
    // a/node_modules/b is inside a, copied with it
    names.add(parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
  }
  const declared = Object.keys((JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  const missing = declared.filter((d) => !names.has(d));
  if (missing.length > 0) throw new Error(`npm ls --omit=dev did not list ${missing.join(', ')} (run npm ci): ${ls.stderr ?? ''}`.slice(0, 2000));
  return [...names];
}
