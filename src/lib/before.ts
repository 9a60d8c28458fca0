/**
 * The lines before a reference date, the first step of the customer metrics and the look-back
 * features.
 *
 * @module
 */
import pl from "nodejs-polars";
import { DAY_US } from "./time.ts";

/**
 * The rows of `df` whose `timestamp` is before the midnight (UTC) that starts day `day` (days
 * since 1970). When every row is (the analysis date is usually the day after the last purchase),
 * `df` itself comes back: a filter would copy every column of the lines.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { linesBefore } from "./before.ts";
 * import { equal } from "node:assert/strict";
 * const at = (us: (number | null)[]) =>
 *   pl.DataFrame({ timestamp: pl.Series("timestamp", us, pl.Int64).cast(pl.Datetime("us", "UTC")) });
 * const df = at([0, 86_400_000_000]);
 * equal(linesBefore(df, 1).height, 1); // the second row is at the start of day 1
 * equal(linesBefore(df, 2), df); // all before: the same frame, no copy
 * equal(linesBefore(at([0, null]), 2).height, 1); // a null timestamp is left out
 * ```
 */
export function linesBefore(df: pl.DataFrame, day: number): pl.DataFrame {
  const [last, nulls] = df.select(
    pl.col("timestamp").max().cast(pl.Int64).alias("last"),
    pl.col("timestamp").nullCount().alias("nulls"),
  ).row(0);
  // (a null timestamp is not before the date: the filter drops it)
  if (last !== null && Number(nulls) === 0 && Number(last) < day * DAY_US) return df;
  return df.filter(pl.col("timestamp").lt(pl.lit(day * DAY_US).cast(pl.Datetime("us", "UTC"))));
}
