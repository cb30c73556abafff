/**
 * A fake `--source-cmd` for the live tests: a shell script in a temp dir that prints a kube-proxy
 * dump whose counters grow with each run (run n: each endpoint's DNAT rule of kc/alpha counts
 * [10n:600n], of kc/beta [20n:1200n]; kc/gamma and every other rule stay at 0), and does what the
 * file `mode` says: ok, slow (sleeps first), fail (the xtables lock message, exit 4), truncated
 * (half the dump), hang (never ends). Each run logs "start N NS" and "end N NS" (date +%s%N).
 * reset() makes the counters fall, as a rule recreated or a restore without -c would: the runs
 * after it count from 1 again (run n after a reset at run r prints what run n - r did).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKubeProxyRules, type ClusterSpec } from '../../src/gen/kubeproxy.js';
import { createPoller } from '../../src/sources/poller.js';

export type FakeMode = 'ok' | 'slow' | 'fail' | 'truncated' | 'hang';

/** Three ClusterIP services with endpoints. */
export const FAKE_SPEC: ClusterSpec = {
  nodeIPs: ['172.16.1.10'],
  clusterCIDR: '10.64.0.0/16',
  services: ['alpha', 'beta', 'gamma'].map((name, i) => ({
    namespace: 'kc',
    name,
    clusterIP: `10.32.0.${11 + i}`,
    ports: [{ port: 80, targetPort: 8080 }],
    endpoints: [
      { ip: `10.64.2.${11 + i}`, local: true },
      { ip: `10.64.1.${11 + i}`, local: false },
    ],
  })),
};

/** The dump with [1:100] on kc/alpha's DNAT rules and [2:200] on kc/beta's, [0:0] elsewhere: the script scales them by the run number. */
export function fakeTemplate(): string {
  return generateKubeProxyRules(FAKE_SPEC, { counters: 'zero' })
    .split('\n')
    .map((line) => {
      if (!line.includes('-j DNAT')) return line;
      if (line.includes('kc/alpha')) return line.replace(/^\[0:0\]/, '[1:100]');
      if (line.includes('kc/beta')) return line.replace(/^\[0:0\]/, '[2:200]');
      return line;
    })
    .join('\n');
}

export const XTABLES_LOCK = 'Another app is currently holding the xtables lock. Perhaps you want to use the -w option?';

export interface FakeSource {
  readonly dir: string;
  /** The command for --source-cmd / a command SourceSpec. */
  readonly command: string;
  setMode(mode: FakeMode, slowSeconds?: number): void;
  /** The counters start again from run 1's values at the next run. */
  reset(): void;
  /** Runs started so far. */
  runs(): number;
  /** [start, end] in ms for each finished run (end null while running or for a hang). */
  spans(): { run: number; start: number; end: number | null }[];
  /** The pid of the `sleep` a hang started (once it has). */
  hangPid(): number | null;
  cleanup(): void;
}

