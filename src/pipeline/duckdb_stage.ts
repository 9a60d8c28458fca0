/**
 * The data stage on the second engine (`"engine": "duckdb"`): DuckDB reads the files and runs the
 * cleaning SQL generated from the rules (`engine/duckdb.ts`, `engine/sql.ts`), writes every line
 * with its reason to a private Parquet file, and the build reads that file back as the same
 * {@link CleanStage} the polars path gives (kept lines, quarantine, cleaning report): everything
 * after it — RFM, snapshots cleaned as of each cutoff, models, outputs — is the same code.
 *
 * The cleaning report is computed here from the lines and the rule plan of the SQL, with the
 * functions the polars path uses (`reconcile`, `cleaningWarnings`): the rows read per file come
 * from a count of DuckDB's own over each file, not from the cleaned table, so a line lost by the
 * SQL fails the reconciliation. The extreme-value bounds are recomputed by the polars rule on the
 * same lines, as are the cancelled orders (which give the unmatched returns), and the build stops
 * if the two engines would mark different lines.
 *
 * What differs from the polars path: `cleaning.json` has no `ingest` section (the byte-level
 * pre-pass of text files is polars' own), and inputs the SQL cannot express stop the run with an
 * error naming the file and column (see `engine/sql.ts`).
 *
 * @module
 */
import pl from "nodejs-polars";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CleaningConfig, DatasetConfig } from "../config/dataset.ts";
import { CANONICAL_COLUMNS } from "../config/schema.ts";
import type { RuleInfo } from "../clean/rules.ts";
import { applySetRules, cleaningReport, warnLoudly } from "../clean/clean.ts";
import { SET_RULE_COLUMNS } from "../clean/cancellations.ts";
import {
  assertReconciles,
  type CleaningReport,
  cleaningWarnings,
  reconcile,
} from "../clean/report.ts";
import { duckdbDataStage, type DuckdbOptions, type DuckdbStage } from "../engine/duckdb.ts";
import type { Progress } from "./progress.ts";
import { checkRowCount, type CleanStage, describeClean, type SourceFile } from "./stages.ts";
import { releaseNative } from "../lib/memory.ts";

/** Columns of the lines file as the polars path types them, by canonical name. */
function canonicalColumn(c: string): pl.Expr {
  switch (c) {
    case "quantity":
    case "source_row":
      return pl.col(c).cast(pl.Int64).alias(c);
    case "timestamp":
      return pl.col("ts_us").cast(pl.Int64).cast(pl.Datetime("us")).dt.replaceTimeZone("UTC")
        .alias("timestamp");
    case "unit_price":
    case "line_value":
      return pl.col(c).cast(pl.Float64).alias(c);
    default:
      return pl.col(c).cast(pl.Utf8).alias(c);
  }
}

/**
 * The lines DuckDB wrote (`linesParquet` of `duckdbDataStage`) with columns `columns` (canonical
 * names, in the polars path's types) in the polars path's row order (file by file, in source
 * order), those with a reason (`quarantined` true), without (false) or all (undefined).
 *
 * One lazy query (scan, filter, sort, cast) per frame: polars reads only the columns and lines it
 * needs and makes no intermediate copy of the whole table.
 */
function canonicalLines(path: string, columns: string[], quarantined?: boolean): pl.DataFrame {
  let lf = pl.scanParquet(path);
  if (quarantined !== undefined) {
    lf = lf.filter(quarantined ? pl.col("reason").isNotNull() : pl.col("reason").isNull());
  }
  return lf.sort(["file_idx", "source_row"]).select(...columns.map(canonicalColumn)).collectSync();
}

/** The columns the cleaning report reads (`reconcile`, `cleaningWarnings`, the two set rules). */
const REPORT_COLUMNS = [
  "invoice",
  "stock_code",
  "quantity",
  "timestamp",
  "unit_price",
  "line_value",
  "customer_id",
  "source_file",
  "reason",
];

