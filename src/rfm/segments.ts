/**
 * Named RFM segments: one table of rules over the recency score (R) and the combined
 * frequency–monetary score (FM = round-half-up of (F + M) / 2), both on a 1–5 scale.
 *
 * The table is ordered; a customer gets the first segment whose ranges contain its R and FM.
 * The rules cover every one of the 25 (R, FM) cells exactly once (a test checks it), so the order
 * only matters for readability. Each segment carries a recommended action for the report and
 * the loyalty level it implies today (used as the "persistence" baseline of the loyalty model).
 *
 * @module
 */

/** One row of the segment rule table. */
export interface SegmentRule {
  /** Segment name. */
  name: string;
  /** Inclusive range of the recency score (5 = most recent). */
  r: [number, number];
  /** Inclusive range of the combined frequency–monetary score. */
  fm: [number, number];
  /** Plain-language description. */
  description: string;
  /** Recommended action. */
  action: string;
  /** Loyalty level index this segment implies today (0 lapsed, 1 occasional, 2 loyal). */
  loyaltyLevel: 0 | 1 | 2;
}

/** The segment rules, best first. */
export const SEGMENT_RULES: readonly SegmentRule[] = [
  {
    name: "Champions",
    r: [5, 5],
    fm: [4, 5],
    description: "Bought very recently, buy often and spend the most",
    action: "Reward them: early access, loyalty perks; ask for reviews and referrals",
    loyaltyLevel: 2,
  },
  {
    name: "Loyal",
    r: [3, 4],
    fm: [4, 5],
    description: "Buy often and spend well, fairly recently",
    action: "Upsell higher-value ranges; enrol in the loyalty programme",
    loyaltyLevel: 2,
  },
  {
    name: "Potential loyalist",
    r: [4, 5],
    fm: [2, 3],
    description: "Recent customers with average frequency and spend",
    action: "Offer membership or bundles; recommend related products",
    loyaltyLevel: 1,
  },
  {
    name: "New",
    r: [5, 5],
    fm: [1, 1],
    description: "Bought for the first time very recently",
    action: "Onboard them: welcome series, first-repeat incentive",
    loyaltyLevel: 1,
  },
  {
    name: "Promising",
    r: [4, 4],
    fm: [1, 1],
    description: "Recent shoppers who have not spent much yet",
    action: "Build awareness: best-sellers, free-shipping threshold",
    loyaltyLevel: 1,
  },
  {
    name: "Need attention",
    r: [3, 3],
    fm: [3, 3],
    description: "Average recency, frequency and spend",
    action: "Limited-time offers based on their past purchases",
    loyaltyLevel: 1,
  },
  {
    name: "About to sleep",
    r: [3, 3],
    fm: [1, 2],
    description: "Below average recency, frequency and spend",
    action: "Reconnect with popular products and a modest discount",
    loyaltyLevel: 1,
  },
  {
    name: "Can't lose them",
    r: [1, 2],
    fm: [5, 5],
    description: "Used to buy the most and often, but not for a long time",
    action: "Win them back personally: call, account review, tailored offer",
    loyaltyLevel: 1,
  },
  {
    name: "At risk",
    r: [1, 2],
    fm: [3, 4],
    description: "Spent well and bought often, but long ago",
    action: "Personalised reactivation e-mails and offers",
    loyaltyLevel: 1,
  },
  {
    name: "Hibernating",
    r: [2, 2],
    fm: [1, 2],
    description: "Low spend, few orders, last purchase a while ago",
    action: "Low-cost reminders; relevant new products",
    loyaltyLevel: 0,
  },
  {
    name: "Lost",
    r: [1, 1],
    fm: [1, 2],
    description: "Lowest recency, frequency and spend",
    action: "Occasional low-cost campaigns only; do not over-invest",
    loyaltyLevel: 0,
  },
];

/**
 * The combined frequency–monetary score: round-half-up of the mean of F and M.
 *
 * @example
 * ```ts
 * import { fmScore } from "./segments.ts";
 * import { equal } from "node:assert/strict";
 * equal(fmScore(2, 3), 3); // 2.5 rounds up (not to the even 2)
 * equal(fmScore(4, 5), 5); // 4.5 rounds up
 * equal(fmScore(1, 5), 3);
 * ```
 */
export function fmScore(f: number, m: number): number {
  return Math.floor((f + m) / 2 + 0.5);
}

/**
 * Maps a score on a `bins`-point scale onto 1–5 (identity when bins = 5).
 *
 * @param score a score in 1..bins
 * @param bins number of score bins
 *
 * @example
 * ```ts
 * import { toFivePoint } from "./segments.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([1, 2, 3].map((s) => toFivePoint(s, 3)), [1, 3, 5]);
 * deepEqual([1, 2, 3, 4].map((s) => toFivePoint(s, 4)), [1, 2, 4, 5]);
 * deepEqual([1, 4, 5].map((s) => toFivePoint(s, 5)), [1, 4, 5]);
 * ```
 */
export function toFivePoint(score: number, bins: number): number {
  if (bins === 5) return score;
  return 1 + Math.round(((score - 1) * 4) / (bins - 1));
}

/**
 * The segment of a customer from its R, F and M scores.
 *
 * @param r recency score (higher is more recent)
 * @param f frequency score
 * @param m monetary score
 * @param bins the score scale (default 5)
 * @param rules the rule table (default {@link SEGMENT_RULES})
 * @throws {Error} when no rule matches (an incomplete custom table)
 *
 * @example
 * ```ts
 * import { segmentOf } from "./segments.ts";
 * import { equal } from "node:assert/strict";
 * equal(segmentOf(5, 3, 4).name, "Champions"); // FM = 4 (3.5 rounds up)
 * equal(segmentOf(1, 5, 4).name, "Can't lose them"); // FM = 5
 * equal(segmentOf(3, 3, 3, 3).name, "Champions"); // on a 3-point scale, 3 is the top
 * equal(segmentOf(5, 1, 1).loyaltyLevel, 1); // "New"
 * ```
 */
export function segmentOf(
  r: number,
  f: number,
  m: number,
  bins = 5,
  rules: readonly SegmentRule[] = SEGMENT_RULES,
): SegmentRule {
  const r5 = toFivePoint(r, bins);
  const fm = fmScore(toFivePoint(f, bins), toFivePoint(m, bins));
  const hit = rules.find((s) => r5 >= s.r[0] && r5 <= s.r[1] && fm >= s.fm[0] && fm <= s.fm[1]);
  if (!hit) throw new Error(`no segment rule covers R=${r5}, FM=${fm}`);
  return hit;
}
