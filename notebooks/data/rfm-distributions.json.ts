/**
 * Data loader: customer-level distributions for the RFM page, from `<processed>/customers.parquet`:
 * histograms of recency, frequency and monetary value (log-spaced bins; integer bins for counts
 * of days and invoices) and the R × F grid of customer counts and mean/median monetary value.
 * Binning and the grid are the pure functions of src/report/distributions.ts; each metric's label,
 * unit and kind come from the feature registry (src/config/features.ts).
 */
import { feature } from "../../src/config/features.ts";
import { logHistogram, scoreGrid } from "../../src/report/distributions.ts";
import { emit, numbers, outputDirs, readCustomers, readJsonIfExists, sig } from "./_outputs.ts";

/** The three RFM metrics, in the order R, F, M. */
const RFM_FEATURES = ["recency_days", "frequency", "monetary"];

const dirs = await outputDirs();
const customers = readCustomers(dirs, [...RFM_FEATURES, "r_score", "f_score", "m_score"]);
const bins = readJsonIfExists<{ bins?: number }>(`${dirs.reports}/rfm.json`)?.bins ?? 5;

const metrics = RFM_FEATURES.map((column) => {
  const f = feature(column)!;
  // Days and invoices are counted in whole units: one bin per value at the low end.
  const integer = f.kind !== "money";
  const h = logHistogram(numbers(customers, column), { binsPerDecade: 10, integer });
  return {
    column,
    label: f.label,
    unit: f.unit,
    kind: f.kind,
    integer,
    customers: customers.height,
    nonPositive: h.nonPositive,
    missing: h.missing,
    min: h.min,
    max: h.max,
    bins: h.bins.map((b) => ({ x0: sig(b.x0), x1: sig(b.x1), count: b.count })),
  };
});

const grid = scoreGrid(
  numbers(customers, "r_score"),
  numbers(customers, "f_score"),
  numbers(customers, "monetary"),
  bins,
).map((c) => ({
  r: c.row,
  f: c.col,
  customers: c.count,
  mean_monetary: sig(c.mean),
  median_monetary: sig(c.median),
}));

emit({
  source: dirs.display(`${dirs.processed}/customers.parquet`),
  customers: customers.height,
  bins,
  metrics,
  grid,
});
