/**
 * Tests of the segment rule table (src/rfm/segments.ts): full, non-overlapping coverage of the
 * 5 × 5 (R, FM) grid, hand-checked cells and the FM rounding.
 */
import assert from "node:assert/strict";
import {
  fmScore,
  SEGMENT_RULES,
  segmentOf,
  type SegmentRule,
  toFivePoint,
} from "../../src/rfm/segments.ts";

const inRange = (x: number, [lo, hi]: [number, number]) => x >= lo && x <= hi;

Deno.test("segments: every (R, FM) cell of 1..5 × 1..5 matches exactly one rule", () => {
  const cells: string[] = [];
  for (let r = 1; r <= 5; r++) {
    for (let fm = 1; fm <= 5; fm++) {
      const hits = SEGMENT_RULES.filter((s) => inRange(r, s.r) && inRange(fm, s.fm));
      assert.equal(
        hits.length,
        1,
        `R${r} FM${fm} matches ${hits.map((h) => h.name).join(", ") || "nothing"}`,
      );
      cells.push(hits[0].name);
    }
  }
  assert.equal(cells.length, 25);
  // Every rule is used, and the names are unique.
  assert.deepEqual(new Set(cells).size, SEGMENT_RULES.length);
  assert.equal(new Set(SEGMENT_RULES.map((s) => s.name)).size, SEGMENT_RULES.length);
  // Ranges are well-formed and on the 1..5 scale.
  for (const s of SEGMENT_RULES) {
    for (const [lo, hi] of [s.r, s.fm]) assert.ok(1 <= lo && lo <= hi && hi <= 5, s.name);
    assert.ok(s.description.length > 0 && s.action.length > 0);
    assert.ok([0, 1, 2].includes(s.loyaltyLevel));
  }
});

Deno.test("segments: the full grid, by hand (rows R5..R1, columns FM1..FM5)", () => {
  const grid: Record<number, string[]> = {
    5: ["New", "Potential loyalist", "Potential loyalist", "Champions", "Champions"],
    4: ["Promising", "Potential loyalist", "Potential loyalist", "Loyal", "Loyal"],
    3: ["About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"],
    2: ["Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"],
    1: ["Lost", "Lost", "At risk", "At risk", "Can't lose them"],
  };
  for (let r = 1; r <= 5; r++) {
    for (let fm = 1; fm <= 5; fm++) {
      // F = M = fm gives FM = fm.
      assert.equal(segmentOf(r, fm, fm).name, grid[r][fm - 1], `R${r} FM${fm}`);
    }
  }
});

Deno.test("segments: hand-checked (R, F, M) customers", () => {
  assert.equal(segmentOf(5, 5, 5).name, "Champions");
  assert.equal(segmentOf(1, 1, 1).name, "Lost");
  assert.equal(segmentOf(5, 1, 1).name, "New");
  assert.equal(segmentOf(4, 1, 2).name, "Potential loyalist"); // FM = round-half-up(1.5) = 2
  assert.equal(segmentOf(4, 1, 1).name, "Promising");
  assert.equal(segmentOf(5, 3, 4).name, "Champions"); // FM = 4 (3.5 rounds up)
  assert.equal(segmentOf(5, 3, 3).name, "Potential loyalist");
  assert.equal(segmentOf(1, 5, 4).name, "Can't lose them"); // FM = 5 (4.5 rounds up)
  assert.equal(segmentOf(1, 4, 4).name, "At risk");
  assert.equal(segmentOf(2, 2, 1).name, "Hibernating"); // FM = 2
  assert.equal(segmentOf(3, 2, 3).name, "Need attention"); // FM = 3
  assert.equal(segmentOf(3, 1, 1).name, "About to sleep");
  assert.equal(segmentOf(2, 5, 5).name, "Can't lose them");
  assert.equal(segmentOf(3, 5, 4).name, "Loyal");
  // Loyalty levels implied today.
  assert.equal(segmentOf(5, 5, 5).loyaltyLevel, 2);
  assert.equal(segmentOf(1, 1, 1).loyaltyLevel, 0);
  assert.equal(segmentOf(5, 1, 1).loyaltyLevel, 1);
});

Deno.test("segments: fmScore rounds half up", () => {
  assert.equal(fmScore(1, 1), 1);
  assert.equal(fmScore(1, 2), 2); // 1.5 → 2
  assert.equal(fmScore(2, 3), 3); // 2.5 → 3 (not banker's 2)
  assert.equal(fmScore(3, 4), 4); // 3.5 → 4
  assert.equal(fmScore(4, 5), 5); // 4.5 → 5 (not banker's 4)
  assert.equal(fmScore(1, 5), 3);
  assert.equal(fmScore(5, 5), 5);
  for (let f = 1; f <= 5; f++) {
    for (let m = 1; m <= 5; m++) assert.equal(fmScore(f, m), fmScore(m, f));
  }
});

Deno.test("segments: other bin counts map onto the 1–5 scale", () => {
  assert.equal(toFivePoint(3, 5), 3);
  assert.deepEqual([1, 2, 3].map((s) => toFivePoint(s, 3)), [1, 3, 5]);
  assert.deepEqual([1, 2, 3, 4].map((s) => toFivePoint(s, 4)), [1, 2, 4, 5]);
  assert.deepEqual([1, 10].map((s) => toFivePoint(s, 10)), [1, 5]);
  assert.equal(segmentOf(3, 3, 3, 3).name, "Champions");
  assert.equal(segmentOf(1, 1, 1, 3).name, "Lost");
  assert.equal(segmentOf(2, 2, 2, 3).name, "Need attention");
});

Deno.test("segments: an incomplete custom rule table throws, naming the uncovered cell", () => {
  const rules: SegmentRule[] = SEGMENT_RULES.filter((s) => s.name !== "Lost");
  assert.throws(() => segmentOf(1, 1, 2, 5, rules), /no segment rule covers R=1, FM=2/);
  assert.equal(segmentOf(5, 5, 5, 5, rules).name, "Champions");
});
