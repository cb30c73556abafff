/**
 * What `npm pack` ships: the program (dist/cli, core, sources, tui) and the fixtures, nothing of
 * the benchmarks or the rule generators, and nothing a shipped file imports is left behind or
 * comes from a devDependency. Packs this run's build (test/setup/build.ts: the package.json and
 * the dist/ that tsconfig.build.json gives), so a stale dist/ in the checkout cannot answer.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

interface PackFile {
  readonly path: string;
}

/** The build's root: dist/cli/main.js is two folders below it. */
const buildRoot = path.resolve(path.dirname(inject('builtMain')), '../..');
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: buildRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
) as { files: PackFile[] }[];
const files = packed[0]!.files.map((f) => f.path);
const shippedJs = files.filter((f) => f.endsWith('.js'));
const pkg = JSON.parse(readFileSync(path.join(buildRoot, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

/** Every `from '…'` and `import('…')` specifier of a compiled file. */
function specifiers(file: string): string[] {
  const text = readFileSync(path.join(buildRoot, file), 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((m) => m[1]!);
}

describe('the published package', () => {
  it('holds the program and its bin, not the benchmarks or the generators', () => {
    expect(shippedJs.length).toBeGreaterThan(50);
    expect(files).toContain(pkg.bin.kubechains);
    expect(files.filter((f) => /^dist\/(bench|gen)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/') && !/^dist\/(cli|core|sources|tui)\//.test(f))).toEqual([]);
  });

  it('ships every file a shipped file imports, and imports only runtime dependencies', () => {
    const missing: string[] = [];
    const foreign: string[] = [];
    for (const file of shippedJs) {
      for (const spec of specifiers(file)) {
        if (spec.startsWith('.')) {
          const target = path.posix.join(path.posix.dirname(file), spec);
          if (!files.includes(target)) missing.push(`${file} -> ${spec}`);
        } else if (!spec.startsWith('node:')) {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!(name in pkg.dependencies)) foreign.push(`${file} -> ${spec}`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(foreign).toEqual([]);
  });
});
