/**
 * Customers over time, for the report's "Trends" views: revenue, orders and active customers by
 * calendar month, cohort retention (the share of each first-purchase month's customers still
 * buying N months later) and the segment migration matrix (which segment each customer was in at
 * one date and is in at another). Pure functions over plain arrays; the site's data loaders read
 * the tables and call them.
 *
 * Months are UTC calendar months, numbered `year × 12 + month − 1` ({@link monthNumber}).
 *
 * @module
 */

import { dayIso } from "../lib/time.ts";

/** The month number (`year × 12 + month − 1`) of a day number (days since 1970-01-01, UTC). */
export function monthNumber(day: number): number {
  const iso = dayIso(day);
  return Number(iso.slice(0, 4)) * 12 + Number(iso.slice(5, 7)) - 1;
}

/** "2011-03" for a month number. */
export function monthLabel(month: number): string {
  const y = Math.floor(month / 12);
  return `${y}-${String(month - y * 12 + 1).padStart(2, "0")}`;
}

/** One calendar month of {@link monthlyActivity}. */
export interface MonthRow {
  /** "2011-03". */
  month: string;
  /** Net revenue of the month's kept lines. */
  revenue: number;
  /** Orders: distinct invoices (distinct customer-days without invoices). */
  orders: number;
  /** Customers with at least one purchase in the month. */
  customers: number;
  /** Of them, customers whose first purchase is in the month. */
  newCustomers: number;
  /** Whether the data covers only part of the month (the first or last month). */
  partial: boolean;
}

/**
 * Revenue, orders and active customers per calendar month, every month from the first to the
 * last purchase (months without purchases included, with zeros).
 *
 * @example
 * ```ts
 * import { monthlyActivity } from "./activity.ts";
 * import { isoDay } from "../lib/time.ts";
 * import { deepEqual } from "node:assert/strict";
 * const days = ["2011-01-01", "2011-01-20", "2011-03-05", "2011-03-31"].map(isoDay);
 * deepEqual(monthlyActivity(days, ["a", "b", "a", "a"], [10, 5, 7, 1], ["1", "2", "3", "4"]), [
 *   { month: "2011-01", revenue: 15, orders: 2, customers: 2, newCustomers: 2, partial: false },
 *   { month: "2011-02", revenue: 0, orders: 0, customers: 0, newCustomers: 0, partial: false },
 *   { month: "2011-03", revenue: 8, orders: 2, customers: 1, newCustomers: 0, partial: false },
 * ]);
 * ```
 *
 * @param days purchase day of each line (days since 1970-01-01)
 * @param customers customer id of each line
 * @param values net value of each line
 * @param invoices invoice of each line (null or absent: a purchase is a customer on one day)
 */
export function monthlyActivity(
  days: ArrayLike<number>,
  customers: readonly string[],
  values: ArrayLike<number>,
  invoices?: readonly (string | null)[] | null,
): MonthRow[] {
  const n = days.length;
  if (n === 0) return [];
  let dMin = Infinity;
  let dMax = -Infinity;
  for (let i = 0; i < n; i++) {
    if (days[i] < dMin) dMin = days[i];
    if (days[i] > dMax) dMax = days[i];
  }
  const m0 = monthNumber(dMin);
  const m1 = monthNumber(dMax);
  const months = m1 - m0 + 1;
  const revenue = new Float64Array(months);
  const orders = Array.from({ length: months }, () => new Set<string>());
  const active = Array.from({ length: months }, () => new Set<string>());
  const first = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const m = monthNumber(days[i]) - m0;
    revenue[m] += values[i];
    orders[m].add(invoices?.[i] ?? `${customers[i]}\u0000${days[i]}`);
    active[m].add(customers[i]);
    const f = first.get(customers[i]);
    if (f === undefined || m < f) first.set(customers[i], m);
  }
  const fresh = new Array<number>(months).fill(0);
  for (const m of first.values()) fresh[m]++;
  const firstIso = dayIso(dMin);
  const lastIso = dayIso(dMax);
  const lastDayOfMonth = (m: number) => {
    const y = Math.floor(m / 12);
    return new Date(Date.UTC(y, m - y * 12 + 1, 0)).getUTCDate();
  };
  return Array.from({ length: months }, (_, j) => ({
    month: monthLabel(m0 + j),
    revenue: Math.round(revenue[j] * 100) / 100,
    orders: orders[j].size,
    customers: active[j].size,
    newCustomers: fresh[j],
    partial: (j === 0 && firstIso.slice(8) !== "01") ||
      (j === months - 1 && Number(lastIso.slice(8)) !== lastDayOfMonth(m0 + j)),
  }));
}

/** One cohort of {@link cohortRetention}. */
export interface CohortRow {
  /** First-purchase month, "2010-12". */
  cohort: string;
  /** Customers whose first purchase is in the month. */
  customers: number;
  /** Customers of the cohort buying N months later, N = 0, 1, … up to the last month of data. */
  active: number[];
  /** `active / customers`. */
  retention: number[];
}

