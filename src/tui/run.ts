/**
 * runExplorer: what the CLI calls when no subcommand is given (src/cli/explore.ts passes its
 * ExplorerLaunch, which fits ExplorerOptions).
 *
 * Ink decides once, when it loads, that it runs in CI if CI or CONTINUOUS_INTEGRATION is set,
 * and then draws nothing until exit. The explorer only runs on a terminal, for a person, so Ink
 * is loaded with those variables hidden (and they are put back right after, for child processes).
 */
import type { ExplorerOptions } from './explorer.js';

export type { ExplorerOptions } from './explorer.js';

const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;

export async function runExplorer(options: ExplorerOptions): Promise<number> {
  const saved = CI_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  let explorer: typeof import('./explorer.js');
  try {
    explorer = await import('./explorer.js');
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
  return explorer.startExplorer(options);
}
