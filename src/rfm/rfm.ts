/**
 * RFM: per-customer recency, frequency and monetary value, quantile scores and named segments.
 *
 * - recency_days: days from the calendar day (UTC) of the last purchase to the analysis date
 *   (a purchase on the day before the analysis date gives 1; the analysis date itself is
 *   excluded).
 * - frequency: distinct invoices.
 * - monetary: net revenue, the sum of kept line values (net of cancelled orders; see clean.ts).
 * - tenure_days: days from the first purchase's calendar day to the analysis date.
 * - avg_order_value: monetary / frequency.
 *
 * Scores use cut points chosen among the distinct values (see {@link quantileCuts}), so tied
 * customers always share a score and no bin silently collapses.
 *
 * @module
 */
import pl from "nodejs-polars";
import { DAY_US, dayIso, isoDay } from "../lib/time.ts";
import { perCustomer } from "../lib/per_customer.ts";
import { linesBefore } from "../lib/before.ts";
import { guardLimit, segmentOf, typicalPurchaseGap } from "./segments.ts";
import type { RfmGuardConfig } from "../config/dataset.ts";

/**
 * The default analysis date: the day after the last transaction (UTC), as an ISO date.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * const tx = pl.DataFrame({
 *   customer_id: ["a", "a", "b"],
 *   invoice: ["1", "2", "3"],
 *   line_value: [10, 30, 5],
 *   timestamp: [
 *     new Date("2011-01-01T10:00:00Z"),
 *     new Date("2011-01-05T09:00:00Z"),
 *     new Date("2011-01-09T12:00:00Z"),
 *   ],
 *   country: ["United Kingdom", "United Kingdom", "France"],
 *   source_row: [1, 2, 3],
 * }).withColumns(pl.col("timestamp").cast(pl.Datetime("us")).dt.replaceTimeZone("UTC"));
 * import { defaultAnalysisDate } from "./rfm.ts";
 * import { equal } from "node:assert/strict";
 * equal(defaultAnalysisDate(tx), "2011-01-10");
 * ```
 * @throws {Error} when there are no transactions
 */
export function defaultAnalysisDate(tx: pl.DataFrame): string {
  return analysisDateAfter(purchaseDates(tx, null).last);
}

/**
 * The default analysis date ({@link defaultAnalysisDate}) from the last transaction's time.
 *
 * @example
 * ```ts
 * import { analysisDateAfter } from "./rfm.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(analysisDateAfter(Date.UTC(2011, 11, 9, 12, 50) * 1000), "2011-12-10");
 * throws(() => analysisDateAfter(null), /no transactions/);
 * ```
 *
 * @param lastUs the last transaction's time (µs since 1970, UTC), null when there is none
 * @throws {Error} when there is no transaction
 */
export function analysisDateAfter(lastUs: number | null): string {
  if (lastUs === null) throw new Error("no transactions: cannot set the analysis date");
  return dayIso(Math.floor(lastUs / DAY_US) + 1);
}

/** The clean purchases' times, against which an analysis date is checked. */
export interface PurchaseDates {
  /** Clean lines. */
  lines: number;
  /** Of which before the analysis date (a missing time is not). */
  before: number;
  /** The first and the last time (µs since 1970, UTC); null when no line has one. */
  first: number | null;
  last: number | null;
}

/**
 * The purchase dates of clean lines ({@link PurchaseDates}), against the analysis date's day
 * `asOfDay` (days since 1970), or, with null, against the default date: every line with a time
 * is before the day after the last one.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { purchaseDates } from "./rfm.ts";
 * import { deepEqual } from "node:assert/strict";
 * const day = 86_400_000_000;
 * const tx = pl.DataFrame({
 *   timestamp: pl.Series("timestamp", [day, 3 * day, null]).cast(pl.Int64)
 *     .cast(pl.Datetime("us", "UTC")),
 * });
 * deepEqual(purchaseDates(tx, 2), { lines: 3, before: 1, first: day, last: 3 * day });
 * deepEqual(purchaseDates(tx, null), { lines: 3, before: 2, first: day, last: 3 * day });
 * ```
 */
