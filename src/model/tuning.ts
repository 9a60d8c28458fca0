/**
 * Tuning of a KNN's k and vote weighting by stratified k-fold cross-validation, without leakage:
 * every fold's scaler is fitted on the fold's training rows only.
 *
 * @module
 */

import type { ModelConfig } from "../config/dataset.ts";
import { fitScaler, type Scaler, transform } from "../score/scaler.ts";
import { argmax, NeighbourIndex, type Weighting } from "../score/neighbours.ts";
import { accuracy, macroF1 } from "./metrics.ts";
import { deriveSeed } from "./random.ts";
import { stratifiedKFold } from "./split.ts";
import { mean, sampleSd } from "../lib/stats.ts";

/** One point of the cross-validation curve. */
export interface CvPoint {
  k: number;
  weighting: Weighting;
  /** Mean macro F1 over the folds. */
  meanMacroF1: number;
  /** Sample standard deviation (n − 1) of the folds' macro F1. */
  sdMacroF1: number;
  /** Mean accuracy over the folds. */
  meanAccuracy: number;
  /** Macro F1 per fold. */
  foldMacroF1: number[];
}

/** Result of {@link tuneKnn}. */
export interface KnnTuning {
  folds: number;
  curve: CvPoint[];
  best: { k: number; weighting: Weighting; meanMacroF1: number };
  /** How the best configuration is chosen. */
  rule: string;
}

/** The KNN selection rule (documented in the results). */
export const KNN_RULE =
  "highest mean macro F1 over the folds; means within 1e-12 are ties, broken by the larger k " +
  "(smoother), then uniform before distance weighting";

/** Options of {@link tuneKnn}. */
export interface TuningOptions {
  /** Features, in scaler order. */
  features: readonly string[];
  /** Features that get `log1p` before standardising. */
  logFeatures: readonly string[];
  /** Candidate k values. */
  kGrid: readonly number[];
  /** Candidate weightings. */
  weights: readonly Weighting[];
  /** Number of folds. */
  folds: number;
  /** Seed of the fold assignment. */
  seed: number;
  /** Optional audit hook, called once per fold with its table rows and fitted scaler. */
  inspect?: (fold: { train: number[]; validation: number[]; scaler: Scaler }) => void;
}

/** One candidate configuration. */
type Config = { k: number; weighting: Weighting };

/**
 * The CV tuning options of the model configuration (`knn.kGrid`, `knn.weights`, `knn.folds`),
 * with the CV seed derived from a stage's seed (`deriveSeed(seed, "cv")`).
 *
 * @example
 * ```ts
 * import { tuningOptions } from "./tuning.ts";
 * import { DEFAULT_MODEL } from "../config/dataset.ts";
 * import { deriveSeed } from "./random.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const o = tuningOptions(DEFAULT_MODEL, 7);
 * equal(o.seed, deriveSeed(7, "cv"));
 * deepEqual(o.kGrid, DEFAULT_MODEL.knn.kGrid);
 * ```
 *
 * @param config model configuration
 * @param seed the seed of the stage being tuned
 */
export function tuningOptions(config: ModelConfig, seed: number): TuningOptions {
  return {
    features: config.features,
    logFeatures: config.logFeatures,
    kGrid: config.knn.kGrid,
    weights: config.knn.weights,
    folds: config.knn.folds,
    seed: deriveSeed(seed, "cv"),
  };
}

/**
 * Predictions of every configuration for one fold's validation rows. Each validation point's
 * neighbours are searched once (for the largest k); smaller k use the first k of those canonical
 * neighbours, which is exactly what a separate search with that k returns.
 */
function foldPredictions(
  Xtr: readonly number[][],
  trLabels: readonly number[],
  Xva: readonly number[][],
  configs: readonly Config[],
  nClasses: number,
): number[][] {
  const maxK = Math.max(...configs.map((c) => c.k));
  const index = new NeighbourIndex(Xtr);
  const preds = configs.map(() => new Array<number>(Xva.length));
  // Per weighting, the class weights of the first k neighbours for every k at once: the same
  // additions in the same order as `vote` on the first k (a neighbour adds its weight to its
  // class and 0 to the others, which changes nothing), then the same divisions and argmax.
  const C = nClasses;
  const uniform = new Float64Array((maxK + 1) * C);
  const inverse = new Float64Array((maxK + 1) * C);
  const totalU = new Float64Array(maxK + 1);
  const totalI = new Float64Array(maxK + 1);
  const probs = new Array<number>(C);
  const decide = (w: Float64Array, total: Float64Array, k: number): number => {
    for (let c = 0; c < C; c++) probs[c] = w[k * C + c] / total[k];
    return argmax(probs);
  };
  Xva.forEach((x, v) => {
    const found = index.query(x, maxK);
    const m = found.length;
    // With an exact match among the neighbours (the nearest is one), only exact matches vote.
    const exact = m > 0 && isExact(found[0].distance);
    for (let p = 0; p < m; p++) {
      const d = found[p].distance;
      const label = trLabels[found[p].index];
      const wi = exact ? (isExact(d) ? 1 : 0) : 1 / d;
      for (let c = 0; c < C; c++) {
        uniform[(p + 1) * C + c] = uniform[p * C + c];
        inverse[(p + 1) * C + c] = inverse[p * C + c];
      }
      uniform[(p + 1) * C + label] += 1;
      inverse[(p + 1) * C + label] += wi;
      totalU[p + 1] = totalU[p] + 1;
      totalI[p + 1] = totalI[p] + wi;
    }
    configs.forEach((c, ci) => {
      const k = Math.min(c.k, m);
      preds[ci][v] = c.weighting === "uniform"
        ? decide(uniform, totalU, k)
        : decide(inverse, totalI, k);
    });
  });
  return preds;
}

