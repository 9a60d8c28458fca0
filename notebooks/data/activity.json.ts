/**
 * Data loader: customers over time, from the kept transactions (`<processed>/transactions.parquet`):
 * revenue, orders, active and new customers per calendar month (`monthlyActivity` of
 * src/report/activity.ts) and cohort retention by first-purchase month (`cohortRetention`).
 */
import pl from "nodejs-polars";
import { cohortRetention, monthlyActivity } from "../../src/report/activity.ts";
import { DAY_US } from "../../src/lib/time.ts";
import { emit, numbers, outputDirs, readProcessed, sig } from "./_outputs.ts";

const dirs = await outputDirs();
const tx = readProcessed(dirs, "transactions.parquet", [
  "timestamp",
  "customer_id",
  "line_value",
  "invoice",
]);
const days = Float64Array.from(
  tx.getColumn("timestamp").cast(pl.Int64).toArray() as (number | bigint)[],
  (v) => Math.floor(Number(v) / DAY_US),
);
const ids = tx.getColumn("customer_id").cast(pl.Utf8).toArray() as string[];
const invoice = tx.getColumn("invoice").cast(pl.Utf8);
const invoices = invoice.nullCount() === tx.height ? null : invoice.toArray() as (string | null)[];
const months = monthlyActivity(days, ids, numbers(tx, "line_value"), invoices);
const cohorts = cohortRetention(days, ids).map((c) => ({
  ...c,
  retention: c.retention.map((r) => sig(r, 4)),
}));
emit({
  source: dirs.display(`${dirs.processed}/transactions.parquet`),
  ordersAre: invoices ? "invoices" : "purchase days",
  months,
  cohorts,
});
