/**
 * The live poller's parse thread: parses each iptables-save text it is sent and hands the
 * ruleset back packed (core/parse/transfer.ts), its buffers transferred. The main thread keeps
 * the text it sent, so the text does not come back. See parse-off-thread.ts for the other side.
 * Run from parse-worker.js in a checkout, from the bundle itself in dist/kubechains.mjs.
 */
import type { MessagePort } from 'node:worker_threads';
import { holdSameRules, packedBuffers, packRuleset, parseIptablesSave, type Ruleset } from '../core/index.js';
import type { ParseReply, ParseRequest } from './parse-off-thread.js';

/** What a parse thread is started with, so that a module that is more than the worker knows it is one. */
export const PARSE_WORKER_DATA = { kubechains: 'parse-worker' } as const;

export function isParseWorkerData(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { kubechains?: unknown }).kubechains === PARSE_WORKER_DATA.kubechains;
}

/** Answers the parse requests that come through `port`, for as long as the thread lives. */
export function serveParseRequests(port: MessagePort): void {
  /**
   * The last ruleset parsed here: a live source prints the same rules again with new counts, and
   * the next parse says whether it holds the same rules (compared here, off the main thread, which
   * then carries its kube model over without reading every rule again).
   */
  let previous: { readonly id: number; readonly ruleset: Ruleset } | null = null;

  port.on('message', (request: ParseRequest) => {
    let reply: ParseReply;
    try {
      const ruleset = parseIptablesSave(request.text, request.kubeJumps ? { kubeJumps: true } : {});
      const sameRulesAs = previous !== null && holdSameRules(previous.ruleset, ruleset) ? previous.id : null;
      previous = { id: request.id, ruleset };
      const packed = packRuleset(ruleset, request.text);
      port.postMessage({ id: request.id, kind: 'parsed', packed, sameRulesAs } satisfies ParseReply, packedBuffers(packed));
      return;
    } catch (e) {
      reply = { id: request.id, kind: 'failed', message: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
}
