/**
 * The forward-looking KNN loyalty model: trained on customers' look-back features at several
 * cutoffs (rolling snapshots) to predict their loyalty level in the window after each, tuned and
 * calibrated on training customers only, evaluated once on held-out customers against five
 * baselines with paired-bootstrap intervals, and turned into a score with bands.
 *
 * Steps (every random choice from a seed derived from `config.seed`):
 * 1. rows: one per (snapshot, customer); the held-out customers are a stratified share of the
 *    latest snapshot's customers, and none of their rows, in any snapshot, is used for training;
 * 2. feature weights of the distance: coordinate search by grouped cross-validation on (a sample
 *    of) the training rows (`knn_tuning.ts`; with {@link fitLoyaltyModelBeside}, each feature's
 *    trials shared with a worker);
 * 3. k and weighting: grouped cross-validation on all training rows;
 * 4. calibration and decision weights: fitted on the out-of-fold votes of the chosen KNN
 *    (`calibration.ts`);
 * 5. the final model: scaler and collapsed training points with class counts, on all training rows;
 *    the held-out customers are scored through the scoring module itself (`predictValues`);
 * 6. baselines on the same customers: majority, persistence, logistic regression and
 *    gradient-boosted trees (same features, decision weights from their own out-of-fold
 *    predictions), BG/NBD (whole history).
 *
 * Report numbers are rounded to 6 decimals ({@link roundDeep}); the model's training points are
 * rounded to 6 decimals *before* it is evaluated, so the evaluated model and its JSON agree.
 *
 * @module
 */

import type { ModelConfig } from "../config/dataset.ts";
import { feature } from "../config/features.ts";
import { fitScaler, transform } from "../score/scaler.ts";
import { collapseDuplicates, fitKnn, type Weighting } from "../score/neighbours.ts";
import { decide } from "../score/calibration.ts";
import {
  type LoyaltyModel,
  makeScoreScale,
  predictValues,
  scoreFromProbabilities,
  trainingLimits,
} from "../score/score.ts";
import { type BandRow, bandTable, bandTrend } from "./bands.ts";
import {
  BGNBD_DESCRIPTION,
  bgnbdProbabilities,
  LOGISTIC_DESCRIPTION,
  logisticProbabilities,
  majorityBaseline,
  persistenceBaseline,
} from "./baselines.ts";
import { fitBgNbd } from "./bgnbd.ts";
import { fitDecisionWeights, fitProbabilityRule } from "./calibration.ts";
import {
  binaryBrier,
  brierScore,
  type PairedBootstrap,
  pairedBootstrap,
  reliability,
  type ReliabilityBin,
  standing,
} from "./evaluation.ts";
import { fitGbm, predictGbm } from "./gbm.ts";
import {
  bestConfig,
  CONFIG_RULE,
  type CvScore,
  type KnnCvData,
  knnOutOfFold,
  scoreConfigs,
  searchWeights,
  searchWeightsBeside,
  type WeightSearch,
  type weightTrials,
} from "./knn_tuning.ts";
import {
  groupedFolds,
  type LoyaltyRows,
  type LoyaltySnapshot,
  sampleCustomers,
  splitByCustomer,
  stackSnapshots,
} from "./loyalty_data.ts";
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
import { capGrid } from "./guards.ts";
import { roundDeep, roundPoint } from "./rounding.ts";

export type { LoyaltySnapshot } from "./loyalty_data.ts";

/** What {@link fitLoyaltyModel} learns from. */
export interface LoyaltyInput {
  /** The snapshots, latest first (the latest is `model.forward.cutoff`). */
  snapshots: readonly LoyaltySnapshot[];
  /** Days of every outcome window. */
  horizonDays: number;
  /** Look-back of the features in days. */
  lookbackDays: number;
}

/** Metrics of one predictor on the held-out customers. */
export interface HeldOutMetrics extends NamedReport {
  /** ROC AUC of the top level (loyal) against the rest (null if undefined). */
  aucTop: number | null;
  /** ROC AUC of the lowest level (lapsed) against the rest, on P(lowest) (null if undefined). */
  aucLowest: number | null;
  /** Multi-class Brier score of the probabilities (null for a predictor without them). */
  brier: number | null;
  /** Brier score of P(top) and of P(lowest). */
  brierTop: number | null;
  brierLowest: number | null;
}

/** A model's held-out predictions. */
interface Predictions {
  pred: number[];
  /** Probabilities per customer, or null (persistence: a level, no probabilities). */
  probs: number[][] | null;
  /** Scores for the AUCs of the top and the lowest level. */
  pTop: number[];
  pLowest: number[];
}

