/**
 * The forward-looking loyalty model must not see anything after the cutoff: features come from
 * transactions before it, labels from the outcome window only.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { parseDataset } from "../../src/config/dataset.ts";
import { forwardData } from "../../src/pipeline/stages.ts";

const ds = parseDataset({
  id: "toy",
  files: [{
    name: "toy.csv",
    format: "csv",
    columns: { customer_id: "c", timestamp: "t", quantity: "q", unit_price: "p", invoice: "i" },
  }],
  model: {
    forward: {
      cutoff: "2011-01-01",
      windowEnd: "2011-07-01",
      occasionalMinInvoices: 1,
      loyalMinInvoices: 3,
    },
  },
});

/** Canonical transactions from compact tuples: [customer, invoice, ISO time, value]. */
function tx(rows: [string, string, string, number][]): pl.DataFrame {
  return pl.DataFrame({
    invoice: rows.map((r) => r[1]),
    customer_id: rows.map((r) => r[0]),
    timestamp: pl.Series("timestamp", rows.map((r) => new Date(r[2]))).cast(
      pl.Datetime("us", "UTC"),
    ),
    line_value: rows.map((r) => r[3]),
    country: rows.map(() => "UK"),
    source_row: rows.map((_, i) => i + 1),
  });
}

const before: [string, string, string, number][] = [
  ["a", "1", "2010-06-01T10:00:00Z", 100],
  ["a", "2", "2010-12-31T23:59:00Z", 50],
  ["b", "3", "2010-11-15T09:00:00Z", 20],
  ["c", "4", "2010-03-01T09:00:00Z", 10],
];
const after: [string, string, string, number][] = [
  ["a", "5", "2011-01-01T00:00:00Z", 1e6], // exactly at the cutoff: outcome, not feature
  ["a", "6", "2011-02-01T00:00:00Z", 5],
  ["a", "7", "2011-03-01T00:00:00Z", 5],
  ["b", "8", "2011-05-01T00:00:00Z", 5],
  ["d", "9", "2011-02-01T00:00:00Z", 99], // new after the cutoff: no features, not in the model
  ["c", "10", "2011-08-01T00:00:00Z", 5], // after the window: no effect on the label
];

Deno.test("forward features use only transactions before the cutoff", () => {
  const onlyBefore = forwardData(ds, tx(before));
  const full = forwardData(ds, tx([...before, ...after]));
  assert.deepEqual(full.features, onlyBefore.features);
  assert.deepEqual(full.persistence, onlyBefore.persistence);
  assert.deepEqual(full.features.customer_id, ["a", "b", "c"]);
  // a: last purchase 2010-12-31 → recency 1 day at the cutoff; 2 invoices; 150 spent.
  assert.equal(full.features.columns.recency_days[0], 1);
  assert.equal(full.features.columns.frequency[0], 2);
  assert.equal(full.features.columns.monetary[0], 150);
});

Deno.test("forward labels count invoices inside [cutoff, windowEnd) only", () => {
  const full = forwardData(ds, tx([...before, ...after]));
  assert.deepEqual(full.invoicesInWindow, [3, 1, 0]);
  assert.deepEqual(full.labels, [2, 1, 0]); // loyal (≥3), occasional (1), lapsed (0)
  const none = forwardData(ds, tx(before));
  assert.deepEqual(none.labels, [0, 0, 0]);
});

Deno.test("changing any post-cutoff value cannot change a feature", () => {
  const base = forwardData(ds, tx([...before, ...after]));
  const tampered = after.map((r) =>
    [r[0], r[1], r[2], r[3] * 1000] as [string, string, string, number]
  );
  const other = forwardData(ds, tx([...before, ...tampered]));
  assert.deepEqual(other.features, base.features);
});
