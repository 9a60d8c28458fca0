/**
 * One analysis run: resolve the data files, then ingest → clean → RFM → models, and commit every
 * output all-or-nothing. The command-line entry points (`build`, `verify`) call {@link runAnalysis};
 * it prints each stage's time through a {@link Progress}.
 *
 * @module
 */
import pl from "nodejs-polars";
import { isAbsolute } from "node:path";
import { resolveDataset } from "../acquire/resolve.ts";
import type { DatasetConfig } from "../config/dataset.ts";
import { ROOT } from "../lib/paths.ts";
import { gitState, readLockedVersions } from "../lib/provenance.ts";
import { buildManifest } from "../report/manifest.ts";
import { buildResults } from "../report/results.ts";
import { modelStage } from "./model_stage.ts";
import { OutputSet } from "./outputs.ts";
import { Progress } from "./progress.ts";
import {
  customerOutputTable,
  forwardData,
  ingestAndClean,
  preflight,
  rfmStage,
  stageCoreOutputs,
  toArrays,
} from "./stages.ts";

/** Options of {@link runAnalysis}. */
export interface AnalysisOptions {
  /** Folder the output paths are relative to (default: the workspace root). */
  outRoot?: string;
  /** Progress printer. */
  progress?: Progress;
}

/** What {@link runAnalysis} produced. */
export interface AnalysisResult {
  ds: DatasetConfig;
  results: Record<string, unknown>;
  written: string[];
  progress: Progress;
}

/** Runs the analysis (no site) for a dataset and commits its outputs. */
export async function runAnalysis(
  dataset: DatasetConfig,
  options: AnalysisOptions = {},
): Promise<AnalysisResult> {
  const outRoot = options.outRoot ?? ROOT;
  // With another output root, absolute output folders are re-rooted below it too, so that a
  // verification build never touches the real outputs.
  const reroot = (p: string) => (options.outRoot && isAbsolute(p) ? p.replace(/^\/+/, "") : p);
  const ds: DatasetConfig = {
    ...dataset,
    outputs: {
      reports: reroot(dataset.outputs.reports),
      processed: reroot(dataset.outputs.processed),
    },
  };
  const progress = options.progress ?? new Progress();
  const sources = await resolveDataset(ds, { root: ROOT, log: (m) => console.error(m) });
  progress.done(
    "data",
    `${sources.length} file(s): ${sources.map((s) => `${s.file.name} (${s.origin})`).join(", ")}`,
  );
  preflight(ds, sources);
  progress.done("preflight", "columns, types and timestamp formats checked on a sample");
  const cleaned = ingestAndClean(ds, sources, progress);
  const rfm = rfmStage(ds, cleaned.kept, progress);

  const packages = await readLockedVersions(ROOT);
  const current = toArrays(rfm.customers, rfm.scores.rfm_segment);
  const forward = forwardData(ds, cleaned.kept);
  progress.done(
    "features at cutoff",
    `${forward.features.customer_id.length} customers before ${forward.cutoff}`,
  );
  const models = modelStage(ds, current, forward, {
    "ml-kmeans": packages["ml-kmeans"],
    "ml-knn": packages["ml-knn"],
    "ml-logistic-regression": packages["ml-logistic-regression"],
  }, (stage, detail) => progress.done(stage, detail));

  const levels = models.loyalty.model.levels;
  const withModels = rfm.customers.withColumns(
    pl.Series("cluster", models.columns.cluster, pl.Utf8),
    pl.Series("loyalty_level", models.columns.loyalty_level, pl.Utf8),
    ...levels.map((l) => pl.Series(`p_${l}`, models.columns.probabilities[l], pl.Float64)),
    pl.Series("score", models.columns.score, pl.Int32),
    pl.Series("band", models.columns.band, pl.Utf8),
  );
  const table = customerOutputTable(withModels, [
    "cluster",
    "loyalty_level",
    ...levels.map((l) => `p_${l}`),
    "score",
    "band",
  ]);

  const out = new OutputSet(outRoot);
  stageCoreOutputs(out, ds, cleaned, rfm, table);
  const R = ds.outputs.reports;
  out.addJson(`${R}/metrics.json`, models.metrics);
  out.addJson(`${R}/model.json`, models.model);
  const results = buildResults(cleaned.report, rfm.summary, models.metrics);
  out.addJson(`${R}/results.json`, results);
  progress.done("assemble outputs", `${out.paths().length} files`);
  const manifest = buildManifest({
    ds,
    inputs: sources.map((s) => ({
      file: s.file.name,
      origin: s.origin,
      sha256: s.sha256,
      rows: cleaned.rowsIn[s.file.name],
    })),
    packages,
    git: await gitState(ROOT),
    stages: progress.stages,
  });
  out.addJson(`${R}/manifest.json`, manifest);
  const written = await out.commit();
  progress.done(
    "write outputs",
    `${written.length} files below ${outRoot === ROOT ? "the workspace" : outRoot}`,
  );
  return { ds, results, written, progress };
}