/** Evaluation of the loyalty model (all on the same held-out customers). */
export interface LoyaltyEvaluation {
  levels: string[];
  /** The customer split (held-out customers come from the latest snapshot). */
  split: {
    seed: number;
    testShare: number;
    /** Training customers of the latest snapshot, and training rows over all snapshots. */
    train: number;
    trainRows: number;
    test: number;
    groupedBy: "customer";
  };
  /** Look-back of the features and the snapshots trained on. */
  lookbackDays: number;
  horizonDays: number;
  snapshots: { cutoff: string; customers: number; trainRows: number; classBalance: number[] }[];
  /** Customers per level in the latest snapshot: all, training, held-out. */
  classBalance: { all: number[]; train: number[]; test: number[] };
  /** Candidate features, their weights in the distance (0 = dropped) and the ones used. */
  features: { candidates: string[]; weights: number[]; used: string[] };
  /** Cross-validation: feature-weight search, then the k × weighting curve. */
  tuning: {
    folds: number;
    /** The weight search, on a sample of `rows` rows with the k grid scaled to it. */
    featureSearch: WeightSearch & { rows: number; customers: number; kGrid: number[] };
    curve: CvScore[];
    best: { k: number; weighting: Weighting; meanAuc: number; meanMacroF1: number };
    rule: string;
    /** Whether the k grid reaches past the chosen k. */
    kGridReachesPastChosen: boolean;
  };
  /** The chosen configuration. */
  chosen: { k: number; weighting: Weighting; offset: number };
  /** Calibration and decision rule, and their effect on the out-of-fold predictions. */
  calibration: {
    method: string;
    decisionWeights: number[];
    outOfFold: {
      brierRaw: number;
      brierCalibrated: number;
      macroF1Raw: number;
      macroF1Decided: number;
    };
  };
  /** The KNN on the held-out customers (evaluated once). */
  test: HeldOutMetrics;
  /** Baselines on the same held-out customers. */
  baselines: {
    majority: HeldOutMetrics & { predicts: string };
    persistence: HeldOutMetrics;
    logistic: HeldOutMetrics & { description: string; decisionWeights: number[] };
    gbm: HeldOutMetrics & { description: string; decisionWeights: number[] };
    bgnbd: HeldOutMetrics & {
      description: string;
      decisionWeights: number[];
      params: { r: number; alpha: number; a: number; b: number; logLikelihood: number };
    };
  };
  /** Paired-bootstrap 95 % intervals: the KNN's metrics and KNN − baseline. */
  comparison: PairedBootstrap & {
    /** Per baseline and metric: "ahead", "level" (interval contains 0) or "behind". */
    standing: Record<string, Record<string, string | null>>;
  };
  /** Reliability diagrams of P(loyal) and P(lapsed) on the held-out customers. */
  reliability: { top: ReliabilityBin[]; lowest: ReliabilityBin[] };
  /** Score scale description. */
  scoreFormula: string;
  /** Held-out customers per score band, best band first. */
  bands: BandRow[];
  /** Whether the observed top-level rate never falls from the worst band to the best. */
  topRateRisesWithBand: boolean;
  /** Cumulative gains of the top level by score (deciles, highest score first). */
  gains: GainsRow[];
  /** Lift of the top level in the top 10 % and 20 % by score. */
  lift: { top10: number | null; top20: number | null };
  /** Cumulative gains of the lowest level (the churn view, lowest score first). */
  gainsLowest: GainsRow[];
  /** Lift of the lowest level in the bottom 10 % and 20 % by score. */
  liftLowest: { bottom10: number | null; bottom20: number | null };
  /** What was adjusted to fit the data (the k grid capped at the training rows of a fold). */
  notes: string[];
}

/** Every held-out customer's predictions, as columns (to recompute every figure). */
export interface HeldOutTable {
  customer_id: string[];
  /** True level index. */
  actual: number[];
  /** Per model (knn and each baseline): predicted level, P(lowest), P(top). */
  models: Record<string, { predicted: number[]; pLowest: number[]; pTop: number[] }>;
  /** The KNN's middle-level probability, score and band. */
  pMiddle: number[];
  score: number[];
  band: string[];
}

/** Result of {@link fitLoyaltyModel}. */
export interface LoyaltyFit {
  model: LoyaltyModel;
  evaluation: LoyaltyEvaluation;
  /** The held-out predictions of every model. */
  heldOut: HeldOutTable;
  /** Raw values of the used features over the training rows (for drift checks). */
  trainingValues: Record<string, number[]>;
}

