/**
 * The cleaning rules: the ordered rule table, which rules run for a dataset, and the row-level
 * rules 1–8 (each row gets the code of the first rule it fails). Rules 9 and 10 look at other
 * rows too and live in `cancellations.ts` and `outliers.ts`; they only mark rows that no earlier
 * rule dropped ({@link markReason}).
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

/** Why a rule does not run for these files and settings, or null when it runs. */
function skipReason(
  rule: (typeof RULES)[number],
  cfg: CleaningConfig,
  provided: Record<string, Set<MappableColumn>>,
): string | null {
  const files = Object.keys(provided);
  const missing = rule.needs.flatMap((col) =>
    files.filter((f) => !provided[f].has(col)).map((f) => `${f} has no ${col} column`)
  );
  if (missing.length) return missing.join("; ");
  if (rule.code === "cancelled_order" && !cfg.outliers.matchCancelledOrders) {
    return "disabled in configuration (cleaning.outliers.matchCancelledOrders)";
  }
  if (rule.code === "duplicate" && !cfg.dropExactDuplicates) {
    return "disabled in configuration (cleaning.dropExactDuplicates)";
  }
  if (rule.code === "extreme_value" && cfg.outliers.logValueMadMultiplier === null) {
    return "disabled in configuration (cleaning.outliers.logValueMadMultiplier)";
  }
  if (
    rule.code === "non_product" && cfg.nonProductCodes.length + cfg.nonProductPatterns.length === 0
  ) {
    return "no non-product codes configured";
  }
  return null;
}

/**
 * The rule table for a dataset: every rule with its order, and whether it runs. A rule needing a
 * column that some file lacks is skipped (naming the file and column), as is a rule disabled in
 * the configuration.
 *
 * @param cfg the dataset's cleaning configuration
 * @param provided canonical columns each source file provides
 */
export function planRules(
  cfg: CleaningConfig,
  provided: Record<string, Set<MappableColumn>>,
): RuleInfo[] {
  return RULES.map((r, i) => {
    const skipped = skipReason(r, cfg, provided);
    return {
      ...r,
      needs: [...r.needs],
      order: i + 1,
      applied: skipped === null,
      skippedBecause: skipped,
    };
  });
}

/** Whether the rule `code` runs in a plan from {@link planRules}. */
export function applies(rules: readonly RuleInfo[], code: string): boolean {
  return rules.find((r) => r.code === code)!.applied;
}

/** Escapes a literal for use inside a regular expression. */
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The code of the first row-level rule (1–8) a row fails, or null: one polars expression over
 * the canonical columns plus a boolean `__dup` column (see {@link duplicateRows}).
 */
function rowRuleReason(rules: readonly RuleInfo[], cfg: CleaningConfig): pl.Expr {
  const on = (code: string) => applies(rules, code);
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
  return reason;
}

/**
 * Applies rules 1–8 to canonical transactions. The rules run on a narrow frame (no free-text
 * columns): the returned frame holds the columns the later rules need, `source_file`, the row
 * position `__i` (0-based, in the order of `tx`) and `reason` (null for rows kept so far).
 *
 * @param tx canonical transactions (several files concatenated in order)
 * @param rules the plan from {@link planRules}
 * @param cfg the dataset's cleaning configuration
 */
export function applyRowRules(
  tx: pl.DataFrame,
  rules: readonly RuleInfo[],
  cfg: CleaningConfig,
): pl.DataFrame {
  const dups = applies(rules, "duplicate") ? duplicateRows(tx) : [];
  return tx.select(
    "invoice",
    "stock_code",
    "quantity",
    "unit_price",
    "line_value",
    "customer_id",
    "timestamp",
    "source_file",
  ).withColumns(flagSeries("__dup", tx.height, dups))
    .withColumns(
      pl.intRange(0, tx.height, 1, pl.Int64).alias("__i"),
      rowRuleReason(rules, cfg).alias("reason"),
    )
    .drop("__dup");
}

/** Canonical columns compared by the duplicate rule: all but the source file and row. */
export const CONTENT_COLUMNS = CANONICAL_COLUMNS.filter((c) =>
  c !== "source_file" && c !== "source_row"
);

/**
 * Row positions that repeat an earlier row in every content column (the first occurrence, in
 * file order then row order, is the original). Only rows that have a twin are compared for
 * first occurrence, which keeps it fast.
 */
export function duplicateRows(tx: pl.DataFrame): number[] {
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
 * A boolean Series of length `n`, true at `positions`.
 *
 * @example
 * ```ts
 * import { flagSeries } from "./rules.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(flagSeries("f", 4, [1, 3]).toArray(), [false, true, false, true]);
 * ```
 */
export function flagSeries(name: string, n: number, positions: Iterable<number>): pl.Series {
  const flags = new Uint8Array(n);
  for (const p of positions) flags[p] = 1;
  return pl.Series(name, flags).cast(pl.Bool);
}

/**
 * Sets `reason` to `code` on the rows that no earlier rule dropped and where `condition` holds;
 * other rows keep their reason (the first failing rule wins).
 */
export function markReason(df: pl.DataFrame, code: string, condition: pl.Expr): pl.DataFrame {
  return df.withColumns(
    pl.when(pl.col("reason").isNull().and(condition))
      .then(pl.lit(code)).otherwise(pl.col("reason")).alias("reason"),
  );
}
