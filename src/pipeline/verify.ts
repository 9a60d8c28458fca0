/**
 * Verification of committed results: rebuild a dataset's analysis from the raw files in a fresh
 * temporary folder and compare its `results.json` with the committed one (integers exactly, other
 * numbers within a relative tolerance, text exactly). With `update`, the rebuilt results replace
 * the committed file instead, so a legitimate change shows up as a reviewable diff; it holds the
 * reports folder's lock from the start (a build writing that folder refuses to start, and an
 * update is refused at once while a build runs).
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { DatasetConfig } from "../config/dataset.ts";
import { readJson, writeJsonAtomic } from "../lib/files.ts";
import { display, fromRoot } from "../lib/paths.ts";
import { lockOutputFolder } from "../lib/store.ts";
import { compareResults, formatDifferences } from "../report/compare.ts";
import { Progress } from "./progress.ts";
import { runAnalysis } from "./run.ts";

/** Options of {@link verifyDataset}. */
export interface VerifyOptions {
  /** Write the rebuilt results over the committed file instead of comparing. */
  update: boolean;
  /** Relative tolerance for non-integer numbers. */
  tolerance: number;
  /** Where the report lines go (default: console.log). */
  log?: (line: string) => void;
}

/**
 * Rebuilds one dataset in a temporary folder and compares (or updates) its committed results.
 *
 * @returns true when every figure matched (or the file was updated)
 */
export async function verifyDataset(ds: DatasetConfig, options: VerifyOptions): Promise<boolean> {
  const log = options.log ?? ((l: string) => console.log(l));
  const committedPath = join(fromRoot(ds.outputs.reports), "results.json");
  const shown = display(committedPath);
  const lock = options.update ? await lockOutputFolder(dirname(committedPath)) : null;
  const tmp = await Deno.makeTempDir({ prefix: `verify-${ds.id}-` });
  try {
    console.error(`verify ${ds.id}: rebuilding from the raw files in ${tmp}`);
    const { results } = await runAnalysis(ds, { outRoot: tmp, progress: new Progress(() => {}) });
    if (options.update) {
      await writeJsonAtomic(committedPath, results);
      log(`verify ${ds.id}: wrote ${shown} (review the diff, then commit it)`);
      return true;
    }
    let expected: unknown;
    try {
      expected = await readJson(committedPath);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        log(`verify ${ds.id}: no committed ${shown}; run with --update to create it`);
        return false;
      }
      throw e;
    }
    const cmp = compareResults(expected, results, options.tolerance);
    if (cmp.differences.length === 0) {
      log(
        `verify ${ds.id}: OK, all ${cmp.compared} figures match ${shown} ` +
          `(integers exactly, other numbers within ${options.tolerance} relative)`,
      );
      return true;
    }
    log(`verify ${ds.id}: ${cmp.differences.length} of ${cmp.compared} figures differ:\n`);
    log(formatDifferences(cmp.differences));
    log(`\nIf the change is intended, run: npx deno task verify --dataset ${ds.id} --update`);
    return false;
  } finally {
    lock?.release();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
