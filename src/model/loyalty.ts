/**
 * The forward-looking KNN loyalty model: fitted on the customers' features at a cutoff to predict
 * their loyalty level in the window after it, evaluated once on held-out customers against three
 * baselines, with its score bands and gains.
 *
 * Everything is deterministic: every random step draws from a seed derived from `config.seed`
 * and a fixed label, objects are built in a fixed key order, and no `Map` or `Set` iteration
 * order leaks into results. Report numbers are rounded to 6 decimals ({@link roundDeep}); the
 * fitted {@link LoyaltyModel} is not rounded after it is built (its training points are rounded
 * to 6 decimals *before* the KNN is fitted, so the evaluated model and its JSON are the same
 * model).
 *
 * @module
 */

import type { ModelConfig } from "../config/dataset.ts";
import { fitScaler, transform } from "../score/scaler.ts";
import { fitKnn, type KnnPrediction, predictOne, type Weighting } from "../score/neighbours.ts";
import {
  DEFAULT_LIMITS,
  type LoyaltyModel,
  makeScoreScale,
  scoreFromProbabilities,
} from "../score/score.ts";
import { type BandRow, bandTable, bandTrend } from "./bands.ts";
import {
  LOGISTIC_DESCRIPTION,
  logisticBaseline,
  majorityBaseline,
  persistenceBaseline,
} from "./baselines.ts";
import { type CustomerFeatures, featureColumns } from "./customer_table.ts";
import {
  classCounts,
  classificationReport,
  type GainsRow,
  gainsTable,
  lift,
  type NamedReport,
  namedReport,
  rocAuc,
} from "./metrics.ts";
import { deriveSeed } from "./random.ts";
import { roundDeep, roundPoint } from "./rounding.ts";
import { type Split, stratifiedSplit } from "./split.ts";
import { type KnnTuning, tuneKnn, tuningOptions } from "./tuning.ts";

/** Metrics of one predictor on the held-out customers. */
export interface HeldOutMetrics extends NamedReport {
  /** ROC AUC of the top level vs the rest (null if undefined). */
  aucTop: number | null;
}

/** Evaluation of the loyalty model (all on the same split). */
export interface LoyaltyEvaluation {
  levels: string[];
  split: { seed: number; testShare: number; train: number; test: number };
  /** Customers per level: all, training, held-out. */
  classBalance: { all: number[]; train: number[]; test: number[] };
  /** CV tuning on the training customers. */
  tuning: KnnTuning;
  /** The chosen configuration. */
  chosen: { k: number; weighting: Weighting };
  /** The KNN on the held-out customers (evaluated once). */
  test: HeldOutMetrics;
  /** Baselines on the same held-out customers. */
  baselines: {
    majority: HeldOutMetrics & { predicts: string };
    persistence: HeldOutMetrics;
    logistic: HeldOutMetrics & { description: string };
  };
  /** Score scale description. */
  scoreFormula: string;
  /** Held-out customers per score band, best band first. */
  bands: BandRow[];
  /** Whether the observed top-level rate never falls from the worst band to the best. */
  topRateRisesWithBand: boolean;
  /** Cumulative gains of the top level by score (deciles). */
  gains: GainsRow[];
  /** Lift of the top level in the top 10 % and 20 % by score. */
  lift: { top10: number | null; top20: number | null };
}

/** One held-out customer's prediction. */
export interface HeldOutPrediction {
  customer_id: string;
  actual: number;
  predicted: number;
  /** Probability of the top level. */
  pTop: number;
  score: number;
  band: string;
}

/** Result of {@link fitLoyaltyModel}. */
export interface LoyaltyFit {
  model: LoyaltyModel;
  evaluation: LoyaltyEvaluation;
  /** Per held-out customer predictions (row order of the table). */
  heldOut: HeldOutPrediction[];
}

/** Score formula (for reports). */
export const SCORE_FORMULA =
  "score = round(min + (max − min) · Σ P(level) · index / (levels − 1)); bands: equal-width " +
  "cut points on the score scale, best band first";

/** The customers of the fit: the split, the training rows as fitted, the held-out rows. */
interface LoyaltyData {
  levels: string[];
  labels: readonly number[];
  seed: number;
  split: Split;
  /** Scaled training rows, rounded to 6 decimals (the KNN's points). */
  Xtr: number[][];
  ytr: number[];
  /** Scaled held-out rows. */
  Xte: number[][];
  yte: number[];
}

