import assert from "node:assert/strict";
import { roundDeep, roundPoint } from "../../src/model/rounding.ts";

Deno.test("roundDeep rounds non-integers to 6 decimals and keeps structure", () => {
  const input = { a: 1 / 3, b: [2, -1e-9, 1.23456789e10], c: "x", d: null, e: { f: 2.5e-7 } };
  assert.deepEqual(roundDeep(input), {
    a: 0.333333,
    b: [2, 0, 1.23456789e10],
    c: "x",
    d: null,
    e: { f: 0 },
  });
  assert.ok(Object.is(roundDeep(-1e-9), 0), "never -0");
  assert.equal(input.a, 1 / 3, "input untouched");
  assert.equal(roundDeep(1 / 3, 2), 0.33);
  assert.ok(Number.isNaN(roundDeep(NaN)));
  assert.equal(roundDeep(1234567890.123), 1234567890.123, "magnitudes ≥ 1e9 are kept");
});

Deno.test("roundPoint rounds every coordinate to 6 decimals, -0 to 0", () => {
  const p = roundPoint([1 / 3, -2 / 3, -1e-9, 4]);
  assert.deepEqual(p, [0.333333, -0.666667, 0, 4]);
  assert.ok(Object.is(p[2], 0));
});
