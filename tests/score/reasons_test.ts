import assert from "node:assert/strict";
import { fitKnn, type Weighting } from "../../src/score/neighbours.ts";
import { parseModelFile } from "../../src/score/model_file.ts";
import { fitScaler, transform } from "../../src/score/scaler.ts";
import {
  DEFAULT_LIMITS,
  type LoyaltyModel,
  makeScoreScale,
  predictValues,
  scoreCustomer,
  scoreFromProbabilities,
} from "../../src/score/score.ts";
import {
  createExplainer,
  createScoreExplainer,
  DEFAULT_MAX_REASONS,
  explainScore,
  MIN_EFFECT_SHARE,
  modelScore,
  PHRASES,
  type Reason,
  reasonPhrase,
  reasonsLine,
  typicalValues,
} from "../../src/score/reasons.ts";
import { FEATURES } from "../../src/config/features.ts";
import { createRng } from "../../src/model/random.ts";
import { median } from "../../src/lib/stats.ts";
import { isFormulaLike } from "../../src/lib/csv.ts";
import { V2_FEATURES, v2Model, v2Queries } from "./v2_fixture.ts";

type Row = Record<string, number>;

/** The five RFM features of the first loyalty model. */
const FEATURE_NAMES = ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"];

/** A model fitted on raw training rows: scaler (log1p where asked) and KNN on the scaled rows. */
function modelOf(
  features: string[],
  rows: Row[],
  labels: number[],
  opts: { k?: number; weighting?: Weighting; log?: string[] } = {},
): LoyaltyModel {
  const columns = Object.fromEntries(features.map((f) => [f, rows.map((r) => r[f])]));
  const scaler = fitScaler(columns, features, opts.log ?? []);
  return {
    kind: "rfm-loyalty-knn",
    version: 1,
    features,
    scaler,
    knn: fitKnn(transform(scaler, columns), labels, {
      k: opts.k ?? 5,
      weighting: opts.weighting ?? "uniform",
      nClasses: 3,
    }),
    customerIds: rows.map((_, i) => `C${i}`),
    levels: ["lapsed", "occasional", "loyal"],
    cutoff: "2011-06-01",
    windowEnd: "2011-12-01",
    score: makeScoreScale(),
    limits: { ...DEFAULT_LIMITS },
  };
}

/**
 * Only recency matters: 41 training customers with recency 1, 11, …, 401 days; those within 100
 * days were loyal, those within 300 occasional, the others lapsed. Every other feature is the
 * same for all of them (so it cannot change which training customers are nearest).
 */
function recencyOnlyModel(weighting: Weighting = "uniform"): LoyaltyModel {
  const rows: Row[] = Array.from({ length: 41 }, (_, i) => ({
    recency_days: 1 + 10 * i,
    frequency: 3,
    monetary: 600,
    tenure_days: 500,
    avg_order_value: 200,
  }));
  const level = (r: number) => (r <= 100 ? 2 : r <= 300 ? 1 : 0);
  return modelOf([...FEATURE_NAMES], rows, rows.map((r) => level(r.recency_days)), {
    k: 5,
    weighting,
  });
}

/** The typical customer of {@link recencyOnlyModel}. */
const TYPICAL = {
  recency_days: 201,
  frequency: 3,
  monetary: 600,
  tenure_days: 500,
  avg_order_value: 200,
};

Deno.test("typicalValues: the training medians in raw units, rounded as displayed", () => {
  assert.deepEqual(typicalValues(recencyOnlyModel()), TYPICAL);
  // Through log1p scaling, with an even number of customers (mean of the two middle values).
  const rows = [
    { recency_days: 3, monetary: 10.5 },
    { recency_days: 40, monetary: 99.98 },
    { recency_days: 7, monetary: 250 },
    { recency_days: 300, monetary: 1000 },
  ];
  const m = modelOf(["recency_days", "monetary"], rows, [2, 1, 2, 0], {
    k: 2,
    log: ["recency_days", "monetary"],
  });
  assert.deepEqual(typicalValues(m), {
    recency_days: Math.round(median([3, 40, 7, 300])!),
    monetary: Math.round(median([10.5, 99.98, 250, 1000])! * 100) / 100,
  });
  assert.equal(typicalValues(m), typicalValues(m), "computed once per model");
});

