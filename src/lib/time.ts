/**
 * Time units and calendar days: the one place that knows how long a day is and how ISO dates map
 * to day numbers. Pure (no Deno or Node API), so the browser bundle can use it too.
 *
 * @module
 */

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/** Microseconds in a day (polars' timestamp unit). */
export const DAY_US = 86_400_000_000;

/**
 * Days since 1970-01-01 of an ISO date (`YYYY-MM-DD`; only the first ten characters are read, as a
 * UTC calendar day).
 *
 * @example
 * ```ts
 * import { isoDay } from "./time.ts";
 * import { equal } from "node:assert/strict";
 * equal(isoDay("1970-01-02"), 1);
 * equal(isoDay("2011-12-10T00:00:00Z"), 15318);
 * ```
 * @throws {RangeError} when the date does not parse
 */
export function isoDay(date: string): number {
  const v = Date.parse(`${String(date).slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(v)) throw new RangeError(`not an ISO date: "${String(date).slice(0, 40)}"`);
  return Math.round(v / DAY_MS);
}

/**
 * ISO date (`YYYY-MM-DD`) of a day number since 1970-01-01.
 *
 * @example
 * ```ts
 * import { dayIso } from "./time.ts";
 * import { equal } from "node:assert/strict";
 * equal(dayIso(15318), "2011-12-10");
 * ```
 */
export function dayIso(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Whole days from ISO date `a` to ISO date `b` (negative when `b` is earlier), as UTC calendar
 * days.
 *
 * @example
 * ```ts
 * import { daysBetween } from "./time.ts";
 * import { equal } from "node:assert/strict";
 * equal(daysBetween("2010-12-01", "2011-12-10"), 374);
 * equal(daysBetween("2011-12-10", "2010-12-01"), -374);
 * ```
 * @throws {RangeError} when a date does not parse
 */
export function daysBetween(a: string, b: string): number {
  return isoDay(b) - isoDay(a);
}
