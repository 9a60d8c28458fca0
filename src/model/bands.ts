/**
 * Score bands on held-out customers: how many customers each band holds, the observed rate of
 * the top level in it, and whether that rate rises from the worst band to the best — the one
 * home of that check, used by the model's evaluation and by the report's sentences.
 *
 * Pure and dependency-free (types only): the report bundle for the browser includes it.
 *
 * @module
 */

import type { ScoreBand } from "../score/score.ts";

/** One score band on the held-out customers. */
export interface BandRow {
  band: string;
  minScore: number;
  maxScore: number;
  customers: number;
  share: number;
  /** Held-out customers of the top level in the band. */
  top: number;
  /** Observed top-level rate (null for an empty band). */
  topRate: number | null;
}

/** Result of {@link bandTrend}. */
export interface BandTrend {
  /** The rate never falls from a band to the next better one (empty bands skipped). */
  rises: boolean;
  /** The rate always increases from a band to the next better one. */
  strictlyRises: boolean;
  /** The first pair (worse → better) where the rate falls, or null. */
  firstFall: { from: string; to: string } | null;
}

/**
 * The held-out customers per score band.
 *
 * @example
 * ```ts
 * import { bandTable } from "./bands.ts";
 * import { deepEqual } from "node:assert/strict";
 * const bands = [{ name: "A", minScore: 50, maxScore: 100 }, { name: "B", minScore: 0, maxScore: 50 }];
 * const rows = bandTable(bands, ["A", "B", "A", "A"], [true, false, false, true]);
 * deepEqual(rows.map((r) => [r.band, r.customers, r.share, r.top, r.topRate]), [
 *   ["A", 3, 0.75, 2, 2 / 3],
 *   ["B", 1, 0.25, 0, 0],
 * ]);
 * deepEqual(bandTable(bands, [], []).map((r) => r.topRate), [null, null]); // empty bands
 * ```
 *
 * @param bands the score scale's bands, best first
 * @param customerBands band name per held-out customer
 * @param isTop per held-out customer: whether its observed level is the top level
 * @returns one row per band, best first
 */
export function bandTable(
  bands: readonly ScoreBand[],
  customerBands: readonly string[],
  isTop: readonly boolean[],
): BandRow[] {
  const n = customerBands.length;
  return bands.map((b) => {
    const members = customerBands.map((s, i) => (s === b.name ? i : -1)).filter((i) => i >= 0);
    const t = members.filter((i) => isTop[i]).length;
    return {
      band: b.name,
      minScore: b.minScore,
      maxScore: b.maxScore,
      customers: members.length,
      share: n === 0 ? 0 : members.length / n,
      top: t,
      topRate: members.length === 0 ? null : t / members.length,
    };
  });
}

/**
 * Whether the observed rate never falls from one band to the next better band.
 *
 * @example
 * ```ts
 * import { bandTrend } from "./bands.ts";
 * import { deepEqual } from "node:assert/strict";
 * const bands = (rates: (number | null)[]) => rates.map((r, i) => ({ band: "ABC"[i], topRate: r }));
 * deepEqual(bandTrend(bands([0.8, 0.5, 0.1])), { rises: true, strictlyRises: true, firstFall: null });
 * deepEqual(bandTrend(bands([0.5, null, 0.5])), { rises: true, strictlyRises: false, firstFall: null });
 * deepEqual(bandTrend(bands([0.3, 0.5, 0.1])).firstFall, { from: "B", to: "A" });
 * ```
 *
 * @param bands bands best first, each with its observed rate (null for an empty band, skipped)
 * @returns `rises` and, when it does not, the first pair (worse → better) where the rate falls
 */
export function bandTrend(
  bands: readonly { band: string; topRate: number | null }[],
): BandTrend {
  const worstFirst = bands.filter((b) => b.topRate !== null).slice().reverse();
  let firstFall: { from: string; to: string } | null = null;
  let strictly = true;
  for (let i = 1; i < worstFirst.length; i++) {
    const prev = worstFirst[i - 1].topRate as number;
    const cur = worstFirst[i].topRate as number;
    if (cur <= prev) strictly = false;
    if (cur < prev && firstFall === null) {
      firstFall = { from: worstFirst[i - 1].band, to: worstFirst[i].band };
    }
  }
  return { rises: firstFall === null, strictlyRises: strictly, firstFall };
}
