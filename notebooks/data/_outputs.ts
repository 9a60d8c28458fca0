/**
 * Shared helpers of the site's data loaders: where the analysis outputs are, reading them, and
 * printing a loader's result.
 *
 * Loaders stay thin: they read the outputs of `deno task build` (JSON/CSV under the reports
 * folder, Parquet under the processed folder) or call pure src/ functions, and print one file.
 * Which outputs they read comes from the site build's context (`src/site/context.ts`), so the
 * same notebooks build the report of any dataset.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DatasetConfig } from "../../src/config/dataset.ts";
import { display, ROOT } from "../../src/lib/paths.ts";
import { readSiteContext } from "../../src/site/context.ts";

export { ROOT };

/** Where a loader finds its inputs. */
export interface OutputDirs {
  /** Absolute reports folder. */
  reports: string;
  /** Absolute processed-tables folder. */
  processed: string;
  /** The dataset configuration, or null when it cannot be found. */
  dataset: DatasetConfig | null;
  /** A path relative to the repository root, for display. */
  display(path: string): string;
}

/** Reads a JSON file, or returns null when it does not exist. */
export function readJsonIfExists<T = unknown>(path: string): T | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as T;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Reads a JSON output that must exist; the message says how to produce it. */
export function readRequiredJson<T = unknown>(path: string): T {
  const v = readJsonIfExists<T>(path);
  if (v === null) {
    throw new Error(`${path} is missing: run the analysis first (npx deno task build)`);
  }
  return v;
}

/** Resolves the output folders and the dataset from the site build's context. */
export async function outputDirs(): Promise<OutputDirs> {
  const { context, dataset } = await readSiteContext();
  return {
    reports: context.reports,
    processed: context.processed,
    dataset,
    display: (p: string) => display(p),
  };
}

/** Prints a loader's result as JSON on standard output (the file Framework serves). */
export function emit(value: unknown): void {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(value)));
}

/** Rounds to a number of significant digits (smaller JSON, no false precision). */
export function sig(x: number | null, digits = 6): number | null {
  return x === null || !Number.isFinite(x) ? x : Number(x.toPrecision(digits));
}

/**
 * Reads `<processed>/customers.parquet` (optionally only some columns); a missing table is an
 * error that says how to produce it.
 */
export function readCustomers(dirs: OutputDirs, columns?: string[]): pl.DataFrame {
  const path = `${dirs.processed}/customers.parquet`;
  try {
    return columns ? pl.readParquet(path, { columns }) : pl.readParquet(path);
  } catch (e) {
    throw new Error(
      `${path}: ${(e as Error).message} (run the analysis first: npx deno task build)`,
    );
  }
}
