import assert from "node:assert/strict";
import { fitCalibration, fitDecisionWeights, isotonicCurve } from "../../src/model/calibration.ts";
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
