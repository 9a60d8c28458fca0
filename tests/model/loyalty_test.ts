import assert from "node:assert/strict";
import { fitScaler } from "../../src/score/scaler.ts";
import { bandTrend } from "../../src/model/bands.ts";
import { fitLoyaltyModel, SCORE_FORMULA } from "../../src/model/loyalty.ts";
import { LOGISTIC_DESCRIPTION } from "../../src/model/baselines.ts";
import { type LoyaltyModel, scoreMany } from "../../src/score/score.ts";
import { stratifiedSplit } from "../../src/model/split.ts";
import { assertFinite, CONFIG, forwardCustomers } from "./fixtures.ts";

const FWD = forwardCustomers(700, 5);
const FIT = fitLoyaltyModel(FWD.table, FWD.labels, FWD.persistence, CONFIG);

Deno.test("fitLoyaltyModel: evaluation is complete, finite and beats the majority baseline", () => {
  const { model, evaluation: e, heldOut } = FIT;
  assertFinite(e);
  assert.equal(e.split.test, Math.round(700 * 0.25));
  assert.equal(e.split.train + e.split.test, 700);
  assert.deepEqual(
    e.classBalance.all,
    [0, 1, 2].map((c) => FWD.labels.filter((l) => l === c).length),
  );
  assert.deepEqual(
    e.classBalance.all,
    e.classBalance.train.map((n, c) => n + e.classBalance.test[c]),
  );
  assert.equal(e.tuning.curve.length, 6);
  assert.ok(CONFIG.knn.kGrid.includes(e.chosen.k));
  assert.equal(model.knn.k, e.chosen.k);
  assert.equal(model.knn.weighting, e.chosen.weighting);
  const best = Math.max(...e.tuning.curve.map((p) => p.meanMacroF1));
  assert.ok(Math.abs(e.tuning.best.meanMacroF1 - best) < 1e-6);
  assert.equal(e.test.perClass.length, 3);
  assert.deepEqual(e.test.perClass.map((c) => c.name), ["lapsed", "occasional", "loyal"]);
  assert.ok(e.test.aucTop !== null && e.test.aucTop > 0.7, `AUC ${e.test.aucTop}`);
  assert.equal(e.baselines.majority.aucTop, 0.5);
  assert.ok(e.test.macroF1 > e.baselines.majority.macroF1);
  assert.ok(e.baselines.logistic.aucTop! > 0.7);
  assert.equal(e.baselines.logistic.description, LOGISTIC_DESCRIPTION);
  assert.equal(e.scoreFormula, SCORE_FORMULA);
  assert.equal(e.bands.length, 5);
  assert.equal(e.bands.reduce((s, b) => s + b.customers, 0), e.split.test);
  assert.equal(e.gains.length, 10);
  assert.equal(e.gains[9].captured, 1);
  assert.equal(heldOut.length, e.split.test);
});

Deno.test("fitLoyaltyModel: the majority baseline predicts the most frequent training level", () => {
  const { evaluation: e } = FIT;
  const train = e.classBalance.train;
  const majority = train.indexOf(Math.max(...train));
  assert.equal(e.baselines.majority.predicts, e.levels[majority]);
  // it predicts that level for every held-out customer
  const predicted = e.baselines.majority.confusion.map((row) => row.reduce((s, x) => s + x, 0));
  assert.deepEqual(predicted, e.classBalance.test);
  e.baselines.majority.confusion.forEach((row) =>
    row.forEach((x, c) => c !== majority && assert.equal(x, 0))
  );
});

Deno.test("fitLoyaltyModel: topRateRisesWithBand is bandTrend's verdict on its band table", () => {
  const { evaluation: e } = FIT;
  assert.equal(e.topRateRisesWithBand, bandTrend(e.bands).rises);
  // a band's top-level rate is its top customers over its customers
  for (const b of e.bands) {
    assert.equal(
      b.topRate,
      b.customers === 0 ? null : Math.round((b.top / b.customers) * 1e6) / 1e6,
    );
  }
});

Deno.test("fitLoyaltyModel: byte-identical JSON for the same inputs", () => {
  const again = fitLoyaltyModel(FWD.table, FWD.labels, FWD.persistence, CONFIG);
  assert.equal(JSON.stringify(again), JSON.stringify(FIT));
});

Deno.test("loyalty model: save → JSON → load gives the same predictions as the evaluation", () => {
  const { model, heldOut } = FIT;
  const loaded: LoyaltyModel = JSON.parse(JSON.stringify(model));
  assert.deepEqual(loaded, model); // plain data only
  const cols = FWD.table.columns as Record<string, number[]>;
  const row = (id: string) => {
    const i = FWD.table.customer_id.indexOf(id);
    return Object.fromEntries(model.features.map((f) => [f, cols[f][i]]));
  };
  const inputs = heldOut.map((h) => row(h.customer_id));
  const before = scoreMany(model, inputs);
  const after = scoreMany(loaded, inputs);
  assert.deepEqual(after, before);
  after.forEach((r, i) => {
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.score, heldOut[i].score);
    assert.equal(r.band, heldOut[i].band);
    assert.equal(r.levelIndex, heldOut[i].predicted);
    assert.ok(Math.abs(r.probabilities.loyal - heldOut[i].pTop) < 1e-6);
  });
});

Deno.test("no leakage: final scaler fitted on training customers only", () => {
  const { model, evaluation: e } = FIT;
  const split = stratifiedSplit(FWD.labels, CONFIG.knn.testShare, e.split.seed);
  const cols = FWD.table.columns as Record<string, number[]>;
  assert.deepEqual(
    model.scaler,
    fitScaler(cols, CONFIG.features, CONFIG.logFeatures, split.train),
  );
  assert.notDeepEqual(model.scaler, fitScaler(cols, CONFIG.features, CONFIG.logFeatures));
  const testIds = new Set(split.test.map((i) => FWD.table.customer_id[i]));
  assert.equal(model.customerIds.length, split.train.length);
  assert.ok(model.customerIds.every((id) => !testIds.has(id)));
  // training points are rounded to 6 decimals before the KNN is fitted
  for (const p of model.knn.points) {
    for (const v of p) assert.equal(v, Math.round(v * 1e6) / 1e6);
  }
});

Deno.test("fitLoyaltyModel rejects bad labels", () => {
  assert.throws(
    () => fitLoyaltyModel(FWD.table, FWD.labels.slice(1), FWD.persistence, CONFIG),
    /one entry per customer/,
  );
  const bad = [...FWD.labels];
  bad[3] = 5;
  assert.throws(() => fitLoyaltyModel(FWD.table, bad, FWD.persistence, CONFIG), /labels\[3\]/);
  const badPersistence = [...FWD.persistence];
  badPersistence[7] = 1.5;
  assert.throws(
    () => fitLoyaltyModel(FWD.table, FWD.labels, badPersistence, CONFIG),
    /persistence\[7\] = 1\.5 is not a level index below 3/,
  );
});
