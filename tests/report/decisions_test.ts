/**
 * Tests of the report's decision helpers (src/report/decisions.ts, download.ts, money.ts,
 * activity.ts): the widget's segment scoring agrees with the pipeline's own `scoreMetric` and
 * `segmentOf`; the verdicts read the evaluation's intervals when it has them; the download is
 * spreadsheet-safe; the money and time summaries add up; the browser bundle's modules export no
 * name twice.
 */
import assert from "node:assert/strict";
import {
  clusterBehaviours,
  horizonPhrase,
  plainFieldMessage,
  rfmScore,
  segmentForFigures,
  trustVerdicts,
} from "../../src/report/decisions.ts";
import { spreadsheetCsv } from "../../src/report/download.ts";
import { cumulativeShares, segmentSummary, targetGroups } from "../../src/report/money.ts";
import { cohortRetention, migrationMatrix, monthlyActivity } from "../../src/report/activity.ts";
import { scoreMetric } from "../../src/rfm/rfm.ts";
import { SEGMENT_RULES, segmentOf } from "../../src/rfm/segments.ts";
import { createRng } from "../../src/model/random.ts";
import { scoreCustomer } from "../../src/score/score.ts";
import { isoDay } from "../../src/lib/time.ts";

Deno.test("rfmScore gives the scores of the pipeline's scoreMetric, collapsed bins included", () => {
  const r = createRng(7);
  const rng = () => r.next();
  for (
    const [metric, higher, gen] of [
      ["recency_days", false, () => Math.floor(rng() * 700)],
      ["frequency", true, () => 1 + Math.floor(-Math.log(1 - rng()) * 2)], // ties at 1
      ["monetary", true, () => Math.round(Math.exp(rng() * 9) * 100) / 100],
    ] as const
  ) {
    for (const bins of [3, 5, 7]) {
      const values = Array.from({ length: 400 }, gen);
      const s = scoreMetric(metric, values, bins, higher);
      values.forEach((v, i) =>
        assert.equal(rfmScore(v, s.cuts, bins), s.scores[i], `${metric} ${v} (${bins} bins)`)
      );
    }
  }
});

Deno.test("segmentForFigures: the segment segmentOf gives for the same scores, and its action", () => {
  const t = {
    recency_days: { cuts: [20, 60, 150, 300], higherIsBetter: false },
    frequency: { cuts: [1, 2, 4, 8], higherIsBetter: true },
    monetary: { cuts: [200, 400, 900, 2000], higherIsBetter: true },
  };
  const rfm = { bins: 5, thresholds: t, segmentRules: SEGMENT_RULES };
  for (const recency of [5, 40, 100, 200, 400]) {
    for (const frequency of [1, 2, 3, 6, 12]) {
      for (const monetary of [100, 300, 600, 1000, 5000]) {
        const got = segmentForFigures({ recency_days: recency, frequency, monetary }, rfm)!;
        const want = segmentOf(
          rfmScore(recency, t.recency_days, 5),
          rfmScore(frequency, t.frequency, 5),
          rfmScore(monetary, t.monetary, 5),
        );
        assert.equal(got.segment.name, want.name);
        assert.ok(got.segment.action.length > 10);
      }
    }
  }
  // numeric text, as the widget's fields hold it
  assert.equal(
    segmentForFigures({ recency_days: "5", frequency: "12", monetary: "5000" }, rfm)?.segment.name,
    "Champions",
  );
  assert.equal(segmentForFigures({ recency_days: 5, frequency: 12 }, rfm), null);
});

Deno.test("horizonPhrase names quarters, years and weeks with the days", () => {
  assert.equal(horizonPhrase(91), "the next quarter (91 days)");
  assert.equal(horizonPhrase(366), "the next year (366 days)");
  assert.equal(horizonPhrase(14), "the next 2 weeks (14 days)");
  assert.equal(horizonPhrase(1), "the next 1 day");
});

Deno.test("trustVerdicts uses the bootstrap intervals when the evaluation has them", () => {
  const base = {
    levels: ["lapsed", "occasional", "loyal"],
    test: { macroF1: 0.56, aucTop: 0.83 },
    baselines: { logistic: { macroF1: 0.5 } },
    bands: [0.84, 0.5, 0.28, 0.16, 0.05].map((r, i) => ({ band: "ABCDE"[i], topRate: r })),
    gains: [{ share: 0.1, lift: 2.7 }],
  };
  // without intervals: 0.06 apart is "better"; the decile lift comes from the gains table
  const plain = trustVerdicts(base);
  assert.equal(plain.baselines[0].judgement.verdict, "better");
  assert.equal(plain.ranking.lift, 2.7);
  // with a paired interval that holds 0, the same difference is "level" and the sentence says so
  const boot = trustVerdicts({
    ...base,
    comparison: {
      reference: { aucTop: { lo: 0.45, hi: 0.9 } },
      differences: { logistic: { macroF1: { lo: -0.01, hi: 0.12 } } },
    },
  });
  assert.equal(boot.baselines[0].judgement.verdict, "level");
  assert.match(boot.baselines[0].sentence, /could be chance/);
  // an AUC interval that holds 0.5: chance, and the summary refuses to call the model useful
  assert.equal(boot.auc.verdict, "chance");
  assert.equal(boot.ranking.useful, false);
  assert.match(boot.sentences.summary, /should not be used to rank customers/);
  // a model at chance never "ranks customers usefully", whatever its lift
  const flat = trustVerdicts({ ...base, test: { macroF1: 0.3, aucTop: 0.52 } });
  assert.match(flat.sentences.ranking, /does not rank customers usefully/);
});

