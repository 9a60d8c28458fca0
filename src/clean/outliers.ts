/**
 * Rule 10, `extreme_value`: a line whose log10 line value lies more than `m` scaled median
 * absolute deviations (MAD × 1.4826) from the median, over the lines no earlier rule dropped.
 * The bounds are reported in currency units.
 *
 * @module
 */
import pl from "nodejs-polars";
import { markReason } from "./rules.ts";

/** Scale factor that makes the MAD a consistent estimator of a normal standard deviation. */
const MAD_SCALE = 1.4826;

/** Bounds of the extreme-value rule. */
export interface ExtremeValueBounds {
  /** Lowest kept line value, 10^(median − m·MAD). */
  low: number;
  /** Highest kept line value, 10^(median + m·MAD). */
  high: number;
  /** Median of log10(line value). */
  medianLog10: number;
  /** Scaled MAD of log10(line value). */
  madLog10: number;
}

/**
 * Applies the extreme-value rule to the rows kept so far (those with a positive line value set
 * the bounds).
 *
 * @param df a frame with `reason` and `line_value`
 * @param m the multiplier (`cleaning.outliers.logValueMadMultiplier`)
 * @returns the frame with `reason` set to `extreme_value` beyond the bounds, and the bounds
 *   (null when no kept line has a positive value; with a MAD of 0 no line is dropped)
 */
export function dropExtremeValues(
  df: pl.DataFrame,
  m: number,
): { df: pl.DataFrame; bounds: ExtremeValueBounds | null } {
  // (a frame of the two columns: a filter of the whole frame would copy its every column)
  const logs = pl.DataFrame([df.getColumn("reason"), df.getColumn("line_value")])
    .filter(keptValue())
    .select(logValue());
  const bounds = extremeValueBounds(logs.getColumn("v"), m);
  const beyond = extremeCondition(bounds, m);
  return { df: beyond ? markReason(df, "extreme_value", beyond) : df, bounds };
}

/** The lines that set the bounds: kept so far (`reason` null) with a positive line value. */
export function keptValue(): pl.Expr {
  return pl.col("reason").isNull().and(pl.col("line_value").gt(0));
}

/** log10 of the line value, as `v` (the values {@link extremeValueBounds} reads). */
export function logValue(): pl.Expr {
  return pl.col("line_value").log(10).alias("v");
}

/**
 * The bounds of the extreme-value rule from the log10 line values of the lines that set them
 * ({@link keptValue}; any order: medians do not depend on it), or null when there are none.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { extremeValueBounds } from "./outliers.ts";
 * import { equal } from "node:assert/strict";
 * const b = extremeValueBounds(pl.Series("v", [0, 1, 1, 1, 2]), 3)!;
 * equal(b.medianLog10, 1);
 * equal(b.madLog10, 0); // most values equal the median: no line is dropped
 * equal(extremeValueBounds(pl.Series("v", [], pl.Float64), 3), null);
 * ```
 */
export function extremeValueBounds(logs: pl.Series, m: number): ExtremeValueBounds | null {
  if (logs.length === 0) return null;
  const v = pl.DataFrame([logs.alias("v")]);
  // Medians in polars (selection, not a full sort).
  const med = Number(v.select(pl.col("v").median()).row(0)[0]);
  const mad = Number(v.select(pl.col("v").sub(pl.lit(med)).abs().median()).row(0)[0]) *
    MAD_SCALE;
  const lowLog = med - m * mad;
  const highLog = med + m * mad;
  return { low: 10 ** lowLog, high: 10 ** highLog, medianLog10: med, madLog10: mad };
}

/**
 * The condition "beyond the bounds" of the rule (`bounds` from {@link extremeValueBounds}), or
 * null when the rule drops no line: no bounds, or a MAD of 0 (most values equal the median).
 */
export function extremeCondition(bounds: ExtremeValueBounds | null, m: number): pl.Expr | null {
  if (bounds === null || !(bounds.madLog10 > 0)) return null;
  const lv = pl.col("line_value").log(10);
  const lowLog = bounds.medianLog10 - m * bounds.madLog10;
  const highLog = bounds.medianLog10 + m * bounds.madLog10;
  return lv.lt(lowLog).or(lv.gt(highLog));
}
