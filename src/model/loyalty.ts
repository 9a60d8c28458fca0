/**
 * The model stage as pure functions: K-Means segmentation, a KNN that predicts the segment,
 * and the forward-looking KNN loyalty model with its evaluation and baselines.
 *
 * Everything is deterministic: every random step draws from a seed derived from
 * `config.seed` and a fixed label, objects are built in a fixed key order, and no `Map` or `Set`
 * iteration order leaks into results. Report numbers (metrics, silhouettes, shares, medians…) are
 * rounded to 6 decimals ({@link roundDeep}); the fitted {@link LoyaltyModel} is not rounded after
 * it is built (its training points are rounded to 6 decimals *before* the KNN is fitted, so the
 * evaluated model and its JSON are the same model).
 *
 * @module
 */

import LogisticRegression from "ml-logistic-regression";
import { Matrix } from "ml-matrix";
import type { ModelConfig } from "../config/dataset.ts";
import { fitScaler, inverseTransformRow, type Scaler, transform } from "../score/scaler.ts";
import {
  chooseK,
  clusterNames,
  type ClusterProfile,
  clusterProfiles,
  type CrossTab,
  crossTab,
  fitKMeans,
  orderClusters,
  type Stability,
  stability,
  sweepK,
  type SweepRow,
} from "./kmeans.ts";
import {
  argmax,
  fitKnn,
  NeighbourIndex,
  predictOne,
  vote,
  type Weighting,
} from "../score/neighbours.ts";
import {
  type ClassificationReport,
  classificationReport,
  type GainsRow,
  gainsTable,
  lift,
  macroF1,
  rocAuc,
} from "./metrics.ts";
import { deriveSeed } from "./random.ts";
import {
  DEFAULT_LIMITS,
  type LoyaltyModel,
  makeScoreScale,
  scoreFromProbabilities,
} from "../score/score.ts";
import { stratifiedKFold, stratifiedSplit } from "./split.ts";

/** A customer table: ids plus columns (numeric features; `rfm_segment` may be a string column). */
export interface CustomerFeatures {
  /** Customer id per row. */
  customer_id: string[];
  /** Columns by name: recency_days, frequency, monetary, tenure_days, avg_order_value, … */
  columns: Readonly<Record<string, ArrayLike<number> | readonly string[]>>;
  /** RFM segment per row (alternatively `columns.rfm_segment`). */
  rfm_segment?: readonly string[];
}

/**
 * Rounds every non-integer number in a JSON-like value to 6 decimals (numbers of magnitude
 * ≥ 1e9 are left alone). Returns a new value; the input is not modified.
 *
 * @param value plain data
 * @param digits decimals (default 6)
 */
