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

/**
 * Arithmetic mean; NaN when there are no values.
 *
 * @example
 * ```ts
 * import { mean } from "./stats.ts";
 * import { equal } from "node:assert/strict";
 * equal(mean([1, 2, 6]), 3);
 * ```
 */
export function mean(values: readonly number[]): number {
  return values.reduce((s, x) => s + x, 0) / values.length;
}

/**
 * Sample standard deviation (divisor n − 1); 0 for fewer than two values.
 *
 * @example
 * ```ts
 * import { sampleSd } from "./stats.ts";
 * import { equal } from "node:assert/strict";
 * equal(sampleSd([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
 * equal(sampleSd([5]), 0);
 * ```
 */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((s, x) => s + (x - m) * (x - m), 0) / (values.length - 1));
}
