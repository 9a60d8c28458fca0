/**
 * The RFM segment guards in the pipeline: `rfmStage` (today's segments) and `forwardData` (the
 * segments at each cutoff, the persistence baseline) pass `rfm.guards` to `scoreRfm`, so a
 * customer who has not bought for a year is never named "Loyal" or "Champions" — even in a
 * closed, ageing cohort where recency quintiles are pure ranks. The planted fault (guards off)
 * shows the test catches a pipeline that drops them. The model stage's metrics carry the
 * segments × predicted levels table with its conflicts.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { MAPPABLE_COLUMNS, type MappableColumn, parseDataset } from "../../src/config/dataset.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { modelStage } from "../../src/pipeline/model_stage.ts";
import { cleanIngested, forwardData, rfmStage, toArrays } from "../../src/pipeline/stages.ts";
import type { SegmentLevelTable } from "../../src/report/conflicts.ts";
import { buildResults } from "../../src/report/results.ts";

const quiet = new Progress(() => {});
const LOYAL_NAMES = new Set(["Loyal", "Champions"]);

/** A configuration with the given segment guards (undefined: the defaults 3 × gap, 365 days). */
function config(guards?: Record<string, number | null>) {
  return parseDataset({
    id: "cohort",
    files: [{
      name: "cohort.csv",
      format: "csv",
      columns: { customer_id: "c", timestamp: "t", quantity: "q", unit_price: "p", invoice: "i" },
    }],
    analysisDate: "2024-01-01",
    rfm: guards ? { guards } : {},
    model: {
      kmeans: { kMin: 2, kMax: 3, restarts: 2, stabilitySeeds: 2 },
      forward: { cutoff: "2023-01-01", windowEnd: "2024-01-01", loyalMinInvoices: 3 },
      knn: { kGrid: [3, 5], folds: 3 },
      loyalty: { kGrid: [3, 5], bootstrap: 10, gbm: { rounds: 5 }, snapshots: 1 },
    },
  });
}

/**
 * A closed cohort: 120 customers; 108 bought every week of 2021 and then stopped, 12 buy every
 * month from 2021 to the end of 2023. At the cutoff (2023-01-01) and the analysis date
 * (2024-01-01) the weekly buyers have not bought for over a year, yet their frequency and spend
 * are the highest and recency quintiles are pure ranks: without the guards, the freshest of them
 * are named "Loyal" or "Champions".
 */
function cohort(): [string, string, string, number, number][] {
  const lines: [string, string, string, number, number][] = [];
  let inv = 0;
  for (let c = 0; c < 120; c++) {
    const active = c % 10 === 0;
    const dates = active
      ? Array.from({ length: 36 }, (_, m) => Date.UTC(2021, m, 1 + (c % 27), 10))
      : Array.from({ length: 52 }, (_, w) => Date.UTC(2021, 0, 1 + (c % 7) + 7 * w, 10));
    for (const d of dates) {
      lines.push([`c${c}`, `i${inv++}`, new Date(d).toISOString(), 1 + (c % 5), 10 + (c % 7)]);
    }
  }
  return lines;
}

function cleaned(ds: ReturnType<typeof config>) {
  const lines = cohort();
  const s = <T>(name: string, f: (l: (typeof lines)[number], i: number) => T, t: pl.DataType) =>
    pl.Series(name, lines.map(f), t);
  const tx = pl.DataFrame({
    invoice: s("invoice", (l) => l[1], pl.Utf8),
    stock_code: s("stock_code", () => null, pl.Utf8),
    description: s("description", () => null, pl.Utf8),
    quantity: s("quantity", (l) => l[3], pl.Int64),
    timestamp: s("timestamp", (l) => new Date(l[2]), pl.Datetime("ms")),
    unit_price: s("unit_price", (l) => l[4], pl.Float64),
    line_value: s("line_value", (l) => l[3] * l[4], pl.Float64),
    customer_id: s("customer_id", (l) => l[0], pl.Utf8),
    country: s("country", () => "NL", pl.Utf8),
    source_file: s("source_file", () => "cohort.csv", pl.Utf8),
    source_row: s("source_row", (_, i) => i + 1, pl.Int64),
  }).withColumns(pl.col("timestamp").cast(pl.Datetime("us")).dt.replaceTimeZone("UTC"));
  const provided = {
    "cohort.csv": new Set<MappableColumn>(MAPPABLE_COLUMNS.filter((c) => c !== "stock_code")),
  };
  return cleanIngested(ds, { tx, provided, rowsRead: { "cohort.csv": lines.length } }, quiet);
}

