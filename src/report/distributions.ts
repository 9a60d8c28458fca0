/**
 * Distribution summaries for the report: histograms on logarithmic bins and mean values over a
 * grid of scores. Pure functions over plain numeric arrays (no I/O, no data-frame library), so
 * the site's data loaders can call them on columns they read and tests can check them on
 * hand-made arrays.
 *
 * Money and count variables in transaction data are strongly right-skewed (most lines are worth a
 * few pounds, a few are worth thousands), so their histograms use bins of equal width on a log
 * scale: a fixed number of bins per power of ten. Values that cannot be placed on a log scale
 * (zero, negative, missing, not finite) are counted, never silently dropped.
 *
 * @module
 */
import { median } from "../lib/stats.ts";

/** One histogram bin: the half-open interval [x0, x1) and how many values fell in it. */
export interface Bin {
  /** Lower edge (inclusive). */
  x0: number;
  /** Upper edge (exclusive, except for the last bin, which includes its upper edge). */
  x1: number;
  /** Number of values in the bin. */
  count: number;
}

/** A histogram on positive values, with the values it could not place. */
export interface LogHistogram {
  /** Bins in increasing order; contiguous (each bin's x1 is the next bin's x0). */
  bins: Bin[];
  /** Values in the bins. */
  counted: number;
  /** Values that are zero or negative (not representable on a log scale). */
  nonPositive: number;
  /** Values that are null, undefined, NaN or infinite. */
  missing: number;
  /** Smallest and largest positive value, or null when there is none. */
  min: number | null;
  max: number | null;
}

/** Options of {@link logEdges} and {@link logHistogram}. */
export interface LogBinOptions {
  /** Bins per power of ten (default 10). */
  binsPerDecade?: number;
  /**
   * Integer data (counts, days, quantities): edges are rounded to integers and merged, so each
   * bin holds whole values only (1, 2, 3, … then wider bins higher up) and no bin is empty by
   * construction. Default false.
   */
  integer?: boolean;
}

/**
 * Bin edges equally spaced on a log10 scale that cover [min, max]: 10^(k / binsPerDecade) for
 * consecutive integers k, from the largest edge ≤ min to the smallest edge > max.
 *
 * @param min smallest positive value to cover
 * @param max largest value to cover (≥ min)
 * @param options bins per decade; integer rounding
 * @returns strictly increasing edges (at least two)
 * @throws {RangeError} when min is not positive, max < min, or binsPerDecade is not a positive integer
 */
export function logEdges(min: number, max: number, options: LogBinOptions = {}): number[] {
  const perDecade = options.binsPerDecade ?? 10;
  if (!Number.isInteger(perDecade) || perDecade < 1) {
    throw new RangeError(`binsPerDecade must be a positive integer, got ${perDecade}`);
  }
  if (!(min > 0) || !Number.isFinite(min)) {
    throw new RangeError(`min must be positive and finite, got ${min}`);
  }
  if (!(max >= min) || !Number.isFinite(max)) {
    throw new RangeError(`max must be finite and ≥ min, got ${max}`);
  }
  // Small tolerance so that exact powers (1000 → k = 30) are not pushed a bin down or up by
  // floating-point error in log10.
  const eps = 1e-9;
  const kLo = Math.floor(Math.log10(min) * perDecade + eps);
  let kHi = Math.floor(Math.log10(max) * perDecade + eps) + 1;
  if (kHi <= kLo) kHi = kLo + 1;
  const edges: number[] = [];
  for (let k = kLo; k <= kHi; k++) {
    // Rounded to 12 significant digits, so powers of ten are exactly 1, 10, 100 (not 99.99999999).
    let e = Number(Math.pow(10, k / perDecade).toPrecision(12));
    if (options.integer) e = Math.max(1, Math.round(e));
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  if (options.integer) {
    // Integer bins are [a, b) over integers; make sure max itself is inside the last bin.
    while (edges[edges.length - 1] <= max) edges.push(edges[edges.length - 1] + 1);
  }
  if (edges.length < 2) edges.push(edges[0] * Math.pow(10, 1 / perDecade));
  return edges;
}

/**
 * Index of the bin [edges[i], edges[i + 1]) holding v, by binary search; -1 below the first edge,
 * edges.length - 1 at or above the last edge (callers treat the last edge as inclusive).
 */
function binIndex(edges: readonly number[], v: number): number {
  if (v < edges[0]) return -1;
  let lo = 0;
  let hi = edges.length - 1;
  if (v >= edges[hi]) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (v >= edges[mid]) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Counts values into given bins. Values below the first edge or above the last are reported
 * apart; a value equal to the last edge goes into the last bin.
 *
 * @param values numbers (null/NaN/infinite ones are counted as missing)
 * @param edges strictly increasing bin edges (at least two)
 * @returns the bins and the counts of values that fell outside or were missing
 * @throws {RangeError} when edges are fewer than two or not strictly increasing
 */
export function histogram(
  values: ArrayLike<number | null | undefined>,
  edges: readonly number[],
): { bins: Bin[]; below: number; above: number; missing: number } {
  if (edges.length < 2) throw new RangeError("histogram needs at least two edges");
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i] > edges[i - 1])) throw new RangeError(`edges must increase strictly (at ${i})`);
  }
  const counts = new Array<number>(edges.length - 1).fill(0);
  let below = 0;
  let above = 0;
  let missing = 0;
  const last = edges[edges.length - 1];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      missing++;
      continue;
    }
    if (v > last) {
      above++;
      continue;
    }
    const j = binIndex(edges, v);
    if (j < 0) below++;
    else counts[Math.min(j, counts.length - 1)]++;
  }
  const bins = counts.map((count, i) => ({ x0: edges[i], x1: edges[i + 1], count }));
  return { bins, below, above, missing };
}