Deno.test("explainScore: when only recency matters, recency is the one reason", () => {
  const model = recencyOnlyModel();
  const stale = explainScore(model, { ...TYPICAL, recency_days: 350, frequency: 12 });
  assert.equal(stale.length, 1, JSON.stringify(stale));
  const [r] = stale;
  assert.equal(r.feature, "recency_days");
  assert.equal(r.value, 350);
  assert.equal(r.typical, 201);
  // score 300 (all five neighbours lapsed) against 575 at the typical 201 days (all occasional)
  assert.equal(r.effect, -275);
  assert.equal(r.direction, "lowers");
  assert.equal(r.text, "no purchase in 350 days (typical: 201 days)");
  // a recent customer: 850 (all loyal) against 575
  const recent = explainScore(model, { ...TYPICAL, recency_days: 20, monetary: 5000 });
  assert.deepEqual(recent.map((x) => [x.feature, x.direction, x.effect]), [
    ["recency_days", "raises", 275],
  ]);
  assert.equal(recent[0].text, "last purchase 20 days ago (typical: 201 days)");
});

Deno.test("explainScore: the typical customer and customers near it get no reasons", () => {
  for (const weighting of ["uniform", "distance"] as const) {
    const model = recencyOnlyModel(weighting);
    assert.deepEqual(explainScore(model, TYPICAL), [], weighting);
    // features other than recency never move the score in this model
    assert.deepEqual(
      explainScore(model, { ...TYPICAL, frequency: 40, monetary: 9000, avg_order_value: 225 }),
      [],
      weighting,
    );
  }
});

Deno.test("explainScore: effect = score(customer) − score(one feature at the typical value)", () => {
  const rng = createRng(7);
  const rows: Row[] = Array.from({ length: 120 }, () => {
    const frequency = 1 + rng.int(12);
    const monetary = Math.round((50 + rng.next() * 3000) * 100) / 100;
    const recency_days = 1 + rng.int(400);
    return {
      recency_days,
      frequency,
      monetary,
      tenure_days: recency_days + rng.int(300),
      avg_order_value: monetary / frequency,
    };
  });
  const labels = rows.map((r) =>
    r.frequency >= 6 && r.recency_days < 120 ? 2 : r.recency_days < 200 ? 1 : 0
  );
  const model = modelOf([...FEATURE_NAMES], rows, labels, {
    k: 7,
    weighting: "distance",
    log: [...FEATURE_NAMES],
  });
  const typical = typicalValues(model);
  let explained = 0;
  for (const q of rows.slice(0, 40)) {
    const reasons = explainScore(model, q, { max: 5, minEffect: 1e-9 });
    const values = model.features.map((f) => q[f]);
    const actual = modelScore(model, values);
    for (const r of reasons) {
      const j = model.features.indexOf(r.feature);
      const cf = values.slice();
      cf[j] = typical[r.feature];
      assert.ok(Math.abs(r.effect - (actual - modelScore(model, cf))) < 1e-9);
      assert.equal(r.direction, r.effect > 0 ? "raises" : "lowers");
    }
    // ranked by |effect|
    for (let i = 1; i < reasons.length; i++) {
      assert.ok(Math.abs(reasons[i - 1].effect) >= Math.abs(reasons[i].effect));
    }
    // the default keeps the top three of those above 1 % of the scale
    const top = explainScore(model, q);
    assert.deepEqual(
      top,
      reasons.filter((r) => Math.abs(r.effect) >= MIN_EFFECT_SHARE * 550).slice(
        0,
        DEFAULT_MAX_REASONS,
      ),
    );
    explained += top.length;
  }
  assert.ok(explained > 40, `only ${explained} reasons for 40 customers`);
});

Deno.test("modelScore is the scoring module's score before rounding", () => {
  const rng = createRng(11);
  for (const weighting of ["uniform", "distance"] as const) {
    const rows: Row[] = Array.from({ length: 60 }, () => ({
      recency_days: 1 + rng.int(300),
      frequency: 1 + rng.int(9),
    }));
    const model = modelOf(
      ["recency_days", "frequency"],
      rows,
      rows.map(() => rng.int(3)),
      { k: 6, weighting, log: ["recency_days"] },
    );
    for (let i = 0; i < 200; i++) {
      const q = { recency_days: rng.int(500), frequency: 1 + rng.int(20) };
      const s = scoreCustomer(model, q);
      assert.ok(s.ok);
      assert.equal(Math.round(modelScore(model, [q.recency_days, q.frequency])), s.score);
    }
  }
});

