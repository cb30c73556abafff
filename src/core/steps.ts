/**
 * Work in steps: a generator that pauses (yields) between slices of a long pass, so that a caller
 * on the UI thread can let keys in between (the live explorer), and returns the pass's result.
 */
export type Steps<T> = Generator<void, T>;

/** Runs `steps` to their end at once: the same result, in one piece. */
export function finishSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
