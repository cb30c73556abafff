/**
 * The version: written into the one-file bundle when it is built (scripts/bundle.mjs defines
 * KUBECHAINS_BUNDLED_VERSION), else read from package.json (two levels up from both src/cli and dist/cli).
 */
import { readFileSync } from 'node:fs';

declare const KUBECHAINS_BUNDLED_VERSION: string | undefined;

export function packageVersion(): string {
  if (runningFromBundle()) return KUBECHAINS_BUNDLED_VERSION!;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * True in dist/kubechains.mjs: the program is one file, and nothing lies next to it (no
 * package.json, no worker file to start: run such work in the main thread instead).
 */
export function runningFromBundle(): boolean {
  return typeof KUBECHAINS_BUNDLED_VERSION === 'string';
}
