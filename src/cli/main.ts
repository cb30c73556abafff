#!/usr/bin/env node
/** The `kubechains` bin: wires the real process to main() and sets the exit code. */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { isParseWorkerData, serveParseRequests } from '../sources/parse-serve.js';
import { EXIT_INTERNAL } from './io.js';
import { main } from './run.js';

async function runProcess(): Promise<void> {
  // `kubechains services | head` closes the pipe early: that is not an error worth a trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }

  // Anything that escapes main() (an event handler's throw) is still one line, never a stack.
  process.on('uncaughtException', (e) => {
    process.stderr.write(`kubechains: internal error: ${(e.message ?? String(e)).split('\n')[0]}\n`);
    if (process.env.KUBECHAINS_DEBUG === '1' && e.stack) process.stderr.write(e.stack + '\n');
    process.exit(EXIT_INTERNAL);
  });

  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
  });
}

// In the one-file bundle this module is also the live refresh's parse thread (parse-off-thread.ts).
if (!isMainThread && isParseWorkerData(workerData)) serveParseRequests(parentPort!);
else await runProcess();