export function roundDeep<T>(value: T, digits = 6): T {
  const f = 10 ** digits;
  const walk = (v: unknown): unknown => {
    if (typeof v === "number") {
      if (!Number.isFinite(v) || Number.isInteger(v) || Math.abs(v) >= 1e9) return v;
      const r = Math.round(v * f) / f;
      return r === 0 ? 0 : r;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

function numericColumn(table: CustomerFeatures, name: string): ArrayLike<number> {
  const c = table.columns[name];
  if (c === undefined) throw new Error(`customer table has no column "${name}"`);
  if (c.length !== table.customer_id.length) {
    throw new Error(`column "${name}" has ${c.length} rows, expected ${table.customer_id.length}`);
  }
  for (let i = 0; i < c.length; i++) {
    if (typeof c[i] !== "number" || !Number.isFinite(c[i] as number)) {
      throw new Error(`column "${name}" row ${i} is not a finite number`);
    }
  }
  return c as ArrayLike<number>;
}

function segments(table: CustomerFeatures): readonly string[] | null {
  const s = table.rfm_segment ?? (table.columns.rfm_segment as readonly string[] | undefined);
  if (!s) return null;
  if (s.length !== table.customer_id.length) throw new Error("rfm_segment length mismatch");
  return s;
}

function featureColumns(table: CustomerFeatures, features: readonly string[]) {
  const cols: Record<string, ArrayLike<number>> = {};
  for (const f of features) cols[f] = numericColumn(table, f);
  return cols;
}

// ---------------------------------------------------------------------------------------------
// Segmentation

/** Result of {@link segmentCustomers}. */
export interface Segmentation {
  /** Features used, in centroid column order. */
  features: string[];
  /** Inertia and mean silhouette per k. */
  sweep: SweepRow[];
  /** The chosen k. */
  chosenK: number;
  /** How k was chosen. */
  rule: string;
  /** How clusters are ordered and named. */
  ordering: string;
  /** Cluster per customer (value order: 0 = lowest value). */
  clusters: number[];
  /** Name per cluster. */
  names: string[];
  /** Mean value score per cluster (see `ordering`), increasing. */
  clusterValue: (number | null)[];
  /** Centroids per cluster: scaled space, and back-transformed to raw units. */
  centroids: { standardized: number[][]; raw: number[][] };
  /** Inertia, iterations and convergence of the chosen fit. */
  fit: { inertia: number; iterations: number; converged: boolean };
  /** Per-cluster profile. */
  profile: ClusterProfile[];
  /** Clusters × RFM segments (null if the table has no segments). */
  crosstab: CrossTab | null;
  /** Adjusted Rand index across seeds at the chosen k. */
  stability: Stability;
  /** Scaler fitted on all customers (unrounded). */
  scaler: Scaler;
}

/** How clusters are ordered (documented in the segmentation result). */
export const CLUSTER_ORDERING =
  "clusters are ordered by the mean over their customers of z(log1p frequency) + " +
  "z(log1p monetary) − z(log1p recency_days) (z = standardised over all customers); " +
  "cluster 0 has the lowest value, names are assigned by this rank";

/**
 * K-Means segmentation of the current customers.
 *
 * Fits the scaler on all customers (segmentation describes the whole base; there is no held-out
 * set), sweeps k = kMin..kMax (best of `restarts` k-means++ starts each), chooses k
 * ({@link chooseK}: best mean silhouette unless `config.kmeans.k`), orders and names the clusters
 * by value, profiles them, cross-tabulates them against the RFM segments, and measures stability.
 *
 * @param table current customer table
 * @param config model configuration
 * @returns the {@link Segmentation} (report numbers rounded to 6 decimals, scaler exact)
 */
export function segmentCustomers(table: CustomerFeatures, config: ModelConfig): Segmentation {
  const km = config.kmeans;
  const cols = featureColumns(table, config.features);
  const scaler = fitScaler(cols, config.features, config.logFeatures);
  const X = transform(scaler, cols);
  const seed = deriveSeed(config.seed, "segmentation");
  const opts = { restarts: km.restarts, maxIterations: km.maxIterations, seed };
  const { sweep, fits } = sweepK(X, {
    ...opts,
    kMin: km.kMin,
    kMax: km.kMax,
    silhouetteSample: km.silhouetteSample,
  });
  const { k, rule } = chooseK(sweep, km.k);
  const fit = fits.find((f) => f.k === k) ?? fitKMeans(X, k, opts);

  const rfm = ["recency_days", "frequency", "monetary"];
  const rfmCols = featureColumns(table, rfm);
  const valueScaler = fitScaler(rfmCols, rfm, rfm);
  const Z = transform(valueScaler, rfmCols);
  const value = Z.map((z) => z[1] + z[2] - z[0]);
  const { rank, meanValue } = orderClusters(fit.labels, k, value);
  const clusters = fit.labels.map((l) => rank[l]);
  const names = clusterNames(k);
  const standardized: number[][] = new Array(k);
  fit.centroids.forEach((c, orig) => (standardized[rank[orig]] = c));
  const raw = standardized.map((c) => inverseTransformRow(scaler, c));

  const profile = clusterProfiles(clusters, names, {
    recency_days: rfmCols.recency_days,
    frequency: rfmCols.frequency,
    monetary: rfmCols.monetary,
  });
  const seg = segments(table);
  const crosstab = seg ? crossTab(clusters, names, seg) : null;
  const stab = stability(X, k, km.stabilitySeeds, opts, fit);

  const report = roundDeep({
    features: [...config.features],
    sweep,
    chosenK: k,
    rule,
    ordering: CLUSTER_ORDERING,
    clusters,
    names,
    clusterValue: meanValue,
    centroids: { standardized, raw },
    fit: { inertia: fit.inertia, iterations: fit.iterations, converged: fit.converged },
    profile,
    crosstab,
    stability: stab,
  });
  return { ...report, scaler };
}

// ---------------------------------------------------------------------------------------------
// KNN tuning

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

/**
 * Tunes k and the weighting of a KNN by stratified k-fold cross-validation on the given rows.
 * Inside every fold the scaler is fitted on the fold's training part only, then the fold's
 * validation rows are transformed with it (no leakage). Each validation point's neighbours are
 * searched once (for the largest k); smaller k use the first k of those canonical neighbours,
 * which is exactly what a separate search with that k returns.
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
  options: {
    features: readonly string[];
    logFeatures: readonly string[];
    kGrid: readonly number[];
    weights: readonly Weighting[];
    folds: number;
    seed: number;
    /** Optional audit hook, called once per fold with its table rows and fitted scaler. */
    inspect?: (fold: { train: number[]; validation: number[]; scaler: Scaler }) => void;
  },
): KnnTuning {
  const { features, logFeatures, kGrid, weights, folds, seed, inspect } = options;
  const rowLabels = rows.map((r) => labels[r]);
  const split = stratifiedKFold(rowLabels, folds, seed);
  const configs = weights.flatMap((w) => kGrid.map((k) => ({ k, weighting: w })));
  const f1 = configs.map(() => [] as number[]);
  const acc = configs.map(() => [] as number[]);
  const maxK = Math.max(...kGrid);
  for (const fold of split) {
    const trainRows = fold.train.map((i) => rows[i]);
    const valRows = fold.validation.map((i) => rows[i]);
    const scaler = fitScaler(columns, features, logFeatures, trainRows);
    inspect?.({ train: trainRows, validation: valRows, scaler });
    const Xtr = transform(scaler, columns, trainRows);
    const Xva = transform(scaler, columns, valRows);
    const trLabels = trainRows.map((r) => labels[r]);
    const yVa = valRows.map((r) => labels[r]);
    const index = new NeighbourIndex(Xtr);
    const preds = configs.map(() => new Array<number>(valRows.length));
    Xva.forEach((x, v) => {
      const nbs = index.query(x, maxK).map((f) => ({
        distance: f.distance,
        label: trLabels[f.index],
      }));
      configs.forEach((c, ci) => {
        preds[ci][v] = argmax(vote(nbs.slice(0, c.k), c.weighting, nClasses));
      });
    });
    configs.forEach((_, ci) => {
      f1[ci].push(macroF1(yVa, preds[ci], nClasses));
      let ok = 0;
      for (let v = 0; v < yVa.length; v++) if (yVa[v] === preds[ci][v]) ok++;
      acc[ci].push(yVa.length === 0 ? 0 : ok / yVa.length);
    });
  }
  const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  const sd = (a: number[]) => {
    if (a.length < 2) return 0;
    const m = mean(a);
    return Math.sqrt(a.reduce((s, x) => s + (x - m) * (x - m), 0) / (a.length - 1));
  };
  const curve: CvPoint[] = configs.map((c, ci) => ({
    k: c.k,
    weighting: c.weighting,
    meanMacroF1: mean(f1[ci]),
    sdMacroF1: sd(f1[ci]),
    meanAccuracy: mean(acc[ci]),
    foldMacroF1: f1[ci],
  }));
  let best = curve[0];
  for (const p of curve) {
    const diff = p.meanMacroF1 - best.meanMacroF1;
    if (diff > 1e-12) best = p;
    else if (Math.abs(diff) <= 1e-12) {
      if (p.k > best.k || (p.k === best.k && p.weighting === "uniform")) best = p;
    }
  }
  return {
    folds,
    curve,
    best: { k: best.k, weighting: best.weighting, meanMacroF1: best.meanMacroF1 },
    rule: KNN_RULE,
  };
}

function roundPoint(x: readonly number[]): number[] {
  return x.map((v) => {
    const r = Math.round(v * 1e6) / 1e6;
    return r === 0 ? 0 : r;
  });
}

/** A classification report whose classes carry names. */
export interface NamedReport extends Omit<ClassificationReport, "perClass"> {
  perClass: {
    name: string;
    precision: number;
    recall: number;
    f1: number;
    support: number;
  }[];
}

function named(report: ClassificationReport, names: readonly string[]): NamedReport {
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

// ---------------------------------------------------------------------------------------------
// Segment classifier

/** CV tuning options from the model configuration, with the CV seed derived from `seed`. */
function tuningOptions(config: ModelConfig, seed: number) {
  return {
    features: config.features,
    logFeatures: config.logFeatures,
    kGrid: config.knn.kGrid,
    weights: config.knn.weights,
    folds: config.knn.folds,
    seed: deriveSeed(seed, "cv"),
  };
}

/** Result of {@link fitSegmentClassifier}. */
export interface SegmentClassifier {
  /** Cluster names (class order). */
  classes: string[];
  split: { seed: number; testShare: number; train: number; test: number };
  /** CV tuning on the training customers. */
  tuning: KnnTuning;
  /** Held-out performance of the tuned KNN refitted on all training customers. */
  test: NamedReport;
}

/**
 * KNN that predicts a customer's K-Means cluster from its features — the "can a simple model
 * reproduce the segments" check. Stratified split by cluster (testShare, derived seed), k and
 * weighting tuned by CV on the training part, scaler fitted on the training part, evaluated once
 * on the held-out part.
 *
 * @param table current customer table (same rows as the segmentation)
 * @param segmentation `clusters` and `names` from {@link segmentCustomers}
 * @param config model configuration
 */
export function fitSegmentClassifier(
  table: CustomerFeatures,
  segmentation: Pick<Segmentation, "clusters" | "names">,
  config: ModelConfig,
): SegmentClassifier {
  const cols = featureColumns(table, config.features);
  const y = segmentation.clusters;
  if (y.length !== table.customer_id.length) throw new Error("clusters length mismatch");
  const nClasses = segmentation.names.length;
  const seed = deriveSeed(config.seed, "segment-classifier");
  const split = stratifiedSplit(y, config.knn.testShare, seed);
  const tuning = tuneKnn(cols, split.train, y, nClasses, tuningOptions(config, seed));
  const scaler = fitScaler(cols, config.features, config.logFeatures, split.train);
  const model = fitKnn(
    transform(scaler, cols, split.train),
    split.train.map((r) => y[r]),
    { k: tuning.best.k, weighting: tuning.best.weighting, nClasses },
  );
  const Xte = transform(scaler, cols, split.test);
  const pred = Xte.map((x) => predictOne(model, x).label);
  const yte = split.test.map((r) => y[r]);
  return roundDeep({
    classes: [...segmentation.names],
    split: {
      seed,
      testShare: config.knn.testShare,
      train: split.train.length,
      test: split.test.length,
    },
    tuning,
    test: named(classificationReport(yte, pred, nClasses), segmentation.names),
  });
}

// ---------------------------------------------------------------------------------------------
// Loyalty model

/** Metrics of one predictor on the held-out customers. */
export interface HeldOutMetrics extends NamedReport {
  /** ROC AUC of the top level vs the rest (null if undefined). */
  aucTop: number | null;
}

/** One score band on the held-out customers. */
export interface BandRow {
  band: string;
  minScore: number;
  maxScore: number;
  customers: number;
  share: number;
  /** Held-out customers of the top level in the band. */
  top: number;
  /** Observed top-level rate (null for an empty band). */
  topRate: number | null;
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

/** Description of the logistic-regression baseline. */
export const LOGISTIC_DESCRIPTION =
  "ml-logistic-regression (one-vs-rest, batch gradient ascent from zero weights) on the same " +
  "standardised features, whitened with the training covariance (x ↦ L⁻¹(x − mean), L the " +
  "Cholesky factor: an invertible linear map, so the maximum-likelihood fit predicts the same, but " +
  "gradient ascent converges in tens of steps) plus a constant column as intercept; 40 steps of " +
  "learning rate 6/n_train (probabilities within about 1e-4 of convergence); the predicted class " +
  "is the one with the highest one-vs-rest probability";

/** Score formula (for reports). */
export const SCORE_FORMULA =
  "score = round(min + (max − min) · Σ P(level) · index / (levels − 1)); bands: equal-width " +
  "cut points on the score scale, best band first";

function heldOut(
  yTrue: readonly number[],
  pred: readonly number[],
  topScore: readonly number[],
  levels: readonly string[],
): HeldOutMetrics {
  const top = levels.length - 1;
  return {
    ...named(classificationReport(yTrue, pred, levels.length), levels),
    aucTop: rocAuc(yTrue.map((y) => y === top), topScore),
  };
}

function counts(values: readonly number[], n: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (const v of values) c[v]++;
  return c;
}

/**
 * A whitening map fitted on rows: z = L⁻¹(x − mean) with L Lᵀ the covariance (a tiny ridge keeps
 * a constant feature from breaking the Cholesky factorisation).
 */
function whitener(X: readonly number[][]): (x: readonly number[]) => number[] {
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

function logisticBaseline(
  Xtr: readonly number[][],
  ytr: readonly number[],
  Xte: readonly number[][],
  nClasses: number,
): { pred: number[]; pTop: number[] } {
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

/**
 * Fits and evaluates the forward-looking loyalty model.
 *
 * Stratified train/test split (`knn.testShare`, derived seed); k × weighting tuned by stratified
 * `knn.folds`-fold CV on the training customers only ({@link tuneKnn}); the scaler and the KNN are
 * refitted on all training customers; the held-out customers are evaluated once, against three
 * baselines on the same split: the majority training class, persistence (today's segment's
 * level) and a logistic regression.
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
  const C = levels.length;
  const n = table.customer_id.length;
  if (labels.length !== n || persistence.length !== n) {
    throw new Error(
      `labels (${labels.length}) and persistence (${persistence.length}) must ` +
        `have one entry per customer (${n})`,
    );
  }
  for (const [name, arr] of [["labels", labels], ["persistence", persistence]] as const) {
    arr.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= C) {
        throw new Error(`${name}[${i}] = ${v} is not a level index below ${C}`);
      }
    });
  }
  const cols = featureColumns(table, config.features);
  const seed = deriveSeed(config.seed, "loyalty");
  const split = stratifiedSplit(labels, config.knn.testShare, seed);
  const tuning = tuneKnn(cols, split.train, labels, C, tuningOptions(config, seed));
  const { k, weighting } = tuning.best;

  const scaler = fitScaler(cols, config.features, config.logFeatures, split.train);
  const Xtr = transform(scaler, cols, split.train).map(roundPoint);
  const ytr = split.train.map((r) => labels[r]);
  const model: LoyaltyModel = {
    kind: "rfm-loyalty-knn",
    version: 1,
    features: [...config.features],
    scaler,
    knn: fitKnn(Xtr, ytr, { k, weighting, nClasses: C }),
    customerIds: split.train.map((r) => table.customer_id[r]),
    levels,
    cutoff: config.forward.cutoff,
    windowEnd: config.forward.windowEnd,
    score: makeScoreScale(config.score.min, config.score.max, config.score.bands, C),
    limits: { ...DEFAULT_LIMITS },
  };

  const Xte = transform(scaler, cols, split.test);
  const yte = split.test.map((r) => labels[r]);
  const top = C - 1;
  const preds = Xte.map((x) => predictOne(model.knn, x));
  const scored = preds.map((p) => scoreFromProbabilities(model.score, p.probabilities));
  const pred = preds.map((p) => p.label);
  const pTop = preds.map((p) => p.probabilities[top]);

  const trainCounts = counts(ytr, C);
  let majority = 0;
  for (let c = 1; c < C; c++) if (trainCounts[c] > trainCounts[majority]) majority = c;
  const persist = split.test.map((r) => persistence[r]);
  const logit = logisticBaseline(Xtr, ytr, Xte, C);

  const isTop = yte.map((y) => y === top);
  const bands: BandRow[] = model.score.bands.map((b) => {
    const members = scored.map((s, i) => (s.band === b.name ? i : -1)).filter((i) => i >= 0);
    const t = members.filter((i) => isTop[i]).length;
    return {
      band: b.name,
      minScore: b.minScore,
      maxScore: b.maxScore,
      customers: members.length,
      share: yte.length === 0 ? 0 : members.length / yte.length,
      top: t,
      topRate: members.length === 0 ? null : t / members.length,
    };
  });
  const rates = bands.map((b) => b.topRate).filter((r): r is number => r !== null).reverse();
  const rises = rates.every((r, i) => i === 0 || r >= rates[i - 1]);
  const exact = scored.map((s) => s.exact);

  const evaluation: LoyaltyEvaluation = roundDeep({
    levels,
    split: {
      seed,
      testShare: config.knn.testShare,
      train: split.train.length,
      test: split.test.length,
    },
    classBalance: { all: counts(labels, C), train: trainCounts, test: counts(yte, C) },
    tuning,
    chosen: { k, weighting },
    test: heldOut(yte, pred, pTop, levels),
    baselines: {
      majority: {
        predicts: levels[majority],
        ...heldOut(yte, yte.map(() => majority), yte.map(() => 0), levels),
      },
      persistence: heldOut(yte, persist, persist, levels),
      logistic: {
        description: LOGISTIC_DESCRIPTION,
        ...heldOut(yte, logit.pred, logit.pTop, levels),
      },
    },
    scoreFormula: SCORE_FORMULA,
    bands,
    topRateRisesWithBand: rises,
    gains: gainsTable(isTop, exact, 10),
    lift: { top10: lift(isTop, exact, 0.1), top20: lift(isTop, exact, 0.2) },
  });
  const held: HeldOutPrediction[] = split.test.map((r, i) => ({
    customer_id: table.customer_id[r],
    actual: yte[i],
    predicted: pred[i],
    pTop: pTop[i],
    score: scored[i].score,
    band: scored[i].band,
  }));
  return { model, evaluation, heldOut: roundDeep(held) };
}
