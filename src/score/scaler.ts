/**
 * Feature scaling for the models: optional `log1p`, then standardisation (z-scores).
 *
 * scikit-learn style: {@link fitScaler} learns plain-data parameters (a {@link Scaler}, safe to
 * `JSON.stringify`), {@link transform} applies them. Callers fit the scaler on training
 * customers only (pass their row indices) and transform everything else with it.
 *
 * @module
 */

/** Fitted scaling parameters (plain, JSON-serialisable data). */
export interface Scaler {
  /** Feature names, in the column order of transformed rows. */
  names: string[];
  /** Per feature: whether `log1p` is applied before standardising. */
  log: boolean[];
  /** Per feature: mean of the (log1p'd) training values. */
  means: number[];
  /**
   * Per feature: population standard deviation (divisor n) of the (log1p'd) training values;
   * a zero (constant feature) or non-finite deviation is stored as 1, so the feature becomes 0
   * rather than NaN (scikit-learn's `StandardScaler` rule).
   */
  stds: number[];
}

/** Columns by name; extra columns are ignored. */
export type Columns = Readonly<Record<string, ArrayLike<number> | readonly unknown[]>>;

/** Input accepted by {@link transform}: raw rows in `scaler.names` order, row objects, or columns. */
export type TransformInput =
  | readonly (readonly number[])[]
  | readonly Readonly<Record<string, number>>[]
  | Columns;

function column(columns: Columns, name: string): ArrayLike<number> {
  const c = columns[name];
  if (c === undefined) throw new Error(`missing feature column "${name}"`);
  return c as ArrayLike<number>;
}

/** `log1p` (when `log`) of a raw value, checked: unusable values throw instead of giving NaN. */
function pre(value: number, log: boolean, name: string, row: number): number {
  const v = log ? Math.log1p(value) : value;
  if (typeof value !== "number" || !Number.isFinite(v)) {
    throw new RangeError(
      `feature "${name}" row ${row}: value ${String(value)} is not usable` +
        (log ? " (log1p needs a finite number > -1)" : " (not a finite number)"),
    );
  }
  return v;
}

/** Standardises feature `j`'s pre-transformed (log1p'd or raw) value. */
function standardise(scaler: Scaler, j: number, v: number): number {
  return (v - scaler.means[j]) / scaler.stds[j];
}

/** Column index of a feature in a scaler. */
function featureIndex(scaler: Scaler, feature: string): number {
  const j = scaler.names.indexOf(feature);
  if (j < 0) throw new RangeError(`unknown feature "${feature}"`);
  return j;
}

/**
 * Learns scaling parameters.
 *
 * @example
 * ```ts
 * import { fitScaler } from "./scaler.ts";
 * import { deepEqual } from "node:assert/strict";
 * const s = fitScaler({ a: [1, 3], b: [0, 0] }, ["a", "b"]);
 * deepEqual(s, { names: ["a", "b"], log: [false, false], means: [2, 0], stds: [1, 1] });
 * // fit on the training rows only (here row 0): the mean is that row's value
 * deepEqual(fitScaler({ a: [1, 3] }, ["a"], [], [0]).means, [1]);
 * ```
 *
 * @param columns feature columns by name (all of `names` must be present, same length)
 * @param names features to use, in output order
 * @param logFeatures features that get `log1p` before standardising (default none); each must be
 *   in `names`
 * @param rows row indices to fit on (default all rows) — pass the training customers only
 * @returns the fitted {@link Scaler}
 * @throws {Error} on a missing column, an unknown log feature or no rows
 * @throws {RangeError} on a non-finite value (or ≤ -1 for a log feature)
 */
