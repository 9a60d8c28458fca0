/**
 * Money where a manager decides: per RFM segment the customers, revenue, orders, average order
 * value and median recency, frequency and net revenue (what R's `rfm` package reports as
 * `rfm_segment_summary`); the target groups of the Overview (segment, or segment × score band,
 * with the revenue and the share predicted to lapse); how revenue accumulates when customers are
 * taken in order of score or of lapse risk; and the value of the lines the cleaning dropped, per
 * reason. Pure functions over plain arrays; the site's data loaders call them.
 *
 * @module
 */

import { median } from "../lib/stats.ts";

/** One segment of {@link segmentSummary}. */
export interface SegmentMoney {
  segment: string;
  customers: number;
  /** Share of all customers. */
  share: number;
  revenue: number;
  /** Share of all net revenue (null when total revenue is 0). */
  revenueShare: number | null;
  /** Orders (invoices) of the segment's customers. */
  orders: number;
  /** Revenue per order (null without orders). */
  avgOrderValue: number | null;
  /** Revenue per customer. */
  revenuePerCustomer: number;
  medianRecencyDays: number | null;
  medianFrequency: number | null;
  medianMonetary: number | null;
}

/**
 * The money summary of each segment, in `order` (segments without customers are left out; a
 * segment missing from `order` comes after, alphabetically).
 *
 * @example
 * ```ts
 * import { segmentSummary } from "./money.ts";
 * import { deepEqual } from "node:assert/strict";
 * const rows = segmentSummary(
 *   { segment: ["Lost", "Champions", "Champions"], recency: [300, 2, 6], frequency: [1, 8, 4], monetary: [20, 900, 380] },
 *   ["Champions", "Loyal", "Lost"],
 * );
 * deepEqual(rows.map((r) => [r.segment, r.customers, r.revenue, r.orders, r.avgOrderValue, r.medianRecencyDays]), [
 *   ["Champions", 2, 1280, 12, 1280 / 12, 4],
 *   ["Lost", 1, 20, 1, 20, 300],
 * ]);
 * ```
 *
 * @param c per customer: segment, recency_days, frequency (orders) and monetary
 * @param order the segments' display order (the rule table's)
 */