export function purchaseDates(lines: pl.DataFrame, asOfDay: number | null): PurchaseDates {
  const ts = pl.col("timestamp");
  const [n, first, last] = lines.select(
    isBefore(asOfDay).sum().alias("before"),
    ts.min().cast(pl.Int64).alias("first"),
    ts.max().cast(pl.Int64).alias("last"),
  ).row(0);
  const time = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return { lines: lines.height, before: Number(n ?? 0), first: time(first), last: time(last) };
}

/**
 * The condition "the line is before the analysis date's day `asOfDay`" of {@link purchaseDates}
 * (null: the default date, which every line with a time is before).
 */
export function isBefore(asOfDay: number | null): pl.Expr {
  const ts = pl.col("timestamp");
  return asOfDay === null
    ? ts.isNotNull()
    : ts.lt(pl.lit(asOfDay * DAY_US).cast(pl.Datetime("us", "UTC")));
}

/** The columns of the clean lines that {@link customerMetrics} reads. */
export const CUSTOMER_LINE_COLUMNS = [
  "customer_id",
  "invoice",
  "line_value",
  "timestamp",
  "country",
  "source_row",
] as const;

/**
 * The columns of {@link customerMetrics}' table, in order: one row per customer before scoring.
 * The SQL engine (`src/engine/sql.ts`) writes the same table.
 */
export const CUSTOMER_METRIC_COLUMNS = [
  "customer_id",
  "recency_days",
  "frequency",
  "monetary",
  "tenure_days",
  "avg_order_value",
  "first_day",
  "last_day",
  "country",
] as const;

/**
 * Per-customer metrics from canonical transactions strictly before `asOf`.
 *
 * @param tx clean canonical transactions
 * @param asOf analysis date (ISO); only transactions before its midnight UTC count
 * @returns one row per customer, sorted by customer_id: customer_id, recency_days, frequency,
 *   monetary, tenure_days, avg_order_value, first_day, last_day (days since 1970-01-01), country
 *   (of the customer's latest line; ties: the later source row)
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * const tx = pl.DataFrame({
 *   customer_id: ["a", "a", "b"],
 *   invoice: ["1", "2", "3"],
 *   line_value: [10, 30, 5],
 *   timestamp: [
 *     new Date("2011-01-01T10:00:00Z"),
 *     new Date("2011-01-05T09:00:00Z"),
 *     new Date("2011-01-09T12:00:00Z"),
 *   ],
 *   country: ["United Kingdom", "United Kingdom", "France"],
 *   source_row: [1, 2, 3],
 * }).withColumns(pl.col("timestamp").cast(pl.Datetime("us")).dt.replaceTimeZone("UTC"));
 * import { customerMetrics } from "./rfm.ts";
 * import { deepEqual } from "node:assert/strict";
 * const m = customerMetrics(tx, "2011-01-10").select(
 *   "customer_id", "recency_days", "frequency", "monetary", "tenure_days", "avg_order_value",
 * );
 * deepEqual(m.toRecords(), [
 *   { customer_id: "a", recency_days: 5, frequency: 2, monetary: 40, tenure_days: 9, avg_order_value: 20 },
 *   { customer_id: "b", recency_days: 1, frequency: 1, monetary: 5, tenure_days: 1, avg_order_value: 5 },
 * ]);
 * // Only transactions before the analysis date count.
 * deepEqual(customerMetrics(tx, "2011-01-09").getColumn("customer_id").toArray(), ["a"]);
 * ```
 */