/** Score formula (for reports). */
export const SCORE_FORMULA =
  "score = round(min + (max − min) · Σ P(level) · index / (levels − 1)) with the calibrated " +
  "probabilities; bands: equal-width cut points on the score scale, best band first";

/** Description of the gradient-boosted trees baseline. */
export const GBM_DESCRIPTION =
  "gradient-boosted trees (src/model/gbm.ts: softmax loss, histogram splits, depth-limited) on " +
  "the same look-back features and training rows; the predicted level maximises decision " +
  "weights × probabilities, the weights chosen for macro F1 on its out-of-fold predictions";

/** Description of the logistic-regression baseline in this model. */
export const LOGISTIC_LOYALTY_DESCRIPTION =
  `${LOGISTIC_DESCRIPTION}; here on the same look-back features and training rows as the KNN, ` +
  "probabilities = one-vs-rest probabilities divided by their sum, the predicted level " +
  "maximising decision weights × probabilities, the weights chosen for macro F1 on its " +
  "out-of-fold predictions";

/** Throws unless labels and persistence hold one level index below `nLevels` per customer. */
function checkSnapshot(s: LoyaltySnapshot, nLevels: number): void {
  const n = s.features.customer_id.length;
  if (s.labels.length !== n || s.persistence.length !== n) {
    throw new Error(
      `snapshot ${s.cutoff}: labels (${s.labels.length}) and persistence ` +
        `(${s.persistence.length}) must have one entry per customer (${n})`,
    );
  }
  for (const [name, arr] of [["labels", s.labels], ["persistence", s.persistence]] as const) {
    arr.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= nLevels) {
        throw new Error(`${name}[${i}] = ${v} is not a level index below ${nLevels}`);
      }
    });
  }
}

/** Named classification metrics, both AUCs and Brier scores of one predictor. */
function heldOutMetrics(
  yTrue: readonly number[],
  p: Predictions,
  levels: readonly string[],
): HeldOutMetrics {
  const top = levels.length - 1;
  const isTop = yTrue.map((y) => y === top);
  const isLow = yTrue.map((y) => y === 0);
  return {
    ...namedReport(classificationReport(yTrue, p.pred, levels.length), levels),
    aucTop: rocAuc(isTop, p.pTop),
    aucLowest: rocAuc(isLow, p.pLowest),
    brier: p.probs ? brierScore(p.probs, yTrue) : null,
    brierTop: p.probs ? binaryBrier(p.probs.map((q) => q[top]), isTop) : null,
    brierLowest: p.probs ? binaryBrier(p.probs.map((q) => q[0]), isLow) : null,
  };
}

/** Predictions from probabilities and decision weights. */
function fromProbabilities(probs: number[][], weights: readonly number[]): Predictions {
  const top = probs[0]?.length - 1;
  return {
    pred: probs.map((p) => decide(p, weights)),
    probs,
    pTop: probs.map((p) => p[top]),
    pLowest: probs.map((p) => p[0]),
  };
}

/** Rows of the given table rows for the chosen features (raw values). */
function rawRows(
  rows: LoyaltyRows,
  features: readonly string[],
  at: readonly number[],
): number[][] {
  return at.map((r) => features.map((f) => rows.columns[f][r]));
}

/** What the KNN part asks for between its steps: a feature-weight search. */
type SearchArgs = Parameters<typeof searchWeights>;

/**
 * The KNN part: weight search, k × weighting, calibration, final model. It yields the arguments
 * of its weight search and takes the search's result: {@link fitKnnPart} runs the search on this
 * thread, {@link fitKnnPartBeside} shares its trials with a worker (same result).
 */
