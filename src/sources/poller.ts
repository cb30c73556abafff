/**
 * The live source behind the explorer: reads the dump again and again, never two reads at once.
 *
 * - `--source-cmd` and the local node (`iptables-save -c`, `ip6tables-save -c`): a run every
 *   interval. The next run starts `interval` after the previous one finished; when a run takes
 *   longer than the interval, the pause after it stretches to the run's own duration (so a slow
 *   iptables-save on a big node is busy at most half of the time) and the status says so.
 * - a file: checked every interval (size, mtime, inode) and read again when it changed.
 * - standard input: read once; nothing to poll.
 *
 * A failed refresh (the command exits non-zero, the xtables lock is held, the output is cut short
 * and does not parse, a timeout) keeps the last good snapshot and reports the error with its time.
 * The read is asynchronous; between the read and the parse the poller yields to the event loop,
 * so keys typed meanwhile are handled first. With a parse worker (parseWorker, which the explorer
 * passes) an iptables-save text is parsed in a worker thread (parse-off-thread.ts); when the worker
 * cannot start or the text is an nftables ruleset, it is parsed here, and the status says why
 * (mainThreadReason).
 *
 * What is read is a PollTarget: the rules (createPoller, a Snapshot) or the conntrack table
 * (sources/conntrack.ts); the timing, the no-overlap rule and the keep-the-last-good rule are this
 * file's alone.
 */
import { stat } from 'node:fs/promises';
import { dumpDiagnostics } from '../core/index.js';
import { parseSource, readSource, type LoadOptions, type SourceText } from './index.js';
import { yieldToEventLoop } from './event-loop.js';
import { ParseWorker } from './parse-off-thread.js';
import { SourceError, type Snapshot, type SourceSpec } from './types.js';

export type PollMode = 'interval' | 'watch' | 'once';

/** What a poller hands out: anything read from somewhere at some time. */
export interface Polled {
  readonly origin: string;
  readonly takenAt: Date;
}

/** Where a poller reads from, and how. */
export interface PollTarget<T extends Polled> {
  readonly mode: PollMode;
  /** The source as a person would name it (the status line's, until the first read names it). */
  readonly name: string;
  /** Watch mode: the file whose size, mtime and inode say when to read again. */
  readonly path: string | null;
  /**
   * Reads the source (rejecting, with a SourceError when it can say why, on failure) and resolves
   * with the parse, which the poller runs after yielding to the keyboard; the parse may throw (or
   * reject) too, and resolves with null when the target was stopped meanwhile.
   */
  read(options: { readonly timeoutMs: number; readonly signal: AbortSignal }): Promise<() => T | Promise<T | null>>;
  /** Where the last read was parsed, for the status (the rules' target only). */
  readonly parsing?: () => Pick<PollerStatus, 'parsedIn' | 'mainThreadReason'>;
  /** Ends what the target runs beside the poller (the parse worker). */
  readonly stop?: () => Promise<void>;
}

/** How often and how long: what every poller takes whatever it reads. */
export interface PollTiming {
  /** Seconds between the end of one run and the start of the next (or between file checks). */
  readonly intervalSeconds: number;
  /**
   * A run taking longer than this is killed and counts as failed. Default: max(300 s, 10
   * intervals): iptables-nft-save of a 10k-service node can take a minute on a busy machine.
   */
  readonly timeoutSeconds?: number;
  /** Where the current time comes from (ms since the epoch); Date.now by default. */
  readonly now?: () => number;
}

export interface PollerOptions extends PollTiming {
  readonly spec: SourceSpec;
  /** The snapshot already loaded (the CLI reads one before the explorer starts); none: read at start(). */
  readonly initial?: Snapshot | null;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdin?: NodeJS.ReadableStream;
  /** Parse each read with kube-proxy's standard jumps added where it lacks them (--kube-jumps). */
  readonly kubeJumps?: boolean;
  /**
   * The parse worker's module (parseWorkerUrl(): dist/sources/parse-worker.js): reads are parsed
   * in a worker thread from it. Absent or null: parsed on the main thread, by choice (no reason shown).
   */
  readonly parseWorker?: URL | null;
}

export interface PollerError {
  /** The whole message, naming the source: `--source-cmd "…" exited with status 4: …`. */
  readonly message: string;
  /** The same without the source, for a status line that names it already. */
  readonly detail: string;
  /** When the failed refresh ended (ms since the epoch). */
  readonly at: number;
  /** When the first of the failures in a row ended, and how many there have been. */
  readonly since: number;
  readonly count: number;
}

