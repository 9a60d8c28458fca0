/**
 * Cross-validation of the loyalty KNN on training customers only: out-of-fold votes for every k
 * of a grid and every weighting in one neighbour search per validation row, and the search for
 * per-feature weights of the distance.
 *
 * Inside every fold the scaler is fitted on the fold's training rows only, the rows are projected
 * on the features with a weight > 0 and exact duplicates collapsed into points with class counts
 * (as in the final model), and each distinct validation row is searched once for the largest k;
 * smaller k take the first k customers of those canonical neighbours, which is exactly what a
 * search with that k returns.
 *
 * The selection criterion is rank-based, so calibration (fitted afterwards) cannot change it: the
 * mean over folds of ½ (AUC of the top level on P(top) + AUC of the lowest level on
 * P(lowest)) — how well the votes rank customers for the "loyal" view and for the churn view.
 *
 * @module
 */

import { fitScaler, transform } from "../score/scaler.ts";
import {
  argmax,
  collapseDuplicates,
  type FoundArrays,
  NeighbourIndex,
  type Weighting,
} from "../score/neighbours.ts";
import { accuracy, macroF1, rocAuc } from "./metrics.ts";
import { mean, sampleSd } from "../lib/stats.ts";

/** One (k, weighting) configuration. */
export interface KnnConfig {
  k: number;
  weighting: Weighting;
}

/** What a cross-validation needs. */
export interface KnnCvData {
  /** Feature columns (all table rows). */
  columns: Readonly<Record<string, ArrayLike<number>>>;
  /** Level per table row. */
  labels: ArrayLike<number>;
  /** Candidate features, in scaler order. */
  features: readonly string[];
  /** Features that get `log1p` before standardising. */
  logFeatures: readonly string[];
  /** Number of levels. */
  nClasses: number;
}

/** One fold: table rows to fit on and to validate. */
export interface RowFold {
  train: readonly number[];
  validation: readonly number[];
}

/** Options of {@link knnOutOfFold}. */
export interface KnnCvOptions {
  /** Weight per feature (same order as `features`); 0 drops it. */
  weights: readonly number[];
  /** Candidate k. */
  kGrid: readonly number[];
  /** Candidate weightings. */
  weightings: readonly Weighting[];
  /** ε of the distance weighting. */
  offset: number;
}

/** Out-of-fold votes of every configuration. */
export interface OutOfFold {
  /** Configurations, weighting-major, k ascending. */
  configs: KnnConfig[];
  /** The validated table rows, fold by fold. */
  rows: number[];
  /** Fold of each entry of `rows`. */
  fold: number[];
  /** Per configuration, the probabilities per entry of `rows` (C per row). */
  probs: number[][][];
}

/**
 * Probabilities for every k of a grid from the canonical neighbours of the largest k: point by
 * point, the class shares accumulate until k customers are in (the last point partly).
 *
 * @example
 * ```ts
 * import { votesByK } from "./knn_tuning.ts";
 * import { deepEqual } from "node:assert/strict";
 * // a point of 2 customers (both class 0) at distance 1, then 2 of class 1 at distance 2
 * const found = {
 *   length: 2,
 *   index: Int32Array.of(0, 1),
 *   distance: Float64Array.of(1, 2),
 *   take: Float64Array.of(2, 2),
 * };
 * const shares = [[1, 0], [0, 1]];
 * deepEqual(votesByK(found, (i) => shares[i], [1, 3, 4], "uniform", 0, 2), [
 *   [1, 0],
 *   [2 / 3, 1 / 3],
 *   [0.5, 0.5],
 * ]);
 * ```
 *
 * @param found the canonical neighbours for the largest k (nearest first)
 * @param share class shares of a point
 * @param ks the k to compute, in ascending order
 * @param weighting vote weighting
 * @param offset ε of 1 / (d + ε) (0: 1/d with the exact-match rule)
 * @param nClasses number of classes
 * @returns probabilities per k (in `ks` order)
 */
