/**
 * Batch scoring of a new transaction export with a saved model (no refit): the files go through
 * the same resolution, ingest and cleaning as a build, the customer features are computed as of
 * the export's analysis date exactly as the build computes them for its own customers, and every
 * customer is scored with the saved model by the one scoring module (`scoreMany`).
 *
 * The model is refused when its format version or its feature set does not match (the dataset
 * description's `model.features`), with a message saying which. The new population is compared
 * with the model's training population (PSI per feature and for the score,
 * `src/score/drift.ts`); drift is reported, never silently ignored.
 *
 * Outputs (all-or-nothing): the scored customer table as CSV and Parquet — the customer table's
 * columns, then `loyalty_level`, `p_<level>` per level, `score`, `band`, `reasons` (the top
 * reasons for the score in one line, as the build's customer table words them:
 * `src/score/reasons.ts`), the RFM segment's recommended `action` and `scoring_error` (empty
 * unless the customer could not be scored) — and a summary JSON (model fingerprint, analysis
 * date, counts, drift).
 *
 * @module
 */
import pl from "nodejs-polars";
import { join } from "node:path";
import { resolveDataset } from "../acquire/resolve.ts";
import type { DatasetConfig } from "../config/dataset.ts";
import { safeCsv } from "../lib/csv.ts";
import { sha256 } from "../lib/files.ts";
import { display, fromRoot, ROOT } from "../lib/paths.ts";
import { SEGMENT_RULES } from "../rfm/segments.ts";
import { type DriftReport, populationDrift } from "../score/drift.ts";
import { checkFeatureSet, type ModelFile, parseModelFile } from "../score/model_file.ts";
import { scoreMany } from "../score/score.ts";
import { createExplainer, reasonsLine } from "../score/reasons.ts";
import { OutputSet } from "./outputs.ts";
import { Progress } from "./progress.ts";
import { customerOutputTable, ingestAndClean, preflight, rfmStage, toArrays } from "./stages.ts";

/** A model file read from disk and checked. */
export interface SavedModel {
  /** Absolute path. */
  path: string;
  /** sha256 of the file (the scoring service reports the same fingerprint). */
  fingerprint: string;
  /** The checked model and what the file says about itself. */
  file: ModelFile;
}

/**
 * Reads and checks a saved model.
 *
 * @throws {Error} when the file is missing or not valid JSON; {@link ModelFileError} when it is
 *   not a usable model of this format version
 */
export async function readSavedModel(path: string): Promise<SavedModel> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(`model file ${path} does not exist (build one with \`deno task build\`)`);
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return { path, fingerprint: sha256(bytes), file: parseModelFile(json, path) };
}

/** Options of {@link scoreExport}. */
export interface BatchOptions {
  /** Analysis date to compute features as of (ISO); default: the dataset's, else the day after its last transaction. */
  asOf?: string | null;
  /** Progress printer. */
  progress?: Progress;
  /** Workspace root for data resolution (default: this workspace). */
  root?: string;
}

/** The scored export. */
export interface BatchScores {
  /** The dataset as scored (with `asOf` applied). */
  ds: DatasetConfig;
  analysisDate: string;
  /** The scored customer table (see the module description). */
  table: pl.DataFrame;
  /** Customers that could not be scored (their `scoring_error` says why). */
  failed: number;
  drift: DriftReport;
  /** The summary JSON. */
  summary: Record<string, unknown>;
}