export interface PollerStatus {
  readonly mode: PollMode;
  /** The source as a person would name it: the command, the file, `iptables-save -c`, `<stdin>`. */
  readonly source: string;
  readonly intervalSeconds: number;
  /** The pause between runs now: the interval, or the last run's duration when that was longer. */
  readonly effectiveIntervalSeconds: number;
  /** The last run took longer than the interval, so the pause between runs stretched. */
  readonly stretched: boolean;
  /** How long the last run took (read and parse), seconds; null before the first. */
  readonly lastRunSeconds: number | null;
  /** A run is going on now, since when (ms since the epoch; null when none is). */
  readonly running: boolean;
  readonly runningSince: number | null;
  readonly paused: boolean;
  readonly stopped: boolean;
  /** When the snapshot on hand was taken (ms since the epoch); null before the first. */
  readonly lastGoodAt: number | null;
  /** The last refresh failed: why and when. Cleared by the next good one. */
  readonly error: PollerError | null;
  /** Runs started, good snapshots read, failed runs. */
  readonly runs: number;
  readonly refreshes: number;
  readonly failures: number;
  /** File checks done (watch mode; 0 otherwise): each compares the file with the last read of it. */
  readonly checks: number;
  /**
   * Where the last read was parsed: in the worker thread or on the main thread; null before the
   * first. (Optional: feeds other than the Poller, the tests' fakes, may leave both out.)
   */
  readonly parsedIn?: ParsedIn | null;
  /** Why the last read was parsed on the main thread though a worker was asked for; null or absent otherwise. */
  readonly mainThreadReason?: string | null;
}

export type ParsedIn = 'worker' | 'main';

export type PollerEvent<T extends Polled = Snapshot> =
  | { readonly type: 'snapshot'; readonly snapshot: T; readonly status: PollerStatus }
  | { readonly type: 'error'; readonly error: PollerError; readonly status: PollerStatus }
  | { readonly type: 'status'; readonly status: PollerStatus };

export type PollerListener<T extends Polled = Snapshot> = (event: PollerEvent<T>) => void;

export const DEFAULT_TIMEOUT_SECONDS = 300;

export function pollModeOf(spec: SourceSpec): PollMode {
  switch (spec.kind) {
    case 'command':
    case 'local':
      return 'interval';
    case 'file':
      return 'watch';
    case 'stdin':
      return 'once';
  }
}

export function sourceName(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'command':
      return spec.command;
    case 'file':
      return spec.path;
    case 'stdin':
      return '<stdin>';
    case 'local':
      return 'iptables-save -c';
  }
}

/** A file's identity and version: a new one (rename over it) or a rewrite both change it. */
interface FileSignature {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

const sameFile = (a: FileSignature | null, b: FileSignature | null) =>
  a !== null && b !== null && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** How far a file's modification time may lag the clock: the kernel stamps files with its coarse time (one tick). */
const MTIME_SLACK_MS = 20;

/** Seconds between re-reads of a live source when --interval does not say. */
export const DEFAULT_INTERVAL_SECONDS = 2;

export { yieldToEventLoop } from './event-loop.js';

export class Poller<T extends Polled = Snapshot> {
  readonly mode: PollMode;
  private readonly target: PollTarget<T>;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<PollerListener<T>>();

  private current: T | null;
  /** A snapshot read while paused, handed out on resume. */
  private held: T | null = null;
  private label: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private runStartedAt = 0;
  private abort: AbortController | null = null;
  private started = false;
  private stopped = false;
  private paused = false;
  private lastRunMs: number | null = null;
  private error: PollerError | null = null;
  private runs = 0;
  private refreshes = 0;
  private failures = 0;
  private checks = 0;
  /** The file as last read (watch mode), and as it was when a read of it failed. */
  private seen: FileSignature | null = null;
  private failedSig: FileSignature | null = null;

  constructor(target: PollTarget<T>, options: PollTiming & { readonly initial?: T | null }) {
    if (!(options.intervalSeconds > 0)) throw new RangeError(`interval must be > 0 seconds, got ${options.intervalSeconds}`);
    this.target = target;
    this.mode = target.mode;
    this.intervalMs = options.intervalSeconds * 1000;
    this.timeoutMs = (options.timeoutSeconds ?? Math.max(DEFAULT_TIMEOUT_SECONDS, options.intervalSeconds * 10)) * 1000;
    this.now = options.now ?? Date.now;
    this.current = options.initial ?? null;
    this.label = options.initial?.origin ?? target.name;
  }

  /** The last good snapshot (the one on screen, or held while paused). */
  get snapshot(): T | null {
    return this.held ?? this.current;
  }

