/**
 * The loyalty model's baselines, evaluated on the same held-out customers as the KNN: the
 * majority training class, persistence (the level implied by today's RFM segment), a logistic
 * regression on whitened features, and the level probabilities of the BG/NBD model (the
 * gradient-boosted trees are in `gbm.ts`).
 *
 * @module
 */

import { argmax } from "../score/neighbours.ts";
import { type BgNbdCustomer, type BgNbdParams, probabilityAtLeast } from "./bgnbd.ts";
import { classCounts } from "./metrics.ts";

/** A baseline's predictions on the held-out customers. */
export interface BaselinePrediction {
  /** Predicted level per held-out customer. */
  pred: number[];
  /** Score of the top level per held-out customer (for its ROC AUC). */
  pTop: number[];
}

/** Description of the logistic-regression baseline. */
export const LOGISTIC_DESCRIPTION =
  "one-vs-rest logistic regression (batch gradient ascent from zero weights, the algorithm of " +
  "ml-logistic-regression in typed arrays) on the same standardised features, whitened with the " +
  "training covariance (x ↦ L⁻¹(x − mean), L the Cholesky factor: an invertible linear map, so " +
  "the maximum-likelihood fit predicts the same, but gradient ascent converges in tens of steps) " +
  "plus a constant column as intercept; 40 steps of learning rate 6/n_train (probabilities " +
  "within about 1e-4 of convergence); the predicted class is the one with the highest " +
  "one-vs-rest probability";

/** Steps and learning rate (× 1/n) of the logistic regression's gradient ascent. */
const LOGISTIC_STEPS = 40;
const LOGISTIC_RATE = 6;

/**
 * One-vs-rest logistic regressions on whitened rows with an intercept: per class, the
 * probability of that class for every row of `Xte` (see {@link LOGISTIC_DESCRIPTION}).
 */
function oneVsRest(
  Xtr: readonly number[][],
  ytr: readonly number[],
  Xte: readonly number[][],
  nClasses: number,
): Float64Array[] {
  const white = whitener(Xtr);
  const d = Xtr[0].length + 1;
  const flat = (X: readonly number[][]) => {
    const out = new Float64Array(X.length * d);
    X.forEach((r, i) => {
      out.set(white(r), i * d);
      out[i * d + d - 1] = 1;
    });
    return out;
  };
  const A = flat(Xtr);
  const T = flat(Xte);
  const n = Xtr.length;
  const rate = LOGISTIC_RATE / n;
  const present = new Set(ytr);
  return Array.from({ length: nClasses }, (_, c) => {
    const w = new Float64Array(d);
    const g = new Float64Array(d);
    if (present.has(c)) {
      for (let step = 0; step < LOGISTIC_STEPS; step++) {
        g.fill(0);
        for (let i = 0; i < n; i++) {
          let z = 0;
          for (let j = 0; j < d; j++) z += A[i * d + j] * w[j];
          const e = (ytr[i] === c ? 1 : 0) - 1 / (1 + Math.exp(-z));
          for (let j = 0; j < d; j++) g[j] += A[i * d + j] * e;
        }
        for (let j = 0; j < d; j++) w[j] += rate * g[j];
      }
    }
    const p = new Float64Array(Xte.length);
    for (let i = 0; i < Xte.length; i++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += T[i * d + j] * w[j];
      p[i] = present.has(c) ? 1 / (1 + Math.exp(-z)) : 0;
    }
    return p;
  });
}

/**
 * The majority baseline: every held-out customer gets the most frequent training level (ties →
 * the lower level), with top-level score 0 (so its AUC is ½).
 *
 * @example
 * ```ts
 * import { majorityBaseline } from "./baselines.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(majorityBaseline([0, 2, 2, 1], 2, 3), { majority: 2, pred: [2, 2], pTop: [0, 0] });
 * ```
 *
 * @param trainLabels level per training customer
 * @param nTest number of held-out customers
 * @param nClasses number of levels
 */
export function majorityBaseline(
  trainLabels: readonly number[],
  nTest: number,
  nClasses: number,
): BaselinePrediction & { majority: number } {
  const majority = argmax(classCounts(trainLabels, nClasses));
  return {
    majority,
    pred: new Array<number>(nTest).fill(majority),
    pTop: new Array<number>(nTest).fill(0),
  };
}

/**
 * The persistence baseline: each held-out customer keeps the level its RFM segment implies at the
 * cutoff; that level index is also its top-level score.
 *
 * @example
 * ```ts
 * import { persistenceBaseline } from "./baselines.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(persistenceBaseline([0, 2, 1]), { pred: [0, 2, 1], pTop: [0, 2, 1] });
 * ```
 *
 * @param levels implied level per held-out customer
 */
export function persistenceBaseline(levels: readonly number[]): BaselinePrediction {
  return { pred: [...levels], pTop: [...levels] };
}

/**
 * A whitening map fitted on rows: z = L⁻¹(x − mean) with L Lᵀ the covariance (a tiny ridge keeps
 * a constant feature from breaking the Cholesky factorisation).
 *
 * @example
 * ```ts
 * import { whitener } from "./baselines.ts";
 * import { ok } from "node:assert/strict";
 * const white = whitener([[1, 10], [3, 10], [1, 14], [3, 14]]); // mean (2, 12), sd (1, 2)
 * const z = white([3, 14]);
 * ok(Math.abs(z[0] - 1) < 1e-6 && Math.abs(z[1] - 1) < 1e-6);
 * ```
 *
 * @param X rows (at least one, equal lengths)
 * @returns the map from a row to its whitened coordinates
 */