function* knnPart(
  rows: LoyaltyRows,
  split: ReturnType<typeof splitByCustomer>,
  config: ModelConfig,
  seed: number,
  input: LoyaltyInput,
  step: (stage: string, detail: string) => void,
) {
  const L = config.loyalty;
  const levels = [...config.forward.levels];
  const C = levels.length;
  const candidates = [...L.features];
  const logFeatures = candidates.filter((f) => feature(f)?.transform === "log1p");
  // No k above the training rows of the smallest fold.
  const capped = capGrid(
    L.kGrid,
    Math.min(...split.folds.map((f) => f.train.length)),
    "the loyalty model's k grid (model.loyalty.kGrid)",
    "training rows in a cross-validation fold",
  );
  const kGrid = capped.grid;
  const data: KnnCvData = {
    columns: rows.columns,
    labels: rows.labels,
    features: candidates,
    logFeatures,
    nClasses: C,
  };
  // 1. Feature weights on a sample of training customers.
  const sample = sampleCustomers(rows, split.trainRows, L.tuningRows, deriveSeed(seed, "sample"));
  const sampleFolds = groupedFolds(
    rows,
    sample,
    config.knn.folds,
    deriveSeed(seed, "cv-sample"),
    true,
  );
  // The sample holds fewer customers: its k are the grid's, scaled to the same share of the rows.
  const share = sample.length / split.trainRows.length;
  const sampleK = [...new Set(kGrid.map((k) => Math.max(1, Math.round(k * share))))];
  const grid = L.weightPasses > 0 ? L.weightGrid : [1];
  const search: WeightSearch = yield [
    data,
    sampleFolds,
    { kGrid: sampleK, weightings: config.knn.weights, offset: L.distanceOffset },
    grid,
    L.weightPasses,
  ] satisfies SearchArgs;
  step(
    "feature weights",
    // Each step tries every other weight of the grid for one feature; the start is one trial.
    `${search.path.length - 1} steps, ${
      1 + (search.path.length - 1) * (grid.length - 1)
    } trials on ${sample.length} rows: criterion ` +
      `${search.startCriterion.toFixed(4)} → ${search.criterion.toFixed(4)}`,
  );
  // 2. k and weighting on all training rows.
  const oof = knnOutOfFold(data, split.folds, {
    weights: search.weights,
    kGrid,
    weightings: config.knn.weights,
    offset: L.distanceOffset,
  });
  const curve = scoreConfigs(oof, rows.labels, C);
  const best = bestConfig(curve);
  const bestIndex = curve.indexOf(best);
  step(
    "k and weighting",
    `k = ${best.k} (${best.weighting}), criterion ${best.meanAuc.toFixed(4)}`,
  );
  // 3. Calibration and decision weights on the chosen configuration's out-of-fold votes.
  const oofRaw = oof.probs[bestIndex];
  const oofLabels = oof.rows.map((r) => rows.labels[r]);
  const rule = fitProbabilityRule(oofRaw, oofLabels, C, L.calibration);
  step("calibration", `decision weights ${rule.decisionWeights.join(", ")}`);
  // 4. Final model on every training row.
  const used = candidates.filter((_, j) => search.weights[j] > 0);
  const usedWeights = search.weights.filter((w) => w > 0);
  const scaler = fitScaler(
    rows.columns,
    used,
    logFeatures.filter((f) => used.includes(f)),
    split.trainRows,
  );
  const Z = transform(scaler, rows.columns, split.trainRows).map(roundPoint);
  const collapsed = collapseDuplicates(Z, split.trainRows.map((r) => rows.labels[r]), C);
  const model: LoyaltyModel = {
    kind: "rfm-loyalty-knn",
    version: 2,
    features: used,
    lookbackDays: input.lookbackDays,
    scaler,
    knn: fitKnn(collapsed.points, collapsed.labels, {
      k: best.k,
      weighting: best.weighting,
      nClasses: C,
      counts: collapsed.counts,
      featureWeights: usedWeights,
      offset: L.distanceOffset,
    }),
    customerIds: collapsed.firstRow.map((i) => rows.customer[split.trainRows[i]]),
    levels,
    cutoff: config.forward.cutoff,
    windowEnd: config.forward.windowEnd,
    score: makeScoreScale(config.score.min, config.score.max, config.score.bands, C),
    limits: trainingLimits(rows.columns, split.trainRows),
    calibration: rule.calibration,
    decisionWeights: rule.decisionWeights,
  };
  const oofDecided = rule.calibrated.map((p) => decide(p, rule.decisionWeights));
  const oofArgmax = oofRaw.map((p) => decide(p, null));
  const calibrationReport = {
    method: rule.calibration ? rule.calibration.method : "none",
    decisionWeights: rule.decisionWeights,
    outOfFold: {
      brierRaw: brierScore(oofRaw, oofLabels),
      brierCalibrated: brierScore(rule.calibrated, oofLabels),
      macroF1Raw: classificationReport(oofLabels, oofArgmax, C).macroF1,
      macroF1Decided: classificationReport(oofLabels, oofDecided, C).macroF1,
    },
  };
  const tuning = {
    folds: config.knn.folds,
    featureSearch: {
      ...search,
      rows: sample.length,
      customers: new Set(sample.map((r) => rows.customer[r])).size,
      kGrid: sampleK,
    },
    curve,
    best: {
      k: best.k,
      weighting: best.weighting,
      meanAuc: best.meanAuc,
      meanMacroF1: best.meanMacroF1,
    },
    rule: CONFIG_RULE,
    kGridReachesPastChosen: Math.max(...kGrid) > best.k,
  };
  const notes = capped.note ? [capped.note] : [];
  return { model, tuning, calibrationReport, candidates, search, used, notes };
}

