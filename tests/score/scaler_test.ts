import assert from "node:assert/strict";
import {
  fitScaler,
  inverseTransformRow,
  inverseTransformValue,
  toFlat,
  transform,
  transformRow,
  transformValue,
} from "../../src/score/scaler.ts";

const close = (a: number, b: number, eps = 1e-12) =>
  assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

const columns = {
  frequency: [1, 3, 7, 15],
  monetary: [10, 20, 30, 40],
  constant: [5, 5, 5, 5],
};

Deno.test("fitScaler: log1p then population mean/sd, hand-computed", () => {
  const s = fitScaler(columns, ["frequency", "monetary"], ["frequency"]);
  assert.deepEqual(s.names, ["frequency", "monetary"]);
  assert.deepEqual(s.log, [true, false]);
  // log1p(1,3,7,15) = ln 2, ln 4, ln 8, ln 16 = (1,2,3,4)·ln 2 → mean 2.5 ln2, sd sqrt(1.25) ln2
  close(s.means[0], 2.5 * Math.LN2);
  close(s.stds[0], Math.sqrt(1.25) * Math.LN2);
  close(s.means[1], 25);
  close(s.stds[1], Math.sqrt(125)); // population sd of 10,20,30,40
  const z = transform(s, columns);
  close(z[0][0], (1 - 2.5) / Math.sqrt(1.25));
  close(z[3][1], 15 / Math.sqrt(125));
});

Deno.test("fitScaler: a constant feature gets sd 1 and transforms to 0, never NaN", () => {
  const s = fitScaler(columns, ["constant"], []);
  assert.equal(s.stds[0], 1);
  for (const row of transform(s, columns)) assert.equal(row[0], 0);
});

Deno.test("fitScaler: fitting on a subset of rows differs from fitting on all", () => {
  const all = fitScaler(columns, ["monetary"], []);
  const part = fitScaler(columns, ["monetary"], [], [0, 1]);
  assert.equal(part.means[0], 15);
  assert.equal(part.stds[0], 5);
  assert.notEqual(part.means[0], all.means[0]);
  // transform of the held-out rows uses the training parameters
  const z = transform(part, columns, [2, 3]);
  assert.deepEqual(z, [[3], [5]]);
});

Deno.test("transform: rows, row objects and columns give the same result", () => {
  const s = fitScaler(columns, ["frequency", "monetary"], ["frequency", "monetary"]);
  const fromCols = transform(s, columns);
  const fromRows = transform(s, [[1, 10], [3, 20], [7, 30], [15, 40]]);
  const fromObjs = transform(s, [
    { monetary: 10, frequency: 1 },
    { monetary: 20, frequency: 3 },
    { monetary: 30, frequency: 7 },
    { monetary: 40, frequency: 15 },
  ]);
  assert.deepEqual(fromRows, fromCols);
  assert.deepEqual(fromObjs, fromCols);
  assert.deepEqual(transformRow(s, [7, 30]), fromCols[2]);
});

Deno.test("inverseTransformRow undoes transform (expm1 for log features)", () => {
  const s = fitScaler(columns, ["frequency", "monetary"], ["frequency"]);
  const z = transformRow(s, [7, 30]);
  const back = inverseTransformRow(s, z);
  close(back[0], 7, 1e-9);
  close(back[1], 30, 1e-9);
});

Deno.test("scaler is plain data: survives JSON unchanged", () => {
  const s = fitScaler(columns, ["frequency", "monetary"], ["frequency"]);
  const again = JSON.parse(JSON.stringify(s));
  assert.deepEqual(again, s);
  assert.deepEqual(transform(again, columns), transform(s, columns));
});

Deno.test("errors: missing column, unknown log feature, unusable values", () => {
  assert.throws(() => fitScaler(columns, ["recency_days"], []), /recency_days/);
  assert.throws(() => fitScaler(columns, ["monetary"], ["frequency"]), /frequency/);
  assert.throws(() => fitScaler({ x: [1, NaN] }, ["x"], []), /x/);
  assert.throws(() => fitScaler({ x: [1, -2] }, ["x"], ["x"]), /log1p/);
  const s = fitScaler(columns, ["monetary"], []);
  assert.throws(() => transformRow(s, [1, 2]), RangeError);
  assert.throws(() => transformRow(s, [Infinity]), RangeError);
});

Deno.test("toFlat packs rows row-major", () => {
  const { data, n, d } = toFlat([[1, 2], [3, 4], [5, 6]]);
  assert.equal(n, 3);
  assert.equal(d, 2);
  assert.deepEqual(Array.from(data), [1, 2, 3, 4, 5, 6]);
  assert.throws(() => toFlat([[1, 2], [3]]), RangeError);
});

Deno.test("transformValue / inverseTransformValue: the per-value forms of the row transforms", () => {
  const s = fitScaler(columns, ["frequency", "monetary"], ["frequency"]);
  const z = transformRow(s, [7, 30]);
  assert.equal(transformValue(s, "frequency", 7), z[0]);
  assert.equal(transformValue(s, "monetary", 30), z[1]);
  const back = inverseTransformRow(s, z);
  assert.equal(inverseTransformValue(s, "frequency", z[0]), back[0]);
  assert.equal(inverseTransformValue(s, "monetary", z[1]), back[1]);
  close(inverseTransformValue(s, "frequency", z[0]), 7, 1e-9);
  assert.throws(() => transformValue(s, "constant", 1), /unknown feature "constant"/);
  assert.throws(() => inverseTransformValue(s, "constant", 0), RangeError);
});

Deno.test("transformValue passes unusable values through (NaN, ±Infinity) instead of throwing", () => {
  const s = fitScaler(columns, ["frequency", "monetary"], ["frequency"]);
  assert.ok(Number.isNaN(transformValue(s, "frequency", -2))); // log1p(-2)
  assert.equal(transformValue(s, "frequency", -1), -Infinity); // log1p(-1)
  assert.ok(Number.isNaN(transformValue(s, "monetary", NaN)));
  assert.equal(transformValue(s, "monetary", Infinity), Infinity);
  assert.throws(() => transformRow(s, [-2, 30]), /log1p/); // the row form refuses them
});
