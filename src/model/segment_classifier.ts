/**
 * The segment classifier: a KNN that predicts a customer's K-Means cluster from its features —
 * the "can a simple model reproduce the segments" check (the comparable figure to the original
 * project's claim).
 *
 * @module
 */

import type { ModelConfig } from "../config/dataset.ts";
import { fitScaler, transform } from "../score/scaler.ts";
import { fitKnn, predictOne } from "../score/neighbours.ts";
import { type CustomerFeatures, featureColumns } from "./customer_table.ts";
import { classificationReport, type NamedReport, namedReport } from "./metrics.ts";
import { deriveSeed } from "./random.ts";
import { roundDeep } from "./rounding.ts";
import type { Segmentation } from "./segmentation.ts";
import { stratifiedSplit } from "./split.ts";
import { capGrid } from "./guards.ts";
import { type KnnTuning, tuneKnn, tuningOptions } from "./tuning.ts";

/** Result of {@link fitSegmentClassifier}. */
export interface SegmentClassifier {
  /** Cluster names (class order). */
  classes: string[];
  split: { seed: number; testShare: number; train: number; test: number };
  /** CV tuning on the training customers. */
  tuning: KnnTuning;
  /** Held-out performance of the tuned KNN refitted on all training customers. */
  test: NamedReport;
  /** What was adjusted to fit the data (the k grid capped at the training rows of a fold). */
  notes: string[];
}

/**
 * KNN that predicts a customer's K-Means cluster from its features — the "can a simple model
 * reproduce the segments" check. Stratified split by cluster (testShare, derived seed), k and
 * weighting tuned by CV on the training part, scaler fitted on the training part, evaluated once
 * on the held-out part.
 *
 * @example
 * ```ts
 * import { fitSegmentClassifier } from "./segment_classifier.ts";
 * import { DEFAULT_MODEL } from "../config/dataset.ts";
 * import { equal } from "node:assert/strict";
 * // two well-separated clusters of six customers each
 * const frequency = [1, 1, 2, 1, 2, 1, 40, 45, 50, 42, 48, 44];
 * const table = { customer_id: frequency.map((_, i) => `c${i}`), columns: { frequency } };
 * const clusters = frequency.map((f) => (f < 10 ? 0 : 1));
 * const clf = fitSegmentClassifier(table, { clusters, names: ["Low", "High"] }, {
 *   ...DEFAULT_MODEL,
 *   features: ["frequency"],
 *   logFeatures: [],
 *   knn: { ...DEFAULT_MODEL.knn, kGrid: [1, 3], folds: 3 },
 * });
 * equal(clf.split.test, 3);
 * equal(clf.test.accuracy, 1);
 * ```
 *
 * @param table current customer table (same rows as the segmentation)
 * @param segmentation `clusters` and `names` from `segmentCustomers`
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
  // No k above the training customers of the smallest fold.
  const folds = config.knn.folds;
  const foldTrain = split.train.length - Math.ceil(split.train.length / folds);
  const capped = capGrid(
    config.knn.kGrid,
    foldTrain,
    "the segment classifier's k grid (model.knn.kGrid)",
    "training customers in a cross-validation fold",
  );
  const tuning = tuneKnn(cols, split.train, y, nClasses, {
    ...tuningOptions(config, seed),
    kGrid: capped.grid,
  });
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
    test: namedReport(classificationReport(yte, pred, nClasses), segmentation.names),
    notes: capped.note ? [capped.note] : [],
  });
}
