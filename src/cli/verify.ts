/**
 * `deno task verify [--dataset <id | path.json> | --all] [--update] [--tolerance 1e-9]`
 *
 * Rebuilds the analysis from the raw files in a fresh temporary folder and compares its
 * `results.json` with the committed one; prints a table of every figure that differs and exits 1,
 * or a one-line summary and exits 0 (see `src/pipeline/verify.ts`). `--all` verifies every
 * dataset of the registry. Exit code 2 for a usage or configuration error.
 *
 * @module
 */
import { loadDataset, loadRegistry } from "../config/registry.ts";
import { parseOptions, runMain } from "../lib/args.ts";
import { DEFAULT_TOLERANCE } from "../report/compare.ts";
import { verifyDataset } from "../pipeline/verify.ts";

const USAGE =
  "deno task verify [--dataset <id | path/to/dataset.json> | --all] [--update] [--tolerance N]";

async function main(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    dataset: { type: "string" },
    all: { type: "boolean", default: false },
    update: { type: "boolean", default: false },
    tolerance: { type: "string" },
  }, USAGE);
  const tolerance = values.tolerance === undefined ? DEFAULT_TOLERANCE : Number(values.tolerance);
  if (!(tolerance >= 0)) throw new Error("--tolerance needs a non-negative number");
  if (values.all && values.dataset !== undefined) {
    throw new Error("--all and --dataset exclude each other");
  }
  const datasets = values.all
    ? (await loadRegistry()).datasets
    : [await loadDataset(values.dataset ?? null)];
  let ok = true;
  for (const ds of datasets) {
    ok = (await verifyDataset(ds, { update: values.update, tolerance })) && ok;
  }
  return ok ? 0 : 1;
}

if (import.meta.main) await runMain("verify", main, 2);
