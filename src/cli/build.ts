/**
 * `deno task build [--dataset <id | path/to/dataset.json>] [--no-site] [--out DIR]`: the main job.
 *
 * Resolves the data files, runs the analysis (ingest → clean → RFM → models) and writes every
 * output all-or-nothing (`src/pipeline/run.ts`), then builds the report site
 * (`src/site/framework.ts`). `--out DIR` writes the analysis outputs below DIR instead of the
 * workspace and builds no site; `--no-site` skips the site.
 *
 * @module
 */
import { loadDataset } from "../config/registry.ts";
import { parseOptions } from "../lib/args.ts";
import { display } from "../lib/paths.ts";
import { runAnalysis } from "../pipeline/run.ts";
import { buildSite } from "../site/framework.ts";

const USAGE = "deno task build [--dataset <id | path/to/dataset.json>] [--no-site] [--out DIR]";

async function main(args: string[]): Promise<void> {
  const { values } = parseOptions(args, {
    dataset: { type: "string" },
    "no-site": { type: "boolean", default: false },
    out: { type: "string" },
  }, USAGE);
  if (values.out === "") throw new Error("--out needs a folder");
  const selector = values.dataset ?? null;
  const ds = await loadDataset(selector);
  console.error(`dataset ${ds.id}: ${ds.title}`);
  const start = performance.now();
  const analysis = await runAnalysis(ds, { outRoot: values.out });
  if (!values["no-site"] && values.out === undefined) {
    const plan = await buildSite({ dataset: ds, selector: selector ?? undefined, quiet: true });
    analysis.progress.done("site", display(plan.site));
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
