/**
 * Cleaning: named rules with reason codes, applied in a fixed order to canonical transactions.
 *
 * Every input row ends either kept or dropped with exactly one reason: the first rule it fails.
 * The function is pure (DataFrame in, DataFrames and a report out); writing is left to callers.
 *
 * Returns and cancellations: cancellation lines (`C…` invoices) are not purchases and are
 * dropped. A purchase line that a later cancellation of the same customer reverses exactly
 * (same stock code, quantity and unit price; the latest such purchase at or before the
 * cancellation) is dropped too, as `cancelled_order`, so monetary value is net of cancelled
 * orders. Partial returns that match no purchase line exactly are not netted; their count and
 * value are reported (`unmatchedReturns`).
 *
 * @module
 */
import pl from "nodejs-polars";
import type { CleaningConfig, MappableColumn } from "../config/dataset.ts";
import { CANONICAL_COLUMNS } from "../config/schema.ts";

/** A cleaning rule, as shown in the report. */
export interface RuleInfo {
  /** Reason code written to the quarantine. */
  code: string;
  /** Position in the order of application (1 = first). */
  order: number;
  /** Plain-language statement of the rule. */
  description: string;
  /** Canonical columns the rule needs. */
  needs: MappableColumn[];
  /** Whether the rule ran. */
  applied: boolean;
  /** Why it did not run (a needed column the data lacks), or null. */
  skippedBecause: string | null;
}

/** Row counts of one source file (or the total). */
export interface FileCounts {
  file: string;
  rows_in: number;
  rows_kept: number;
  rows_dropped: number;
  /** Dropped rows per reason code (every code listed, zero included). */
  dropped: Record<string, number>;
  /** rows_in === rows_kept + Σ dropped. */
  reconciles: boolean;
}

/** The cleaning report (`cleaning.json`). */
export interface CleaningReport {
  rules: RuleInfo[];
  files: FileCounts[];
  total: FileCounts;
  /** Bounds of the extreme line value rule, in currency units, or null if not applied. */
  extremeValueBounds: { low: number; high: number; medianLog10: number; madLog10: number } | null;
  /** Cancellation lines that reversed no purchase exactly (partial returns, older purchases). */
  unmatchedReturns: { lines: number; value: number };
  /** Purchase lines dropped as cancelled orders, and their value. */
  cancelledOrders: { lines: number; value: number };
}

/** Result of {@link clean}. */
export interface CleanResult {
  /** Kept rows, canonical columns, in source order. */
  kept: pl.DataFrame;
  /** Dropped rows, canonical columns plus `reason`, in source order. */
  quarantine: pl.DataFrame;
  report: CleaningReport;
}

/** The rules, in order of application. */
export const RULES: readonly Omit<RuleInfo, "order" | "applied" | "skippedBecause">[] = [
  {
    code: "bad_timestamp",
    description: "The invoice timestamp is missing or cannot be parsed",
    needs: ["timestamp"],
  },
  { code: "missing_customer", description: "No customer id", needs: ["customer_id"] },
  {
    code: "cancellation",
    description: "Cancellation line: the invoice number starts with C",
    needs: ["invoice"],
  },
  {
    code: "bad_debt_adjustment",
    description: "Bad-debt adjustment: the invoice number starts with A",
    needs: ["invoice"],
  },
  {
    code: "non_product",
    description:
      "The stock code is not a product (postage, fees, manual lines, vouchers …; see configuration)",
    needs: ["stock_code"],
  },
  {
    code: "non_positive_quantity",
    description: "Quantity is zero or negative",
    needs: ["quantity"],
  },
  {
    code: "non_positive_price",
    description: "Unit price (or line value) is zero, negative or missing",
    needs: [],
  },
  {
    code: "duplicate",
    description:
      "Exact duplicate of an earlier line (every column equal), including the days both files contain",
    needs: [],
  },
  {
    code: "cancelled_order",
    description:
      "Outlier: a purchase line reversed exactly by a later cancellation of the same customer (same product, quantity and price), such as the giant orders cancelled right after",
    needs: ["invoice", "stock_code"],
  },
  {
    code: "extreme_value",
    description:
      "Outlier: the line value lies beyond median ± m × scaled MAD of log10(line value) over the remaining lines",
    needs: [],
  },
];

/** Options of {@link clean}. */
export interface CleanOptions {
  /** Canonical columns provided by each source file; a rule needing a column some file lacks is skipped. */
  provided: Record<string, Set<MappableColumn>>;
}

const CONTENT_COLUMNS = CANONICAL_COLUMNS.filter((c) => c !== "source_file" && c !== "source_row");

