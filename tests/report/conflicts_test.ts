import assert from "node:assert/strict";
import { conflictSentence, segmentLevelConflicts } from "../../src/report/conflicts.ts";
import { SEGMENT_RULES, type SegmentRule } from "../../src/rfm/segments.ts";

/** `n` copies of a value. */
const rep = <T>(x: T, n: number): T[] => Array.from({ length: n }, () => x);

/** Hand-made customers: segment and predicted level, by cell. */
function customers(cells: [string, string, number][]) {
  const segments: string[] = [];
  const levels: string[] = [];
  for (const [s, l, n] of cells) {
    segments.push(...rep(s, n));
    levels.push(...rep(l, n));
  }
  return { segments, levels };
}

Deno.test("segmentLevelConflicts: the cross-table, row by row in rule order", () => {
  const { segments, levels } = customers([
    ["Champions", "loyal", 50],
    ["Champions", "occasional", 5],
    ["Loyal", "loyal", 30],
    ["Loyal", "lapsed", 12],
    ["At risk", "lapsed", 20],
    ["At risk", "loyal", 4],
    ["Lost", "lapsed", 40],
    ["Lost", "loyal", 1],
  ]);
  const t = segmentLevelConflicts(segments, levels);
  assert.deepEqual(t.levels, ["lapsed", "occasional", "loyal"]);
  assert.deepEqual(t.rows.map((r) => r.segment), SEGMENT_RULES.map((r) => r.name));
  const row = (s: string) => t.rows.find((r) => r.segment === s)!;
  assert.deepEqual(row("Champions"), {
    segment: "Champions",
    impliedLevel: "loyal",
    customers: 55,
    predicted: [0, 5, 50],
    conflicts: 0,
  });
  assert.deepEqual(row("Loyal").predicted, [12, 0, 30]);
  assert.equal(row("Loyal").conflicts, 12);
  assert.equal(row("At risk").impliedLevel, "occasional");
  assert.equal(row("At risk").conflicts, 0, "an occasional segment cannot be two levels off");
  assert.deepEqual(row("New"), {
    segment: "New",
    impliedLevel: "occasional",
    customers: 0,
    predicted: [0, 0, 0],
    conflicts: 0,
  });
  assert.equal(t.customers, 162);
  assert.equal(t.unscored, 0);
  assert.equal(t.minGap, 2);
  // conflicts: most customers first
  assert.deepEqual(t.conflicts, [
    {
      segment: "Loyal",
      impliedLevel: "loyal",
      predictedLevel: "lapsed",
      customers: 12,
      share: 12 / 42,
    },
    {
      segment: "Lost",
      impliedLevel: "lapsed",
      predictedLevel: "loyal",
      customers: 1,
      share: 1 / 41,
    },
  ]);
  assert.equal(t.conflicted, 13);
  assert.equal(
    conflictSentence(t),
    "13 of 162 customers (8.0 %) are in a segment that contradicts their predicted level: " +
      "12 “Loyal” customers are predicted “lapsed”; 1 “Lost” customer is predicted “loyal”.",
  );
});

Deno.test("segmentLevelConflicts: level indices, unscored customers, a stricter gap", () => {
  const segments = ["Loyal", "Loyal", "Loyal", "Hibernating", "Need attention"];
  const t = segmentLevelConflicts(segments, [0, 1, null, 2, undefined]);
  assert.equal(t.customers, 3);
  assert.equal(t.unscored, 2);
  assert.deepEqual(t.conflicts.map((c) => [c.segment, c.predictedLevel]), [
    ["Loyal", "lapsed"],
    ["Hibernating", "loyal"],
  ]);
  // minGap 1: any disagreement with the implied level
  const strict = segmentLevelConflicts(segments, [0, 1, null, 2, undefined], SEGMENT_RULES, {
    minGap: 1,
  });
  assert.deepEqual(strict.conflicts.map((c) => [c.segment, c.predictedLevel, c.customers]), [
    ["Loyal", "lapsed", 1],
    ["Loyal", "occasional", 1],
    ["Hibernating", "loyal", 1],
  ]);
  assert.equal(strict.conflicted, 3);
});

Deno.test("segmentLevelConflicts: other level names and a custom rule table", () => {
  const rules: SegmentRule[] = [
    { ...SEGMENT_RULES[0], name: "Top", loyaltyLevel: 2 },
    { ...SEGMENT_RULES[10], name: "Bottom", loyaltyLevel: 0 },
  ];
  const t = segmentLevelConflicts(["Top", "Bottom", "Top"], ["gone", "stays", "stays"], rules, {
    levels: ["gone", "maybe", "stays"],
  });
  assert.deepEqual(t.rows.map((r) => [r.segment, r.impliedLevel, r.predicted]), [
    ["Top", "stays", [1, 0, 1]],
    ["Bottom", "gone", [0, 0, 1]],
  ]);
  assert.equal(t.conflicted, 2);
  assert.match(conflictSentence(t, 1), /1 “Top” customer is predicted “gone”; 1 other\.$/);
});

Deno.test("segmentLevelConflicts: no conflicts; bad input throws", () => {
  const t = segmentLevelConflicts(["Champions", "Lost"], ["loyal", "lapsed"]);
  assert.equal(t.conflicted, 0);
  assert.deepEqual(t.conflicts, []);
  assert.match(conflictSentence(t), /^No customer is in a segment that contradicts/);
  assert.throws(() => segmentLevelConflicts(["Loyal"], []), /1 segments but 0 levels/);
  assert.throws(() => segmentLevelConflicts(["Gold"], ["loyal"]), /unknown segment "Gold"/);
  assert.throws(() => segmentLevelConflicts(["Loyal"], ["faithful"]), /unknown level "faithful"/);
  assert.throws(() => segmentLevelConflicts(["Loyal"], [3]), /unknown level 3/);
});
