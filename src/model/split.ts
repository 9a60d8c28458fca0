/**
 * Deterministic stratified splitting: one train/test split and k-fold cross-validation.
 *
 * Both work per class (labels are compared with `===`, classes taken in ascending order), shuffle
 * each class's row indices with a stream derived from the seed and the class, and return sorted
 * row indices, so the result depends only on the labels and the seed.
 *
 * @module
 */

import { createRng, deriveSeed, shuffle } from "./random.ts";

/** A train/test partition of row indices (each sorted ascending). */
export interface Split {
  train: number[];
  test: number[];
}

/** One cross-validation fold (row indices, each sorted ascending). */
export interface Fold {
  train: number[];
  validation: number[];
}

function byClass(labels: ArrayLike<number>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const g = groups.get(labels[i]);
    if (g) g.push(i);
    else groups.set(labels[i], [i]);
  }
  // Ascending class order, independent of first appearance.
  return new Map([...groups.entries()].sort((a, b) => a[0] - b[0]));
}

/**
 * Stratified train/test split.
 *
 * The test set has `round(n * testShare)` rows; each class contributes `floor(n_c * testShare)`
 * rows plus one more for the classes with the largest fractional remainders (ties → smaller
 * class) until the total is reached, so class proportions match as closely as integers allow.
 *
 * @example
 * ```ts
 * import { stratifiedSplit } from "./split.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const labels = [0, 0, 0, 0, 1, 1, 1, 1];
 * const { train, test } = stratifiedSplit(labels, 0.25, 7);
 * equal(test.length, 2);
 * deepEqual(test.map((r) => labels[r]), [0, 1]); // one of each class
 * deepEqual([...train, ...test].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
 * ```
 *
 * @param labels class per row
 * @param testShare share of rows in the test set, in (0, 1) (default 0.25)
 * @param seed seed (default 0)
 * @returns sorted train and test row indices
 */
export function stratifiedSplit(labels: ArrayLike<number>, testShare = 0.25, seed = 0): Split {
  if (!(testShare > 0 && testShare < 1)) throw new RangeError("testShare must be in (0, 1)");
  const groups = byClass(labels);
  const n = labels.length;
  const target = Math.round(n * testShare);
  const entries = [...groups.entries()];
  const quota = entries.map(([, idx]) => Math.floor(idx.length * testShare));
  let remaining = target - quota.reduce((a, b) => a + b, 0);
  const order = entries
    .map(([, idx], g) => ({ g, frac: idx.length * testShare - quota[g] }))
    .sort((a, b) => b.frac - a.frac || a.g - b.g);
  for (const { g } of order) {
    if (remaining <= 0) break;
    if (quota[g] < entries[g][1].length) {
      quota[g]++;
      remaining--;
    }
  }
  const train: number[] = [];
  const test: number[] = [];
  entries.forEach(([cls, idx], g) => {
    const shuffled = shuffle(idx, createRng(deriveSeed(seed, "split", cls)));
    shuffled.forEach((r, p) => (p < quota[g] ? test : train).push(r));
  });
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { train, test };
}

/**
 * Stratified k-fold cross-validation.
 *
 * Each class's rows are shuffled and dealt round-robin over the folds, continuing the deal from
 * where the previous class stopped, so every class is spread evenly (fold counts differ by at
 * most one per class) and fold sizes differ by at most one.
 *
 * @example
 * ```ts
 * import { stratifiedKFold } from "./split.ts";
 * import { deepEqual } from "node:assert/strict";
 * const labels = [0, 0, 0, 1, 1, 1];
 * const folds = stratifiedKFold(labels, 3, 1);
 * deepEqual(folds.map((f) => f.validation.map((r) => labels[r])), [[0, 1], [0, 1], [0, 1]]);
 * deepEqual(folds.flatMap((f) => f.validation).sort(), [0, 1, 2, 3, 4, 5]);
 * ```
 *
 * @param labels class per row
 * @param folds number of folds, 2 ≤ folds ≤ rows (default 5)
 * @param seed seed (default 0)
 * @returns one {@link Fold} per fold
 */
export function stratifiedKFold(labels: ArrayLike<number>, folds = 5, seed = 0): Fold[] {
  const n = labels.length;
  if (!Number.isInteger(folds) || folds < 2 || folds > n) {
    throw new RangeError(`folds must be an integer between 2 and ${n}, got ${folds}`);
  }
  const foldOf = new Int32Array(n);
  let deal = 0;
  for (const [cls, idx] of byClass(labels)) {
    for (const r of shuffle(idx, createRng(deriveSeed(seed, "kfold", cls)))) {
      foldOf[r] = deal % folds;
      deal++;
    }
  }
  const out: Fold[] = [];
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const validation: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === f ? validation : train).push(i);
    out.push({ train, validation });
  }
  return out;
}