/** Smallest and largest positive finite value, or null when there is none. */
export function positiveRange(
  ...arrays: ArrayLike<number | null | undefined>[]
): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined || !Number.isFinite(v) || v <= 0) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min === Infinity ? null : { min, max };
}

/**
 * Histogram of the positive values on log-spaced bins ({@link logEdges}). Pass `edges` to bin
 * several arrays on the same edges (for example before and after cleaning, with edges from
 * {@link positiveRange} over both) so that their bins line up.
 *
 * @param values numbers; zero/negative ones are counted in `nonPositive`, invalid ones in `missing`
 * @param options bins per decade, integer data, or explicit edges
 */
export function logHistogram(
  values: ArrayLike<number | null | undefined>,
  options: LogBinOptions & { edges?: readonly number[] } = {},
): LogHistogram {
  let nonPositive = 0;
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) missing++;
    else if (v <= 0) nonPositive++;
  }
  const range = positiveRange(values);
  if (range === null && options.edges === undefined) {
    return { bins: [], counted: 0, nonPositive, missing, min: null, max: null };
  }
  const edges = options.edges ?? logEdges(range!.min, range!.max, options);
  const h = histogram(values, edges);
  // Non-positive values fall "below" positive edges; they are reported as nonPositive instead.
  const outside = h.below - nonPositive + h.above;
  if (outside !== 0) {
    throw new RangeError(`${outside} positive value(s) fall outside the given edges`);
  }
  const counted = h.bins.reduce((s, b) => s + b.count, 0);
  return {
    bins: h.bins,
    counted,
    nonPositive,
    missing,
    min: range?.min ?? null,
    max: range?.max ?? null,
  };
}

/** One cell of a score grid. */
export interface GridCell {
  /** Row score (for example R, 1..n). */
  row: number;
  /** Column score (for example F, 1..n). */
  col: number;
  /** Customers in the cell. */
  count: number;
  /** Mean of the value over the cell's customers, or null for an empty cell. */
  mean: number | null;
  /** Median of the value over the cell's customers, or null for an empty cell. */
  median: number | null;
}

/**
 * Count, mean and median of a value over every (row, col) pair of integer scores 1..n, including
 * empty cells (count 0, mean null), in row-major order. Used for the R × F heatmap coloured by mean
 * monetary value.
 *
 * @param rows row score per customer (integers 1..n)
 * @param cols column score per customer (integers 1..n)
 * @param values value per customer (non-finite values are skipped)
 * @param n number of score levels (default 5)
 * @throws {RangeError} when the arrays differ in length or a score is outside 1..n
 */
export function scoreGrid(
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  values: ArrayLike<number>,
  n = 5,
): GridCell[] {
  if (rows.length !== cols.length || rows.length !== values.length) {
    throw new RangeError("rows, cols and values must have the same length");
  }
  const groups: number[][] = Array.from({ length: n * n }, () => []);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const c = cols[i];
    if (!Number.isInteger(r) || !Number.isInteger(c) || r < 1 || r > n || c < 1 || c > n) {
      throw new RangeError(`score out of 1..${n} at index ${i}: (${r}, ${c})`);
    }
    const v = values[i];
    if (Number.isFinite(v)) groups[(r - 1) * n + (c - 1)].push(v);
  }
  const cells: GridCell[] = [];
  for (let r = 1; r <= n; r++) {
    for (let c = 1; c <= n; c++) {
      const g = groups[(r - 1) * n + (c - 1)];
      cells.push({
        row: r,
        col: c,
        count: g.length,
        mean: g.length ? g.reduce((s, v) => s + v, 0) / g.length : null,
        median: median(g),
      });
    }
  }
  return cells;
}