/** Columns the batch adds after the customer table's, for a model's levels. */
export function scoredColumns(levels: readonly string[]): string[] {
  return [
    "loyalty_level",
    ...levels.map((l) => `p_${l}`),
    "score",
    "band",
    "reasons",
    "action",
    "scoring_error",
  ];
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Scores a dataset's transaction files with a saved model.
 *
 * @param dataset the export's dataset description
 * @param saved the saved model ({@link readSavedModel})
 * @param options analysis date, progress, root
 * @throws {ModelFileError} when the model's features differ from the dataset's `model.features`
 */
export async function scoreExport(
  dataset: DatasetConfig,
  saved: SavedModel,
  options: BatchOptions = {},
): Promise<BatchScores> {
  const { model, info } = saved.file;
  // A version-2 model uses a subset of the dataset's look-back candidates (the tuning may drop
  // some); a version-1 model used the dataset's whole-history features.
  const offered = model.version === 2 ? dataset.model.loyalty.features : dataset.model.features;
  const missing = model.features.filter((f) => !offered.includes(f));
  if (missing.length > 0) {
    checkFeatureSet(
      model,
      offered,
      `the dataset description of "${dataset.id}"`,
      display(saved.path),
    );
  }
  if (options.asOf !== undefined && options.asOf !== null && !ISO_DATE.test(options.asOf)) {
    throw new Error(`the analysis date must be an ISO date (YYYY-MM-DD), got "${options.asOf}"`);
  }
  const dated: DatasetConfig = options.asOf ? { ...dataset, analysisDate: options.asOf } : dataset;
  const progress = options.progress ?? new Progress();
  // The look-back features are computed over the model's look-back, whatever the export's
  // description says: the model learned its features over that window.
  const lookback = model.version === 2 ? model.lookbackDays : undefined;
  const ds: DatasetConfig = lookback !== undefined && lookback !== dated.model.loyalty.lookbackDays
    ? {
      ...dated,
      model: { ...dated.model, loyalty: { ...dated.model.loyalty, lookbackDays: lookback } },
    }
    : dated;
  if (ds !== dated) {
    console.error(
      `note: features over the model's look-back of ${lookback} days (the description of ` +
        `"${dataset.id}" says ${dated.model.loyalty.lookbackDays})`,
    );
  }
  const sources = await resolveDataset(ds, {
    root: options.root ?? ROOT,
    log: (m) => console.error(m),
  });
  progress.done(
    "data",
    `${sources.length} file(s): ${sources.map((s) => `${s.file.name} (${s.origin})`).join(", ")}`,
  );
  preflight(ds, sources);
  const cleaned = ingestAndClean(ds, sources, progress);
  const rfm = rfmStage(ds, cleaned.kept, progress, cleaned.quarantine);

  // The inputs exactly as the build scores its own customers (src/pipeline/model_stage.ts).
  const current = toArrays(rfm.customers, rfm.scores.rfm_segment);
  const inputs = current.customer_id.map((_, i) =>
    Object.fromEntries(model.features.map((f) => [f, current.columns[f][i]]))
  );
  const results = scoreMany(model, inputs);
  const levels = model.levels;
  const level: (string | null)[] = [];
  const probs: Record<string, (number | null)[]> = Object.fromEntries(levels.map((l) => [l, []]));
  const score: (number | null)[] = [];
  const band: (string | null)[] = [];
  const reasons: (string | null)[] = [];
  const errors: (string | null)[] = [];
  // the build's wording: money in the dataset's currency
  const explain = createExplainer(model, { currency: ds.currency });
  const okRows: number[][] = [];
  const okScores: number[] = [];
  results.forEach((r, i) => {
    if (r.ok) {
      level.push(r.level);
      for (const l of levels) probs[l].push(r.probabilities[l]);
      score.push(r.score);
      band.push(r.band);
      reasons.push(reasonsLine(explain(inputs[i])));
      errors.push(null);
      okRows.push(model.features.map((f) => inputs[i][f]));
      okScores.push(r.score);
    } else {
      level.push(null);
      for (const l of levels) probs[l].push(null);
      score.push(null);
      band.push(null);
      reasons.push(null);
      errors.push(r.errors.map((e) => e.message).join("; "));
    }
  });
  const failed = errors.filter((e) => e !== null).length;
  progress.done(
    "score customers",
    `${(results.length - failed).toLocaleString("en-GB")} scored` +
      (failed ? `, ${failed.toLocaleString("en-GB")} could not be scored` : ""),
  );
  const actionOf = new Map(SEGMENT_RULES.map((r) => [r.name, r.action]));
  const withScores = rfm.customers.withColumns(
    pl.Series("loyalty_level", level, pl.Utf8),
    ...levels.map((l) => pl.Series(`p_${l}`, probs[l], pl.Float64)),
    pl.Series("score", score, pl.Int32),
    pl.Series("band", band, pl.Utf8),
    pl.Series("reasons", reasons, pl.Utf8),
    pl.Series("action", current.rfm_segment.map((s) => actionOf.get(s) ?? null), pl.Utf8),
    pl.Series("scoring_error", errors, pl.Utf8),
  );
  const table = customerOutputTable(withScores, scoredColumns(levels));

  if (okRows.length === 0) throw new Error("no customer could be scored; see scoring_error");
  const drift = populationDrift(model, okRows, okScores);
  progress.done("drift", `worst: ${drift.level}`);

  const count = (values: (string | null)[], names: readonly string[], key: string) =>
    names.map((n) => ({ [key]: n, customers: values.filter((v) => v === n).length }));
  const summary = {
    dataset: ds.id,
    analysisDate: rfm.analysisDate,
    model: {
      path: display(saved.path),
      fingerprint: saved.fingerprint,
      trainingFingerprint: info.trainingFingerprint,
      dataset: info.dataset,
      formatVersion: info.formatVersion,
      cutoff: model.cutoff,
      windowEnd: model.windowEnd,
      features: model.features,
    },
    customers: results.length,
    scored: results.length - failed,
    failed,
    levels: count(level, levels, "level"),
    bands: count(band, model.score.bands.map((b) => b.name), "band"),
    drift,
  };
  return { ds, analysisDate: rfm.analysisDate, table, failed, drift, summary };
}

/** Where the batch outputs go. */
export interface BatchPaths {
  csv: string;
  parquet: string;
  summary: string;
}

/**
 * Output paths: below `outDir` when given, else the dataset's output folders
 * (`<reports>/scored-customers.csv`, `<reports>/scoring.json`,
 * `<processed>/scored-customers.parquet`).
 */
export function batchOutputPaths(ds: DatasetConfig, outDir?: string): BatchPaths {
  if (outDir !== undefined) {
    const dir = fromRoot(outDir, Deno.cwd());
    return {
      csv: join(dir, "scored-customers.csv"),
      parquet: join(dir, "scored-customers.parquet"),
      summary: join(dir, "scoring.json"),
    };
  }
  return {
    csv: fromRoot(`${ds.outputs.reports}/scored-customers.csv`),
    parquet: fromRoot(`${ds.outputs.processed}/scored-customers.parquet`),
    summary: fromRoot(`${ds.outputs.reports}/scoring.json`),
  };
}

/** Writes the batch outputs all-or-nothing; returns the written paths. */
export function writeBatchOutputs(scores: BatchScores, paths: BatchPaths): Promise<string[]> {
  const out = new OutputSet("/");
  out.add(paths.csv, safeCsv(scores.table.writeCSV().toString()));
  out.addWriter(paths.parquet, (tmp) => scores.table.writeParquet(tmp));
  out.addJson(paths.summary, scores.summary);
  return out.commit();
}

/**
 * The drift report as lines for people: one per feature and one for the score, with the PSI and
 * a verdict, then a warning line per drifting item.
 */
export function driftLines(drift: DriftReport): string[] {
  const verdict = (level: string) =>
    level === "significant"
      ? `significant drift (PSI ≥ ${drift.thresholds.significant})`
      : level === "moderate"
      ? `moderate drift (PSI ≥ ${drift.thresholds.moderate})`
      : "stable";
  const rows = [
    ...drift.features.map((f) => ({ name: f.feature, psi: f.psi, level: f.level })),
    { name: "score", psi: drift.score.psi, level: drift.score.level },
  ];
  const lines = [
    `population drift against the model's ${drift.trainingCustomers.toLocaleString("en-GB")} ` +
    `training customers (${drift.newCustomers.toLocaleString("en-GB")} new customers):`,
    ...rows.map((r) =>
      `  ${r.name.padEnd(16)} PSI ${r.psi.toFixed(3).padStart(7)}  ${verdict(r.level)}`
    ),
  ];
  for (const r of rows) {
    if (r.level !== "stable") {
      lines.push(
        `warning: ${r.name} has ${verdict(r.level)}: PSI ${r.psi.toFixed(3)}; the new ` +
          `population differs from the one the model was trained on`,
      );
    }
  }
  return lines;
}