Deno.test("explainScore: options (max, minEffect, typical, currency, scorer)", () => {
  const model = recencyOnlyModel();
  const q = { ...TYPICAL, recency_days: 20 };
  assert.deepEqual(explainScore(model, q, { max: 0 }), []);
  assert.deepEqual(explainScore(model, q, { minEffect: 551 }), []);
  // typical values given (e.g. stored with the model) replace the training medians
  assert.deepEqual(explainScore(model, q, { typical: { recency_days: 30 } }), []); // both loyal
  const own = explainScore(model, q, { typical: { recency_days: 350 } });
  assert.deepEqual(own.map((r) => [r.typical, r.effect]), [[350, 550]]);
  // a scorer of one's own (here: 10 points per day of recency below 300)
  const linear = explainScore(model, q, { score: (v) => 10 * (300 - v[0]) });
  assert.deepEqual(linear.map((r) => [r.feature, r.effect]), [["recency_days", 1810]]);
  // money in the dataset's currency
  const money = explainScore(model, { ...TYPICAL, monetary: 1234.5 }, {
    currency: "GBP",
    score: (v) => v[2] / 10,
  });
  assert.equal(money[0].text, "net spend of GBP 1,235 (typical: GBP 600)");
  // a scorer that fails on a value gives no reason for that feature rather than throwing
  const failing = explainScore(model, q, {
    score: (v) => {
      if (v[0] === 201) throw new RangeError("no");
      return v[0];
    },
  });
  assert.deepEqual(failing, []);
});

Deno.test("explainScore: invalid input gives no reasons; the result is deterministic", () => {
  const model = recencyOnlyModel();
  assert.deepEqual(explainScore(model, { ...TYPICAL, recency_days: -5 }), []);
  assert.deepEqual(explainScore(model, { frequency: 3 }), []);
  const q = { ...TYPICAL, recency_days: "350", avg_order_value: undefined };
  const a = explainScore(model, q);
  assert.deepEqual(a, explainScore(model, q));
  assert.equal(a[0].value, 350, "numeric strings and derived fields as in scoreCustomer");
});

Deno.test("explainScore works for features the registry does not know", () => {
  // "trend" (not in the registry) decides the level; recency is noise
  const rows: Row[] = Array.from({ length: 30 }, (_, i) => ({
    recency_days: 10 + ((i * 7) % 30),
    trend: i / 10 - 1.5,
  }));
  const model = modelOf(["recency_days", "trend"], rows, rows.map((r) => (r.trend > 0 ? 2 : 0)), {
    k: 3,
  });
  const [r] = explainScore(model, { recency_days: 25, trend: 1.2 });
  assert.equal(r.feature, "trend");
  assert.equal(r.direction, "raises");
  assert.equal(r.text, `trend: 1.2 (typical: ${typicalValues(model).trend})`);
});

Deno.test("reasonPhrase: every registry feature has a template; plain words with the typical value", () => {
  for (const f of FEATURES) {
    const text = reasonPhrase(f.name, 3, 1, "GBP");
    assert.doesNotMatch(text, /undefined|NaN|null|Infinity/, f.name);
    assert.match(text, /\(typical: .+\)$/, f.name);
  }
  for (const f of FEATURE_NAMES) assert.ok(PHRASES[f], f);
  assert.equal(reasonPhrase("recency_days", 200, 40), "no purchase in 200 days (typical: 40 days)");
  assert.equal(reasonPhrase("recency_days", 1, 40), "last purchase 1 day ago (typical: 40 days)");
  assert.equal(reasonPhrase("recency_days", 0, 40), "bought today (typical: 40 days)");
  assert.equal(reasonPhrase("frequency", 3, 1), "3 invoices in total (typical: 1)");
  assert.equal(
    reasonPhrase("tenure_days", 1200, 246),
    "first purchase 1,200 days ago (typical: 246 days)",
  );
  assert.equal(
    reasonPhrase("avg_order_value", 12.5, 24.98, "USD"),
    "average order of USD 12.50 (typical: USD 24.98)",
  );
  assert.equal(reasonPhrase("monetary", 99.99, 36.2), "net spend of 99.99 (typical: 36.20)");
  // the generic phrases by kind (no templates)
  const none = {};
  assert.equal(
    reasonPhrase("frequency", 1, 2, undefined, none),
    "Frequency: 1 invoice (typical: 2)",
  );
  assert.equal(
    reasonPhrase("monetary", 1500, 640, "EUR", none),
    "Net revenue: EUR 1,500 (typical: EUR 640)",
  );
  assert.equal(
    reasonPhrase("tenure_days", 30, 246, undefined, none),
    "Tenure: 30 days since the first purchase (typical: 246 days)",
  );
  assert.equal(
    reasonPhrase("recency_days", 1, 40, undefined, none),
    "Recency: 1 day since the last purchase (typical: 40 days)",
  );
  assert.equal(reasonPhrase("constructor", 2, 1, undefined, none), "constructor: 2 (typical: 1)");
});