export function fitScaler(
  columns: Columns,
  names: readonly string[],
  logFeatures: readonly string[] = [],
  rows?: ArrayLike<number>,
): Scaler {
  for (const f of logFeatures) {
    if (!names.includes(f)) throw new Error(`log feature "${f}" is not one of the features`);
  }
  const log = names.map((n) => logFeatures.includes(n));
  const means: number[] = [];
  const stds: number[] = [];
  names.forEach((name, j) => {
    const col = column(columns, name);
    const n = rows ? rows.length : col.length;
    if (n === 0) throw new Error("cannot fit a scaler on zero rows");
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const r = rows ? rows[i] : i;
      sum += pre(col[r], log[j], name, r);
    }
    const mean = sum / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const r = rows ? rows[i] : i;
      const d = pre(col[r], log[j], name, r) - mean;
      ss += d * d;
    }
    const sd = Math.sqrt(ss / n);
    means.push(mean);
    stds.push(sd > 0 && Number.isFinite(sd) ? sd : 1);
  });
  return { names: [...names], log, means, stds };
}

/**
 * Scales one raw row given in `scaler.names` order.
 *
 * @example
 * ```ts
 * import { fitScaler, transformRow } from "./scaler.ts";
 * import { deepEqual, throws } from "node:assert/strict";
 * const s = fitScaler({ a: [1, 3], b: [0, 2] }, ["a", "b"]);
 * deepEqual(transformRow(s, [3, 0]), [1, -1]);
 * throws(() => transformRow(s, [3, NaN]), RangeError);
 * ```
 *
 * @param scaler fitted scaler
 * @param raw raw feature values, in `scaler.names` order
 * @returns the standardised row
 * @throws {RangeError} on a wrong length or an unusable value
 */
export function transformRow(scaler: Scaler, raw: ArrayLike<number>): number[] {
  const d = scaler.names.length;
  if (raw.length !== d) throw new RangeError(`expected ${d} feature values, got ${raw.length}`);
  const out = new Array<number>(d);
  for (let j = 0; j < d; j++) {
    out[j] = standardise(scaler, j, pre(raw[j], scaler.log[j], scaler.names[j], 0));
  }
  return out;
}

/**
 * Applies a fitted scaler.
 *
 * @example
 * ```ts
 * import { fitScaler, transform } from "./scaler.ts";
 * import { deepEqual } from "node:assert/strict";
 * const cols = { a: [1, 3, 5], b: [0, 2, 4] };
 * const s = fitScaler(cols, ["a", "b"], [], [0, 1]); // fitted on rows 0 and 1
 * deepEqual(transform(s, cols, [2]), [[3, 3]]); // row 2 with the training parameters
 * deepEqual(transform(s, [{ a: 1, b: 2 }]), [[-1, 1]]); // row objects
 * deepEqual(transform(s, [[3, 0]]), [[1, -1]]); // raw rows in `names` order
 * ```
 *
 * @param scaler fitted scaler
 * @param data raw rows in `scaler.names` order (`number[][]`), row objects keyed by feature name,
 *   or columns keyed by feature name
 * @param rows for column input only: the row indices to transform (default all)
 * @returns standardised rows (`number[][]`, one per input row, columns in `scaler.names` order)
 */
export function transform(
  scaler: Scaler,
  data: TransformInput,
  rows?: ArrayLike<number>,
): number[][] {
  if (Array.isArray(data)) {
    return data.map((row: readonly number[] | Readonly<Record<string, number>>) =>
      Array.isArray(row)
        ? transformRow(scaler, row)
        : transformRow(scaler, scaler.names.map((n) => (row as Record<string, number>)[n]))
    );
  }
  const columns = data as Columns;
  const cols = scaler.names.map((n) => column(columns, n));
  const n = rows ? rows.length : cols.length > 0 ? cols[0].length : 0;
  const out: number[][] = new Array(n);
  const d = cols.length;
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    const z = new Array<number>(d);
    for (let j = 0; j < d; j++) {
      z[j] = standardise(scaler, j, pre(cols[j][r], scaler.log[j], scaler.names[j], r));
    }
    out[i] = z;
  }
  return out;
}

