/**
 * Applying a loyalty model's probability calibration and decision rule. Pure; fitted in
 * `src/model/calibration.ts`, stored in the model, applied here by the one scoring path.
 *
 * **Calibration (ordinal).** The levels are ordered, so the model calibrates the two cumulative
 * probabilities P(level ≥ 1) = 1 − P(lowest) and P(level ≥ 2) = P(top) (for three levels): each
 * raw value is mapped through a non-decreasing piecewise-linear curve (isotonic regression on
 * out-of-fold predictions, knots `x` → `y`; flat outside the knots), the curves are made
 * consistent (P(≥ c + 1) ≤ P(≥ c)), and the level probabilities are their differences. So the
 * ranking by any cumulative probability is kept, and the probabilities sum to 1.
 *
 * **Decision.** The predicted level is the one with the largest `weight · probability` (ties: the
 * lower level): weights chosen on out-of-fold predictions to maximise macro F1, which a plain
 * "most probable level" rule gives up on the smaller levels.
 *
 * @module
 */

/** A non-decreasing piecewise-linear map (knots in increasing `x`). */
export interface CalibrationCurve {
  /** Knot positions (raw probabilities), strictly increasing. */
  x: number[];
  /** Calibrated values at the knots, non-decreasing, in [0, 1]. */
  y: number[];
}

/** A model's calibration: one curve per cumulative probability P(level ≥ c), c = 1 … C − 1. */
export interface Calibration {
  /** How the curves were fitted (for reports). */
  method: "isotonic";
  /** Curves for P(level ≥ 1), …, P(level ≥ C − 1). */
  atLeast: CalibrationCurve[];
}

/**
 * The value of a curve at `v` (linear between knots, flat outside them).
 *
 * @example
 * ```ts
 * import { applyCurve } from "./calibration.ts";
 * import { equal } from "node:assert/strict";
 * const c = { x: [0.25, 0.75], y: [0.25, 0.5] };
 * equal(applyCurve(c, 0), 0.25); // flat below the first knot
 * equal(applyCurve(c, 0.5), 0.375); // halfway between the knots
 * equal(applyCurve(c, 0.9), 0.5);
 * ```
 *
 * @param curve the curve
 * @param v the raw value
 */
export function applyCurve(curve: CalibrationCurve, v: number): number {
  const { x, y } = curve;
  const n = x.length;
  if (n === 0) return v;
  if (v <= x[0]) return y[0];
  if (v >= x[n - 1]) return y[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= v) lo = mid;
    else hi = mid;
  }
  const t = (v - x[lo]) / (x[hi] - x[lo]);
  return y[lo] + t * (y[hi] - y[lo]);
}

/**
 * Calibrated level probabilities from raw ones (identity without a calibration).
 *
 * @example
 * ```ts
 * import { calibrate } from "./calibration.ts";
 * import { deepEqual } from "node:assert/strict";
 * const cal = {
 *   method: "isotonic" as const,
 *   atLeast: [{ x: [0, 1], y: [0.5, 0.5] }, { x: [0, 1], y: [0, 0.5] }],
 * };
 * // P(≥1) always 0.5; P(≥2) = raw P(top) / 2
 * deepEqual(calibrate(cal, [0.2, 0.4, 0.4]), [0.5, 0.3, 0.2]);
 * deepEqual(calibrate(null, [0.2, 0.4, 0.4]), [0.2, 0.4, 0.4]);
 * ```
 *
 * @param calibration the model's calibration, or null
 * @param raw raw probabilities per level (sum 1)
 * @returns calibrated probabilities per level (sum 1)
 */
export function calibrate(
  calibration: Calibration | null | undefined,
  raw: readonly number[],
): number[] {
  if (!calibration) return [...raw];
  const C = raw.length;
  if (calibration.atLeast.length !== C - 1) {
    throw new RangeError(`calibration has ${calibration.atLeast.length} curves for ${C} levels`);
  }
  // Cumulative raw probabilities P(≥ c), c = 1 … C − 1.
  const cum: number[] = [];
  let tail = 0;
  for (let c = C - 1; c >= 1; c--) {
    tail += raw[c];
    cum[c - 1] = Math.min(1, Math.max(0, tail));
  }
  const q = cum.map((v, i) => Math.min(1, Math.max(0, applyCurve(calibration.atLeast[i], v))));
  for (let i = 1; i < q.length; i++) q[i] = Math.min(q[i], q[i - 1]);
  const p: number[] = [];
  for (let c = 0; c < C; c++) {
    const upper = c === 0 ? 1 : q[c - 1];
    const lower = c === C - 1 ? 0 : q[c];
    p.push(Math.max(0, upper - lower));
  }
  return p;
}

/**
 * The predicted level: the largest `weights[c] · probabilities[c]` (ties → the lower level).
 *
 * @example
 * ```ts
 * import { decide } from "./calibration.ts";
 * import { equal } from "node:assert/strict";
 * equal(decide([0.5, 0.3, 0.2], null), 0); // most probable
 * equal(decide([0.5, 0.3, 0.2], [1, 2, 1]), 1); // 0.6 beats 0.5
 * ```
 *
 * @param probabilities probability per level
 * @param weights decision weight per level, or null for all 1
 */
export function decide(
  probabilities: readonly number[],
  weights: readonly number[] | null | undefined,
): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let c = 0; c < probabilities.length; c++) {
    const v = probabilities[c] * (weights ? weights[c] : 1);
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}
