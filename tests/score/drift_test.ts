/**
 * Drift against a format-2 model (`src/score/drift.ts`): the training population is counted
 * once per customer behind each collapsed point, and the score's reference population is scored
 * leave-one-out through the model's own vote weighting and calibration.
 */
import assert from "node:assert/strict";
import { fitKnn } from "../../src/score/neighbours.ts";
import { populationDrift, trainingScores } from "../../src/score/drift.ts";
import { type LoyaltyModel, predictScaled, scoreFromProbabilities } from "../../src/score/score.ts";
import { v2Model, v2Queries } from "./v2_fixture.ts";

/** The model without one training customer of class `y` at point `i` (brute force). */
function without(model: LoyaltyModel, i: number, y: number): LoyaltyModel {
  const counts = model.knn.counts!.map((c) => [...c]);
  counts[i][y]--;
  const keep = counts.map((_, j) => j).filter((j) => counts[j].some((x) => x > 0));
  const kept = keep.map((j) => counts[j]);
  return {
    ...model,
    knn: fitKnn(keep.map((j) => model.knn.points[j]), kept.map((c) => c.indexOf(Math.max(...c))), {
      k: model.knn.k,
      weighting: model.knn.weighting,
      nClasses: model.knn.nClasses,
      counts: kept,
      featureWeights: model.knn.featureWeights,
      offset: model.knn.offset,
    }),
  };
}

Deno.test("trainingScores: every training customer scored without itself (collapsed counts, calibration)", () => {
  const { model } = v2Model();
  const scores = trainingScores(model);
  assert.equal(scores.length, 300, "one score per training customer, not per point");
  const expected: number[] = [];
  model.knn.points.forEach((p, i) => {
    model.knn.counts![i].forEach((n, y) => {
      if (n === 0) return;
      const loo = without(model, i, y);
      const s = scoreFromProbabilities(model.score, predictScaled(loo, p).probabilities).score;
      for (let m = 0; m < n; m++) expected.push(s);
    });
  });
  assert.deepEqual(scores, expected);
  // With itself voting the scores would differ (the fixture tells the two apart).
  const inSample = model.knn.points.flatMap((p, i) => {
    const s = scoreFromProbabilities(model.score, predictScaled(model, p).probabilities).score;
    return Array(model.knn.counts![i].reduce((a, b) => a + b, 0)).fill(s);
  });
  assert.notDeepEqual(scores, inSample);
});

Deno.test("populationDrift: the training customers themselves are stable; counts weigh the reference", () => {
  const { model, rows } = v2Model();
  const raw = rows.map((r) => model.features.map((f) => r[f]));
  const same = populationDrift(model, raw, trainingScores(model));
  assert.equal(same.trainingCustomers, 300);
  for (const f of same.features) assert.ok(f.psi < 1e-9, `${f.feature} ${f.psi}`);
  assert.equal(same.level, "stable");
  // The distinct profiles alone (each once) are another population than the customers.
  const distinct = [...new Set(raw.map((r) => JSON.stringify(r)))].map((s) => JSON.parse(s));
  const other = populationDrift(model, distinct, trainingScores(model));
  assert.ok(other.features.every((f) => f.psi > 0.01), JSON.stringify(other.features));
  // Values beyond the look-back are read as the look-back, as the model reads them.
  const beyond = v2Queries(rows, 200).map((q) => model.features.map((f) => q[f]));
  const capped = beyond.map((r) => r.map((v, j) => (j === 0 ? Math.min(v, 180) : v)));
  assert.deepEqual(
    populationDrift(model, beyond, trainingScores(model)).features,
    populationDrift(model, capped, trainingScores(model)).features,
  );
});

Deno.test("populationDrift: new values are rounded as the stored training points, ties share a bin", () => {
  const { model, rows } = v2Model();
  // the build stores its training points rounded to 6 decimals
  const round = (v: number) => Math.round(v * 1e6) / 1e6 || 0;
  const rounded: LoyaltyModel = {
    ...model,
    knn: { ...model.knn, points: model.knn.points.map((p) => p.map(round)) },
  };
  const raw = rows.map((r) => model.features.map((f) => r[f]));
  const same = populationDrift(rounded, raw, trainingScores(rounded));
  for (const f of same.features) assert.ok(f.psi < 1e-9, `${f.feature} ${f.psi}`);
});
