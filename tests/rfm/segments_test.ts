/**
 * Tests of the segment rule table (src/rfm/segments.ts): full, non-overlapping coverage of the
 * 5 × 5 (R, FM) grid, hand-checked cells and the FM rounding; the recency guards (their table,
 * the typical gap between purchases, the limit, where a refused customer goes, the configuration
 * keys, and `scoreRfm` with guards).
 */
import assert from "node:assert/strict";
import {
  fmScore,
  guardLimit,
  SEGMENT_GUARDS,
  SEGMENT_RULES,
  segmentOf,
  type SegmentRule,
  toFivePoint,
  typicalPurchaseGap,
} from "../../src/rfm/segments.ts";
import { scoreRfm } from "../../src/rfm/rfm.ts";
import { RFM_GUARD_BOUNDS } from "../../src/config/dataset.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { dataset } from "../fixtures/configs.ts";
import { createRng } from "../../src/model/random.ts";

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

// ---------------------------------------------------------------------------------------------
// Recency guards

const DEFAULT_GUARDS = { recencyMultiple: 3, maxRecencyDays: 365 };

Deno.test("guards: the table names known segments and covers each guarded FM range once", () => {
  const byName = new Map(SEGMENT_RULES.map((r) => [r.name, r]));
  assert.deepEqual(SEGMENT_GUARDS.map((g) => g.segment), [
    "Champions",
    "Loyal",
    "Potential loyalist",
    "New",
    "Promising",
  ]);
  const guarded = new Set(SEGMENT_GUARDS.map((g) => g.segment));
  for (const g of SEGMENT_GUARDS) {
    const rule = byName.get(g.segment);
    assert.ok(rule, g.segment);
    for (let fm = rule.fm[0]; fm <= rule.fm[1]; fm++) {
      const to = g.otherwise.filter((o) => inRange(fm, o.fm));
      assert.equal(to.length, 1, `${g.segment} FM${fm}`);
      const target = byName.get(to[0].segment);
      assert.ok(target, to[0].segment);
      // the segment of the same FM at R = 2, never itself guarded, never implying more loyalty
      assert.equal(to[0].segment, segmentOf(2, fm, fm).name, `${g.segment} FM${fm}`);
      assert.ok(!guarded.has(target.name));
      assert.ok(target.loyaltyLevel <= rule.loyaltyLevel);
    }
    // no FM outside the guarded rule's range
    for (const o of g.otherwise) assert.ok(rule.fm[0] <= o.fm[0] && o.fm[1] <= rule.fm[1]);
  }
  // every segment that implies a loyal customer today is guarded
  for (const r of SEGMENT_RULES) if (r.loyaltyLevel === 2) assert.ok(guarded.has(r.name), r.name);
});

Deno.test("guards: typical gap between purchases = median of (tenure − recency) / (F − 1)", () => {
  // one-off buyers are left out; gaps 10, 20, 30, 40 → 25
  assert.equal(typicalPurchaseGap([5, 0, 10, 20, 3], [15, 20, 70, 140, 3], [2, 2, 3, 4, 1]), 25);
  assert.equal(typicalPurchaseGap([], [], []), null);
  assert.equal(typicalPurchaseGap([9, 9], [9, 9], [1, 1]), null);
  // several invoices on one day: a gap of 0
  assert.equal(typicalPurchaseGap([4], [4], [3]), 0);
});

Deno.test("guards: the limit is the smaller of multiple × gap and the cap; null limits drop out", () => {
  assert.equal(guardLimit(73, DEFAULT_GUARDS), 219);
  assert.equal(guardLimit(82.5, DEFAULT_GUARDS), 247.5);
  assert.equal(guardLimit(150, DEFAULT_GUARDS), 365);
  assert.equal(guardLimit(150, { recencyMultiple: 3, maxRecencyDays: null }), 450);
  assert.equal(guardLimit(null, { recencyMultiple: 3, maxRecencyDays: null }), null);
  assert.equal(guardLimit(10, { recencyMultiple: null, maxRecencyDays: 90 }), 90);
  assert.equal(guardLimit(10, { recencyMultiple: null, maxRecencyDays: null }), null);
});

