/**
 * One measurement in a fresh process, so peak RSS and JIT warm-up are its own:
 *
 *   node dist-bench/bench/child.js load FILE [TRACES]       parse + model, then TRACES traces
 *   node dist-bench/bench/child.js refresh FIRST NEXT...    live refreshes after loading FIRST
 *   node dist-bench/bench/child.js tui FILE                 search keystrokes and keypress-to-frame
 *   node dist-bench/bench/child.js tui-live WATCHED SNAPSHOT... keypress-to-frame while a live file refreshes every second
 *   node dist-bench/bench/child.js nft-load FILE            nftables listing (text or JSON): read + parse + model
 *   node dist-bench/bench/child.js json-parse FILE          read + JSON.parse, nothing more
 *   node dist-bench/bench/child.js nft-tui FILE             the explorer on an nftables listing: search and keypress-to-frame
 *   node dist-bench/bench/child.js conntrack DUMP LISTING NODE_IP  load DUMP, then parse + attribute a `conntrack -L` listing
 *
 * Prints one line of JSON.
 */
import { measureConntrack } from './conntrack.js';
import { measureLoad, measureRefresh, measureTraces } from './measure.js';
import { loadNftDump, measureJsonParse, measureNftLoad } from './nft.js';

/**
 * The explorer's code with React and its reconciler in their production builds, as the program
 * loads them (src/tui/run.ts): the development builds diff every changed prop of every render for
 * their performance track, seconds per frame once the data is a 10k-service snapshot.
 */
async function loadTui(): Promise<typeof import('./tui.js')> {
  process.env.NODE_ENV ??= 'production';
  return import('./tui.js');
}

async function main(argv: readonly string[]): Promise<unknown> {
  const [task, file, ...rest] = argv;
  if (!file) throw new Error('usage: child.js load|refresh|tui|nft-load|nft-tui|json-parse|conntrack FILE ...');
  switch (task) {
    case 'load': {
      const { result, ruleset, model } = await measureLoad(file);
      const traces = measureTraces(ruleset, model, Number(rest[0] ?? 20));
      return { load: result, traces };
    }
    case 'refresh':
      return { refresh: await measureRefresh(file, rest) };
    case 'tui': {
      // Loaded only here: React and Ink are not needed by the other measurements.
      const tui = await loadTui();
      const { result, ruleset, model } = await measureLoad(file);
      const first = tui.explorerData(ruleset, model, file);
      const search = tui.measureSearch(() => tui.explorerData(ruleset, model, file).data);
      const frames = await tui.measureKeys(first.data);
      return { load: result, explorerDataMs: first.ms, search, frames };
    }
    case 'tui-live': {
      const tui = await loadTui();
      return { frames: await tui.measureKeysDuringRefreshes(file, rest) };
    }
    case 'nft-load':
      return { load: measureNftLoad(file) };
    case 'nft-tui': {
      const tui = await loadTui();
      const { ruleset, nft, model } = loadNftDump(file);
      const first = tui.explorerData(ruleset, model, file, nft);
      const search = tui.measureSearch(() => tui.explorerData(ruleset, model, file, nft).data);
      const frames = await tui.measureKeys(first.data);
      return { explorerDataMs: first.ms, search, frames };
    }
    case 'json-parse':
      return { parse: measureJsonParse(file) };
    case 'conntrack':
      return { conntrack: await measureConntrack(file, rest[0]!, rest[1]!) };
    default:
      throw new Error(`unknown task ${task}`);
  }
}

main(process.argv.slice(2)).then(
  (out) => {
    process.stdout.write(JSON.stringify(out) + '\n');
    process.exit(0);
  },
  (e: unknown) => {
    process.stderr.write(`bench child: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  },
);
