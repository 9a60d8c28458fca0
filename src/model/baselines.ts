/**
 * The loyalty model's baselines, evaluated on the same held-out customers as the KNN: the
 * majority training class, persistence (the level implied by today's RFM segment) and a
 * logistic regression on whitened features.
 *
 * @module
 */

import LogisticRegression from "ml-logistic-regression";
import { Matrix } from "ml-matrix";
import { argmax } from "../score/neighbours.ts";
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
  "ml-logistic-regression (one-vs-rest, batch gradient ascent from zero weights) on the same " +
  "standardised features, whitened with the training covariance (x ↦ L⁻¹(x − mean), L the " +
  "Cholesky factor: an invertible linear map, so the maximum-likelihood fit predicts the same, but " +
  "gradient ascent converges in tens of steps) plus a constant column as intercept; 40 steps of " +
  "learning rate 6/n_train (probabilities within about 1e-4 of convergence); the predicted class " +
  "is the one with the highest one-vs-rest probability";

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
  const white = whitener(Xtr);
  const design = (X: readonly number[][]) => new Matrix(X.map((r) => [...white(r), 1]));
  const lr = new LogisticRegression({ numSteps: 40, learningRate: 6 / Xtr.length });
  lr.train(design(Xtr), Matrix.columnVector([...ytr]));
  const Xt = design(Xte);
  // ml-logistic-regression's one-vs-rest labels the class 0 and the rest 1, so testScores is
  // P(not class); the class with the lowest such score is predicted (ties → lower class).
  // deno-lint-ignore no-explicit-any
  const notClass: number[][] = lr.classifiers.map((c: any) => c.testScores(Xt) as number[]);
  const pred = Xte.map((_, i) => {
    let best = 0;
    for (let c = 1; c < notClass.length; c++) if (notClass[c][i] < notClass[best][i]) best = c;
    return best;
  });
  const top = nClasses - 1;
  const pTop = Xte.map((_, i) => (notClass[top] ? 1 - notClass[top][i] : 0));
  return { pred, pTop };
}
