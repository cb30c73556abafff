/**
 * The live poller's parse thread: parses each iptables-save text it is sent and hands the
 * ruleset back packed (core/parse/transfer.ts), its buffers transferred. The main thread keeps
 * the text it sent, so the text does not come back. See parse-off-thread.ts for the other side.
 */
import { parentPort } from 'node:worker_threads';
import { packedBuffers, packRuleset, parseIptablesSave } from '../core/index.js';
import type { ParseReply, ParseRequest } from './parse-off-thread.js';

const port = parentPort;
if (port === null) throw new Error('parse-worker.js runs as a worker thread (new Worker), not on its own');

port.on('message', (request: ParseRequest) => {
  let reply: ParseReply;
  try {
    const ruleset = parseIptablesSave(request.text, request.kubeJumps ? { kubeJumps: true } : {});
    const packed = packRuleset(ruleset, request.text);
    port.postMessage({ id: request.id, kind: 'parsed', packed } satisfies ParseReply, packedBuffers(packed));
    return;
  } catch (e) {
    reply = { id: request.id, kind: 'failed', message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