Deno.test("guards: segmentOf refuses a guarded segment above the limit, at the boundary it stays", () => {
  const at = (recencyDays: number, limitDays: number | null = 219) => ({ recencyDays, limitDays });
  // (R, F, M) → plain segment → segment when refused
  const cases: [number, number, number, string, string][] = [
    [5, 5, 5, "Champions", "Can't lose them"],
    [5, 4, 4, "Champions", "At risk"],
    [4, 5, 4, "Loyal", "Can't lose them"],
    [3, 4, 4, "Loyal", "At risk"],
    [5, 3, 3, "Potential loyalist", "At risk"],
    [4, 2, 2, "Potential loyalist", "Hibernating"],
    [5, 1, 1, "New", "Hibernating"],
    [4, 1, 1, "Promising", "Hibernating"],
  ];
  for (const [r, f, m, plain, refused] of cases) {
    assert.equal(segmentOf(r, f, m).name, plain);
    assert.equal(segmentOf(r, f, m, 5, undefined, at(219)).name, plain, "at the limit: kept");
    assert.equal(segmentOf(r, f, m, 5, undefined, at(219.5)).name, refused, `${plain} refused`);
    assert.equal(segmentOf(r, f, m, 5, undefined, at(5000, null)).name, plain, "no limit");
  }
  // unguarded segments never move
  for (const [r, f, m] of [[3, 3, 3], [3, 1, 1], [2, 5, 5], [1, 3, 4], [2, 1, 1], [1, 1, 1]]) {
    assert.equal(segmentOf(r, f, m, 5, undefined, at(9999)).name, segmentOf(r, f, m).name);
  }
  // on another bin scale the guard applies to the mapped scores
  assert.equal(segmentOf(3, 3, 3, 3, undefined, at(400)).name, "Can't lose them");
});

Deno.test("guards: a custom guard table; a guard naming no or an unknown segment throws", () => {
  const keepAll = SEGMENT_GUARDS.filter((g) => g.segment !== "Loyal");
  const far = { recencyDays: 400, limitDays: 100 };
  assert.equal(segmentOf(4, 5, 5, 5, undefined, { ...far, guards: keepAll }).name, "Loyal");
  const toLost = [{
    segment: "Loyal",
    otherwise: [{ fm: [4, 5] as [number, number], segment: "Lost" }],
  }];
  assert.equal(segmentOf(4, 5, 5, 5, undefined, { ...far, guards: toLost }).name, "Lost");
  const gap = [{
    segment: "Loyal",
    otherwise: [{ fm: [5, 5] as [number, number], segment: "Lost" }],
  }];
  assert.throws(
    () => segmentOf(4, 4, 4, 5, undefined, { ...far, guards: gap }),
    /guard of "Loyal" names no segment for FM=4/,
  );
  const unknown = [{
    segment: "Loyal",
    otherwise: [{ fm: [4, 5] as [number, number], segment: "Gone" }],
  }];
  assert.throws(
    () => segmentOf(4, 4, 4, 5, undefined, { ...far, guards: unknown }),
    /unknown segment "Gone"/,
  );
});

Deno.test("guards: with the default cap nobody a year without a purchase is named loyal", () => {
  const rng = createRng(2024);
  const guarded = new Set(SEGMENT_GUARDS.map((g) => g.segment));
  for (let i = 0; i < 2000; i++) {
    const gap = rng.next() * 400; // any typical gap, up to 400 days
    const multiple = RFM_GUARD_BOUNDS.recencyMultiple.min +
      rng.next() * (RFM_GUARD_BOUNDS.recencyMultiple.max - RFM_GUARD_BOUNDS.recencyMultiple.min);
    const limitDays = guardLimit(gap, { recencyMultiple: multiple, maxRecencyDays: 365 });
    const recencyDays = 366 + rng.int(2000);
    const [r, f, m] = [1 + rng.int(5), 1 + rng.int(5), 1 + rng.int(5)];
    const s = segmentOf(r, f, m, 5, undefined, { recencyDays, limitDays });
    assert.ok(!guarded.has(s.name), `${s.name}: R${r} F${f} M${m}, ${recencyDays} days`);
    assert.ok(s.loyaltyLevel < 2);
  }
});