/** The KNN part ({@link knnPart}) with its weight search on this thread. */
function fitKnnPart(...args: Parameters<typeof knnPart>) {
  const part = knnPart(...args);
  let next = part.next();
  while (!next.done) next = part.next(searchWeights(...next.value));
  return next.value;
}

/**
 * Where a weight search sends part of its trials: e.g. a worker keeping its own
 * {@link weightTrials} of the same data, folds and options. Opened for one search (with its
 * data, folds and options), closed after it.
 */
export interface TrialsElsewhere {
  /** The criteria of the given trials, in their order. */
  evaluate(trials: number[][]): Promise<number[]>;
  close(): void;
}

/** Opens a {@link TrialsElsewhere} for the search of the given data, folds and options. */
export type OpenTrialsElsewhere = (...args: Parameters<typeof weightTrials>) => TrialsElsewhere;

/**
 * The KNN part ({@link knnPart}) with each batch of weight trials shared with `open`'s
 * evaluator ({@link searchWeightsBeside}), closed whether the search ends or throws.
 */
async function fitKnnPartBeside(
  open: OpenTrialsElsewhere,
  ...args: Parameters<typeof knnPart>
): Promise<ReturnType<typeof fitKnnPart>> {
  const part = knnPart(...args);
  let next = part.next();
  while (!next.done) {
    const [data, folds, options] = next.value;
    const there = open(data, folds, options);
    let search: WeightSearch;
    try {
      search = await searchWeightsBeside(...next.value, (trials) => there.evaluate(trials));
    } finally {
      there.close();
    }
    next = part.next(search);
  }
  return next.value;
}

/** Logistic regression and gradient-boosted trees: out-of-fold decision weights, then held out. */
function fitLearnedBaselines(
  rows: LoyaltyRows,
  split: ReturnType<typeof splitByCustomer>,
  config: ModelConfig,
  candidates: readonly string[],
) {
  const C = config.forward.levels.length;
  const logFeatures = candidates.filter((f) => feature(f)?.transform === "log1p");
  const scaled = (train: readonly number[], at: readonly number[]) => {
    const s = fitScaler(rows.columns, candidates, logFeatures, train);
    return { tr: transform(s, rows.columns, train), at: transform(s, rows.columns, at) };
  };
  const ytr = (train: readonly number[]) => train.map((r) => rows.labels[r]);
  const gbmOpts = config.loyalty.gbm;
  const learners = {
    logistic: (train: readonly number[], at: readonly number[]) => {
      const x = scaled(train, at);
      return logisticProbabilities(x.tr, ytr(train), x.at, C);
    },
    gbm: (train: readonly number[], at: readonly number[]) =>
      predictGbm(
        fitGbm(rawRows(rows, candidates, train), ytr(train), C, gbmOpts),
        rawRows(rows, candidates, at),
      ),
  };
  const out: Record<string, { predictions: Predictions; decisionWeights: number[] }> = {};
  for (const [name, learn] of Object.entries(learners)) {
    const oofProbs: number[][] = [];
    const oofLabels: number[] = [];
    for (const fold of split.folds) {
      oofProbs.push(...learn(fold.train, fold.validation));
      oofLabels.push(...fold.validation.map((r) => rows.labels[r]));
    }
    const weights = fitDecisionWeights(oofProbs, oofLabels, C);
    out[name] = {
      predictions: fromProbabilities(learn(split.trainRows, split.testRows), weights),
      decisionWeights: weights,
    };
  }
  return out;
}

/** The BG/NBD baseline, fitted on the training customers of the latest snapshot. */
function fitBgnbdBaseline(
  latest: LoyaltySnapshot,
  split: ReturnType<typeof splitByCustomer>,
  config: ModelConfig,
  horizonDays: number,
) {
  const { occasionalMinInvoices, loyalMinInvoices } = config.forward;
  const at = (positions: readonly number[]) =>
    positions.map((p) => ({ x: latest.bgnbd.x[p], tx: latest.bgnbd.tx[p], T: latest.bgnbd.T[p] }));
  const train = at(split.trainPositions);
  const fit = fitBgNbd({
    x: train.map((c) => c.x),
    tx: train.map((c) => c.tx),
    T: train.map((c) => c.T),
  });
  const weeks = horizonDays / 7;
  const probs = (cs: ReturnType<typeof at>) =>
    bgnbdProbabilities(fit, weeks, cs, occasionalMinInvoices, loyalMinInvoices);
  const weights = fitDecisionWeights(
    probs(train),
    split.trainPositions.map((p) => latest.labels[p]),
    config.forward.levels.length,
  );
  return {
    predictions: fromProbabilities(probs(at(split.testPositions)), weights),
    decisionWeights: weights,
    params: { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b, logLikelihood: fit.logLikelihood },
  };
}

