/**
 * Functions for the worker tests (`worker_test.ts`): a counter whose total a worker keeps
 * between calls, and a function that always throws.
 *
 * @module
 */

/** A counter from `start`: `add` returns the new total; `fail` throws a RangeError. */
export function counter(start: number): { add(x: number): number; fail(why: string): never } {
  let total = start;
  return {
    add(x: number): number {
      total += x;
      return total;
    },
    fail(why: string): never {
      throw new RangeError(why);
    },
  };
}

/** Always throws a TypeError with the message given. */
export function refuse(why: string): never {
  throw new TypeError(why);
}
