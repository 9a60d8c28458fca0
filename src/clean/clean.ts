/**
 * Cleaning: named rules with reason codes, applied in a fixed order to canonical transactions.
 *
 * Every input row ends either kept or dropped with exactly one reason: the first rule it fails
 * (`rules.ts`: rules 1–8 row by row; `cancellations.ts`: rule 9; `outliers.ts`: rule 10). The
 * function is pure (DataFrame in, DataFrames and a report out); writing is left to callers.
 * The report (`report.ts`) reconciles the rows accounted for with the rows ingest read.
 *
 * Returns and cancellations: cancellation lines (as `cleaning.cancellation` defines them; by
 * default `C…` invoices) are not purchases and are dropped. A purchase line that a later
 * cancellation of the same customer reverses exactly is dropped too, as `cancelled_order`, so
 * monetary value is net of cancelled orders. Partial returns that match no purchase line exactly
 * are not netted; their count and value are reported (`unmatchedReturns`).
 *
 * Nothing silently wrong: a configured rule that drops more than `cleaning.warnShare` of a
 * file's lines, or a file none of whose lines is kept, is a warning in the report and in the
 * log; a run that keeps no line at all stops with a `NothingKeptError` (`report.ts`) saying
 * which rules dropped how many lines.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { CleaningConfig, MappableColumn } from "../config/dataset.ts";
import { CANONICAL_COLUMNS } from "../config/schema.ts";
import { dropCancelledOrders } from "./cancellations.ts";
import { dropExtremeValues } from "./outliers.ts";
import { assertSomethingKept, type CleaningReport, cleaningWarnings, reconcile } from "./report.ts";
import { applies, applyRowRules, planRules, reasonText } from "./rules.ts";

/** Result of {@link clean}. */
export interface CleanResult {
  /** Kept rows, canonical columns, in source order. */
  kept: pl.DataFrame;
  /** Dropped rows, canonical columns plus `reason`, in source order. */
  quarantine: pl.DataFrame;
  report: CleaningReport;
}

/** Options of {@link clean}. */
export interface CleanOptions {
  /** Canonical columns provided by each source file; a rule needing a column some file lacks is skipped. */
  provided: Record<string, Set<MappableColumn>>;
  /**
   * Rows read from each source file, counted by ingest at read time. The report reconciles
   * them with the rows cleaning accounts for; they are never derived from `tx`.
   */
  rowsRead: Record<string, number>;
  /**
   * Where the report's warnings are printed, one message each (default: standard error, the
   * build log, as `!!! WARNING: …`).
   */
  warn?: (message: string) => void;
}

/** The default printer of cleaning warnings: loud, on standard error. */
function warnLoudly(message: string): void {
  console.error(`!!! WARNING (cleaning): ${message}`);
}

/**
 * Applies the cleaning rules to canonical transactions (several files concatenated in order).
 *
 * @param tx canonical transactions (see `schema.ts`)
 * @param cfg the dataset's cleaning configuration
 * @param options which columns each file provides, and how many rows ingest read from each
 * @returns kept rows, quarantined rows with their reason, and the report; a report whose counts
 *   do not reconcile with `rowsRead` says so (`reconciles: false`), it does not throw
 * @throws {NothingKeptError} (from `report.ts`) when every line read was dropped (the message
 *   names the rules and their counts; the error carries the report)
 */
export function clean(tx: pl.DataFrame, cfg: CleaningConfig, options: CleanOptions): CleanResult {
  const rules = planRules(cfg, options.provided);
  const on = (code: string) => applies(rules, code);
  let df = applyRowRules(tx, rules, cfg);

  const cancellations = on("cancellation")
    ? dropCancelledOrders(df, on("cancelled_order"))
    : { df, cancelledOrders: { lines: 0, value: 0 }, unmatchedReturns: { lines: 0, value: 0 } };
  df = cancellations.df;

  const multiplier = cfg.outliers.logValueMadMultiplier;
  const extreme = on("extreme_value") && multiplier !== null
    ? dropExtremeValues(df, multiplier)
    : { df, bounds: null };
  df = extreme.df;

  const counts = reconcile(df, options.rowsRead, Object.keys(options.provided));
  const warnings = cleaningWarnings(df, rules, cfg, counts);
  for (const w of warnings) (options.warn ?? warnLoudly)(w.message);
  const report: CleaningReport = {
    rules,
    files: counts.files,
    total: counts.total,
    extremeValueBounds: extreme.bounds,
    unmatchedReturns: cancellations.unmatchedReturns,
    cancelledOrders: cancellations.cancelledOrders,
    warnings,
  };
  assertSomethingKept(report);
  // The rows are taken by position: one piece per column, as a parquet writer needs for the same
  // row groups (and bytes) whatever the pieces of `tx` (one per file); and the reason is put
  // beside them last (a column in one piece added to columns in several makes polars join the
  // pieces of every column). Dictionary columns (see ingest) are written back as plain text.
  const reason = df.getColumn("reason");
  const isKept = reason.isNull();
  const rows = (at: pl.Series) =>
    tx.select(...CANONICAL_COLUMNS.map((c) => {
      const taken = pl.col(c).gather(at);
      return tx.getColumn(c).dtype.variant === "Categorical" ? taken.cast(pl.Utf8) : taken;
    }));
  const dropped = isKept.not().argTrue();
  const reasonCodes = pl.DataFrame([reason]).select(pl.col("reason").gather(dropped))
    .select(reasonText(df));
  return {
    kept: rows(isKept.argTrue()),
    quarantine: rows(dropped).hstack(reasonCodes),
    report,
  };
}
