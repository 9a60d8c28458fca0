/**
 * Data loader: distributions of quantity, unit price and line value before cleaning (every input
 * row: kept + quarantined) and after (kept rows), on shared log-spaced bins so that they line up.
 * Reads `<processed>/transactions.parquet` and `<processed>/quarantine.parquet`; the binning is
 * the pure `logHistogram` of src/distributions.ts. Zero and negative values (returns,
 * cancellations, free lines) cannot sit on a log axis: they are counted and reported.
 */
import { logEdges, logHistogram, positiveRange } from "../../src/report/distributions.ts";
import { emit, numbers, outputDirs, readProcessed, sig } from "./_outputs.ts";

const dirs = await outputDirs();
const MEASURES = [
  { column: "quantity", label: "Quantity", unit: "units", integer: true },
  { column: "unit_price", label: "Unit price", unit: "currency", integer: false },
  { column: "line_value", label: "Line value", unit: "currency", integer: false },
] as const;
const columns = MEASURES.map((m) => m.column);

const kept = readProcessed(dirs, "transactions.parquet", columns);
const dropped = readProcessed(dirs, "quarantine.parquet", columns);

const measures = MEASURES.map((m) => {
  const after = numbers(kept, m.column);
  const removed = numbers(dropped, m.column);
  const before = new Float64Array(after.length + removed.length);
  before.set(after);
  before.set(removed, after.length);
  const range = positiveRange(before);
  const edges = range
    ? logEdges(range.min, range.max, { binsPerDecade: 10, integer: m.integer })
    : [1, 10];
  const hb = logHistogram(before, { edges });
  const ha = logHistogram(after, { edges });
  const bins = hb.bins.map((b, i) => ({
    x0: sig(b.x0),
    x1: sig(b.x1),
    before: b.count,
    after: ha.bins[i].count,
  }));
  // Trim empty bins at both ends (shared edges start at the smallest positive value before cleaning).
  let lo = 0;
  let hi = bins.length;
  while (lo < hi && bins[lo].before === 0) lo++;
  while (hi > lo && bins[hi - 1].before === 0) hi--;
  return {
    ...m,
    rows: { before: before.length, after: after.length },
    nonPositive: { before: hb.nonPositive, after: ha.nonPositive },
    missing: { before: hb.missing, after: ha.missing },
    range: { before: { min: hb.min, max: hb.max }, after: { min: ha.min, max: ha.max } },
    bins: bins.slice(lo, hi),
  };
});

emit({
  source: [
    dirs.display(`${dirs.processed}/transactions.parquet`),
    dirs.display(`${dirs.processed}/quarantine.parquet`),
  ],
  measures,
});
