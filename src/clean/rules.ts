/**
 * The cleaning rules: the ordered rule table, which rules run for a dataset, and the row-level
 * rules, from `ragged_row` to `duplicate` (each row gets the code of the first rule it fails; the
 * first two carry out what ingest found while reading, the timestamp rules keep impossible dates
 * from setting the analysis date). The last two rules, `cancelled_order` and `extreme_value`,
 * look at other rows too and live in `cancellations.ts` and `outliers.ts`; they only mark rows
 * that no earlier rule dropped ({@link markReason}).
 *
 * @module
 */
import pl from "nodejs-polars";
import type { CleaningConfig, LineRule, MappableColumn } from "../config/dataset.ts";
import { CANONICAL_COLUMNS } from "../config/schema.ts";
import { excerpt } from "../lib/text.ts";
import { DAY_US, isoDay } from "../lib/time.ts";

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

/**
 * The rules, in order of application. The descriptions and needs of `cancellation`,
 * `bad_debt_adjustment` and `cancelled_order` are those of the default configuration;
 * {@link planRules} gives them as configured.
 */
export const RULES: readonly Omit<RuleInfo, "order" | "applied" | "skippedBecause">[] = [
  {
    code: "ragged_row",
    description:
      "Ingest: the line has more or fewer fields than the header (an unquoted delimiter inside a value, a missing field); line and field counts in cleaning.json (ingest)",
    needs: [],
  },
  {
    code: "truncated_line",
    description:
      "Ingest: the file ends in the middle of a line (no line break at the end, and too few fields or an open quote)",
    needs: [],
  },
  {
    code: "bad_timestamp",
    description:
      "The invoice timestamp is missing or cannot be parsed (the format must match the whole value)",
    needs: ["timestamp"],
  },
  {
    code: "future_timestamp",
    description:
      "The timestamp lies after the build date (or after cleaning.timestamps.notAfter): it cannot have happened yet",
    needs: ["timestamp"],
  },
  {
    code: "implausible_timestamp",
    description:
      "The timestamp lies far outside the bulk of the data: more than cleaning.timestamps.bulkMargin × max(1 year, P99 − P1) before the 1st or after the 99th percentile of the other timestamps",
    needs: ["timestamp"],
  },
  { code: "missing_customer", description: "No customer id", needs: ["customer_id"] },
  {
    code: "cancellation",
    description:
      'Cancellation line: the invoice number starts with "C" (see cleaning.cancellation)',
    needs: ["invoice"],
  },
  {
    code: "bad_debt_adjustment",
    description:
      'Bad-debt adjustment: the invoice number starts with "A" (see cleaning.adjustment)',
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

/** The configuration key that defines rule `code`, for `cancellation` and `bad_debt_adjustment`. */
const LINE_RULE_KEYS: Record<string, "cancellation" | "adjustment"> = {
  cancellation: "cancellation",
  bad_debt_adjustment: "adjustment",
};

/** The columns a line definition reads. */
function lineRuleNeeds(r: LineRule): MappableColumn[] {
  if (r.rule === "prefix" || r.rule === "pattern") return ["invoice"];
  if (r.rule === "negative-quantity") return ["quantity"];
  return [];
}

/** What a line definition says, in words (`the invoice number starts with "C"`). */
export function lineRuleText(r: LineRule): string {
  switch (r.rule) {
    case "prefix":
      return `the invoice number starts with ${excerpt(r.prefix)}`;
    case "pattern":
      return `the invoice number matches the regular expression ${excerpt(r.pattern)}`;
    case "negative-quantity":
      return "the quantity is negative";
    case "off":
      return "none (the rule is off)";
  }
}

/**
 * The condition of a line definition, as a polars expression over the canonical columns, or null
 * when the rule is off. The `cancellation` rule marks the lines it holds for, and the
 * `cancelled_order` rule (`cancellations.ts`) matches exactly those lines, so both use this one
 * definition.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { lineRuleCondition } from "./rules.ts";
 * import { deepEqual } from "node:assert/strict";
 * const df = pl.DataFrame({ invoice: ["C1", "CA-7", "9"], quantity: [-1, 2, -3] });
 * const hits = (rule: "prefix" | "pattern" | "negative-quantity", prefix = "C", pattern = "^C\\d") =>
 *   df.select(lineRuleCondition({ rule, prefix, pattern })!.alias("x")).getColumn("x").toArray();
 * deepEqual(hits("prefix"), [true, true, false]);
 * deepEqual(hits("pattern"), [true, false, false]);
 * deepEqual(hits("negative-quantity"), [true, false, true]);
 * deepEqual(lineRuleCondition({ rule: "off", prefix: null, pattern: null }), null);
 * ```
 */
export function lineRuleCondition(r: LineRule): pl.Expr | null {
  switch (r.rule) {
    case "prefix":
      return pl.col("invoice").str.startsWith(r.prefix!);
    case "pattern":
      return pl.col("invoice").str.contains(r.pattern!);
    case "negative-quantity":
      return pl.col("quantity").lt(0);
    case "off":
      return null;
  }
}

/** The rule `code` as configured: its description and the columns it needs. */
function configured(
  rule: (typeof RULES)[number],
  cfg: CleaningConfig,
): { description: string; needs: MappableColumn[] } {
  const key = LINE_RULE_KEYS[rule.code];
  if (key !== undefined) {
    const def = cfg[key];
    const what = rule.code === "cancellation" ? "Cancellation line" : "Bad-debt adjustment";
    return { description: `${what}: ${lineRuleText(def)}`, needs: lineRuleNeeds(def) };
  }
  if (rule.code === "cancelled_order") {
    // Matches the lines of the cancellation rule, so it needs what that rule needs, and products.
    return {
      description: rule.description,
      needs: [...lineRuleNeeds(cfg.cancellation), "stock_code"],
    };
  }
  return { description: rule.description, needs: [...rule.needs] };
}

/** Why a rule does not run for these files and settings, or null when it runs. */
function skipReason(
  rule: (typeof RULES)[number],
  needs: readonly MappableColumn[],
  cfg: CleaningConfig,
  provided: Record<string, Set<MappableColumn>>,
): string | null {
  const files = Object.keys(provided);
  const missing = needs.flatMap((col) =>
    files.filter((f) => !provided[f].has(col)).map((f) => `${f} has no ${col} column`)
  );
  if (missing.length) return missing.join("; ");
  const key = LINE_RULE_KEYS[rule.code];
  if (key !== undefined && cfg[key].rule === "off") {
    return `turned off in configuration (cleaning.${key}.rule is "off")`;
  }
  if (rule.code === "cancelled_order" && cfg.cancellation.rule === "off") {
    return 'no cancellation lines to match: the cancellation rule is off (cleaning.cancellation.rule is "off")';
  }
  if (rule.code === "cancelled_order" && !cfg.outliers.matchCancelledOrders) {
    return "disabled in configuration (cleaning.outliers.matchCancelledOrders)";
  }
  if (rule.code === "duplicate" && !cfg.dropExactDuplicates) {
    return "disabled in configuration (cleaning.dropExactDuplicates)";
  }
  if (rule.code === "implausible_timestamp" && cfg.timestamps.bulkMargin === null) {
    return "disabled in configuration (cleaning.timestamps.bulkMargin)";
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
    const { description, needs } = configured(r, cfg);
    const skipped = skipReason(r, needs, cfg, provided);
    return {
      ...r,
      description,
      needs,
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

/** The limits of plausible timestamps (µs since 1970, UTC), see {@link timestampLimits}. */
export interface TimestampLimits {
  /** Timestamps at or after this instant are `future_timestamp` (the day after `notAfter`). */
  future: number;
  /** The 1st and 99th percentile of the timestamps before {@link future}, or null with none. */
  p01: number | null;
  p99: number | null;
  /** Timestamps before `low` or after `high` are `implausible_timestamp` (null: rule off). */
  low: number | null;
  high: number | null;
}

/**
 * The limits of plausible timestamps: the start of the day after `cleaning.timestamps.notAfter`
 * (default: the build date, `now`), and the bulk of the data — the 1st to 99th percentile
 * (nearest rank) of the timestamps before that — widened on each side by `bulkMargin` × its span,
 * the span counted as at least one year.
 *
 * @param tx canonical rows (`timestamp`)
 * @param cfg the cleaning configuration
 * @param now the build time (ms since 1970), for the default `notAfter`
 */
export function timestampLimits(
  tx: pl.DataFrame,
  cfg: CleaningConfig,
  now: number = Date.now(),
): TimestampLimits {
  const future = futureLimit(cfg, now);
  const t = pl.col("timestamp").cast(pl.Int64);
  const q = tx.lazy().select(t.alias("t"))
    .filter(pl.col("t").isNotNull().and(pl.col("t").lt(future)))
    .select(
      pl.col("t").quantile(0.01, "nearest").alias("p01"),
      pl.col("t").quantile(0.99, "nearest").alias("p99"),
    ).collectSync().row(0);
  const p01 = q[0] === null ? null : Number(q[0]);
  const p99 = q[1] === null ? null : Number(q[1]);
  const m = cfg.timestamps.bulkMargin;
  if (p01 === null || p99 === null || m === null) {
    return { future, p01, p99, low: null, high: null };
  }
  const margin = m * Math.max(p99 - p01, 365 * DAY_US);
  return { future, p01, p99, low: p01 - margin, high: p99 + margin };
}

/**
 * The first instant (µs since 1970, UTC) of the `future_timestamp` rule: the start of the day
 * after `cleaning.timestamps.notAfter`, or after the build date `now` (ms since 1970).
 */
export function futureLimit(cfg: CleaningConfig, now: number): number {
  const lastDay = cfg.timestamps.notAfter ?? new Date(now).toISOString().slice(0, 10);
  return (isoDay(lastDay) + 1) * DAY_US;
}

/**
 * The row-level reason of a row from its reason without the two row rules decided over all rows
 * (`applyRowRules` given limits without `low` and `high`, and no duplicates): the
 * `implausible_timestamp` rule replaces the reasons of the rules after it, and `duplicate` marks
 * the rows still kept. The result is what `applyRowRules` gives on all rows at once.
 *
 * @param partial the reason without those rules (a rule number, {@link reasonNumber})
 * @param rules the plan of the run
 * @param limits the timestamp limits over all rows ({@link timestampLimits})
 * @param duplicate whether the row repeats an earlier one (null: no duplicates)
 */
export function completeRowReason(
  partial: pl.Expr,
  rules: readonly RuleInfo[],
  limits: TimestampLimits,
  duplicate: pl.Expr | null,
): pl.Expr {
  let reason = partial;
  if (applies(rules, "implausible_timestamp") && limits.low !== null && limits.high !== null) {
    const n = reasonNumber("implausible_timestamp");
    const t = pl.col("timestamp").cast(pl.Int64);
    reason = pl.when(partial.isNotNull().and(partial.lt(n))).then(partial)
      .when(t.lt(limits.low).or(t.gt(limits.high))).then(pl.lit(n).cast(pl.UInt8))
      .otherwise(partial);
  }
  if (duplicate !== null) {
    reason = pl.when(reason.isNull().and(duplicate))
      .then(pl.lit(reasonNumber("duplicate")).cast(pl.UInt8)).otherwise(reason);
  }
  return reason.alias("reason");
}

/**
 * The number ({@link reasonNumber}) of the first row-level rule before `duplicate` a row fails,
 * or null: one polars expression over the canonical columns and, when some row was quarantined
 * while reading, `ingest_reason`.
 */
function rowRuleReason(
  rules: readonly RuleInfo[],
  cfg: CleaningConfig,
  limits: TimestampLimits,
  ingestReasons: boolean,
): pl.Expr {
  const on = (code: string) => applies(rules, code);
  const conds: [string, pl.Expr][] = [];
  for (const code of ["ragged_row", "truncated_line"]) {
    if (on(code) && ingestReasons) conds.push([code, pl.col("ingest_reason").eq(pl.lit(code))]);
  }
  if (on("bad_timestamp")) conds.push(["bad_timestamp", pl.col("timestamp").isNull()]);
  const t = pl.col("timestamp").cast(pl.Int64);
  if (on("future_timestamp")) conds.push(["future_timestamp", t.gtEq(limits.future)]);
  if (on("implausible_timestamp") && limits.low !== null && limits.high !== null) {
    conds.push(["implausible_timestamp", t.lt(limits.low).or(t.gt(limits.high))]);
  }
  if (on("missing_customer")) conds.push(["missing_customer", pl.col("customer_id").isNull()]);
  const cancellation = lineRuleCondition(cfg.cancellation);
  if (on("cancellation") && cancellation) conds.push(["cancellation", cancellation]);
  const adjustment = lineRuleCondition(cfg.adjustment);
  if (on("bad_debt_adjustment") && adjustment) conds.push(["bad_debt_adjustment", adjustment]);
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
  // (`duplicate`, the last row-level rule, is set after: see `applyRowRules`.)

  // The chain picks the rule's number ({@link reasonNumber}), one byte a row: a chain of text
  // (or dictionary) columns would build a column of strings per rule, and setting a dictionary
  // value later (`markReason`) re-encodes the whole column.
  let number: pl.Expr = pl.lit(null).cast(pl.UInt8);
  for (let i = conds.length - 1; i >= 0; i--) {
    number = pl.when(conds[i][1]).then(pl.lit(reasonNumber(conds[i][0])).cast(pl.UInt8))
      .otherwise(number);
  }
  return number;
}

/**
 * The number of rule `code` in the `reason` column of the frame {@link applyRowRules} returns: its
 * position in {@link RULES}, 1-based.
 *
 * @example
 * ```ts
 * import { reasonNumber } from "./rules.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(reasonNumber("ragged_row"), 1);
 * equal(reasonNumber("extreme_value"), 14);
 * throws(() => reasonNumber("nope"), /unknown reason code "nope"/);
 * ```
 */
export function reasonNumber(code: string): number {
  const i = RULES.findIndex((r) => r.code === code);
  if (i < 0) throw new Error(`unknown reason code ${excerpt(code)}`);
  return i + 1;
}

/** Whether a `reason` column holds rule numbers ({@link reasonNumber}) rather than text. */
function numbered(dtype: pl.DataType): boolean {
  return dtype.variant === "UInt8";
}

/**
 * The condition "the row's reason is `code`" on a frame's `reason` column, which holds rule
 * numbers (the frame of {@link applyRowRules}) or text (the quarantine).
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { reasonIs } from "./rules.ts";
 * import { deepEqual } from "node:assert/strict";
 * const text = pl.DataFrame({ reason: ["duplicate", null, "cancellation"] });
 * const numbers = pl.DataFrame({ reason: pl.Series("reason", [12, null, 7], pl.UInt8) });
 * for (const df of [text, numbers]) {
 *   deepEqual(df.withRowIndex("i").filter(reasonIs(df, "cancellation")).getColumn("i").toArray(),
 *     [2]);
 * }
 * ```
 */
export function reasonIs(df: pl.DataFrame, code: string): pl.Expr {
  const dtype = df.getColumn("reason").dtype;
  return pl.col("reason").eq(
    numbered(dtype) ? pl.lit(reasonNumber(code)).cast(pl.UInt8) : pl.lit(code).cast(dtype),
  );
}

/**
 * The `reason` column as text (`pl.Utf8`): rule numbers ({@link reasonNumber}) become their
 * codes, text stays text; null (kept) stays null.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { reasonText } from "./rules.ts";
 * import { deepEqual } from "node:assert/strict";
 * const df = pl.DataFrame({ reason: pl.Series("reason", [12, null, 7], pl.UInt8) });
 * deepEqual(df.select(reasonText(df)).getColumn("reason").toArray(),
 *   ["duplicate", null, "cancellation"]);
 * ```
 */
export function reasonText(df: pl.DataFrame): pl.Expr {
  if (!numbered(df.getColumn("reason").dtype)) return pl.col("reason").cast(pl.Utf8);
  return pl.col("reason").replaceStrict(
    RULES.map((_, i) => i + 1),
    RULES.map((r) => r.code),
    pl.lit(null).cast(pl.Utf8),
    pl.Utf8,
  ).alias("reason");
}

/**
 * Applies the row-level rules (up to `duplicate`) to canonical transactions. The rules run on a
 * narrow frame (no free-text columns): the returned frame holds the columns the later rules need,
 * `source_file`, the row position `__i` (0-based, in the order of `tx`) and `reason` (null for
 * rows kept so far, else the number of the rule that dropped the row, {@link reasonNumber}; one
 * byte a row; {@link reasonIs} and {@link reasonText} read it).
 *
 * @param tx canonical transactions (several files concatenated in order; with `ingest_reason`
 *   when ingest quarantined some row)
 * @param rules the plan from {@link planRules}
 * @param cfg the dataset's cleaning configuration
 * @param now the build time (ms since 1970), for `future_timestamp` (default: now)
 */
export function applyRowRules(
  tx: pl.DataFrame,
  rules: readonly RuleInfo[],
  cfg: CleaningConfig,
  now: number = Date.now(),
  part?: RowRulePart,
): pl.DataFrame {
  const ingestReasons = tx.columns.includes("ingest_reason");
  const limits = part?.limits ?? timestampLimits(tx, cfg, now);
  // The rules before `duplicate`, computed on `tx` itself, not on a frame with columns added to it
  // (a column in one piece beside `tx`'s columns, in one piece per file, makes polars join the
  // pieces of every column of that frame first); `source_row` beside it, so that a literal still
  // gets a value per row.
  // The content hashes of the duplicate rule in the same select: polars computes the two side by
  // side (two cores).
  const hashHere = applies(rules, "duplicate") && !part;
  const firsts = tx.select(
    pl.col("source_row"),
    rowRuleReason(rules, cfg, limits, ingestReasons).alias("reason"),
    ...(hashHere ? [rowHash().alias("h")] : []),
  );
  let reason = firsts.getColumn("reason");
  // `duplicate` is the last row-level rule: it marks the repeats no earlier rule dropped. The first
  // occurrence of a line (in file order, then row order) is the original.
  const dups = !applies(rules, "duplicate")
    ? []
    : part
    ? part.duplicates
    : duplicateRows(tx, firsts.getColumn("h"));
  if (dups.length > 0) {
    reason = pl.DataFrame([reason, flagSeries("__dup", tx.height, dups)]).select(
      pl.when(pl.col("reason").isNull().and(pl.col("__dup")))
        .then(pl.lit(reasonNumber("duplicate")).cast(pl.UInt8))
        .otherwise(pl.col("reason")).alias("reason"),
    ).getColumn("reason");
  }
  return tx.select(
    "invoice",
    "stock_code",
    "quantity",
    "unit_price",
    "line_value",
    "customer_id",
    "timestamp",
    "source_file",
  ).withColumns(
    pl.intRange(part?.offset ?? 0, (part?.offset ?? 0) + tx.height, 1, pl.Int64).alias("__i"),
    reason,
  );
}

/**
 * What {@link applyRowRules} needs to know of the other parts when it runs on one part of the
 * lines (a file of a streamed run): the timestamp limits and the duplicates, both decided over
 * every part, and the position of the part's first row among all rows.
 */
export interface RowRulePart {
  /** The limits of plausible timestamps over all rows ({@link timestampLimits}). */
  limits: TimestampLimits;
  /** The positions, within the part, of its rows that repeat an earlier row of any part. */
  duplicates: readonly number[];
  /** The position of the part's first row among all rows (the part's `__i` starts there). */
  offset: number;
}

/** Canonical columns compared by the duplicate rule: all but the source file and row. */
export const CONTENT_COLUMNS = CANONICAL_COLUMNS.filter((c) =>
  c !== "source_file" && c !== "source_row"
);

/** Multiplier of the row hash (the 64-bit FNV prime): hash = hash × it + the next column's. */
const ROW_HASH_MULTIPLIER = 1099511628211;

/**
 * Row positions that repeat an earlier row in every content column (the first occurrence, in
 * file order then row order, is the original). Only rows whose content hash repeats are
 * compared, and those in full, so a hash collision never marks a line. The row hash combines
 * each column's own hash (wrapping 64-bit arithmetic), and repeats are found by sorting the
 * hashes: both far cheaper than hashing a struct of the columns and a hash table of the hashes.
 *
 * @param tx the lines
 * @param hashes their content hashes ({@link rowHash}), when already computed
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { CONTENT_COLUMNS, duplicateRows } from "./rules.ts";
 * import { deepEqual } from "node:assert/strict";
 * const row = (description: string) =>
 *   Object.fromEntries(CONTENT_COLUMNS.map((c) => [c, c === "description" ? description : "x"]));
 * const tx = pl.DataFrame([row("a"), row("b"), row("a"), row("a")]);
 * deepEqual(duplicateRows(tx), [2, 3]); // row 1 differs in its description only
 * ```
 */
export function duplicateRows(
  tx: pl.DataFrame,
  hashes: pl.Series = tx.select(rowHash().alias("h")).getColumn("h"),
): number[] {
  const mask = repeatedMask(hashes);
  if (mask === null) return [];
  // Those rows in full (a run in parts reads them back from its files instead), taken with the
  // mask (a gather by positions first converts them for every column: four times slower).
  const twins = tx.select(...CONTENT_COLUMNS).filter(mask);
  return repeatsAmong(twins, positionsOf(mask));
}

/**
 * The 64-bit hash of a line's content columns ({@link CONTENT_COLUMNS}), as a UInt64 expression:
 * each column's own hash, combined with wrapping arithmetic. Categorical columns hash their text,
 * so parts read apart hash alike.
 */
export function rowHash(): pl.Expr {
  let hash: pl.Expr = pl.lit(0).cast(pl.UInt64);
  for (const [i, c] of CONTENT_COLUMNS.entries()) {
    hash = hash.mul(pl.lit(ROW_HASH_MULTIPLIER).cast(pl.UInt64))
      // (the cast: polars does not know a hash's type when planning the sum)
      .add(pl.col(c).hash(i + 1).cast(pl.UInt64));
  }
  return hash;
}

/**
 * The positions (ascending) of the rows whose content hash ({@link rowHash}) is shared with
 * another row: the only rows that can be duplicates.
 */
export function repeatedHashes(hashes: pl.Series): number[] {
  const mask = repeatedMask(hashes);
  return mask === null ? [] : positionsOf(mask);
}

/**
 * {@link repeatedHashes} as a mask: true on the rows whose hash is shared with another row; null
 * when no hash repeats.
 */
function repeatedMask(hashes: pl.Series): pl.Series | null {
  const h = pl.col("h");
  // Eager steps on one column each (one lazy plan of the hashes, a row index and a sort of both
  // costs three times as much): the hash values that repeat, found by sorting the values alone,
  // then the rows holding them, by a membership test on the few repeated values.
  const named = hashes.alias("h");
  const repeats = pl.DataFrame([named.sort()]).filter(h.eq(h.shift(1))).unique();
  if (repeats.height === 0) return null;
  // (a membership test gives the rows in order: four times faster than a join and a sort)
  return named.isIn(repeats.getColumn("h"));
}

/** The positions (ascending) where a boolean mask is true. */
function positionsOf(mask: pl.Series): number[] {
  return (mask.argTrue().toArray() as (number | bigint)[]).map(Number);
}

/**
 * The duplicates among rows that share hashes: those that repeat an earlier one of them in every
 * content column.
 *
 * @param twins the content columns of the rows at `positions`, in that order
 * @param positions ascending positions of the rows (from {@link repeatedHashes})
 * @returns the positions of the repeats
 */
export function repeatsAmong(twins: pl.DataFrame, positions: readonly number[]): number[] {
  // In source order (`positions` is ascending): a repeat of an earlier row is a duplicate.
  const row = pl.struct(CONTENT_COLUMNS.map((c) => pl.col(c)));
  const isRepeat = twins.select(row.isFirstDistinct().not().alias("r")).getColumn("r")
    .toArray() as boolean[];
  return positions.filter((_, k) => isRepeat[k]);
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
  // The code in the reason column's own type (a rule number, plain or dictionary text).
  const dtype = df.getColumn("reason").dtype;
  const value = numbered(dtype)
    ? pl.lit(reasonNumber(code)).cast(pl.UInt8)
    : pl.lit(code).cast(dtype);
  // The new column is computed apart and then put in place: an expression in `withColumns` on a
  // frame whose columns come in different pieces joins the pieces of every column first.
  const reason = df.select(
    pl.when(pl.col("reason").isNull().and(condition))
      .then(value).otherwise(pl.col("reason")).alias("reason"),
  ).getColumn("reason");
  return df.withColumns(reason);
}
