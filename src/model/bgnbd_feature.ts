/**
 * The BG/NBD expected purchases as a customer feature (`bgnbd_expected` in the feature registry):
 * at a reference date R, the BG/NBD model (Fader, Hardie and Lee 2005; `bgnbd.ts`) is fitted on
 * every customer's purchase history strictly before R — nothing after R, so at a training cutoff
 * the feature sees no outcome — and each customer's expected number of purchases in the next
 * `horizonDays` days is the feature value. Weeks are the time unit: `x` = distinct purchase days
 * − 1, `tx` = (last − first purchase day) / 7, `T` = (R − 1 − first purchase day) / 7 — the same
 * summary as the BG/NBD baseline.
 *
 * Pure.
 *
 * @module
 */

import { type BgNbdModel, expectedPurchases, fitBgNbd } from "./bgnbd.ts";

/** The registry name of the feature. */
export const BGNBD_FEATURE = "bgnbd_expected";

/** Whole-history purchase days per customer before the reference date (day numbers). */
export interface PurchaseHistory {
  /** Distinct purchase days per customer. */
  purchaseDays: readonly number[];
  /** First purchase day per customer. */
  firstDay: readonly number[];
  /** Last purchase day per customer. */
  lastDay: readonly number[];
}

/**
 * Fits BG/NBD on the histories before the reference day and returns every customer's expected
 * purchases in the next `horizonDays` days, with the fitted parameters.
 *
 * @example
 * ```ts
 * import { bgnbdExpectedFeature } from "./bgnbd_feature.ts";
 * import { equal, ok } from "node:assert/strict";
 * // day numbers, reference day 1000: per group of three, a regular buyer still active (a), the
 * // same purchases stopped long ago (b), and a one-off buyer (c)
 * const purchaseDays = [], firstDay = [], lastDay = [];
 * for (let i = 0; i < 20; i++) {
 *   purchaseDays.push(10, 10, 1);
 *   firstDay.push(500 + i, 500 + i, 900 + i);
 *   lastDay.push(990, 600 + i, 900 + i);
 * }
 * const { values, fit } = bgnbdExpectedFeature({ purchaseDays, firstDay, lastDay }, 1000, 180);
 * ok(values.every((v) => v >= 0));
 * ok(values[0] > values[1]); // the same purchases, the last one recent: more expected
 * equal(fit.customers, 60);
 * ```
 *
 * @param history distinct purchase days, first and last purchase day per customer (before R)
 * @param referenceDay R as a day number; purchases on days < R count
 * @param horizonDays days of the period the purchases are expected in (> 0)
 * @returns the feature per customer (same order) and the fitted model
 * @throws {RangeError} for an invalid history (a last day on or after R, …) or no customer
 */
export function bgnbdExpectedFeature(
  history: PurchaseHistory,
  referenceDay: number,
  horizonDays: number,
): { values: number[]; fit: BgNbdModel } {
  const end = referenceDay - 1; // the last day of the calibration period
  const x = history.purchaseDays.map((n) => n - 1);
  const tx = history.lastDay.map((l, i) => (l - history.firstDay[i]) / 7);
  const T = history.firstDay.map((f) => (end - f) / 7);
  const fit = fitBgNbd({ x, tx, T });
  const weeks = horizonDays / 7;
  const values = x.map((xi, i) => expectedPurchases(fit, weeks, { x: xi, tx: tx[i], T: T[i] }));
  return { values, fit };
}