export function segmentSummary(
  c: {
    segment: readonly string[];
    recency: ArrayLike<number>;
    frequency: ArrayLike<number>;
    monetary: ArrayLike<number>;
  },
  order: readonly string[],
): SegmentMoney[] {
  const groups = new Map<string, number[]>();
  c.segment.forEach((s, i) => {
    let g = groups.get(s);
    if (!g) groups.set(s, g = []);
    g.push(i);
  });
  const n = c.segment.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += c.monetary[i];
  const names = [
    ...order.filter((s) => groups.has(s)),
    ...[...groups.keys()].filter((s) => !order.includes(s)).sort(),
  ];
  return names.map((segment) => {
    const idx = groups.get(segment)!;
    const pick = (a: ArrayLike<number>) => idx.map((i) => a[i]);
    const revenue = round2(pick(c.monetary).reduce((s, x) => s + x, 0));
    const orders = pick(c.frequency).reduce((s, x) => s + x, 0);
    return {
      segment,
      customers: idx.length,
      share: n ? idx.length / n : 0,
      revenue,
      revenueShare: total ? revenue / total : null,
      orders,
      avgOrderValue: orders ? revenue / orders : null,
      revenuePerCustomer: revenue / idx.length,
      medianRecencyDays: median(pick(c.recency)),
      medianFrequency: median(pick(c.frequency)),
      medianMonetary: median(pick(c.monetary)),
    };
  });
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** One target group of {@link targetGroups}. */
export interface TargetGroup {
  segment: string;
  /** The score band, or null for the whole segment. */
  band: string | null;
  customers: number;
  revenue: number;
  /** Customers predicted to lapse (their predicted level is the lowest). */
  predictedLapse: number;
  /** `predictedLapse / customers`. */
  lapseShare: number;
  /** Mean probability of lapsing (null without probabilities). */
  meanLapseProbability: number | null;
  /** Revenue of the customers predicted to lapse. */
  revenueAtRisk: number;
}

/**
 * Target groups: every segment with customers, and every segment × band with customers, with
 * their revenue and how many are predicted to lapse. Segments in `order`, bands in `bands`
 * order (best first).
 *
 * @example
 * ```ts
 * import { targetGroups } from "./money.ts";
 * import { deepEqual } from "node:assert/strict";
 * const g = targetGroups(
 *   {
 *     segment: ["At risk", "At risk", "Champions"],
 *     band: ["A", "C", "A"],
 *     lapsed: [false, true, false],
 *     pLapse: [0.1, 0.7, 0.05],
 *     monetary: [500, 300, 2000],
 *   },
 *   ["Champions", "At risk"],
 *   ["A", "B", "C"],
 * );
 * deepEqual(g.segments.map((s) => [s.segment, s.customers, s.revenue, s.lapseShare, s.revenueAtRisk]), [
 *   ["Champions", 1, 2000, 0, 0],
 *   ["At risk", 2, 800, 0.5, 300],
 * ]);
 * deepEqual(g.bands.map((s) => `${s.segment} ${s.band}: ${s.customers}`), ["Champions A: 1", "At risk A: 1", "At risk C: 1"]);
 * ```
 *
 * @param c per customer: segment, band (null without a model), predicted to lapse, P(lapse)
 *   (null without probabilities), net revenue
 * @param order the segments' display order
 * @param bands the band names, best first
 */
export function targetGroups(
  c: {
    segment: readonly string[];
    band: readonly (string | null)[] | null;
    lapsed: readonly boolean[] | null;
    pLapse: ArrayLike<number> | null;
    monetary: ArrayLike<number>;
  },
  order: readonly string[],
  bands: readonly string[],
): { segments: TargetGroup[]; bands: TargetGroup[] } {
  const groups = new Map<string, number[]>();
  const add = (key: string, i: number) => {
    let g = groups.get(key);
    if (!g) groups.set(key, g = []);
    g.push(i);
  };
  c.segment.forEach((s, i) => {
    add(`${s}\u0000`, i);
    const b = c.band?.[i];
    if (b != null) add(`${s}\u0000${b}`, i);
  });
  const group = (segment: string, band: string | null): TargetGroup | null => {
    const idx = groups.get(`${segment}\u0000${band ?? ""}`);
    if (!idx) return null;
    let revenue = 0;
    let lapse = 0;
    let atRisk = 0;
    let p = 0;
    for (const i of idx) {
      revenue += c.monetary[i];
      if (c.lapsed?.[i]) {
        lapse++;
        atRisk += c.monetary[i];
      }
      if (c.pLapse) p += c.pLapse[i];
    }
    return {
      segment,
      band,
      customers: idx.length,
      revenue: round2(revenue),
      predictedLapse: lapse,
      lapseShare: lapse / idx.length,
      meanLapseProbability: c.pLapse ? p / idx.length : null,
      revenueAtRisk: round2(atRisk),
    };
  };
  const present = [...new Set(c.segment)];
  const segs = [
    ...order.filter((s) => present.includes(s)),
    ...present.filter((s) => !order.includes(s)).sort(),
  ];
  return {
    segments: segs.map((s) => group(s, null)!),
    bands: segs.flatMap((s) => bands.map((b) => group(s, b)).filter((g) => g !== null)),
  };
}

/** One point of {@link cumulativeShares}. */
export interface SharePoint {
  /** Share of customers taken, in the given order. */
  share: number;
  /** Share of the total weight (revenue) they hold. */
  captured: number;
}

/**
 * How a weight (revenue) accumulates when customers are taken in order of a key, highest key
 * first: the share of the total held by the first 5 %, 10 %, … 100 % (ties broken by row order).
 *
 * @example
 * ```ts
 * import { cumulativeShares } from "./money.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(cumulativeShares([3, 1, 2, 0], [60, 10, 20, 10], [0.25, 0.5, 1]), [
 *   { share: 0, captured: 0 },
 *   { share: 0.25, captured: 0.6 },
 *   { share: 0.5, captured: 0.8 },
 *   { share: 1, captured: 1 },
 * ]);
 * ```
 *
 * @param key the ordering key per customer (score, or probability of lapsing)
 * @param weight the weight per customer (net revenue)
 * @param shares the shares of customers to report (default 0.05, 0.1, … 1)
 */
export function cumulativeShares(
  key: ArrayLike<number>,
  weight: ArrayLike<number>,
  shares: readonly number[] = Array.from({ length: 20 }, (_, i) => (i + 1) / 20),
): SharePoint[] {
  const n = key.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key[b] - key[a] || a - b);
  const cum = new Float64Array(n + 1);
  order.forEach((r, i) => (cum[i + 1] = cum[i] + Math.max(0, weight[r])));
  const total = cum[n];
  return [
    { share: 0, captured: 0 },
    ...shares.map((s) => ({
      share: s,
      captured: total ? cum[Math.round(s * n)] / total : 0,
    })),
  ];
}

/** One reason of {@link droppedValue}. */
export interface DroppedValue {
  reason: string;
  lines: number;
  /** Net value of the dropped lines (cancellations are negative). */
  value: number;
  /** Customers with at least one line dropped for the reason (missing ids not counted). */
  customers: number;
}

/**
 * The lines dropped per cleaning reason with their net value, in the rules' order.
 *
 * @example
 * ```ts
 * import { droppedValue } from "./money.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   droppedValue(["cancellation", "missing_customer", "cancellation"], [-10, 25.5, -2.25], ["c1", null, "c1"], ["missing_customer", "cancellation"]),
 *   [
 *     { reason: "missing_customer", lines: 1, value: 25.5, customers: 0 },
 *     { reason: "cancellation", lines: 2, value: -12.25, customers: 1 },
 *   ],
 * );
 * ```
 *
 * @param reasons reason per dropped line
 * @param values line value per dropped line (NaN or null for an unreadable value: not summed)
 * @param customers customer id per dropped line (null when missing)
 * @param order the cleaning rules' codes in order
 */
export function droppedValue(
  reasons: readonly string[],
  values: ArrayLike<number | null>,
  customers: readonly (string | null)[],
  order: readonly string[],
): DroppedValue[] {
  const by = new Map<string, { lines: number; value: number; ids: Set<string> }>();
  reasons.forEach((r, i) => {
    let g = by.get(r);
    if (!g) by.set(r, g = { lines: 0, value: 0, ids: new Set() });
    g.lines++;
    const v = values[i];
    if (v !== null && Number.isFinite(v)) g.value += v;
    const id = customers[i];
    if (id !== null && id !== "") g.ids.add(id);
  });
  const names = [
    ...order.filter((r) => by.has(r)),
    ...[...by.keys()].filter((r) => !order.includes(r)).sort(),
  ];
  return names.map((reason) => {
    const g = by.get(reason)!;
    return { reason, lines: g.lines, value: round2(g.value), customers: g.ids.size };
  });
}
