/**
 * k-nearest-neighbour classification with class probabilities and the neighbours themselves: a
 * flat typed-array neighbour search with canonical tie rules, shared by the build, the scoring
 * service and the browser widget. No dependency.
 *
 * **Model.** The fitted model ({@link KnnModel}) is plain data: training points, a label per
 * point, k, the vote weighting and the number of classes, and optionally
 * - `counts`: per point, the number of training customers of each class it stands for — exact
 *   duplicates collapsed into one point with counts ({@link collapseDuplicates}), so that a query
 *   that matches a point gets the class shares of all the customers behind it, never a lookup of
 *   one label;
 * - `featureWeights`: per coordinate a weight w_j ≥ 0 of the distance
 *   d = √(Σ_j w_j (x_j − y_j)²) (0 drops the coordinate);
 * - `offset`: the ε of the distance weighting 1 / (d + ε).
 *
 * **Neighbours.** Points are ordered canonically — by distance, then point index — and the k
 * nearest *customers* are the shortest prefix of that order whose customers number at least k;
 * the last point of the prefix contributes only the customers still needed (a share of its class
 * counts). Without counts every point is one customer, and the neighbours are the classic
 * canonical k nearest points: when several points tie at the k-th distance, the ones with the
 * smallest indices are kept. So the same model, or one re-created from its JSON, gives identical
 * predictions, and the first k customers of the canonical K > k customers are exactly the
 * canonical k customers.
 *
 * **Search.** The weighted points are stored once in a `Float64Array`, in the leaf order of a
 * k-d tree. A search walks the tree nearer box first, collecting every point within a bound of
 * the k-th customer's distance: the bound starts from a hint (the neighbours of a nearby query)
 * or none, drops to the ⌈k⌉-th smallest candidate distance whenever the candidates fill their
 * space, prunes every box beyond it, and each distance stops accumulating as soon as it exceeds
 * it. The candidates — a superset of the canonical neighbours — are then ranked by (distance,
 * index) and the shortest prefix holding k customers kept. Exact (no approximation), and the
 * result does not depend on the walk, the hint or the bound. Many queries are searched fastest in
 * the index's locality order, each hinted with the neighbours of the one before
 * ({@link NeighbourIndex.localityOrder}; batch scoring does so).
 * A query prepared at a point ({@link NeighbourIndex.prepare}) searches points that differ from
 * it in one coordinate — the counterfactuals of reason codes — in one pass over the points, with
 * the same result ({@link PreparedQuery}).
 *
 * **Votes.** `"uniform"` gives each neighbouring customer weight 1; `"distance"` weight
 * 1 / (d + ε), or with ε = 0 the weight 1/d, except that when any neighbour is at distance 0 only
 * the exact matches vote (equally) — scikit-learn's rule. Probabilities are the class shares of
 * the total weight; the predicted class is the most probable one, ties going to the lower index.
 *
 * @module
 */
import { kthSmallest } from "../lib/stats.ts";

/**
 * Squared distance from `q` to row `row` of `data` (`da` values a row), the terms summed in
 * coordinate order: the one arithmetic of every neighbour search (the tree, the prepared
 * counterfactual pass, the KNN tuning's scan), so that they agree to the bit.
 *
 * @example
 * ```ts
 * import { squaredDistance, squaredDistanceWithin } from "./neighbours.ts";
 * import { equal } from "node:assert/strict";
 * const data = Float64Array.from([0, 0, 3, 4]); // two rows of two values
 * const q = Float64Array.from([0, 0]);
 * equal(squaredDistance(q, data, 1, 2), 25);
 * equal(squaredDistanceWithin(q, data, 1, 2, 25), 25);
 * equal(squaredDistanceWithin(q, data, 1, 2, 24), Infinity); // past the limit: abandoned
 * ```
 */
export function squaredDistance(
  q: Float64Array,
  data: Float64Array,
  row: number,
  da: number,
): number {
  const base = row * da;
  let sq = 0;
  for (let a = 0; a < da; a++) {
    const t = q[a] - data[base + a];
    sq += t * t;
  }
  return sq;
}

/**
 * {@link squaredDistance}, abandoned (Infinity) as soon as the partial sum exceeds `limit`: the
 * terms are never negative, so that happens exactly when the whole sum would exceed it.
 */
export function squaredDistanceWithin(
  q: Float64Array,
  data: Float64Array,
  row: number,
  da: number,
  limit: number,
): number {
  const base = row * da;
  let sq = 0;
  for (let a = 0; a < da; a++) {
    const t = q[a] - data[base + a];
    sq += t * t;
    if (sq > limit) return Infinity;
  }
  return sq;
}

/** How neighbours' votes are weighted. */
export type Weighting = "uniform" | "distance";

/** A fitted KNN classifier (plain, JSON-serialisable data). */
export interface KnnModel {
  /** Number of neighbouring customers that vote (clamped to the training customers). */
  k: number;
  /** Vote weighting. */
  weighting: Weighting;
  /** Number of classes; labels are 0..nClasses-1. */
  nClasses: number;
  /** Training points (already scaled), one row per distinct training point. */
  points: number[][];
  /** Class per point (with `counts`: its most frequent class, ties → lower). */
  labels: number[];
  /** Per point, training customers per class (absent: one customer of `labels[i]`). */
  counts?: number[][];
  /** Per coordinate, the weight of the distance (absent: all 1). */
  featureWeights?: number[];
  /** ε of the distance weighting 1 / (d + ε) (absent or 0: 1/d with the exact-match rule). */
  offset?: number;
}

/** A neighbour of a query point. */
export interface Neighbour {
  /** Training point index. */
  index: number;
  /** Weighted Euclidean distance to the query. */
  distance: number;
  /** Class of the training point (its most frequent class). */
  label: number;
  /** Training customers this point contributes to the k (all of them, except possibly the last). */
  customers: number;
}

/** Prediction for one query point. */
export interface KnnPrediction {
  /** Most probable class (ties → lower index). */
  label: number;
  /** Probability per class (sums to 1). */
  probabilities: number[];
  /** The neighbouring points, nearest first (ties by index; at most `maxNeighbours`). */
  neighbours: Neighbour[];
  /** Customers that voted (k, or every training customer when there are fewer). */
  voters: number;
}

/** Options of {@link fitKnn}. */
export interface KnnOptions {
  /** Number of neighbours (default 5). */
  k?: number;
  /** Vote weighting (default "uniform"). */
  weighting?: Weighting;
  /** Number of classes (default: largest label + 1). */
  nClasses?: number;
  /** Per point, customers per class (collapsed duplicates); default one customer per point. */
  counts?: readonly (readonly number[])[];
  /** Per coordinate weight of the distance (default all 1). */
  featureWeights?: readonly number[];
  /** ε of the distance weighting (default 0). */
  offset?: number;
}

/** A point found by a search: index, distance and the customers it contributes. */
export interface Found {
  /** Point index. */
  index: number;
  /** Weighted Euclidean distance. */
  distance: number;
  /** Customers taken from this point (its count, or the remainder for the last point). */
  take: number;
}

/** Options of one neighbour search in {@link predictOne}. */
export interface SearchOptions {
  /** Indices of points likely to be near the query (speeds the search up; same result). */
  hint?: ArrayLike<number>;
  /**
   * A query prepared by {@link NeighbourIndex.prepare} (on the model's index) at a point that
   * differs from this one in at most one coordinate: the search runs on it instead (much faster
   * for such a point; same result). Ignored when it belongs to another index.
   */
  prepared?: PreparedQuery;
  /** Receives the points found (every voting point, nearest first). */
  onFound?: (found: FoundArrays) => void;
  /**
   * The points handed to `onFound` are valid only during the call (they live in the search's
   * scratch space: no allocation); default false.
   */
  transient?: boolean;
  /** Adds the number of points whose distance the search computed to its `count` (tree search). */
  visits?: { count: number };
}

/** The points found by a search, as typed arrays (nearest first). */
export interface FoundArrays {
  length: number;
  index: Int32Array;
  distance: Float64Array;
  take: Float64Array;
}

function checkWeighting(weighting: string): void {
  if (weighting !== "uniform" && weighting !== "distance") {
    throw new RangeError(`weighting must be "uniform" or "distance", got "${weighting}"`);
  }
}

