/**
 * `deno task score [--model path/to/model.json] [--dataset <id | path.json>] [--as-of DATE]
 * [--out DIR] [--fail-on-drift]`
 *
 * Batch scoring of a transaction export with a saved model, without retraining
 * (`src/pipeline/batch.ts`): same ingest and cleaning as the build, features as of the export's
 * analysis date (or `--as-of`), every customer scored. Writes the scored customer table (CSV and
 * Parquet) and a summary JSON, to the dataset's output folders or `--out DIR`; prints the PSI
 * per feature and for the score, with a warning for each one at 0.1 or more.
 *
 * `--model` defaults to the dataset's own `model.json`. Exit codes: 0 done (drift warnings
 * included), 1 failure (the model refused, data errors), 2 usage error, 3 significant drift
 * with `--fail-on-drift` (the outputs are still written).
 *
 * @module
 */
import { loadDataset } from "../config/registry.ts";
import { parseOptions, runMain, UsageError } from "../lib/args.ts";
import { display, fromRoot } from "../lib/paths.ts";
import {
  batchOutputPaths,
  driftLines,
  readSavedModel,
  scoreExport,
  writeBatchOutputs,
} from "../pipeline/batch.ts";

const USAGE = "deno task score [--model path/to/model.json] [--dataset <id | path.json>] " +
  "[--as-of YYYY-MM-DD] [--out DIR] [--fail-on-drift]";

async function main(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    model: { type: "string" },
    dataset: { type: "string" },
    "as-of": { type: "string" },
    out: { type: "string" },
    "fail-on-drift": { type: "boolean", default: false },
  }, USAGE);
  if (values.out === "") throw new UsageError("--out needs a folder", USAGE);
  const ds = await loadDataset(values.dataset ?? null);
  const modelPath = values.model !== undefined
    ? fromRoot(values.model, Deno.cwd())
    : fromRoot(`${ds.outputs.reports}/model.json`);
  const saved = await readSavedModel(modelPath);
  console.error(
    `scoring dataset ${ds.id} with ${display(modelPath)} (model of ${
      saved.file.info.dataset ?? "an unnamed dataset"
    }, sha256 ${saved.fingerprint.slice(0, 12)})`,
  );
  const scores = await scoreExport(ds, saved, { asOf: values["as-of"] ?? null });
  const paths = batchOutputPaths(ds, values.out);
  const written = await writeBatchOutputs(scores, paths);
  for (const line of driftLines(scores.drift)) console.error(line);
  console.error(
    `scored ${scores.table.height - scores.failed} of ${scores.table.height} customers as of ` +
      `${scores.analysisDate}` +
      (scores.failed ? ` (${scores.failed} could not be scored: see scoring_error)` : "") +
      `; wrote ${written.map((p) => display(p)).join(", ")}`,
  );
  return values["fail-on-drift"] && scores.drift.level === "significant" ? 3 : 0;
}

if (import.meta.main) await runMain("score", main);