export function whitener(X: readonly number[][]): (x: readonly number[]) => number[] {
  const n = X.length;
  const d = X[0].length;
  const mu = new Array<number>(d).fill(0);
  for (const r of X) for (let j = 0; j < d; j++) mu[j] += r[j] / n;
  const S = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const r of X) {
    for (let a = 0; a < d; a++) {
      for (let c = 0; c <= a; c++) S[a][c] += ((r[a] - mu[a]) * (r[c] - mu[c])) / n;
    }
  }
  const L = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i][j] + (i === j ? 1e-9 : 0);
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j][j];
    }
  }
  return (x) => {
    const z = new Array<number>(d);
    for (let i = 0; i < d; i++) {
      let s = x[i] - mu[i];
      for (let k = 0; k < i; k++) s -= L[i][k] * z[k];
      z[i] = s / L[i][i];
    }
    return z;
  };
}

/**
 * The logistic-regression baseline ({@link LOGISTIC_DESCRIPTION}).
 *
 * @example
 * ```ts
 * import { logisticBaseline } from "./baselines.ts";
 * import { deepEqual, ok } from "node:assert/strict";
 * const Xtr = [[-2], [-1.5], [-1], [1], [1.5], [2]];
 * const { pred, pTop } = logisticBaseline(Xtr, [0, 0, 0, 1, 1, 1], [[-1.8], [1.8]], 2);
 * deepEqual(pred, [0, 1]);
 * ok(pTop[1] > 0.5 && pTop[0] < 0.5);
 * ```
 *
 * @param Xtr standardised training rows
 * @param ytr level per training row
 * @param Xte standardised held-out rows
 * @param nClasses number of levels
 * @returns the predicted level and the top level's probability per held-out row
 */
export function logisticBaseline(
  Xtr: readonly number[][],
  ytr: readonly number[],
  Xte: readonly number[][],
  nClasses: number,
): BaselinePrediction {
  const p = oneVsRest(Xtr, ytr, Xte, nClasses);
  // The class with the highest one-vs-rest probability (ties → lower class).
  const pred = Xte.map((_, i) => {
    let best = 0;
    for (let c = 1; c < nClasses; c++) if (p[c][i] > p[best][i]) best = c;
    return best;
  });
  return { pred, pTop: Array.from(p[nClasses - 1]) };
}

/**
 * The logistic regression's level probabilities ({@link LOGISTIC_DESCRIPTION}): the one-vs-rest
 * probabilities of each level, divided by their sum.
 *
 * @example
 * ```ts
 * import { logisticProbabilities } from "./baselines.ts";
 * import { ok } from "node:assert/strict";
 * const Xtr = [[-2], [-1.5], [-1], [1], [1.5], [2]];
 * const p = logisticProbabilities(Xtr, [0, 0, 0, 1, 1, 1], [[-1.8], [1.8]], 2);
 * ok(p[1][1] > 0.5 && p[0][1] < 0.5 && Math.abs(p[0][0] + p[0][1] - 1) < 1e-12);
 * ```
 *
 * @param Xtr standardised training rows
 * @param ytr level per training row
 * @param Xte standardised rows to predict
 * @param nClasses number of levels
 */
export function logisticProbabilities(
  Xtr: readonly number[][],
  ytr: readonly number[],
  Xte: readonly number[][],
  nClasses: number,
): number[][] {
  const p = oneVsRest(Xtr, ytr, Xte, nClasses);
  return Xte.map((_, i) => {
    const s = p.map((q) => q[i]);
    const t = s.reduce((a, b) => a + b, 0);
    return t > 0 ? s.map((v) => v / t) : s.map(() => 1 / nClasses);
  });
}

/** Description of the BG/NBD baseline. */
export const BGNBD_DESCRIPTION =
  "BG/NBD (Fader, Hardie & Lee 2005) fitted by maximum likelihood on the training customers' " +
  "whole history before the cutoff (repeat purchases counted per day, weeks as the time unit); " +
  "P(lapsed) = P(no purchase in the window), P(loyal) = P(at least loyalMinInvoices purchases), " +
  "occasional the rest; the predicted level maximises decision weights × probabilities, the " +
  "weights chosen for macro F1 on the training customers";

/**
 * Level probabilities of the BG/NBD model over the outcome window.
 *
 * @example
 * ```ts
 * import { bgnbdProbabilities } from "./baselines.ts";
 * import { ok } from "node:assert/strict";
 * const params = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
 * const [busy, quiet] = bgnbdProbabilities(params, 39, [{ x: 6, tx: 38, T: 39 }, { x: 0, tx: 0, T: 39 }], 1, 3);
 * ok(busy[2] > quiet[2] && busy[0] < quiet[0]);
 * ok(Math.abs(busy[0] + busy[1] + busy[2] - 1) < 1e-12);
 * ```
 *
 * @param params fitted BG/NBD parameters
 * @param weeks length of the outcome window in the model's time unit
 * @param customers each customer's (x, tx, T) at the cutoff
 * @param occasionalMin purchases needed for the middle level
 * @param loyalMin purchases needed for the top level
 */
export function bgnbdProbabilities(
  params: BgNbdParams,
  weeks: number,
  customers: readonly BgNbdCustomer[],
  occasionalMin: number,
  loyalMin: number,
): number[][] {
  return customers.map((c) => {
    const any = probabilityAtLeast(params, occasionalMin, weeks, c);
    const loyal = Math.min(any, probabilityAtLeast(params, loyalMin, weeks, c));
    return [1 - any, any - loyal, loyal];
  });
}
