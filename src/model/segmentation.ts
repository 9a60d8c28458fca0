/**
 * K-Means segmentation of the current customers: the k sweep, the chosen k, clusters ordered and
 * named by customer value, their profiles, the cross-tab against the RFM segments and stability.
 *
 * @module
 */

import type { ModelConfig } from "../config/dataset.ts";
import { fitScaler, inverseTransformRow, type Scaler, transform } from "../score/scaler.ts";
import { type CustomerFeatures, featureColumns, rfmSegments } from "./customer_table.ts";
import {
  chooseK,
  clusterNames,
  type ClusterProfile,
  clusterProfiles,
  type CrossTab,
  crossTab,
  fitKMeans,
  type KMeansFit,
  orderClusters,
  type Stability,
  stability,
  sweepK,
  type SweepRow,
} from "./kmeans.ts";
import { deriveSeed } from "./random.ts";
import { roundDeep } from "./rounding.ts";
import { distinctRows } from "./guards.ts";
import { ModelStageSkipped } from "./skip.ts";

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
  /** What was adjusted to fit the data (k capped at the distinct customers), in words. */
  notes: string[];
}

/** How clusters are ordered (documented in the segmentation result). */
export const CLUSTER_ORDERING =
  "clusters are ordered by the mean over their customers of z(log1p frequency) + " +
  "z(log1p monetary) − z(log1p recency_days) (z = standardised over all customers); " +
  "cluster 0 has the lowest value, names are assigned by this rank";

/** Most customers the silhouette is computed on when `silhouetteSample` is null (all). */
export const SILHOUETTE_MAX_ALL = 20_000;

/** The features of the value score of {@link CLUSTER_ORDERING}, all log1p'd. */
const VALUE_FEATURES = ["recency_days", "frequency", "monetary"];

/**
 * Each customer's value score ({@link CLUSTER_ORDERING}) and the recency, frequency and monetary
 * columns it is computed from.
 */
function valueScores(table: CustomerFeatures): {
  value: number[];
  rfm: Record<string, ArrayLike<number>>;
} {
  const rfm = featureColumns(table, VALUE_FEATURES);
  const Z = transform(fitScaler(rfm, VALUE_FEATURES, VALUE_FEATURES), rfm);
  return { value: Z.map((z) => z[1] + z[2] - z[0]), rfm };
}

/** The fit's centroids in value order (`rank[original] = new index`), scaled and raw. */
function rankedCentroids(
  fit: KMeansFit,
  rank: readonly number[],
  scaler: Scaler,
): { standardized: number[][]; raw: number[][] } {
  const standardized: number[][] = new Array(fit.k);
  fit.centroids.forEach((c, orig) => (standardized[rank[orig]] = c));
  return { standardized, raw: standardized.map((c) => inverseTransformRow(scaler, c)) };
}

/**
 * K-Means segmentation of the current customers.
 *
 * Fits the scaler on all customers (segmentation describes the whole base; there is no held-out
 * set), sweeps k = kMin..kMax (best of `restarts` k-means++ starts each), chooses k
 * ({@link chooseK}: best mean silhouette unless `config.kmeans.k`), orders and names the clusters
 * by value, profiles them, cross-tabulates them against the RFM segments, and measures stability.
 *
 * @example
 * ```ts
 * import { segmentCustomers } from "./segmentation.ts";
 * import { DEFAULT_MODEL } from "../config/dataset.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * // three customers of low value, three of high value
 * const r = [300, 280, 320, 3, 2, 4], f = [1, 1, 2, 40, 45, 50], m = [40, 30, 50, 9e3, 8e3, 1e4];
 * const table = {
 *   customer_id: ["a", "b", "c", "d", "e", "f"],
 *   columns: { recency_days: r, frequency: f, monetary: m },
 *   rfm_segment: ["Lost", "Lost", "Lost", "Champions", "Champions", "Champions"],
 * };
 * const seg = segmentCustomers(table, {
 *   ...DEFAULT_MODEL,
 *   features: ["recency_days", "frequency", "monetary"],
 *   logFeatures: ["recency_days", "frequency", "monetary"],
 *   kmeans: { ...DEFAULT_MODEL.kmeans, kMax: 3, restarts: 2, stabilitySeeds: 2 },
 * });
 * equal(seg.chosenK, 2);
 * deepEqual(seg.clusters, [0, 0, 0, 1, 1, 1]); // 0 = lowest value
 * deepEqual(seg.names, ["Low value", "High value"]);
 * deepEqual(seg.crosstab?.counts, [[0, 3], [3, 0]]); // columns: Champions, Lost
 * ```
 *
 * @param table current customer table
 * @param config model configuration
 * k is capped at the number of distinct customers (distinct scaled feature rows), with a note.
 *
 * @returns the {@link Segmentation} (report numbers rounded to 6 decimals, scaler exact)
 * @throws {ModelStageSkipped} when fewer than two customers differ in the features
 */
