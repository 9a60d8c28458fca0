import assert from "node:assert/strict";
import {
  logisticBaseline,
  majorityBaseline,
  persistenceBaseline,
  whitener,
} from "../../src/model/baselines.ts";
import { createRng, normal } from "../../src/model/random.ts";

Deno.test("majorityBaseline: most frequent training level, ties to the lower level", () => {
  assert.deepEqual(majorityBaseline([1, 2, 2, 0], 3, 3), {
    majority: 2,
    pred: [2, 2, 2],
    pTop: [0, 0, 0],
  });
  assert.equal(majorityBaseline([2, 1, 1, 2], 1, 3).majority, 1);
  assert.equal(majorityBaseline([], 0, 3).majority, 0);
});

Deno.test("persistenceBaseline: the implied level is both the prediction and the score", () => {
  const levels = [2, 0, 1];
  const p = persistenceBaseline(levels);
  assert.deepEqual(p, { pred: [2, 0, 1], pTop: [2, 0, 1] });
  p.pred[0] = 9;
  assert.deepEqual(levels, [2, 0, 1], "input untouched");
});

Deno.test("whitener: whitened training rows have mean 0 and identity covariance", () => {
  const rng = createRng(3);
  const X = Array.from({ length: 400 }, () => {
    const a = normal(rng);
    const b = normal(rng);
    return [2 + a, -1 + 0.8 * a + 0.3 * b, 5]; // correlated, plus a constant feature
  });
  const white = whitener(X);
  const Z = X.map(white);
  const n = Z.length;
  const mean = [0, 1].map((j) => Z.reduce((s, z) => s + z[j], 0) / n);
  const cov = (i: number, j: number) =>
    Z.reduce((s, z) => s + (z[i] - mean[i]) * (z[j] - mean[j]), 0) / n;
  for (const m of mean) assert.ok(Math.abs(m) < 1e-9, `mean ${m}`);
  assert.ok(Math.abs(cov(0, 0) - 1) < 1e-6);
  assert.ok(Math.abs(cov(1, 1) - 1) < 1e-6);
  assert.ok(Math.abs(cov(0, 1)) < 1e-6);
  // the constant feature does not break the factorisation (the ridge keeps it finite)
  for (const z of Z) assert.ok(Number.isFinite(z[2]), `z = ${z}`);
});

Deno.test("logisticBaseline: separates three ordered levels; pTop is a probability", () => {
  const Xtr: number[][] = [];
  const ytr: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < 20; i++) {
      Xtr.push([c * 3 + (i % 5) * 0.1 - 0.2, (i % 3) * 0.1]);
      ytr.push(c);
    }
  }
  const Xte = [[0, 0.1], [3, 0], [6, 0.2]];
  const { pred, pTop } = logisticBaseline(Xtr, ytr, Xte, 3);
  assert.deepEqual(pred, [0, 1, 2]);
  for (const p of pTop) assert.ok(p >= 0 && p <= 1);
  assert.ok(pTop[2] > pTop[1] && pTop[1] > pTop[0]);
});
