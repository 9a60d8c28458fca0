/**
 * Tests of the report's distribution helpers (log-binned histograms, score grids) on hand-made
 * arrays.
 */
import assert from "node:assert/strict";
import {
  histogram,
  logEdges,
  logHistogram,
  positiveRange,
  scoreGrid,
} from "../../src/report/distributions.ts";

Deno.test("logEdges: powers of ten are exact and the range is covered", () => {
  const e = logEdges(1, 1000, { binsPerDecade: 1 });
  assert.deepEqual(e, [1, 10, 100, 1000, 10000]);
  const f = logEdges(0.5, 20, { binsPerDecade: 2 });
  assert.ok(f[0] <= 0.5 && f[f.length - 1] > 20);
  for (let i = 1; i < f.length; i++) assert.ok(f[i] > f[i - 1]);
  assert.ok(f.includes(1) && f.includes(10));
});

Deno.test("logEdges: integer bins hold whole values and are never empty by construction", () => {
  const e = logEdges(1, 30, { binsPerDecade: 10, integer: true });
  assert.deepEqual(e.slice(0, 6), [1, 2, 3, 4, 5, 6]);
  assert.ok(e[e.length - 1] > 30);
  assert.ok(e.every((x) => Number.isInteger(x)));
});

Deno.test("logEdges: rejects bad input", () => {
  assert.throws(() => logEdges(0, 10), RangeError);
  assert.throws(() => logEdges(10, 1), RangeError);
  assert.throws(() => logEdges(1, 10, { binsPerDecade: 0 }), RangeError);
  assert.throws(() => logEdges(1, Infinity), RangeError);
});

Deno.test("histogram: counts, last edge inclusive, outside and missing values reported", () => {
  const h = histogram([0, 1, 1.5, 2, 3, 3, 4, NaN, null, 5], [1, 2, 3]);
  assert.deepEqual(h.bins.map((b) => b.count), [2, 3]);
  assert.equal(h.below, 1);
  assert.equal(h.above, 2);
  assert.equal(h.missing, 2);
  assert.throws(() => histogram([1], [1]), RangeError);
  assert.throws(() => histogram([1], [1, 1]), RangeError);
});

Deno.test("logHistogram: every value is binned or accounted for", () => {
  const values = [-3, 0, 0.01, 0.5, 1, 2, 10, 99, 100, 12345, NaN];
  const h = logHistogram(values, { binsPerDecade: 5 });
  assert.equal(h.nonPositive, 2);
  assert.equal(h.missing, 1);
  assert.equal(h.counted, 8);
  assert.equal(h.counted + h.nonPositive + h.missing, values.length);
  assert.equal(h.min, 0.01);
  assert.equal(h.max, 12345);
  for (let i = 1; i < h.bins.length; i++) assert.equal(h.bins[i].x0, h.bins[i - 1].x1);
  // 100 sits on an edge and belongs to the bin starting there.
  const at100 = h.bins.find((b) => b.x0 === 100)!;
  assert.equal(at100.count, 1);
});

Deno.test("logHistogram: shared edges line up two arrays; values outside the edges throw", () => {
  const before = [1, 5, 50, 500, -1];
  const after = [5, 50];
  const r = positiveRange(before, after)!;
  const edges = logEdges(r.min, r.max, { binsPerDecade: 2 });
  const hb = logHistogram(before, { edges });
  const ha = logHistogram(after, { edges });
  assert.deepEqual(hb.bins.map((b) => b.x0), ha.bins.map((b) => b.x0));
  assert.equal(hb.counted, 4);
  assert.equal(ha.counted, 2);
  assert.throws(() => logHistogram([1e9], { edges }), RangeError);
  assert.deepEqual(logHistogram([0, -1]).bins, []);
});

Deno.test("scoreGrid: all cells present, means and medians per cell", () => {
  const cells = scoreGrid([1, 1, 2, 2], [1, 1, 2, 2], [10, 20, 5, 7], 2);
  assert.equal(cells.length, 4);
  assert.deepEqual(cells[0], { row: 1, col: 1, count: 2, mean: 15, median: 15 });
  assert.deepEqual(cells[1], { row: 1, col: 2, count: 0, mean: null, median: null });
  assert.deepEqual(cells[3], { row: 2, col: 2, count: 2, mean: 6, median: 6 });
  assert.throws(() => scoreGrid([0], [1], [1], 2), RangeError);
  assert.throws(() => scoreGrid([1], [1, 2], [1], 2), RangeError);
});