/**
 * Maps a standardised row back to raw units (undoes the standardisation, then `log1p` with
 * `expm1`). For a centroid of log features this gives the geometric-mean-like "typical" value,
 * not the arithmetic mean.
 *
 * @example
 * ```ts
 * import { fitScaler, inverseTransformRow, transformRow } from "./scaler.ts";
 * import { ok } from "node:assert/strict";
 * const s = fitScaler({ a: [1, 3, 7, 15], b: [10, 20, 30, 40] }, ["a", "b"], ["a"]);
 * const back = inverseTransformRow(s, transformRow(s, [7, 30]));
 * ok(Math.abs(back[0] - 7) < 1e-9 && Math.abs(back[1] - 30) < 1e-9);
 * ```
 *
 * @param scaler fitted scaler
 * @param z standardised row in `scaler.names` order
 * @returns raw values in `scaler.names` order
 */
export function inverseTransformRow(scaler: Scaler, z: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let j = 0; j < scaler.names.length; j++) out.push(unstandardise(scaler, j, z[j]));
  return out;
}

/** Raw value of feature `j` from its standardised value (`expm1` for a log feature). */
function unstandardise(scaler: Scaler, j: number, z: number): number {
  const v = z * scaler.stds[j] + scaler.means[j];
  return scaler.log[j] ? Math.expm1(v) : v;
}

/**
 * One raw value of one feature on the model's scale (`log1p` if the scaler says so, then
 * standardised) — the per-value form of {@link transformRow}, for axes and range checks. Unlike
 * `transformRow` it does not reject unusable values: they give NaN or ±Infinity (e.g. a value
 * ≤ −1 of a log feature), so a chart can skip them.
 *
 * @example
 * ```ts
 * import { fitScaler, transformRow, transformValue } from "./scaler.ts";
 * import { equal, ok, throws } from "node:assert/strict";
 * const s = fitScaler({ a: [0, 1, 10, 100], b: [5, 6, 7, 8] }, ["a", "b"], ["a"]);
 * equal(transformValue(s, "b", 7), transformRow(s, [10, 7])[1]);
 * ok(Number.isNaN(transformValue(s, "a", -2))); // log1p(-2) is NaN
 * throws(() => transformValue(s, "c", 1), RangeError); // not a feature of the scaler
 * ```
 *
 * @param scaler fitted scaler
 * @param feature feature name (one of `scaler.names`)
 * @param value raw value
 * @returns the standardised value
 * @throws {RangeError} for a feature the scaler does not know
 */
export function transformValue(scaler: Scaler, feature: string, value: number): number {
  const j = featureIndex(scaler, feature);
  return standardise(scaler, j, scaler.log[j] ? Math.log1p(value) : value);
}

/**
 * Inverse of {@link transformValue}: a standardised value of one feature back in raw units (the
 * per-value form of {@link inverseTransformRow}).
 *
 * @example
 * ```ts
 * import { fitScaler, inverseTransformValue } from "./scaler.ts";
 * import { equal } from "node:assert/strict";
 * const s = fitScaler({ b: [5, 6, 7, 8] }, ["b"]);
 * equal(inverseTransformValue(s, "b", 0), 6.5); // z = 0 is the training mean
 * ```
 *
 * @param scaler fitted scaler
 * @param feature feature name (one of `scaler.names`)
 * @param z standardised value
 * @returns the raw value
 * @throws {RangeError} for a feature the scaler does not know
 */
export function inverseTransformValue(scaler: Scaler, feature: string, z: number): number {
  return unstandardise(scaler, featureIndex(scaler, feature), z);
}

/**
 * Packs rows into one row-major `Float64Array` (for the O(n²) loops).
 *
 * @example
 * ```ts
 * import { toFlat } from "./scaler.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const { data, n, d } = toFlat([[1, 2], [3, 4]]);
 * equal(n * d, 4);
 * deepEqual(Array.from(data), [1, 2, 3, 4]);
 * ```
 *
 * @param rows rows of equal length
 * @returns `{ data, n, d }` with `data[i * d + j] = rows[i][j]`
 */
export function toFlat(rows: readonly (readonly number[])[]): {
  data: Float64Array;
  n: number;
  d: number;
} {
  const n = rows.length;
  const d = n > 0 ? rows[0].length : 0;
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r.length !== d) throw new RangeError(`row ${i} has ${r.length} values, expected ${d}`);
    for (let j = 0; j < d; j++) data[i * d + j] = r[j];
  }
  return { data, n, d };
}
