/**
 * The version: written into the one-file bundle when it is built (scripts/bundle.mjs defines
 * KUBECHAINS_BUNDLED_VERSION), else read from package.json (two levels up from both src/cli and dist/cli).
 */
import { readFileSync } from 'node:fs';
import { bundledVersion } from '../sources/bundled.js';

export function packageVersion(): string {
  const bundled = bundledVersion();
  if (bundled !== null) return bundled;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
