import assert from "node:assert/strict";
import {
  DECISION_GRID,
  fitCalibration,
  fitDecisionWeights,
  isotonicCurve,
} from "../../src/model/calibration.ts";
import { macroF1 } from "../../src/model/metrics.ts";
import { applyCurve, calibrate, decide } from "../../src/score/calibration.ts";
import { createRng } from "../../src/model/random.ts";

Deno.test("isotonic curve: non-decreasing, fits a monotone truth, keeps distinct values apart", () => {
  const rng = createRng(3);
  const x = Array.from({ length: 2000 }, () => rng.next());
  const y = x.map((v) => (rng.next() < v * v ? 1 : 0)); // P(y) = x²
  const c = isotonicCurve(x, y);
  for (let i = 1; i < c.x.length; i++) {
    assert.ok(c.x[i] > c.x[i - 1]);
    assert.ok(c.y[i] >= c.y[i - 1]);
  }
  for (const v of [0.2, 0.5, 0.8]) assert.ok(Math.abs(applyCurve(c, v) - v * v) < 0.08, `${v}`);
  // strictly between two knots, distinct raw values map to distinct calibrated values
  const a = (c.x[3] + c.x[4]) / 2;
  assert.ok(applyCurve(c, a) < applyCurve(c, c.x[4]) || c.y[3] === c.y[4]);
});

Deno.test("calibration: probabilities stay a distribution and keep the order of P(top)", () => {
  const rng = createRng(5);
  const raw = Array.from({ length: 600 }, () => {
    const a = rng.next();
    const b = rng.next() * (1 - a);
    return [a, b, 1 - a - b];
  });
  const labels = raw.map((p) => (rng.next() < p[2] ? 2 : rng.next() < p[1] / (1 - p[2]) ? 1 : 0));
  const cal = fitCalibration(raw, labels, 3);
  const out = raw.map((p) => calibrate(cal, p));
  for (const p of out) {
    assert.ok(p.every((v) => v >= 0));
    assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-12);
  }
  // P(top) keeps the raw order, except where it is capped at P(≥ 1) (then P(middle) = 0)
  const capped = (p: number[]) => p[1] === 0;
  for (let i = 0; i < raw.length; i++) {
    for (let j = 0; j < raw.length; j += 37) {
      if (raw[i][2] < raw[j][2] && !capped(out[i]) && !capped(out[j])) {
        assert.ok(out[i][2] <= out[j][2] + 1e-12);
      }
    }
  }
});

Deno.test("decision weights: found on the data, 1 for the lowest level, all 1 when argmax is best", () => {
  const probs = [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.1, 0.7]];
  assert.deepEqual(fitDecisionWeights(probs, [0, 1, 2], 3), [1, 1, 1]);
  assert.equal(decide([0.4, 0.3, 0.3], [1, 1.5, 1]), 1);
});

Deno.test("decision weights: the counted distinct rows give the per-row search's weights", () => {
  // The per-row search (every row decided for every grid point, macro F1 over all rows) that
  // fitDecisionWeights must reproduce exactly while counting equal rows once.
  const reference = (probs: number[][], labels: number[], C: number) => {
    const combos = C === 2
      ? DECISION_GRID.map((a) => [1, a])
      : DECISION_GRID.flatMap((a) => DECISION_GRID.map((b) => [1, a, b]));
    let best = combos[0].map(() => 1);
    let bestF1 = -Infinity;
    let bestDist = Infinity;
    for (const w of combos) {
      const f1 = macroF1(labels, probs.map((p) => decide(p, w)), C);
      const dist = w.reduce((s, x) => s + Math.abs(Math.log(x)), 0);
      if (f1 > bestF1 + 1e-12 || (Math.abs(f1 - bestF1) <= 1e-12 && dist < bestDist - 1e-12)) {
        best = w;
        bestF1 = f1;
        bestDist = dist;
      }
    }
    return best;
  };
  const rng = createRng(11);
  for (const C of [2, 3]) {
    for (let trial = 0; trial < 6; trial++) {
      // Few distinct rows (coarse probabilities, ties included), many repeats, noisy labels.
      const probs = Array.from({ length: 300 }, () => {
        const raw = Array.from({ length: C }, () => Math.round(rng.next() * 6));
        const t = raw.reduce((s, x) => s + x, 0) || 1;
        return raw.map((x) => x / t);
      });
      const labels = probs.map((p) =>
        rng.next() < 0.7 ? p.indexOf(Math.max(...p)) : Math.floor(rng.next() * C)
      );
      assert.deepEqual(fitDecisionWeights(probs, labels, C), reference(probs, labels, C));
    }
  }
  // Labels are still checked.
  assert.throws(() => fitDecisionWeights([[0.5, 0.5]], [2], 2), /label 2 is not a class index/);
  assert.throws(() => fitDecisionWeights([[0.5, 0.5]], [0, 1], 2), /yTrue has 2 rows/);
});