export function votesByK(
  found: FoundArrays,
  share: (index: number) => readonly number[],
  ks: readonly number[],
  weighting: Weighting,
  offset: number,
  nClasses: number,
): number[][] {
  const m = found.length;
  const C = nClasses;
  const exact = (d: number) => !(1 / d < Infinity);
  const weightOf = (d: number): number =>
    weighting === "uniform" ? 1 : offset > 0 ? 1 / (d + offset) : 1 / d;
  // Prefix sums over the points: customers before each point, weighted class mass, total weight.
  const before = new Float64Array(m + 1);
  const mass = new Float64Array((m + 1) * C);
  const total = new Float64Array(m + 1);
  let firstExact = Infinity; // customers before the first exact match (1/d rule only)
  for (let p = 0; p < m; p++) {
    const dist = found.distance[p];
    const t = found.take[p];
    const w = weightOf(dist);
    const s = share(found.index[p]);
    before[p + 1] = before[p] + t;
    total[p + 1] = total[p] + w * t;
    for (let c = 0; c < C; c++) mass[(p + 1) * C + c] = mass[p * C + c] + w * t * s[c];
    if (weighting === "distance" && offset === 0 && exact(dist) && firstExact === Infinity) {
      firstExact = before[p];
    }
  }
  let p = 0;
  return ks.map((k) => {
    if (m === 0) return new Array<number>(C).fill(0);
    if (firstExact < k) return exactVotes(found, share, k, C);
    // The last point that is (partly) in: the first p with before[p + 1] ≥ k (ks ascending).
    while (p < m - 1 && before[p + 1] < k) p++;
    const take = Math.min(found.take[p], k - before[p]);
    const w = weightOf(found.distance[p]);
    const s = share(found.index[p]);
    const t = total[p] + w * take;
    const out = new Array<number>(C);
    for (let c = 0; c < C; c++) out[c] = (mass[p * C + c] + w * take * s[c]) / t;
    return out;
  });
}

/** Votes of the exact matches among the first k customers (1/d rule with a match). */
function exactVotes(
  found: FoundArrays,
  share: (index: number) => readonly number[],
  k: number,
  nClasses: number,
): number[] {
  const acc = new Array<number>(nClasses).fill(0);
  let total = 0;
  let customers = 0;
  for (let p = 0; p < found.length; p++) {
    if (customers >= k) break;
    const take = Math.min(found.take[p], k - customers);
    customers += take;
    if (1 / found.distance[p] < Infinity) continue;
    const s = share(found.index[p]);
    for (let c = 0; c < nClasses; c++) acc[c] += take * s[c];
    total += take;
  }
  return acc.map((x) => x / total);
}

/**
 * Out-of-fold probabilities of every (k, weighting) for given feature weights.
 *
 * @param data columns, labels, features, log features, number of levels
 * @param folds folds of table rows
 * @param options feature weights, k grid, weightings, offset
 */
export function knnOutOfFold(
  data: KnnCvData,
  folds: readonly RowFold[],
  options: KnnCvOptions,
): OutOfFold {
  const { features, logFeatures, labels, nClasses } = data;
  const active = features.map((_, j) => j).filter((j) => options.weights[j] > 0);
  if (active.length === 0) throw new RangeError("every feature weight is 0");
  const weights = active.map((j) => options.weights[j]);
  const ks = [...options.kGrid].sort((a, b) => a - b);
  const configs: KnnConfig[] = options.weightings.flatMap((w) =>
    ks.map((k) => ({ k, weighting: w }))
  );
  const out: OutOfFold = { configs, rows: [], fold: [], probs: configs.map(() => []) };
  folds.forEach((fold, f) => {
    const scaler = fitScaler(data.columns, features, logFeatures, fold.train);
    const project = (rows: readonly number[]) =>
      transform(scaler, data.columns, rows).map((z) => active.map((j) => z[j]));
    const collapsed = collapseDuplicates(
      project(fold.train),
      fold.train.map((r) => labels[r]),
      nClasses,
    );
    const shares = collapsed.counts.map((c) => {
      const m = c.reduce((s, x) => s + x, 0);
      return c.map((x) => x / m);
    });
    const mass = collapsed.counts.map((c) => c.reduce((s, x) => s + x, 0));
    const index = new NeighbourIndex(collapsed.points, { weights, mass });
    const kMax = Math.min(ks[ks.length - 1], index.totalMass);
    const memo = new Map<string, number[][][]>();
    const Z = project(fold.validation);
    fold.validation.forEach((r, v) => {
      const key = Z[v].join(",");
      let votes = memo.get(key);
      if (!votes) {
        const found = index.nearestArrays(Z[v], kMax);
        votes = options.weightings.map((w) =>
          votesByK(found, (i) => shares[i], ks, w, options.offset, nClasses)
        );
        memo.set(key, votes);
      }
      out.rows.push(r);
      out.fold.push(f);
      configs.forEach((c, ci) => {
        const wi = options.weightings.indexOf(c.weighting);
        out.probs[ci].push(votes![wi][ks.indexOf(c.k)]);
      });
    });
  });
  return out;
}

