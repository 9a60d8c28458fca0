/**
 * The loyalty model's features: every one computed over a fixed look-back window that ends at a
 * reference date — a training cutoff, or the analysis date when scoring — so that a feature means
 * the same thing at training and at scoring time (the registry `config/features.ts` describes
 * each, scope `window`). With a look-back of L days and the reference day R (purchases strictly
 * before R count):
 *
 * - `recency_window_days` = min(R − last purchase day, L); `tenure_window_days` = min(R − first
 *   purchase day, L) — recency and tenure capped at the look-back;
 * - `invoices_Wd`, `value_Wd`, `products_Wd` — distinct invoices, net revenue and distinct stock
 *   codes in the last W days (W ≤ L); `invoices_lookback`, `value_lookback`, `products_lookback`
 *   the same over the whole look-back;
 * - `gap_days` — (last − first) / (n − 1) over the n distinct purchase days inside the look-back,
 *   L when n < 2;
 * - `activity_trend` — (recent − earlier) / (recent + earlier) invoices, recent = the last ⌊L/2⌋
 *   days, earlier = the rest of the look-back; 0 without any;
 * - `returns_share` — value of the cancellation lines in the look-back / (that value + net
 *   revenue in the look-back); 0 without any.
 *
 * Every customer with a kept purchase before R gets a row, also when the look-back holds none of
 * its purchases (then recency = tenure = gap = L, the counts and values 0). The caller passes the
 * transactions cleaned as of R (`clean/as_of.ts`), so nothing after R can move a feature.
 *
 * @module
 */
import pl from "nodejs-polars";
import { feature } from "../config/features.ts";
import { DAY_US, isoDay } from "../lib/time.ts";
import { perCustomer } from "../lib/per_customer.ts";
import { linesBefore } from "../lib/before.ts";

/** Clean transactions as of a reference date. */
export interface LogAsOf {
  /** Kept rows (canonical columns); rows on or after the reference date are ignored. */
  kept: pl.DataFrame;
  /** Cancellation lines (canonical columns), for `returns_share`; null when the data has none. */
  cancellations: pl.DataFrame | null;
}

/** The windowed features of every customer at one reference date. */
export interface WindowedFeatures {
  /** Reference date (ISO). */
  asOf: string;
  /** Look-back in days. */
  lookbackDays: number;
  /** Customer ids, sorted. */
  customer_id: string[];
  /** One column per requested feature, aligned with `customer_id`. */
  columns: Record<string, number[]>;
  /** Whole-history purchase days, for the BG/NBD summary: distinct days, first and last day. */
  history: { purchaseDays: number[]; firstDay: number[]; lastDay: number[] };
}

/** Family and window (days) of a feature `<family>_<W>d` or `<family>_lookback`, or null. */
function familyWindow(name: string, L: number): { family: string; days: number } | null {
  const m = /^(invoices|value|products)_(?:(\d+)d|lookback)$/.exec(name);
  return m ? { family: m[1], days: m[2] === undefined ? L : Number(m[2]) } : null;
}

/** Numbers of a column (bigints and nulls become numbers, null → 0). */
function numbers(df: pl.DataFrame, name: string): number[] {
  return Array.from(
    df.getColumn(name).toArray() as (number | bigint | null)[],
    (v) => (v === null ? 0 : Number(v)),
  );
}

/**
 * Computes look-back features as of a reference date.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { windowedFeatures } from "./windowed.ts";
 * import { deepEqual } from "node:assert/strict";
 * const kept = pl.DataFrame({
 *   customer_id: ["a", "a", "a", "b"],
 *   invoice: ["1", "2", "3", "4"],
 *   stock_code: ["X", "Y", "X", "X"],
 *   line_value: [10, 20, 30, 5],
 *   timestamp: ["2011-01-01", "2011-03-01", "2011-03-21", "2010-01-01"].map((d) => new Date(d)),
 * }).withColumns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")));
 * const f = windowedFeatures({ kept, cancellations: null }, "2011-04-01", 90, [
 *   "recency_window_days",
 *   "tenure_window_days",
 *   "invoices_90d",
 *   "value_90d",
 *   "gap_days",
 *   "activity_trend",
 * ]);
 * deepEqual(f.customer_id, ["a", "b"]);
 * deepEqual(f.columns.recency_window_days, [11, 90]); // b: nothing in the look-back
 * deepEqual(f.columns.tenure_window_days, [90, 90]);
 * deepEqual(f.columns.invoices_90d, [3, 0]);
 * deepEqual(f.columns.value_90d, [60, 0]);
 * deepEqual(f.columns.gap_days, [39.5, 90]); // (2011-03-21 − 2011-01-01) / 2
 * deepEqual(f.columns.activity_trend, [1 / 3, 0]); // 2 recent (last 45 days), 1 earlier
 * ```
 *
 * @param log the transactions cleaned as of `asOf` (and its cancellation lines)
 * @param asOf reference date (ISO); purchases strictly before its midnight UTC count
 * @param lookbackDays the look-back L in days
 * @param features registry features to compute (scope `window`)
 * @returns one row per customer with a kept purchase before `asOf`, sorted by customer id
 * @throws {Error} for a feature that is not a look-back feature, or one needing columns or
 *   cancellation lines the data lacks
 */
