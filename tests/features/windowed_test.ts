import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { windowedFeatures } from "../../src/features/windowed.ts";

/** Canonical-enough rows: [customer, invoice, ISO date, value, stock code]. */
function frame(rows: [string, string, string, number, string][]): pl.DataFrame {
  return pl.DataFrame({
    customer_id: rows.map((r) => r[0]),
    invoice: rows.map((r) => r[1]),
    timestamp: rows.map((r) => new Date(r[2] + "T12:00:00Z")),
    line_value: rows.map((r) => r[3]),
    stock_code: rows.map((r) => r[4]),
  }).withColumns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")));
}

const kept = frame([
  ["a", "1", "2011-01-10", 10, "X"],
  ["a", "1", "2011-01-10", 5, "Y"],
  ["a", "2", "2011-03-01", 20, "X"],
  ["a", "3", "2011-03-30", 30, "Z"],
  ["b", "4", "2010-06-01", 40, "X"], // before the look-back: still a customer
  ["c", "5", "2011-04-01", 99, "X"], // on the reference date: not counted, c is no customer yet
]);
const cancellations = frame([["a", "C6", "2011-03-05", -15, "X"], [
  "b",
  "C7",
  "2010-06-02",
  -5,
  "X",
]]);

const ALL = [
  "recency_window_days",
  "tenure_window_days",
  "invoices_90d",
  "value_90d",
  "products_90d",
  "gap_days",
  "activity_trend",
  "returns_share",
];

Deno.test("look-back features: counts, values, caps, gap, trend, returns", () => {
  const f = windowedFeatures({ kept, cancellations }, "2011-04-01", 90, ALL);
  assert.deepEqual(f.customer_id, ["a", "b"]);
  const c = f.columns;
  assert.deepEqual(c.recency_window_days, [2, 90]);
  assert.deepEqual(c.tenure_window_days, [81, 90]);
  assert.deepEqual(c.invoices_90d, [3, 0]);
  assert.deepEqual(c.value_90d, [65, 0]);
  assert.deepEqual(c.products_90d, [3, 0]);
  assert.deepEqual(c.gap_days, [(79) / 2, 90]); // 2011-01-10 → 2011-03-30 over 2 gaps
  assert.deepEqual(c.activity_trend, [(2 - 1) / 3, 0]); // last 45 days: invoices 2 and 3
  assert.deepEqual(c.returns_share, [15 / 80, 0]); // b's return is older than the look-back
  assert.deepEqual(f.history.purchaseDays, [3, 1]);
});

Deno.test("look-back features: a window longer than the look-back or without its column is refused", () => {
  assert.throws(
    () => windowedFeatures({ kept, cancellations }, "2011-04-01", 90, ["invoices_180d"]),
    /180 days/,
  );
  assert.throws(
    () =>
      windowedFeatures({ kept: kept.drop("stock_code"), cancellations }, "2011-04-01", 90, [
        "products_90d",
      ]),
    /stock_code/,
  );
  assert.throws(
    () => windowedFeatures({ kept, cancellations: null }, "2011-04-01", 90, ["returns_share"]),
    /cancellation/,
  );
  assert.throws(
    () => windowedFeatures({ kept, cancellations }, "2011-04-01", 90, ["frequency"]),
    /not a look-back/,
  );
});
