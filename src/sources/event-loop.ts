/** Synchronous work on the main thread cut in pieces, with pending I/O (keypresses) served between them. */
import type { Steps } from '../core/index.js';

/** Lets pending I/O (keypresses) run before the next piece of synchronous work. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `steps` (core/steps.ts) with a turn of the event loop after each; `stopped` is asked after
 * each turn: when it says so, the rest is not run and the result is null.
 */
export async function runSteps<T>(steps: Steps<T>, stopped: () => boolean = () => false): Promise<T | null> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await yieldToEventLoop();
    if (stopped()) return null;
  }
}
