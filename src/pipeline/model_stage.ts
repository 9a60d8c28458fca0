/**
 * The model stage: K-Means segments, the segment classifier, the forward-looking loyalty model
 * and the score of every current customer, assembled into `metrics.json` and `model.json`.
 *
 * Pure (arrays in, plain data out): the pipeline does the reading and writing.
 *
 * @module
 */
import type { DatasetConfig } from "../config/dataset.ts";
import type { CustomerArrays, ForwardData } from "./stages.ts";
import {
  fitLoyaltyModel,
  fitLoyaltyModelBeside,
  type LoyaltyBaselines,
  type LoyaltyFit,
  type TrialsElsewhere,
} from "../model/loyalty.ts";
import type { weightTrials } from "../model/knn_tuning.ts";
import { inWorker, WorkerSession } from "../lib/worker.ts";
import { fitSegmentClassifier, type SegmentClassifier } from "../model/segment_classifier.ts";
import { type Segmentation, segmentCustomers } from "../model/segmentation.ts";
import { featureShift, scoreShift } from "../model/evaluation.ts";
import { roundDeep } from "../model/rounding.ts";
import type { LoyaltyModel, ScoreOk } from "../score/score.ts";
import { explainMany, reasonsLine } from "../score/reasons.ts";
import { PSI_MODERATE, PSI_SIGNIFICANT } from "../score/drift.ts";
import { sha256 } from "../lib/files.ts";
import { checkCustomerCount, checkLevelNames, checkLevels } from "../model/guards.ts";
import { ModelStageSkipped } from "../model/skip.ts";
import { segmentLevelConflicts } from "../report/conflicts.ts";
import { migrationMatrix } from "../report/activity.ts";
import { SEGMENT_RULES } from "../rfm/segments.ts";

/** The segment-migration row of customers who had not bought yet at the cutoff. */
export const NOT_YET_A_CUSTOMER = "Not yet a customer";

/** What the original project reported, shown for reference next to our segment classifier. */
export const ORIGINAL_PROJECT = {
  claim: "a KNN classifier that predicts customer loyalty with 79% accuracy",
  accuracy: 0.79,
  note:
    "The original figure is the accuracy of predicting a customer's K-Means segment from the same RFM values that defined it, " +
    "on an unstated split; our comparable figure is the segment classifier's held-out accuracy.",
};

/** Per-customer model outputs, aligned with the current customer table. */
export interface CustomerModelColumns {
  cluster: string[];
  loyalty_level: string[];
  probabilities: Record<string, number[]>;
  score: number[];
  band: string[];
  /**
   * Per customer, the top reasons for the score in one line (`reasonsLine` of
   * `src/score/reasons.ts`; "" when none stands out).
   */
  reasons?: string[];
}

/** Result of {@link modelStage}. */
export interface ModelStage {
  segmentation: Segmentation;
  segmentClassifier: SegmentClassifier;
  loyalty: LoyaltyFit;
  columns: CustomerModelColumns;
  metrics: Record<string, unknown>;
  model: Record<string, unknown>;
}

/** A stable fingerprint of the training data of a loyalty model (points, labels, counts, ids). */
export function trainingFingerprint(model: LoyaltyModel): string {
  return sha256(
    JSON.stringify([
      model.customerIds,
      model.knn.points,
      model.knn.labels,
      model.knn.counts ?? null,
    ]),
  );
}

/**
 * Runs every model of the workspace.
 *
 * @param ds dataset configuration (model settings)
 * @param current current customers (whole-history RFM features and the loyalty model's look-back
 *   features as of the analysis date, with RFM segments)
 * @param forward the forward model's inputs (snapshots: look-back features as of each cutoff,
 *   labels after it)
 * @param versions library versions recorded in the model artifact
 * @param onStage called after each sub-stage with its name and a detail line (with workers, the
 *   lines of the parts run in a worker come when this thread takes their result)
 * @param options whether parts run in workers (see {@link ModelStageOptions})
 */