export function segmentCustomers(table: CustomerFeatures, config: ModelConfig): Segmentation {
  const km = config.kmeans;
  const cols = featureColumns(table, config.features);
  const scaler = fitScaler(cols, config.features, config.logFeatures);
  const X = transform(scaler, cols);
  const seed = deriveSeed(config.seed, "segmentation");
  const opts = { restarts: km.restarts, maxIterations: km.maxIterations, seed };
  const distinct = distinctRows(X);
  const n = X.length.toLocaleString("en-GB");
  if (distinct < 2) {
    throw new ModelStageSkipped(
      `all ${n} customers have the same ${config.features.join(", ")}: K-Means has nothing to ` +
        "separate (the segmentation needs at least two customers who differ)",
    );
  }
  const notes: string[] = [];
  const kMax = Math.min(km.kMax, distinct);
  const kMin = Math.min(km.kMin, kMax);
  if (kMax < km.kMax) {
    notes.push(
      `k was swept over ${kMin}..${kMax} instead of ${km.kMin}..${km.kMax} (model.kmeans): ` +
        `there are only ${distinct.toLocaleString("en-GB")} distinct customers (of ${n})`,
    );
  }
  let fixedK = km.k;
  if (fixedK !== null && fixedK > distinct) {
    notes.push(
      `model.kmeans.k = ${fixedK} was capped at ${distinct}, the number of distinct customers`,
    );
    fixedK = distinct;
  }
  // The silhouette compares every pair of customers: on all of a large base it would not finish.
  let silhouetteSample = km.silhouetteSample;
  if (silhouetteSample === null && X.length > SILHOUETTE_MAX_ALL) {
    silhouetteSample = SILHOUETTE_MAX_ALL;
    notes.push(
      `the silhouette was computed on a sample of ${SILHOUETTE_MAX_ALL.toLocaleString("en-GB")} ` +
        `of the ${n} customers (model.kmeans.silhouetteSample is null: all customers, which ` +
        "grows with the square of their number)",
    );
  }
  const { sweep, fits } = sweepK(X, { ...opts, kMin, kMax, silhouetteSample });
  const { k, rule } = chooseK(sweep, fixedK);
  const fit = fits.find((f) => f.k === k) ?? fitKMeans(X, k, opts);

  const { value, rfm } = valueScores(table);
  const { rank, meanValue } = orderClusters(fit.labels, k, value);
  const clusters = fit.labels.map((l) => rank[l]);
  const names = clusterNames(k);
  const seg = rfmSegments(table);
  const report = roundDeep({
    features: [...config.features],
    sweep,
    chosenK: k,
    rule,
    ordering: CLUSTER_ORDERING,
    clusters,
    names,
    clusterValue: meanValue,
    centroids: rankedCentroids(fit, rank, scaler),
    fit: { inertia: fit.inertia, iterations: fit.iterations, converged: fit.converged },
    profile: clusterProfiles(clusters, names, {
      recency_days: rfm.recency_days,
      frequency: rfm.frequency,
      monetary: rfm.monetary,
    }),
    crosstab: seg ? crossTab(clusters, names, seg) : null,
    stability: stability(X, k, km.stabilitySeeds, opts, fit),
    notes,
  });
  return { ...report, scaler };
}
