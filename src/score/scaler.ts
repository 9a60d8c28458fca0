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

/**
 * Learns scaling parameters.
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
    out[j] = (pre(raw[j], scaler.log[j], scaler.names[j], 0) - scaler.means[j]) / scaler.stds[j];
  }
  return out;
}

/**
 * Applies a fitted scaler.
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
      z[j] = (pre(cols[j][r], scaler.log[j], scaler.names[j], r) - scaler.means[j]) /
        scaler.stds[j];
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
 * @param scaler fitted scaler
 * @param z standardised row in `scaler.names` order
 * @returns raw values in `scaler.names` order
 */
export function inverseTransformRow(scaler: Scaler, z: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let j = 0; j < scaler.names.length; j++) {
    const v = z[j] * scaler.stds[j] + scaler.means[j];
    out.push(scaler.log[j] ? Math.expm1(v) : v);
  }
  return out;
}

/**
 * Packs rows into one row-major `Float64Array` (for the O(n²) loops).
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