/**
 * "Fits" a KNN classifier: validates and copies the training data.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { deepEqual, equal, throws } from "node:assert/strict";
 * const m = fitKnn([[0], [1], [5]], [0, 0, 1], { k: 3 });
 * equal(m.nClasses, 2); // largest label + 1
 * equal(m.weighting, "uniform");
 * throws(() => fitKnn([[0], [1]], [0]), RangeError); // one label per point
 * // collapsed duplicates: point 0 stands for 3 customers (2 of class 0, 1 of class 1)
 * const c = fitKnn([[0], [5]], [0, 1], { counts: [[2, 1], [0, 4]] });
 * deepEqual(c.counts, [[2, 1], [0, 4]]);
 * ```
 *
 * @param points training points (finite numbers, equal lengths, at least one point)
 * @param labels class index per point
 * @param options k (default 5), weighting (default "uniform"), nClasses (default max label + 1),
 *   counts, featureWeights, offset
 * @returns the plain-data model
 */
export function fitKnn(
  points: readonly (readonly number[])[],
  labels: ArrayLike<number>,
  options: KnnOptions = {},
): KnnModel {
  const { k = 5, weighting = "uniform" } = options;
  if (points.length === 0) throw new RangeError("KNN needs at least one training point");
  if (points.length !== labels.length) {
    throw new RangeError(`${points.length} points but ${labels.length} labels`);
  }
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  checkWeighting(weighting);
  let maxLabel = 0;
  for (let i = 0; i < labels.length; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0) {
      throw new RangeError(`label ${labels[i]} of row ${i} is not a class index`);
    }
    maxLabel = Math.max(maxLabel, labels[i]);
  }
  const nClasses = options.nClasses ?? maxLabel + 1;
  if (maxLabel >= nClasses) throw new RangeError(`label ${maxLabel} ≥ nClasses ${nClasses}`);
  const d = points[0].length;
  const copy = points.map((p, i) => {
    if (p.length !== d) throw new RangeError(`point ${i} has ${p.length} values, expected ${d}`);
    if (!p.every(Number.isFinite)) throw new RangeError(`point ${i} has a non-finite value`);
    return [...p];
  });
  const model: KnnModel = { k, weighting, nClasses, points: copy, labels: Array.from(labels) };
  if (options.counts !== undefined) {
    if (options.counts.length !== points.length) {
      throw new RangeError(`${options.counts.length} count rows for ${points.length} points`);
    }
    model.counts = options.counts.map((c, i) => {
      if (c.length !== nClasses || !c.every((x) => Number.isInteger(x) && x >= 0)) {
        throw new RangeError(`counts[${i}] must be ${nClasses} whole numbers ≥ 0`);
      }
      if (c.reduce((s, x) => s + x, 0) < 1) throw new RangeError(`counts[${i}] sum to 0`);
      return [...c];
    });
  }
  if (options.featureWeights !== undefined) {
    const w = options.featureWeights;
    if (w.length !== d || !w.every((x) => Number.isFinite(x) && x >= 0)) {
      throw new RangeError(`featureWeights must be ${d} finite numbers ≥ 0`);
    }
    if (!w.some((x) => x > 0)) throw new RangeError("at least one feature weight must be > 0");
    model.featureWeights = [...w];
  }
  if (options.offset !== undefined) {
    if (!(Number.isFinite(options.offset) && options.offset >= 0)) {
      throw new RangeError(`offset must be a finite number ≥ 0, got ${options.offset}`);
    }
    model.offset = options.offset;
  }
  return model;
}

/** Result of {@link collapseDuplicates}. */
export interface Collapsed {
  /** The distinct points, in order of first appearance. */
  points: number[][];
  /** Per distinct point, rows per class. */
  counts: number[][];
  /** Per distinct point, its most frequent class (ties → lower). */
  labels: number[];
  /** Per distinct point, the first row it stands for. */
  firstRow: number[];
  /** Per row, its distinct point. */
  pointOf: number[];
}

/**
 * Collapses rows with identical values into one point with class counts.
 *
 * @example
 * ```ts
 * import { collapseDuplicates } from "./neighbours.ts";
 * import { deepEqual } from "node:assert/strict";
 * const c = collapseDuplicates([[1, 2], [3, 4], [1, 2], [1, 2]], [0, 1, 1, 0], 2);
 * deepEqual(c.points, [[1, 2], [3, 4]]);
 * deepEqual(c.counts, [[2, 1], [0, 1]]);
 * deepEqual(c.labels, [0, 1]); // 2 vs 1 → class 0
 * deepEqual(c.firstRow, [0, 1]);
 * deepEqual(c.pointOf, [0, 1, 0, 0]);
 * ```
 *
 * @param rows points (equal lengths)
 * @param labels class per row
 * @param nClasses number of classes
 */