/** Cross-validated quality of one configuration. */
export interface CvScore {
  k: number;
  weighting: Weighting;
  /** Mean over folds of ½ (AUC top + AUC lowest): the selection criterion. */
  meanAuc: number;
  /** Sample standard deviation of the criterion over the folds. */
  sdAuc: number;
  /** Mean over folds of the top level's AUC. */
  meanAucTop: number;
  /** Mean over folds of the lowest level's AUC. */
  meanAucLowest: number;
  /** Mean macro F1 of the most probable level (before calibration and decision weights). */
  meanMacroF1: number;
  /** Sample standard deviation of the folds' macro F1. */
  sdMacroF1: number;
  /** Mean accuracy of the most probable level. */
  meanAccuracy: number;
  /** Macro F1 per fold. */
  foldMacroF1: number[];
}

/**
 * The criterion and the usual figures of every configuration of an out-of-fold result.
 *
 * @param oof the out-of-fold probabilities
 * @param labels level per table row
 * @param nClasses number of levels
 */
export function scoreConfigs(
  oof: OutOfFold,
  labels: ArrayLike<number>,
  nClasses: number,
): CvScore[] {
  const nFolds = Math.max(...oof.fold) + 1;
  const byFold = Array.from({ length: nFolds }, () => [] as number[]);
  oof.fold.forEach((f, i) => byFold[f].push(i));
  const top = nClasses - 1;
  return oof.configs.map((c, ci) => {
    const auc: number[] = [];
    const aucTop: number[] = [];
    const aucLow: number[] = [];
    const f1: number[] = [];
    const acc: number[] = [];
    for (const entries of byFold) {
      const y = entries.map((i) => labels[oof.rows[i]]);
      const p = entries.map((i) => oof.probs[ci][i]);
      const at = rocAuc(y.map((v) => v === top), p.map((q) => q[top])) ?? 0.5;
      const al = rocAuc(y.map((v) => v === 0), p.map((q) => q[0])) ?? 0.5;
      aucTop.push(at);
      aucLow.push(al);
      auc.push((at + al) / 2);
      const pred = p.map((q) => argmax(q));
      f1.push(macroF1(y, pred, nClasses));
      acc.push(accuracy(y, pred));
    }
    return {
      k: c.k,
      weighting: c.weighting,
      meanAuc: mean(auc),
      sdAuc: sampleSd(auc),
      meanAucTop: mean(aucTop),
      meanAucLowest: mean(aucLow),
      meanMacroF1: mean(f1),
      sdMacroF1: sampleSd(f1),
      meanAccuracy: mean(acc),
      foldMacroF1: f1,
    };
  });
}

/** Criterion means closer than this to the best count as ties in {@link bestConfig}. */
export const TIE_TOLERANCE = 0.001;

/** How the configuration is chosen (documented in the results). */
export const CONFIG_RULE =
  "highest mean over the folds of ½ (AUC of loyal on P(loyal) + AUC of lapsed on P(lapsed)); " +
  `means within ${TIE_TOLERANCE} of the highest are ties (a tenth of a typical fold standard ` +
  "error), broken by the smaller k (the more local vote, and faster scoring), then uniform " +
  "before distance";