export async function modelStage(
  ds: DatasetConfig,
  current: CustomerArrays,
  forward: ForwardData,
  versions: Record<string, string>,
  onStage: (stage: string, detail: string) => void = () => {},
  options: ModelStageOptions = {},
): Promise<ModelStage> {
  const cfg = ds.model;
  // Guards first (cheap): too few customers or a single populated level stop the model stage
  // with a ModelStageSkipped naming the counts; RFM outputs are still published.
  const { folds, testShare } = cfg.knn;
  checkLevelNames(cfg.forward.levels);
  checkCustomerCount(current.customer_id.length, folds, testShare, "customers to segment");
  checkCustomerCount(
    forward.features.customer_id.length,
    folds,
    testShare,
    `customers with a purchase before the cutoff ${forward.cutoff}`,
  );
  const levelCounts = cfg.forward.levels.map((_, i) =>
    forward.labels.filter((y) => y === i).length
  );
  checkLevels(cfg.forward.levels, levelCounts, forward.cutoff, forward.windowEnd);
  const workers = options.workers ?? true;
  const loyaltyStep = (step: string, detail: string) => onStage(`loyalty: ${step}`, detail);
  let segmented: Promise<Segmented>;
  let loyalty: LoyaltyFit;
  if (workers) {
    // Two workers beside this thread's KNN tuning: K-Means with the segment classifier, and the
    // loyalty baselines (the tuning shares its feature-weight trials with a third worker of its
    // own). Each is a pure function of what it is sent: the same result as here.
    segmented = options.segmented ?? segmentInWorker(current, cfg);
    const baselines = inWorker<LoyaltyBaselines>(LOYALTY, "loyaltyBaselines", [forward, cfg]);
    // A rejection is taken up below; until then it must not count as unhandled.
    segmented.catch(() => {});
    try {
      loyalty = await fitLoyaltyModelBeside(
        forward,
        cfg,
        { baselines, trials: trialsInWorker },
        loyaltyStep,
      );
    } catch (e) {
      // As on one thread, where K-Means runs first: its ModelStageSkipped comes before.
      await segmented;
      throw e;
    }
  } else {
    // In order, each progress line timing its own part (as `bench --models` reads them).
    segmented = Promise.resolve(segmentAndClassify(current, cfg, onStage));
    loyalty = fitLoyaltyModel(forward, cfg, loyaltyStep);
  }
  const { segmentation, segmentClassifier } = await segmented;
  if (workers) {
    onStage("k-means", `${kmeansDetail(segmentation)} (in a worker)`);
    onStage("segment classifier", classifierDetail(segmentClassifier));
  }
  const ev = loyalty.evaluation;
  onStage(
    "loyalty model",
    `${ev.snapshots.length} snapshot(s), ${ev.split.trainRows} training rows, k = ${ev.chosen.k} ` +
      `(${ev.chosen.weighting}), features ${ev.features.used.join(", ")}; held-out ` +
      `AUC(loyal) ${ev.test.aucTop?.toFixed(3)}, macro F1 ${ev.test.macroF1.toFixed(3)}`,
  );

  // Score every current customer with the forward model (features as of the analysis date).
  const modelFeatures = loyalty.model.features;
  for (const f of modelFeatures) {
    if (!current.columns[f]) throw new Error(`the current customers lack the feature "${f}"`);
  }
  const inputs = current.customer_id.map((_, i) =>
    Object.fromEntries(modelFeatures.map((f) => [f, current.columns[f][i]]))
  );
  // Scores and reasons in one batch: every distinct point searched once (customers and their
  // counterfactuals), with exactly the results of scoring and explaining them one by one.
  const explained = workers
    ? await explainBeside(loyalty.model, inputs, ds.currency)
    : explainMany(loyalty.model, inputs, { currency: ds.currency });
  const levels = loyalty.model.levels;
  const probabilities: Record<string, number[]> = Object.fromEntries(levels.map((l) => [l, []]));
  const columns: CustomerModelColumns = {
    cluster: segmentation.clusters.map((c) => segmentation.names[c]),
    loyalty_level: [],
    probabilities,
    score: [],
    band: [],
    reasons: [],
  };
  explained.forEach(({ result: r, reasons }, i) => {
    if (!r.ok) {
      const why = r.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
      throw new Error(`customer ${current.customer_id[i]} cannot be scored: ${why}`);
    }
    const ok = r as ScoreOk;
    columns.loyalty_level.push(ok.level);
    for (const l of levels) probabilities[l].push(ok.probabilities[l]);
    columns.score.push(ok.score);
    columns.band.push(ok.band);
    columns.reasons!.push(reasonsLine(reasons));
  });
  onStage("score customers", `${explained.length.toLocaleString("en-GB")} customers scored`);

  const bandCounts = loyalty.model.score.bands.map((b) => ({
    band: b.name,
    customers: columns.band.filter((x) => x === b.name).length,
  }));
  const { scaler: _scaler, ...segReport } = segmentation;
  const today = todayVsTraining(loyalty, current, columns.score);
  const notes = [
    ...segmentation.notes,
    ...segmentClassifier.notes,
    ...loyalty.evaluation.notes,
  ];
  const metrics = {
    dataset: ds.id,
    // Warnings about the data behind the models (a level with very few customers) and what was
    // adjusted to fit it (k capped at the distinct customers); both also on standard error.
    warnings: forward.warnings ?? [],
    notes,
    features: cfg.features,
    logFeatures: cfg.logFeatures,
    seed: cfg.seed,
    segmentation: { ...segReport, clusters: undefined },
    segmentClassifier,
    originalProject: ORIGINAL_PROJECT,
    loyalty: {
      cutoff: forward.cutoff,
      windowEnd: forward.windowEnd,
      levelRule: {
        levels,
        occasionalMinInvoices: cfg.forward.occasionalMinInvoices,
        loyalMinInvoices: cfg.forward.loyalMinInvoices,
        text: `${levels[0]}: no purchase in the window; ${
          levels[1]
        }: ${cfg.forward.occasionalMinInvoices}–${cfg.forward.loyalMinInvoices - 1} invoices; ${
          levels[2]
        }: ${cfg.forward.loyalMinInvoices} or more invoices`,
      },
      customersAtCutoff: forward.features.customer_id.length,
      ...loyalty.evaluation,
      // Per snapshot, what cleaning as of its cutoff kept that the whole-log cleaning dropped.
      snapshots: ev.snapshots.map((sn, i) => ({
        ...sn,
        asOfCleaning: forward.snapshots[i].asOfCleaning,
      })),
      todayVsTraining: today,
    },
    // RFM segments × predicted levels, with the cells where the two contradict each other.
    segmentLevels: segmentLevelConflicts(current.rfm_segment, columns.loyalty_level, undefined, {
      levels,
    }),
    // How customers moved between RFM segments from the cutoff (segments from the lines kept by
    // the cleaning as of the cutoff, with the same bins and guards) to the analysis date.
    segmentMigration: {
      fromDate: forward.cutoff,
      ...migrationMatrix(
        { ids: forward.features.customer_id, segments: forward.features.rfm_segment },
        { ids: current.customer_id, segments: current.rfm_segment },
        SEGMENT_RULES.map((r) => r.name),
        NOT_YET_A_CUSTOMER,
      ),
    },
    currentScores: {
      customers: current.customer_id.length,
      bands: bandCounts,
      levels: levels.map((l) => ({
        level: l,
        customers: columns.loyalty_level.filter((x) => x === l).length,
      })),
    },
  };
  for (const note of notes) console.error(`note: ${note}`);
  const model = {
    ...loyalty.model,
    dataset: ds.id,
    currency: ds.currency,
    trainingFingerprint: trainingFingerprint(loyalty.model),
    trainedOn: `${ev.split.trainRows} rows of ${ev.split.train} training customers at ` +
      `${ev.snapshots.length} cutoff(s) (${ev.snapshots.map((s) => s.cutoff).join(", ")}), ` +
      `look-back ${forward.lookbackDays} days`,
    libraries: versions,
  };
  return { segmentation, segmentClassifier, loyalty, columns, metrics, model };
}

