/** Core Steps (a generator that pauses between slices) run to their end in a test. */
import type { Steps } from '../../src/core/index.js';

/** The steps' result, and how many times they paused on the way. */
export function drainSteps<T>(steps: Steps<T>): { value: T; pauses: number } {
  let pauses = 0;
  for (;;) {
    const r = steps.next();
    if (r.done) return { value: r.value, pauses };
    pauses++;
  }
}
