import assert from "node:assert/strict";
import { bandTrend } from "../../src/model/bands.ts";
import { fitLoyaltyModel, SCORE_FORMULA } from "../../src/model/loyalty.ts";
import { type LoyaltyModel, predictValues, scoreMany } from "../../src/score/score.ts";
import { fitScaler } from "../../src/score/scaler.ts";
import { assertFinite, forwardSnapshots, LOYALTY_CONFIG } from "./fixtures.ts";

const FWD = forwardSnapshots(500, 5);
const FIT = fitLoyaltyModel(FWD, LOYALTY_CONFIG);
const LATEST = FWD.snapshots[0];

Deno.test("fitLoyaltyModel: evaluation is complete, finite and beats the majority baseline", () => {
  const { model, evaluation: e, heldOut } = FIT;
  assertFinite(e);
  assert.equal(e.split.test, Math.round(500 * 0.25));
  assert.equal(e.split.train + e.split.test, 500);
  assert.deepEqual(
    e.classBalance.all,
    e.classBalance.train.map((n, c) => n + e.classBalance.test[c]),
  );
  assert.equal(e.snapshots.length, 2);
  assert.equal(e.tuning.curve.length, 3 * 2); // k grid × weightings
  assert.ok(LOYALTY_CONFIG.loyalty.kGrid.includes(e.chosen.k));
  assert.equal(model.knn.k, e.chosen.k);
  assert.equal(e.test.perClass.length, 3);
  assert.ok(e.test.aucTop !== null && e.test.aucTop > 0.7, `AUC ${e.test.aucTop}`);
  assert.ok(e.test.aucLowest !== null && e.test.aucLowest > 0.7);
  assert.equal(e.baselines.majority.aucTop, 0.5);
  assert.ok(e.test.macroF1 > e.baselines.majority.macroF1);
  for (const b of ["logistic", "gbm", "bgnbd"] as const) {
    assert.ok(e.baselines[b].aucTop! > 0.6, `${b}: ${e.baselines[b].aucTop}`);
    assert.equal(e.baselines[b].decisionWeights.length, 3);
  }
  assert.equal(e.scoreFormula, SCORE_FORMULA);
  assert.equal(e.bands.reduce((s, b) => s + b.customers, 0), e.split.test);
  assert.equal(e.gains[9].captured, 1);
  assert.equal(e.gainsLowest[9].captured, 1);
  assert.equal(e.reliability.top.reduce((s, b) => s + b.customers, 0), e.split.test);
  assert.equal(heldOut.customer_id.length, e.split.test);
  assert.deepEqual(Object.keys(heldOut.models), [
    "knn",
    "logistic",
    "gbm",
    "bgnbd",
    "persistence",
    "majority",
  ]);
  assert.equal(e.topRateRisesWithBand, bandTrend(e.bands).rises);
});

Deno.test("fitLoyaltyModel: paired bootstrap intervals contain their estimates", () => {
  const { comparison: c } = FIT.evaluation;
  assert.equal(c.resamples, 50);
  for (const [name, d] of Object.entries(c.differences)) {
    for (const [metric, iv] of Object.entries(d)) {
      if (iv.estimate === null) continue;
      assert.ok(iv.lo! <= iv.hi!, `${name} ${metric}`);
      assert.ok(["ahead", "level", "behind"].includes(c.standing[name][metric]!));
    }
  }
  assert.equal(c.standing.majority.aucTop, "ahead");
});

Deno.test("no customer is on both sides, in any snapshot; the scaler sees training rows only", () => {
  const { model, heldOut, evaluation: e } = FIT;
  const test = new Set(heldOut.customer_id);
  assert.ok(model.customerIds.every((id) => !test.has(id)));
  // every training row of both snapshots is a point's customer (collapsed with counts)
  const customers = model.knn.counts!.reduce((s, c) => s + c.reduce((a, b) => a + b, 0), 0);
  assert.equal(customers, e.split.trainRows);
  const rows: Record<string, number[]> = {};
  for (const f of model.features) rows[f] = [];
  for (const s of FWD.snapshots) {
    s.features.customer_id.forEach((id, i) => {
      if (test.has(id)) return;
      for (const f of model.features) {
        rows[f].push((s.features.columns as Record<string, number[]>)[f][i]);
      }
    });
  }
  const log = model.features.filter((f) => f !== "activity_trend");
  assert.deepEqual(model.scaler, fitScaler(rows, model.features, log));
  for (const p of model.knn.points) for (const v of p) assert.equal(v, Math.round(v * 1e6) / 1e6);
});

Deno.test("fitLoyaltyModel: byte-identical JSON for the same inputs", () => {
  assert.equal(JSON.stringify(fitLoyaltyModel(FWD, LOYALTY_CONFIG)), JSON.stringify(FIT));
});

Deno.test("loyalty model: save → JSON → load gives the held-out predictions", () => {
  const { model, heldOut } = FIT;
  const loaded: LoyaltyModel = JSON.parse(JSON.stringify(model));
  assert.deepEqual(loaded, model);
  const cols = LATEST.features.columns as Record<string, number[]>;
  const inputs = heldOut.customer_id.map((id) => {
    const i = LATEST.features.customer_id.indexOf(id);
    return Object.fromEntries(model.features.map((f) => [f, cols[f][i]]));
  });
  const after = scoreMany(loaded, inputs);
  assert.deepEqual(after, scoreMany(model, inputs));
  after.forEach((r, i) => {
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.score, heldOut.score[i]);
    assert.equal(r.band, heldOut.band[i]);
    assert.equal(r.levelIndex, heldOut.models.knn.predicted[i]);
    assert.ok(Math.abs(r.probabilities.loyal - heldOut.models.knn.pTop[i]) < 1e-6);
  });
});

Deno.test("duplicates are points with counts: an exact match gets its customers' shares", () => {
  const { model } = FIT;
  // a point standing for several customers of different levels
  const i = model.knn.counts!.findIndex((c) =>
    c.reduce((a, b) => a + b, 0) >= 5 && Math.max(...c) / c.reduce((a, b) => a + b, 0) < 0.8
  );
  assert.ok(i >= 0, "the fixture has a mixed point of 5 or more customers");
  const raw = model.features.map((_, j) => {
    const s = model.scaler;
    const v = model.knn.points[i][j] * s.stds[j] + s.means[j];
    return s.log[j] ? Math.expm1(v) : v;
  });
  const p = predictValues(model, raw);
  assert.equal(p.neighbours[0].index, i);
  assert.ok(p.neighbours[0].distance < 1e-9);
  // never a lookup of one label: the votes stay below certainty
  assert.ok(Math.max(...p.rawProbabilities) < 0.95, JSON.stringify(p.rawProbabilities));
});

Deno.test("fitLoyaltyModel rejects bad labels", () => {
  const bad = structuredClone(FWD);
  bad.snapshots[0].labels[3] = 5;
  assert.throws(() => fitLoyaltyModel(bad, LOYALTY_CONFIG), /labels\[3\] = 5/);
  const short = structuredClone(FWD);
  short.snapshots[1].persistence.pop();
  assert.throws(() => fitLoyaltyModel(short, LOYALTY_CONFIG), /one entry per customer/);
});