/** The KNN's predictions on the held-out customers. */
interface HeldOutScores {
  pred: number[];
  /** Probability of the top level. */
  pTop: number[];
  /** Score, exact score and band. */
  scored: { exact: number; score: number; band: string }[];
}

/** Throws unless `labels` and `persistence` hold one level index below `nLevels` per customer. */
function checkLevelIndices(
  n: number,
  labels: readonly number[],
  persistence: readonly number[],
  nLevels: number,
): void {
  if (labels.length !== n || persistence.length !== n) {
    throw new Error(
      `labels (${labels.length}) and persistence (${persistence.length}) must ` +
        `have one entry per customer (${n})`,
    );
  }
  for (const [name, arr] of [["labels", labels], ["persistence", persistence]] as const) {
    arr.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= nLevels) {
        throw new Error(`${name}[${i}] = ${v} is not a level index below ${nLevels}`);
      }
    });
  }
}

/** The plain-data model: scaler and KNN fitted on the training customers, score scale, limits. */
function buildModel(
  table: CustomerFeatures,
  data: LoyaltyData,
  scaler: LoyaltyModel["scaler"],
  chosen: { k: number; weighting: Weighting },
  config: ModelConfig,
): LoyaltyModel {
  const C = data.levels.length;
  return {
    kind: "rfm-loyalty-knn",
    version: 1,
    features: [...config.features],
    scaler,
    knn: fitKnn(data.Xtr, data.ytr, { k: chosen.k, weighting: chosen.weighting, nClasses: C }),
    customerIds: data.split.train.map((r) => table.customer_id[r]),
    levels: data.levels,
    cutoff: config.forward.cutoff,
    windowEnd: config.forward.windowEnd,
    score: makeScoreScale(config.score.min, config.score.max, config.score.bands, C),
    limits: { ...DEFAULT_LIMITS },
  };
}

/** The model's level, top-level probability and score for every held-out customer. */
function scoreHeldOut(model: LoyaltyModel, Xte: readonly number[][]): HeldOutScores {
  const top = model.levels.length - 1;
  const preds: KnnPrediction[] = Xte.map((x) => predictOne(model.knn, x));
  return {
    pred: preds.map((p) => p.label),
    pTop: preds.map((p) => p.probabilities[top]),
    scored: preds.map((p) => scoreFromProbabilities(model.score, p.probabilities)),
  };
}

/** Named classification metrics plus the top level's ROC AUC of one predictor. */
function heldOutMetrics(
  yTrue: readonly number[],
  pred: readonly number[],
  topScore: readonly number[],
  levels: readonly string[],
): HeldOutMetrics {
  const top = levels.length - 1;
  return {
    ...namedReport(classificationReport(yTrue, pred, levels.length), levels),
    aucTop: rocAuc(yTrue.map((y) => y === top), topScore),
  };
}

/** The three baselines on the held-out customers. */
function evaluateBaselines(
  data: LoyaltyData,
  persistence: readonly number[],
): LoyaltyEvaluation["baselines"] {
  const { levels, yte } = data;
  const C = levels.length;
  const majority = majorityBaseline(data.ytr, yte.length, C);
  const persist = persistenceBaseline(data.split.test.map((r) => persistence[r]));
  const logit = logisticBaseline(data.Xtr, data.ytr, data.Xte, C);
  return {
    majority: {
      predicts: levels[majority.majority],
      ...heldOutMetrics(yte, majority.pred, majority.pTop, levels),
    },
    persistence: heldOutMetrics(yte, persist.pred, persist.pTop, levels),
    logistic: {
      description: LOGISTIC_DESCRIPTION,
      ...heldOutMetrics(yte, logit.pred, logit.pTop, levels),
    },
  };
}

/** The evaluation report (rounded to 6 decimals). */
function evaluate(
  data: LoyaltyData,
  model: LoyaltyModel,
  scores: HeldOutScores,
  tuning: KnnTuning,
  persistence: readonly number[],
  testShare: number,
): LoyaltyEvaluation {
  const { levels, yte, split } = data;
  const C = levels.length;
  const isTop = yte.map((y) => y === C - 1);
  const bands = bandTable(model.score.bands, scores.scored.map((s) => s.band), isTop);
  const exact = scores.scored.map((s) => s.exact);
  return roundDeep({
    levels,
    split: { seed: data.seed, testShare, train: split.train.length, test: split.test.length },
    classBalance: {
      all: classCounts(data.labels, C),
      train: classCounts(data.ytr, C),
      test: classCounts(yte, C),
    },
    tuning,
    chosen: { k: tuning.best.k, weighting: tuning.best.weighting },
    test: heldOutMetrics(yte, scores.pred, scores.pTop, levels),
    baselines: evaluateBaselines(data, persistence),
    scoreFormula: SCORE_FORMULA,
    bands,
    topRateRisesWithBand: bandTrend(bands).rises,
    gains: gainsTable(isTop, exact, 10),
    lift: { top10: lift(isTop, exact, 0.1), top20: lift(isTop, exact, 0.2) },
  });
}

