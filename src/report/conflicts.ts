/**
 * RFM segments against the loyalty model: a cross-table of every customer's segment (rows, in
 * rule order) by predicted loyalty level (columns), and the cells where the two contradict each
 * other — a segment that implies one end of the level scale (its `loyaltyLevel` in
 * `rfm/segments.ts`) with a prediction at the other end: a "Champions" or "Loyal" customer
 * predicted to lapse, or a "Lost" customer predicted to be loyal. Pure.
 *
 * @module
 */

import { SEGMENT_RULES, type SegmentRule } from "../rfm/segments.ts";

/** Options of {@link segmentLevelConflicts}. */
export interface ConflictOptions {
  /** Level names, lowest first (default lapsed, occasional, loyal). */
  levels?: readonly string[];
  /**
   * Smallest distance between the level a segment implies and the predicted level that is a
   * conflict (default: the number of levels − 1, i.e. opposite ends of the scale).
   */
  minGap?: number;
}

/** One segment's row of the cross-table. */
export interface SegmentLevelRow {
  segment: string;
  /** The level the segment implies today. */
  impliedLevel: string;
  /** Scored customers in the segment. */
  customers: number;
  /** Customers per predicted level, lowest level first. */
  predicted: number[];
  /** Customers of the segment in conflicting cells. */
  conflicts: number;
}

/** One conflicting cell. */
export interface SegmentConflict {
  segment: string;
  impliedLevel: string;
  predictedLevel: string;
  customers: number;
  /** Share of the segment's scored customers. */
  share: number;
}

/** Result of {@link segmentLevelConflicts}. */
export interface SegmentLevelTable {
  levels: string[];
  /** One row per rule, in rule order (empty segments included). */
  rows: SegmentLevelRow[];
  /** The conflicting cells with customers, most customers first (ties: rule, then level order). */
  conflicts: SegmentConflict[];
  /** Customers in conflicting cells. */
  conflicted: number;
  /** Customers with a segment and a predicted level. */
  customers: number;
  /** Customers without a predicted level (left out of the table). */
  unscored: number;
  /** The distance between implied and predicted level that counts as a conflict. */
  minGap: number;
}

const DEFAULT_LEVELS = ["lapsed", "occasional", "loyal"];

/**
 * Cross-tabulates RFM segments against predicted loyalty levels and flags the conflicts.
 *
 * @example
 * ```ts
 * import { segmentLevelConflicts } from "./conflicts.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const t = segmentLevelConflicts(
 *   ["Loyal", "Loyal", "Loyal", "Lost", "Lost", "New"],
 *   ["loyal", "lapsed", "lapsed", "lapsed", "loyal", null],
 * );
 * equal(t.customers, 5);
 * equal(t.unscored, 1);
 * deepEqual(t.rows.find((r) => r.segment === "Loyal")?.predicted, [2, 0, 1]);
 * deepEqual(t.conflicts.map((c) => [c.segment, c.predictedLevel, c.customers]), [
 *   ["Loyal", "lapsed", 2],
 *   ["Lost", "loyal", 1],
 * ]);
 * equal(t.conflicted, 3);
 * ```
 *
 * @param segments RFM segment per customer
 * @param predictedLevels predicted level per customer: its name or index (lowest = 0); null or
 *   undefined for a customer without a prediction
 * @param rules the segment rule table (default `SEGMENT_RULES`)
 * @param options level names and the conflict distance
 * @throws {RangeError} when the lengths differ, a segment is not in `rules`, or a level is unknown
 */
