/**
 * Search in ascending arrays. Pure.
 *
 * @module
 */

/**
 * The index of the first of ascending `values` that is at least `x` (their length if none), by
 * bisection: the number of values below `x`.
 *
 * @example
 * ```ts
 * import { firstAtLeast } from "./sorted.ts";
 * import { equal } from "node:assert/strict";
 * equal(firstAtLeast([1, 3, 3, 7], 3), 1);
 * equal(firstAtLeast([1, 3, 3, 7], 4), 3);
 * equal(firstAtLeast([1, 3, 3, 7], 9), 4);
 * equal(firstAtLeast([], 0), 0);
 * ```
 */
export function firstAtLeast(values: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