/**
 * Fits and evaluates the forward-looking loyalty model (see the module description).
 *
 * @example
 * ```ts
 * import { fitLoyaltyModel } from "./loyalty.ts";
 * import { DEFAULT_MODEL } from "../config/dataset.ts";
 * import { equal, ok } from "node:assert/strict";
 * // 60 customers: the more invoices in the last 90 days, the higher the level after the cutoff
 * const n = 60;
 * const invoices = Array.from({ length: n }, (_, i) => i % 20);
 * const labels = invoices.map((f) => (f < 7 ? 0 : f < 14 ? 1 : 2));
 * const snapshot = {
 *   cutoff: "2011-01-01",
 *   features: {
 *     customer_id: invoices.map((_, i) => `c${i}`),
 *     columns: { invoices_90d: invoices, recency_window_days: invoices.map((f) => 90 - 4 * f) },
 *   },
 *   labels,
 *   persistence: labels,
 *   bgnbd: { x: invoices, tx: invoices.map((f) => f), T: invoices.map(() => 20) },
 * };
 * const { model, evaluation, heldOut } = fitLoyaltyModel(
 *   { snapshots: [snapshot], horizonDays: 182, lookbackDays: 90 },
 *   {
 *     ...DEFAULT_MODEL,
 *     forward: { ...DEFAULT_MODEL.forward, cutoff: "2011-01-01", windowEnd: "2011-07-02" },
 *     knn: { ...DEFAULT_MODEL.knn, folds: 3 },
 *     loyalty: {
 *       ...DEFAULT_MODEL.loyalty,
 *       features: ["invoices_90d", "recency_window_days"],
 *       kGrid: [3, 5],
 *       weightPasses: 1,
 *       bootstrap: 20,
 *       gbm: { ...DEFAULT_MODEL.loyalty.gbm, rounds: 5, minLeaf: 2 },
 *     },
 *   },
 * );
 * equal(evaluation.split.test, 15); // a quarter held out
 * equal(heldOut.customer_id.length, 15);
 * ok(model.knn.counts!.reduce((s, c) => s + c[0] + c[1] + c[2], 0) === 45); // trained on the rest
 * ok(evaluation.test.macroF1 > 0.8);
 * ```
 *
 * @param input the snapshots (latest first), the outcome horizon and the look-back
 * @param config model configuration (`loyalty`, `knn` folds and test share, `forward`, `score`,
 *   `seed`)
 * @param onStep called after each step with its name and a detail line (progress)
 * @returns the plain-data model, its evaluation, the held-out predictions and the training values
 */
export function fitLoyaltyModel(
  input: LoyaltyInput,
  config: ModelConfig,
  onStep: (stage: string, detail: string) => void = () => {},
): LoyaltyFit {
  const p = prepare(input, config);
  const knn = fitKnnPart(p.rows, p.split, config, p.seed, input, onStep);
  return finish(p, knn, baselinesOf(p, input, config, onStep), input, config, onStep);
}

/**
 * {@link fitLoyaltyModel} with parts computed elsewhere (another core): the KNN part runs on
 * this thread while `elsewhere.baselines` (the {@link loyaltyBaselines} of the same input and
 * configuration) is awaited after it, and each feature's weight trials are shared with
 * `elsewhere.trials` ({@link searchWeightsBeside}). Same result as {@link fitLoyaltyModel}, bit
 * for bit, when those give what this thread would.
 *
 * @param elsewhere the baselines of `input` and `config`, being computed, and where part of the
 *   weight trials go
 */