export function segmentLevelConflicts(
  segments: readonly string[],
  predictedLevels: readonly (string | number | null | undefined)[],
  rules: readonly SegmentRule[] = SEGMENT_RULES,
  options: ConflictOptions = {},
): SegmentLevelTable {
  if (segments.length !== predictedLevels.length) {
    throw new RangeError(`${segments.length} segments but ${predictedLevels.length} levels`);
  }
  const levels = [...(options.levels ?? DEFAULT_LEVELS)];
  const minGap = options.minGap ?? levels.length - 1;
  const rowOf = new Map(rules.map((r, i) => [r.name, i]));
  const counts = rules.map(() => new Array<number>(levels.length).fill(0));
  let unscored = 0;
  for (let i = 0; i < segments.length; i++) {
    const row = rowOf.get(segments[i]);
    if (row === undefined) throw new RangeError(`unknown segment "${segments[i]}"`);
    const p = predictedLevels[i];
    if (p === null || p === undefined) {
      unscored++;
      continue;
    }
    const col = typeof p === "number" ? p : levels.indexOf(p);
    if (!Number.isInteger(col) || col < 0 || col >= levels.length) {
      throw new RangeError(`unknown level ${JSON.stringify(p)} of customer ${i}`);
    }
    counts[row][col]++;
  }
  const conflicts: SegmentConflict[] = [];
  const rows = rules.map((rule, r) => {
    const customers = counts[r].reduce((s, x) => s + x, 0);
    const implied = Math.min(rule.loyaltyLevel, levels.length - 1);
    let inConflict = 0;
    counts[r].forEach((n, c) => {
      if (n === 0 || Math.abs(c - implied) < minGap) return;
      inConflict += n;
      conflicts.push({
        segment: rule.name,
        impliedLevel: levels[implied],
        predictedLevel: levels[c],
        customers: n,
        share: n / customers,
      });
    });
    return {
      segment: rule.name,
      impliedLevel: levels[implied],
      customers,
      predicted: counts[r],
      conflicts: inConflict,
    };
  });
  conflicts.sort((a, b) => b.customers - a.customers); // stable: rule, then level order
  const customers = rows.reduce((s, r) => s + r.customers, 0);
  const conflicted = rows.reduce((s, r) => s + r.conflicts, 0);
  return { levels, rows, conflicts, conflicted, customers, unscored, minGap };
}

/**
 * One sentence on the conflicts, for the report.
 *
 * @example
 * ```ts
 * import { conflictSentence, segmentLevelConflicts } from "./conflicts.ts";
 * import { equal } from "node:assert/strict";
 * const t = segmentLevelConflicts(["Loyal", "Loyal", "Lost", "Champions"], ["lapsed", "lapsed", "loyal", "loyal"]);
 * equal(
 *   conflictSentence(t),
 *   "3 of 4 customers (75.0 %) are in a segment that contradicts their predicted level: " +
 *     "2 “Loyal” customers are predicted “lapsed”; 1 “Lost” customer is predicted “loyal”.",
 * );
 * equal(
 *   conflictSentence(segmentLevelConflicts(["Loyal"], ["loyal"])),
 *   "No customer is in a segment that contradicts their predicted level (a segment implying “loyal” predicted “lapsed”, or the reverse).",
 * );
 * ```
 *
 * @param t from {@link segmentLevelConflicts}
 * @param max most conflicting cells named (default 3; the rest are summed as "others")
 */
export function conflictSentence(t: SegmentLevelTable, max = 3): string {
  const low = t.levels[0];
  const high = t.levels[t.levels.length - 1];
  if (t.conflicted === 0) {
    return "No customer is in a segment that contradicts their predicted level " +
      `(a segment implying “${high}” predicted “${low}”, or the reverse).`;
  }
  const n = (x: number) => x.toLocaleString("en-US");
  const cells = t.conflicts.slice(0, max).map((c) =>
    `${n(c.customers)} “${c.segment}” customer${c.customers === 1 ? " is" : "s are"} ` +
    `predicted “${c.predictedLevel}”`
  );
  const rest = t.conflicts.slice(max).reduce((s, c) => s + c.customers, 0);
  if (rest > 0) cells.push(`${n(rest)} other${rest === 1 ? "" : "s"}`);
  const share = ((100 * t.conflicted) / t.customers).toFixed(1);
  return `${n(t.conflicted)} of ${n(t.customers)} customers (${share} %) are in a segment that ` +
    `contradicts their predicted level: ${cells.join("; ")}.`;
}
