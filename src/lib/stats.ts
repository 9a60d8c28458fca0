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

/**
 * The value of rank `r` (0-based) among the first `n` values of `v` (finite or infinite, no
 * NaN), found in place (the values are reordered): Hoare's selection with a median-of-three
 * pivot, in expected linear time. The value does not depend on the pivots: the neighbour
 * searches of scoring and of the KNN tuning share it.
 *
 * @example
 * ```ts
 * import { kthSmallest } from "./stats.ts";
 * import { equal } from "node:assert/strict";
 * const v = Float64Array.from([5, 1, 4, 1, 3, 9]);
 * equal(kthSmallest(v, 6, 0), 1);
 * equal(kthSmallest(v, 6, 2), 3);
 * equal(kthSmallest(Float64Array.from([5, 1, 4, 1, 3, 9]), 4, 3), 5); // first 4 values only
 * ```
 */
export function kthSmallest(v: Float64Array, n: number, r: number): number {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const mid = (left + right) >> 1;
    // median of three to v[mid]
    if (v[mid] < v[left]) swapValues(v, mid, left);
    if (v[right] < v[left]) swapValues(v, right, left);
    if (v[right] < v[mid]) swapValues(v, right, mid);
    const pivot = v[mid];
    let i = left;
    let j = right;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        swapValues(v, i, j);
        i++;
        j--;
      }
    }
    if (r <= j) right = j;
    else if (r >= i) left = i;
    else return v[r];
  }
  return v[r];
}

function swapValues(v: Float64Array, i: number, j: number): void {
  const t = v[i];
  v[i] = v[j];
  v[j] = t;
}
