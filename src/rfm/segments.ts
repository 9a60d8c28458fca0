/**
 * Named RFM segments: one table of rules over the recency score (R) and the combined
 * frequency–monetary score (FM = round-half-up of (F + M) / 2), both on a 1–5 scale.
 *
 * The table is ordered; a customer gets the first segment whose ranges contain its R and FM.
 * The rules cover every one of the 25 (R, FM) cells exactly once (a test checks it), so the order
 * only matters for readability. Each segment carries a recommended action for the report and
 * the loyalty level it implies today (used as the "persistence" baseline of the loyalty model).
 *
 * **Guards.** R is relative (a quintile of recency), so where most customers stopped buying long
 * ago R = 3 or 4 can mean a year without a purchase. The segments named for loyalty or a fresh
 * start ({@link SEGMENT_GUARDS}: Champions, Loyal, Potential loyalist, New, Promising) therefore
 * also need an absolute recency: at most {@link guardLimit} days — `recencyMultiple` × the
 * typical days between purchases of the data ({@link typicalPurchaseGap}), and at most
 * `maxRecencyDays` (`rfm.guards` in the dataset configuration; defaults 3 and 365). A customer
 * above the limit gets, instead, the segment of the same FM at R = 2 (Can't lose them, At risk or
 * Hibernating), as listed in the guard table.
 *
 * @module
 */

import type { RfmGuardConfig } from "../config/dataset.ts";
import { median } from "../lib/stats.ts";

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

/** A guard: where the customers of a segment go when their recency is above the limit. */
export interface SegmentGuard {
  /** The guarded segment. */
  segment: string;
  /** The segment instead, by FM range (together covering the guarded segment's FM range). */
  otherwise: { fm: [number, number]; segment: string }[];
}

/**
 * The guard table: the segments named for loyalty or a fresh start, and where their customers go
 * when they have not bought within the limit — the segment of the same FM at R = 2.
 */
export const SEGMENT_GUARDS: readonly SegmentGuard[] = [
  {
    segment: "Champions",
    otherwise: [{ fm: [5, 5], segment: "Can't lose them" }, { fm: [4, 4], segment: "At risk" }],
  },
  {
    segment: "Loyal",
    otherwise: [{ fm: [5, 5], segment: "Can't lose them" }, { fm: [4, 4], segment: "At risk" }],
  },
  {
    segment: "Potential loyalist",
    otherwise: [{ fm: [3, 3], segment: "At risk" }, { fm: [2, 2], segment: "Hibernating" }],
  },
  { segment: "New", otherwise: [{ fm: [1, 1], segment: "Hibernating" }] },
  { segment: "Promising", otherwise: [{ fm: [1, 1], segment: "Hibernating" }] },
];

/**
 * The typical number of days between two purchases: the median, over customers with at least two
 * purchases, of (last − first purchase day) / (frequency − 1), where last − first = tenure −
 * recency. Null when no customer bought twice.
 *
 * @example
 * ```ts
 * import { typicalPurchaseGap } from "./segments.ts";
 * import { equal } from "node:assert/strict";
 * // gaps: (100 − 10) / 2 = 45, (70 − 10) / 1 = 60, (400 − 40) / 4 = 90; the one-off is left out
 * equal(typicalPurchaseGap([10, 10, 40, 5], [100, 70, 400, 5], [3, 2, 5, 1]), 60);
 * equal(typicalPurchaseGap([5], [5], [1]), null);
 * ```
 *
 * @param recency recency_days per customer
 * @param tenure tenure_days per customer
 * @param frequency purchases (invoices) per customer
 */
export function typicalPurchaseGap(
  recency: ArrayLike<number>,
  tenure: ArrayLike<number>,
  frequency: ArrayLike<number>,
): number | null {
  const gaps: number[] = [];
  for (let i = 0; i < frequency.length; i++) {
    const f = Number(frequency[i]);
    if (f >= 2) gaps.push((Number(tenure[i]) - Number(recency[i])) / (f - 1));
  }
  return median(gaps);
}