export function customerMetrics(tx: pl.DataFrame, asOf: string): pl.DataFrame {
  const asOfDay = isoDay(asOf);
  const before = linesBefore(tx.select(...CUSTOMER_LINE_COLUMNS), asOfDay)
    .withColumns(dayOf(pl.col("timestamp")).alias("__day"));
  return finishedMetrics(
    perCustomer(
      before,
      pl.col("__day").max().alias("__last"),
      pl.col("__day").min().alias("__first"),
      pl.col("invoice").nUnique().alias("frequency"),
      pl.col("line_value").sum().alias("monetary"),
      // The country of the customer's latest line (ties: the later source row).
      pl.col("country").sortBy([pl.col("timestamp"), pl.col("source_row")]).last().alias("country"),
    ),
    asOfDay,
  );
}

/** A time's calendar day (UTC; days since 1970). */
export function dayOf(timestamp: pl.Expr): pl.Expr {
  return timestamp.cast(pl.Int64).div(DAY_US).floor().cast(pl.Int64);
}

/**
 * The table of {@link customerMetrics} from its aggregates per customer (sorted by customer):
 * `__last` and `__first` (days), `frequency`, `monetary` and `country`.
 */
export function finishedMetrics(grouped: pl.DataFrame, asOfDay: number): pl.DataFrame {
  return grouped.select(
    pl.col("customer_id"),
    pl.lit(asOfDay).sub(pl.col("__last")).cast(pl.Int64).alias("recency_days"),
    pl.col("frequency").cast(pl.Int64),
    pl.col("monetary"),
    pl.lit(asOfDay).sub(pl.col("__first")).cast(pl.Int64).alias("tenure_days"),
    pl.col("monetary").div(pl.col("frequency").cast(pl.Float64)).alias("avg_order_value"),
    pl.col("__first").alias("first_day"),
    pl.col("__last").alias("last_day"),
    pl.col("country").cast(pl.Utf8), // (a dictionary column in the clean lines)
  );
}

/** Cut points of one metric and how they were obtained. */
export interface MetricCuts {
  /** Metric name. */
  metric: string;
  /** Upper bounds of bins 1..bins-1 (a value ≤ cuts[i] falls in bin i+1 or lower). */
  cuts: number[];
  /** "quantile" (chosen from the data) or "custom" (from configuration). */
  method: "quantile" | "custom";
  /** Whether a higher value earns a higher score (false for recency). */
  higherIsBetter: boolean;
  /** Customers per score 1..bins. */
  counts: number[];
  /** Share of customers per score 1..bins. */
  shares: number[];
  /** Warnings such as collapsed bins (too few distinct values). */
  warnings: string[];
}

/**
 * Chooses `bins - 1` cut points among the distinct values of `values` so that the share of
 * values at or below the i-th cut is as close as possible to i / bins.
 *
 * Greedy, left to right, deterministic: cut i is the distinct value whose cumulative share is
 * nearest i / bins (ties: the smaller value), strictly above cut i-1, and leaving enough distinct
 * values for the remaining bins. With at least `bins` distinct values every bin is non-empty;
 * with fewer, bins collapse and a warning says so.
 *
 * @param values the metric, one value per customer (any order)
 * @param bins number of score bins
 * @returns the cut points (increasing data values) and warnings
 *
 * @example
 * ```ts
 * import { quantileCuts } from "./rfm.ts";
 * import { deepEqual } from "node:assert/strict";
 * const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
 * deepEqual(quantileCuts(hundred, 5), { cuts: [20, 40, 60, 80], warnings: [] });
 * // Ties: 60 % of the values are 1, yet every bin gets customers.
 * const tied = [...Array(60).fill(1), ...Array.from({ length: 40 }, (_, i) => i + 2)];
 * deepEqual(quantileCuts(tied, 5).cuts, [1, 2, 3, 21]);
 * deepEqual(quantileCuts([1, 1, 2], 5), {
 *   cuts: [1],
 *   warnings: ["only 2 distinct values: 3 of 5 score bins are empty"],
 * });
 * ```
 */
