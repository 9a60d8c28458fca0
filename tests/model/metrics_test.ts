import assert from "node:assert/strict";
import {
  accuracy,
  balancedAccuracy,
  classCounts,
  classificationReport,
  confusionMatrix,
  gainsTable,
  lift,
  macroF1,
  namedReport,
  perClassMetrics,
  rocAuc,
} from "../../src/model/metrics.ts";

const close = (a: number | null, b: number, eps = 1e-12) =>
  assert.ok(a !== null && Math.abs(a - b) <= eps, `${a} vs ${b}`);

// Hand-computed example:
//   true: 0 0 0 1 1 2     confusion [t][p]: [2 1 0] [0 1 1] [0 0 1]
//   pred: 0 0 1 1 2 2
const yTrue = [0, 0, 0, 1, 1, 2];
const yPred = [0, 0, 1, 1, 2, 2];

Deno.test("confusion matrix and accuracy", () => {
  assert.deepEqual(confusionMatrix(yTrue, yPred, 3), [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
  close(accuracy(yTrue, yPred), 4 / 6);
});

Deno.test("per-class precision, recall, F1, support", () => {
  const per = perClassMetrics(yTrue, yPred, 3);
  assert.deepEqual(per.map((c) => c.support), [3, 2, 1]);
  close(per[0].precision, 1);
  close(per[0].recall, 2 / 3);
  close(per[0].f1, 0.8);
  close(per[1].precision, 0.5);
  close(per[1].recall, 0.5);
  close(per[1].f1, 0.5);
  close(per[2].precision, 0.5);
  close(per[2].recall, 1);
  close(per[2].f1, 2 / 3);
});

Deno.test("balanced accuracy and macro F1", () => {
  close(balancedAccuracy(yTrue, yPred, 3), (2 / 3 + 1 / 2 + 1) / 3); // 13/18
  close(macroF1(yTrue, yPred, 3), (0.8 + 0.5 + 2 / 3) / 3); // 59/90
  const r = classificationReport(yTrue, yPred, 3);
  close(r.accuracy, 4 / 6);
  close(r.balancedAccuracy, 13 / 18);
  close(r.macroF1, 59 / 90);
});

Deno.test("zero division: a never-predicted class has precision 0; absent classes are skipped", () => {
  // class 2 absent from both → ignored by macro F1 and balanced accuracy
  const t = [0, 0, 1, 1];
  const p = [0, 0, 0, 0];
  const per = perClassMetrics(t, p, 3);
  assert.equal(per[1].precision, 0);
  assert.equal(per[1].f1, 0);
  close(balancedAccuracy(t, p, 3), 0.5);
  close(macroF1(t, p, 3), (2 / 3 + 0) / 2); // class 0: P=0.5, R=1 → F1 2/3
});

Deno.test("ROC AUC with ties (Mann–Whitney, average ranks)", () => {
  // positives 0.9, 0.5; negatives 0.5, 0.3, 0.1 → (3 + 0.5 + 2) / 6
  close(rocAuc([1, 1, 0, 0, 0], [0.9, 0.5, 0.5, 0.3, 0.1]), 5.5 / 6);
  // all tied → 0.5
  close(rocAuc([true, false, true, false], [1, 1, 1, 1]), 0.5);
  // perfect and inverted
  close(rocAuc([1, 0, 1, 0], [0.8, 0.2, 0.7, 0.1]), 1);
  close(rocAuc([1, 0, 1, 0], [0.1, 0.8, 0.2, 0.9]), 0);
  // a larger tied example: pos scores [2,2,1], neg [2,1,1,0]
  //   pos 2: vs 2 → .5, vs 1,1,0 → 3   → 3.5 each (×2 = 7)
  //   pos 1: vs 2 → 0, vs 1,1 → 1, vs 0 → 1  → 2
  //   total 9 / 12
  close(rocAuc([1, 1, 1, 0, 0, 0, 0], [2, 2, 1, 2, 1, 1, 0]), 9 / 12);
  assert.equal(rocAuc([1, 1], [0.2, 0.3]), null);
  assert.equal(rocAuc([0, 0], [0.2, 0.3]), null);
  assert.throws(() => rocAuc([1, 0], [NaN, 1]), RangeError);
});

Deno.test("gains table: deciles by score, ties broken by row index", () => {
  const scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
  const pos = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1];
  const g = gainsTable(pos, scores, 10);
  assert.equal(g.length, 10);
  assert.deepEqual(g.map((r) => r.customers), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // row 1 (negative) precedes row 2 (positive) at the tie 0.8
  assert.deepEqual(g.map((r) => r.positives), [1, 1, 2, 2, 2, 2, 2, 2, 2, 3]);
  close(g[0].captured, 1 / 3);
  close(g[2].captured, 2 / 3);
  close(g[9].captured, 1);
  close(g[0].lift, 1 / 0.3);
  close(g[9].lift, 1);
  close(lift(pos, scores, 0.3), (2 / 3) / 0.3);
  assert.equal(lift([0, 0], [1, 2], 0.5), null);
  const none = gainsTable([0, 0, 0], [1, 2, 3], 3);
  assert.equal(none[0].captured, null);
  assert.equal(none[0].lift, null);
});

Deno.test("invalid labels are rejected", () => {
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), RangeError);
  assert.throws(() => confusionMatrix([0], [0, 1], 3), RangeError);
});

Deno.test("namedReport: class names replace indices; everything else unchanged", () => {
  const r = classificationReport(yTrue, yPred, 3);
  const named = namedReport(r, ["low", "mid", "high"]);
  assert.deepEqual(named.perClass, [
    { name: "low", precision: 1, recall: 2 / 3, f1: r.perClass[0].f1, support: 3 },
    { name: "mid", precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
    { name: "high", precision: 0.5, recall: 1, f1: r.perClass[2].f1, support: 1 },
  ]);
  assert.equal(named.accuracy, r.accuracy);
  assert.equal(named.macroF1, r.macroF1);
  assert.deepEqual(named.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
});

Deno.test("classCounts: rows per class, zero for absent classes", () => {
  assert.deepEqual(classCounts(yTrue, 3), [3, 2, 1]);
  assert.deepEqual(classCounts([], 2), [0, 0]);
  assert.deepEqual(classCounts([1, 1], 4), [0, 2, 0, 0]);
});

Deno.test("rocAuc equals pair counting exactly on tie-heavy random data", () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 50; trial++) {
    const n = 2 + Math.floor(rand() * 300);
    const levels = 1 + Math.floor(rand() * 12); // few distinct scores: many ties
    const y = Array.from({ length: n }, () => rand() < 0.3);
    const s = Array.from({ length: n }, () => Math.floor(rand() * levels) / levels - 0.5);
    let wins = 0;
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < n; i++) {
      if (y[i]) pos++;
      else neg++;
      for (let j = 0; j < n; j++) {
        if (y[i] && !y[j]) wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
    }
    const expected = pos && neg ? wins / (pos * neg) : null;
    assert.equal(rocAuc(y, s), expected, `trial ${trial}`);
  }
});
