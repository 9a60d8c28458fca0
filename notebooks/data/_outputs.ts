/**
 * Shared helpers of the site's data loaders: where the analysis outputs are, reading them, and
 * printing a loader's result (JSON, or an Arrow table).
 *
 * Loaders stay thin: they read the outputs of `deno task build` (JSON/CSV under the reports
 * folder, Parquet under the processed folder) or call pure src/ functions, and print one file.
 * Which outputs they read comes from the site build's context (`src/site/context.ts`), so the
 * same notebooks build the report of any dataset.
 *
 * @module
 */
import pl from "nodejs-polars";
import {
  type DataType,
  dictionary,
  float64,
  int16,
  int32,
  int8,
  tableFromArrays,
  tableToIPC,
  utf8,
} from "@uwdata/flechette";
import type { DatasetConfig } from "../../src/config/dataset.ts";
import { FEATURE_NAMES } from "../../src/config/features.ts";
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
  /**
   * A path relative to the repository root, for display: under the public output folders (a
   * build reads a staged set of the outputs, published under those folders when it succeeds).
   */
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
  // A build reads a staged set of the outputs; readers see them under their public folders.
  const published = context.published;
  const show = (p: string) => {
    if (published) {
      // The longer folder first: the staged processed folder may lie inside the staged reports.
      const pairs = [
        [context.processed, published.processed],
        [context.reports, published.reports],
      ].sort((a, b) => b[0].length - a[0].length);
      const hit = pairs.find(([from]) => p === from || p.startsWith(`${from}/`));
      if (hit) p = hit[1] + p.slice(hit[0].length);
    }
    return display(p);
  };
  return {
    reports: context.reports,
    processed: context.processed,
    dataset,
    display: show,
  };
}

/** Prints a loader's result as JSON on standard output (the file Framework serves). */
export function emit(value: unknown): void {
  writeAll(new TextEncoder().encode(JSON.stringify(value)));
}

/**
 * Prints an optional JSON output of the analysis (one the model stage writes): the file's
 * contents with `available: true` and where it was read from, or, before the stage has run,
 * `{"available": false, "missing": [...]}` so that the site still builds and the pages say the
 * figures are not there (never made up). With `annotate: false` the contents are printed as they
 * are (for a file the pages pass on unchanged, such as the model).
 */
export function emitOutput(dirs: OutputDirs, path: string, { annotate = true } = {}): void {
  const value = readJsonIfExists<Record<string, unknown>>(path);
  if (value === null) emit({ available: false, missing: [dirs.display(path)] });
  else emit(annotate ? { available: true, source: dirs.display(path), ...value } : value);
}

/** Rounds to a number of significant digits (smaller JSON, no false precision). */
export function sig(x: number | null, digits = 6): number | null {
  return x === null || !Number.isFinite(x) ? x : Number(x.toPrecision(digits));
}

/**
 * Reads a processed table, `<processed>/<name>` (optionally only some columns); a missing table
 * is an error that says how to produce it. The one Parquet reader of the loaders.
 */
export function readProcessed(
  dirs: OutputDirs,
  name: string,
  columns?: readonly string[],
): pl.DataFrame {
  const path = `${dirs.processed}/${name}`;
  try {
    return columns ? pl.readParquet(path, { columns: [...columns] }) : pl.readParquet(path);
  } catch (e) {
    throw new Error(
      `${path}: ${(e as Error).message} (run the analysis first: npx deno task build)`,
    );
  }
}

/** Reads `<processed>/customers.parquet` (optionally only some columns). */
export function readCustomers(dirs: OutputDirs, columns?: readonly string[]): pl.DataFrame {
  return readProcessed(dirs, "customers.parquet", columns);
}

/** A column of a data frame as numbers (NaN for missing values). */
export function numbers(df: pl.DataFrame, column: string): Float64Array {
  return Float64Array.from(
    df.getColumn(column).cast(pl.Float64).toArray() as (number | null)[],
    (v) => v ?? NaN,
  );
}

/**
 * The feature columns of the customer table that the score widget fills its fields from: the
 * loyalty model's features (`<reports>/model.json`; every registry feature before the model stage
 * has run) that the table has, except the average order value when net revenue and frequency are
 * there instead (it is exactly monetary / frequency, and the widget derives it so). In registry
 * order, then any model feature the registry does not know.
 */
export function widgetFeatures(dirs: OutputDirs, columns: readonly string[]): string[] {
  const model = readJsonIfExists<{ features?: string[] }>(`${dirs.reports}/model.json`);
  const wanted = new Set(model?.features ?? FEATURE_NAMES);
  if (
    wanted.has("avg_order_value") && columns.includes("monetary") && columns.includes("frequency")
  ) {
    wanted.delete("avg_order_value");
    wanted.add("monetary").add("frequency");
  }
  const ordered = [...FEATURE_NAMES, ...[...wanted].filter((f) => !FEATURE_NAMES.includes(f))];
  return ordered.filter((f) => wanted.has(f) && columns.includes(f));
}

/** Options of {@link arrowBytes}. */
export interface ArrowOptions {
  /** Decimals to round floating-point columns to (default: none, the values as stored). */
  decimals?: number;
  /** Text columns written as plain strings (unique ids); other text is dictionary-encoded. */
  plain?: readonly string[];
}

/** The smallest signed integer type holding every value, or null when one is not an integer. */
function integerType(values: readonly (number | null)[]): DataType | null {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (v === null) continue;
    if (!Number.isInteger(v)) return null;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= -128 && hi <= 127) return int8();
  if (lo >= -32768 && hi <= 32767) return int16();
  if (lo >= -(2 ** 31) && hi < 2 ** 31) return int32();
  return null;
}

/**
 * A data frame as compact Arrow IPC bytes (stream format) for the browser, where the pages read
 * it with flechette (`components/bytes.js`): whole numbers in the smallest integer type, other
 * numbers as float64 (optionally rounded), text (dates included, as ISO text) dictionary-encoded
 * unless named in `plain`. The same frame always gives the same bytes.
 */
export function arrowBytes(df: pl.DataFrame, options: ArrowOptions = {}): Uint8Array {
  const arrays: Record<string, (number | string | null)[]> = {};
  const types: Record<string, DataType> = {};
  for (const name of df.columns) {
    const s = df.getColumn(name);
    if (s.isNumeric()) {
      const float = s.dtype.equals(pl.Float64) || s.dtype.equals(pl.Float32);
      const rounded = float && options.decimals !== undefined ? s.round(options.decimals) : s;
      const values = Array.from(
        rounded.toArray() as (number | bigint | null)[],
        (v) => (v === null ? null : Number(v)),
      );
      arrays[name] = values;
      types[name] = (float ? null : integerType(values)) ?? float64();
    } else {
      const values = s.cast(pl.Utf8).toArray() as (string | null)[];
      arrays[name] = values;
      if (options.plain?.includes(name)) types[name] = utf8();
      else {
        const distinct = new Set(values).size;
        const index = distinct <= 127 ? int8() : distinct <= 32767 ? int16() : int32();
        types[name] = dictionary(utf8(), index);
      }
    }
  }
  return tableToIPC(tableFromArrays(arrays, { types }), { format: "stream" }) as Uint8Array;
}

/** Prints bytes (an Arrow table) on standard output. */
export function emitBytes(bytes: Uint8Array): void {
  writeAll(bytes);
}

/** Writes all the bytes to standard output (one `writeSync` may write only part of them). */
function writeAll(bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}
