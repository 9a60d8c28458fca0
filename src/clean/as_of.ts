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
  /** How the cleaning as of the date differs from the whole log's on the lines before it. */
  difference: AsOfDifference;
}

/** Lines before the date kept as of the date but not by the whole-log cleaning, and back. */
export interface AsOfDifference {
  /** Lines the whole-log cleaning dropped (rules 9, 10) that are kept as of the date. */
  linesRestored: number;
  /** Customers with such a line. */
  customersRestored: number;
  /** Lines the whole-log cleaning kept that are dropped as of the date. */
  linesDroppedOnlyAsOf: number;
}

/** Reasons of the rules re-run as of the date. */
const RERUN = ["cancelled_order", "extreme_value"];

/** The columns the re-run rules read, and the two that put the lines in source order. */
const RULE_COLUMNS = [
  "customer_id",
  "stock_code",
  "quantity",
  "unit_price",
  "line_value",
  "timestamp",
  "source_file",
  "source_row",
];

/**
 * A line's place in source order as one number: its file's position among `files` (in
 * configuration order) × 2³², plus its source row. Exact in a double for up to 2²¹ files.
 */
function sourceOrderKeys(df: pl.DataFrame, files: readonly string[]): Float64Array {
  // One look-up whatever the number of files (a glob may name hundreds); an unknown file is null.
  const file = pl.col("source_file").cast(pl.Utf8)
    .replaceStrict([...files], files.map((_, i) => i), pl.lit(null), pl.Float64);
  const key = file.mul(2 ** 32).add(pl.col("source_row").cast(pl.Float64));
  const s = df.select(key.alias("k")).getColumn("k");
  if (s.nullCount() > 0) throw new Error("a line's source file is not among the report's files");
  return Float64Array.from(s.toArray() as number[]);
}

/**
 * The positions of `keys` in increasing key order, where `keys` is the concatenation of runs of
 * the given lengths, each already in increasing order (a k-way merge; ties keep the earlier run
 * first). A run out of order is a caller's error.
 *
 * @example
 * ```ts
 * import { mergeSorted } from "./as_of.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([...mergeSorted(new Float64Array([1, 4, 9, 2, 3, 5]), [3, 3])], [0, 3, 4, 1, 5, 2]);
 * ```
 *
 * @throws {Error} when a run is not in increasing order
 */
export function mergeSorted(keys: Float64Array, runs: readonly number[]): Uint32Array {
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const n of runs) {
    for (let i = at + 1; i < at + n; i++) {
      if (!(keys[i - 1] <= keys[i])) {
        throw new Error(`run ${starts.length} is not in order at ${i}`);
      }
    }
    starts.push(at);
    ends.push(at + n);
    at += n;
  }
  if (at !== keys.length) throw new Error(`runs of ${at} keys for ${keys.length} keys`);
  const out = new Uint32Array(at);
  for (let o = 0; o < at; o++) {
    let best = -1;
    for (let r = 0; r < starts.length; r++) {
      if (starts[r] < ends[r] && (best < 0 || keys[starts[r]] < keys[starts[best]])) best = r;
    }
    out[o] = starts[best]++;
  }
  return out;
}

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
  // The lines before the date: kept, dropped by a rule re-run here, and cancellations. The rules
  // read a few columns only: they run on those, in source order, with `__w` (the line's position
  // among `lines`); the canonical columns of the lines they keep are taken once, at the end,
  // instead of sorting and filtering every column.
  const parts = [
    log.kept.filter(before),
    log.quarantine.filter(before.and(pl.col("reason").isIn(RERUN))),
    log.quarantine.filter(before.and(pl.col("reason").eq(pl.lit("cancellation")))),
  ];
  const lines = pl.concat(parts.map((p) => p.select(...CANONICAL_COLUMNS)), {
    how: "vertical",
    rechunk: false,
  });
  const noReason = pl.lit(null).cast(pl.Utf8).alias("reason");
  const narrow = pl.concat([
    parts[0].select(...RULE_COLUMNS).withColumns(noReason),
    parts[1].select(...RULE_COLUMNS).withColumns(noReason),
    parts[2].select(...RULE_COLUMNS, "reason"),
  ], { how: "vertical" }).withRowIndex("__w");
  // Each part is in source order (file, then row): merging them is cheaper than sorting.
  const order = mergeSorted(
    sourceOrderKeys(narrow, log.report.files.map((f) => f.file)),
    parts.map((p) => p.height),
  );
  let df = narrow.select(pl.all().gather(pl.Series("__at", order)))
    .drop("source_file", "source_row");
  df = df.withColumns(pl.intRange(0, df.height, 1, pl.Int64).alias("__i"));
  const cancels = parts[2].height;
  let cancelledOrders = 0;
  if (ran(log.report, "cancellation") && cancels > 0) {
    const out = dropCancelledOrders(df, ran(log.report, "cancelled_order"));
    df = out.df;
    cancelledOrders = out.cancelledOrders.lines;
  }
  const keptCount = () => Number(df.select(pl.col("reason").isNull().sum()).row(0)[0]);
  let extremeValues = 0;
  if (ran(log.report, "extreme_value") && logValueMadMultiplier !== null) {
    const n = keptCount();
    df = dropExtremeValues(df, logValueMadMultiplier).df;
    extremeValues = n - keptCount();
  }
  // The first part is what the whole-log cleaning kept before the date, the second what it
  // dropped by the rules re-run here.
  const w = pl.col("__w");
  const wasKept = w.lt(parts[0].height);
  const wasDropped = w.gtEq(parts[0].height).and(w.lt(parts[0].height + parts[1].height));
  const [linesRestored, customersRestored, linesDroppedOnlyAsOf] = df.select(
    wasDropped.and(pl.col("reason").isNull()).sum().alias("restored"),
    pl.col("customer_id").filter(wasDropped.and(pl.col("reason").isNull())).nUnique()
      .alias("customers"),
    wasKept.and(pl.col("reason").isNotNull()).sum().alias("dropped"),
  ).row(0).map(Number);
  const take = (where: pl.Expr) => {
    const at = df.select(pl.col("__w").filter(where)).getColumn("__w");
    return lines.select(...CANONICAL_COLUMNS.map((c) => pl.col(c).gather(at)));
  };
  return {
    asOf,
    kept: take(pl.col("reason").isNull()),
    cancellations: take(pl.col("reason").eq(pl.lit("cancellation"))),
    cancelledOrders,
    extremeValues,
    difference: { linesRestored, customersRestored, linesDroppedOnlyAsOf },
  };
}
