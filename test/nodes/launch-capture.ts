/** Stands in for src/tui/run.js: records what the CLI hands the explorer. */
import type { ExplorerLaunch } from '../../src/cli/explore.js';

export class ExplorerLaunchCapture {
  readonly launches: ExplorerLaunch[] = [];
  readonly importExplorer = async () => ({
    runExplorer: async (launch: ExplorerLaunch) => {
      this.launches.push(launch);
      return 0;
    },
  });
}