export function collapseDuplicates(
  rows: readonly (readonly number[])[],
  labels: ArrayLike<number>,
  nClasses: number,
): Collapsed {
  const out: Collapsed = { points: [], counts: [], labels: [], firstRow: [], pointOf: [] };
  const d = rows[0]?.length ?? 0;
  // The exact bits of the values are the key: an open-addressing table of point indices, hashed
  // over the 32-bit words of the row and compared word by word (so -0 and 0, or two NaN payloads,
  // stay apart, as a key made of the bits would keep them).
  const words = 2 * d;
  const bits = new Float64Array(d);
  const row = new Uint32Array(bits.buffer);
  let store = new Uint32Array(Math.max(16, words * 64));
  let size = 1024;
  while (size < 2 * rows.length) size *= 2;
  const table = new Int32Array(size).fill(-1);
  const mask = size - 1;
  rows.forEach((r, i) => {
    bits.set(r);
    let h = 0x811c9dc5;
    for (let w = 0; w < words; w++) h = Math.imul(h ^ row[w], 0x01000193);
    let slot = (h ^ (h >>> 15)) & mask;
    let p = -1;
    for (;;) {
      const q = table[slot];
      if (q === -1) break;
      let same = true;
      const at = q * words;
      for (let w = 0; w < words; w++) {
        if (store[at + w] !== row[w]) {
          same = false;
          break;
        }
      }
      if (same) {
        p = q;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (p === -1) {
      p = out.points.length;
      table[slot] = p;
      if ((p + 1) * words > store.length) {
        const grown = new Uint32Array(store.length * 2);
        grown.set(store);
        store = grown;
      }
      store.set(row, p * words);
      out.points.push([...r]);
      out.counts.push(new Array<number>(nClasses).fill(0));
      out.firstRow.push(i);
    }
    out.counts[p][labels[i]]++;
    out.pointOf.push(p);
  });
  out.labels = out.counts.map((c) => argmax(c));
  return out;
}

/** Scratch space of a search: candidates (squared distance, tree position) and a copy to select in. */
interface Candidates {
  sq: Float64Array;
  pos: Int32Array;
  sel: Float64Array;
  /** Point indices of the ranking (sort keys with `sq`). */
  idx: Int32Array;
  /** A transient result's distances and customers (its indices are in `idx`). */
  distance: Float64Array;
  take: Float64Array;
  /** Bucket boundaries and a second index array of the ranking's bucket sort. */
  start: Int32Array;
  tmp: Int32Array;
}

/** Candidate space for at least `cap` candidates (the old one when large enough). */
function candidatesFor(old: Candidates | null, cap: number): Candidates {
  if (old && old.sq.length >= cap) return old;
  return {
    sq: new Float64Array(cap),
    pos: new Int32Array(cap),
    sel: new Float64Array(cap),
    idx: new Int32Array(cap),
    distance: new Float64Array(cap),
    take: new Float64Array(cap),
    start: new Int32Array(cap + 1),
    tmp: new Int32Array(cap),
  };
}

/** Options of a {@link NeighbourIndex}. */
export interface IndexOptions {
  /** Per coordinate weight of the distance (default all 1). */
  weights?: readonly number[];
  /** Customers per point (default 1 each). */
  mass?: ArrayLike<number>;
}

/** Points per leaf of the tree. */
const LEAF_SIZE = 32;

/**
 * A neighbour-search index over a set of points (see the module description): the weighted points
 * in one `Float64Array`, ordered as the leaves of a k-d tree (split at the median of the widest
 * coordinate, each node with its bounding box, all in typed arrays). A search walks the tree
 * nearer box first and skips a box once it lies beyond the current bound of the k-th customer's
 * distance (see the module notes); each distance stops accumulating as soon as it exceeds that
 * bound. Exact: the result does not
 * depend on the tree, ties are resolved by point index. Not serialisable; build it from the
 * points or let {@link indexFor} cache one per model.
 *
 * @example
 * ```ts
 * import { NeighbourIndex } from "./neighbours.ts";
 * import { deepEqual } from "node:assert/strict";
 * const index = new NeighbourIndex([[0, 0], [3, 4], [0, 1], [0, 1]]);
 * // by distance, ties by row index
 * deepEqual(index.query([0, 0], 3), [
 *   { index: 0, distance: 0 },
 *   { index: 2, distance: 1 },
 *   { index: 3, distance: 1 },
 * ]);
 * // weights: the second coordinate counts 4 times (distance × 2 along it)
 * const w = new NeighbourIndex([[0, 0], [1.5, 0], [0, 1]], { weights: [1, 4] });
 * deepEqual(w.query([0, 0], 3).map((f) => [f.index, f.distance]), [[0, 0], [1, 1.5], [2, 2]]);
 * ```
 */
export class NeighbourIndex {
  /** Number of indexed points. */
  readonly size: number;
  /** Dimension of the points. */
  readonly dimension: number;
  /** Total customers over all points. */
  readonly totalMass: number;
  /** Coordinates with a weight > 0, and their √weight. */
  readonly #dims: Int32Array;
  readonly #scale: Float64Array;
  /** Weighted active coordinates, in tree order, row-major. */
  readonly #data: Float64Array;
  /** Original index of each point in tree order. */
  readonly #order: Int32Array;
  /** Customers of each point in tree order. */
  readonly #mass: Float64Array;
  /** Tree nodes: range [start, end) of points, children (−1: leaf), bounding box. */
  readonly #start: Int32Array;
  readonly #end: Int32Array;
  readonly #left: Int32Array;
  readonly #right: Int32Array;
  readonly #boxMin: Float64Array;
  readonly #boxMax: Float64Array;
  /** The points and weights as given (for the one-customer-per-point index of `query`). */
  readonly #points: readonly (readonly number[])[];
  readonly #weights: readonly number[] | undefined;
  /** Scratch space of a search (a search runs to the end before the next starts). */
  #cand: Candidates | null = null;
  /** Marks of hinted points (all 0 between searches). */
  #mark: Uint8Array | null = null;
  /** The weighted query of a search. */
  readonly #query: Float64Array;
  readonly #stack: Int32Array;
  readonly #bound: Float64Array;
  /** Tree-order position of each point (the inverse of `#order`). */
  readonly #position: Int32Array;
  /** The arrays a {@link PreparedQuery} reads, with its scratch space (made on first use). */
  #arrays: IndexArrays | null = null;

  /**
   * @param points points to index (finite numbers, equal lengths, at least one)
   * @param options per-coordinate weights and per-point customers (whole numbers ≥ 1)
   */
  constructor(points: readonly (readonly number[])[], options: IndexOptions = {}) {
    const n = points.length;
    if (n === 0) throw new RangeError("cannot index zero points");
    const d = points[0].length;
    this.size = n;
    this.dimension = d;
    this.#points = points;
    this.#weights = options.weights;
    const w = options.weights ?? new Array<number>(d).fill(1);
    if (w.length !== d) throw new RangeError(`${w.length} weights for ${d} coordinates`);
    const dims: number[] = [];
    for (let j = 0; j < d; j++) if (w[j] > 0) dims.push(j);
    if (dims.length === 0) throw new RangeError("at least one weight must be > 0");
    const da = dims.length;
    this.#dims = Int32Array.from(dims);
    this.#query = new Float64Array(da);
    this.#scale = Float64Array.from(dims, (j) => Math.sqrt(w[j]));
    const raw = new Float64Array(n * da);
    for (let i = 0; i < n; i++) {
      const p = points[i];
      if (p.length !== d) throw new RangeError(`point ${i} has ${p.length} values, expected ${d}`);
      for (let a = 0; a < da; a++) raw[i * da + a] = p[dims[a]] * this.#scale[a];
    }
    // The tree: nodes in creation order, points permuted so that each node's are contiguous.
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    const start: number[] = [];
    const end: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const bmin: number[] = [];
    const bmax: number[] = [];
    const stack: number[] = [];
    const newNode = (a: number, b: number): number => {
      const id = start.length;
      start.push(a);
      end.push(b);
      left.push(-1);
      right.push(-1);
      for (let c = 0; c < da; c++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let t = a; t < b; t++) {
          const v = raw[perm[t] * da + c];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        bmin.push(lo);
        bmax.push(hi);
      }
      if (b - a > LEAF_SIZE) stack.push(id);
      return id;
    };
    newNode(0, n);
    while (stack.length > 0) {
      const id = stack.pop()!;
      const a = start[id];
      const b = end[id];
      let dim = 0;
      for (let c = 1; c < da; c++) {
        if (bmax[id * da + c] - bmin[id * da + c] > bmax[id * da + dim] - bmin[id * da + dim]) {
          dim = c;
        }
      }
      if (!(bmax[id * da + dim] > bmin[id * da + dim])) continue; // all equal: a leaf
      const seg = Array.from(perm.subarray(a, b)).sort((x, y) =>
        raw[x * da + dim] - raw[y * da + dim] || x - y
      );
      perm.set(seg, a);
      const mid = (a + b) >> 1;
      left[id] = newNode(a, mid);
      right[id] = newNode(mid, b);
    }
    this.#start = Int32Array.from(start);
    this.#end = Int32Array.from(end);
    this.#left = Int32Array.from(left);
    this.#right = Int32Array.from(right);
    this.#boxMin = Float64Array.from(bmin);
    this.#boxMax = Float64Array.from(bmax);
    // The search stack holds at most one pending sibling per level, plus two.
    let depth = 0;
    for (let m = n; m > LEAF_SIZE; m = Math.ceil(m / 2)) depth++;
    this.#stack = new Int32Array(depth + 3);
    this.#bound = new Float64Array(depth + 3);
    this.#order = perm;
    this.#position = new Int32Array(n);
    perm.forEach((i, s) => (this.#position[i] = s));
    this.#data = new Float64Array(n * da);
    this.#mass = new Float64Array(n);
    let total = 0;
    perm.forEach((i, s) => {
      this.#data.set(raw.subarray(i * da, i * da + da), s * da);
      const m = options.mass ? options.mass[i] : 1;
      if (!(Number.isInteger(m) && m >= 1)) {
        throw new RangeError(`point ${i} must hold a whole number ≥ 1 of customers, got ${m}`);
      }
      this.#mass[s] = m;
      total += m;
    });
    this.totalMass = total;
  }

  /** The arrays of {@link PreparedQuery} searches: the points column-major and scratch space. */
  #preparedArrays(): IndexArrays {
    if (this.#arrays) return this.#arrays;
    const n = this.size;
    const da = this.#dims.length;
    const columns = new Float64Array(n * da);
    for (let s = 0; s < n; s++) {
      for (let a = 0; a < da; a++) columns[a * n + s] = this.#data[s * da + a];
    }
    // the root's box: each column's range
    const columnMin = this.#boxMin.slice(0, da);
    const columnMax = this.#boxMax.slice(0, da);
    this.#arrays = {
      n,
      da,
      dims: this.#dims,
      scale: this.#scale,
      data: this.#data,
      columns,
      columnMin,
      columnMax,
      order: this.#order,
      position: this.#position,
      mass: this.#mass,
      scratch: {
        base: new Float64Array(n),
        baseMax: 0,
        owner: null,
        lo: new Float64Array(n),
        pick: new Float64Array(n),
        candidates: new Int32Array(n),
        ranks: new Int32Array(n),
        pos: new Int32Array(n),
        distance: new Float64Array(n),
        take: new Float64Array(n),
        sq: new Float64Array(n),
      },
    };
    return this.#arrays;
  }

  /** Squared distance from the (weighted) query to a node's box. */
  /**
   * A bound on the squared distance of the canonical prefix, from hinted points: the distinct
   * valid hinted points within it hold at least `want` customers (their distances computed as the
   * search computes them); Infinity when they hold fewer. Any bound at or above the distance of
   * the prefix's last point gives the same result; a tight one saves work.
   */
  #hintLimit(q: Float64Array, hint: ArrayLike<number>, want: number): number {
    const n = this.size;
    const da = this.#dims.length;
    const data = this.#data;
    const mark = (this.#mark ??= new Uint8Array(n));
    const cand = (this.#cand = candidatesFor(this.#cand, hint.length + 1));
    const { sel, pos } = cand;
    let nh = 0;
    let held = 0;
    let far = 0;
    for (let h = 0; h < hint.length; h++) {
      const i = hint[h];
      if (!(Number.isInteger(i) && i >= 0 && i < n)) continue;
      const s = this.#position[i];
      if (mark[s]) continue;
      mark[s] = 1;
      pos[nh] = s;
      const sq = squaredDistance(q, data, s, da);
      sel[nh++] = sq;
      held += this.#mass[s];
      if (!(sq <= far)) far = sq;
    }
    for (let t = 0; t < nh; t++) mark[pos[t]] = 0;
    if (held < want) return Infinity;
    // every point holds at least one customer: the ⌈want⌉ nearest hold at least `want`
    const m = Math.ceil(want);
    return m < nh ? kthSmallest(sel, nh, m - 1) : far;
  }

  #boxDistance(q: Float64Array, node: number): number {
    const da = q.length;
    const base = node * da;
    let s = 0;
    for (let a = 0; a < da; a++) {
      const v = q[a];
      const lo = this.#boxMin[base + a];
      if (v < lo) {
        const t = lo - v;
        s += t * t;
        continue;
      }
      const hi = this.#boxMax[base + a];
      if (v > hi) {
        const t = v - hi;
        s += t * t;
      }
    }
    return s;
  }

  /**
   * The canonical nearest points holding `k` customers: the shortest prefix of the points ordered
   * by (distance, index) whose customers number at least `k` (all points if there are fewer).
   *
   * @param point query point (same dimension as the index, finite)
   * @param k customers wanted (at least 1)
   * @returns the points, nearest first, each with the customers it contributes
   */
  nearest(point: readonly number[], k: number): Found[] {
    const r = this.nearestArrays(point, k);
    const out: Found[] = new Array(r.length);
    for (let i = 0; i < r.length; i++) {
      out[i] = { index: r.index[i], distance: r.distance[i], take: r.take[i] };
    }
    return out;
  }

  /**
   * {@link nearest} as typed arrays (no object per neighbour): point indices, distances and the
   * customers each contributes, nearest first.
   *
   * A `hint` — indices of points likely to be near the query, such as the neighbours of a
   * nearby query — speeds the search up without changing its result: the distance within which
   * the hinted points hold `k` customers bounds the search from the start (points at exactly
   * that distance are still considered, so ties are resolved as without a hint).
   *
   * @param point query point (same dimension as the index, finite)
   * @param k customers wanted (at least 1)
   * @param hint indices of points to bound the search with (optional; any indices)
   */
  nearestArrays(point: readonly number[], k: number, hint?: ArrayLike<number>): FoundArrays {
    return this.#nearest(point, k, hint, null, false);
  }

  /**
   * {@link nearestArrays} with its result in the index's scratch space (no allocation): valid
   * only until the next search of the same index, so for a caller that reads it at once.
   *
   * @param point query point (same dimension as the index, finite)
   * @param k customers wanted (at least 1)
   * @param hint indices of points to bound the search with (optional; any indices)
   * @param visits adds the number of points whose distance the search computed to its `count`
   */
  nearestTransient(
    point: readonly number[],
    k: number,
    hint?: ArrayLike<number>,
    visits?: { count: number },
  ): FoundArrays {
    return this.#nearest(point, k, hint, visits ?? null, true);
  }

  /** {@link nearestArrays}, adding the number of points whose distance it computed to `visits`. */
  #nearest(
    point: readonly number[],
    k: number,
    hint: ArrayLike<number> | undefined,
    visits: { count: number } | null,
    transient: boolean,
  ): FoundArrays {
    checkQuery(point, this.dimension);
    const want = Math.max(0, k);
    if (want === 0) return noneFound();
    const da = this.#dims.length;
    const q = this.#query;
    for (let a = 0; a < da; a++) q[a] = point[this.#dims[a]] * this.#scale[a];
    const data = this.#data;
    // Candidates: every point within `limit` (squared). The limit starts from the hint (or
    // none) and, whenever the candidates fill their space, drops to the ⌈want⌉-th smallest
    // candidate distance (those points hold at least `want` customers), so that the space holds
    // the canonical prefix and few others; no point of the prefix is ever dropped.
    const m = Math.ceil(want);
    let limit = hint ? this.#hintLimit(q, hint, want) : Infinity;
    let cap = 2 * m + 64;
    let cand = (this.#cand = candidatesFor(this.#cand, cap));
    let nc = 0;
    // Depth-first, nearer child first; a node is (re)checked against the limit when popped.
    const stack = this.#stack;
    const bound = this.#bound;
    let top = 0;
    let visited = 0;
    stack[0] = 0;
    bound[0] = this.#boxDistance(q, 0);
    top = 1;
    while (top > 0) {
      top--;
      const node = stack[top];
      if (bound[top] > limit) continue;
      const l = this.#left[node];
      if (l >= 0) {
        const r = this.#right[node];
        const dl = this.#boxDistance(q, l);
        const dr = this.#boxDistance(q, r);
        // Push the farther child first, so that the nearer one is searched first.
        if (dl <= dr) {
          stack[top] = r;
          bound[top++] = dr;
          stack[top] = l;
          bound[top++] = dl;
        } else {
          stack[top] = l;
          bound[top++] = dl;
          stack[top] = r;
          bound[top++] = dr;
        }
        continue;
      }
      visited += this.#end[node] - this.#start[node];
      for (let s = this.#start[node], e = this.#end[node]; s < e; s++) {
        const sq = squaredDistanceWithin(q, data, s, da, limit);
        if (sq > limit) continue;
        if (nc === cap) {
          limit = candidateLimit(cand, nc, m, limit);
          nc = keepWithin(cand, nc, limit);
          if (nc * 2 > cap) {
            // many candidates tie at the limit: more space
            cap *= 2;
            cand = this.#cand = grownCandidates(cand, nc, cap);
          }
          if (sq > limit) continue;
        }
        cand.sq[nc] = sq;
        cand.pos[nc++] = s;
      }
    }
    if (visits) visits.count += visited;
    // The canonical order of the candidates (a bucket sort when they are bounded), its prefix.
    return this.#prefix(cand, nc, want, limit, transient);
  }

  /**
   * The canonical result from candidates (squared distance, tree position) that include every
   * point of the canonical prefix: ranked by (distance, point index), the shortest prefix holding
   * `want` customers.
   */
  #prefix(
    cand: Candidates,
    nc: number,
    want: number,
    limit: number,
    transient: boolean,
  ): FoundArrays {
    const { sq, pos, idx } = cand;
    const order = this.#order;
    const mass = this.#mass;
    if (limit < Infinity) {
      // every candidate within `limit`: buckets by distance, each sorted
      bucketSortPairs(cand, nc, limit, order);
    } else {
      for (let c = 0; c < nc; c++) idx[c] = order[pos[c]];
      sortPairs(sq, idx, 0, nc);
    }
    const position = this.#position;
    let len = 0;
    let held = 0;
    while (len < nc && held < want) held += mass[position[idx[len++]]];
    const found: FoundArrays = transient
      ? {
        length: len,
        index: idx.subarray(0, len),
        distance: cand.distance.subarray(0, len),
        take: cand.take.subarray(0, len),
      }
      : foundArrays(len);
    const { index, distance, take } = found;
    let cum = 0;
    for (let i = 0; i < len; i++) {
      index[i] = idx[i];
      distance[i] = Math.sqrt(sq[i]);
      const t = Math.min(mass[position[idx[i]]], want - cum);
      take[i] = t;
      cum += t;
    }
    return found;
  }

  /**
   * An order of query points in which consecutive ones tend to be near each other: by the leaf of
   * the tree each falls in (descending to the nearer child's box at every node, the left one on a
   * tie), then as given. Searching many points in this order, each search hinted with the
   * neighbours of the one before ({@link nearestArrays}), is much faster than in any order; the
   * results do not depend on the order.
   *
   * @example
   * ```ts
   * import { NeighbourIndex } from "./neighbours.ts";
   * import { deepEqual } from "node:assert/strict";
   * const index = new NeighbourIndex(Array.from({ length: 100 }, (_, i) => [i]));
   * const queries = [[90], [5], [91], [6]];
   * deepEqual(Array.from(index.localityOrder(queries)), [1, 3, 0, 2]); // 5, 6, then 90, 91
   * ```
   *
   * @param points query points (same dimension as the index)
   * @returns a permutation of the points' indices
   */
  localityOrder(points: readonly (readonly number[])[]): Int32Array {
    const da = this.#dims.length;
    const q = new Float64Array(da);
    const leaf = new Float64Array(points.length);
    const ids = new Int32Array(points.length);
    points.forEach((point, i) => {
      if (point.length !== this.dimension) {
        throw new RangeError(`query ${i} has ${point.length} values, expected ${this.dimension}`);
      }
      for (let a = 0; a < da; a++) q[a] = point[this.#dims[a]] * this.#scale[a];
      let node = 0;
      for (let l = this.#left[node]; l >= 0; l = this.#left[node]) {
        const r = this.#right[node];
        node = this.#boxDistance(q, r) < this.#boxDistance(q, l) ? r : l;
      }
      leaf[i] = this.#start[node];
      ids[i] = i;
    });
    sortPairs(leaf, ids, 0, points.length);
    return ids;
  }

  /**
   * Prepares searches around `point`: its squared distance to every point is computed once, so
   * that a search at a point differing from it in one coordinate only — a counterfactual of a
   * reason code — needs one pass over the points rather than a tree walk (see
   * {@link PreparedQuery}). The result of every search is exactly {@link nearestArrays}'.
   *
   * @example
   * ```ts
   * import { NeighbourIndex } from "./neighbours.ts";
   * import { deepEqual } from "node:assert/strict";
   * const index = new NeighbourIndex([[0, 0], [3, 4], [0, 1], [5, 1]]);
   * const around = index.prepare([0, 0]);
   * for (const q of [[0, 0], [4, 0], [0, 2]]) { // the prepared point, then one coordinate changed
   *   deepEqual(around.nearestArrays(q, 2), index.nearestArrays(q, 2));
   * }
   * deepEqual(Array.from(around.nearestArrays([4, 0], 2).index), [3, 0]); // at √2 and 4
   * ```
   *
   * @param point the point (same dimension as the index, finite)
   * @param method how points one coordinate away are searched: `"pass"` (one pass over the
   *   points), `"tree"` (the tree, hinted with the prepared point's neighbours) or `"auto"` (the
   *   default: the pass when the tree visits many points for the prepared point); the result is
   *   the same
   */
  prepare(point: readonly number[], method: "auto" | "pass" | "tree" = "auto"): PreparedQuery {
    checkQuery(point, this.dimension);
    return new Prepared(
      this,
      this.#preparedArrays(),
      point,
      (p, k, hint, visits) => this.#nearest(p, k, hint, visits, false),
      method === "auto" ? undefined : method === "pass",
    );
  }

  /**
   * The canonical `k` nearest points (by distance, then row index), each point counted once
   * whatever its customers.
   *
   * @param point query point (same dimension as the index)
   * @param k number of points (clamped to the index size)
   * @returns `{ index, distance }` pairs, nearest first
   */
  query(point: readonly number[], k: number): { index: number; distance: number }[] {
    const kk = Math.min(Math.max(0, Math.floor(k)), this.size);
    if (kk === 0) {
      if (point.length !== this.dimension) {
        throw new RangeError(`query has ${point.length} values, expected ${this.dimension}`);
      }
      return [];
    }
    const unit = this.#unitIndex();
    return unit.nearest(point, kk).map((f) => ({ index: f.index, distance: f.distance }));
  }

  #unit: NeighbourIndex | null = null;

  /** This index with one customer per point (for {@link query}). */
  #unitIndex(): NeighbourIndex {
    if (this.totalMass === this.size) return this;
    this.#unit ??= new NeighbourIndex(this.#points, { weights: this.#weights });
    return this.#unit;
  }
}

/** Throws unless `point` is a finite query of `dimension` values. */
function checkQuery(point: readonly number[], dimension: number): void {
  if (point.length !== dimension) {
    throw new RangeError(`query has ${point.length} values, expected ${dimension}`);
  }
  if (!point.every(Number.isFinite)) throw new RangeError("query has a non-finite value");
}

/** The empty search result. */
function noneFound(): FoundArrays {
  return {
    length: 0,
    index: new Int32Array(0),
    distance: new Float64Array(0),
    take: new Float64Array(0),
  };
}

/**
 * A new limit for candidates `[0, nc)`: the ⌈want⌉-th smallest squared distance among them (the
 * points up to it hold at least `want` customers, each holding at least one), or `limit` when
 * there are not more candidates than that.
 */
function candidateLimit(cand: Candidates, nc: number, m: number, limit: number): number {
  if (nc <= m) return limit;
  cand.sel.set(cand.sq.subarray(0, nc));
  const v = kthSmallest(cand.sel, nc, m - 1);
  return v < limit ? v : limit;
}

/** Keeps the candidates within `limit` (in their order); returns how many. */
function keepWithin(cand: Candidates, nc: number, limit: number): number {
  const { sq, pos } = cand;
  let kept = 0;
  for (let c = 0; c < nc; c++) {
    const v = sq[c];
    if (v > limit) continue;
    sq[kept] = v;
    pos[kept++] = pos[c];
  }
  return kept;
}

/**
 * Sorts candidates `[0, nc)` (squared distances in `cand.sq`, all within the finite `limit`,
 * tree positions in `cand.pos`) by (distance, point index): the distances into `cand.sq`, the
 * point indices into `cand.idx`. One bucket per candidate by distance / limit (monotone in the
 * distance), then each bucket sorted with {@link sortPairs}: linear for spread-out distances.
 */
function bucketSortPairs(cand: Candidates, nc: number, limit: number, order: Int32Array): void {
  const { sq, pos, idx, sel, start, tmp } = cand;
  if (nc === 0) return;
  const scale = limit > 0 ? nc / limit : 0;
  // monotone in the distance; past the last bucket, or NaN (0 × an overflowed scale), the last
  const bucket = (v: number) => (v * scale < nc - 1 ? Math.floor(v * scale) : nc - 1);
  start.fill(0, 0, nc + 1);
  for (let c = 0; c < nc; c++) start[bucket(sq[c]) + 1]++;
  for (let b = 0; b < nc; b++) start[b + 1] += start[b];
  // scatter: distances into `sel`, candidate numbers into `tmp` (start[b] ends as bucket b's end)
  for (let c = 0; c < nc; c++) {
    const v = sq[c];
    const at = start[bucket(v)]++;
    sel[at] = v;
    tmp[at] = pos[c];
  }
  let lo = 0;
  for (let b = 0; b < nc; b++) {
    const hi = start[b];
    for (let i = lo; i < hi; i++) {
      sq[i] = sel[i];
      idx[i] = order[tmp[i]];
    }
    if (hi - lo > 1) sortPairs(sq, idx, lo, hi);
    lo = hi;
  }
}

/** Candidate space for `cap` candidates holding the first `nc` of `old`. */
function grownCandidates(old: Candidates, nc: number, cap: number): Candidates {
  const c = candidatesFor(null, cap);
  c.sq.set(old.sq.subarray(0, nc));
  c.pos.set(old.pos.subarray(0, nc));
  return c;
}

/**
 * Sorts the pairs (key, index) at positions [from, to) by key, then index, in place: a
 * quicksort (median of three) with insertion sort for short runs, on the typed arrays themselves.
 * The canonical order of every neighbour search (distance, then point index); the pairs must be
 * distinct (indices differ) and the keys not NaN.
 *
 * @example
 * ```ts
 * import { sortPairs } from "./neighbours.ts";
 * import { deepEqual } from "node:assert/strict";
 * const key = Float64Array.of(2, 1, 2, 0);
 * const idx = Int32Array.of(7, 3, 5, 9);
 * sortPairs(key, idx, 0, 4);
 * deepEqual([Array.from(key), Array.from(idx)], [[0, 1, 2, 2], [9, 3, 5, 7]]);
 * ```
 */
export function sortPairs(key: Float64Array, idx: Int32Array, from: number, to: number): void {
  const stack: number[] = [];
  let lo = from;
  let hi = to - 1;
  for (;;) {
    if (hi - lo <= 16) {
      for (let a = lo + 1; a <= hi; a++) {
        const k = key[a];
        const v = idx[a];
        let b = a - 1;
        while (b >= lo && (key[b] > k || (key[b] === k && idx[b] > v))) {
          key[b + 1] = key[b];
          idx[b + 1] = idx[b];
          b--;
        }
        key[b + 1] = k;
        idx[b + 1] = v;
      }
      if (stack.length === 0) return;
      hi = stack.pop()!;
      lo = stack.pop()!;
      continue;
    }
    const mid = (lo + hi) >> 1;
    if (pairLess(key, idx, mid, lo)) swapPair(key, idx, mid, lo);
    if (pairLess(key, idx, hi, lo)) swapPair(key, idx, hi, lo);
    if (pairLess(key, idx, hi, mid)) swapPair(key, idx, hi, mid);
    // Hoare partition around the median (pairs are distinct: indices differ).
    const pk = key[mid];
    const pi = idx[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (key[i] < pk || (key[i] === pk && idx[i] < pi)) i++;
      while (key[j] > pk || (key[j] === pk && idx[j] > pi)) j--;
      if (i <= j) {
        swapPair(key, idx, i, j);
        i++;
        j--;
      }
    }
    // Keep the larger side for later, go on with the smaller one.
    if (j - lo < hi - i) {
      stack.push(i, hi);
      hi = j;
    } else {
      stack.push(lo, j);
      lo = i;
    }
  }
}

function pairLess(key: Float64Array, idx: Int32Array, a: number, b: number): boolean {
  return key[a] < key[b] || (key[a] === key[b] && idx[a] < idx[b]);
}

function swapPair(key: Float64Array, idx: Int32Array, a: number, b: number): void {
  const k = key[a];
  key[a] = key[b];
  key[b] = k;
  const v = idx[a];
  idx[a] = idx[b];
  idx[b] = v;
}

/** A search result of `len` points to fill: its three arrays share one buffer. */
function foundArrays(len: number): FoundArrays {
  const buffer = new ArrayBuffer(len * 20);
  return {
    length: len,
    distance: new Float64Array(buffer, 0, len),
    take: new Float64Array(buffer, len * 8, len),
    index: new Int32Array(buffer, len * 16, len),
  };
}

/** The arrays of a {@link NeighbourIndex} that a prepared query reads (tree order). */
interface IndexArrays {
  n: number;
  da: number;
  dims: Int32Array;
  scale: Float64Array;
  /** Weighted active coordinates, row-major. */
  data: Float64Array;
  /** The same, column-major (`columns[a * n + s]`). */
  columns: Float64Array;
  /** Smallest and largest value of each column. */
  columnMin: Float64Array;
  columnMax: Float64Array;
  order: Int32Array;
  /** Tree-order position of each point (the inverse of `order`). */
  position: Int32Array;
  mass: Float64Array;
  /** Scratch space shared by the index's prepared queries (one search runs at a time). */
  scratch: {
    /** Squared distances of the prepared point {@link owner} to each point, and the largest. */
    base: Float64Array;
    baseMax: number;
    owner: object | null;
    lo: Float64Array;
    pick: Float64Array;
    candidates: Int32Array;
    sq: Float64Array;
    /** Sort keys (point indices) and positions of the ranking (`lo` holds the distances). */
    ranks: Int32Array;
    pos: Int32Array;
    /** A transient result's distances and customers (its indices are in `ranks`). */
    distance: Float64Array;
    take: Float64Array;
  };
}

/**
 * A query prepared by {@link NeighbourIndex.prepare}: searches at points that differ from the
 * prepared point in at most one coordinate, with exactly the result of
 * {@link NeighbourIndex.nearestArrays} (other points are searched by the index as usual).
 *
 * How: the squared distance d² of the prepared point to every point is kept. A point that
 * differs in coordinate j only is at d'² = d² − (q_j − x_j)² + (q'_j − x_j)² from a training
 * point x. That shortcut is not the search's arithmetic (it rounds differently), so it only
 * filters, with a bound on its rounding error (relative, see {@link FILTER_TOLERANCE}): the
 * points whose shortcut's upper bound holds `k` customers bound the k-th distance from above,
 * every point whose lower bound is within it is a candidate, and the candidates' distances are
 * computed exactly as the search computes them (same terms, same order), then ranked by
 * (distance, index) as the search ranks them. The neighbours, their order, ties and distances
 * are therefore the search's own.
 */
export interface PreparedQuery {
  /** The index it searches. */
  readonly index: NeighbourIndex;
  /**
   * {@link NeighbourIndex.nearestArrays} at `point` (same result).
   *
   * @param point query point (same dimension as the index, finite)
   * @param k customers wanted
   */
  nearestArrays(point: readonly number[], k: number): FoundArrays;
}

/**
 * Relative error bound of the filter's shortcut per active coordinate (see
 * {@link PreparedQuery}): |shortcut − exact| ≤ (2·da + 4)·u·(d² + old term + new term) with
 * u = 2⁻⁵³ (two sums of da non-negative terms, one subtraction, one addition). The bound used,
 * (2·da + 8)·2⁻⁵², is over twice that; plus an absolute floor for subnormal terms.
 */
const FILTER_TOLERANCE = { perCoordinate: 2 * 2 ** -52, extra: 8 * 2 ** -52, floor: 1e-300 };

class Prepared implements PreparedQuery {
  readonly index: NeighbourIndex;
  readonly #a: IndexArrays;
  readonly #tree: TreeSearch;
  /** The prepared point's voting points, by the tree search (the hint of other searches). */
  #hint: Int32Array | undefined = undefined;
  /** Whether points one coordinate away are searched by the pass (else by the tree), once known. */
  #scan: boolean | undefined = undefined;
  /** The prepared point, weighted (active coordinates). */
  readonly #q: Float64Array;
  /** A query's weighted coordinates (scratch). */
  readonly #q2: Float64Array;
  readonly #relative: number;
  readonly #floor: number;

  constructor(
    index: NeighbourIndex,
    arrays: IndexArrays,
    point: readonly number[],
    tree: TreeSearch,
    scan: boolean | undefined,
  ) {
    this.index = index;
    this.#a = arrays;
    this.#tree = tree;
    this.#scan = scan;
    const da = arrays.da;
    this.#q = this.#weighted(point, new Float64Array(da));
    this.#q2 = new Float64Array(da);
    this.#relative = FILTER_TOLERANCE.perCoordinate * da + FILTER_TOLERANCE.extra;
    this.#floor = FILTER_TOLERANCE.floor;
  }

  /**
   * The squared distances of the prepared point, in the index's scratch space (shared by its
   * prepared queries, so that preparing allocates nothing): filled again when another prepared
   * query has used the space since.
   */
  #fillBase(): Float64Array {
    const { n, da, data, scratch } = this.#a;
    const base = scratch.base;
    if (scratch.owner === this) return base;
    const q = this.#q;
    let max = 0;
    for (let s = 0; s < n; s++) {
      // The search's arithmetic: the same terms, summed in the same order.
      const sq = squaredDistance(q, data, s, da);
      base[s] = sq;
      if (!(sq <= max)) max = sq; // (an infinite distance makes it infinite)
    }
    scratch.baseMax = max;
    scratch.owner = this;
    return base;
  }

  #weighted(point: readonly number[], out: Float64Array): Float64Array {
    const { dims, scale } = this.#a;
    for (let a = 0; a < out.length; a++) out[a] = point[dims[a]] * scale[a];
    return out;
  }

  nearestArrays(point: readonly number[], k: number): FoundArrays {
    return this.#search(point, k, false);
  }

  /**
   * {@link nearestArrays} with its result in the index's scratch space (no allocation): valid
   * only until the next search of a prepared query of the same index, so for a caller that
   * reads it at once ({@link predictOne}).
   */
  nearestTransient(point: readonly number[], k: number): FoundArrays {
    return this.#search(point, k, true);
  }

  #search(point: readonly number[], k: number, transient: boolean): FoundArrays {
    checkQuery(point, this.index.dimension);
    const want = Math.max(0, k);
    if (want === 0) return noneFound();
    const q = this.#q;
    const q2 = this.#weighted(point, this.#q2);
    let changed = -1;
    for (let a = 0; a < q.length; a++) {
      if (q2[a] === q[a]) continue;
      if (changed >= 0) return this.#tree(point, k, this.#hint, null); // two coordinates differ
      changed = a;
    }
    if (changed < 0 || this.#scan === undefined) {
      // The prepared point itself is searched by the tree, and how many points the tree visits
      // decides the method for points one coordinate away: the pass costs one cheap step per
      // point, the tree several per point it visits (the choice never changes a result).
      const visits = { count: 0 };
      const found = this.#tree(point, k, changed < 0 ? undefined : this.#hint, visits);
      if (changed < 0) this.#hint = found.index.slice(0, found.length);
      this.#scan ??= visits.count * SCAN_WHEN_VISITED >= this.#a.n;
      return found;
    }
    if (!this.#scan) return this.#tree(point, k, this.#hint, null);
    const { n, da, data, scratch } = this.#a;
    const { lo, candidates, pick, sq } = scratch;
    const base = this.#fillBase();
    // With no coordinate changed the shortcut is d² itself (old and new terms are equal).
    const a = changed < 0 ? 0 : changed;
    const col = this.#a.columns.subarray(a * n, a * n + n);
    const qOld = q[a];
    const qNew = q2[a];
    // The shortcut's error bound, for every point at once: `relative` × (d² + old + new) + floor
    // with each term at its largest (old and new are largest at an end of the column's range).
    const farthest = (v: number) =>
      Math.max(
        (v - this.#a.columnMin[a]) * (v - this.#a.columnMin[a]),
        (v - this.#a.columnMax[a]) * (v - this.#a.columnMax[a]),
      );
    const size = scratch.baseMax + farthest(qOld) + farthest(qNew);
    const err = size < Infinity ? this.#relative * size + this.#floor : Infinity;
    // Each point's exact squared distance lies in [lo, hi] of the shortcut d² − old + new. Every
    // neighbour has lo ≤ upper, where `upper` is the m-th smallest hi (`m` points hold at least
    // `want` customers, each point holding one or more): it bounds the k-th customer's squared
    // distance. One pass collects the points with lo ≤ a threshold guessed from a sample, and
    // the hi ≤ threshold among them; at least m of those prove the threshold ≥ upper.
    const m = Math.ceil(want);
    const sample = Math.min(n, SAMPLE);
    let rank = Math.min(sample - 1, Math.ceil((2 * m * sample) / n) + 4);
    let nc = 0;
    let np = 0;
    for (;;) {
      let threshold = Infinity;
      if (m < n && rank < sample - 1) {
        for (let i = 0; i < sample; i++) {
          const s = Math.floor((i * n) / sample);
          const tOld = qOld - col[s];
          const tNew = qNew - col[s];
          const high = base[s] - tOld * tOld + tNew * tNew + err;
          pick[i] = high < Infinity ? high : Infinity; // no NaN (an overflowing term)
        }
        threshold = kthSmallest(pick, sample, rank);
      }
      const kept = scanShortcut(col, base, qOld, qNew, err, threshold, scratch);
      nc = kept.candidates;
      np = kept.bounds;
      if (np >= m || threshold === Infinity) break;
      rank = Math.min(sample - 1, rank * 2); // too few kept: a larger threshold
    }
    const upper = m < n && np >= m ? kthSmallest(pick, np, m - 1) : Infinity;
    // The candidates at their exact distances: the search's arithmetic, the same terms summed
    // in the same order.
    let kept = 0;
    for (let c = 0; c < nc; c++) {
      if (lo[c] > upper) continue;
      const s = candidates[c];
      candidates[kept] = s;
      sq[kept++] = squaredDistance(q2, data, s, da);
    }
    return this.#ranked(kept, want, transient);
  }

  /**
   * The canonical result from the first `nc` candidates of the scratch space (positions and
   * exact squared distances), which include every point of the canonical prefix: ranked by
   * (distance, index), the shortest prefix holding `want` customers.
   */
  #ranked(nc: number, want: number, transient: boolean): FoundArrays {
    const { order, mass, scratch } = this.#a;
    const { candidates, sq } = scratch;
    // Sort keys (squared distance, point index) and positions, moved together.
    const keySq = scratch.lo;
    const keyIdx = scratch.ranks;
    const pos = scratch.pos;
    for (let c = 0; c < nc; c++) {
      keySq[c] = sq[c];
      keyIdx[c] = order[candidates[c]];
    }
    sortPairs(keySq, keyIdx, 0, nc);
    const position = this.#a.position;
    for (let i = 0; i < nc; i++) pos[i] = position[keyIdx[i]];
    let len = 0;
    let held = 0;
    while (len < nc && held < want) held += mass[pos[len++]];
    const found: FoundArrays = transient
      ? {
        length: len,
        index: keyIdx.subarray(0, len),
        distance: scratch.distance.subarray(0, len),
        take: scratch.take.subarray(0, len),
      }
      : foundArrays(len);
    let cum = 0;
    for (let i = 0; i < len; i++) {
      found.index[i] = keyIdx[i];
      found.distance[i] = Math.sqrt(keySq[i]);
      const t = Math.min(mass[pos[i]], want - cum);
      found.take[i] = t;
      cum += t;
    }
    return found;
  }
}

/**
 * The pass of a {@link PreparedQuery} search over all points: with the shortcut
 * d² − old + new (old and new the squared differences in the changed coordinate, at the prepared
 * and the new value) and its error bound `err`, each point's exact squared distance lies in
 * [low, high] = shortcut ∓ err. Keeps the points with low ≤ `threshold` (positions in
 * `scratch.candidates`, their low in `scratch.lo`) and, in `scratch.pick`, the high ≤
 * `threshold` among them. A term that overflows makes low and high NaN or infinite: such a point
 * is always a candidate and never counted. A small function of its own, so that it is compiled
 * as the tight loop it is.
 */
function scanShortcut(
  col: Float64Array,
  base: Float64Array,
  qOld: number,
  qNew: number,
  err: number,
  threshold: number,
  scratch: IndexArrays["scratch"],
): { candidates: number; bounds: number } {
  const { candidates, lo, pick } = scratch;
  const n = base.length;
  let nc = 0;
  let np = 0;
  for (let s = 0; s < n; s++) {
    const x = col[s];
    const tOld = qOld - x;
    const old = tOld * tOld;
    const tNew = qNew - x;
    const now = tNew * tNew;
    const d2 = base[s];
    const approx = d2 - old + now;
    const low = approx - err;
    if (low > threshold) continue; // false for NaN: a candidate
    candidates[nc] = s;
    lo[nc++] = low;
    const high = approx + err;
    if (high <= threshold) pick[np++] = high; // false for NaN: not counted
  }
  return { candidates: nc, bounds: np };
}

/** The tree search of an index (with a hint, counting the points it visits). */
type TreeSearch = (
  point: readonly number[],
  k: number,
  hint: ArrayLike<number> | undefined,
  visits: { count: number } | null,
) => FoundArrays;

/**
 * A prepared query searches points one coordinate away by its pass over all points when the
 * tree search of the prepared point visited at least 1 / SCAN_WHEN_VISITED of them, else by the
 * tree, hinted with its neighbours. Measured on the scoring service: on the default dataset's
 * model (the tree visits a fifth of the points on average) the pass takes about half the time;
 * on CDNOW's (under 2 %: large k over collapsed points) the tree is faster.
 */
const SCAN_WHEN_VISITED = 12;

/** Points sampled by a {@link PreparedQuery} search to guess its threshold. */
const SAMPLE = 256;

const cache = new WeakMap<object, {
  key: string;
  index: NeighbourIndex;
  weights: KnnModel["featureWeights"];
  counts: KnnModel["counts"];
}>();

/** Customers per point of a model. */
function massOf(model: KnnModel): number[] | undefined {
  return model.counts?.map((c) => c.reduce((s, x) => s + x, 0));
}

/**
 * The neighbour index of a model's training points, built once per `points` array (and weights)
 * and cached.
 *
 * @example
 * ```ts
 * import { fitKnn, indexFor } from "./neighbours.ts";
 * import { equal } from "node:assert/strict";
 * const m = fitKnn([[0], [1], [5]], [0, 0, 1]);
 * equal(indexFor(m), indexFor(m)); // built once, then reused
 * equal(indexFor(m).query([4], 1)[0].index, 2);
 * ```
 *
 * @param model fitted model
 */
export function indexFor(model: KnnModel): NeighbourIndex {
  const hit = cache.get(model.points);
  // The same weights and counts arrays as last time (models are plain data, never changed in
  // place): no need to compare their contents, which would cost more than a search.
  if (hit && hit.weights === model.featureWeights && hit.counts === model.counts) return hit.index;
  const key = JSON.stringify([model.featureWeights ?? null, model.counts ? massOf(model) : null]);
  if (hit && hit.key === key) {
    hit.weights = model.featureWeights;
    hit.counts = model.counts;
    return hit.index;
  }
  const index = new NeighbourIndex(model.points, {
    weights: model.featureWeights,
    mass: massOf(model),
  });
  cache.set(model.points, { key, index, weights: model.featureWeights, counts: model.counts });
  return index;
}

/**
 * Class probabilities from a list of neighbours (one customer each).
 *
 * @example
 * ```ts
 * import { vote } from "./neighbours.ts";
 * import { deepEqual } from "node:assert/strict";
 * const nbs = [{ distance: 1, label: 0 }, { distance: 3, label: 1 }];
 * deepEqual(vote(nbs, "uniform", 2), [0.5, 0.5]);
 * deepEqual(vote(nbs, "distance", 2), [0.75, 0.25]); // weights 1 and 1/3
 * deepEqual(vote([{ distance: 0, label: 1 }, ...nbs], "distance", 2), [0, 1]); // exact match
 * ```
 *
 * @param neighbours the voting neighbours (distance and label)
 * @param weighting "uniform" (weight 1) or "distance" (1/d; exact matches only if any d = 0)
 * @param nClasses number of classes
 * @returns probability per class (all 0 for an empty list)
 */
export function vote(
  neighbours: readonly { distance: number; label: number }[],
  weighting: Weighting,
  nClasses: number,
): number[] {
  return voteCounts(
    neighbours.map((nb) => ({ distance: nb.distance, take: 1, share: oneHot(nb.label, nClasses) })),
    weighting,
    0,
    nClasses,
  );
}

function oneHot(label: number, n: number): number[] {
  const v = new Array<number>(n).fill(0);
  v[label] = 1;
  return v;
}

/** A voting neighbour with customers: distance, customers taken and its class shares. */
export interface VotingPoint {
  distance: number;
  /** Customers taken from the point. */
  take: number;
  /** Share of each class among the point's customers (sums to 1). */
  share: readonly number[];
}

/** An exact match: d = 0, or so small that 1/d overflows. */
const isExact = (d: number) => !(1 / d < Infinity);

/**
 * Class probabilities from neighbouring points that stand for several customers.
 *
 * @example
 * ```ts
 * import { voteCounts } from "./neighbours.ts";
 * import { deepEqual } from "node:assert/strict";
 * // 3 customers at distance 0 (2 of class 0, 1 of class 1), 1 of class 1 at distance 1
 * const pts = [
 *   { distance: 0, take: 3, share: [2 / 3, 1 / 3] },
 *   { distance: 1, take: 1, share: [0, 1] },
 * ];
 * deepEqual(voteCounts(pts, "uniform", 0, 2), [0.5, 0.5]);
 * // 1 / (d + 1): weights 1 per customer at 0 and 1/2 at 1 → [2, 1 + 0.5] / 3.5
 * deepEqual(voteCounts(pts, "distance", 1, 2), [2 / 3.5, 1.5 / 3.5]);
 * ```
 *
 * @param points the neighbouring points
 * @param weighting vote weighting
 * @param offset ε of 1 / (d + ε); 0 for 1/d with the exact-match rule
 * @param nClasses number of classes
 */
export function voteCounts(
  points: readonly VotingPoint[],
  weighting: Weighting,
  offset: number,
  nClasses: number,
): number[] {
  const w = new Array<number>(nClasses).fill(0);
  if (points.length === 0) return w;
  const exact = weighting === "distance" && offset === 0 &&
    points.some((p) => isExact(p.distance));
  let total = 0;
  for (const p of points) {
    let weight: number;
    if (weighting === "uniform") weight = 1;
    else if (offset > 0) weight = 1 / (p.distance + offset);
    else if (exact) weight = isExact(p.distance) ? 1 : 0;
    else weight = 1 / p.distance;
    const mass = weight * p.take;
    for (let c = 0; c < nClasses; c++) w[c] += mass * p.share[c];
    total += mass;
  }
  return w.map((x) => x / total);
}

/**
 * Index of the largest value (ties → lowest index).
 *
 * @example
 * ```ts
 * import { argmax } from "./neighbours.ts";
 * import { equal } from "node:assert/strict";
 * equal(argmax([0.2, 0.5, 0.3]), 1);
 * equal(argmax([0.4, 0.4, 0.2]), 0); // tie → lower index
 * ```
 *
 * @param values numbers
 */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** A model's class counts in one typed array (row-major) with each row's sum. */
interface FlatCounts {
  counts: Float64Array;
  sums: Float64Array;
}

const flatCache = new WeakMap<object, FlatCounts | null>();

/**
 * The class counts of a model's points as one typed array and their sums (whole numbers, so the
 * sums are exact whatever the order), made once per `counts` array; null unless every point has
 * a row of `C` counts (the vote then reads the rows as they are).
 */
function flatCounts(
  counts: readonly (readonly number[])[],
  n: number,
  C: number,
): FlatCounts | null {
  const hit = flatCache.get(counts);
  if (hit !== undefined) return hit;
  let out: FlatCounts | null = null;
  if (counts.length === n && counts.every((c) => c?.length === C)) {
    out = { counts: new Float64Array(n * C), sums: new Float64Array(n) };
    for (let p = 0; p < n; p++) {
      const c = counts[p];
      let sum = 0;
      for (let k = 0; k < C; k++) {
        out.counts[p * C + k] = c[k];
        sum += c[k];
      }
      out.sums[p] = sum;
    }
  }
  flatCache.set(counts, out);
  return out;
}

/**
 * Predicts one point.
 *
 * @example
 * ```ts
 * import { fitKnn, predictOne } from "./neighbours.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const m = fitKnn([[0], [1], [5], [6]], [0, 0, 1, 1], { k: 3 });
 * const p = predictOne(m, [4.5]);
 * equal(p.label, 1);
 * deepEqual(p.probabilities, [1 / 3, 2 / 3]);
 * deepEqual(p.neighbours.map((nb) => nb.index), [2, 3, 1]); // nearest first
 * // a point standing for 4 customers (3 of class 0): k = 2 takes two of them, shares 3:1
 * const c = fitKnn([[0], [9]], [0, 1], { k: 2, counts: [[3, 1], [0, 1]] });
 * deepEqual(predictOne(c, [0]).probabilities, [0.75, 0.25]);
 * ```
 *
 * @param model fitted model
 * @param point scaled query point
 * @param maxNeighbours most neighbours listed (all vote; default all)
 * @param search a hint for the neighbour search (see {@link NeighbourIndex.nearestArrays}: it
 *   speeds the search up, never changes the result) and a callback that receives every voting
 *   point (to hint a later search nearby)
 * @returns label, class probabilities, the neighbours and the number of voters
 */
export function predictOne(
  model: KnnModel,
  point: readonly number[],
  maxNeighbours = Infinity,
  search: SearchOptions = {},
): KnnPrediction {
  const index = indexFor(model);
  const prepared = search.prepared?.index === index ? search.prepared : undefined;
  // read at once below, unless handed out: the scratch space of the search will do
  const transient = !search.onFound || search.transient === true;
  const found = prepared instanceof Prepared && transient
    ? prepared.nearestTransient(point, model.k)
    : prepared
    ? prepared.nearestArrays(point, model.k)
    : transient
    ? index.nearestTransient(point, model.k, search.hint, search.visits)
    : index.nearestArrays(point, model.k, search.hint);
  search.onFound?.(found);
  const C = model.nClasses;
  const offset = model.offset ?? 0;
  const counts = model.counts;
  const flat = counts ? flatCounts(counts, model.points.length, C) : null;
  const w = new Array<number>(C).fill(0);
  let exact = false;
  if (model.weighting === "distance" && offset === 0) {
    for (let i = 0; i < found.length; i++) if (isExact(found.distance[i])) exact = true;
  }
  // A neighbour's vote weight: 1, 1 / (d + offset), or 1 / d (only the exact matches when some
  // neighbour is one).
  const uniform = model.weighting === "uniform";
  const weightOf = (d: number): number =>
    uniform ? 1 : offset > 0 ? 1 / (d + offset) : exact ? (isExact(d) ? 1 : 0) : 1 / d;
  let total = 0;
  let voters = 0;
  if (flat) {
    // the same products and sums in the same order, on typed arrays
    const { counts: fc, sums } = flat;
    const acc = new Float64Array(C);
    const { distance, take, index } = found;
    for (let i = 0; i < found.length; i++) {
      const weight = weightOf(distance[i]);
      const t = take[i];
      const m = weight * t;
      const base = index[i] * C;
      const sum = sums[index[i]];
      for (let k = 0; k < C; k++) acc[k] += (m * fc[base + k]) / sum;
      total += m;
      voters += t;
    }
    for (let k = 0; k < C; k++) w[k] = acc[k];
  } else {
    for (let i = 0; i < found.length; i++) {
      const t = found.take[i];
      const m = weightOf(found.distance[i]) * t;
      const idx = found.index[i];
      const c = counts?.[idx];
      if (c) {
        let sum = 0;
        for (let k = 0; k < C; k++) sum += c[k];
        for (let k = 0; k < C; k++) w[k] += (m * c[k]) / sum;
      } else {
        w[model.labels[idx]] += m;
      }
      total += m;
      voters += t;
    }
  }
  const probabilities = total > 0 ? w.map((x) => x / total) : w;
  const shown = Math.min(found.length, maxNeighbours);
  const neighbours: Neighbour[] = new Array(shown);
  for (let i = 0; i < shown; i++) {
    neighbours[i] = {
      index: found.index[i],
      distance: found.distance[i],
      label: model.labels[found.index[i]],
      customers: found.take[i],
    };
  }
  return { label: argmax(probabilities), probabilities, neighbours, voters };
}

/**
 * Predicts many points.
 *
 * @example
 * ```ts
 * import { fitKnn, predictKnn } from "./neighbours.ts";
 * import { deepEqual } from "node:assert/strict";
 * const m = fitKnn([[0], [1], [5], [6]], [0, 0, 1, 1], { k: 1 });
 * deepEqual(predictKnn(m, [[0.2], [5.9]]).map((p) => p.label), [0, 1]);
 * ```
 *
 * @param model fitted model
 * @param points scaled query points
 * @returns one {@link KnnPrediction} per point
 */
export function predictKnn(
  model: KnnModel,
  points: readonly (readonly number[])[],
): KnnPrediction[] {
  return points.map((p) => predictOne(model, p));
}