/** Customers named Loyal/Champions although their last purchase is over a year old. */
function staleLoyal(ds: ReturnType<typeof config>) {
  const c = cleaned(ds);
  const rfm = rfmStage(ds, c.kept, quiet, c.quarantine);
  const recency = rfm.customers.getColumn("recency_days").toArray() as number[];
  const today = rfm.scores.rfm_segment.filter((s, i) => LOYAL_NAMES.has(s) && recency[i] > 365);
  const fd = forwardData(ds, c);
  // At the cutoff every weekly buyer's last purchase (December 2021) is over a year old.
  const ids = fd.features.customer_id;
  const atCutoff = fd.features.rfm_segment.filter((s, i) =>
    LOYAL_NAMES.has(s) && Number(ids[i].slice(1)) % 10 !== 0
  );
  return { today: today.length, atCutoff: atCutoff.length, rfm, fd, c };
}

Deno.test("no customer without a purchase for a year is named Loyal or Champions", () => {
  const { today, atCutoff, rfm } = staleLoyal(config());
  assert.equal(today, 0);
  assert.equal(atCutoff, 0);
  // The summary says who was moved where.
  const g = rfm.summary.guards as { moved: number; moves: { from: string; to: string }[] };
  assert.ok(g.moved > 0);
  assert.ok(g.moves.some((m) => LOYAL_NAMES.has(m.from)));
  assert.ok(g.moves.every((m) => !LOYAL_NAMES.has(m.to)));
});

Deno.test("planted fault: with the guards off, the cohort's stale customers are named Loyal", () => {
  const off = staleLoyal(config({ recencyMultiple: null, maxRecencyDays: null }));
  assert.ok(off.today > 0, "the test would not catch a pipeline without the guards");
  assert.ok(off.atCutoff > 0);
  assert.equal((off.rfm.summary.guards as { moved: number }).moved, 0);
});

Deno.test("metrics.json holds segments × predicted levels with the conflicts flagged", async () => {
  const ds = config();
  const { rfm, fd, c } = staleLoyal(ds);
  const m = await modelStage(ds, toArrays(rfm.customers, rfm.scores.rfm_segment), fd, {});
  const t = (m.metrics as { segmentLevels: SegmentLevelTable }).segmentLevels;
  assert.equal(t.customers, rfm.customers.height);
  assert.deepEqual(t.levels, ["lapsed", "occasional", "loyal"]);
  // The rows add up to the scored customers, and the predicted columns to the model's levels.
  assert.equal(t.rows.reduce((s, r) => s + r.customers, 0), rfm.customers.height);
  const predicted = t.levels.map((_, j) => t.rows.reduce((s, r) => s + r.predicted[j], 0));
  assert.deepEqual(
    predicted,
    t.levels.map((l) => m.columns.loyalty_level.filter((x) => x === l).length),
  );
  assert.equal(t.conflicted, t.conflicts.reduce((s, x) => s + x.customers, 0));
  // results.json keeps the guard moves and the cross-table (figures, not prose).
  const results = buildResults(c.report, rfm.summary, m.metrics) as {
    rfm: { guards: { moves: unknown[]; moved: number } };
    models: { segmentLevels: SegmentLevelTable };
  };
  assert.deepEqual(results.rfm.guards.moves, (rfm.summary.guards as { moves: unknown[] }).moves);
  assert.ok(results.rfm.guards.moved > 0);
  assert.deepEqual(results.models.segmentLevels.rows, t.rows);
});