export function quantileCuts(
  values: ArrayLike<number>,
  bins: number,
): { cuts: number[]; warnings: string[] } {
  const n = values.length;
  if (n === 0) return { cuts: [], warnings: ["no values"] };
  const sorted = Float64Array.from(values).sort();
  const uniq: number[] = [];
  const cum: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i + 1 < n && sorted[i + 1] === sorted[i]) continue;
    uniq.push(sorted[i]);
    cum.push((i + 1) / n);
  }
  const m = uniq.length;
  const warnings: string[] = [];
  const wanted = bins - 1;
  const possible = Math.min(wanted, m - 1);
  if (possible < wanted) {
    warnings.push(
      `only ${m} distinct values: ${bins - 1 - possible} of ${bins} score bins are empty`,
    );
  }
  const cuts: number[] = [];
  let lo = 0;
  for (let i = 1; i <= possible; i++) {
    const target = i / bins;
    const hi = m - 1 - (possible - i) - 1; // leave room for the remaining cuts and a last bin
    let best = lo;
    for (let j = lo; j <= hi; j++) {
      if (Math.abs(cum[j] - target) < Math.abs(cum[best] - target)) best = j;
    }
    cuts.push(uniq[best]);
    lo = best + 1;
  }
  return { cuts, warnings };
}

/**
 * Bin (1..cuts.length+1) of a value: 1 + the number of cuts strictly below it, so a value equal
 * to a cut falls in the lower bin.
 *
 * @example
 * ```ts
 * import { binOf } from "./rfm.ts";
 * import { equal } from "node:assert/strict";
 * equal(binOf(5, [10, 20]), 1);
 * equal(binOf(10, [10, 20]), 1);
 * equal(binOf(10.5, [10, 20]), 2);
 * equal(binOf(99, [10, 20]), 3);
 * ```
 */
export function binOf(value: number, cuts: readonly number[]): number {
  let b = 1;
  for (const c of cuts) if (value > c) b++;
  return b;
}

/**
 * Scores a metric 1..bins: by bin, reversed when lower values are better.
 * With collapsed bins the scores stay on the 1..bins scale (top bin = bins).
 *
 * @param metric metric name (for the thresholds and warnings)
 * @param values one value per customer
 * @param bins number of score bins
 * @param higherIsBetter false for recency (a lower value earns a higher score)
 * @param custom custom cut points (`bins - 1` increasing numbers) instead of quantiles
 *
 * @example
 * ```ts
 * import { scoreMetric } from "./rfm.ts";
 * import { deepEqual } from "node:assert/strict";
 * const r = scoreMetric("recency_days", [0, 10, 20, 30, 40, 50, 60, 70, 80, 90], 5, false);
 * deepEqual(Array.from(r.scores), [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
 * const m = scoreMetric("monetary", [5, 10, 11, 100], 5, true, [10, 20, 30, 40]);
 * deepEqual(Array.from(m.scores), [1, 1, 2, 5]);
 * deepEqual(m.cuts.counts, [2, 1, 0, 0, 1]);
 * ```
 */
export function scoreMetric(
  metric: string,
  values: ArrayLike<number>,
  bins: number,
  higherIsBetter: boolean,
  custom?: number[],
): { scores: Int32Array; cuts: MetricCuts } {
  const { cuts, warnings } = custom ? { cuts: custom, warnings: [] } : quantileCuts(values, bins);
  const n = values.length;
  const scores = new Int32Array(n);
  const counts = new Array<number>(bins).fill(0);
  const offset = bins - 1 - cuts.length; // number of collapsed bins
  for (let i = 0; i < n; i++) {
    // With collapsed bins the best values keep the best score (bins), whatever the direction.
    const b = binOf(values[i], cuts);
    const s = higherIsBetter ? b + offset : bins + 1 - b;
    scores[i] = s;
    counts[s - 1]++;
  }
  for (const [i, c] of counts.entries()) {
    if (c === 0 && !warnings.some((w) => w.includes("distinct"))) {
      warnings.push(`score ${i + 1} of ${metric} has no customers`);
    }
  }
  return {
    scores,
    cuts: {
      metric,
      cuts,
      method: custom ? "custom" : "quantile",
      higherIsBetter,
      counts,
      shares: counts.map((c) => (n ? c / n : 0)),
      warnings,
    },
  };
}