/**
 * The recency limit of the guarded segments: the smaller of `recencyMultiple` × the typical gap
 * and `maxRecencyDays` (a limit that is null, or a gap that is null, is left out); null when
 * neither applies (no guard).
 *
 * @example
 * ```ts
 * import { guardLimit } from "./segments.ts";
 * import { equal } from "node:assert/strict";
 * equal(guardLimit(73, { recencyMultiple: 3, maxRecencyDays: 365 }), 219);
 * equal(guardLimit(200, { recencyMultiple: 3, maxRecencyDays: 365 }), 365); // a year at most
 * equal(guardLimit(null, { recencyMultiple: 3, maxRecencyDays: 365 }), 365);
 * equal(guardLimit(73, { recencyMultiple: null, maxRecencyDays: null }), null);
 * ```
 *
 * @param typicalGapDays from {@link typicalPurchaseGap}
 * @param options `rfm.guards`
 */
export function guardLimit(typicalGapDays: number | null, options: RfmGuardConfig): number | null {
  const limits: number[] = [];
  if (options.recencyMultiple !== null && typicalGapDays !== null) {
    limits.push(options.recencyMultiple * typicalGapDays);
  }
  if (options.maxRecencyDays !== null) limits.push(options.maxRecencyDays);
  return limits.length ? Math.min(...limits) : null;
}

/** The recency check of {@link segmentOf}: the customer's recency and the limit of the guards. */
export interface RecencyGuard {
  /** The customer's recency_days. */
  recencyDays: number;
  /** From {@link guardLimit}; null: no guard. */
  limitDays: number | null;
  /** The guard table (default {@link SEGMENT_GUARDS}). */
  guards?: readonly SegmentGuard[];
}

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
 * @param guard the customer's recency and the guards' limit (default: no guard)
 * @throws {Error} when no rule matches (an incomplete custom table), or a guard sends the
 *   customer to a segment that is not in the table or names no segment for its FM
 *
 * @example
 * ```ts
 * import { segmentOf } from "./segments.ts";
 * import { equal } from "node:assert/strict";
 * equal(segmentOf(5, 3, 4).name, "Champions"); // FM = 4 (3.5 rounds up)
 * equal(segmentOf(1, 5, 4).name, "Can't lose them"); // FM = 5
 * equal(segmentOf(3, 3, 3, 3).name, "Champions"); // on a 3-point scale, 3 is the top
 * equal(segmentOf(5, 1, 1).loyaltyLevel, 1); // "New"
 * // R = 4 but no purchase for 300 days, above the limit of 219: not "Loyal"
 * equal(segmentOf(4, 5, 5, 5, undefined, { recencyDays: 300, limitDays: 219 }).name, "Can't lose them");
 * equal(segmentOf(4, 5, 5, 5, undefined, { recencyDays: 200, limitDays: 219 }).name, "Loyal");
 * ```
 */
export function segmentOf(
  r: number,
  f: number,
  m: number,
  bins = 5,
  rules: readonly SegmentRule[] = SEGMENT_RULES,
  guard?: RecencyGuard,
): SegmentRule {
  const r5 = toFivePoint(r, bins);
  const fm = fmScore(toFivePoint(f, bins), toFivePoint(m, bins));
  const hit = rules.find((s) => r5 >= s.r[0] && r5 <= s.r[1] && fm >= s.fm[0] && fm <= s.fm[1]);
  if (!hit) throw new Error(`no segment rule covers R=${r5}, FM=${fm}`);
  if (!guard || guard.limitDays === null || !(guard.recencyDays > guard.limitDays)) return hit;
  const g = (guard.guards ?? SEGMENT_GUARDS).find((x) => x.segment === hit.name);
  if (!g) return hit;
  const to = g.otherwise.find((o) => fm >= o.fm[0] && fm <= o.fm[1]);
  if (!to) throw new Error(`the guard of "${hit.name}" names no segment for FM=${fm}`);
  const rule = rules.find((s) => s.name === to.segment);
  if (!rule) throw new Error(`the guard of "${hit.name}" names an unknown segment "${to.segment}"`);
  return rule;
}
