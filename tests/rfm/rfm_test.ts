/**
 * Tests of RFM metrics and scores (src/rfm/rfm.ts): hand-computed customer metrics, the tie-aware
 * quantile cut points, scoring direction, custom cut points and the loyalty window outcome.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  binOf,
  CUSTOMER_METRIC_COLUMNS,
  customerMetrics,
  defaultAnalysisDate,
  quantileCuts,
  scoreMetric,
  scoreRfm,
  windowOutcome,
} from "../../src/rfm/rfm.ts";
import { isoDay } from "../../src/lib/time.ts";

/** A clean canonical-like table (only the columns RFM reads matter). */
function tx(
  rows: { c: string; inv: string; v: number; ts: string; country?: string | null; row?: number }[],
): pl.DataFrame {
  return pl.DataFrame({
    invoice: pl.Series("invoice", rows.map((r) => r.inv), pl.Utf8),
    timestamp: pl.Series("timestamp", rows.map((r) => new Date(r.ts + "Z")), pl.Datetime("ms")),
    line_value: pl.Series("line_value", rows.map((r) => r.v), pl.Float64),
    customer_id: pl.Series("customer_id", rows.map((r) => r.c), pl.Utf8),
    country: pl.Series("country", rows.map((r) => r.country ?? null), pl.Utf8),
    source_file: pl.Series("source_file", rows.map(() => "a.csv"), pl.Utf8),
    source_row: pl.Series("source_row", rows.map((r, i) => r.row ?? i + 1), pl.Int64),
  }).withColumns(pl.col("timestamp").cast(pl.Datetime("us")).dt.replaceTimeZone("UTC"));
}

function records(df: pl.DataFrame): Record<string, unknown>[] {
  return df.toRecords().map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]),
    )
  );
}

Deno.test("rfm: customerMetrics by hand (asOf exclusive, latest line's country)", () => {
  const t = tx([
    // c1: invoices 1 (2011-01-01, 10 + 5) and 2 (2011-01-05 23:59, 20)
    { c: "c1", inv: "1", v: 10, ts: "2011-01-01T10:00:00", country: "United Kingdom" },
    { c: "c1", inv: "1", v: 5, ts: "2011-01-01T10:00:00", country: "United Kingdom" },
    { c: "c1", inv: "2", v: 20, ts: "2011-01-05T23:59:59", country: "France" },
    // c2: invoice 3 the day before the analysis date; invoice 4 ON the analysis date (excluded)
    { c: "c2", inv: "3", v: 7, ts: "2011-01-09T00:00:01", country: "Spain" },
    { c: "c2", inv: "4", v: 1000, ts: "2011-01-10T00:00:00", country: "Italy" },
    // c3: only a purchase on the analysis date → not a customer yet
    { c: "c3", inv: "5", v: 50, ts: "2011-01-10T12:00:00", country: "Norway" },
    // c4: two lines at the same instant; the later source row's country wins
    { c: "c4", inv: "6", v: 2.5, ts: "2010-12-01T08:00:00", country: "Netherlands", row: 9 },
    { c: "c4", inv: "6", v: 2.5, ts: "2010-12-01T08:00:00", country: "Germany", row: 8 },
    // c5: later purchase without a country
    { c: "c5", inv: "7", v: 3, ts: "2011-01-02T08:00:00", country: "Belgium" },
    { c: "c5", inv: "8", v: 4, ts: "2011-01-03T08:00:00", country: null },
  ]);
  const m = customerMetrics(t, "2011-01-10");
  assert.deepEqual(m.columns, [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_order_value",
    "first_day",
    "last_day",
    "country",
  ]);
  assert.deepEqual(m.columns, [...CUSTOMER_METRIC_COLUMNS]);
  const d = (s: string) => isoDay(s);
  assert.deepEqual(records(m), [
    {
      customer_id: "c1",
      recency_days: 5,
      frequency: 2,
      monetary: 35,
      tenure_days: 9,
      avg_order_value: 17.5,
      first_day: d("2011-01-01"),
      last_day: d("2011-01-05"),
      country: "France",
    },
    {
      customer_id: "c2",
      recency_days: 1,
      frequency: 1,
      monetary: 7,
      tenure_days: 1,
      avg_order_value: 7,
      first_day: d("2011-01-09"),
      last_day: d("2011-01-09"),
      country: "Spain",
    },
    {
      customer_id: "c4",
      recency_days: 40,
      frequency: 1,
      monetary: 5,
      tenure_days: 40,
      avg_order_value: 5,
      first_day: d("2010-12-01"),
      last_day: d("2010-12-01"),
      country: "Netherlands",
    },
    {
      customer_id: "c5",
      recency_days: 7,
      frequency: 2,
      monetary: 7,
      tenure_days: 8,
      avg_order_value: 3.5,
      first_day: d("2011-01-02"),
      last_day: d("2011-01-03"),
      country: null, // the latest line's country, even when missing
    },
  ]);
  // A later analysis date includes c3 and c2's second invoice.
  const later = records(customerMetrics(t, "2011-01-11"));
  assert.deepEqual(later.map((r) => r.customer_id), ["c1", "c2", "c3", "c4", "c5"]);
  const c2 = later[1];
  assert.deepEqual([c2.recency_days, c2.frequency, c2.monetary, c2.tenure_days, c2.country], [
    1,
    2,
    1007,
    2,
    "Italy",
  ]);
});