/** Options of {@link modelStage}. */
export interface ModelStageOptions {
  /**
   * Run K-Means with the segment classifier, the loyalty baselines, about half of the
   * feature-weight trials and the last 38 % of the scoring in workers, beside the KNN tuning on
   * this thread (default true). The result is the same either way, bit for bit; false runs
   * everything on this thread.
   */
  workers?: boolean;
  /**
   * K-Means and the segment classifier of `current`, already started in a worker
   * ({@link segmentInWorker}; the build starts it before the forward data are computed).
   */
  segmented?: Promise<Segmented>;
}

/**
 * Starts {@link segmentAndClassify} in a worker (a `ModelStageSkipped` comes back as one).
 *
 * @param signal ends the worker early (when the run stops before it needs the segments)
 */
export function segmentInWorker(
  current: CustomerArrays,
  cfg: DatasetConfig["model"],
  signal?: AbortSignal,
): Promise<Segmented> {
  return inWorker<Segmented>(SELF, "segmentAndClassify", [current, cfg], {
    errors: SKIPPED,
    signal,
  });
}

/** This module and the loyalty model's, for the workers. */
const SELF = new URL(import.meta.url);
const LOYALTY = new URL("../model/loyalty.ts", import.meta.url);
const KNN_TUNING = new URL("../model/knn_tuning.ts", import.meta.url);
const REASONS = new URL("../score/reasons.ts", import.meta.url);
/** The error a worker's segmentation may throw that the build handles (RFM outputs only). */
const SKIPPED = { ModelStageSkipped };

