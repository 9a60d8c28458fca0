import assert from "node:assert/strict";
import { stratifiedKFold, stratifiedSplit } from "../../src/model/split.ts";
import { createRng, shuffle } from "../../src/model/random.ts";

// 600 × class 0, 300 × class 1, 100 × class 2, in a shuffled order
const labels = shuffle(
  [...new Array(600).fill(0), ...new Array(300).fill(1), ...new Array(100).fill(2)],
  createRng(3),
);
const count = (idx: number[], c: number) => idx.filter((i) => labels[i] === c).length;

Deno.test("stratifiedSplit preserves class proportions exactly when possible", () => {
  const { train, test } = stratifiedSplit(labels, 0.25, 1);
  assert.equal(test.length, 250);
  assert.equal(train.length, 750);
  assert.deepEqual([0, 1, 2].map((c) => count(test, c)), [150, 75, 25]);
  assert.deepEqual([0, 1, 2].map((c) => count(train, c)), [450, 225, 75]);
});

Deno.test("stratifiedSplit: disjoint, complete, sorted, deterministic, seed-dependent", () => {
  const a = stratifiedSplit(labels, 0.3, 7);
  const b = stratifiedSplit(labels, 0.3, 7);
  const c = stratifiedSplit(labels, 0.3, 8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.test, c.test);
  const all = [...a.train, ...a.test].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: labels.length }, (_, i) => i));
  assert.deepEqual(a.test, [...a.test].sort((x, y) => x - y));
  assert.equal(a.test.length, 300);
  for (const cl of [0, 1, 2]) {
    const share = count(a.test, cl) / labels.filter((l) => l === cl).length;
    assert.ok(Math.abs(share - 0.3) < 0.01, `class ${cl} share ${share}`);
  }
});

Deno.test("stratifiedSplit: largest remainders reach round(n·share)", () => {
  const small = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]; // 10 rows, share 0.25 → 3 test rows
  const { test } = stratifiedSplit(small, 0.25, 0);
  assert.equal(test.length, 3);
  const per = [0, 1, 2].map((c) => test.filter((i) => small[i] === c).length);
  // quotas: 0.75, 0.75, 1.0 → floors 0,0,1; remainders .75,.75 → classes 0 and 1 get one each
  assert.deepEqual(per, [1, 1, 1]);
  assert.throws(() => stratifiedSplit(small, 1, 0), RangeError);
});

Deno.test("stratifiedKFold: every row validated once, classes and sizes balanced", () => {
  const folds = stratifiedKFold(labels, 5, 11);
  assert.equal(folds.length, 5);
  const seen = new Array(labels.length).fill(0);
  for (const f of folds) {
    for (const i of f.validation) seen[i]++;
    assert.equal(f.train.length + f.validation.length, labels.length);
    const v = new Set(f.validation);
    assert.ok(f.train.every((i) => !v.has(i)));
    assert.equal(f.validation.length, 200);
    assert.deepEqual([0, 1, 2].map((c) => count(f.validation, c)), [120, 60, 20]);
  }
  assert.ok(seen.every((x) => x === 1));
  assert.deepEqual(stratifiedKFold(labels, 5, 11), folds);
  assert.notDeepEqual(stratifiedKFold(labels, 5, 12)[0].validation, folds[0].validation);
});

Deno.test("stratifiedKFold: uneven counts differ by at most one", () => {
  const lab = [...new Array(13).fill(0), ...new Array(7).fill(1), 2];
  const folds = stratifiedKFold(lab, 4, 0);
  const sizes = folds.map((f) => f.validation.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  for (const c of [0, 1, 2]) {
    const per = folds.map((f) => f.validation.filter((i) => lab[i] === c).length);
    assert.ok(Math.max(...per) - Math.min(...per) <= 1, `class ${c}: ${per}`);
  }
  assert.throws(() => stratifiedKFold(lab, 1, 0), RangeError);
  assert.throws(() => stratifiedKFold([0, 1], 3, 0), RangeError);
});
