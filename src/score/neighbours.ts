/**
 * k-nearest-neighbour classification with class probabilities and the neighbours themselves.
 *
 * The fitted model ({@link KnnModel}) is plain data: training points, labels, k, weighting and
 * the number of classes. Neighbour search uses the KD-tree inside `ml-knn` 3: `ml-knn`'s public
 * API only returns a majority-vote label, so we build a `KNN` whose "labels" are the training
 * row indices and call its tree (`knn.kdTree.nearest(point, count)`, which returns
 * `[storedPoint, distance]` pairs whose last element is the row index). We pass our own metric:
 * the default Euclidean metric measures the distance to the splitting plane on a plain object
 * without a `length`, which always gives 0 and silently disables pruning (every query visits every
 * point). Our metric reads the first `d` coordinates explicitly and returns the squared distance,
 * so the plane test prunes correctly; distances are square-rooted before they are returned.
 *
 * Neighbours are returned in a canonical order — by distance, then training row index — and the
 * set of k neighbours is canonical too: when several points tie at the k-th distance the ones with
 * the smallest row indices are kept (the search is widened until every tied point is seen). So
 * the same model, or a model re-created from its JSON, gives identical predictions, and the first
 * k of the canonical K > k neighbours are exactly the canonical k neighbours.
 *
 * Votes: `"uniform"` gives each neighbour weight 1; `"distance"` weight 1/d, except that when
 * any neighbour is at distance 0 only the exact matches vote (equally) — scikit-learn's rule.
 * Probabilities are the class shares of the total weight; the predicted class is the most
 * probable one, ties going to the lower class index.
 *
 * @module
 */

import KNN from "ml-knn";

/** How neighbours' votes are weighted. */
export type Weighting = "uniform" | "distance";

/** A fitted KNN classifier (plain, JSON-serialisable data). */
export interface KnnModel {
  /** Number of neighbours that vote (clamped to the number of training points at query time). */
  k: number;
  /** Vote weighting. */
  weighting: Weighting;
  /** Number of classes; labels are 0..nClasses-1. */
  nClasses: number;
  /** Training points (already scaled), one row per training customer. */
  points: number[][];
  /** Class index per training point. */
  labels: number[];
}

/** A neighbour of a query point. */
export interface Neighbour {
  /** Training row index. */
  index: number;
  /** Euclidean distance to the query. */
  distance: number;
  /** Class of the training row. */
  label: number;
}

/** Prediction for one query point. */
export interface KnnPrediction {
  /** Most probable class (ties → lower index). */
  label: number;
  /** Probability per class (sums to 1). */
  probabilities: number[];
  /** The k neighbours, nearest first (ties by row index). */
  neighbours: Neighbour[];
}

/** Options of {@link fitKnn}. */
export interface KnnOptions {
  /** Number of neighbours (default 5). */
  k?: number;
  /** Vote weighting (default "uniform"). */
  weighting?: Weighting;
  /** Number of classes (default: largest label + 1). */
  nClasses?: number;
}

/**
 * "Fits" a KNN classifier: validates and copies the training data.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { equal, throws } from "node:assert/strict";
 * const m = fitKnn([[0], [1], [5]], [0, 0, 1], { k: 3 });
 * equal(m.nClasses, 2); // largest label + 1
 * equal(m.weighting, "uniform");
 * throws(() => fitKnn([[0], [1]], [0]), RangeError); // one label per point
 * ```
 *
 * @param points training points (finite numbers, equal lengths, at least one point)
 * @param labels class index per point
 * @param options k (default 5), weighting (default "uniform"), nClasses (default max label + 1)
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
  if (weighting !== "uniform" && weighting !== "distance") {
    throw new RangeError(`weighting must be "uniform" or "distance", got "${weighting}"`);
  }
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
  return { k, weighting, nClasses, points: copy, labels: Array.from(labels) };
}

interface KdTree {
  nearest(point: readonly number[], count: number): [number[], number][];
}

/**
 * A neighbour-search index over a set of points (an `ml-knn` KD-tree). Not serialisable; build
 * it from the points (cheap) or let {@link indexFor} cache one per model.
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
 * ```
 */
export class NeighbourIndex {
  /** Number of indexed points. */
  readonly size: number;
  /** Dimension of the points. */
  readonly dimension: number;
  readonly #tree: KdTree;

  /** @param points points to index (copied by `ml-knn`) */
  constructor(points: readonly (readonly number[])[]) {
    if (points.length === 0) throw new RangeError("cannot index zero points");
    const d = points[0].length;
    this.size = points.length;
    this.dimension = d;
    const metric = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const t = a[j] - b[j];
        s += t * t;
      }
      return s;
    };
    const ids = Array.from({ length: points.length }, (_, i) => i);
    const knn = new KNN(points as number[][], ids, { k: 1, distance: metric });
    this.#tree = knn.kdTree as unknown as KdTree;
  }

  /**
   * The canonical `k` nearest points (by distance, then row index).
   *
   * @param point query point (same dimension as the index)
   * @param k number of neighbours (clamped to the index size)
   * @returns `{ index, distance }` pairs, nearest first
   */
  query(point: readonly number[], k: number): { index: number; distance: number }[] {
    if (point.length !== this.dimension) {
      throw new RangeError(`query has ${point.length} values, expected ${this.dimension}`);
    }
    if (!point.every(Number.isFinite)) throw new RangeError("query has a non-finite value");
    const n = this.size;
    const kk = Math.min(Math.max(0, Math.floor(k)), n);
    if (kk === 0) return [];
    const d = this.dimension;
    let m = Math.min(kk + 1, n);
    for (;;) {
      const found = this.#tree.nearest(point, m).map(([obj, sq]) => ({ index: obj[d], sq }));
      found.sort((a, b) => a.sq - b.sq || a.index - b.index);
      // Canonical when every point tied with the k-th is certainly among the found ones.
      if (m === n || found[found.length - 1].sq > found[kk - 1].sq) {
        return found.slice(0, kk).map((f) => ({ index: f.index, distance: Math.sqrt(f.sq) }));
      }
      m = Math.min(n, m * 2);
    }
  }
}

const cache = new WeakMap<object, NeighbourIndex>();

/**
 * The neighbour index of a model's training points, built once per `points` array and cached.
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
  let index = cache.get(model.points);
  if (!index) {
    index = new NeighbourIndex(model.points);
    cache.set(model.points, index);
  }
  return index;
}

/**
 * Class probabilities from a list of neighbours.
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
  const w = new Array<number>(nClasses).fill(0);
  if (neighbours.length === 0) return w;
  // An exact match is d = 0 (or a distance so small that 1/d overflows to Infinity).
  const isExact = (d: number) => !(1 / d < Infinity);
  const exact = weighting === "distance" && neighbours.some((nb) => isExact(nb.distance));
  let total = 0;
  for (const nb of neighbours) {
    let weight: number;
    if (weighting === "uniform") weight = 1;
    else if (exact) weight = isExact(nb.distance) ? 1 : 0;
    else weight = 1 / nb.distance;
    w[nb.label] += weight;
    total += weight;
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
 * ```
 *
 * @param model fitted model
 * @param point scaled query point
 * @returns label, class probabilities and the neighbours
 */
export function predictOne(model: KnnModel, point: readonly number[]): KnnPrediction {
  const found = indexFor(model).query(point, model.k);
  const neighbours = found.map((f) => ({
    index: f.index,
    distance: f.distance,
    label: model.labels[f.index],
  }));
  const probabilities = vote(neighbours, model.weighting, model.nClasses);
  return { label: argmax(probabilities), probabilities, neighbours };
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