Deno.test("guards: scoreRfm applies them and reports the moves; without guards nothing changes", () => {
  // Ten customers buying every 10 days (limit 3 × 10 = 30 days); two good customers have an
  // R of 4 and 3 but have not bought for 40 and 45 days.
  const recency = [1, 2, 3, 40, 45, 100, 200, 300, 400, 500];
  const frequency = [12, 2, 11, 10, 9, 1, 2, 1, 3, 1];
  const monetary = [900, 50, 950, 800, 850, 10, 60, 20, 70, 15];
  const tenure = recency.map((r, i) => r + 10 * (frequency[i] - 1));
  const plain = scoreRfm(recency, frequency, monetary);
  assert.equal(plain.guards, null);
  assert.deepEqual(plain.rfm_segment.slice(0, 5), [
    "Champions",
    "Potential loyalist",
    "Loyal",
    "Loyal",
    "Loyal",
  ]);
  const g = scoreRfm(recency, frequency, monetary, 5, null, {
    tenure,
    options: DEFAULT_GUARDS,
  });
  assert.deepEqual(Array.from(g.r_score), Array.from(plain.r_score), "scores unchanged");
  assert.equal(g.guards?.typicalGapDays, 10);
  assert.equal(g.guards?.limitDays, 30);
  const moved = g.rfm_segment.map((s, i) => (s === plain.rfm_segment[i] ? null : i))
    .filter((i) => i !== null);
  assert.deepEqual(moved, [3, 4]);
  assert.deepEqual(g.guards?.moves, [{ from: "Loyal", to: "At risk", customers: 2 }]);
  for (const i of moved) {
    assert.ok(recency[i as number] > 30);
    assert.ok(SEGMENT_GUARDS.some((x) => x.segment === plain.rfm_segment[i as number]));
  }
  assert.equal(g.guards?.moved, 2);
  assert.equal(g.guards?.moves.reduce((s, x) => s + x.customers, 0), 2);
  assert.deepEqual(
    { ...g.guards, moves: undefined },
    {
      recencyMultiple: 3,
      maxRecencyDays: 365,
      typicalGapDays: 10,
      limitDays: 30,
      moved: 2,
      moves: undefined,
    },
  );
  // both limits off: the plain segments
  const off = scoreRfm(recency, frequency, monetary, 5, null, {
    tenure,
    options: { recencyMultiple: null, maxRecencyDays: null },
  });
  assert.deepEqual(off.rfm_segment, plain.rfm_segment);
  assert.equal(off.guards?.limitDays, null);
  assert.equal(off.guards?.moved, 0);
});

Deno.test("guards: rfm.guards in the dataset configuration (defaults, null, bounds)", () => {
  assert.deepEqual(dataset().rfm.guards, DEFAULT_GUARDS);
  assert.deepEqual(
    dataset({ rfm: { guards: { recencyMultiple: 2.5 } } }).rfm.guards,
    { recencyMultiple: 2.5, maxRecencyDays: 365 },
  );
  assert.deepEqual(
    dataset({ rfm: { guards: { recencyMultiple: null, maxRecencyDays: null } } }).rfm.guards,
    { recencyMultiple: null, maxRecencyDays: null },
  );
  const refused = (guards: unknown, at: string, message: RegExp) =>
    assert.throws(() => dataset({ rfm: { guards } }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(String((e as Error).message), new RegExp(at.replaceAll(".", "\\.")));
      assert.match(String((e as Error).message), message);
      return true;
    });
  refused({ recencyMultiple: 0.5 }, "rfm.guards.recencyMultiple", /at least 1/);
  refused({ recencyMultiple: 101 }, "rfm.guards.recencyMultiple", /at most 100/);
  refused({ maxRecencyDays: 30.5 }, "rfm.guards.maxRecencyDays", /integer/);
  refused({ maxRecencyDays: 0 }, "rfm.guards.maxRecencyDays", /at least 1/);
  refused({ recencyMultiple: "3" }, "rfm.guards.recencyMultiple", /expected a number/);
  refused({ multiple: 3 }, "rfm.guards.multiple", /unknown key/);
});
