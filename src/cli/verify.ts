/**
 * `deno task verify [--dataset <id | path.json> | --all] [--update] [--tolerance 1e-9]`
 *
 * Rebuilds the analysis from the raw files in a fresh temporary directory and compares its
 * `results.json` with the committed one (`<outputs.reports>/results.json`): integers exactly,
 * other numbers within a relative tolerance (default 1e-9), text exactly. Prints a table of
 * every figure that differs (expected, got) and exits 1, or a one-line summary and exits 0.
 * `--update` writes the rebuilt results over the committed file instead, so that a legitimate
 * change shows up as a reviewable diff. `--all` verifies every dataset of the registry.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { loadSelectedDataset, parseDatasetArg } from "./args.ts";
import { ROOT, runAnalysis } from "./build.ts";
import { Progress } from "../pipeline.ts";
import { compareResults, DEFAULT_TOLERANCE, formatDifferences } from "../verify.ts";
import { readJson, writeJsonAtomic } from "../io.ts";
import { parseRegistry } from "../config.ts";

async function verifyOne(args: string[], update: boolean, tolerance: number): Promise<boolean> {
  const ds = await loadSelectedDataset(args, ROOT);
  const committedPath = resolve(ROOT, ds.outputs.reports, "results.json");
  const tmp = await Deno.makeTempDir({ prefix: `verify-${ds.id}-` });
  try {
    console.error(`verify ${ds.id}: rebuilding from the raw files in ${tmp}`);
    const { results } = await runAnalysis(ds, { outRoot: tmp, progress: new Progress(() => {}) });
    if (update) {
      await writeJsonAtomic(committedPath, results);
      console.log(
        `verify ${ds.id}: wrote ${
          committedPath.replace(ROOT + "/", "")
        } (review the diff, then commit it)`,
      );
      return true;
    }
    let expected: unknown;
    try {
      expected = await readJson(committedPath);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        console.log(
          `verify ${ds.id}: no committed ${
            committedPath.replace(ROOT + "/", "")
          }; run with --update to create it`,
        );
        return false;
      }
      throw e;
    }
    const cmp = compareResults(expected, results, tolerance);
    if (cmp.differences.length === 0) {
      console.log(
        `verify ${ds.id}: OK, all ${cmp.compared} figures match ${
          committedPath.replace(ROOT + "/", "")
        } ` +
          `(integers exactly, other numbers within ${tolerance} relative)`,
      );
      return true;
    }
    console.log(`verify ${ds.id}: ${cmp.differences.length} of ${cmp.compared} figures differ:\n`);
    console.log(formatDifferences(cmp.differences));
    console.log(
      `\nIf the change is intended, run: npx deno task verify --dataset ${ds.id} --update`,
    );
    return false;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

async function main(args: string[]): Promise<number> {
  const { rest } = parseDatasetArg(args);
  const update = rest.includes("--update");
  const all = rest.includes("--all");
  const tIdx = rest.indexOf("--tolerance");
  const tolerance = tIdx >= 0 ? Number(rest[tIdx + 1]) : DEFAULT_TOLERANCE;
  if (!(tolerance >= 0)) throw new Error("--tolerance needs a non-negative number");
  const known = new Set(["--update", "--all", "--tolerance"]);
  const unknown = rest.filter((a, i) => !known.has(a) && !(tIdx >= 0 && i === tIdx + 1));
  if (unknown.length) throw new Error(`unknown argument(s): ${unknown.join(" ")}`);
  let ok = true;
  if (all) {
    const registry = parseRegistry(
      await readJson(join(ROOT, "data", "datasets.json")),
      join(ROOT, "data"),
    );
    for (const ds of registry.datasets) {
      ok = (await verifyOne(["--dataset", ds.id], update, tolerance)) && ok;
    }
  } else {
    ok = await verifyOne(args, update, tolerance);
  }
  return ok ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`verify failed: ${(e as Error).message}`);
    Deno.exit(2);
  }
}
