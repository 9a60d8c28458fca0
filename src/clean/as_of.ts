/**
 * Cleaning as it would have run on a given day: the rules that look at other lines — rule 9
 * (`cancelled_order`: a purchase reversed by a *later* cancellation) and rule 10
 * (`extreme_value`: the median and MAD of all kept lines) — run again on the lines dated before
 * the reference date only, so that features computed as of that date cannot see what happened
 * after it. Without this, a purchase made before a training cutoff but cancelled after it would
 * vanish from the cutoff's features (a look-ahead leak).
 *
 * Rules 1–8 look at one line at a time (the duplicate rule at earlier, identical lines, which share
 * the timestamp), so their verdicts stand; the lines they dropped stay dropped. The lines rules 9
 * and 10 dropped in the full cleaning come back as candidates, and both rules run again, in the
 * same order and with the same code as the full cleaning, over the lines before the date. On the
 * day after the last transaction the result is exactly the full cleaning's.
 *
 * @module
 */
import pl from "nodejs-polars";
import { CANONICAL_COLUMNS } from "../config/schema.ts";
import { DAY_US, isoDay } from "../lib/time.ts";
import { dropCancelledOrders } from "./cancellations.ts";
import { dropExtremeValues } from "./outliers.ts";
import type { CleaningReport } from "./report.ts";

/** What {@link cleanAsOf} needs from a full cleaning. */
export interface CleanedLog {
  /** Kept rows (canonical columns), in source order. */
  kept: pl.DataFrame;
  /** Dropped rows with their `reason`, in source order. */
  quarantine: pl.DataFrame;
  /** The cleaning report (which rules ran, the files in order). */
  report: Pick<CleaningReport, "rules" | "files">;
}

/** The cleaning of the lines before a reference date. */
export interface CleanAsOf {
  /** Reference date (ISO); only lines strictly before its midnight (UTC) are used. */
  asOf: string;
  /** Kept rows before the date, canonical columns, in source order. */
  kept: pl.DataFrame;
  /** Cancellation lines (rule 3) before the date, canonical columns, in source order. */
  cancellations: pl.DataFrame;
  /** Purchase lines before the date dropped by rule 9 as of the date. */
  cancelledOrders: number;
  /** Lines before the date dropped by rule 10 as of the date. */
  extremeValues: number;
}

/** Reasons of the rules re-run as of the date. */
const RERUN = ["cancelled_order", "extreme_value"];

/** Whether a rule ran in the full cleaning (false for a code the report does not list). */
function ran(report: CleanedLog["report"], code: string): boolean {
  return report.rules.some((r) => r.code === code && r.applied);
}

/**
 * Re-runs the cleaning rules that look at other lines on the lines before `asOf`.
 *
 * @param log the full cleaning's kept rows, quarantine and report
 * @param logValueMadMultiplier `cleaning.outliers.logValueMadMultiplier` (null: rule 10 off)
 * @param asOf reference date (ISO); lines at or after its midnight UTC are left out
 * @returns the kept rows and cancellation lines before the date, and what rules 9 and 10 dropped
 */
export function cleanAsOf(
  log: CleanedLog,
  logValueMadMultiplier: number | null,
  asOf: string,
): CleanAsOf {
  const limit = pl.lit(isoDay(asOf) * DAY_US).cast(pl.Datetime("us", "UTC"));
  const before = pl.col("timestamp").isNotNull().and(pl.col("timestamp").lt(limit));
  const files = pl.DataFrame({
    source_file: log.report.files.map((f) => f.file),
    __file: log.report.files.map((_, i) => i),
  });
  const rank = (df: pl.DataFrame) => df.join(files, { on: "source_file", how: "left" });
  const noReason = pl.lit(null).cast(pl.Utf8).alias("reason");
  const kept = log.kept.select(...CANONICAL_COLUMNS).filter(before).withColumns(noReason);
  const back = log.quarantine.filter(before.and(pl.col("reason").isIn(RERUN)))
    .select(...CANONICAL_COLUMNS).withColumns(noReason);
  const cancels = log.quarantine.filter(before.and(pl.col("reason").eq(pl.lit("cancellation"))))
    .select(...CANONICAL_COLUMNS, "reason");
  let df = rank(pl.concat([kept, back, cancels], { how: "vertical" }))
    .sort(["__file", "source_row"]).drop("__file");
  df = df.withColumns(pl.intRange(0, df.height, 1, pl.Int64).alias("__i"));
  let cancelledOrders = 0;
  if (ran(log.report, "cancellation") && cancels.height > 0) {
    const out = dropCancelledOrders(df, ran(log.report, "cancelled_order"));
    df = out.df;
    cancelledOrders = out.cancelledOrders.lines;
  }
  let extremeValues = 0;
  if (ran(log.report, "extreme_value") && logValueMadMultiplier !== null) {
    const n = df.filter(pl.col("reason").isNull()).height;
    df = dropExtremeValues(df, logValueMadMultiplier).df;
    extremeValues = n - df.filter(pl.col("reason").isNull()).height;
  }
  return {
    asOf,
    kept: df.filter(pl.col("reason").isNull()).select(...CANONICAL_COLUMNS),
    cancellations: df.filter(pl.col("reason").eq(pl.lit("cancellation")))
      .select(...CANONICAL_COLUMNS),
    cancelledOrders,
    extremeValues,
  };
}
