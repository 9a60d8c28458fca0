/**
 * Classification metrics over plain arrays of class indices (0..nClasses-1) and scores.
 *
 * Conventions (scikit-learn's defaults unless stated):
 * - confusion matrices are `[true class][predicted class]`;
 * - a precision, recall or F1 whose denominator is zero is 0 (`zero_division=0`);
 * - balanced accuracy is the mean recall over the classes present in `yTrue`;
 * - macro F1 is the mean F1 over the classes present in `yTrue` or `yPred`;
 * - ROC AUC is the Mann–Whitney statistic with average ranks for tied scores (a tie between a
 *   positive and a negative counts ½), and is `null` when one of the two groups is empty;
 * - ranking for gains and lift is by score descending, ties broken by row index ascending.
 *
 * @module
 */

/** Per-class precision, recall, F1 and support. */
export interface ClassMetrics {
  /** Class index. */
  class: number;
  /** Share of predictions of this class that are right (0 when never predicted). */
  precision: number;
  /** Share of this class's rows predicted as this class (0 when absent). */
  recall: number;
  /** Harmonic mean of precision and recall (0 when both are 0). */
  f1: number;
  /** Number of rows whose true class is this class. */
  support: number;
}

/** The usual summary of a multi-class prediction. */
export interface ClassificationReport {
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  perClass: ClassMetrics[];
  /** `[true][predicted]` counts. */
  confusion: number[][];
}

/** One row of a cumulative gains table. */
export interface GainsRow {
  /** Share of rows targeted (top by score), e.g. 0.1. */
  share: number;
  /** Number of rows targeted: `round(n * share)`. */
  customers: number;
  /** Positives among them. */
  positives: number;
  /** Share of all positives captured (`null` if there are no positives). */
  captured: number | null;
  /** Positive rate among the targeted rows (`null` if none targeted). */
  rate: number | null;
  /** `rate` divided by the overall positive rate (`null` if undefined). */
  lift: number | null;
}

function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses: number): void {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`yTrue has ${yTrue.length} rows but yPred has ${yPred.length}`);
  }
  if (!Number.isInteger(nClasses) || nClasses < 1) throw new RangeError("nClasses must be ≥ 1");
  for (let i = 0; i < yTrue.length; i++) {
    for (const v of [yTrue[i], yPred[i]]) {
      if (!Number.isInteger(v) || v < 0 || v >= nClasses) {
        throw new RangeError(`row ${i}: label ${v} is not a class index below ${nClasses}`);
      }
    }
  }
}

/**
 * Confusion matrix.
 *
 * @example
 * ```ts
 * import { confusionMatrix } from "./metrics.ts";
 * import { deepEqual } from "node:assert/strict";
 * // true: 0 0 0 1 1 2; predicted: 0 0 1 1 2 2
 * const yTrue = [0, 0, 0, 1, 1, 2], yPred = [0, 0, 1, 1, 2, 2];
 * deepEqual(confusionMatrix(yTrue, yPred, 3), [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
 * ```
 *
 * @param yTrue true class per row
 * @param yPred predicted class per row
 * @param nClasses number of classes
 * @returns `m[t][p]` = rows of true class t predicted as p
 */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): number[][] {
  checkPair(yTrue, yPred, nClasses);
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

/**
 * Share of rows predicted correctly (0 for no rows).
 *
 * @example
 * ```ts
 * import { accuracy } from "./metrics.ts";
 * import { equal } from "node:assert/strict";
 * equal(accuracy([0, 1, 1, 2], [0, 1, 2, 2]), 0.75);
 * equal(accuracy([], []), 0);
 * ```
 *
 * @param yTrue true class per row
 * @param yPred predicted class per row
 */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length !== yPred.length) throw new RangeError("yTrue and yPred differ in length");
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return yTrue.length === 0 ? 0 : ok / yTrue.length;
}

/**
 * Per-class precision, recall, F1 and support.
 *
 * @example
 * ```ts
 * import { perClassMetrics } from "./metrics.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(perClassMetrics([0, 0, 1, 1], [0, 1, 1, 1], 2), [
 *   { class: 0, precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
 *   { class: 1, precision: 2 / 3, recall: 1, f1: 0.8, support: 2 },
 * ]);
 * ```
 *
 * @param yTrue true class per row
 * @param yPred predicted class per row
 * @param nClasses number of classes
 */
