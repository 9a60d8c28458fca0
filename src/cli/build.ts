/**
 * `deno task build [--dataset <id | path/to/dataset.json>] [--engine polars|duckdb] [--no-site]
 * [--out DIR] [--until rfm] [--allow-outside-workspace]`: the main job.
 *
 * Resolves the data files, runs the analysis (ingest → clean → RFM → models,
 * `src/pipeline/run.ts`), builds the report site from the new outputs (`src/site/framework.ts`)
 * and publishes outputs and site together with one rename (`src/lib/store.ts`): a failed or
 * killed build leaves the previous outputs and site as they were. `--out DIR` writes the analysis
 * outputs below DIR instead of the workspace and builds no site; `--no-site` publishes the
 * analysis without a site. `--until rfm` stops after the customer table: it publishes the clean
 * lines, the quarantine, the cleaning report, the RFM table, results and manifest, and no models
 * and no site (for RFM alone on large data, and for timing the data stage). When the data
 * supports RFM but not the models (one loyalty level, a window the data does not cover), the
 * build publishes the same RFM-only outputs, says why the model stage was skipped and that no
 * site was built, and exits 0. Output folders outside the workspace (and outside the dataset file's
 * folder) or system folders are refused unless `--allow-outside-workspace` is given.
 * `--engine` runs the data stage on another engine than the dataset's `engine` (polars, or the
 * generated SQL on DuckDB: `src/pipeline/duckdb_stage.ts`).
 *
 * @module
 */
import { loadDataset } from "../config/registry.ts";
import { ENGINES } from "../config/dataset_schema.ts";
import { parseOptions, runMain } from "../lib/args.ts";
import { display } from "../lib/paths.ts";
import { Progress } from "../pipeline/progress.ts";
import { runAnalysis, STREAM_MODES, type StreamMode, UNTIL, type Until } from "../pipeline/run.ts";
import { buildSite, siteBusy } from "../site/framework.ts";

const USAGE = "deno task build [--dataset <id | path/to/dataset.json>] [--engine polars|duckdb] " +
  "[--no-site] [--out DIR] [--until rfm] [--stream auto|on|off] [--allow-outside-workspace]";

async function main(args: string[]): Promise<void> {
  const { values } = parseOptions(args, {
    dataset: { type: "string" },
    "no-site": { type: "boolean", default: false },
    out: { type: "string" },
    until: { type: "string" },
    engine: { type: "string" },
    stream: { type: "string", default: "auto" },
    "allow-outside-workspace": { type: "boolean", default: false },
  }, USAGE);
  if (values.out === "") throw new Error("--out needs a folder");
  const until = values.until;
  if (until !== undefined && !(UNTIL as readonly string[]).includes(until)) {
    throw new Error(`--until must be one of ${UNTIL.join(", ")}, got "${until}"\nusage: ${USAGE}`);
  }
  const engine = values.engine;
  if (engine !== undefined && !(ENGINES as readonly string[]).includes(engine)) {
    throw new Error(
      `--engine must be one of ${ENGINES.join(", ")}, got "${engine}"\nusage: ${USAGE}`,
    );
  }
  const stream = values.stream;
  if (!(STREAM_MODES as readonly string[]).includes(stream)) {
    throw new Error(
      `--stream must be one of ${STREAM_MODES.join(", ")}, got "${stream}"\nusage: ${USAGE}`,
    );
  }
  const selector = values.dataset ?? null;
  const loaded = await loadDataset(selector);
  const ds = engine ? { ...loaded, engine: engine as typeof loaded.engine } : loaded;
  console.error(`dataset ${ds.id}: ${ds.title} (engine ${ds.engine})`);
  const siteWanted = !values["no-site"] && values.out === undefined;
  const withSite = siteWanted && until === undefined;
  if (withSite) {
    // Stop now rather than after the analysis when the site cannot be built.
    const busy = await siteBusy();
    if (busy) throw new Error(busy);
  }
  const start = performance.now();
  const allowOutside = values["allow-outside-workspace"];
  const progress = new Progress();
  const result = await runAnalysis(ds, {
    outRoot: values.out,
    until: until as Until | undefined,
    stream: stream as StreamMode,
    progress,
    allowOutside,
    withSite,
    beforePublish: withSite
      ? async (set) => {
        const plan = await buildSite({
          dataset: ds,
          selector: selector ?? undefined,
          into: set,
          allowOutside,
          quiet: true,
        });
        progress.done("site", `for ${display(plan.site)}`);
      }
      : undefined,
  });
  if (result.modelStage.status === "skipped") {
    console.error(
      `published the RFM outputs only (no models${
        siteWanted ? "; no site was built, as the site needs the models" : ""
      }${until ? "" : "; the reason is in results.json and manifest.json"})`,
    );
  }
  console.error(`build finished in ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

if (import.meta.main) await runMain("build", main);
