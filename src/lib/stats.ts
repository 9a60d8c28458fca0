/**
 * Small descriptive statistics shared by every stage. Pure.
 *
 * @module
 */

/**
 * Median (the mean of the two middle values for an even count); `null` when there are no values.
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * import { equal } from "node:assert/strict";
 * equal(median([3, 1, 2]), 2);
 * equal(median([4, 1, 2, 3]), 2.5);
 * equal(median([]), null);
 * ```
 */
export function median(values: ArrayLike<number>): number | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
