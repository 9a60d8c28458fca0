/**
 * RFM: per-customer recency, frequency and monetary value, quantile scores and named segments.
 *
 * - recency_days: days from the calendar day (UTC) of the last purchase to the analysis date
 *   (the analysis date is day 0 of nothing: a purchase the day before scores 1).
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
import { segmentOf } from "./segments.ts";

const DAY_US = 86_400_000_000;

/** Days since 1970-01-01 of an ISO date (YYYY-MM-DD). */
export function isoDay(date: string): number {
  return Math.round(Date.parse(date + "T00:00:00Z") / 86_400_000);
}

/** ISO date (YYYY-MM-DD) of a day number since 1970-01-01. */
export function dayIso(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** The default analysis date: the day after the last transaction (UTC), as an ISO date. */
export function defaultAnalysisDate(tx: pl.DataFrame): string {
  const max = tx.select(pl.col("timestamp").max().cast(pl.Int64).alias("m")).row(0)[0];
  if (max === null || max === undefined) {
    throw new Error("no transactions: cannot set the analysis date");
  }
  return dayIso(Math.floor(Number(max) / DAY_US) + 1);
}

/**
 * Per-customer metrics from canonical transactions strictly before `asOf`.
 *
 * @param tx clean canonical transactions
 * @param asOf analysis date (ISO); only transactions before its midnight UTC count
 * @returns one row per customer, sorted by customer_id: customer_id, recency_days, frequency,
 *   monetary, tenure_days, avg_order_value, first_day, last_day (days since 1970-01-01), country
 */
export function customerMetrics(tx: pl.DataFrame, asOf: string): pl.DataFrame {
  const asOfDay = isoDay(asOf);
  const day = pl.col("timestamp").cast(pl.Int64).div(DAY_US).floor().cast(pl.Int64);
  const before = tx.select(
    "customer_id",
    "invoice",
    "line_value",
    "timestamp",
    "country",
    "source_row",
  )
    .filter(pl.col("timestamp").lt(pl.lit(asOfDay * DAY_US).cast(pl.Datetime("us", "UTC"))))
    .withColumns(day.alias("__day"));
  return before.groupBy("customer_id").agg(
    pl.col("__day").max().alias("__last"),
    pl.col("__day").min().alias("__first"),
    pl.col("invoice").nUnique().alias("frequency"),
    pl.col("line_value").sum().alias("monetary"),
    // The country of the customer's latest line (ties: the later source row).
    pl.col("country").sortBy([pl.col("timestamp"), pl.col("source_row")]).last().alias("country"),
  ).select(
    pl.col("customer_id"),
    pl.lit(asOfDay).sub(pl.col("__last")).cast(pl.Int64).alias("recency_days"),
    pl.col("frequency").cast(pl.Int64),
    pl.col("monetary"),
    pl.lit(asOfDay).sub(pl.col("__first")).cast(pl.Int64).alias("tenure_days"),
    pl.col("monetary").div(pl.col("frequency").cast(pl.Float64)).alias("avg_order_value"),
    pl.col("__first").alias("first_day"),
    pl.col("__last").alias("last_day"),
    pl.col("country"),
  ).sort("customer_id");
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

/** Bin (1..cuts.length+1) of a value: 1 + the number of cuts strictly below it. */
export function binOf(value: number, cuts: readonly number[]): number {
  let b = 1;
  for (const c of cuts) if (value > c) b++;
  return b;
}

/**
 * Scores a metric 1..bins: by bin, reversed when lower values are better.
 * With collapsed bins the scores stay on the 1..bins scale (top bin = bins).
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
}

/**
 * Scores recency (lower is better), frequency and monetary value, and names segments.
 *
 * @param recency recency_days per customer
 * @param frequency frequency per customer
 * @param monetary monetary per customer
 * @param bins number of score bins (default 5)
 * @param cutPoints optional custom cut points per metric
 */
export function scoreRfm(
  recency: ArrayLike<number>,
  frequency: ArrayLike<number>,
  monetary: ArrayLike<number>,
  bins = 5,
  cutPoints: { recency_days?: number[]; frequency?: number[]; monetary?: number[] } | null = null,
): RfmScores {
  const r = scoreMetric("recency_days", recency, bins, false, cutPoints?.recency_days);
  const f = scoreMetric("frequency", frequency, bins, true, cutPoints?.frequency);
  const m = scoreMetric("monetary", monetary, bins, true, cutPoints?.monetary);
  const seg = Array.from(r.scores, (rs, i) => segmentOf(rs, f.scores[i], m.scores[i], bins).name);
  return {
    r_score: r.scores,
    f_score: f.scores,
    m_score: m.scores,
    rfm_segment: seg,
    thresholds: { recency_days: r.cuts, frequency: f.cuts, monetary: m.cuts },
  };
}

/**
 * Loyalty level of each customer in the outcome window [cutoff, windowEnd): 0 when it made no
 * purchase, 2 with at least `loyalMin` distinct invoices, 1 otherwise (at least `occasionalMin`).
 *
 * @param tx clean canonical transactions
 * @param customers customer ids to label (those with features before the cutoff)
 * @returns invoices in the window and level index, aligned with `customers`
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