/** One row per held-out customer (table row order), rounded to 6 decimals. */
function heldOutPredictions(
  table: CustomerFeatures,
  data: LoyaltyData,
  scores: HeldOutScores,
): HeldOutPrediction[] {
  return roundDeep(data.split.test.map((r, i) => ({
    customer_id: table.customer_id[r],
    actual: data.yte[i],
    predicted: scores.pred[i],
    pTop: scores.pTop[i],
    score: scores.scored[i].score,
    band: scores.scored[i].band,
  })));
}

/**
 * Fits and evaluates the forward-looking loyalty model.
 *
 * Stratified train/test split (`knn.testShare`, derived seed); k × weighting tuned by stratified
 * `knn.folds`-fold CV on the training customers only ({@link tuneKnn}); the scaler and the KNN are
 * refitted on all training customers; the held-out customers are evaluated once, against three
 * baselines on the same split: the majority training class, persistence (today's segment's
 * level) and a logistic regression.
 *
 * @example
 * ```ts
 * import { fitLoyaltyModel } from "./loyalty.ts";
 * import { DEFAULT_MODEL } from "../config/dataset.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * // 24 customers: the more invoices before the cutoff, the higher the level after it
 * const frequency = Array.from({ length: 24 }, (_, i) => 1 + i);
 * const labels = frequency.map((f) => (f <= 8 ? 0 : f <= 16 ? 1 : 2));
 * const table = { customer_id: frequency.map((_, i) => `c${i}`), columns: { frequency } };
 * const { model, evaluation, heldOut } = fitLoyaltyModel(table, labels, labels, {
 *   ...DEFAULT_MODEL,
 *   features: ["frequency"],
 *   logFeatures: [],
 *   knn: { ...DEFAULT_MODEL.knn, kGrid: [1, 3], folds: 3 },
 * });
 * equal(evaluation.split.test, 6); // a quarter held out, two per level
 * deepEqual(evaluation.classBalance.test, [2, 2, 2]);
 * equal(model.customerIds.length, 18); // trained on the rest only
 * equal(evaluation.baselines.persistence.accuracy, 1); // here persistence is the truth
 * equal(heldOut.length, 6);
 * ```
 *
 * @param table customer table computed from transactions before the cutoff
 * @param labels level index per row (0 lowest … levels-1 top)
 * @param persistence level index per row implied by the customer's RFM segment at the cutoff
 * @param config model configuration (features, knn, forward, score, seed)
 * @returns the plain-data model, its evaluation and the held-out predictions
 */
export function fitLoyaltyModel(
  table: CustomerFeatures,
  labels: readonly number[],
  persistence: readonly number[],
  config: ModelConfig,
): LoyaltyFit {
  const levels = [...config.forward.levels];
  checkLevelIndices(table.customer_id.length, labels, persistence, levels.length);
  const cols = featureColumns(table, config.features);
  const seed = deriveSeed(config.seed, "loyalty");
  const split = stratifiedSplit(labels, config.knn.testShare, seed);
  const tuning = tuneKnn(cols, split.train, labels, levels.length, tuningOptions(config, seed));
  const scaler = fitScaler(cols, config.features, config.logFeatures, split.train);
  const data: LoyaltyData = {
    levels,
    labels,
    seed,
    split,
    Xtr: transform(scaler, cols, split.train).map(roundPoint),
    ytr: split.train.map((r) => labels[r]),
    Xte: transform(scaler, cols, split.test),
    yte: split.test.map((r) => labels[r]),
  };
  const model = buildModel(table, data, scaler, tuning.best, config);
  const scores = scoreHeldOut(model, data.Xte);
  const evaluation = evaluate(data, model, scores, tuning, persistence, config.knn.testShare);
  return { model, evaluation, heldOut: heldOutPredictions(table, data, scores) };
}
