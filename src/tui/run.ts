/**
 * runExplorer: what the CLI calls when no subcommand is given (src/cli/explore.ts passes its
 * ExplorerLaunch, which fits ExplorerOptions).
 *
 * Ink decides once, when it loads, that it runs in CI if CI or CONTINUOUS_INTEGRATION is set,
 * and then draws nothing until exit. The explorer only runs on a terminal, for a person, so Ink
 * is loaded with those variables hidden (and they are put back right after, for child processes).
 *
 * React and its reconciler are loaded in their production builds (NODE_ENV=production while
 * they load, unless NODE_ENV says otherwise): the development builds record a performance
 * measure per component render that is never cleared, which a live explorer redrawing every
 * second turns into a leak of about 100 MB per refresh at 10k services, and they render slower.
 */
import type { ExplorerOptions } from './explorer.js';

export type { ExplorerOptions } from './explorer.js';

const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

export async function runExplorer(options: ExplorerOptions): Promise<number> {
  const saved = [...CI_VARIABLES, 'NODE_ENV'].map((name) => [name, process.env[name]] as const);
  for (const name of CI_VARIABLES) delete process.env[name];
  process.env.NODE_ENV ??= 'production';
  let explorer: typeof import('./explorer.js');
  try {
    explorer = await import('./explorer.js');
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  return explorer.startExplorer(options);
}
