/**
 * Data loader: every current customer's model features for the score widget's "pick a customer"
 * search, from `<processed>/customers.parquet`: id, recency_days, frequency, monetary (exact, as
 * stored, so that the widget reproduces the customer table's score), tenure_days, the score the
 * build gave them, and the RFM segment, K-Means cluster, band and country (as codes into
 * dictionaries) for context. The average
 * order value is not sent: it is exactly monetary / frequency. The page fetches this file only
 * when the search is first used.
 */
import pl from "nodejs-polars";
import { emit, outputDirs, readCustomers } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.processed}/customers.parquet`;
const df = readCustomers(dirs);
const numbers = (c: string) =>
  (df.getColumn(c).cast(pl.Float64).toArray() as (number | null)[]).map((v) => v ?? null);
function category(c: string): { dict: string[]; codes: number[] } | null {
  if (!df.columns.includes(c)) return null;
  const text = df.getColumn(c).cast(pl.Utf8).toArray() as (string | null)[];
  if (text.every((v) => v === null || v === "")) return null;
  const dict = [...new Set(text.map((v) => v ?? ""))].sort();
  const index = new Map(dict.map((v, i) => [v, i]));
  return { dict, codes: text.map((v) => index.get(v ?? "")!) };
}
emit({
  source: dirs.display(path),
  rows: df.height,
  customer_id: df.getColumn("customer_id").cast(pl.Utf8).toArray(),
  recency_days: numbers("recency_days"),
  frequency: numbers("frequency"),
  monetary: numbers("monetary"),
  tenure_days: numbers("tenure_days"),
  score: df.columns.includes("score") ? numbers("score") : null,
  band: category("band"),
  rfm_segment: category("rfm_segment"),
  cluster: category("cluster"),
  country: category("country"),
});
