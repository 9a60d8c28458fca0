/**
 * Fitting a loyalty model's probability calibration and decision rule on out-of-fold predictions
 * (applied by `src/score/calibration.ts`, which describes both).
 *
 * - {@link isotonicCurve}: isotonic regression by pool-adjacent-violators, returned as a
 *   piecewise-linear curve through the pooled blocks' (mean prediction, observed rate), so distinct
 *   raw values keep distinct calibrated values inside the curve's range.
 * - {@link fitCalibration}: one curve per cumulative probability P(level ≥ c).
 * - {@link fitDecisionWeights}: the level weights that maximise macro F1.
 *
 * @module
 */

import {
  calibrate,
  type Calibration,
  type CalibrationCurve,
  decide,
} from "../score/calibration.ts";
import { confusionMatrix, macroF1FromConfusion } from "./metrics.ts";

/**
 * Isotonic (non-decreasing) regression of `y` on `x` as a piecewise-linear curve.
 *
 * @example
 * ```ts
 * import { isotonicCurve } from "./calibration.ts";
 * import { deepEqual } from "node:assert/strict";
 * // 0.2 → 0, 0.4 → 1, 0.6 → 0, 0.8 → 1: the middle pair is pooled to 0.5
 * deepEqual(isotonicCurve([0.2, 0.4, 0.6, 0.8], [0, 1, 0, 1]), {
 *   x: [0.2, 0.5, 0.8],
 *   y: [0, 0.5, 1],
 * });
 * ```
 *
 * @param x predictions (any order)
 * @param y outcomes (0 or 1, or any numbers), one per prediction
 * @param weight optional weight per row (default 1)
 * @returns knots with strictly increasing `x` and non-decreasing `y`
 */
export function isotonicCurve(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  weight?: ArrayLike<number>,
): CalibrationCurve {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`${n} predictions but ${y.length} outcomes`);
  if (n === 0) return { x: [], y: [] };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || a - b);
  // Blocks: summed weight, weighted x and y.
  const bw: number[] = [];
  const bx: number[] = [];
  const by: number[] = [];
  let i = 0;
  while (i < n) {
    let j = i;
    let w = 0;
    let sx = 0;
    let sy = 0;
    while (j < n && x[order[j]] === x[order[i]]) {
      const r = order[j];
      const wr = weight ? weight[r] : 1;
      w += wr;
      sx += wr * x[r];
      sy += wr * y[r];
      j++;
    }
    bw.push(w);
    bx.push(sx);
    by.push(sy);
    // Pool while the previous block's mean is at least this one's.
    while (bw.length > 1) {
      const k = bw.length - 1;
      if (by[k - 1] / bw[k - 1] < by[k] / bw[k]) break;
      bw[k - 1] += bw[k];
      bx[k - 1] += bx[k];
      by[k - 1] += by[k];
      bw.pop();
      bx.pop();
      by.pop();
    }
    i = j;
  }
  return { x: bx.map((s, k) => s / bw[k]), y: by.map((s, k) => s / bw[k]) };
}

/**
 * Fits the ordinal calibration: for c = 1 … C − 1 an isotonic curve of "level ≥ c" on the raw
 * P(level ≥ c).
 *
 * @example
 * ```ts
 * import { fitCalibration } from "./calibration.ts";
 * import { calibrate } from "../score/calibration.ts";
 * import { ok } from "node:assert/strict";
 * // raw votes that are too sure: a "certain loyal" customer is loyal only half the time
 * const raw = [[0, 0, 1], [0, 0, 1], [1, 0, 0], [1, 0, 0]];
 * const cal = fitCalibration(raw, [2, 0, 0, 0], 3);
 * const p = calibrate(cal, [0, 0, 1]);
 * ok(Math.abs(p[2] - 0.5) < 1e-12);
 * ```
 *
 * @param raw raw probabilities per row (C per row)
 * @param labels level per row
 * @param nClasses number of levels C
 */
export function fitCalibration(
  raw: readonly (readonly number[])[],
  labels: readonly number[],
  nClasses: number,
): Calibration {
  const atLeast: CalibrationCurve[] = [];
  for (let c = 1; c < nClasses; c++) {
    const q = raw.map((p) => {
      let s = 0;
      for (let k = c; k < nClasses; k++) s += p[k];
      return s;
    });
    atLeast.push(isotonicCurve(q, labels.map((y) => (y >= c ? 1 : 0))));
  }
  return { method: "isotonic", atLeast };
}

/** The weights tried for each level above the lowest by {@link fitDecisionWeights}. */
export const DECISION_GRID: readonly number[] = Array.from(
  { length: 31 },
  (_, i) => Math.round(100 * Math.pow(2, (i - 15) / 10)) / 100,
);

