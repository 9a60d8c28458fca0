import assert from "node:assert/strict";
import { knnOutOfFold, votesByK } from "../../src/model/knn_tuning.ts";
import { fitScaler, transform } from "../../src/score/scaler.ts";
import { collapseDuplicates, fitKnn, predictOne } from "../../src/score/neighbours.ts";
import { createRng } from "../../src/model/random.ts";

Deno.test("votesByK equals one prediction per k, with counts, both weightings", () => {
  const rng = createRng(2);
  const rows = Array.from({ length: 120 }, () => [rng.int(5), rng.int(4)]);
  const labels = rows.map((r) => (r[0] + r[1] > 4 ? 2 : r[0] > 1 ? 1 : rng.int(2)));
  const c = collapseDuplicates(rows, labels, 3);
  const shares = c.counts.map((x) => x.map((v) => v / x.reduce((a, b) => a + b, 0)));
  for (const weighting of ["uniform", "distance"] as const) {
    for (const offset of weighting === "distance" ? [0, 0.5] : [0]) {
      const m = fitKnn(c.points, c.labels, { k: 40, weighting, offset, counts: c.counts });
      for (const q of [[0, 0], [2.5, 1], [4, 3]]) {
        const nbs = predictOne(m, q).neighbours;
        const found = {
          length: nbs.length,
          index: Int32Array.from(nbs, (n) => n.index),
          distance: Float64Array.from(nbs, (n) => n.distance),
          take: Float64Array.from(nbs, (n) => n.customers),
        };
        const byK = votesByK(found, (i) => shares[i], [1, 7, 40], weighting, offset, 3);
        [1, 7, 40].forEach((k, i) => {
          const want = predictOne({ ...m, k }, q).probabilities;
          byK[i].forEach((v, cl) => assert.ok(Math.abs(v - want[cl]) < 1e-12, `${k} ${cl}`));
        });
      }
    }
  }
});

Deno.test("knnOutOfFold: a fold's scaler sees its training rows only; each row validated once", () => {
  const x = Array.from({ length: 60 }, (_, i) => i * i);
  const labels = x.map((_, i) => i % 3);
  const folds = [0, 1, 2].map((f) => ({
    train: x.map((_, i) => i).filter((i) => i % 3 !== f),
    validation: x.map((_, i) => i).filter((i) => i % 3 === f),
  }));
  const oof = knnOutOfFold(
    { columns: { x }, labels, features: ["x"], logFeatures: [], nClasses: 3 },
    folds,
    { weights: [1], kGrid: [1], weightings: ["uniform"], offset: 0 },
  );
  assert.deepEqual([...oof.rows].sort((a, b) => a - b), x.map((_, i) => i));
  // with k = 1 the vote is the nearest training row of the fold (scaled with the fold's scaler)
  const s = fitScaler({ x }, ["x"], [], folds[0].train);
  const z = transform(s, { x }, folds[0].train).map((r) => r[0]);
  const zv = transform(s, { x }, [0])[0][0];
  const nearest = folds[0].train[z.indexOf(Math.min(...z.filter((v) => v >= zv)))];
  assert.deepEqual(oof.probs[0][0], [0, 1, 2].map((c) => (labels[nearest] === c ? 1 : 0)));
});
