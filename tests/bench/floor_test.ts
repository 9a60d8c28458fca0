import assert from "node:assert/strict";
import { type FloorRun, floorVerdict, TARGET_RATIO } from "./floor.ts";

const pandas = { wall: 2.0, peak: 300 };
// Figures of the kind measured at 1× (stop 29): fast but fat, lean but slow.
const tradeOff: FloorRun[] = [
  { label: "lazy scan", wall: 0.75, peak: 424 },
  { label: "chunks of 4 MiB", wall: 1.5, peak: 206 },
  { label: "chunks of 1 MiB", wall: 3.1, peak: 155 },
];

Deno.test("floorVerdict: runs that each miss one target are out of reach, whatever the other", () => {
  const v = floorVerdict(tradeOff, pandas);
  assert.equal(v.reachable, false);
  assert.deepEqual(v.meeting, []);
  assert.equal(v.fastest.label, "lazy scan");
  assert.equal(v.leanest.label, "chunks of 1 MiB");
  assert.match(v.text, /^no run of polars alone meets both targets/);
  assert.match(v.text, /fastest: lazy scan, 0\.38×, 1\.41×/);
  assert.match(v.text, /leanest: chunks of 1 MiB, 1\.55×, 0\.52×/);
});

Deno.test("floorVerdict: one run under both limits makes the targets reachable", () => {
  const v = floorVerdict(
    [...tradeOff, { label: "chunks of 16 MiB", wall: 0.9, peak: 140 }],
    pandas,
  );
  assert.equal(v.reachable, true);
  assert.deepEqual(v.meeting.map((r) => r.label), ["chunks of 16 MiB"]);
  assert.match(v.text, /^met by chunks of 16 MiB \(0\.45×, 0\.47×\)/);
});

Deno.test("floorVerdict: the limits are inclusive and apply to both figures of the same run", () => {
  const edge = {
    label: "edge",
    wall: TARGET_RATIO * pandas.wall,
    peak: TARGET_RATIO * pandas.peak,
  };
  assert.equal(floorVerdict([edge], pandas).reachable, true);
  // Just over on one figure: not met.
  assert.equal(floorVerdict([{ ...edge, peak: edge.peak + 0.01 }], pandas).reachable, false);
  assert.equal(floorVerdict([{ ...edge, wall: edge.wall + 0.001 }], pandas).reachable, false);
  // A run fast enough and a run lean enough do not add up to one run meeting both.
  const split = [{ ...edge, label: "fast", peak: 1000 }, { ...edge, label: "lean", wall: 100 }];
  assert.equal(floorVerdict(split, pandas).reachable, false);
  // Another limit moves the line.
  assert.equal(floorVerdict(tradeOff, pandas, 0.6).reachable, false);
  assert.deepEqual(floorVerdict(tradeOff, pandas, 0.8).meeting.map((r) => r.label), [
    "chunks of 4 MiB",
  ]);
});

Deno.test("floorVerdict: several runs meeting both are listed fastest first", () => {
  const v = floorVerdict([
    { label: "b", wall: 0.9, peak: 100 },
    { label: "a", wall: 0.5, peak: 140 },
  ], pandas);
  assert.deepEqual(v.meeting.map((r) => r.label), ["a", "b"]);
});

Deno.test("floorVerdict: refuses figures it cannot judge", () => {
  assert.throws(() => floorVerdict([], pandas), /no runs/);
  assert.throws(() => floorVerdict([{ label: "x", wall: 1, peak: NaN }], pandas), /run "x"/);
  assert.throws(() => floorVerdict([{ label: "x", wall: 0, peak: 1 }], pandas), /run "x"/);
  assert.throws(() => floorVerdict(tradeOff, { wall: 2, peak: NaN }), /pandas/);
  assert.throws(() => floorVerdict(tradeOff, pandas, 0), /limit/);
  assert.throws(() => floorVerdict(tradeOff, pandas, 1.5), /limit/);
});