/**
 * Decision weights (the lowest level's fixed at 1) that maximise macro F1 of the rule
 * "largest weight × probability" on the given predictions; ties go to the weights closest to all 1
 * (smallest Σ|log w|), then to the earlier grid point.
 *
 * @example
 * ```ts
 * import { fitDecisionWeights } from "./calibration.ts";
 * import { decide } from "../score/calibration.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * // the middle level is never the most probable, but is right whenever it reaches 0.4
 * const probs = [[0.6, 0.4, 0], [0.6, 0.4, 0], [0.9, 0.1, 0], [0.2, 0.3, 0.5]];
 * const w = fitDecisionWeights(probs, [1, 1, 0, 2], 3);
 * deepEqual(probs.map((p) => decide(p, w)), [1, 1, 0, 2]);
 * equal(w[0], 1);
 * ```
 *
 * @param probs probabilities per row
 * @param labels level per row
 * @param nClasses number of levels (2 or 3)
 * @param grid weights tried per level (default {@link DECISION_GRID})
 */
export function fitDecisionWeights(
  probs: readonly (readonly number[])[],
  labels: readonly number[],
  nClasses: number,
  grid: readonly number[] = DECISION_GRID,
): number[] {
  if (nClasses < 2 || nClasses > 3) throw new RangeError("decision weights for 2 or 3 levels");
  const combos: number[][] = nClasses === 2
    ? grid.map((a) => [1, a])
    : grid.flatMap((a) => grid.map((b) => [1, a, b]));
  let best = combos[0].map(() => 1);
  let bestF1 = -Infinity;
  let bestDist = Infinity;
  // The labels checked as macroF1 checks them (the decisions are level indices by construction).
  confusionMatrix(labels, new Array<number>(probs.length).fill(0), nClasses);
  // Equal rows with equal labels get equal decisions: each distinct (label, probabilities) once,
  // with its row count (the confusion counts, integers, are the same in any order).
  const { rows, label, count } = distinctRows(probs, labels);
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  // Rows of nClasses probabilities: flat, decided inline as `decide` does (same products and
  // comparisons); other rows by `decide` itself.
  const flat = rows.every((p) => p.length === nClasses);
  const P = flat ? new Float64Array(rows.length * nClasses) : null;
  if (P) rows.forEach((p, i) => P.set(p, i * nClasses));
  const counts = new Int32Array(nClasses * nClasses);
  for (const w of combos) {
    if (P) {
      counts.fill(0);
      for (let i = 0, o = 0; i < rows.length; i++, o += nClasses) {
        let pred = 0;
        let bestValue = -Infinity;
        for (let c = 0; c < nClasses; c++) {
          const v = P[o + c] * w[c];
          if (v > bestValue) {
            bestValue = v;
            pred = c;
          }
        }
        counts[label[i] * nClasses + pred] += count[i];
      }
      for (let t = 0; t < nClasses; t++) {
        for (let c = 0; c < nClasses; c++) m[t][c] = counts[t * nClasses + c];
      }
    } else {
      for (const row of m) row.fill(0);
      for (let i = 0; i < rows.length; i++) m[label[i]][decide(rows[i], w)] += count[i];
    }
    const f1 = macroF1FromConfusion(m);
    const dist = w.reduce((s, x) => s + Math.abs(Math.log(x)), 0);
    if (f1 > bestF1 + 1e-12 || (Math.abs(f1 - bestF1) <= 1e-12 && dist < bestDist - 1e-12)) {
      best = w;
      bestF1 = f1;
      bestDist = dist;
    }
  }
  return [...best];
}

/** The distinct (label, probabilities) pairs of some rows, in first-seen order, with row counts. */
function distinctRows(
  probs: readonly (readonly number[])[],
  labels: readonly number[],
): { rows: (readonly number[])[]; label: number[]; count: number[] } {
  const at = new Map<string, number>();
  const rows: (readonly number[])[] = [];
  const label: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < probs.length; i++) {
    // Distinct numbers print differently, except 0 and −0, which decide alike.
    const key = `${labels[i]}|${probs[i].join(",")}`;
    const g = at.get(key);
    if (g !== undefined) {
      count[g]++;
      continue;
    }
    at.set(key, rows.length);
    rows.push(probs[i]);
    label.push(labels[i]);
    count.push(1);
  }
  return { rows, label, count };
}

/**
 * Calibration and decision weights from out-of-fold raw probabilities (calibration off: weights
 * on the raw probabilities).
 *
 * @param raw out-of-fold raw probabilities per row
 * @param labels level per row
 * @param nClasses number of levels
 * @param method "isotonic" or "none"
 */
export function fitProbabilityRule(
  raw: readonly (readonly number[])[],
  labels: readonly number[],
  nClasses: number,
  method: "isotonic" | "none",
): { calibration: Calibration | null; decisionWeights: number[]; calibrated: number[][] } {
  const calibration = method === "isotonic" ? fitCalibration(raw, labels, nClasses) : null;
  const calibrated = raw.map((p) => calibrate(calibration, p));
  return {
    calibration,
    decisionWeights: fitDecisionWeights(calibrated, labels, nClasses),
    calibrated,
  };
}
