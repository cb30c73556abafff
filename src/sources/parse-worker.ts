/** The parse thread's module in a checkout (dist/sources/parse-worker.js): see parse-serve.ts. */
import { parentPort } from 'node:worker_threads';
import { serveParseRequests } from './parse-serve.js';

if (parentPort === null) throw new Error('parse-worker.js runs as a worker thread (new Worker), not on its own');
serveParseRequests(parentPort);