Deno.test("rfm: defaultAnalysisDate is the day after the last transaction (UTC)", () => {
  assert.equal(
    defaultAnalysisDate(tx([{ c: "a", inv: "1", v: 1, ts: "2011-12-09T12:50:00" }])),
    "2011-12-10",
  );
  assert.equal(
    defaultAnalysisDate(tx([
      { c: "a", inv: "1", v: 1, ts: "2011-12-09T23:59:59" },
      { c: "a", inv: "2", v: 1, ts: "2010-01-01T00:00:00" },
    ])),
    "2011-12-10",
  );
  assert.equal(
    defaultAnalysisDate(tx([{ c: "a", inv: "1", v: 1, ts: "1998-06-30T00:00:00" }])),
    "1998-07-01",
  );
  assert.throws(() => defaultAnalysisDate(tx([]).head(0)), /no transactions/);
});

Deno.test("quantileCuts: heavily tied data (60 % ones) gives strictly increasing cuts and non-empty bins", () => {
  const values = [...Array(60).fill(1), ...Array.from({ length: 40 }, (_, i) => i + 2)]; // 1×60, 2..41
  const { cuts, warnings } = quantileCuts(values, 5);
  // By hand: cumulative shares are 0.60 at 1, then 0.61, 0.62, … 1.00 at 41.
  // Cut 1 (target 0.2) → 1; cut 2 (0.4) → 2 (first value above 1); cut 3 (0.6) → 3; cut 4 (0.8) → 21.
  assert.deepEqual(cuts, [1, 2, 3, 21]);
  assert.deepEqual(warnings, []);
  for (let i = 1; i < cuts.length; i++) assert.ok(cuts[i] > cuts[i - 1]);
  const s = scoreMetric("frequency", values, 5, true);
  assert.deepEqual(s.cuts.counts, [60, 1, 1, 18, 20]);
  assert.ok(s.cuts.counts.every((c) => c > 0));
  assert.deepEqual(s.cuts.warnings, []);
  // Ties share a score.
  for (let i = 0; i < 60; i++) assert.equal(s.scores[i], 1);
  // Deterministic and order-independent.
  const shuffled = [...values].reverse();
  for (let i = 0; i < shuffled.length; i += 7) {
    [shuffled[i], shuffled[0]] = [shuffled[0], shuffled[i]];
  }
  assert.deepEqual(quantileCuts(shuffled, 5).cuts, cuts);
});

Deno.test("quantileCuts: evenly spread values give the textbook quintiles", () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual(quantileCuts(values, 5).cuts, [20, 40, 60, 80]);
  assert.deepEqual(quantileCuts(values, 4).cuts, [25, 50, 75]);
  const s = scoreMetric("monetary", values, 5, true);
  assert.deepEqual(s.cuts.counts, [20, 20, 20, 20, 20]);
  assert.deepEqual(s.cuts.shares, [0.2, 0.2, 0.2, 0.2, 0.2]);
  assert.equal(s.cuts.method, "quantile");
});