export function perClassMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): ClassMetrics[] {
  return perClassFromConfusion(confusionMatrix(yTrue, yPred, nClasses));
}

function perClassFromConfusion(m: number[][]): ClassMetrics[] {
  const n = m.length;
  const out: ClassMetrics[] = [];
  for (let c = 0; c < n; c++) {
    let predicted = 0;
    let support = 0;
    for (let o = 0; o < n; o++) {
      predicted += m[o][c];
      support += m[c][o];
    }
    const tp = m[c][c];
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    out.push({ class: c, precision, recall, f1, support });
  }
  return out;
}

function predictedCounts(m: number[][]): number[] {
  return m.map((_, c) => m.reduce((s, row) => s + row[c], 0));
}

/**
 * Balanced accuracy: the mean recall over the classes present in `yTrue` (0 for no rows).
 *
 * @example
 * ```ts
 * import { balancedAccuracy } from "./metrics.ts";
 * import { equal } from "node:assert/strict";
 * // recall 1/2 for class 0, 1 for class 1; class 2 never occurs and is left out
 * equal(balancedAccuracy([0, 0, 1, 1], [0, 2, 1, 1], 3), 0.75);
 * ```
 *
 * @param yTrue true class per row
 * @param yPred predicted class per row
 * @param nClasses number of classes
 */
export function balancedAccuracy(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): number {
  const per = perClassMetrics(yTrue, yPred, nClasses).filter((c) => c.support > 0);
  return per.length === 0 ? 0 : per.reduce((s, c) => s + c.recall, 0) / per.length;
}

/**
 * Macro F1: the unweighted mean F1 over the classes present in `yTrue` or `yPred`.
 *
 * @example
 * ```ts
 * import { macroF1 } from "./metrics.ts";
 * import { equal } from "node:assert/strict";
 * equal(macroF1([0, 0, 1, 1], [0, 0, 1, 1], 3), 1); // class 2 absent from both: left out
 * equal(macroF1([0, 0, 1, 1], [0, 0, 0, 0], 2), 1 / 3); // F1 2/3 and 0
 * ```
 *
 * @param yTrue true class per row
 * @param yPred predicted class per row
 * @param nClasses number of classes
 */
export function macroF1(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): number {
  const m = confusionMatrix(yTrue, yPred, nClasses);
  return macroF1FromConfusion(m);
}

/**
 * Macro F1 from a confusion matrix (`m[t][p]` = rows of true class t predicted as p): what
 * {@link macroF1} returns for the rows it counts.
 *
 * @example
 * ```ts
 * import { macroF1, macroF1FromConfusion } from "./metrics.ts";
 * import { equal } from "node:assert/strict";
 * equal(macroF1FromConfusion([[2, 1, 0], [0, 1, 1], [0, 0, 1]]), macroF1([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3));
 * ```
 *
 * @param m confusion matrix (square, counts)
 */
export function macroF1FromConfusion(m: number[][]): number {
  const pred = predictedCounts(m);
  const per = perClassFromConfusion(m).filter((c) => c.support > 0 || pred[c.class] > 0);
  return per.length === 0 ? 0 : per.reduce((s, c) => s + c.f1, 0) / per.length;
}

/**
 * All of accuracy, balanced accuracy, macro F1, per-class metrics and the confusion matrix.
 *
 * @example
 * ```ts
 * import { classificationReport } from "./metrics.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * // true: 0 0 0 1 1 2; predicted: 0 0 1 1 2 2
 * const yTrue = [0, 0, 0, 1, 1, 2], yPred = [0, 0, 1, 1, 2, 2];
 * const r = classificationReport(yTrue, yPred, 3);
 * equal(r.accuracy, 4 / 6);
 * deepEqual(r.perClass.map((c) => c.support), [3, 2, 1]);
 * deepEqual(r.confusion[0], [2, 1, 0]);
 * ```
 *
 * @param yTrue true class per row
 * @param yPred predicted class per row
 * @param nClasses number of classes
 */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): ClassificationReport {
  const confusion = confusionMatrix(yTrue, yPred, nClasses);
  const perClass = perClassFromConfusion(confusion);
  const present = perClass.filter((c) => c.support > 0);
  const total = yTrue.length;
  const correct = confusion.reduce((s, row, c) => s + row[c], 0);
  return {
    accuracy: total === 0 ? 0 : correct / total,
    balancedAccuracy: present.length === 0
      ? 0
      : present.reduce((s, c) => s + c.recall, 0) / present.length,
    macroF1: macroF1FromConfusion(confusion),
    perClass,
    confusion,
  };
}