Deno.test("plainFieldMessage: every message of the scoring module without code names", () => {
  const model = {
    features: ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"],
    limits: { maxDays: 36500, maxFrequency: 100000, maxMoney: 1e9 },
  };
  const inputs = [
    { recency_days: "abc", frequency: 2, monetary: 10, tenure_days: 50 },
    { recency_days: -1, frequency: 2.5, monetary: -3, tenure_days: 50 },
    { recency_days: 400, frequency: 2, monetary: 10, tenure_days: 100 },
    { recency_days: 4, frequency: 2, monetary: 10, tenure_days: 10, avg_order_value: 50 },
    { frequency: 2 },
  ];
  for (const input of inputs) {
    // deno-lint-ignore no-explicit-any
    const r = scoreCustomer(model as any, input);
    assert.equal(r.ok, false);
    if (r.ok) continue;
    for (const e of r.errors) {
      const m = plainFieldMessage(e);
      assert.ok(!/[a-z]+_[a-z]+/.test(m), `code name left in “${m}”`);
      assert.ok(!/\bmonetary\b/.test(m), `code name left in “${m}”`);
      assert.match(m, /^[A-Z]/);
    }
  }
  assert.equal(
    plainFieldMessage({
      field: "tenure_days",
      message: "tenure_days (100) must be at least recency_days (400): the first purchase " +
        "cannot be after the last",
    }).split(":")[0],
    "Tenure must be at least the recency (400 days)",
  );
});

Deno.test("clusterBehaviours: distinct names even when two clusters behave alike", () => {
  const overall = { recency: 50, frequency: 2, monetary: 600 };
  const c = clusterBehaviours([
    { name: "A", medianRecencyDays: 10, medianFrequency: 1, medianMonetary: 100 },
    { name: "B", medianRecencyDays: 12, medianFrequency: 1, medianMonetary: 90 },
    { name: "C", medianRecencyDays: 300, medianFrequency: 6, medianMonetary: 900 },
  ], overall);
  assert.equal(new Set(c.map((x) => x.behaviour)).size, 3);
  assert.match(c[0].behaviour, /\(A\)$/);
  assert.match(c[2].action, /Win back/);
});

