import assert from "node:assert/strict";
import { featureShift, pairedBootstrap, reliability } from "../../src/model/evaluation.ts";
import { macroF1, rocAuc } from "../../src/model/metrics.ts";
import { createRng } from "../../src/model/random.ts";

function model(y: number[], noise: number, seed: number) {
  const rng = createRng(seed);
  const s = y.map((v) => v + noise * (rng.next() - 0.5) * 4);
  return {
    pred: s.map((v) => Math.max(0, Math.min(2, Math.round(v)))),
    pTop: s,
    pLowest: s.map((v) => -v),
  };
}

Deno.test("bootstrap: estimates are the plain metrics; paired, seeded, deterministic", () => {
  const rng = createRng(9);
  const y = Array.from({ length: 400 }, () => rng.int(3));
  const a = model(y, 0.5, 1);
  const b = model(y, 0.8, 2);
  const r = pairedBootstrap(y, 3, a, { b }, 300, 7);
  assert.equal(r.reference.aucTop.estimate, rocAuc(y.map((v) => v === 2), a.pTop));
  assert.equal(r.reference.macroF1.estimate, macroF1(y, a.pred, 3));
  const d = r.differences.b.macroF1;
  assert.ok(Math.abs(d.estimate! - (macroF1(y, a.pred, 3) - macroF1(y, b.pred, 3))) < 1e-12);
  assert.ok(d.lo! < d.estimate! && d.estimate! < d.hi!);
  assert.deepEqual(pairedBootstrap(y, 3, a, { b }, 300, 7), r);
  // a model against itself: every difference is exactly 0
  const self = pairedBootstrap(y, 3, a, { a }, 50, 1).differences.a.aucTop;
  assert.deepEqual(self, { estimate: 0, lo: 0, hi: 0 });
});

Deno.test("reliability and feature shift: counts add up, outside shares", () => {
  const r = reliability([0, 0.05, 0.5, 0.99, 1], [false, false, true, true, true], 10);
  assert.equal(r.reduce((s, b) => s + b.customers, 0), 5);
  assert.equal(r[9].customers, 2); // 0.99 and 1 in the last bin
  const s = featureShift("x", [1, 2, 3, 4], [0, 2, 5, 6]);
  assert.deepEqual([s.belowRange, s.aboveRange, s.outsideRange], [0.25, 0.5, 0.75]);
});