Deno.test("reasonsLine: signs and separators for a table cell", () => {
  const r = (direction: Reason["direction"], text: string): Reason => ({
    feature: "x",
    value: 0,
    typical: 0,
    effect: direction === "raises" ? 1 : -1,
    direction,
    text,
  });
  assert.equal(
    reasonsLine([r("lowers", "a"), r("raises", "b"), r("lowers", "c")]),
    "↓ a; ↑ b; ↓ c",
  );
  // a table cell a spreadsheet never runs as a formula, whichever way the first reason goes
  for (const d of ["raises", "lowers"] as const) {
    assert.equal(isFormulaLike(reasonsLine([r(d, "x")])), false, d);
  }
});

Deno.test("reasonPhrase: the windowed and ratio features of the registry", () => {
  const known = new Set(FEATURES.map((f) => f.name));
  const check = (name: string, v: number, t: number, text: string) => {
    if (known.has(name)) assert.equal(reasonPhrase(name, v, t, "GBP"), text);
  };
  check("invoices_90d", 3, 1, "3 invoices in the last 90 days (typical: 1)");
  check("invoices_365d", 1, 0, "1 invoice in the last 365 days (typical: 0)");
  check("value_180d", 1250, 80.5, "GBP 1,250 spent in the last 180 days (typical: GBP 80.50)");
  check("recency_window_days", 180, 40, "no purchase in the last 180 days (typical: 40 days)");
  check("gap_days", 1, 30, "1 day between purchases on average (typical: 30 days)");
  check("returns_share", 0.25, 0, "25 % of the ordered value returned or cancelled (typical: 0 %)");
  check(
    "activity_trend",
    -0.5,
    0,
    "buying less in the recent half of the look-back than in the earlier half (trend −0.50) " +
      "(typical: 0.00)",
  );
});

// ---------------------------------------------------------------------------------------------
// Format-2 models: look-back capping, weighted distance, collapsed duplicates, calibration and
// decision weights — the reasons must follow the model's own scoring path (predictValues).

Deno.test("v2 fixture: duplicates collapse into points with counts", () => {
  const { model } = v2Model();
  assert.ok(model.knn.points.length < 100, `${model.knn.points.length} points`);
  const customers = model.knn.counts!.reduce((s, c) => s + c[0] + c[1] + c[2], 0);
  assert.equal(customers, 300);
});

Deno.test("modelScore is scoreCustomer's score on format-2 models (capping, counts, calibration)", () => {
  const { model, rows } = v2Model();
  let capped = 0;
  for (const q of v2Queries(rows, 300)) {
    const s = scoreCustomer(model, q);
    assert.ok(s.ok, JSON.stringify(q));
    const values = model.features.map((f) => q[f]);
    assert.equal(Math.round(modelScore(model, values)), s.score, JSON.stringify(q));
    if (q.recency_window_days > 180) capped++;
  }
  assert.ok(capped > 50, `${capped} queries beyond the look-back`);
  // The v1 path (no capping, no counts, no calibration) would give other scores: the fixture
  // tells them apart, so the equality above is not a coincidence.
  const raw = (values: number[]) => {
    const p = predictValues(model, values);
    return scoreFromProbabilities(model.score, p.rawProbabilities).exact;
  };
  const differ = v2Queries(rows, 100).filter((q) => {
    const v = model.features.map((f) => q[f]);
    return Math.abs(raw(v) - modelScore(model, v)) > 1;
  });
  assert.ok(differ.length > 20, `calibration moved only ${differ.length} scores`);
});

Deno.test("typicalValues: medians of the training customers, collapsed points counted by their customers", () => {
  const { model, rows } = v2Model();
  const typical = typicalValues(model);
  for (const f of V2_FEATURES) {
    const expected = median(rows.map((r) => r[f]))!;
    assert.ok(Math.abs(typical[f] - expected) <= 0.01, `${f}: ${typical[f]} vs ${expected}`);
  }
  // The median of the distinct points alone differs here: the counts matter.
  const distinct = [...new Set(rows.map((r) => JSON.stringify(V2_FEATURES.map((f) => r[f]))))]
    .map((s) => JSON.parse(s) as number[]);
  const unweighted = V2_FEATURES.map((_, j) => median(distinct.map((p) => p[j]))!);
  assert.notDeepEqual(unweighted, V2_FEATURES.map((f) => typical[f]));
});