export function createFakeSource(): FakeSource {
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-live-'));
  const template = fakeTemplate();
  writeFileSync(path.join(dir, 'template.save'), template);
  writeFileSync(path.join(dir, 'mode'), 'ok\n');
  writeFileSync(path.join(dir, 'slow'), '0.6\n');
  const script = path.join(dir, 'source.sh');
  writeFileSync(
    script,
    `#!/bin/sh
d='${dir}'
n=$(cat "$d/n" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$d/n"
c=$((n - $(cat "$d/reset" 2>/dev/null || echo 0)))
echo "start $n $(date +%s%N)" >> "$d/log"
mode=$(cat "$d/mode")
case "$mode" in
  slow) sleep "$(cat "$d/slow")" ;;
  hang) sleep 600 & echo $! > "$d/hang.pid"; wait; exit 1 ;;
esac
case "$mode" in
  fail) echo "end $n $(date +%s%N)" >> "$d/log"; echo '${XTABLES_LOCK}' >&2; exit 4 ;;
  truncated) head -c 1500 "$d/template.save" ;;
  *) sed -e "s/^\\[1:100\\]/[$((c * 10)):$((c * 600))]/" -e "s/^\\[2:200\\]/[$((c * 20)):$((c * 1200))]/" "$d/template.save" ;;
esac
echo "end $n $(date +%s%N)" >> "$d/log"
`,
  );
  chmodSync(script, 0o755);
  const read = (name: string) => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8') : '');
  return {
    dir,
    command: `'${script}'`,
    setMode(mode, slowSeconds) {
      if (slowSeconds !== undefined) writeFileSync(path.join(dir, 'slow'), `${slowSeconds}\n`);
      writeFileSync(path.join(dir, 'mode'), `${mode}\n`);
    },
    reset() {
      writeFileSync(path.join(dir, 'reset'), `${Number(read('n').trim() || '0')}\n`);
    },
    runs: () => Number(read('n').trim() || '0'),
    spans() {
      const spans = new Map<number, { run: number; start: number; end: number | null }>();
      for (const line of read('log').split('\n')) {
        const m = /^(start|end) (\d+) (\d+)$/.exec(line);
        if (!m) continue;
        const run = Number(m[2]);
        const ms = Number(BigInt(m[3]!) / 1000n) / 1000;
        const s = spans.get(run) ?? { run, start: NaN, end: null };
        if (m[1] === 'start') s.start = ms;
        else s.end = ms;
        spans.set(run, s);
      }
      return [...spans.values()].sort((a, b) => a.run - b.run);
    },
    hangPid: () => (read('hang.pid').trim() ? Number(read('hang.pid').trim()) : null),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Whether the process has ended within `ms`: its pipes close (which is what a run waits for)
 * a moment before the kernel finishes its exit, a window a busy machine makes longer.
 */
export async function endsWithin(pid: number, ms = 2000): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
    if (!alive(pid)) return true;
    await realSleep(10);
  }
  return !alive(pid);
}

/** True while a process with this pid runs (a zombie waiting for its reaper has ended). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // "pid (comm) S ...": the state follows the command name's closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Witness for "nothing happened": runs a control poller (its own fake source, the same interval)
 * until it has delivered `snapshots` snapshots, i.e. `snapshots - 1` whole intervals after its
 * first run ended. A poller still scheduled when this started would have run meanwhile, so a run
 * count that stayed put over this wait means it was not scheduled — whatever the machine's speed.
 */
export async function controlRuns(intervalSeconds: number, snapshots = 3): Promise<void> {
  const control = createFakeSource();
  const p = createPoller({ spec: { kind: 'command', command: control.command }, intervalSeconds });
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = 0;
      // Only a guard against a hang, minutes above what the runs take.
      const guard = realSetTimeout(() => reject(new Error(`the control poller delivered ${seen} of ${snapshots} snapshots`)), 180_000);
      p.subscribe((e) => {
        if (e.type === 'snapshot' && ++seen === snapshots) {
          realClearTimeout(guard);
          resolve();
        }
      });
      p.start();
    });
  } finally {
    await p.stop();
    control.cleanup();
  }
}

/** The timer functions as loaded, before any test fakes them. */
export const realSetTimeout = globalThis.setTimeout;
export const realClearTimeout = globalThis.clearTimeout;
export const realSleep = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms));

/** A fake `--conntrack-cmd`: prints the table last written with write(), so each read can bring another one. */
export interface FakeConntrack {
  readonly dir: string;
  /** The command for --conntrack-cmd / a command ConntrackSpec. */
  readonly command: string;
  /** The file the command prints. */
  readonly file: string;
  write(text: string): void;
  cleanup(): void;
}

export function createFakeConntrack(text: string): FakeConntrack {
  const dir = mkdtempSync(path.join(tmpdir(), 'kc-conntrack-'));
  const file = path.join(dir, 'table.txt');
  // Written aside and renamed over, so a read never sees half a table.
  const write = (t: string) => {
    writeFileSync(`${file}.new`, t);
    renameSync(`${file}.new`, file);
  };
  write(text);
  return { dir, command: `cat '${file}'`, file, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
