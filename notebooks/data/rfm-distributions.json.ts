/**
 * Data loader: customer-level distributions for the RFM page, from `<processed>/customers.parquet`:
 * histograms of recency, frequency and monetary value (log-spaced bins; integer bins for counts
 * of days and invoices) and the R × F grid of customer counts and mean/median monetary value.
 * Binning and the grid are the pure functions of src/distributions.ts.
 */
import pl from "nodejs-polars";
import { logHistogram, scoreGrid } from "../../src/report/distributions.ts";
import { emit, outputDirs, readJsonIfExists, sig } from "./_outputs.ts";

const dirs = await outputDirs();
const path = `${dirs.processed}/customers.parquet`;
let customers: pl.DataFrame;
try {
  customers = pl.readParquet(path, {
    columns: ["recency_days", "frequency", "monetary", "r_score", "f_score", "m_score"],
  });
} catch (e) {
  throw new Error(`${path}: ${(e as Error).message} (run the analysis first: npx deno task build)`);
}
const num = (c: string) =>
  Float64Array.from(
    customers.getColumn(c).cast(pl.Float64).toArray() as (number | null)[],
    (v) => v ?? NaN,
  );
const bins = readJsonIfExists<{ bins?: number }>(`${dirs.reports}/rfm.json`)?.bins ?? 5;

const METRICS = [
  { column: "recency_days", label: "Recency", unit: "days since last purchase", integer: true },
  { column: "frequency", label: "Frequency", unit: "invoices", integer: true },
  { column: "monetary", label: "Monetary value", unit: "net revenue", integer: false },
] as const;

const metrics = METRICS.map((m) => {
  const h = logHistogram(num(m.column), { binsPerDecade: 10, integer: m.integer });
  return {
    ...m,
    customers: customers.height,
    nonPositive: h.nonPositive,
    missing: h.missing,
    min: h.min,
    max: h.max,
    bins: h.bins.map((b) => ({ x0: sig(b.x0), x1: sig(b.x1), count: b.count })),
  };
});

const grid = scoreGrid(num("r_score"), num("f_score"), num("monetary"), bins).map((c) => ({
  r: c.row,
  f: c.col,
  customers: c.count,
  mean_monetary: sig(c.mean),
  median_monetary: sig(c.median),
}));

emit({ source: dirs.display(path), customers: customers.height, bins, metrics, grid });
