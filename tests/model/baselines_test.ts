import assert from "node:assert/strict";
import {
  logisticBaseline,
  logisticProbabilities,
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

Deno.test("logisticProbabilities: bit-for-bit the class-by-class gradient ascent, written out", () => {
  // One-vs-rest gradient ascent run class by class (40 steps, rate 6/n on whitened rows with a
  // constant column): a faster version must give exactly these probabilities.
  const reference = (Xtr: number[][], ytr: number[], Xte: number[][], C: number) => {
    const white = whitener(Xtr);
    const rows = (X: number[][]) => X.map((r) => [...white(r), 1]);
    const A = rows(Xtr);
    const T = rows(Xte);
    const d = A[0].length;
    const p = Array.from({ length: C }, (_, c) => {
      const w = new Array<number>(d).fill(0);
      if (!ytr.includes(c)) return T.map(() => 0);
      for (let step = 0; step < 40; step++) {
        const g = new Array<number>(d).fill(0);
        A.forEach((a, i) => {
          let z = 0;
          for (let j = 0; j < d; j++) z += a[j] * w[j];
          const e = (ytr[i] === c ? 1 : 0) - 1 / (1 + Math.exp(-z));
          for (let j = 0; j < d; j++) g[j] += a[j] * e;
        });
        for (let j = 0; j < d; j++) w[j] += (6 / A.length) * g[j];
      }
      return T.map((t) => {
        let z = 0;
        for (let j = 0; j < d; j++) z += t[j] * w[j];
        return 1 / (1 + Math.exp(-z));
      });
    });
    return T.map((_, i) => {
      const s = p.map((q) => q[i]);
      const t = s.reduce((a, b) => a + b, 0);
      return t > 0 ? s.map((v) => v / t) : s.map(() => 1 / C);
    });
  };
  const rng = createRng(5);
  const X = Array.from({ length: 240 }, () => [normal(rng), normal(rng), rng.next() * 3]);
  const y = X.map((r) => (r[0] + r[1] + normal(rng) > 1 ? 2 : r[2] > 1.5 ? 1 : 0));
  const Xte = X.slice(0, 60).map((r) => r.map((v) => v + 0.1));
  assert.deepEqual(logisticProbabilities(X, y, Xte, 3), reference(X, y, Xte, 3));
  // A level absent from training gets probability 0 (here the middle one).
  const y2 = y.map((v) => (v === 1 ? 0 : v));
  assert.deepEqual(logisticProbabilities(X, y2, Xte, 3), reference(X, y2, Xte, 3));
});
