/** runSteps: synchronous work in slices with the event loop in between (the live explorer's refresh). */
import { describe, expect, it } from 'vitest';
import { finishSteps } from '../../src/core/index.js';
import { runSteps } from '../../src/sources/event-loop.js';

/** Sums 0..n-1, pausing after every `slice` numbers; `done` records how far it got. */
function* sum(n: number, slice: number, done: number[]): Generator<void, number> {
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % slice === 0) yield;
    total += i;
    done.push(i);
  }
  return total;
}

describe('runSteps', () => {
  it('gives what the steps run at once give, and lets a timer run between two steps', async () => {
    const done: number[] = [];
    let ticks = 0;
    const timer = setImmediate(() => ticks++);
    const value = await runSteps(sum(10, 3, done));
    clearImmediate(timer);
    expect(value).toBe(finishSteps(sum(10, 3, [])));
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ticks).toBe(1);
  });

  it('stops after the pause where `stopped` says so: null, and the rest not run', async () => {
    const done: number[] = [];
    let pauses = 0;
    expect(await runSteps(sum(10, 3, done), () => ++pauses === 2)).toBeNull();
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
