import assert from "node:assert/strict";
import {
  compareResults,
  flatten,
  formatDifferences,
  leavesMatch,
} from "../../src/report/compare.ts";

const base = {
  cleaning: { total: { rows_in: 1067370, rows_kept: 770511 } },
  rfm: {
    analysisDate: "2011-12-10",
    segments: [{ segment: "Champions", customers: 848, share: 0.145230347662 }, {
      segment: "Lost",
      customers: 850,
      share: 0.1455,
    }],
  },
  models: { silhouette: 0.352131, chosenK: 3 },
};

Deno.test("identical results match every figure", () => {
  const c = compareResults(base, structuredClone(base));
  assert.equal(c.differences.length, 0);
  assert.equal(c.compared, 11);
  assert.equal(c.matched, 11);
});

Deno.test("one edited figure fails, and the figure is shown with expected and got", () => {
  const edited = structuredClone(base);
  edited.rfm.segments[0].customers = 849;
  const c = compareResults(edited, base);
  assert.equal(c.differences.length, 1);
  assert.deepEqual(c.differences[0].key, "rfm.segments[segment=Champions].customers");
  assert.equal(c.differences[0].expected, 849);
  assert.equal(c.differences[0].got, 848);
  const table = formatDifferences(c.differences);
  assert.match(table, /rfm\.segments\[segment=Champions\]\.customers\s+849\s+848/);
});

Deno.test("integers match exactly; other numbers within the relative tolerance", () => {
  assert.equal(leavesMatch(848, 849), false);
  assert.equal(leavesMatch(0.352131, 0.352131 * (1 + 5e-10)), true);
  assert.equal(leavesMatch(0.352131, 0.352131 * (1 + 5e-9)), false);
  assert.equal(leavesMatch(0.352131, 0.352131 * (1 + 5e-9), 1e-8), true);
  assert.equal(leavesMatch("2011-12-10", "2011-12-11"), false);
  assert.equal(leavesMatch(null, 0), false);
});

Deno.test("keys on one side only are differences", () => {
  const more = structuredClone(base) as Record<string, unknown>;
  more.extra = 1;
  const c = compareResults(base, more);
  assert.deepEqual(c.differences.map((d) => [d.key, d.expected, d.got]), [["extra", undefined, 1]]);
  assert.match(formatDifferences(c.differences), /extra\s+\(missing\)\s+1/);
});

Deno.test("array elements are keyed by their identifying field", () => {
  const keys = [...flatten({ a: [{ name: "x", v: 1 }, { k: 3, v: 2 }, 5] }).keys()];
  assert.deepEqual(keys, ["a[name=x].name", "a[name=x].v", "a[k=3].k", "a[k=3].v", "a[2]"]);
});