/** K-Means segments and the segment classifier that predicts them. */
export interface Segmented {
  segmentation: Segmentation;
  segmentClassifier: SegmentClassifier;
}

/**
 * The K-Means segments of the current customers and the classifier that predicts them (the part of
 * {@link modelStage} that does not depend on the loyalty model; run in a worker by the build).
 * `onStage` gets a line after each of the two fits (a worker calls it without one).
 *
 * @throws {ModelStageSkipped} when the customers are too few or all alike
 */
export function segmentAndClassify(
  current: CustomerArrays,
  cfg: DatasetConfig["model"],
  onStage: (stage: string, detail: string) => void = () => {},
): Segmented {
  const segmentation = segmentCustomers(current, cfg);
  onStage("k-means", kmeansDetail(segmentation));
  const segmentClassifier = fitSegmentClassifier(current, segmentation, cfg);
  onStage("segment classifier", classifierDetail(segmentClassifier));
  return { segmentation, segmentClassifier };
}

/**
 * A worker that keeps its own `weightTrials` of one weight search's data, folds and options
 * (sent once) and evaluates the trials the search shares with it.
 */
function trialsInWorker(...args: Parameters<typeof weightTrials>): TrialsElsewhere {
  const worker = new WorkerSession(KNN_TUNING, { make: { fn: "weightTrials", args } });
  return {
    evaluate: (trials) => worker.call<number[]>("evaluateAll", [trials]),
    close: () => worker.close(),
  };
}

/**
 * Share of the customers that {@link explainBeside} scores on this thread: the neighbour search
 * is already compiled here by the KNN tuning, while a new worker compiles it as it goes (CDNOW,
 * measured: about 0.19 ms per customer here against 0.31 ms in a fresh worker, so a 62/38 split
 * ends both parts together). Only the time depends on it, never the result.
 */
const MAIN_SHARE = 0.62;

/**
 * {@link explainMany} of `inputs`, the last part in a worker while this thread does the first:
 * each customer's score and reasons do not depend on the others in the batch, so the parts
 * joined are the whole batch's result.
 */
