/**
 * Rounding of report numbers and of model points to 6 decimals, so that the numbers written to
 * JSON are the numbers the model was evaluated with, on every platform.
 *
 * @module
 */

/**
 * Rounds every non-integer number in a JSON-like value to 6 decimals (numbers of magnitude
 * ≥ 1e9 are left alone). Returns a new value; the input is not modified.
 *
 * @example
 * ```ts
 * import { roundDeep } from "./rounding.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(roundDeep({ a: 1 / 3, b: [2, -1e-9, 1.23456789e10], c: "x", d: null }), {
 *   a: 0.333333,
 *   b: [2, 0, 1.23456789e10], // -1e-9 rounds to 0 (never -0); large numbers are kept
 *   c: "x",
 *   d: null,
 * });
 * ```
 *
 * @param value plain data
 * @param digits decimals (default 6)
 */
export function roundDeep<T>(value: T, digits = 6): T {
  const f = 10 ** digits;
  const walk = (v: unknown): unknown => {
    if (typeof v === "number") {
      if (!Number.isFinite(v) || Number.isInteger(v) || Math.abs(v) >= 1e9) return v;
      const r = Math.round(v * f) / f;
      return r === 0 ? 0 : r;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * Rounds every coordinate of a point to 6 decimals (−0 becomes 0), as the loyalty model's
 * training points are rounded before the KNN is fitted.
 *
 * @example
 * ```ts
 * import { roundPoint } from "./rounding.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(roundPoint([1 / 3, -1e-9, 2]), [0.333333, 0, 2]);
 * ```
 *
 * @param x coordinates
 */
export function roundPoint(x: readonly number[]): number[] {
  return x.map((v) => {
    const r = Math.round(v * 1e6) / 1e6;
    return r === 0 ? 0 : r;
  });
}