  get status(): PollerStatus {
    const interval = this.intervalMs / 1000;
    const last = this.lastRunMs === null ? null : this.lastRunMs / 1000;
    const stretched = this.mode === 'interval' && this.lastRunMs !== null && this.lastRunMs > this.intervalMs;
    const good = this.snapshot;
    return {
      mode: this.mode,
      source: this.label,
      intervalSeconds: interval,
      effectiveIntervalSeconds: stretched ? last! : interval,
      stretched,
      lastRunSeconds: last,
      running: this.running !== null,
      runningSince: this.running !== null ? this.runStartedAt : null,
      paused: this.paused,
      stopped: this.stopped,
      lastGoodAt: good ? good.takenAt.getTime() : null,
      error: this.error,
      runs: this.runs,
      refreshes: this.refreshes,
      failures: this.failures,
      checks: this.checks,
      ...this.target.parsing?.(),
    };
  }

  subscribe(listener: PollerListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts polling: the first run one interval from now (at once when there is no snapshot yet). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.current === null) {
      this.schedule(0);
      return;
    }
    if (this.mode === 'watch') {
      // The file may have changed between the CLI's read and now: compare with when that was.
      // File times come from the kernel's coarse clock (a tick, up to 10 ms, behind): a write
      // just after the read can carry an earlier time, so one that close is read again (one
      // extra read) rather than taken as the version on screen.
      const takenAt = this.current.takenAt.getTime();
      void this.statFile().then((sig) => {
        if (this.seen === null && sig) this.seen = sig.mtimeMs < takenAt - MTIME_SLACK_MS ? sig : null;
        this.schedule(this.seen === null ? 0 : this.intervalMs);
      });
      return;
    }
    if (this.mode === 'interval') this.schedule(this.intervalMs);
  }

  /** Stops for good: no more runs; a run going on is killed. Resolves when it has ended. */
  async stop(): Promise<void> {
    if (this.stopped) return this.running ?? undefined;
    this.stopped = true;
    this.clearTimer();
    this.abort?.abort();
    const parsing = this.target.stop?.();
    const running = this.running;
    if (running) await running;
    await parsing;
    this.emit({ type: 'status', status: this.status });
    this.listeners.clear();
  }

  /** No runs while paused; a run already going on finishes and its snapshot is held until resume(). */
  pause(): void {
    if (this.paused || this.stopped) return;
    this.paused = true;
    this.clearTimer();
    this.emit({ type: 'status', status: this.status });
  }

  /** Hands out a snapshot held while paused, else refreshes at once. */
  resume(): void {
    if (!this.paused || this.stopped) return;
    this.paused = false;
    const held = this.held;
    this.held = null;
    if (held) {
      this.current = held;
      this.emit({ type: 'snapshot', snapshot: held, status: this.status });
    } else {
      this.emit({ type: 'status', status: this.status });
    }
    if (this.started && this.running === null && this.mode !== 'once') this.schedule(held ? this.intervalMs : 0);
  }