Deno.test("quantileCuts: with at least `bins` distinct values every bin is non-empty (many shapes)", () => {
  // A deterministic family of skewed, tied samples.
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let trial = 0; trial < 200; trial++) {
    const n = 5 + Math.floor(rand() * 60);
    const distinct = 5 + Math.floor(rand() * 6);
    const values = Array.from({ length: n }, () => Math.floor(rand() ** 3 * distinct));
    const m = new Set(values).size;
    for (const bins of [3, 4, 5]) {
      const { cuts, warnings } = quantileCuts(values, bins);
      const counts = new Array(bins).fill(0);
      for (const v of values) counts[binOf(v, cuts) - 1]++;
      if (m >= bins) {
        assert.equal(cuts.length, bins - 1);
        assert.deepEqual(warnings, []);
        assert.ok(counts.every((c) => c > 0), `empty bin: ${values} → ${cuts}`);
      } else {
        assert.equal(cuts.length, m - 1);
        assert.equal(warnings.length, 1);
      }
      for (let i = 1; i < cuts.length; i++) assert.ok(cuts[i] > cuts[i - 1]);
      // Cut points are data values.
      for (const c of cuts) assert.ok(values.includes(c));
    }
  }
});

Deno.test("quantileCuts: fewer distinct values than bins → a warning, no silent collapse", () => {
  const values = [1, 1, 2, 2, 3];
  const q = quantileCuts(values, 5);
  assert.deepEqual(q.cuts, [1, 2]);
  assert.equal(q.warnings.length, 1);
  assert.match(q.warnings[0], /only 3 distinct values/);
  assert.match(q.warnings[0], /2 of 5 score bins are empty/);
  const s = scoreMetric("frequency", values, 5, true);
  // Scores stay on the 1..5 scale with the top value at 5; the empty bins are reported.
  assert.deepEqual(Array.from(s.scores), [3, 3, 4, 4, 5]);
  assert.deepEqual(s.cuts.counts, [0, 0, 2, 2, 1]);
  assert.equal(s.cuts.warnings.length, 1);

  const one = scoreMetric("frequency", [4, 4, 4], 5, true);
  assert.match(one.cuts.warnings[0], /only 1 distinct values: 4 of 5/);
  assert.deepEqual(Array.from(one.scores), [5, 5, 5]);

  assert.deepEqual(quantileCuts([], 5), { cuts: [], warnings: ["no values"] });
});

Deno.test("scoreMetric: custom cut points are honoured; a value equal to a cut falls in the lower bin", () => {
  const values = [5, 10, 11, 40, 41, 100, 25];
  const s = scoreMetric("monetary", values, 5, true, [10, 20, 30, 40]);
  assert.deepEqual(Array.from(s.scores), [1, 1, 2, 4, 5, 5, 3]);
  assert.equal(s.cuts.method, "custom");
  assert.deepEqual(s.cuts.cuts, [10, 20, 30, 40]);
  assert.deepEqual(s.cuts.counts, [2, 1, 1, 1, 2]);
  // An empty score under custom cuts is reported.
  const gap = scoreMetric("monetary", [1, 2, 100], 5, true, [10, 20, 30, 40]);
  assert.deepEqual(gap.cuts.counts, [2, 0, 0, 0, 1]);
  assert.deepEqual(gap.cuts.warnings, [
    "score 2 of monetary has no customers",
    "score 3 of monetary has no customers",
    "score 4 of monetary has no customers",
  ]);
  assert.equal(binOf(10, [10, 20]), 1);
  assert.equal(binOf(10.0001, [10, 20]), 2);
  assert.equal(binOf(1e9, [10, 20]), 3);
});

