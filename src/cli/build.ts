/**
 * `deno task build [--dataset <id | path/to/dataset.json>] [--no-site] [--out DIR]`: the main job.
 *
 * Resolves the data files, then runs ingest → clean → RFM → models, writes every analysis output
 * all-or-nothing, then builds the report site. Prints the time of each stage. `--out DIR` writes
 * the outputs below DIR instead of the workspace (verify uses it); `--no-site` skips the site.
 *
 * @module
 */
import pl from "nodejs-polars";
import { isAbsolute } from "node:path";
import { resolveDataset } from "../acquire.ts";
import { loadSelectedDataset, parseDatasetArg } from "./args.ts";
import {
  customerOutputTable,
  forwardData,
  ingestAndClean,
  preflight,
  Progress,
  rfmStage,
  stageCoreOutputs,
  toArrays,
} from "../pipeline.ts";
import { modelStage } from "../modelstage.ts";
import { OutputSet } from "../outputs.ts";
import { buildResults } from "../results.ts";
import { buildManifest, gitState, lockedVersions } from "../manifest.ts";
import type { DatasetConfig } from "../config.ts";

/** Workspace root. */
export const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

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

  const lockText = await Deno.readTextFile(`${ROOT}/package-lock.json`);
  const packages = lockedVersions(lockText);
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

async function main(args: string[]): Promise<void> {
  const { rest } = parseDatasetArg(args);
  const noSite = rest.includes("--no-site");
  const outIdx = rest.indexOf("--out");
  const outRoot = outIdx >= 0 ? rest[outIdx + 1] : undefined;
  const unknown = rest.filter((a, i) =>
    a !== "--no-site" && a !== "--out" && !(outIdx >= 0 && i === outIdx + 1)
  );
  if (unknown.length) {
    throw new Error(`unknown argument(s): ${unknown.join(" ")} (see README: Tasks)`);
  }
  if (outIdx >= 0 && !outRoot) throw new Error("--out needs a folder");
  const ds = await loadSelectedDataset(args, ROOT);
  console.error(`dataset ${ds.id}: ${ds.title}`);
  const start = performance.now();
  const analysis = await runAnalysis(ds, { outRoot });
  if (!noSite && outRoot === undefined) {
    const { buildSite } = await import("../../notebooks/site.ts");
    const datasetArg = parseDatasetArg(args).dataset;
    const plan = await buildSite({ dataset: datasetArg, quiet: true });
    analysis.progress.done("site", plan.site.replace(ROOT + "/", ""));
  }
  console.error(`build finished in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`build failed: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