/** Escapes a literal for use inside a regular expression. */
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Applies the cleaning rules to canonical transactions (several files concatenated in order).
 *
 * @param tx canonical transactions (see `schema.ts`)
 * @param cfg the dataset's cleaning configuration
 * @param options which columns each file provides
 * @returns kept rows, quarantined rows with their reason, and the reconciliation report
 */
export function clean(tx: pl.DataFrame, cfg: CleaningConfig, options: CleanOptions): CleanResult {
  const files = Object.keys(options.provided);
  const rules: RuleInfo[] = RULES.map((r, i) => {
    const missing = r.needs.flatMap((col) =>
      files.filter((f) => !options.provided[f].has(col)).map((f) => `${f} has no ${col} column`)
    );
    let skipped = missing.length ? missing.join("; ") : null;
    if (!skipped && r.code === "cancelled_order" && !cfg.outliers.matchCancelledOrders) {
      skipped = "disabled in configuration (cleaning.outliers.matchCancelledOrders)";
    }
    if (!skipped && r.code === "duplicate" && !cfg.dropExactDuplicates) {
      skipped = "disabled in configuration (cleaning.dropExactDuplicates)";
    }
    if (!skipped && r.code === "extreme_value" && cfg.outliers.logValueMadMultiplier === null) {
      skipped = "disabled in configuration (cleaning.outliers.logValueMadMultiplier)";
    }
    if (
      !skipped && r.code === "non_product" &&
      cfg.nonProductCodes.length + cfg.nonProductPatterns.length === 0
    ) {
      skipped = "no non-product codes configured";
    }
    return {
      ...r,
      needs: [...r.needs],
      order: i + 1,
      applied: skipped === null,
      skippedBecause: skipped,
    };
  });
  const on = (code: string) => rules.find((r) => r.code === code)!.applied;

  // Row-level rules 1–8, first failing wins.
  const conds: [string, pl.Expr][] = [];
  if (on("bad_timestamp")) conds.push(["bad_timestamp", pl.col("timestamp").isNull()]);
  if (on("missing_customer")) conds.push(["missing_customer", pl.col("customer_id").isNull()]);
  if (on("cancellation")) conds.push(["cancellation", pl.col("invoice").str.startsWith("C")]);
  if (on("bad_debt_adjustment")) {
    conds.push(["bad_debt_adjustment", pl.col("invoice").str.startsWith("A")]);
  }
  if (on("non_product")) {
    const alternatives = [
      ...cfg.nonProductCodes.map((c) => `^${escapeRegex(c)}$`),
      ...cfg.nonProductPatterns,
    ];
    conds.push([
      "non_product",
      pl.col("stock_code").isNull().or(pl.col("stock_code").str.contains(alternatives.join("|"))),
    ]);
  }
  if (on("non_positive_quantity")) {
    conds.push([
      "non_positive_quantity",
      pl.col("quantity").isNull().or(pl.col("quantity").ltEq(0)),
    ]);
  }
  if (on("non_positive_price")) {
    conds.push([
      "non_positive_price",
      pl.col("unit_price").isNull().or(pl.col("unit_price").ltEq(0)).or(
        pl.col("unit_price").isNan(),
      ),
    ]);
  }
  // The first occurrence of a line (in file order, then row order) is the original.
  if (on("duplicate")) conds.push(["duplicate", pl.col("__dup")]);

  let reason: pl.Expr = pl.lit(null).cast(pl.Utf8);
  for (let i = conds.length - 1; i >= 0; i--) {
    reason = pl.when(conds[i][1]).then(pl.lit(conds[i][0])).otherwise(reason);
  }
  // Rules run on a narrow frame (no free-text columns); the reason is attached once at the end.
  let df = tx.select(
    "invoice",
    "stock_code",
    "quantity",
    "unit_price",
    "line_value",
    "customer_id",
    "timestamp",
    "source_file",
  ).withColumns(flagSeries("__dup", tx.height, on("duplicate") ? duplicateRows(tx) : []))
    .withColumns(pl.intRange(0, tx.height, 1, pl.Int64).alias("__i"), reason.alias("reason"))
    .drop("__dup");

  // Rule 9: purchases reversed by a later cancellation.
  let cancelledOrders = { lines: 0, value: 0 };
  let unmatchedReturns = { lines: 0, value: 0 };
  if (on("cancellation")) {
    const keys = ["customer_id", "stock_code", "quantity", "unit_price"];
    const cancels = df.select(
      "reason",
      "customer_id",
      "stock_code",
      "quantity",
      "unit_price",
      "timestamp",
      "line_value",
    )
      .filter(pl.col("reason").eq(pl.lit("cancellation")).and(pl.col("customer_id").isNotNull()))
      .select(
        pl.col("customer_id"),
        pl.col("stock_code"),
        pl.lit(0).sub(pl.col("quantity")).cast(pl.Int64).alias("quantity"),
        pl.col("unit_price"),
        pl.col("timestamp"),
        pl.col("line_value"),
      )
      .filter(pl.col("timestamp").isNotNull())
      .sort("timestamp")
      .withRowIndex("__c");
    let matchedIdx = new Set<number>();
    if (on("cancelled_order") && cancels.height > 0) {
      // Sorted by timestamp inside matchCancellations, after narrowing to matching keys.
      const purchases = df.select("reason", ...keys, "timestamp", "__i")
        .filter(pl.col("reason").isNull()).drop("reason");
      const match = matchCancellations(cancels, purchases, keys);
      matchedIdx = match.matched;
      unmatchedReturns = { lines: match.unmatchedLines, value: match.unmatchedValue };
    } else {
      unmatchedReturns = {
        lines: cancels.height,
        value: -Number(cancels.getColumn("line_value").sum() ?? 0),
      };
    }
    if (matchedIdx.size > 0) {
      df = df.withColumns(flagSeries("__m", df.height, matchedIdx)).withColumns(
        pl.when(pl.col("reason").isNull().and(pl.col("__m")))
          .then(pl.lit("cancelled_order")).otherwise(pl.col("reason")).alias("reason"),
      ).drop("__m");
      const c = df.select("reason", "line_value").filter(
        pl.col("reason").eq(pl.lit("cancelled_order")),
      );
      cancelledOrders = { lines: c.height, value: Number(c.getColumn("line_value").sum() ?? 0) };
    }
  }

  // Rule 10: extreme line values on the log scale, bounds from the surviving lines.
  let extremeValueBounds: CleaningReport["extremeValueBounds"] = null;
  const m = cfg.outliers.logValueMadMultiplier;
  if (on("extreme_value") && m !== null) {
    const logs = df.select("reason", "line_value")
      .filter(pl.col("reason").isNull().and(pl.col("line_value").gt(0)))
      .select(pl.col("line_value").log(10).alias("v"));
    if (logs.height > 0) {
      // Medians in polars (selection, not a full sort).
      const med = Number(logs.select(pl.col("v").median()).row(0)[0]);
      const mad = Number(logs.select(pl.col("v").sub(pl.lit(med)).abs().median()).row(0)[0]) *
        1.4826;
      const lowLog = med - m * mad;
      const highLog = med + m * mad;
      extremeValueBounds = {
        low: 10 ** lowLog,
        high: 10 ** highLog,
        medianLog10: med,
        madLog10: mad,
      };
      if (mad > 0) {
        const lv = pl.col("line_value").log(10);
        df = df.withColumns(
          pl.when(pl.col("reason").isNull().and(lv.lt(lowLog).or(lv.gt(highLog))))
            .then(pl.lit("extreme_value")).otherwise(pl.col("reason")).alias("reason"),
        );
      }
    }
  }

  const codes = RULES.map((r) => r.code);
  const counts = df.groupBy(["source_file", "reason"]).agg(pl.len().alias("n")).toRecords() as {
    source_file: string;
    reason: string | null;
    n: number;
  }[];
  const fileOrder = [...new Set([...files, ...counts.map((c) => c.source_file)])];
  const perFile = fileOrder.map((f) => {
    const dropped: Record<string, number> = Object.fromEntries(codes.map((c) => [c, 0]));
    let kept = 0;
    let total = 0;
    for (const c of counts) {
      if (c.source_file !== f) continue;
      const n = Number(c.n);
      total += n;
      if (c.reason === null) kept += n;
      else dropped[c.reason] = (dropped[c.reason] ?? 0) + n;
    }
    return counts_(f, total, kept, dropped);
  });
  const totalDropped: Record<string, number> = Object.fromEntries(codes.map((c) => [c, 0]));
  for (const f of perFile) for (const c of codes) totalDropped[c] += f.dropped[c];
  const total = counts_(
    "total",
    perFile.reduce((s, f) => s + f.rows_in, 0),
    perFile.reduce((s, f) => s + f.rows_kept, 0),
    totalDropped,
  );
  if (total.rows_in !== tx.height) {
    throw new Error(`cleaning lost rows: ${tx.height} in, ${total.rows_in} accounted for`);
  }
  const withReason = tx.withColumns(df.getColumn("reason"));
  const kept = withReason.filter(pl.col("reason").isNull()).select(...CANONICAL_COLUMNS);
  const quarantine = withReason.filter(pl.col("reason").isNotNull()).select(
    ...CANONICAL_COLUMNS,
    "reason",
  );
  return {
    kept,
    quarantine,
    report: {
      rules,
      files: perFile,
      total,
      extremeValueBounds,
      unmatchedReturns,
      cancelledOrders,
    },
  };
}