/** RFM scores and segments of a customer table. */
export interface RfmScores {
  r_score: Int32Array;
  f_score: Int32Array;
  m_score: Int32Array;
  rfm_segment: string[];
  thresholds: { recency_days: MetricCuts; frequency: MetricCuts; monetary: MetricCuts };
  /** The segment guards as applied (null when scored without them). */
  guards: GuardSummary | null;
}

/** How the segment guards were applied (`rfm.json` → `guards`). */
export interface GuardSummary extends RfmGuardConfig {
  /** Typical days between purchases (see `typicalPurchaseGap`); null when nobody bought twice. */
  typicalGapDays: number | null;
  /** Recency above which a guarded segment is refused (null: no limit). */
  limitDays: number | null;
  /** Customers moved out of a guarded segment. */
  moved: number;
  /** Moves by (from, to) segment, most customers first (ties: by names). */
  moves: { from: string; to: string; customers: number }[];
}

/**
 * Scores recency (lower is better), frequency and monetary value, and names segments.
 *
 * @param recency recency_days per customer
 * @param frequency frequency per customer
 * @param monetary monetary per customer
 * @param bins number of score bins (default 5)
 * @param cutPoints optional custom cut points per metric
 * @param guards tenure_days per customer and `rfm.guards`, to apply the segment guards (see
 *   `segments.ts`); null (default) for the plain rule table
 *
 * @example
 * ```ts
 * import { scoreRfm } from "./rfm.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const s = scoreRfm([1, 5, 30, 100, 300], [20, 10, 5, 2, 1], [5000, 1000, 300, 100, 10]);
 * deepEqual(Array.from(s.r_score), [5, 4, 3, 2, 1]);
 * deepEqual(s.rfm_segment, ["Champions", "Loyal", "Need attention", "Hibernating", "Lost"]);
 * // With guards: purchases every 10 days or so; "Loyal" after 50 days without one is refused.
 * const g = scoreRfm([1, 50, 60, 100, 300], [20, 10, 5, 2, 1], [5000, 1000, 300, 100, 10], 5, null, {
 *   tenure: [200, 140, 100, 110, 300],
 *   options: { recencyMultiple: 3, maxRecencyDays: 365 },
 * });
 * deepEqual(g.rfm_segment, ["Champions", "At risk", "Need attention", "Hibernating", "Lost"]);
 * equal(g.guards?.typicalGapDays, 10); // median of 199/19, 90/9, 40/4, 10/1
 * equal(g.guards?.limitDays, 30);
 * deepEqual(g.guards?.moves, [{ from: "Loyal", to: "At risk", customers: 1 }]);
 * ```
 */
export function scoreRfm(
  recency: ArrayLike<number>,
  frequency: ArrayLike<number>,
  monetary: ArrayLike<number>,
  bins = 5,
  cutPoints: { recency_days?: number[]; frequency?: number[]; monetary?: number[] } | null = null,
  guards: { tenure: ArrayLike<number>; options: RfmGuardConfig } | null = null,
): RfmScores {
  const r = scoreMetric("recency_days", recency, bins, false, cutPoints?.recency_days);
  const f = scoreMetric("frequency", frequency, bins, true, cutPoints?.frequency);
  const m = scoreMetric("monetary", monetary, bins, true, cutPoints?.monetary);
  const gap = guards ? typicalPurchaseGap(recency, guards.tenure, frequency) : null;
  const limitDays = guards ? guardLimit(gap, guards.options) : null;
  const moves = new Map<string, { from: string; to: string; customers: number }>();
  const seg = Array.from(r.scores, (rs, i) => {
    const plain = segmentOf(rs, f.scores[i], m.scores[i], bins).name;
    if (limitDays === null) return plain;
    const guard = { recencyDays: Number(recency[i]), limitDays };
    const name = segmentOf(rs, f.scores[i], m.scores[i], bins, undefined, guard).name;
    if (name !== plain) {
      const key = `${plain}\u0000${name}`;
      const mv = moves.get(key) ?? { from: plain, to: name, customers: 0 };
      mv.customers++;
      moves.set(key, mv);
    }
    return name;
  });
  const moveList = [...moves.values()].sort((a, b) =>
    b.customers - a.customers || (a.from + a.to < b.from + b.to ? -1 : 1)
  );
  return {
    r_score: r.scores,
    f_score: f.scores,
    m_score: m.scores,
    rfm_segment: seg,
    thresholds: { recency_days: r.cuts, frequency: f.cuts, monetary: m.cuts },
    guards: guards
      ? {
        ...guards.options,
        typicalGapDays: gap,
        limitDays,
        moved: moveList.reduce((s, x) => s + x.customers, 0),
        moves: moveList,
      }
      : null,
  };
}

