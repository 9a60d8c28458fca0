/**
 * Guards of the model stage: the checks that say, in dates and counts a user can act on, why the
 * models cannot be fitted on this data ({@link ModelStageSkipped}), warn when a result rests on
 * very few customers, and cap the k of K-Means and KNN at what the data can support (with a
 * note) instead of failing deep inside with an internal message.
 *
 * Pure (numbers and strings in, numbers and strings out).
 *
 * @module
 */

import { ModelStageSkipped } from "./skip.ts";

/** Fewest customers the models are fitted on (current customers, and customers at the cutoff). */
export const MIN_MODEL_CUSTOMERS = 20;

/** A loyalty level with fewer customers than this at the cutoff gets a warning. */
export const FEW_PER_LEVEL = 10;

/**
 * Share of the outcome window the data must cover: below it the model stage stops; an uncovered
 * tail of more than a week and 5 % of the window gives a warning (a shop's last purchase may
 * fall a few days before the end of its export).
 */
export const MIN_WINDOW_COVERED = 0.5;

/** Thousands separators. */
function fmt(n: number): string {
  return n.toLocaleString("en-GB");
}

/** ISO day (YYYY-MM-DD) of a day number (days since 1970-01-01). */
function iso(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Day number of an ISO day. */
function dayOf(isoDay: string): number {
  return Math.floor(Date.parse(`${isoDay}T00:00:00Z`) / 86_400_000);
}

/**
 * Checks that the data cover the outcome window [cutoff, windowEnd): the cutoff is after the first
 * purchase and before the last one, and the data cover at least {@link MIN_WINDOW_COVERED} of the
 * window; otherwise the labels would count purchases the data do not hold (every customer
 * "lapsed"). A window whose end the data miss by more than a week and 5 % gives a warning.
 *
 * @example
 * ```ts
 * import { checkOutcomeWindow } from "./guards.ts";
 * import { ModelStageSkipped } from "./skip.ts";
 * import { throws } from "node:assert/strict";
 * import { equal, match } from "node:assert/strict";
 * equal(checkOutcomeWindow("2011-01-01", "2011-07-01", "2010-01-04", "2011-06-30"), null);
 * // the data stop two months before the end of the window: a warning
 * match(checkOutcomeWindow("2011-01-01", "2011-07-01", "2010-01-04", "2011-04-30")!, /cover 120 of its 181 days/);
 * throws(
 *   () => checkOutcomeWindow("2012-01-01", "2012-07-01", "2010-01-04", "2011-06-30"),
 *   (e) => e instanceof ModelStageSkipped && /after the last purchase \(2011-06-30\)/.test(e.message),
 * );
 * ```
 *
 * @param cutoff first day of the outcome window (`model.forward.cutoff`)
 * @param windowEnd first day after it (`model.forward.windowEnd`)
 * @param firstDay first day of the data (ISO)
 * @param lastDay last day with a kept purchase (ISO)
 * @returns a warning when the data miss the end of the window, otherwise null
 * @throws {ModelStageSkipped} when the window is not covered
 */
export function checkOutcomeWindow(
  cutoff: string,
  windowEnd: string,
  firstDay: string,
  lastDay: string,
): string | null {
  const c = dayOf(cutoff), w = dayOf(windowEnd), f = dayOf(firstDay), l = dayOf(lastDay);
  const window = `the outcome window ${cutoff} to ${iso(w - 1)} (model.forward.cutoff, windowEnd)`;
  if (c <= f) {
    throw new ModelStageSkipped(
      `${window} starts on or before the first purchase (${firstDay}): no customer has a ` +
        `history before the cutoff; move model.forward.cutoff after ${firstDay}`,
    );
  }
  if (c > l) {
    throw new ModelStageSkipped(
      `${window} starts after the last purchase (${lastDay}): the data hold no purchase in it; ` +
        `move model.forward.cutoff and windowEnd so that the window ends by ${iso(l + 1)}`,
    );
  }
  const covered = Math.min(w, l + 1) - c;
  const missing = w - c - covered;
  if (missing === 0) return null;
  const why = `${window} ends after the last purchase (${lastDay}): the data cover ` +
    `${fmt(covered)} of its ${fmt(w - c)} days, so customers may be counted as lapsed for want ` +
    `of data; set model.forward.windowEnd to ${iso(l + 1)} or earlier (and the cutoff before it)`;
  if (covered < (w - c) * MIN_WINDOW_COVERED) throw new ModelStageSkipped(why);
  return missing > Math.max(7, (w - c) * 0.05) ? why : null;
}

/**
 * Checks the customers per loyalty level in the outcome window: fewer than two populated levels
 * stop the model stage (a model that can only say one level looks perfect and means nothing);
 * an empty level or one with fewer than {@link FEW_PER_LEVEL} customers gives a warning.
 *
 * @example
 * ```ts
 * import { checkLevels } from "./guards.ts";
 * import { ModelStageSkipped } from "./skip.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * const levels = ["lapsed", "occasional", "loyal"];
 * deepEqual(checkLevels(levels, [50, 40, 30], "2011-01-01", "2011-07-01"), []);
 * throws(
 *   () => checkLevels(levels, [120, 0, 0], "2011-01-01", "2011-07-01"),
 *   (e) => e instanceof ModelStageSkipped && /lapsed 120, occasional 0, loyal 0/.test(e.message),
 * );
 * const [w] = checkLevels(levels, [120, 30, 3], "2011-01-01", "2011-07-01");
 * deepEqual(w.slice(0, 32), 'loyalty level "loyal" has only 3');
 * ```
 *
 * @param levels level names, lowest first
 * @param counts customers per level at the cutoff
 * @param cutoff the cutoff (ISO)
 * @param windowEnd the first day after the outcome window (ISO)
 * @returns the warnings (empty when every level has enough customers)
 * @throws {ModelStageSkipped} when fewer than two levels have customers
 */
export function checkLevels(
  levels: readonly string[],
  counts: readonly number[],
  cutoff: string,
  windowEnd: string,
): string[] {
  const list = levels.map((l, i) => `${l} ${fmt(counts[i] ?? 0)}`).join(", ");
  const window = `${cutoff} to ${iso(dayOf(windowEnd) - 1)}`;
  const populated = counts.filter((c) => c > 0).length;
  if (populated < 2) {
    throw new ModelStageSkipped(
      `only ${populated} of the ${levels.length} loyalty levels has customers in the outcome ` +
        `window ${window} (customers per level: ${list}); a model needs at least two. Move ` +
        "model.forward.cutoff/windowEnd to a period the data cover, or change " +
        "occasionalMinInvoices/loyalMinInvoices",
    );
  }
  const warnings: string[] = [];
  levels.forEach((l, i) => {
    const n = counts[i] ?? 0;
    if (n === 0) {
      warnings.push(
        `loyalty level "${l}" has no customer in the outcome window ${window} (${list}): the ` +
          "model never predicts it",
      );
    } else if (n < FEW_PER_LEVEL) {
      warnings.push(
        `loyalty level "${l}" has only ${fmt(n)} customer${n === 1 ? "" : "s"} in the outcome ` +
          `window ${window} (${list}): its metrics rest on very few customers`,
      );
    }
  });
  return warnings;
}

/**
 * Throws unless the level names are distinct (they name the probability columns and classes).
 *
 * @example
 * ```ts
 * import { checkLevelNames } from "./guards.ts";
 * import { throws } from "node:assert/strict";
 * checkLevelNames(["lapsed", "occasional", "loyal"]);
 * throws(() => checkLevelNames(["low", "low", "high"]), /"low" twice/);
 * ```
 */
export function checkLevelNames(levels: readonly string[]): void {
  const seen = new Set<string>();
  for (const l of levels) {
    if (seen.has(l)) {
      throw new Error(
        `model.forward.levels names "${l}" twice (${
          levels.join(", ")
        }): give each level its own name`,
      );
    }
    seen.add(l);
  }
}

/**
 * Checks that there are enough customers to fit and evaluate a model: at least
 * {@link MIN_MODEL_CUSTOMERS}, and enough for `folds` cross-validation folds after the held-out
 * share.
 *
 * @example
 * ```ts
 * import { checkCustomerCount } from "./guards.ts";
 * import { ModelStageSkipped } from "./skip.ts";
 * import { throws } from "node:assert/strict";
 * checkCustomerCount(400, 5, 0.25, "current customers");
 * throws(
 *   () => checkCustomerCount(2, 5, 0.25, "customers with a purchase before 2011-01-01"),
 *   (e) => e instanceof ModelStageSkipped && /only 2 customers with a purchase/.test(e.message),
 * );
 * ```
 *
 * @param n customers
 * @param folds cross-validation folds (`model.knn.folds`)
 * @param testShare held-out share (`model.knn.testShare`)
 * @param what who the customers are, for the message
 * @throws {ModelStageSkipped} when there are too few
 */
export function checkCustomerCount(
  n: number,
  folds: number,
  testShare: number,
  what: string,
): void {
  const need = Math.max(MIN_MODEL_CUSTOMERS, Math.ceil((2 * folds) / (1 - testShare)));
  if (n < need) {
    throw new ModelStageSkipped(
      `there are only ${fmt(n)} ${what}; the models need at least ${fmt(need)} (a held-out ` +
        `share of ${testShare} and ${folds} cross-validation folds of at least two customers)`,
    );
  }
}

/**
 * Number of distinct rows (points compared exactly).
 *
 * @example
 * ```ts
 * import { distinctRows } from "./guards.ts";
 * import { equal } from "node:assert/strict";
 * equal(distinctRows([[1, 2], [1, 2], [3, 4]]), 2);
 * ```
 */
export function distinctRows(rows: readonly (readonly number[])[]): number {
  return new Set(rows.map((r) => r.join(","))).size;
}

/**
 * A k grid capped at `max`: values above it are dropped and `max` itself is added when any was;
 * the note says so (null when nothing changed).
 *
 * @example
 * ```ts
 * import { capGrid } from "./guards.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * deepEqual(capGrid([1, 5, 50, 100], 20, "the KNN k grid", "training customers per fold").grid, [1, 5, 20]);
 * equal(capGrid([1, 5], 20, "k", "rows").note, null);
 * ```
 *
 * @param grid the configured values
 * @param max the largest value the data support (≥ 1)
 * @param what what the grid is, for the note
 * @param why what `max` counts, for the note
 */
export function capGrid(
  grid: readonly number[],
  max: number,
  what: string,
  why: string,
): { grid: number[]; note: string | null } {
  const cap = Math.max(1, Math.floor(max));
  if (grid.every((k) => k <= cap)) return { grid: [...grid], note: null };
  const kept = [...new Set([...grid.filter((k) => k <= cap), cap])].sort((a, b) => a - b);
  const dropped = grid.filter((k) => k > cap);
  return {
    grid: kept,
    note: `${what} was capped at ${fmt(cap)} (${why}): ${dropped.join(", ")} left out`,
  };
}