function toBinary(positive: ArrayLike<boolean | number>, i: number): boolean {
  const v = positive[i];
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  throw new RangeError(`row ${i}: positive flag must be true/false or 1/0, got ${String(v)}`);
}

function checkScores(positive: ArrayLike<unknown>, scores: ArrayLike<number>): void {
  if (positive.length !== scores.length) {
    throw new RangeError(`${positive.length} flags but ${scores.length} scores`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (typeof scores[i] !== "number" || Number.isNaN(scores[i])) {
      throw new RangeError(`row ${i}: score is not a number`);
    }
  }
}

/**
 * ROC AUC of a binary problem: the probability that a random positive scores above a random
 * negative, ties counting ½ (Mann–Whitney U with average ranks).
 *
 * @example
 * ```ts
 * import { rocAuc } from "./metrics.ts";
 * import { equal } from "node:assert/strict";
 * equal(rocAuc([1, 1, 0, 0], [0.9, 0.8, 0.3, 0.1]), 1); // every positive ranks higher
 * equal(rocAuc([1, 0], [0.5, 0.5]), 0.5); // a tie counts one half
 * equal(rocAuc([0, 0], [0.1, 0.2]), null); // no positives
 * ```
 *
 * @param positive per row: true/1 for the positive class, false/0 otherwise
 * @param scores per row: higher means more likely positive
 * @returns the AUC in [0, 1], or `null` when there are no positives or no negatives
 */
export function rocAuc(
  positive: ArrayLike<boolean | number>,
  scores: ArrayLike<number>,
): number | null {
  checkScores(positive, scores);
  // U / (n₊ n₋), U = Σ over positives of the negatives scored below plus half those tied: the
  // rank sum minus n₊(n₊ + 1)/2 of Mann–Whitney (both sums of halves, exact in doubles), without
  // a comparator sort.
  const n = scores.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (toBinary(positive, i)) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    if (toBinary(positive, i)) pos[a++] = scores[i];
    else neg[b++] = scores[i];
  }
  pos.sort();
  neg.sort();
  let u = 0;
  let lo = 0;
  let hi = 0;
  let prev = NaN;
  for (let k = 0; k < nPos; k++) {
    const v = pos[k];
    if (v !== prev) {
      while (lo < nNeg && neg[lo] < v) lo++;
      hi = lo;
      while (hi < nNeg && neg[hi] === v) hi++;
      prev = v;
    }
    u += lo + (hi - lo) / 2;
  }
  return u / (nPos * nNeg);
}

/** Row indices by score descending, ties by index ascending. */
function ranking(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) =>
    scores[b] - scores[a] || a - b
  );
}

/**
 * Cumulative gains table: for the top 1/steps, 2/steps, …, 100% of rows by score, how many
 * positives are captured.
 *
 * @example
 * ```ts
 * import { gainsTable } from "./metrics.ts";
 * import { deepEqual } from "node:assert/strict";
 * const g = gainsTable([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 2);
 * deepEqual(g.map((r) => [r.share, r.customers, r.positives, r.captured, r.lift]), [
 *   [0.5, 2, 1, 0.5, 1],
 *   [1, 4, 2, 1, 1],
 * ]);
 * ```
 *
 * @param positive per row: true/1 for a positive
 * @param scores per row: higher means more likely positive
 * @param steps number of rows of the table (default 10: deciles)
 * @returns one {@link GainsRow} per step
 */