export async function fitLoyaltyModelBeside(
  input: LoyaltyInput,
  config: ModelConfig,
  elsewhere: { baselines: Promise<LoyaltyBaselines>; trials: OpenTrialsElsewhere },
  onStep: (stage: string, detail: string) => void = () => {},
): Promise<LoyaltyFit> {
  const { baselines } = elsewhere;
  let knn;
  let p;
  try {
    p = prepare(input, config);
    knn = await fitKnnPartBeside(elsewhere.trials, p.rows, p.split, config, p.seed, input, onStep);
  } catch (e) {
    await baselines.catch(() => {}); // no worker left running, no rejection left unhandled
    throw e;
  }
  const b = await baselines;
  onStep("logistic, gbm and bg/nbd baselines", "fitted beside the KNN part, on another core");
  return finish(p, knn, b, input, config, onStep);
}

/** The learned and BG/NBD baselines of a loyalty fit: plain data, independent of the KNN part. */
export interface LoyaltyBaselines {
  learned: ReturnType<typeof fitLearnedBaselines>;
  bg: ReturnType<typeof fitBgnbdBaseline>;
}

/**
 * The logistic, GBM and BG/NBD baselines of {@link fitLoyaltyModel} for `input` and `config`
 * (same rows, split and seeds): what {@link fitLoyaltyModelBeside} awaits, e.g. from a worker.
 */
export function loyaltyBaselines(input: LoyaltyInput, config: ModelConfig): LoyaltyBaselines {
  return baselinesOf(prepare(input, config), input, config, () => {});
}

/** The checked input stacked into rows, its split and seed: shared by the KNN part and baselines. */
interface Prepared {
  levels: string[];
  candidates: string[];
  rows: LoyaltyRows;
  seed: number;
  split: ReturnType<typeof splitByCustomer>;
  latest: LoyaltySnapshot;
}

function prepare(input: LoyaltyInput, config: ModelConfig): Prepared {
  const levels = [...config.forward.levels];
  if (input.snapshots.length === 0) throw new Error("no snapshot to learn from");
  for (const s of input.snapshots) checkSnapshot(s, levels.length);
  const candidates = [...config.loyalty.features];
  const rows = stackSnapshots(input.snapshots, candidates);
  const seed = deriveSeed(config.seed, "loyalty");
  const split = splitByCustomer(rows, config.knn.testShare, config.knn.folds, seed);
  return { levels, candidates, rows, seed, split, latest: input.snapshots[0] };
}

function baselinesOf(
  p: Prepared,
  input: LoyaltyInput,
  config: ModelConfig,
  onStep: (stage: string, detail: string) => void,
): LoyaltyBaselines {
  const learned = fitLearnedBaselines(p.rows, p.split, config, p.candidates);
  onStep("logistic and gbm baselines", `${config.knn.folds} folds and a final fit each`);
  const bg = fitBgnbdBaseline(p.latest, p.split, config, input.horizonDays);
  onStep("bg/nbd baseline", `r ${bg.params.r.toFixed(3)}, α ${bg.params.alpha.toFixed(3)}`);
  return { learned, bg };
}

