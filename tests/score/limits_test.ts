/**
 * Input caps that scale with the data (`trainingLimits` in `src/score/score.ts`): a shop selling
 * in KRW (customers' spend in the billions) is scored, a value far beyond anything seen in
 * training is refused with a message naming the field, and model files keep the caps they were
 * saved with.
 */
import assert from "node:assert/strict";
import { collapseDuplicates, fitKnn } from "../../src/score/neighbours.ts";
import { fitScaler, transform } from "../../src/score/scaler.ts";
import { parseModelFile } from "../../src/score/model_file.ts";
import {
  DEFAULT_LIMITS,
  LIMIT_MULTIPLE,
  type LoyaltyModel,
  makeScoreScale,
  scoreCustomer,
  trainingLimits,
  validateInput,
} from "../../src/score/score.ts";
import { createRng } from "../../src/model/random.ts";

const FEATURES = ["recency_window_days", "invoices_lookback", "value_lookback"];

/** A format-2 model file of a KRW shop: 200 customers spending up to ~6 billion won. */
function krwModelFile(): { json: Record<string, unknown>; largest: number } {
  const rng = createRng(3);
  const rows = Array.from({ length: 200 }, () => {
    const invoices = 1 + rng.int(12);
    return {
      recency_window_days: rng.int(366),
      invoices_lookback: invoices,
      value_lookback: Math.round(invoices * (40_000 + rng.next() * 500_000_000)),
    };
  });
  const labels = rows.map((
    r,
  ) => (r.recency_window_days < 60 ? 2 : r.invoices_lookback > 4 ? 1 : 0));
  const columns = Object.fromEntries(
    FEATURES.map((f) => [f, rows.map((r) => r[f as keyof typeof r])]),
  );
  const scaler = fitScaler(columns, FEATURES, ["invoices_lookback", "value_lookback"]);
  const c = collapseDuplicates(transform(scaler, columns), labels, 3);
  const model: LoyaltyModel = {
    kind: "rfm-loyalty-knn",
    version: 2,
    features: FEATURES,
    lookbackDays: 365,
    scaler,
    knn: fitKnn(c.points, c.labels, { k: 9, nClasses: 3, counts: c.counts }),
    customerIds: c.firstRow.map((i) => `K${i}`),
    levels: ["lapsed", "occasional", "loyal"],
    cutoff: "2024-01-01",
    windowEnd: "2024-07-01",
    score: makeScoreScale(),
    limits: trainingLimits(columns),
    calibration: null,
    decisionWeights: null,
  };
  return {
    json: JSON.parse(JSON.stringify({ ...model, currency: "KRW" })),
    largest: Math.max(...rows.map((r) => r.value_lookback)),
  };
}

Deno.test("caps: a KRW shop's billions score; beyond 100× the training maximum is refused by name", () => {
  const { json, largest } = krwModelFile();
  assert.ok(largest > 1e9, `largest spend ${largest}`);
  const { model } = parseModelFile(json);
  assert.equal(
    model.limits.maxMoney,
    Math.ceil(LIMIT_MULTIPLE * largest),
    "read back from the file",
  );
  assert.equal(model.limits.maxFrequency, DEFAULT_LIMITS.maxFrequency, "small counts: the floor");
  const customer = { recency_window_days: 20, invoices_lookback: 9, value_lookback: 3.2e9 };
  // The fixed default caps would refuse this customer …
  assert.equal(validateInput({ ...model, limits: DEFAULT_LIMITS }, customer).ok, false);
  // … the caps learnt from the data score it.
  const r = scoreCustomer(model, customer);
  assert.ok(r.ok, JSON.stringify(r));
  assert.ok(r.score >= 300 && r.score <= 850);
  // a spend 100× beyond the largest seen in training: refused, naming the field
  const tooMuch = model.limits.maxMoney + 1;
  assert.deepEqual(scoreCustomer(model, { ...customer, value_lookback: tooMuch }), {
    ok: false,
    errors: [{
      field: "value_lookback",
      message: `value_lookback must be at most ${model.limits.maxMoney} (got ${tooMuch})`,
    }],
  });
  // the cap itself is still fine
  assert.ok(scoreCustomer(model, { ...customer, value_lookback: model.limits.maxMoney }).ok);
});

Deno.test("caps: model files keep the caps they were saved with (older files, custom caps)", () => {
  const { json } = krwModelFile();
  const old = { ...json, limits: { ...DEFAULT_LIMITS } }; // a file written with the fixed caps
  const { model } = parseModelFile(old);
  assert.deepEqual(model.limits, DEFAULT_LIMITS);
  const r = scoreCustomer(model, {
    recency_window_days: 20,
    invoices_lookback: 9,
    value_lookback: 3.2e9,
  });
  assert.deepEqual(r.ok ? [] : r.errors.map((e) => e.field), ["value_lookback"]);
  const custom = { maxDays: 4000, maxFrequency: 500, maxMoney: 123456 };
  assert.deepEqual(parseModelFile({ ...json, limits: custom }).model.limits, custom);
  assert.throws(
    () => parseModelFile({ ...json, limits: { ...custom, maxMoney: 0 } }),
    /limits\.maxMoney: expected a positive number/,
  );
});

Deno.test("trainingLimits: counts and money scale, days keep 100 years, defaults are the floor", () => {
  const limits = trainingLimits({
    frequency: [3, 2500],
    invoices_90d: [4000, 1],
    monetary: [1.5e8, 7],
    value_365d: [2e8, 0],
    recency_days: [0, 99999],
    not_a_feature: [1e15],
    activity_trend: [0.9],
  });
  assert.deepEqual(limits, { maxDays: 36525, maxFrequency: 400000, maxMoney: 2e10 });
  assert.deepEqual(trainingLimits({ monetary: [NaN, Infinity, 5] }), DEFAULT_LIMITS);
  assert.deepEqual(trainingLimits({}), DEFAULT_LIMITS);
  assert.equal(trainingLimits({ monetary: [2e5] }, undefined, 1000).maxMoney, 2e8);
});
