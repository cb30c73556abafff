/**
 * Parsing a live source's text in a worker thread, so that a 10k-service dump (half a second of
 * parse) does not hold the keyboard: the main thread sends the text, the worker
 * (parse-worker.ts) parses and sends the ruleset back packed, and the main thread rebuilds it
 * over the text it kept (core/parse/transfer.ts), the same ruleset a parse here gives.
 *
 * When this cannot be done the answer says why, and the caller parses on the main thread: the
 * worker does not start (no built parse-worker.js beside this module, as when the sources run
 * under vitest) or died, or the text is an nftables ruleset (the worker parses iptables-save
 * text only).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { looksLikeNftables, noteSameRules, unpackRulesetSteps, type PackedRuleset, type Ruleset } from '../core/index.js';
import { bundledVersion } from './bundled.js';
import { runSteps } from './event-loop.js';
import type { SourceText } from './index.js';
import { PARSE_WORKER_DATA } from './parse-serve.js';
import type { Snapshot } from './types.js';

export interface ParseRequest {
  readonly id: number;
  readonly text: string;
  readonly kubeJumps: boolean;
}

export type ParseReply =
  /** sameRulesAs: the request whose text held the same rules (counters aside), null when none did. */
  | { readonly id: number; readonly kind: 'parsed'; readonly packed: PackedRuleset; readonly sameRulesAs: number | null }
  | { readonly id: number; readonly kind: 'failed'; readonly message: string };

export type OffThreadParse =
  | { readonly ok: true; readonly parsed: Pick<Snapshot, 'ruleset' | 'nft'> }
  /** Not parsed: why, for the status line ("parsing on the main thread: …"). */
  | { readonly ok: false; readonly reason: string };

/**
 * The built worker beside this module (dist/sources/parse-worker.js); in the one-file bundle,
 * the bundle itself (its main module serves parses when started as the parse thread).
 */
export function parseWorkerUrl(): URL {
  return bundledVersion() !== null ? new URL(import.meta.url) : new URL('./parse-worker.js', import.meta.url);
}

/** Chains rebuilt between two turns of the event loop: a few ms of work. */
const UNPACK_SLICE = 5000;

export class ParseWorker {
  #worker: Worker | null = null;
  /** Why the worker cannot be used any more; null while it can. */
  #broken: string | null = null;
  #next = 1;
  readonly #pending = new Map<number, (reply: ParseReply | null) => void>();
  /** The last ruleset the worker handed over (weakly: the explorer decides how long a snapshot lives). */
  #last: { readonly id: number; readonly ruleset: WeakRef<Ruleset> } | null = null;

  constructor(readonly url: URL) {}

  /** `read` parsed in the worker, or why it was not (the caller then parses it itself). */
  async parse(read: SourceText, kubeJumps: boolean): Promise<OffThreadParse> {
    if (read.nftText !== undefined || looksLikeNftables(read.text)) return { ok: false, reason: 'the parse thread reads iptables-save text, not nftables rulesets' };
    const worker = this.start();
    if (worker === null) return { ok: false, reason: this.#broken! };
    const id = this.#next++;
    const reply = await new Promise<ParseReply | null>((resolve) => {
      this.#pending.set(id, resolve);
      // A pending parse keeps the process alive; an idle worker does not.
      worker.ref();
      worker.postMessage({ id, text: read.text, kubeJumps } satisfies ParseRequest);
    });
    if (reply === null) return { ok: false, reason: this.#broken ?? 'the parse thread stopped' };
    if (reply.kind === 'failed') return { ok: false, reason: `the parse thread failed: ${reply.message}` };
    try {
      // In slices, keys served between them: at 10k services the chains are tens of ms to rebuild.
      const ruleset = (await runSteps(unpackRulesetSteps(reply.packed, read.text, UNPACK_SLICE)))!;
      const previous = this.#last !== null && this.#last.id === reply.sameRulesAs ? this.#last.ruleset.deref() : undefined;
      if (previous !== undefined) noteSameRules(previous, ruleset);
      this.#last = { id, ruleset: new WeakRef(ruleset) };
      return { ok: true, parsed: { ruleset, nft: null } };
    } catch (e) {
      return { ok: false, reason: `the parse thread's ruleset cannot be read: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** Ends the worker; a parse waiting for it gets "not parsed". */
  async stop(): Promise<void> {
    const worker = this.#worker;
    this.fail('the parse thread stopped');
    if (worker) await worker.terminate();
  }

  private start(): Worker | null {
    if (this.#broken !== null) return null;
    if (this.#worker !== null) return this.#worker;
    // Checked first: a worker whose module is missing fails only later, as an error event.
    if (this.url.protocol === 'file:' && !existsSync(fileURLToPath(this.url))) {
      this.#broken = `no parse thread (${fileURLToPath(this.url)} is not there)`;
      return null;
    }
    let worker: Worker;
    try {
      worker = new Worker(this.url, { workerData: PARSE_WORKER_DATA });
    } catch (e) {
      this.#broken = `the parse thread cannot start: ${e instanceof Error ? e.message : String(e)}`;
      return null;
    }
    worker.unref();
    worker.on('message', (reply: ParseReply) => {
      const resolve = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      resolve?.(reply);
    });
    worker.on('error', (e: Error) => this.fail(`the parse thread failed: ${e.message}`));
    worker.on('exit', (code: number) => this.fail(`the parse thread exited with status ${code}`));
    this.#worker = worker;
    return worker;
  }

  private fail(reason: string): void {
    this.#broken ??= reason;
    this.#worker = null;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const resolve of pending) resolve(null);
  }
}