/**
 * Cohort retention: customers grouped by the month of their first purchase; for each later
 * month, how many of them bought in it (month 0 is the first month itself: everybody). Months
 * after the last month of data are not listed, so later cohorts have shorter rows.
 *
 * @example
 * ```ts
 * import { cohortRetention } from "./activity.ts";
 * import { isoDay } from "../lib/time.ts";
 * import { deepEqual } from "node:assert/strict";
 * const days = ["2011-01-03", "2011-01-09", "2011-02-10", "2011-03-01", "2011-02-02"].map(isoDay);
 * deepEqual(cohortRetention(days, ["a", "b", "a", "a", "c"]), [
 *   { cohort: "2011-01", customers: 2, active: [2, 1, 1], retention: [1, 0.5, 0.5] },
 *   { cohort: "2011-02", customers: 1, active: [1, 0], retention: [1, 0] },
 * ]);
 * ```
 *
 * @param days purchase day of each line (days since 1970-01-01)
 * @param customers customer id of each line
 */
export function cohortRetention(
  days: ArrayLike<number>,
  customers: readonly string[],
): CohortRow[] {
  const n = days.length;
  if (n === 0) return [];
  const months = new Map<string, Set<number>>();
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    const m = monthNumber(days[i]);
    if (m > last) last = m;
    let s = months.get(customers[i]);
    if (!s) months.set(customers[i], s = new Set());
    s.add(m);
  }
  const cohorts = new Map<number, { customers: number; active: number[] }>();
  for (const s of months.values()) {
    const first = Math.min(...s);
    let c = cohorts.get(first);
    if (!c) cohorts.set(first, c = { customers: 0, active: new Array(last - first + 1).fill(0) });
    c.customers++;
    for (const m of s) c.active[m - first]++;
  }
  return [...cohorts.entries()].sort((a, b) => a[0] - b[0]).map(([m, c]) => ({
    cohort: monthLabel(m),
    customers: c.customers,
    active: c.active,
    retention: c.active.map((a) => a / c.customers),
  }));
}

/** Result of {@link migrationMatrix}. */
export interface Migration {
  /** Row labels: the segments at the earlier date, then `newLabel` for customers new since. */
  from: string[];
  /** Column labels: the segments at the later date. */
  to: string[];
  /** `counts[i][j]`: customers in `from[i]` then and in `to[j]` now. */
  counts: number[][];
  /** Customers in the earlier table but not in the later one (0 when the later holds everyone). */
  gone: number;
}

/**
 * How customers moved between segments from one date to another: a count per (segment then,
 * segment now), customers who were not yet customers at the earlier date in a last row. Segments
 * are listed in `order` (those that occur; others after, alphabetically), and empty rows and
 * columns are left out.
 *
 * @example
 * ```ts
 * import { migrationMatrix } from "./activity.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   migrationMatrix(
 *     { ids: ["a", "b", "c"], segments: ["Loyal", "Loyal", "Lost"] },
 *     { ids: ["a", "b", "c", "d"], segments: ["Loyal", "At risk", "Lost", "New"] },
 *     ["Loyal", "New", "At risk", "Lost"],
 *   ),
 *   {
 *     from: ["Loyal", "Lost", "New since then"],
 *     to: ["Loyal", "New", "At risk", "Lost"],
 *     counts: [[1, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0]],
 *     gone: 0,
 *   },
 * );
 * ```
 *
 * @param then ids and segments at the earlier date
 * @param now ids and segments at the later date
 * @param order the segments' display order (the rule table's)
 * @param newLabel the label of customers new since the earlier date
 */
export function migrationMatrix(
  then: { ids: readonly string[]; segments: readonly string[] },
  now: { ids: readonly string[]; segments: readonly string[] },
  order: readonly string[],
  newLabel = "New since then",
): Migration {
  const before = new Map(then.ids.map((id, i) => [id, then.segments[i]]));
  const sortSegments = (names: Set<string>) => [
    ...order.filter((s) => names.has(s)),
    ...[...names].filter((s) => !order.includes(s)).sort(),
  ];
  const rowsSeen = new Set(then.segments);
  const colsSeen = new Set(now.segments);
  const from = sortSegments(rowsSeen);
  const to = sortSegments(colsSeen);
  const hasNew = now.ids.some((id) => !before.has(id));
  if (hasNew) from.push(newLabel);
  const ri = new Map(from.map((s, i) => [s, i]));
  const ci = new Map(to.map((s, i) => [s, i]));
  const counts = from.map(() => new Array<number>(to.length).fill(0));
  const present = new Set<string>();
  now.ids.forEach((id, j) => {
    present.add(id);
    const r = before.has(id) ? ri.get(before.get(id)!)! : ri.get(newLabel)!;
    counts[r][ci.get(now.segments[j])!]++;
  });
  const gone = then.ids.filter((id) => !present.has(id)).length;
  return { from, to, counts, gone };
}
