/**
 * The explorer's floors point one way: state (state.ts, state/) below model/, below keys/, below
 * hooks/ and components/, below screens/, below the App and its launchers. A file imports its own
 * floor or lower ones, never a higher one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const TUI = path.join(repoRoot, 'src/tui');

/** Floor of a module under src/tui, by its path relative to src/tui without the extension. */
function floorOf(rel: string): number {
  if (rel === 'state' || rel.startsWith('state/') || rel === 'theme' || rel === 'terminal') return 0;
  if (rel.startsWith('model/')) return 1;
  if (rel.startsWith('keys/')) return 2;
  if (rel.startsWith('hooks/') || rel.startsWith('components/')) return 3;
  if (rel.startsWith('screens/')) return 4;
  return 5;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

describe('the explorer\'s layers', () => {
  const files = sources(TUI);

  it('import only their own floor or lower ones', () => {
    const upward: string[] = [];
    let imports = 0;
    for (const file of files) {
      const rel = path.relative(TUI, file).split(path.sep).join('/').replace(/\.tsx?$/, '');
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = path.relative(TUI, path.resolve(path.dirname(file), m[1]!)).split(path.sep).join('/').replace(/\.js$/, '');
        if (target.startsWith('..')) continue;
        imports++;
        if (floorOf(target) > floorOf(rel)) upward.push(`${rel} -> ${target}`);
      }
    }
    expect(imports).toBeGreaterThan(50);
    expect(upward).toEqual([]);
  });
});