Deno.test("scoreMetric: recency is reversed — lower recency earns a higher score", () => {
  const recency = Array.from({ length: 10 }, (_, i) => i * 10); // 0, 10, …, 90
  const s = scoreMetric("recency_days", recency, 5, false);
  assert.equal(s.cuts.higherIsBetter, false);
  assert.deepEqual(Array.from(s.scores), [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
  // Monotone: a customer who bought more recently never scores lower.
  for (let i = 1; i < recency.length; i++) assert.ok(s.scores[i] <= s.scores[i - 1]);
  // Custom recency cuts, reversed too.
  const c = scoreMetric("recency_days", [0, 30, 31, 365], 5, false, [30, 90, 180, 270]);
  assert.deepEqual(Array.from(c.scores), [5, 5, 4, 1]);
});

Deno.test("scoreRfm: scores all three metrics, names segments and keeps the thresholds", () => {
  const recency = [1, 5, 30, 100, 300];
  const frequency = [20, 10, 5, 2, 1];
  const monetary = [5000, 1000, 300, 100, 10];
  const s = scoreRfm(recency, frequency, monetary);
  assert.deepEqual(Array.from(s.r_score), [5, 4, 3, 2, 1]);
  assert.deepEqual(Array.from(s.f_score), [5, 4, 3, 2, 1]);
  assert.deepEqual(Array.from(s.m_score), [5, 4, 3, 2, 1]);
  assert.deepEqual(s.rfm_segment, ["Champions", "Loyal", "Need attention", "Hibernating", "Lost"]);
  assert.equal(s.thresholds.recency_days.higherIsBetter, false);
  assert.equal(s.thresholds.frequency.higherIsBetter, true);
  assert.deepEqual(s.thresholds.monetary.cuts, [10, 100, 300, 1000]);

  const custom = scoreRfm(recency, frequency, monetary, 5, { monetary: [50, 200, 400, 800] });
  assert.equal(custom.thresholds.monetary.method, "custom");
  assert.equal(custom.thresholds.frequency.method, "quantile");
  assert.deepEqual(Array.from(custom.m_score), [5, 5, 3, 2, 1]);
});

Deno.test("windowOutcome: levels at the thresholds, window [cutoff, windowEnd)", () => {
  const t = tx([
    // a: one invoice before the cutoff only → 0
    { c: "a", inv: "1", v: 1, ts: "2010-11-30T23:59:59" },
    // b: one invoice exactly at the cutoff (two lines) → 1 invoice → occasional
    { c: "b", inv: "2", v: 1, ts: "2010-12-01T00:00:00" },
    { c: "b", inv: "2", v: 1, ts: "2010-12-01T00:00:00" },
    // c: two invoices → occasional (below loyalMin 3); one at windowEnd does not count
    { c: "c", inv: "3", v: 1, ts: "2011-03-01T10:00:00" },
    { c: "c", inv: "4", v: 1, ts: "2011-12-09T23:59:59" },
    { c: "c", inv: "5", v: 1, ts: "2011-12-10T00:00:00" },
    // d: three invoices → loyal
    { c: "d", inv: "6", v: 1, ts: "2011-01-01T10:00:00" },
    { c: "d", inv: "7", v: 1, ts: "2011-02-01T10:00:00" },
    { c: "d", inv: "8", v: 1, ts: "2011-03-01T10:00:00" },
  ]);
  const out = windowOutcome(t, ["a", "b", "c", "d", "zz"], "2010-12-01", "2011-12-10", 1, 3);
  assert.deepEqual(out.invoices, [0, 1, 2, 3, 0]);
  assert.deepEqual(out.level, [0, 1, 1, 2, 0]);
  // Other thresholds: occasional needs 2, loyal needs 3.
  const strict = windowOutcome(t, ["a", "b", "c", "d"], "2010-12-01", "2011-12-10", 2, 3);
  assert.deepEqual(strict.level, [0, 0, 1, 2]);
  // Aligned with the requested order.
  const rev = windowOutcome(t, ["d", "c", "b", "a"], "2010-12-01", "2011-12-10", 1, 3);
  assert.deepEqual(rev.invoices, [3, 2, 1, 0]);
});

// Questionable (src/rfm.ts, scoreMetric `offset`): with collapsed bins the offset keeps the TOP
// BIN at `bins`, which for a higher-is-better metric gives the best customers score 5, but for
// recency (reversed) gives the best (most recent) customers score 2 and never 5: with recency
// values {1, 2} the customer who bought yesterday scores R = 2. The best value should score
// `bins` in both directions.
Deno.test({
  name: "scoreMetric: with collapsed bins the best recency still scores `bins`",
  fn() {
    const s = scoreMetric("recency_days", [1, 1, 2], 5, false);
    assert.equal(s.scores[0], 5);
    const f = scoreMetric("frequency", [1, 1, 2], 5, true);
    assert.equal(f.scores[2], 5);
  },
});