/** Held-out scoring, baselines' comparison and the evaluation, once the parts are fitted. */
function finish(
  p: Prepared,
  knn: ReturnType<typeof fitKnnPart>,
  { learned, bg }: LoyaltyBaselines,
  input: LoyaltyInput,
  config: ModelConfig,
  onStep: (stage: string, detail: string) => void,
): LoyaltyFit {
  const { levels, candidates, rows, seed, split, latest } = p;
  const C = levels.length;
  const { model } = knn;

  // The held-out customers, scored by the scoring module's own path.
  const yte = split.testRows.map((r) => rows.labels[r]);
  const preds = rawRows(rows, model.features, split.testRows).map((v) => predictValues(model, v));
  const knnProbs = preds.map((p) => p.probabilities);
  const knnPred: Predictions = {
    pred: preds.map((p) => p.levelIndex),
    probs: knnProbs,
    pTop: knnProbs.map((p) => p[C - 1]),
    pLowest: knnProbs.map((p) => p[0]),
  };
  const scored = knnProbs.map((p) => scoreFromProbabilities(model.score, p));

  const ytrLatest = split.trainPositions.map((p) => latest.labels[p]);
  const majority = majorityBaseline(ytrLatest, yte.length, C);
  const persist = persistenceBaseline(split.testPositions.map((p) => latest.persistence[p]));
  const basePreds: Record<string, Predictions> = {
    logistic: learned.logistic.predictions,
    gbm: learned.gbm.predictions,
    bgnbd: bg.predictions,
    persistence: {
      pred: persist.pred,
      probs: null,
      pTop: persist.pTop,
      pLowest: persist.pTop.map((v) => -v),
    },
    majority: {
      pred: majority.pred,
      probs: null,
      pTop: majority.pTop,
      pLowest: majority.pTop.map(() => 0),
    },
  };
  const comparison = pairedBootstrap(
    yte,
    C,
    knnPred,
    basePreds,
    config.loyalty.bootstrap,
    deriveSeed(seed, "bootstrap"),
  );
  onStep("bootstrap", `${config.loyalty.bootstrap} paired resamples`);
  const standings: Record<string, Record<string, string | null>> = {};
  for (const [name, d] of Object.entries(comparison.differences)) {
    standings[name] = Object.fromEntries(Object.entries(d).map(([m, iv]) => [m, standing(iv)]));
  }

  const isTop = yte.map((y) => y === C - 1);
  const isLow = yte.map((y) => y === 0);
  const exact = scored.map((s) => s.exact);
  const bands = bandTable(model.score.bands, scored.map((s) => s.band), isTop);
  const latestRows = (si: number) => rows.snapshot.filter((s) => s === si).length;
  const trainSet = new Set(split.trainRows);
  const evaluation: LoyaltyEvaluation = roundDeep({
    levels,
    split: {
      seed,
      testShare: config.knn.testShare,
      train: split.trainPositions.length,
      trainRows: split.trainRows.length,
      test: split.testPositions.length,
      groupedBy: "customer" as const,
    },
    lookbackDays: input.lookbackDays,
    horizonDays: input.horizonDays,
    snapshots: input.snapshots.map((s, si) => ({
      cutoff: s.cutoff,
      customers: latestRows(si),
      trainRows: rows.snapshot.filter((x, r) => x === si && trainSet.has(r)).length,
      classBalance: classCounts([...s.labels], C),
    })),
    classBalance: {
      all: classCounts([...latest.labels], C),
      train: classCounts(ytrLatest, C),
      test: classCounts(yte, C),
    },
    features: { candidates, weights: knn.search.weights, used: knn.used },
    tuning: knn.tuning,
    chosen: {
      k: model.knn.k,
      weighting: model.knn.weighting,
      offset: model.knn.offset ?? 0,
    },
    calibration: knn.calibrationReport,
    test: heldOutMetrics(yte, knnPred, levels),
    baselines: {
      majority: {
        predicts: levels[majority.majority],
        ...heldOutMetrics(yte, basePreds.majority, levels),
      },
      persistence: heldOutMetrics(yte, basePreds.persistence, levels),
      logistic: {
        description: LOGISTIC_LOYALTY_DESCRIPTION,
        decisionWeights: learned.logistic.decisionWeights,
        ...heldOutMetrics(yte, basePreds.logistic, levels),
      },
      gbm: {
        description: GBM_DESCRIPTION,
        decisionWeights: learned.gbm.decisionWeights,
        ...heldOutMetrics(yte, basePreds.gbm, levels),
      },
      bgnbd: {
        description: BGNBD_DESCRIPTION,
        decisionWeights: bg.decisionWeights,
        params: bg.params,
        ...heldOutMetrics(yte, basePreds.bgnbd, levels),
      },
    },
    comparison: { ...comparison, standing: standings },
    reliability: {
      top: reliability(knnPred.pTop, isTop),
      lowest: reliability(knnPred.pLowest, isLow),
    },
    scoreFormula: SCORE_FORMULA,
    bands,
    topRateRisesWithBand: bandTrend(bands).rises,
    gains: gainsTable(isTop, exact, 10),
    lift: { top10: lift(isTop, exact, 0.1), top20: lift(isTop, exact, 0.2) },
    gainsLowest: gainsTable(isLow, exact.map((x) => -x), 10),
    liftLowest: {
      bottom10: lift(isLow, exact.map((x) => -x), 0.1),
      bottom20: lift(isLow, exact.map((x) => -x), 0.2),
    },
    notes: knn.notes,
  });

  const models: HeldOutTable["models"] = { knn: pick(knnPred) };
  for (const [name, p] of Object.entries(basePreds)) models[name] = pick(p);
  const heldOut: HeldOutTable = roundDeep({
    customer_id: split.testRows.map((r) => rows.customer[r]),
    actual: yte,
    models,
    pMiddle: knnProbs.map((p) => p[1]),
    score: scored.map((s) => s.score),
    band: scored.map((s) => s.band),
  });
  const trainingValues = Object.fromEntries(
    model.features.map((f) => [f, split.trainRows.map((r) => rows.columns[f][r])]),
  );
  return { model, evaluation, heldOut, trainingValues };
}

function pick(p: Predictions) {
  return { predicted: p.pred, pLowest: p.pLowest, pTop: p.pTop };
}