/**
 * Loyalty level of each customer in the outcome window [cutoff, windowEnd): 0 when it made no
 * purchase, 2 with at least `loyalMin` distinct invoices, 1 otherwise (at least `occasionalMin`).
 *
 * @param tx clean canonical transactions
 * @param customers customer ids to label (those with features before the cutoff)
 * @param cutoff first day of the window (ISO date)
 * @param windowEnd first day after the window (ISO date)
 * @param occasionalMin invoices needed for level 1
 * @param loyalMin invoices needed for level 2
 * @returns invoices in the window and level index, aligned with `customers`
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * const tx = pl.DataFrame({
 *   customer_id: ["a", "a", "b"],
 *   invoice: ["1", "2", "3"],
 *   line_value: [10, 30, 5],
 *   timestamp: [
 *     new Date("2011-01-01T10:00:00Z"),
 *     new Date("2011-01-05T09:00:00Z"),
 *     new Date("2011-01-09T12:00:00Z"),
 *   ],
 *   country: ["United Kingdom", "United Kingdom", "France"],
 *   source_row: [1, 2, 3],
 * }).withColumns(pl.col("timestamp").cast(pl.Datetime("us")).dt.replaceTimeZone("UTC"));
 * import { windowOutcome } from "./rfm.ts";
 * import { deepEqual } from "node:assert/strict";
 * // Window [2011-01-02, 2011-01-10): a's invoice 2 and b's invoice 3; "c" bought nothing.
 * deepEqual(windowOutcome(tx, ["a", "b", "c"], "2011-01-02", "2011-01-10", 1, 2), {
 *   invoices: [1, 1, 0],
 *   level: [1, 1, 0],
 * });
 * ```
 */
export function windowOutcome(
  tx: pl.DataFrame,
  customers: string[],
  cutoff: string,
  windowEnd: string,
  occasionalMin: number,
  loyalMin: number,
): { invoices: number[]; level: number[] } {
  const lo = pl.lit(isoDay(cutoff) * DAY_US).cast(pl.Datetime("us", "UTC"));
  const hi = pl.lit(isoDay(windowEnd) * DAY_US).cast(pl.Datetime("us", "UTC"));
  const counts = tx.select("customer_id", "invoice", "timestamp")
    .filter(pl.col("timestamp").gtEq(lo).and(pl.col("timestamp").lt(hi)))
    .groupBy("customer_id").agg(pl.col("invoice").nUnique().alias("n"));
  const byId = new Map<string, number>();
  const ids = counts.getColumn("customer_id").toArray() as string[];
  const ns = counts.getColumn("n").toArray() as number[];
  ids.forEach((id, i) => byId.set(id, Number(ns[i])));
  const invoices = customers.map((c) => byId.get(c) ?? 0);
  const level = invoices.map((n) => (n >= loyalMin ? 2 : n >= occasionalMin ? 1 : 0));
  return { invoices, level };
}