Deno.test("explainScore on a format-2 model: effects through the model's own scoring path", () => {
  const { model, rows } = v2Model();
  const typical = typicalValues(model);
  let explained = 0;
  for (const q of v2Queries(rows, 120)) {
    const values = model.features.map((f) => q[f]);
    const actual = modelScore(model, values);
    const reasons = explainScore(model, q, { max: 3, minEffect: 1e-9 });
    for (const r of reasons) {
      const cf = values.slice();
      cf[model.features.indexOf(r.feature)] = typical[r.feature];
      const cfScore = scoreCustomer(
        model,
        Object.fromEntries(model.features.map((f, j) => [f, cf[j]])),
      );
      // the counterfactual is a valid customer here: its score is scoreCustomer's
      assert.ok(cfScore.ok);
      assert.ok(Math.abs(r.effect - (actual - modelScore(model, cf))) < 1e-9);
      assert.equal(Math.round(actual - r.effect), cfScore.score);
    }
    explained += reasons.length;
  }
  assert.ok(explained > 60, `${explained} reasons`);
  // a value beyond the look-back and the look-back itself are the same to the model
  const a = explainScore(model, { recency_window_days: 400, invoices_90d: 0, value_365d: 0 });
  const b = explainScore(model, { recency_window_days: 180, invoices_90d: 0, value_365d: 0 });
  assert.deepEqual(a.map((r) => r.effect), b.map((r) => r.effect));
});

Deno.test("explainScore after a round trip through the model file: the same reasons", () => {
  const { model, rows } = v2Model();
  const file = parseModelFile(JSON.parse(JSON.stringify({ ...model, currency: "KRW" }))).model;
  assert.equal(file.currency, "KRW");
  for (const q of v2Queries(rows, 60)) {
    const mine = explainScore(model, q, { currency: "KRW" });
    assert.deepEqual(explainScore(file, q), mine);
  }
  const money = explainScore(file, { recency_window_days: 5, invoices_90d: 0, value_365d: 2500 }, {
    minEffect: 1e-9,
    max: 3,
  }).find((r) => r.feature === "value_365d");
  if (money) assert.match(money.text, /KRW 2,500/);
});

Deno.test("createExplainer: the same reasons as explainScore, sharing predictions", () => {
  for (const { model, rows } of [v2Model(), { model: recencyOnlyModel("distance"), rows: [] }]) {
    const queries = rows.length ? v2Queries(rows, 200) : [TYPICAL, { ...TYPICAL, recency_days: 9 }];
    const explain = createExplainer(model);
    const all = [...queries, ...queries]; // the second pass is served from the shared map
    assert.deepEqual(all.map((q) => explain(q)), all.map((q) => explainScore(model, q)));
    assert.deepEqual(explain({ ...queries[0], [model.features[0]]: -3 }), []);
  }
});

Deno.test("reasons are bit-identical to the plain search: effect = modelScore(customer) − modelScore(counterfactual)", () => {
  // explainScore searches the counterfactuals on the customer's prepared query; modelScore
  // searches every point by itself (the tree walk): the effects must agree to the last bit.
  const { model, rows } = v2Model();
  const typical = typicalValues(model);
  let compared = 0;
  for (const q of v2Queries(rows, 150)) {
    const values = model.features.map((f) => q[f]);
    const actual = modelScore(model, values);
    const expected = model.features.flatMap((f, j) => {
      if (typical[f] === values[j]) return [];
      const cf = values.slice();
      cf[j] = typical[f];
      return [{ feature: f, effect: actual - modelScore(model, cf) }];
    });
    const reasons = explainScore(model, q, { max: Infinity, minEffect: 0 });
    const byFeature = new Map(reasons.map((r) => [r.feature, r.effect]));
    for (const e of expected) {
      if (e.effect === 0) continue; // a zero effect is never a reason
      assert.equal(byFeature.get(e.feature), e.effect, `${JSON.stringify(q)} ${e.feature}`);
      compared++;
    }
  }
  assert.ok(compared > 150, `${compared} effects compared`);
});

Deno.test("createScoreExplainer: exactly scoreCustomer's result and explainScore's reasons", () => {
  for (const { model, rows } of [v2Model(), { model: recencyOnlyModel("distance"), rows: [] }]) {
    const queries = rows.length ? v2Queries(rows, 150) : [TYPICAL, { ...TYPICAL, recency_days: 9 }];
    const invalid = { ...queries[0], [model.features[0]]: -3 };
    const all = [...queries, invalid, ...queries]; // the second pass is served from the shared map
    const explain = createScoreExplainer(model);
    for (const q of all) {
      assert.deepEqual(explain(q), {
        result: scoreCustomer(model, q),
        reasons: explainScore(model, q),
      });
    }
    const own = createScoreExplainer(model, { score: () => 0 }); // a scorer of one's own
    assert.deepEqual(own(queries[0]).result, scoreCustomer(model, queries[0]));
    assert.deepEqual(own(queries[0]).reasons, []);
  }
});