/**
 * The cleaning report of lines that carry their reason, as `clean/clean.ts` writes it: counts per
 * file and reason reconciled with `rowsRead`, the warnings, the extreme-value bounds, cancelled
 * orders and unmatched returns.
 *
 * The two rules that look at other lines (cancelled orders, extreme values) are run again by the
 * polars path's functions on the lines as they were before those rules, which gives the report's
 * figures (unmatched returns, bounds) and checks that the polars rules mark the same lines.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { reportFromLines } from "./duckdb_stage.ts";
 * import { parseDataset } from "../config/dataset.ts";
 * import { planRules } from "../clean/rules.ts";
 * import { equal, throws } from "node:assert/strict";
 * const ds = parseDataset({
 *   id: "shop", title: "Shop", currency: "EUR", timezone: "UTC",
 *   model: { forward: { cutoff: "2011-01-02", windowEnd: "2011-02-01" } },
 *   files: [{ name: "a.csv", path: "a.csv", format: "csv", columns: {
 *     invoice: "inv", stock_code: "sku", quantity: "qty", timestamp: "ts", unit_price: "price",
 *     customer_id: "cust",
 *   } }],
 * });
 * const provided = { "a.csv": new Set(Object.keys(ds.files[0].columns)) } as never;
 * const rules = planRules(ds.cleaning, provided);
 * const lines = pl.DataFrame({
 *   invoice: ["1", "2", "C3"], customer_id: ["a", "a", "a"], stock_code: ["x", "y", "y"],
 *   unit_price: [5, 4, 4], line_value: [10, 4, -4],
 *   timestamp: [1, 2, 3], source_file: ["a.csv", "a.csv", "a.csv"],
 *   reason: [null, "cancelled_order", "cancellation"],
 * }).withColumns(pl.Series("quantity", [2, 1, -1], pl.Int64));
 * const quiet = () => {};
 * const report = reportFromLines(ds.cleaning, lines, rules, { "a.csv": 3 }, ["a.csv"], quiet);
 * equal(report.total.rows_kept, 1);
 * equal(report.cancelledOrders.lines, 1);
 * equal(report.unmatchedReturns.lines, 0);
 * // a line lost on the way does not reconcile
 * throws(() => reportFromLines(ds.cleaning, lines, rules, { "a.csv": 4 }, ["a.csv"], quiet), /reconcile/);
 * ```
 *
 * @param cfg the dataset's cleaning configuration
 * @param lines every line: `source_file`, `reason` (null when kept) and the canonical columns
 * @param rules the rule plan the lines were cleaned by
 * @param rowsRead rows read per file, counted independently of `lines`
 * @param files the file names, in configuration order
 * @throws {ReconciliationError} when the lines do not add up to the rows read
 * @throws {Error} when a polars rule would mark other lines (cancelled orders, extreme values)
 *   than `lines` has
 */
export function reportFromLines(
  cfg: CleaningConfig,
  lines: pl.DataFrame,
  rules: RuleInfo[],
  rowsRead: Record<string, number>,
  files: string[],
  warn: (message: string) => void = warnLoudly,
): CleaningReport {
  const counts = reconcile(lines, rowsRead, files);
  assertReconciles(counts);
  const warnings = cleaningWarnings(lines, rules, cfg, counts);
  for (const w of warnings) warn(w.message);

  // The two rules that look at other lines are run again by the polars path's own functions on
  // the lines as the engine left them before those rules: they give the report's figures, and
  // the build stops if they mark other lines than the engine did.
  const later = pl.col("reason").isIn(["cancelled_order", "extreme_value"]);
  const df = lines.select(
    ...SET_RULE_COLUMNS,
    pl.when(later).then(pl.lit(null).cast(pl.Utf8)).otherwise(pl.col("reason")).alias("reason"),
    pl.col("reason").alias("__engine"),
    pl.intRange(0, lines.height, 1, pl.Int64).alias("__i"),
  );
  const agree = (code: string, after: pl.DataFrame) => {
    const mine = pl.col("reason").eq(pl.lit(code)).fillNull(false);
    const theirs = pl.col("__engine").eq(pl.lit(code)).fillNull(false);
    const differ = after.select(pl.col("reason").cast(pl.Utf8), "__engine")
      .filter(mine.neq(theirs)).height;
    if (differ > 0) {
      throw new Error(
        `the DuckDB engine and the polars rule ${code} disagree on ${differ} line(s); ` +
          'use "engine": "polars" for this dataset and report it',
      );
    }
  };
  const set = applySetRules(df, rules, cfg, agree);
  return cleaningReport(rules, counts, set, warnings);
}

/**
 * Ingest and cleaning on DuckDB: the {@link CleanStage} of `ds`, as the polars path's
 * `ingestAndClean` gives it (see the module comment for what differs), with what the engine
 * returned (`engine`: counts per reason and the SQL's own customer table).
 *
 * @param ds dataset configuration (`engine: "duckdb"`)
 * @param sources resolved source files, in configuration order
 * @param progress progress printer
 * @param options DuckDB options (memory limit, threads, build time)
 * @throws {Error} naming the file and column when an input needs what the SQL cannot express,
 *   or the file and both counts when a file's rows differ from the configuration
 */
export async function duckdbClean(
  ds: DatasetConfig,
  sources: SourceFile[],
  progress: Progress,
  options: Omit<DuckdbOptions, "linesParquet"> = {},
): Promise<CleanStage & { engine: DuckdbStage }> {
  const dir = mkdtempSync(join(tmpdir(), "rfm-lines-"));
  try {
    const path = join(dir, "lines.parquet");
    const got = await duckdbDataStage(ds, sources, { ...options, linesParquet: path });
    for (const s of sources) checkRowCount(s, got.rowsRead[s.file.name]);
    progress.done(
      "DuckDB data stage",
      `${sources.length} file(s) read and cleaned by the generated SQL`,
    );
    // The report reads every line but few columns; kept lines and quarantine are read apart
    // (never the whole table with all its text at once, nor a copy of it).
    const report = reportFromLines(
      ds.cleaning,
      canonicalLines(path, REPORT_COLUMNS),
      got.rules,
      got.rowsRead,
      sources.map((s) => s.file.name),
    );
    await releaseNative(); // the report's frames, before the kept lines are read
    const kept = canonicalLines(path, [...CANONICAL_COLUMNS], false);
    const quarantine = canonicalLines(path, [...CANONICAL_COLUMNS, "reason"], true);
    progress.done("clean", describeClean(report));
    return { kept, quarantine, report, rowsIn: got.rowsRead, engine: got };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
