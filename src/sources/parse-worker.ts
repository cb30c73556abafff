/**
 * The live poller's parse thread: parses each iptables-save text it is sent and hands the
 * ruleset back packed (core/parse/transfer.ts), its buffers transferred. The main thread keeps
 * the text it sent, so the text does not come back. See parse-off-thread.ts for the other side.
 */
import { parentPort } from 'node:worker_threads';
import { holdSameRules, packedBuffers, packRuleset, parseIptablesSave, type Ruleset } from '../core/index.js';
import type { ParseReply, ParseRequest } from './parse-off-thread.js';

const port = parentPort;
if (port === null) throw new Error('parse-worker.js runs as a worker thread (new Worker), not on its own');

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