async function explainBeside(
  model: LoyaltyModel,
  inputs: Record<string, number>[],
  currency: string,
): Promise<ReturnType<typeof explainMany>> {
  const half = Math.ceil(inputs.length * MAIN_SHARE);
  const second = inWorker<ReturnType<typeof explainMany>>(REASONS, "explainMany", [
    model,
    inputs.slice(half),
    { currency },
  ]);
  second.catch(() => {});
  const first = explainMany(model, inputs.slice(0, half), { currency });
  return [...first, ...await second];
}

/**
 * How today's customers compare with the training rows: per model feature the share outside the
 * training range and the population stability index, and the PSI of today's scores against the
 * held-out customers' scores (0.1: moderate, 0.25: significant shift).
 */
function todayVsTraining(
  loyalty: LoyaltyFit,
  current: CustomerArrays,
  scores: readonly number[],
) {
  const features = loyalty.model.features.map((f) =>
    featureShift(f, loyalty.trainingValues[f], current.columns[f])
  );
  return roundDeep({
    thresholds: { moderate: PSI_MODERATE, significant: PSI_SIGNIFICANT },
    trainingRows: loyalty.evaluation.split.trainRows,
    customersToday: current.customer_id.length,
    features,
    score: { reference: "held-out customers", ...scoreShift(loyalty.heldOut.score, scores) },
  });
}

/** The build log's line for the segment classifier. */
function classifierDetail(c: SegmentClassifier): string {
  return `held-out accuracy ${c.test.accuracy.toFixed(3)}`;
}

/** The build log's line for the K-Means fit: the chosen k and its silhouette. */
function kmeansDetail(segmentation: Segmentation): string {
  const chosen = segmentation.sweep.find((r) => r.k === segmentation.chosenK);
  return `k = ${segmentation.chosenK}, silhouette ${chosen?.silhouette?.toFixed(3)}`;
}

/** What {@link segmentationStage} produced: the K-Means segments of a customer table. */
export interface SegmentationOnly {
  /** Segment name per customer, in the order of the customers given. */
  cluster: string[];
  /** `metrics.json` of such a dataset: the segmentation, and why there is no loyalty model. */
  metrics: Record<string, unknown>;
}

/**
 * The part of the model stage that a customer table (`format: "customers"`: one row per
 * customer, no purchase history) supports: the K-Means segments of {@link modelStage}, on the
 * same whole-history features with the same settings and seed. The loyalty model needs
 * snapshots of the history at earlier cutoffs and is left out, with `loyaltySkipped` as the
 * reason in the metrics.
 *
 * @param ds dataset configuration (`model.features`, `model.kmeans`, seed)
 * @param current the customer table's customers (whole-history RFM features, RFM segments)
 * @param loyaltySkipped why the loyalty model does not run
 * @param onStage called after the fit with its name and a detail line
 * @throws {ModelStageSkipped} when a segmentation feature is not a column of the table, or the
 *   customers are too few or all alike
 */
export function segmentationStage(
  ds: DatasetConfig,
  current: CustomerArrays,
  loyaltySkipped: string,
  onStage: (stage: string, detail: string) => void = () => {},
): SegmentationOnly {
  const cfg = ds.model;
  const missing = cfg.features.filter((f) => !current.columns[f]);
  if (missing.length) {
    throw new ModelStageSkipped(
      `the segmentation features ${missing.join(", ")} are not columns of the customer table ` +
        `(it has ${Object.keys(current.columns).join(", ")})`,
    );
  }
  checkCustomerCount(
    current.customer_id.length,
    cfg.knn.folds,
    cfg.knn.testShare,
    "customers to segment",
  );
  const segmentation = segmentCustomers(current, cfg);
  onStage("k-means", kmeansDetail(segmentation));
  const { scaler: _scaler, ...segReport } = segmentation;
  return {
    cluster: segmentation.clusters.map((c) => segmentation.names[c]),
    metrics: {
      dataset: ds.id,
      notes: segmentation.notes,
      features: cfg.features,
      logFeatures: cfg.logFeatures,
      seed: cfg.seed,
      segmentation: { ...segReport, clusters: undefined },
      loyalty: { skipped: loyaltySkipped },
    },
  };
}
