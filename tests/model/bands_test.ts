import assert from "node:assert/strict";
import { bandTable, bandTrend } from "../../src/model/bands.ts";
import { makeBands } from "../../src/score/score.ts";

/** A band table (best band first) with the given top-level rates. */
const bands = (rates: (number | null)[]) => rates.map((r, i) => ({ band: "ABCDE"[i], topRate: r }));

Deno.test("bandTrend: a rate that rises from the worst band to the best → rises", () => {
  assert.deepEqual(bandTrend(bands([0.8, 0.5, 0.3, 0.2, 0.05])), {
    rises: true,
    strictlyRises: true,
    firstFall: null,
  });
  // equal neighbours and empty bands do not break a rise, but it is no longer strict
  assert.deepEqual(bandTrend(bands([0.8, 0.5, 0.5, null, 0.05])), {
    rises: true,
    strictlyRises: false,
    firstFall: null,
  });
  // nothing to compare: trivially rising
  assert.equal(bandTrend(bands([null, 0.4, null])).rises, true);
  assert.equal(bandTrend([]).rises, true);
});

Deno.test("bandTrend: any fall → does not rise, and the first fall is named", () => {
  assert.deepEqual(bandTrend(bands([0.8, 0.3, 0.5, 0.2, 0.05])), {
    rises: false,
    strictlyRises: false,
    firstFall: { from: "C", to: "B" },
  });
  // the best band below the next one
  assert.deepEqual(bandTrend(bands([0.4, 0.5, 0.3])).firstFall, { from: "B", to: "A" });
  // a fall across an empty band still counts (empty bands are skipped, not reset)
  assert.deepEqual(bandTrend(bands([0.8, null, 0.2, 0.3, 0.1])).firstFall, { from: "D", to: "C" });
  // a tiny fall counts too
  assert.equal(bandTrend(bands([0.5, 0.5 - 1e-9])).rises, true);
  assert.equal(bandTrend(bands([0.5 - 1e-9, 0.5])).rises, false);
});

Deno.test("bandTable: customers, shares, top-level counts and rates per band, best first", () => {
  const scale = makeBands(300, 850, ["A", "B", "C", "D", "E"]);
  const customerBands = ["A", "A", "E", "C", "A", "E", "E", "C"];
  const isTop = [true, true, false, true, false, false, true, false];
  const rows = bandTable(scale, customerBands, isTop);
  assert.deepEqual(rows.map((r) => r.band), ["A", "B", "C", "D", "E"]);
  assert.deepEqual(rows.map((r) => r.minScore), [740, 630, 520, 410, 300]);
  assert.deepEqual(rows.map((r) => r.customers), [3, 0, 2, 0, 3]);
  assert.deepEqual(rows.map((r) => r.share), [3 / 8, 0, 2 / 8, 0, 3 / 8]);
  assert.deepEqual(rows.map((r) => r.top), [2, 0, 1, 0, 1]);
  assert.deepEqual(rows.map((r) => r.topRate), [2 / 3, null, 1 / 2, null, 1 / 3]);
  assert.equal(bandTrend(rows).rises, true);
  // no customers at all: zero shares, no rates
  assert.deepEqual(bandTable(scale, [], []).map((r) => [r.share, r.topRate]), [
    [0, null],
    [0, null],
    [0, null],
    [0, null],
    [0, null],
  ]);
});
