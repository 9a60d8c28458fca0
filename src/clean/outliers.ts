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
  const logs = df.lazy().select("reason", "line_value")
    .filter(pl.col("reason").isNull().and(pl.col("line_value").gt(0)))
    .select(pl.col("line_value").log(10).alias("v"))
    .collectSync();
  if (logs.height === 0) return { df, bounds: null };
  // Medians in polars (selection, not a full sort).
  const med = Number(logs.select(pl.col("v").median()).row(0)[0]);
  const mad = Number(logs.select(pl.col("v").sub(pl.lit(med)).abs().median()).row(0)[0]) *
    MAD_SCALE;
  const lowLog = med - m * mad;
  const highLog = med + m * mad;
  const bounds = { low: 10 ** lowLog, high: 10 ** highLog, medianLog10: med, madLog10: mad };
  if (!(mad > 0)) return { df, bounds };
  const lv = pl.col("line_value").log(10);
  return { df: markReason(df, "extreme_value", lv.lt(lowLog).or(lv.gt(highLog))), bounds };
}