export function gainsTable(
  positive: ArrayLike<boolean | number>,
  scores: ArrayLike<number>,
  steps = 10,
): GainsRow[] {
  checkScores(positive, scores);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError("steps must be ≥ 1");
  const n = scores.length;
  const order = ranking(scores);
  const cum = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) cum[i + 1] = cum[i] + (toBinary(positive, order[i]) ? 1 : 0);
  const totalPos = cum[n];
  const base = n === 0 ? 0 : totalPos / n;
  const rows: GainsRow[] = [];
  for (let s = 1; s <= steps; s++) {
    const share = s / steps;
    const count = Math.round(n * share);
    const pos = cum[count];
    const rate = count === 0 ? null : pos / count;
    rows.push({
      share,
      customers: count,
      positives: pos,
      captured: totalPos === 0 ? null : pos / totalPos,
      rate,
      lift: rate === null || base === 0 ? null : rate / base,
    });
  }
  return rows;
}

/**
 * Lift at a targeted share: the positive rate among the top `share` of rows by score divided
 * by the overall positive rate.
 *
 * @example
 * ```ts
 * import { lift } from "./metrics.ts";
 * import { equal } from "node:assert/strict";
 * // the top quarter (1 row) is positive; the base rate is 1/4
 * equal(lift([1, 0, 0, 0], [0.9, 0.5, 0.4, 0.1], 0.25), 4);
 * equal(lift([0, 0], [0.9, 0.5], 0.5), null); // no positives
 * ```
 *
 * @param positive per row: true/1 for a positive
 * @param scores per row: higher means more likely positive
 * @param share share of rows targeted, in (0, 1] (default 0.1)
 * @returns the lift, or `null` when no row is targeted or there are no positives
 */
export function lift(
  positive: ArrayLike<boolean | number>,
  scores: ArrayLike<number>,
  share = 0.1,
): number | null {
  checkScores(positive, scores);
  if (!(share > 0 && share <= 1)) throw new RangeError("share must be in (0, 1]");
  const n = scores.length;
  const count = Math.round(n * share);
  let totalPos = 0;
  for (let i = 0; i < n; i++) if (toBinary(positive, i)) totalPos++;
  if (count === 0 || totalPos === 0) return null;
  const order = ranking(scores);
  let pos = 0;
  for (let i = 0; i < count; i++) if (toBinary(positive, order[i])) pos++;
  return pos / count / (totalPos / n);
}

/** A {@link ClassificationReport} whose per-class rows carry the class names. */
export interface NamedReport extends Omit<ClassificationReport, "perClass"> {
  perClass: {
    name: string;
    precision: number;
    recall: number;
    f1: number;
    support: number;
  }[];
}

/**
 * Names the classes of a classification report (the class index is replaced by its name).
 *
 * @example
 * ```ts
 * import { classificationReport, namedReport } from "./metrics.ts";
 * import { deepEqual } from "node:assert/strict";
 * const r = namedReport(classificationReport([0, 1], [0, 1], 2), ["low", "high"]);
 * deepEqual(r.perClass.map((c) => c.name), ["low", "high"]);
 * deepEqual(Object.keys(r), ["accuracy", "balancedAccuracy", "macroF1", "perClass", "confusion"]);
 * ```
 *
 * @param report a report over class indices
 * @param names name per class index
 */
export function namedReport(report: ClassificationReport, names: readonly string[]): NamedReport {
  return {
    accuracy: report.accuracy,
    balancedAccuracy: report.balancedAccuracy,
    macroF1: report.macroF1,
    perClass: report.perClass.map((c) => ({
      name: names[c.class],
      precision: c.precision,
      recall: c.recall,
      f1: c.f1,
      support: c.support,
    })),
    confusion: report.confusion,
  };
}

/**
 * Rows per class.
 *
 * @example
 * ```ts
 * import { classCounts } from "./metrics.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(classCounts([2, 0, 2, 2], 3), [1, 0, 3]);
 * ```
 *
 * @param labels class index per row (each below `nClasses`)
 * @param nClasses number of classes
 * @returns the number of rows of each class
 */
export function classCounts(labels: readonly number[], nClasses: number): number[] {
  const c = new Array<number>(nClasses).fill(0);
  for (const v of labels) c[v]++;
  return c;
}
