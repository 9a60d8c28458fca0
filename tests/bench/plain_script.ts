/**
 * The plain script of `pandas_rfm.py` in polars expressions, shared by the bench's polars-alone
 * scripts (`polars_rfm.ts`: lazy scan and streaming engine; `polars_chunked.ts`: in chunks): the
 * spec they read, the columns as read, the plain rules, and the RFM table from per-customer
 * aggregates with pandas' quintile scores.
 *
 * @module
 */
import pl from "nodejs-polars";

/** A script's argument: the files (a glob each, with its column names) and the table's path. */
export interface Spec {
  files: { glob: string; columns: Record<string, string>; timestampFormat: string }[];
  out: string;
}

/** The mapped columns (canonical names), as the spec's first file maps them. */
export function mappedNames(spec: Spec): string[] {
  return Object.keys(spec.files[0].columns);
}

/** The columns of `file` under their canonical names, as text. */
export function renamed(file: Spec["files"][number], names: string[]): pl.Expr[] {
  return names.map((k) => pl.col(file.columns[k]).alias(k));
}

/** The renamed columns parsed as pandas reads them (timestamps, numbers). */
export function typed(file: Spec["files"][number]): pl.Expr[] {
  return [
    pl.col("timestamp").str.strptime(pl.Datetime, file.timestampFormat),
    pl.col("quantity").cast(pl.Float64),
    pl.col("unit_price").cast(pl.Float64),
    pl.col("customer_id").cast(pl.Float64),
  ];
}

/**
 * The plain rules but the duplicate one: a customer, no cancellation ("C…") or adjustment
 * ("A…"), a positive quantity and price.
 */
export const PLAIN_RULES: pl.Expr = pl.col("customer_id").isNotNull()
  .and(pl.col("invoice").str.startsWith("C").not())
  .and(pl.col("invoice").str.startsWith("A").not())
  .and(pl.col("quantity").gt(0))
  .and(pl.col("unit_price").gt(0));

/** The line value, quantity × unit price. */
export const VALUE: pl.Expr = pl.col("quantity").mul(pl.col("unit_price")).alias("value");

/**
 * Quintile 1..5 of `e` as pandas' qcut of rank(method="first"): ties ranked in order, bin edges
 * at the ranks' quantiles 1 + (n − 1)·i/5, each bin closed on the right.
 */
const quintile = (e: pl.Expr) =>
  e.rank("ordinal").sub(1).mul(5).div(pl.len().sub(1)).ceil().clip(1, 5).cast(pl.Int32);

/**
 * The RFM table of the aggregates `g`, sorted by customer: recency and tenure in days before the
 * analysis date (the day after the last purchase), average order value and the quintile scores.
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { rfmTable } from "./plain_script.ts";
 * import { deepEqual } from "node:assert/strict";
 * const day = (d: string) => new Date(`${d}T12:00:00Z`);
 * const g = pl.DataFrame({
 *   customer_id: [2, 1],
 *   first: [day("2011-01-01"), day("2011-01-05")],
 *   last: [day("2011-01-03"), day("2011-01-09")],
 *   frequency: [2, 1],
 *   monetary: [10, 30],
 * });
 * const t = rfmTable(g);
 * deepEqual(t.getColumn("customer_id").toArray(), [1, 2]);
 * deepEqual(t.getColumn("recency_days").toArray(), [0, 6]); // analysis date 2011-01-10
 * deepEqual(t.getColumn("avg_order_value").toArray(), [30, 5]);
 * ```
 */
export function rfmTable(g: pl.DataFrame): pl.DataFrame {
  // Timestamps as integers of their unit; the analysis date is the day after the last purchase.
  const unit = String(g.getColumn("last").dtype).match(/\b(ms|us|ns)\b/)?.[1] ?? "us";
  const perDay = 86_400 * ({ ms: 1e3, us: 1e6, ns: 1e9 } as Record<string, number>)[unit];
  const analysis = pl.col("last").cast(pl.Int64).max().div(perDay).floor().add(1).mul(perDay);
  const days = (c: string) =>
    analysis.sub(pl.col(c).cast(pl.Int64)).div(perDay).floor().cast(pl.Int64);
  return g.sort("customer_id").withColumns(
    days("last").alias("recency_days"),
    days("first").alias("tenure_days"),
    pl.col("monetary").div(pl.col("frequency")).alias("avg_order_value"),
  ).withColumns(
    pl.lit(6).sub(quintile(pl.col("recency_days"))).alias("r_score"),
    quintile(pl.col("frequency")).alias("f_score"),
    quintile(pl.col("monetary")).alias("m_score"),
  ).drop("first", "last");
}

/**
 * The scripts' ending: writes the RFM table of the aggregates `g` (with `lines` per customer) as
 * CSV to `out`, and prints one JSON line of counts (rows read, lines kept, customers) for the
 * bench to set beside pandas'.
 */
export function finish(g: pl.DataFrame, rowsIn: number, out: string): void {
  const table = rfmTable(g);
  table.writeCSV(out);
  console.log(JSON.stringify({
    rows_in: rowsIn,
    rows_kept: Number(g.getColumn("lines").sum()),
    customers: table.height,
  }));
}