/** An exact match for the 1/d weighting: d = 0, or so small that 1/d overflows (as `vote`). */
const isExact = (d: number) => !(1 / d < Infinity);

/** The best point of the curve by {@link KNN_RULE}. */
function bestPoint(curve: readonly CvPoint[]): CvPoint {
  let best = curve[0];
  for (const p of curve) {
    const diff = p.meanMacroF1 - best.meanMacroF1;
    if (diff > 1e-12) best = p;
    else if (Math.abs(diff) <= 1e-12) {
      if (p.k > best.k || (p.k === best.k && p.weighting === "uniform")) best = p;
    }
  }
  return best;
}

/**
 * Tunes k and the weighting of a KNN by stratified k-fold cross-validation on the given rows.
 * Inside every fold the scaler is fitted on the fold's training part only, then the fold's
 * validation rows are transformed with it (no leakage). Each validation point's neighbours are
 * searched once (for the largest k); smaller k use the first k of those canonical neighbours,
 * which is exactly what a separate search with that k returns.
 *
 * @example
 * ```ts
 * import { tuneKnn } from "./tuning.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * // class 0 near 1, class 1 near 100: every configuration is perfect; ties → larger k, uniform
 * const x = [1, 2, 3, 4, 5, 6, 100, 101, 102, 103, 104, 105];
 * const labels = x.map((v) => (v < 50 ? 0 : 1));
 * const rows = x.map((_, i) => i);
 * const t = tuneKnn({ x }, rows, labels, 2, {
 *   features: ["x"],
 *   logFeatures: [],
 *   kGrid: [1, 3],
 *   weights: ["uniform", "distance"],
 *   folds: 3,
 *   seed: 1,
 * });
 * deepEqual(t.curve.map((p) => [p.weighting, p.k, p.meanMacroF1]), [
 *   ["uniform", 1, 1],
 *   ["uniform", 3, 1],
 *   ["distance", 1, 1],
 *   ["distance", 3, 1],
 * ]);
 * deepEqual(t.best, { k: 3, weighting: "uniform", meanMacroF1: 1 });
 * equal(t.folds, 3);
 * ```
 *
 * @param columns feature columns (all rows of the table)
 * @param rows the rows to tune on (e.g. the training customers)
 * @param labels class per table row (indexed like `columns`)
 * @param nClasses number of classes
 * @param options features, logFeatures, kGrid, weights, folds, seed, and an optional `inspect`
 *   hook that receives each fold's rows and scaler (for audits and tests)
 * @returns the CV curve (weighting-major, k in grid order) and the best configuration
 */
export function tuneKnn(
  columns: Readonly<Record<string, ArrayLike<number>>>,
  rows: readonly number[],
  labels: ArrayLike<number>,
  nClasses: number,
  options: TuningOptions,
): KnnTuning {
  const { features, logFeatures, kGrid, weights, folds, seed, inspect } = options;
  const split = stratifiedKFold(rows.map((r) => labels[r]), folds, seed);
  const configs = weights.flatMap((w) => kGrid.map((k) => ({ k, weighting: w })));
  const f1 = configs.map(() => [] as number[]);
  const acc = configs.map(() => [] as number[]);
  for (const fold of split) {
    const trainRows = fold.train.map((i) => rows[i]);
    const valRows = fold.validation.map((i) => rows[i]);
    const scaler = fitScaler(columns, features, logFeatures, trainRows);
    inspect?.({ train: trainRows, validation: valRows, scaler });
    const preds = foldPredictions(
      transform(scaler, columns, trainRows),
      trainRows.map((r) => labels[r]),
      transform(scaler, columns, valRows),
      configs,
      nClasses,
    );
    const yVa = valRows.map((r) => labels[r]);
    configs.forEach((_, ci) => {
      f1[ci].push(macroF1(yVa, preds[ci], nClasses));
      acc[ci].push(accuracy(yVa, preds[ci]));
    });
  }
  const curve: CvPoint[] = configs.map((c, ci) => ({
    k: c.k,
    weighting: c.weighting,
    meanMacroF1: mean(f1[ci]),
    sdMacroF1: sampleSd(f1[ci]),
    meanAccuracy: mean(acc[ci]),
    foldMacroF1: f1[ci],
  }));
  const best = bestPoint(curve);
  return {
    folds,
    curve,
    best: { k: best.k, weighting: best.weighting, meanMacroF1: best.meanMacroF1 },
    rule: KNN_RULE,
  };
}