  /**
   * Reads the source now rather than at the next tick (the explorer's refresh key), a watched
   * file even when it looks unchanged. False when there is nothing to do: paused, stopped, read
   * once, or a read is going on already.
   */
  refreshNow(): boolean {
    if (!this.started || this.stopped || this.paused || this.running !== null || this.mode === 'once') return false;
    this.seen = null;
    this.failedSig = null;
    this.schedule(0);
    return true;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.clearTimer();
    if (this.stopped || this.paused) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.paused || this.running) return;
    if (this.mode === 'once') {
      // Standard input can be read only once, good or not.
      await this.runOnce(null);
      return;
    }
    let wait = this.intervalMs;
    if (this.mode === 'watch') {
      const sig = await this.statFile();
      if (this.stopped) return;
      this.checks++;
      // Unchanged since the last read (good, or failed: a truncated file stays truncated until rewritten).
      if (sig !== null && (sameFile(sig, this.seen) || sameFile(sig, this.failedSig))) {
        this.schedule(wait);
        return;
      }
      // Changed, or gone (then the read says why).
      await this.runOnce(sig);
    } else {
      await this.runOnce(null);
      // No overlap: the next run starts an interval after this one ended, longer when it was slow.
      if (this.lastRunMs !== null && this.lastRunMs > wait) wait = this.lastRunMs;
    }
    // The refresh key (or resume) pressed as the run ended asked for the next run already: it stands.
    if (this.timer !== null) return;
    this.schedule(wait);
  }

  private runOnce(sig: FileSignature | null): Promise<void> {
    let done!: () => void;
    // Set before the load starts, so that its first status already says it is running.
    this.runStartedAt = this.now();
    this.running = new Promise<void>((resolve) => (done = resolve));
    const run = this.running;
    void this.load(sig).finally(() => {
      this.running = null;
      this.abort = null;
      // The run is over (running: false); after stop() only stop's own status goes out.
      if (!this.stopped) this.emit({ type: 'status', status: this.status });
      done();
    });
    return run;
  }

  private async load(sig: FileSignature | null): Promise<void> {
    this.runs++;
    this.abort = new AbortController();
    const started = performance.now();
    this.emit({ type: 'status', status: this.status });
    let snapshot: T;
    try {
      const parse = await this.target.read({ timeoutMs: this.timeoutMs, signal: this.abort.signal });
      if (this.stopped) return;
      // The read was I/O; the parse is CPU. Keys typed in between go first.
      await yieldToEventLoop();
      if (this.stopped) return;
      const parsed = await parse();
      if (parsed === null || this.stopped) return;
      snapshot = parsed;
    } catch (e) {
      this.lastRunMs = performance.now() - started;
      if (this.stopped) return;
      this.failures++;
      this.failedSig = sig;
      const err = e instanceof SourceError ? e : null;
      const message = err ? err.message : e instanceof Error ? e.message : String(e);
      const at = this.now();
      const prev = this.error;
      this.error = { message, detail: err ? err.detail : message, at, since: prev ? prev.since : at, count: prev ? prev.count + 1 : 1 };
      this.emit({ type: 'error', error: this.error, status: this.status });
      return;
    }
    this.lastRunMs = performance.now() - started;
    if (sig) this.seen = sig;
    this.failedSig = null;
    this.refreshes++;
    this.error = null;
    this.label = snapshot.origin;
    if (this.paused) {
      this.held = snapshot;
      return;
    }
    this.current = snapshot;
    this.emit({ type: 'snapshot', snapshot, status: this.status });
  }

  private async statFile(): Promise<FileSignature | null> {
    if (this.target.path === null) return null;
    try {
      const s = await stat(this.target.path);
      return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
    } catch {
      return null;
    }
  }

  private emit(event: PollerEvent<T>): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // A listener's failure is its own; the poller goes on.
      }
    }
  }
}

/** A poller of any target, not started. */
export function createPollerOf<T extends Polled>(target: PollTarget<T>, options: PollTiming & { readonly initial?: T | null }): Poller<T> {
  return new Poller(target, options);
}

/** A poller of the rules `spec` names, not started. */
export function createPoller(options: PollerOptions): Poller {
  return new Poller(dumpTarget(options), options);
}

/** The rules as a poll target: read, then parsed (in the worker when there is one and it can); a dump with errors is a failed run. */
function dumpTarget(options: PollerOptions): PollTarget<Snapshot> {
  const { spec, kubeJumps = false } = options;
  const load: LoadOptions = { env: options.env, stdin: options.stdin };
  const worker = options.parseWorker ? new ParseWorker(options.parseWorker) : null;
  let parsedIn: ParsedIn | null = null;
  let mainThreadReason: string | null = null;
  let stopped = false;

  const parse = async (read: SourceText): Promise<Snapshot | null> => {
    let parsed: Pick<Snapshot, 'ruleset' | 'nft'>;
    const off = worker ? await worker.parse(read, kubeJumps) : null;
    if (stopped) return null;
    if (off?.ok) {
      parsed = off.parsed;
      [parsedIn, mainThreadReason] = ['worker', null];
    } else {
      // The worker's answer came as I/O; a parse here is CPU. Keys typed meanwhile go first.
      if (off) await yieldToEventLoop();
      if (stopped) return null;
      parsed = parseSource(read, kubeJumps);
      [parsedIn, mainThreadReason] = ['main', off ? off.reason : null];
    }
    const errors = dumpDiagnostics({ ruleset: parsed.ruleset, nft: parsed.nft ?? null }).filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      const e = errors[0]!;
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length === 2 ? '' : 's'})` : '';
      const detail = `output does not parse: line ${e.line}:${e.column}: ${e.message}${more}`;
      throw new SourceError(`${read.origin}: ${detail}`, detail);
    }
    return { ...read, ...parsed, parsedIn };
  };

  return {
    mode: pollModeOf(spec),
    name: sourceName(spec),
    path: spec.kind === 'file' ? spec.path : null,
    read: async ({ timeoutMs, signal }) => {
      const read = await readSource(spec, { ...load, timeoutMs, signal });
      return () => parse(read);
    },
    parsing: () => ({ parsedIn, mainThreadReason }),
    stop: async () => {
      stopped = true;
      await worker?.stop();
    },
  };
}