/**
 * Row positions that repeat an earlier row in every content column (the first occurrence, in
 * file order then row order, is the original). Only rows that have a twin are compared for
 * first occurrence, which keeps it fast.
 */
function duplicateRows(tx: pl.DataFrame): number[] {
  const row = pl.struct(CONTENT_COLUMNS.map((c) => pl.col(c)));
  const twins = tx.withColumns(pl.intRange(0, tx.height, 1, pl.Int64).alias("__i")).filter(
    row.isDuplicated(),
  );
  if (twins.height === 0) return [];
  return (twins.filter(row.isFirstDistinct().not()).getColumn("__i")
    .toArray() as (number | bigint)[])
    .map(Number);
}

/**
 * One-to-one matching of cancellations to purchases: each cancellation takes the latest purchase
 * with the same key at or before it that no earlier-processed cancellation has taken. Runs
 * as-of joins in rounds: when several cancellations land on one purchase, the earliest
 * cancellation keeps it and the others look again among the remaining purchases.
 *
 * @param cancels cancellation lines (key columns with positive quantity, timestamp,
 *   line_value, `__c` id), sorted by timestamp
 * @param purchases candidate purchase lines (key columns, timestamp, `__i`), any order
 */
function matchCancellations(
  cancels: pl.DataFrame,
  purchases: pl.DataFrame,
  keys: string[],
): { matched: Set<number>; unmatchedLines: number; unmatchedValue: number } {
  const matched = new Set<number>();
  const winners: number[] = [];
  let pending = cancels;
  // Only purchases sharing a key with some cancellation can match: keep the pool small.
  let pool = purchases.join(cancels.select(...keys).unique(), { on: keys, how: "semi" }).sort(
    "timestamp",
  );
  for (let round = 0; round < 100 && pending.height > 0; round++) {
    const joined = pending.joinAsof(pool, {
      on: "timestamp",
      by: keys,
      strategy: "backward",
      checkSortedness: false,
    });
    const c = Array.from(joined.getColumn("__c").toArray() as (number | bigint)[], Number);
    const p = joined.getColumn("__i").toArray() as (number | bigint | null)[];
    const order = c.map((_, j) => j).sort((x, y) => c[x] - c[y]); // earliest cancellation first
    const losers: number[] = [];
    const taken: number[] = [];
    for (const j of order) {
      if (p[j] === null) continue;
      const pi = Number(p[j]);
      if (matched.has(pi)) losers.push(c[j]);
      else {
        matched.add(pi);
        taken.push(pi);
        winners.push(c[j]);
      }
    }
    if (losers.length === 0) break;
    pool = pool.join(pl.DataFrame({ __i: pl.Series("__i", taken, pl.Int64) }), {
      on: "__i",
      how: "anti",
    })
      .sort("timestamp");
    pending = pending.join(pl.DataFrame({ __c: pl.Series("__c", losers, pl.UInt32) }), {
      on: "__c",
      how: "semi",
    })
      .sort("timestamp");
  }
  const won = pl.DataFrame({ __c: pl.Series("__c", winners, pl.UInt32) });
  const unmatched = cancels.join(won, { on: "__c", how: "anti" });
  return {
    matched,
    unmatchedLines: unmatched.height,
    unmatchedValue: unmatched.height ? -Number(unmatched.getColumn("line_value").sum()) : 0,
  };
}

/** A boolean Series of length `n`, true at `positions`. */
function flagSeries(name: string, n: number, positions: Iterable<number>): pl.Series {
  const flags = new Uint8Array(n);
  for (const p of positions) flags[p] = 1;
  return pl.Series(name, flags).cast(pl.Bool);
}

function counts_(
  file: string,
  rowsIn: number,
  kept: number,
  dropped: Record<string, number>,
): FileCounts {
  const d = Object.values(dropped).reduce((s, n) => s + n, 0);
  return {
    file,
    rows_in: rowsIn,
    rows_kept: kept,
    rows_dropped: d,
    dropped,
    reconciles: rowsIn === kept + d,
  };
}
