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
 * **Search.** The weighted points are stored once in a `Float64Array`, sorted by the coordinate
 * with the largest weighted spread. A query starts at its own position in that order and walks
 * outwards, nearer side first; a side stops when the gap on that coordinate alone exceeds the
 * current k-th distance, and each distance stops accumulating as soon as it exceeds it. Exact
 * (no approximation), and the result does not depend on the walk: ties are resolved by index.
 *
 * **Votes.** `"uniform"` gives each neighbouring customer weight 1; `"distance"` weight
 * 1 / (d + ε), or with ε = 0 the weight 1/d, except that when any neighbour is at distance 0 only
 * the exact matches vote (equally) — scikit-learn's rule. Probabilities are the class shares of
 * the total weight; the predicted class is the most probable one, ties going to the lower index.
 *
 * @module
 */

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
  /** Receives the points found (every voting point, nearest first). */
  onFound?: (found: FoundArrays) => void;
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
  const byKey = new Map<string, number>();
  const out: Collapsed = { points: [], counts: [], labels: [], firstRow: [], pointOf: [] };
  const bits = new Float64Array(rows[0]?.length ?? 0);
  const words = new Uint16Array(bits.buffer);
  rows.forEach((r, i) => {
    // The exact bits of the values are the key.
    bits.set(r);
    const key = String.fromCharCode(...words);
    let p = byKey.get(key);
    if (p === undefined) {
      p = out.points.length;
      byKey.set(key, p);
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

/** A max-heap of search candidates by (squared distance, index), in typed arrays. */
class CandidateHeap {
  readonly sq: Float64Array;
  readonly idx: Int32Array;
  readonly mass: Float64Array;
  size = 0;
  /** Customers held. */
  held = 0;

  constructor(capacity: number) {
    this.sq = new Float64Array(capacity);
    this.idx = new Int32Array(capacity);
    this.mass = new Float64Array(capacity);
  }

  #worse(a: number, b: number): boolean {
    const sq = this.sq;
    return sq[a] > sq[b] || (sq[a] === sq[b] && this.idx[a] > this.idx[b]);
  }

  #swap(a: number, b: number): void {
    const sq = this.sq;
    const idx = this.idx;
    const mass = this.mass;
    const s = sq[a];
    sq[a] = sq[b];
    sq[b] = s;
    const x = idx[a];
    idx[a] = idx[b];
    idx[b] = x;
    const m = mass[a];
    mass[a] = mass[b];
    mass[b] = m;
  }

  push(sq: number, idx: number, m: number): void {
    let c = this.size++;
    this.sq[c] = sq;
    this.idx[c] = idx;
    this.mass[c] = m;
    this.held += m;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (!this.#worse(c, p)) break;
      this.#swap(c, p);
      c = p;
    }
  }

  pop(): void {
    this.held -= this.mass[0];
    this.size--;
    this.#swap(0, this.size);
    let p = 0;
    const size = this.size;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < size && this.#worse(l, m)) m = l;
      if (r < size && this.#worse(r, m)) m = r;
      if (m === p) break;
      this.#swap(p, m);
      p = m;
    }
  }
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
 * nearer box first and skips a box once it lies farther than the current k-th customer; each
 * distance stops accumulating as soon as it exceeds that distance. Exact: the result does not
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
  #heap: CandidateHeap | null = null;
  readonly #stack: Int32Array;
  readonly #bound: Float64Array;
  /** Tree-order position of each point (the inverse of `#order`). */
  readonly #position: Int32Array;

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

  /** Squared distance from the (weighted) query to a node's box. */
  /**
   * The smallest squared distance from `q` (weighted) within which the hinted points hold `want`
   * customers, computed exactly as the search computes distances; Infinity when they hold fewer.
   */
  #hintLimit(q: Float64Array, hint: ArrayLike<number>, want: number): number {
    const da = this.#dims.length;
    const data = this.#data;
    const found: { sq: number; mass: number }[] = [];
    const seen = new Set<number>();
    for (let h = 0; h < hint.length; h++) {
      const i = hint[h];
      if (!(Number.isInteger(i) && i >= 0 && i < this.size) || seen.has(i)) continue;
      seen.add(i);
      const s = this.#position[i];
      let sq = 0;
      const base = s * da;
      for (let a = 0; a < da; a++) {
        const t = q[a] - data[base + a];
        sq += t * t;
      }
      found.push({ sq, mass: this.#mass[s] });
    }
    found.sort((x, y) => x.sq - y.sq);
    let held = 0;
    for (const f of found) {
      held += f.mass;
      if (held >= want) return f.sq;
    }
    return Infinity;
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
    if (point.length !== this.dimension) {
      throw new RangeError(`query has ${point.length} values, expected ${this.dimension}`);
    }
    if (!point.every(Number.isFinite)) throw new RangeError("query has a non-finite value");
    const want = Math.max(0, k);
    if (want === 0) {
      return {
        length: 0,
        index: new Int32Array(0),
        distance: new Float64Array(0),
        take: new Float64Array(0),
      };
    }
    const da = this.#dims.length;
    const q = new Float64Array(da);
    for (let a = 0; a < da; a++) q[a] = point[this.#dims[a]] * this.#scale[a];
    const data = this.#data;
    const order = this.#order;
    const mass = this.#mass;
    const cap = Math.min(this.size, Math.ceil(want) + 1) + 1;
    if (!this.#heap || this.#heap.sq.length < cap) this.#heap = new CandidateHeap(cap);
    const heap = this.#heap;
    heap.size = 0;
    heap.held = 0;
    // Squared distance of the worst candidate once `want` customers are in; before that, the
    // distance within which the hinted points hold `want` customers (or no bound).
    let limit = hint ? this.#hintLimit(q, hint, want) : Infinity;
    // Depth-first, nearer child first; a node is (re)checked against the limit when popped.
    const stack = this.#stack;
    const bound = this.#bound;
    let top = 0;
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
      for (let s = this.#start[node], e = this.#end[node]; s < e; s++) {
        let sq = 0;
        const base = s * da;
        let a = 0;
        for (; a < da; a++) {
          const t = q[a] - data[base + a];
          sq += t * t;
          if (sq > limit) break;
        }
        if (a < da) continue;
        const idx = order[s];
        if (sq === limit && heap.held >= want && idx > heap.idx[0]) continue;
        heap.push(sq, idx, mass[s]);
        while (heap.size > 1 && heap.held - heap.mass[0] >= want) heap.pop();
        if (heap.held >= want) limit = heap.sq[0];
      }
    }
    // Popping the max-heap gives the candidates from the worst down: fill from the end.
    const len = heap.size;
    const index = new Int32Array(len);
    const distance = new Float64Array(len);
    const take = new Float64Array(len);
    for (let i = len - 1; i >= 0; i--) {
      index[i] = heap.idx[0];
      distance[i] = heap.sq[0];
      take[i] = heap.mass[0];
      heap.pop();
    }
    let cum = 0;
    for (let i = 0; i < len; i++) {
      distance[i] = Math.sqrt(distance[i]);
      take[i] = Math.min(take[i], want - cum);
      cum += take[i];
    }
    return { length: len, index, distance, take };
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
  const found = indexFor(model).nearestArrays(point, model.k, search.hint);
  search.onFound?.(found);
  const C = model.nClasses;
  const offset = model.offset ?? 0;
  const counts = model.counts;
  const w = new Array<number>(C).fill(0);
  let exact = false;
  if (model.weighting === "distance" && offset === 0) {
    for (let i = 0; i < found.length; i++) if (isExact(found.distance[i])) exact = true;
  }
  let total = 0;
  let voters = 0;
  for (let i = 0; i < found.length; i++) {
    const d = found.distance[i];
    const weight = model.weighting === "uniform"
      ? 1
      : offset > 0
      ? 1 / (d + offset)
      : exact
      ? (isExact(d) ? 1 : 0)
      : 1 / d;
    const t = found.take[i];
    const m = weight * t;
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