/** Parses the download's CSV (RFC 4180 quoting) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"', i++);
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") (row.push(cell), cell = "");
    else if (ch === "\r" && text[i + 1] === "\n") {
      (row.push(cell), rows.push(row), row = [], cell = "", i++);
    } else cell += ch;
  }
  return rows;
}

Deno.test("spreadsheetCsv: formula-like text neutralised, ids kept as text, numbers as numbers", () => {
  const ids = ["00007", "12", "C-1"];
  const text = ["=1+1", "@SUM(A1)", "-- ok --"];
  const csv = spreadsheetCsv([
    { name: "customer_id", value: (i) => ids[i], id: true },
    { name: "reasons", value: (i) => text[i] },
    { name: "monetary", value: (i) => [-12.5, 1e3, NaN][i] },
    { name: "segment", value: (i) => [null, "Can't lose them", 'say "hi", then'][i] },
  ], [2, 0, 1]);
  assert.ok(csv.startsWith("\uFEFF"), "byte-order mark");
  const rows = parseCsv(csv.slice(1));
  assert.deepEqual(rows[0], ["customer_id", "reasons", "monetary", "segment"]);
  // rows in the order given; "C-1" is not all digits, so it stays as it is
  assert.deepEqual(rows.slice(1).map((r) => r[0]), ["C-1", '="00007"', '="12"']);
  assert.deepEqual(rows.slice(1).map((r) => r[1]), ["'-- ok --", "'=1+1", "'@SUM(A1)"]);
  assert.deepEqual(rows.slice(1).map((r) => r[2]), ["", "-12.5", "1000"]);
  assert.deepEqual(rows.slice(1).map((r) => r[3]), ['say "hi", then', "", "Can't lose them"]);
  // every cell: starts with a trigger only as a text formula of digits
  for (const r of rows) {
    for (const c of r) {
      if (/^[=+\-@\t\r]/.test(c)) assert.ok(/^="\d+"$/.test(c) || /^-?[\d.]+$/.test(c), c);
    }
  }
});

Deno.test("segmentSummary and targetGroups add up to the customer table", () => {
  const r = createRng(3);
  const rng = () => r.next();
  const segs = ["Champions", "Loyal", "At risk", "Lost"];
  const n = 500;
  const segment = Array.from({ length: n }, () => segs[Math.floor(rng() * 4)]);
  const band = Array.from({ length: n }, () => "ABCDE"[Math.floor(rng() * 5)]);
  const monetary = Array.from({ length: n }, () => Math.round(rng() * 100000) / 100);
  const frequency = Array.from({ length: n }, () => 1 + Math.floor(rng() * 9));
  const recency = Array.from({ length: n }, () => Math.floor(rng() * 400));
  const pLapse = Array.from({ length: n }, () => rng());
  const lapsed = pLapse.map((p) => p > 0.6);
  const total = monetary.reduce((s, x) => s + x, 0);
  const s = segmentSummary({ segment, recency, frequency, monetary }, segs);
  assert.equal(s.reduce((t, r) => t + r.customers, 0), n);
  assert.ok(Math.abs(s.reduce((t, r) => t + r.revenue, 0) - total) < 0.01);
  assert.equal(s.reduce((t, r) => t + r.orders, 0), frequency.reduce((a, b) => a + b, 0));
  assert.ok(Math.abs(s.reduce((t, r) => t + (r.revenueShare ?? 0), 0) - 1) < 1e-9);
  const g = targetGroups({ segment, band, lapsed, pLapse, monetary }, segs, [
    "A",
    "B",
    "C",
    "D",
    "E",
  ]);
  for (const seg of g.segments) {
    const parts = g.bands.filter((b) => b.segment === seg.segment);
    assert.equal(parts.reduce((t, b) => t + b.customers, 0), seg.customers);
    assert.equal(parts.reduce((t, b) => t + b.predictedLapse, 0), seg.predictedLapse);
  }
  assert.equal(
    g.segments.reduce((t, x) => t + x.predictedLapse, 0),
    lapsed.filter((x) => x).length,
  );
  const curve = cumulativeShares(pLapse, monetary);
  assert.equal(curve[curve.length - 1].captured, 1);
  for (let i = 1; i < curve.length; i++) assert.ok(curve[i].captured >= curve[i - 1].captured);
});

Deno.test("monthly activity, cohorts and migration count every customer once", () => {
  const r = createRng(11);
  const rng = () => r.next();
  const start = isoDay("2010-12-05");
  const days = Array.from({ length: 3000 }, () => start + Math.floor(rng() * 400));
  const ids = Array.from({ length: 3000 }, () => `c${Math.floor(rng() * 300)}`);
  const values = Array.from({ length: 3000 }, () => Math.round(rng() * 5000) / 100);
  const months = monthlyActivity(days, ids, values);
  assert.equal(months[0].partial, true); // starts on the 5th
  assert.equal(months.reduce((t, m) => t + m.newCustomers, 0), new Set(ids).size);
  const cohorts = cohortRetention(days, ids);
  assert.equal(cohorts.reduce((t, c) => t + c.customers, 0), new Set(ids).size);
  for (const c of cohorts) {
    assert.equal(c.retention[0], 1);
    const month = (label: string) => Number(label.slice(0, 4)) * 12 + Number(label.slice(5, 7));
    const last = month(months[months.length - 1].month);
    assert.equal(c.active.length, last - month(c.cohort) + 1);
  }
  const now = [...new Set(ids)];
  const then = now.filter((_, i) => i % 3 !== 0);
  const m = migrationMatrix(
    { ids: then, segments: then.map((_, i) => SEGMENT_RULES[i % 11].name) },
    { ids: now, segments: now.map((_, i) => SEGMENT_RULES[(i * 7) % 11].name) },
    SEGMENT_RULES.map((r) => r.name),
  );
  assert.equal(m.counts.flat().reduce((a, b) => a + b, 0), now.length);
  assert.equal(m.from[m.from.length - 1], "New since then");
  assert.equal(m.gone, 0);
});

Deno.test("the browser bundle's modules export no name twice", async () => {
  const modules = [
    "../../src/score/score.ts",
    "../../src/report/narrative.ts",
    "../../src/config/features.ts",
    "../../src/lib/time.ts",
    "../../src/report/verdicts.ts",
    "../../src/report/decisions.ts",
    "../../src/score/reasons.ts",
    "../../src/report/download.ts",
    "../../src/report/packed.ts",
  ];
  const seen = new Map<string, string>();
  for (const path of modules) {
    for (const name of Object.keys(await import(path))) {
      assert.ok(!seen.has(name), `${name} is exported by ${seen.get(name)} and ${path}`);
      seen.set(name, path);
    }
  }
  const bundle = await import("../../src/site/browser.ts") as Record<string, unknown>;
  for (const name of ["trustVerdicts", "spreadsheetCsv", "explainScore", "segmentForFigures"]) {
    assert.equal(typeof bundle[name], "function", name);
  }
});