/**
 * The best configuration by {@link CONFIG_RULE}.
 *
 * @example
 * ```ts
 * import { bestConfig } from "./knn_tuning.ts";
 * import { deepEqual } from "node:assert/strict";
 * const s = (k: number, weighting: "uniform" | "distance", meanAuc: number) => ({ k, weighting, meanAuc });
 * // 0.8 and 0.8005 are ties: the smaller k wins; 0.79 is not a tie
 * deepEqual(
 *   bestConfig([s(5, "uniform", 0.79), s(10, "distance", 0.8), s(50, "uniform", 0.8005)]),
 *   s(10, "distance", 0.8),
 * );
 * ```
 */
export function bestConfig<T extends { k: number; weighting: Weighting; meanAuc: number }>(
  scores: readonly T[],
): T {
  const top = Math.max(...scores.map((p) => p.meanAuc));
  let best: T | null = null;
  for (const p of scores) {
    if (p.meanAuc < top - TIE_TOLERANCE) continue;
    if (
      best === null || p.k < best.k ||
      (p.k === best.k && p.weighting === "uniform" && best.weighting !== "uniform")
    ) best = p;
  }
  return best!;
}

/** One step of the feature-weight search. */
export interface WeightStep {
  /** Pass (1-based); 0 for the start (every weight 1). */
  pass: number;
  /** Feature whose weight was tried, or null for the start. */
  feature: string | null;
  /** The weight kept for it. */
  weight: number | null;
  /** The best criterion over (k, weighting) with the weights after this step. */
  criterion: number;
  /** Whether the step changed a weight. */
  changed: boolean;
}

/** Result of {@link searchWeights}. */
export interface WeightSearch {
  /** Final weight per feature. */
  weights: number[];
  /** The criterion with the final weights (on the search rows). */
  criterion: number;
  /** The criterion with every weight 1 (on the search rows). */
  startCriterion: number;
  /** Every step, in order. */
  path: WeightStep[];
  /** Minimal improvement for a change to be kept. */
  minGain: number;
}

/** Smallest improvement of the criterion that makes the weight search change a weight. */
export const MIN_GAIN = 1e-4;

/**
 * Coordinate search for the feature weights of the distance: from every weight 1, for each
 * feature in turn every other weight of the grid is tried (the others fixed), and the best kept
 * when it improves the criterion (the highest over the k grid and weightings) by more than
 * {@link MIN_GAIN}; at most `passes` passes, stopping after a pass without change.
 *
 * @param data columns, labels, features, log features, number of levels
 * @param folds folds of the search rows
 * @param options k grid, weightings, offset
 * @param grid candidate weights (must include 1)
 * @param passes most passes
 */
export function searchWeights(
  data: KnnCvData,
  folds: readonly RowFold[],
  options: Omit<KnnCvOptions, "weights">,
  grid: readonly number[],
  passes: number,
): WeightSearch {
  const evaluate = (weights: readonly number[]): number => {
    if (!weights.some((w) => w > 0)) return -Infinity;
    const oof = knnOutOfFold(data, folds, { ...options, weights });
    return Math.max(...scoreConfigs(oof, data.labels, data.nClasses).map((c) => c.meanAuc));
  };
  const weights = data.features.map(() => 1);
  let current = evaluate(weights);
  const start = current;
  const path: WeightStep[] = [{
    pass: 0,
    feature: null,
    weight: null,
    criterion: current,
    changed: false,
  }];
  for (let pass = 1; pass <= passes; pass++) {
    let changedInPass = false;
    data.features.forEach((feature, j) => {
      let bestW = weights[j];
      let bestC = current;
      for (const w of grid) {
        if (w === weights[j]) continue;
        const trial = [...weights];
        trial[j] = w;
        const c = evaluate(trial);
        if (c > bestC + MIN_GAIN || (bestW !== weights[j] && c > bestC + 1e-12)) {
          bestC = c;
          bestW = w;
        }
      }
      const changed = bestW !== weights[j];
      if (changed) {
        weights[j] = bestW;
        current = bestC;
        changedInPass = true;
      }
      path.push({ pass, feature, weight: weights[j], criterion: current, changed });
    });
    if (!changedInPass) break;
  }
  return { weights, criterion: current, startCriterion: start, path, minGain: MIN_GAIN };
}