export function windowedFeatures(
  log: LogAsOf,
  asOf: string,
  lookbackDays: number,
  features: readonly string[],
): WindowedFeatures {
  const R = isoDay(asOf);
  const L = lookbackDays;
  const half = Math.floor(L / 2);
  for (const name of features) {
    const f = feature(name);
    if (!f || f.scope !== "window") throw new Error(`"${name}" is not a look-back feature`);
    if (f.windowDays !== undefined && f.windowDays > L) {
      throw new Error(`"${name}" needs ${f.windowDays} days, more than the look-back (${L})`);
    }
  }
  const day = pl.col("timestamp").cast(pl.Int64).div(DAY_US).floor().cast(pl.Int64);
  const tx = linesBefore(log.kept, R).withColumns(day.alias("__day"));
  const since = (days: number) => pl.col("__day").gtEq(R - days);
  const aggs: pl.Expr[] = [
    pl.col("__day").min().alias("__first"),
    pl.col("__day").max().alias("__last"),
    pl.col("__day").nUnique().alias("__days"),
    pl.col("__day").filter(since(L)).nUnique().alias("__wdays"),
    pl.col("__day").filter(since(L)).min().alias("__wfirst"),
    pl.col("__day").filter(since(L)).max().alias("__wlast"),
    pl.col("invoice").filter(since(half)).nUnique().alias("__recent"),
    pl.col("invoice").filter(since(L)).nUnique().alias("__all"),
  ];
  for (const name of features) {
    const w = familyWindow(name, L);
    if (!w) continue;
    const col = w.family === "invoices"
      ? "invoice"
      : w.family === "value"
      ? "line_value"
      : "stock_code";
    if (!tx.columns.includes(col)) throw new Error(`"${name}" needs the ${col} column`);
    const e = pl.col(col).filter(since(w.days));
    aggs.push((w.family === "value" ? e.sum() : e.nUnique()).alias(name));
  }
  const g = perCustomer(tx, ...aggs);
  const ids = g.getColumn("customer_id").toArray() as string[];
  const first = numbers(g, "__first");
  const last = numbers(g, "__last");
  const wdays = numbers(g, "__wdays");
  const wfirst = numbers(g, "__wfirst");
  const wlast = numbers(g, "__wlast");
  const recent = numbers(g, "__recent");
  const all = numbers(g, "__all");
  const returned = needsReturns(features) ? returnsByCustomer(log, R, L) : new Map();
  const valueL = features.includes("returns_share") ? windowValue(tx, R, L) : new Map();
  const columns: Record<string, number[]> = {};
  for (const name of features) {
    if (familyWindow(name, L)) {
      columns[name] = numbers(g, name);
      continue;
    }
    columns[name] = ids.map((id, i) => {
      switch (name) {
        case "recency_window_days":
          return Math.min(R - last[i], L);
        case "tenure_window_days":
          return Math.min(R - first[i], L);
        case "gap_days":
          return wdays[i] >= 2 ? (wlast[i] - wfirst[i]) / (wdays[i] - 1) : L;
        case "activity_trend":
          return all[i] > 0 ? (recent[i] - (all[i] - recent[i])) / all[i] : 0;
        case "returns_share": {
          const r = Math.max(0, returned.get(id) ?? 0);
          const v = Math.max(0, valueL.get(id) ?? 0);
          return r + v > 0 ? r / (r + v) : 0;
        }
        default:
          throw new Error(`no computation for "${name}"`);
      }
    });
  }
  return {
    asOf,
    lookbackDays: L,
    customer_id: ids,
    columns,
    history: { purchaseDays: numbers(g, "__days"), firstDay: first, lastDay: last },
  };
}

function needsReturns(features: readonly string[]): boolean {
  return features.includes("returns_share");
}

/** Net revenue per customer in the look-back. */
function windowValue(tx: pl.DataFrame, R: number, L: number): Map<string, number> {
  const g = perCustomer(
    tx.filter(pl.col("__day").gtEq(R - L)),
    pl.col("line_value").sum().alias("v"),
  );
  const ids = g.getColumn("customer_id").toArray() as string[];
  const v = numbers(g, "v");
  return new Map(ids.map((id, i) => [id, v[i]]));
}

/** Value of the cancellation lines per customer in the look-back (positive). */
function returnsByCustomer(log: LogAsOf, R: number, L: number): Map<string, number> {
  if (log.cancellations === null) {
    throw new Error('"returns_share" needs the cancellation lines (the data has none)');
  }
  const lo = pl.lit((R - L) * DAY_US).cast(pl.Datetime("us", "UTC"));
  const hi = pl.lit(R * DAY_US).cast(pl.Datetime("us", "UTC"));
  const g = log.cancellations
    .filter(
      pl.col("customer_id").isNotNull().and(pl.col("timestamp").gtEq(lo)).and(
        pl.col("timestamp").lt(hi),
      ),
    )
    .groupBy("customer_id").agg(pl.col("line_value").sum().alias("v"));
  const ids = g.getColumn("customer_id").toArray() as string[];
  const v = numbers(g, "v");
  return new Map(ids.map((id, i) => [id, -v[i]]));
}
