/**
 * Cross-validation of the loyalty KNN on training customers only: out-of-fold votes for every k
 * of a grid and every weighting in one neighbour search per validation row, and the search for
 * per-feature weights of the distance.
 *
 * Inside every fold the scaler is fitted on the fold's training rows only, the rows are projected
 * on the features with a weight > 0 and exact duplicates collapsed into points with class counts
 * (as in the final model), and each distinct validation row is searched once for the largest k;
 * smaller k take the first k customers of those canonical neighbours, which is exactly what a
 * search with that k returns.
 *
 * The neighbour search here is a flat scan made for cross-validation (many queries, a few
 * thousand points, weights that change between evaluations) and returns exactly what
 * `NeighbourIndex.nearestArrays` returns: the same squared distances (the same products and sums
 * in the same order), the same canonical (distance, index) prefix. A scan first bounds the k-th
 * distance — by the neighbours the previous evaluation found for the same row (the weight search
 * changes one weight at a time, so they are close), or by selecting the k-th smallest of all
 * distances — then sums each point's terms only until they pass that bound. (Without such a
 * hint and for a k below an eighth of the points, the k-d tree itself is used.) The scaler and the
 * standardised rows of a fold do not depend on the weights and are computed once per search.
 *
 * The weight search tries, for one feature at a time, every other weight of the grid: evaluations
 * independent of each other, which {@link searchWeightsBeside} shares with another thread (a
 * worker keeping its own {@link weightTrials}), every choice still made on this one, in grid order.
 *
 * The selection criterion is rank-based, so calibration (fitted afterwards) cannot change it: the
 * mean over folds of ½ (AUC of the top level on P(top) + AUC of the lowest level on
 * P(lowest)) — how well the votes rank customers for the "loyal" view and for the churn view.
 *
 * @module
 */

import { fitScaler, transform } from "../score/scaler.ts";
import {
  argmax,
  type Collapsed,
  collapseDuplicates,
  type FoundArrays,
  NeighbourIndex,
  sortPairs,
  squaredDistance,
  squaredDistanceWithin,
  type Weighting,
} from "../score/neighbours.ts";
import { accuracy, macroF1, rocAuc } from "./metrics.ts";
import { kthSmallest, mean, sampleSd } from "../lib/stats.ts";

/** One (k, weighting) configuration. */
export interface KnnConfig {
  k: number;
  weighting: Weighting;
}

/** What a cross-validation needs. */
export interface KnnCvData {
  /** Feature columns (all table rows). */
  columns: Readonly<Record<string, ArrayLike<number>>>;
  /** Level per table row. */
  labels: ArrayLike<number>;
  /** Candidate features, in scaler order. */
  features: readonly string[];
  /** Features that get `log1p` before standardising. */
  logFeatures: readonly string[];
  /** Number of levels. */
  nClasses: number;
}

/** One fold: table rows to fit on and to validate. */
export interface RowFold {
  train: readonly number[];
  validation: readonly number[];
}

/** Options of {@link knnOutOfFold}. */
export interface KnnCvOptions {
  /** Weight per feature (same order as `features`); 0 drops it. */
  weights: readonly number[];
  /** Candidate k. */
  kGrid: readonly number[];
  /** Candidate weightings. */
  weightings: readonly Weighting[];
  /** ε of the distance weighting. */
  offset: number;
}

/** Out-of-fold votes of every configuration. */
export interface OutOfFold {
  /** Configurations, weighting-major, k ascending. */
  configs: KnnConfig[];
  /** The validated table rows, fold by fold. */
  rows: number[];
  /** Fold of each entry of `rows`. */
  fold: number[];
  /** Per configuration, the probabilities per entry of `rows` (C per row). */
  probs: number[][][];
}

/**
 * Probabilities for every k of a grid from the canonical neighbours of the largest k: point by
 * point, the class shares accumulate until k customers are in (the last point partly).
 *
 * @example
 * ```ts
 * import { votesByK } from "./knn_tuning.ts";
 * import { deepEqual } from "node:assert/strict";
 * // a point of 2 customers (both class 0) at distance 1, then 2 of class 1 at distance 2
 * const found = {
 *   length: 2,
 *   index: Int32Array.of(0, 1),
 *   distance: Float64Array.of(1, 2),
 *   take: Float64Array.of(2, 2),
 * };
 * const shares = [[1, 0], [0, 1]];
 * deepEqual(votesByK(found, (i) => shares[i], [1, 3, 4], "uniform", 0, 2), [
 *   [1, 0],
 *   [2 / 3, 1 / 3],
 *   [0.5, 0.5],
 * ]);
 * ```
 *
 * @param found the canonical neighbours for the largest k (nearest first)
 * @param share class shares of a point
 * @param ks the k to compute, in ascending order
 * @param weighting vote weighting
 * @param offset ε of 1 / (d + ε) (0: 1/d with the exact-match rule)
 * @param nClasses number of classes
 * @returns probabilities per k (in `ks` order)
 */
export function votesByK(
  found: FoundArrays,
  share: (index: number) => readonly number[],
  ks: readonly number[],
  weighting: Weighting,
  offset: number,
  nClasses: number,
): number[][] {
  const m = found.length;
  const C = nClasses;
  const exact = (d: number) => !(1 / d < Infinity);
  const weightOf = (d: number): number =>
    weighting === "uniform" ? 1 : offset > 0 ? 1 / (d + offset) : 1 / d;
  // Prefix sums over the points: customers before each point, weighted class mass, total weight.
  const before = new Float64Array(m + 1);
  const mass = new Float64Array((m + 1) * C);
  const total = new Float64Array(m + 1);
  let firstExact = Infinity; // customers before the first exact match (1/d rule only)
  for (let p = 0; p < m; p++) {
    const dist = found.distance[p];
    const t = found.take[p];
    const w = weightOf(dist);
    const s = share(found.index[p]);
    before[p + 1] = before[p] + t;
    total[p + 1] = total[p] + w * t;
    for (let c = 0; c < C; c++) mass[(p + 1) * C + c] = mass[p * C + c] + w * t * s[c];
    if (weighting === "distance" && offset === 0 && exact(dist) && firstExact === Infinity) {
      firstExact = before[p];
    }
  }
  let p = 0;
  return ks.map((k) => {
    if (m === 0) return new Array<number>(C).fill(0);
    if (firstExact < k) return exactVotes(found, share, k, C);
    // The last point that is (partly) in: the first p with before[p + 1] ≥ k (ks ascending).
    while (p < m - 1 && before[p + 1] < k) p++;
    const take = Math.min(found.take[p], k - before[p]);
    const w = weightOf(found.distance[p]);
    const s = share(found.index[p]);
    const t = total[p] + w * take;
    const out = new Array<number>(C);
    for (let c = 0; c < C; c++) out[c] = (mass[p * C + c] + w * take * s[c]) / t;
    return out;
  });
}

/** Votes of the exact matches among the first k customers (1/d rule with a match). */
function exactVotes(
  found: FoundArrays,
  share: (index: number) => readonly number[],
  k: number,
  nClasses: number,
): number[] {
  const acc = new Array<number>(nClasses).fill(0);
  let total = 0;
  let customers = 0;
  for (let p = 0; p < found.length; p++) {
    if (customers >= k) break;
    const take = Math.min(found.take[p], k - customers);
    customers += take;
    if (1 / found.distance[p] < Infinity) continue;
    const s = share(found.index[p]);
    for (let c = 0; c < nClasses; c++) acc[c] += take * s[c];
    total += take;
  }
  return acc.map((x) => x / total);
}

/** A fold with its rows standardised once (the scaler does not depend on the weights). */
interface PreparedFold {
  fold: RowFold;
  /** Standardised candidate features of the training rows, then of the validation rows. */
  zTrain: number[][];
  zValidation: number[][];
  trainLabels: number[];
  /**
   * Per validation row, the training rows (fold positions) of the neighbours the last evaluation
   * found for it: they bound the next search of that row (any rows do; near ones bound tightly).
   */
  hints: (Int32Array | null)[];
  /** Per validation row, the first validation row with the same standardised values. */
  same: Int32Array;
  /** The collapsed training points per set of active features (keyed by their indices). */
  collapsed: Map<string, Collapsed>;
}

/** Per row, the first row with the same values (by their exact bits). */
function sameRows(rows: number[][]): Int32Array {
  const c = collapseDuplicates(rows, new Array<number>(rows.length).fill(0), 1);
  return Int32Array.from(c.pointOf, (p) => c.firstRow[p]);
}

function prepareFolds(data: KnnCvData, folds: readonly RowFold[]): PreparedFold[] {
  return folds.map((fold) => {
    const scaler = fitScaler(data.columns, data.features, data.logFeatures, fold.train);
    const zValidation = transform(scaler, data.columns, fold.validation);
    return {
      fold,
      zTrain: transform(scaler, data.columns, fold.train),
      zValidation,
      same: sameRows(zValidation),
      trainLabels: fold.train.map((r) => data.labels[r]),
      hints: fold.validation.map(() => null),
      collapsed: new Map(),
    };
  });
}

/**
 * The collapsed training points of a fold for one set of weights, and the exact canonical
 * neighbour search over them (see the module description).
 */
class FoldPoints {
  readonly size: number;
  readonly totalMass: number;
  /** Class shares and customers per point. */
  readonly shares: number[][];
  /** Per training row (fold position), its point; per point, its first training row. */
  readonly pointOf: Int32Array;
  readonly firstRow: Int32Array;
  /** √weight per active coordinate. */
  readonly #scale: Float64Array;
  /** Weighted active coordinates of the points, row-major. */
  readonly #x: Float64Array;
  readonly #mass: Float64Array;
  readonly #da: number;
  /** Scratch space. */
  readonly #sq: Float64Array;
  readonly #sel: Float64Array;
  readonly #cand: Int32Array;
  readonly #mark: Uint8Array;
  readonly #found: FoundArrays;
  /** Classes; class shares row-major; running class mass of the votes. */
  readonly #C: number;
  readonly #share: Float64Array;
  readonly #massC: Float64Array;
  readonly #totalW: Float64Array;
  readonly #bucketStart: Int32Array;
  readonly #tmpIdx: Int32Array;

  readonly #points: number[][];
  readonly #weights: readonly number[];
  #index: NeighbourIndex | null = null;

  constructor(
    points: number[][],
    counts: number[][],
    pointOf: number[],
    firstRow: number[],
    weights: readonly number[],
  ) {
    const n = points.length;
    this.#points = points;
    this.#weights = weights;
    const da = weights.length;
    this.size = n;
    this.#da = da;
    // As NeighbourIndex: the coordinate times √weight.
    this.#scale = Float64Array.from(weights, (w) => Math.sqrt(w));
    this.#x = new Float64Array(n * da);
    for (let p = 0; p < n; p++) {
      for (let a = 0; a < da; a++) this.#x[p * da + a] = points[p][a] * this.#scale[a];
    }
    this.shares = counts.map((c) => {
      const m = c.reduce((s, x) => s + x, 0);
      return c.map((x) => x / m);
    });
    this.#mass = Float64Array.from(counts, (c) => c.reduce((s, x) => s + x, 0));
    let total = 0;
    for (let p = 0; p < n; p++) total += this.#mass[p];
    this.totalMass = total;
    this.pointOf = Int32Array.from(pointOf);
    this.firstRow = Int32Array.from(firstRow);
    this.#sq = new Float64Array(n);
    this.#sel = new Float64Array(n);
    this.#cand = new Int32Array(n);
    this.#mark = new Uint8Array(n);
    this.#found = {
      length: 0,
      index: new Int32Array(n),
      distance: new Float64Array(n),
      take: new Float64Array(n),
    };
    const C = counts[0]?.length ?? 0;
    this.#C = C;
    this.#share = new Float64Array(n * C);
    this.shares.forEach((sh, p) => this.#share.set(sh, p * C));
    // (scratch for two weightings, uniform and distance; more get their own)
    this.#massC = new Float64Array(2 * C);
    this.#totalW = new Float64Array(2);
    this.#bucketStart = new Int32Array(n + 2);
    this.#tmpIdx = new Int32Array(n);
  }

  /**
   * {@link votesByK} for each of several weightings — "uniform" (offset null) or "distance" with
   * ε = offset > 0 — in one pass over the neighbours, with the same products and sums in the same
   * order as a call per weighting, on typed arrays: per weighting, the probabilities per k.
   */
  votes(
    found: FoundArrays,
    ks: readonly number[],
    offsets: readonly (number | null)[],
  ): number[][][] {
    const m = found.length;
    const C = this.#C;
    const W = offsets.length;
    if (m === 0) return offsets.map(() => ks.map(() => new Array<number>(C).fill(0)));
    const share = this.#share;
    // The prefix sums before point p (customers; per weighting, total weight and weighted class
    // mass), advanced point by point only as far as the k need (ks ascending); every weighting's
    // sums are those of a pass of its own.
    const mass = W <= 2 ? this.#massC : new Float64Array(W * C);
    mass.fill(0, 0, W * C);
    const total = W <= 2 ? this.#totalW : new Float64Array(W);
    total.fill(0, 0, W);
    const out: number[][][] = offsets.map(() => []);
    let before = 0;
    let p = 0;
    for (const k of ks) {
      while (p < m - 1) {
        const t = found.take[p];
        const next = before + t;
        if (!(next < k)) break;
        const s = found.index[p] * C;
        for (let v = 0; v < W; v++) {
          const offset = offsets[v];
          const w = offset === null ? 1 : 1 / (found.distance[p] + offset);
          total[v] = total[v] + w * t;
          for (let c = 0; c < C; c++) mass[v * C + c] = mass[v * C + c] + w * t * share[s + c];
        }
        before = next;
        p++;
      }
      const take = Math.min(found.take[p], k - before);
      const s = found.index[p] * C;
      for (let v = 0; v < W; v++) {
        const offset = offsets[v];
        const w = offset === null ? 1 : 1 / (found.distance[p] + offset);
        const t = total[v] + w * take;
        const probs = new Array<number>(C);
        for (let c = 0; c < C; c++) probs[c] = (mass[v * C + c] + w * take * share[s + c]) / t;
        out[v].push(probs);
      }
    }
    return out;
  }

  /** Whether a search for `want` customers without a hint runs on the k-d tree. */
  usesTree(want: number): boolean {
    return want * 8 < this.size;
  }

  /**
   * An order of queries (active coordinates, unweighted) in which consecutive ones are near each
   * other (`NeighbourIndex.localityOrder` of the k-d tree): tree searches in this order, each
   * hinted with the points found for the one before, are much faster (same results).
   */
  localityOrder(queries: readonly (readonly number[])[]): Int32Array {
    return this.#tree().localityOrder(queries);
  }

  /** A k-d tree over the same points, weights and masses (built on first use). */
  #tree(): NeighbourIndex {
    this.#index ??= new NeighbourIndex(this.#points, { weights: this.#weights, mass: this.#mass });
    return this.#index;
  }

  /** The query (active coordinates, unweighted) weighted as the points are. */
  weigh(point: readonly number[]): Float64Array {
    const q = new Float64Array(this.#da);
    for (let a = 0; a < this.#da; a++) q[a] = point[a] * this.#scale[a];
    return q;
  }

  /** Squared distance of point p to q, summed in coordinate order (NeighbourIndex's). */
  #dist(q: Float64Array, p: number): number {
    return squaredDistance(q, this.#x, p, this.#da);
  }

  /**
   * The canonical nearest points holding `want` customers (want ≤ totalMass): what
   * `NeighbourIndex.nearestArrays` returns for the same points, weights, masses and query. The
   * result lives in scratch arrays (longer than its `length`) that the next search overwrites.
   *
   * @param point query (active coordinates, unweighted)
   * @param want customers wanted
   * @param hint training rows (fold positions) to bound the search with, or null
   */
  nearest(
    point: readonly number[],
    want: number,
    hint: Int32Array | null,
    treeHint?: ArrayLike<number>,
  ): FoundArrays {
    const n = this.size;
    // Without a hint and for few neighbours among many points, the k-d tree prunes far better.
    if (hint === null && this.usesTree(want)) {
      return this.#tree().nearestTransient(point, want, treeHint);
    }
    const q = this.weigh(point);
    const da = this.#da;
    const x = this.#x;
    const mass = this.#mass;
    const sq = this.#sq;
    const cand = this.#cand;
    let limit = Infinity;
    let nc = 0;
    let nh = 0;
    if (hint !== null) {
      // The farthest hinted point, if the hinted points hold `want` customers (a hinted row can
      // stand for fewer customers than before, when its point was split by a new coordinate).
      // Their distances are kept (and they are marked) for the scan.
      const mark = this.#mark;
      const pointOf = this.pointOf;
      let held = 0;
      let far = 0;
      for (let h = 0; h < hint.length; h++) {
        const p = pointOf[hint[h]];
        if (mark[p]) continue;
        mark[p] = 1;
        cand[nh++] = p;
        held += mass[p];
        const d = squaredDistance(q, x, p, da);
        sq[p] = d;
        if (d > far) far = d;
      }
      if (held >= want) limit = far;
      else for (let i = 0; i < nh; i++) mark[cand[i]] = 0;
    }
    if (limit === Infinity) {
      // Every distance, then the ⌈want⌉-th smallest (each point holds ≥ 1 customer).
      for (let p = 0; p < n; p++) sq[p] = this.#dist(q, p);
      const kth = Math.min(n, Math.ceil(want));
      if (kth < n) {
        const sel = this.#sel;
        sel.set(sq);
        limit = kthSmallest(sel, n, kth - 1);
      }
      for (let p = 0; p < n; p++) if (sq[p] <= limit) cand[nc++] = p;
    } else {
      // The hinted points are in (within the limit by construction); the others are scanned.
      // Partial sums never decrease: a point whose partial sum passes the limit is out.
      const mark = this.#mark;
      nc = nh;
      for (let p = 0; p < n; p++) {
        if (mark[p]) {
          mark[p] = 0;
          continue;
        }
        const s = squaredDistanceWithin(q, x, p, da, limit);
        if (s > limit) continue;
        sq[p] = s;
        cand[nc++] = p;
      }
    }
    // Canonical order (distance, index), then the shortest prefix holding `want` customers.
    const key = this.#sel;
    if (limit === Infinity) {
      for (let i = 0; i < nc; i++) key[i] = sq[cand[i]];
      sortPairs(key, cand, 0, nc);
    } else {
      // (the selected or hinted limit bounds every candidate)
      bucketSort(sq, limit, cand, nc, key, this.#bucketStart, this.#tmpIdx);
    }
    let len = 0;
    let held = 0;
    while (len < nc && held < want) held += mass[cand[len++]];
    // Scratch arrays, valid until the next search (callers copy what they keep).
    const index = this.#found.index;
    const distance = this.#found.distance;
    const take = this.#found.take;
    let cum = 0;
    for (let i = 0; i < len; i++) {
      const p = cand[i];
      index[i] = p;
      distance[i] = Math.sqrt(key[i]);
      take[i] = Math.min(mass[p], want - cum);
      cum += take[i];
    }
    this.#found.length = len;
    return this.#found;
  }
}

/**
 * Sorts candidates `cand[0..nc)` (points with `sq[p] ≤ limit`, finite limit) by (sq, index) into
 * `cand`, their keys into `key`: one bucket per candidate by sq / limit (monotone in sq), then
 * each bucket sorted with {@link sortPairs}.
 */
function bucketSort(
  sq: Float64Array,
  limit: number,
  cand: Int32Array,
  nc: number,
  key: Float64Array,
  start: Int32Array,
  tmp: Int32Array,
): void {
  if (nc === 0) return;
  const scale = limit > 0 ? nc / limit : 0;
  const bucketOf = (v: number) => Math.min(nc - 1, Math.floor(v * scale));
  start.fill(0, 0, nc + 1);
  for (let i = 0; i < nc; i++) start[bucketOf(sq[cand[i]]) + 1]++;
  for (let b = 0; b < nc; b++) start[b + 1] += start[b];
  // Scatter (in ascending index order, so each bucket starts sorted by index), then sort buckets.
  for (let i = 0; i < nc; i++) {
    const p = cand[i];
    tmp[start[bucketOf(sq[p])]++] = p;
  }
  // start[b] is now the end of bucket b.
  let lo = 0;
  for (let b = 0; b < nc; b++) {
    const hi = start[b];
    for (let i = lo; i < hi; i++) {
      const p = tmp[i];
      cand[i] = p;
      key[i] = sq[p];
    }
    if (hi - lo > 1) sortPairs(key, cand, lo, hi);
    lo = hi;
  }
}

/**
 * Out-of-fold probabilities of every (k, weighting) for given feature weights.
 *
 * @param data columns, labels, features, log features, number of levels
 * @param folds folds of table rows
 * @param options feature weights, k grid, weightings, offset
 */
export function knnOutOfFold(
  data: KnnCvData,
  folds: readonly RowFold[],
  options: KnnCvOptions,
): OutOfFold {
  // One evaluation: the hints for a next one are not kept.
  return outOfFold(data, prepareFolds(data, folds), options, false);
}

/** {@link knnOutOfFold} on prepared folds (whose hints it updates when `keepHints`). */
function outOfFold(
  data: KnnCvData,
  prepared: readonly PreparedFold[],
  options: KnnCvOptions,
  keepHints = true,
): OutOfFold {
  const { features, nClasses } = data;
  const active = features.map((_, j) => j).filter((j) => options.weights[j] > 0);
  if (active.length === 0) throw new RangeError("every feature weight is 0");
  const weights = active.map((j) => options.weights[j]);
  const ks = [...options.kGrid].sort((a, b) => a - b);
  const configs: KnnConfig[] = options.weightings.flatMap((w) =>
    ks.map((k) => ({ k, weighting: w }))
  );
  const out: OutOfFold = { configs, rows: [], fold: [], probs: configs.map(() => []) };
  // Distance weighting with ε = 0 (the exact-match rule) goes through votesByK; the others are
  // all computed in one pass over the neighbours.
  const exactRule = options.offset === 0 && options.weightings.includes("distance");
  const offsets = options.weightings.map((w) => (w === "uniform" ? null : options.offset));
  const slot = configs.map((c) => ({
    wi: options.weightings.indexOf(c.weighting),
    ki: ks.indexOf(c.k),
  }));
  prepared.forEach((prep, f) => {
    const { fold } = prep;
    const project = (z: number[][]) => z.map((row) => active.map((j) => row[j]));
    // The collapsed points depend on the active features only (the weight search toggles few).
    const activeKey = active.join(",");
    let collapsed = prep.collapsed.get(activeKey);
    if (!collapsed) {
      collapsed = collapseDuplicates(project(prep.zTrain), prep.trainLabels, nClasses);
      prep.collapsed.set(activeKey, collapsed);
    }
    const points = new FoldPoints(
      collapsed.points,
      collapsed.counts,
      collapsed.pointOf,
      collapsed.firstRow,
      weights,
    );
    const kMax = Math.min(ks[ks.length - 1], points.totalMass);
    // Rows with the same values share one search (the same query gives the same result).
    const memo: ({ votes: number[][][]; hint: Int32Array | null } | undefined)[] = [];
    const query = (v: number) => active.map((j) => prep.zValidation[v][j]);
    // The distinct rows' searches. Without hints from an earlier evaluation they run on the
    // tree, in its locality order, each hinted with the points found for the one before (a
    // search's result does not depend on its hint or on the order).
    const distinct = fold.validation.map((_, v) => v).filter((v) => prep.same[v] === v);
    const tree = points.usesTree(kMax) && distinct.every((v) => prep.hints[v] === null);
    const order = tree ? points.localityOrder(distinct.map(query)) : null;
    let last = new Int32Array(0);
    let lastLength = 0;
    for (let o = 0; o < distinct.length; o++) {
      const v = distinct[order ? order[o] : o];
      const found = points.nearest(
        query(v),
        kMax,
        prep.hints[v],
        tree ? last.subarray(0, lastLength) : undefined,
      );
      const votes = exactRule
        ? options.weightings.map((w) =>
          w === "distance"
            ? votesByK(found, (i) => points.shares[i], ks, w, options.offset, nClasses)
            : points.votes(found, ks, [null])[0]
        )
        : points.votes(found, ks, offsets);
      let hint: Int32Array | null = null;
      if (keepHints) {
        hint = new Int32Array(found.length);
        for (let i = 0; i < found.length; i++) hint[i] = points.firstRow[found.index[i]];
      }
      if (tree) {
        if (last.length < found.length) last = new Int32Array(2 * found.length);
        last.set(found.index.subarray(0, found.length));
        lastLength = found.length;
      }
      memo[v] = { votes, hint };
    }
    fold.validation.forEach((r, v) => {
      const hit = memo[prep.same[v]]!;
      prep.hints[v] = hit.hint;
      out.rows.push(r);
      out.fold.push(f);
      for (let ci = 0; ci < configs.length; ci++) {
        out.probs[ci].push(hit.votes[slot[ci].wi][slot[ci].ki]);
      }
    });
  });
  return out;
}

/** Cross-validated quality of one configuration. */
export interface CvScore {
  k: number;
  weighting: Weighting;
  /** Mean over folds of ½ (AUC top + AUC lowest): the selection criterion. */
  meanAuc: number;
  /** Sample standard deviation of the criterion over the folds. */
  sdAuc: number;
  /** Mean over folds of the top level's AUC. */
  meanAucTop: number;
  /** Mean over folds of the lowest level's AUC. */
  meanAucLowest: number;
  /** Mean macro F1 of the most probable level (before calibration and decision weights). */
  meanMacroF1: number;
  /** Sample standard deviation of the folds' macro F1. */
  sdMacroF1: number;
  /** Mean accuracy of the most probable level. */
  meanAccuracy: number;
  /** Macro F1 per fold. */
  foldMacroF1: number[];
}

/**
 * The criterion and the usual figures of every configuration of an out-of-fold result.
 *
 * @param oof the out-of-fold probabilities
 * @param labels level per table row
 * @param nClasses number of levels
 */
export function scoreConfigs(
  oof: OutOfFold,
  labels: ArrayLike<number>,
  nClasses: number,
): CvScore[] {
  const nFolds = Math.max(...oof.fold) + 1;
  const byFold = Array.from({ length: nFolds }, () => [] as number[]);
  oof.fold.forEach((f, i) => byFold[f].push(i));
  const top = nClasses - 1;
  return oof.configs.map((c, ci) => {
    const auc: number[] = [];
    const aucTop: number[] = [];
    const aucLow: number[] = [];
    const f1: number[] = [];
    const acc: number[] = [];
    for (const entries of byFold) {
      const y = entries.map((i) => labels[oof.rows[i]]);
      const p = entries.map((i) => oof.probs[ci][i]);
      const at = rocAuc(y.map((v) => v === top), p.map((q) => q[top])) ?? 0.5;
      const al = rocAuc(y.map((v) => v === 0), p.map((q) => q[0])) ?? 0.5;
      aucTop.push(at);
      aucLow.push(al);
      auc.push((at + al) / 2);
      const pred = p.map((q) => argmax(q));
      f1.push(macroF1(y, pred, nClasses));
      acc.push(accuracy(y, pred));
    }
    return {
      k: c.k,
      weighting: c.weighting,
      meanAuc: mean(auc),
      sdAuc: sampleSd(auc),
      meanAucTop: mean(aucTop),
      meanAucLowest: mean(aucLow),
      meanMacroF1: mean(f1),
      sdMacroF1: sampleSd(f1),
      meanAccuracy: mean(acc),
      foldMacroF1: f1,
    };
  });
}

/**
 * The best criterion over the configurations of an out-of-fold result: the largest `meanAuc` of
 * {@link scoreConfigs}, computed the same way without the other figures.
 */
function bestCriterion(oof: OutOfFold, labels: ArrayLike<number>, nClasses: number): number {
  const nFolds = Math.max(...oof.fold) + 1;
  const byFold = Array.from({ length: nFolds }, () => [] as number[]);
  oof.fold.forEach((f, i) => byFold[f].push(i));
  const top = nClasses - 1;
  const ys = byFold.map((entries) => entries.map((i) => labels[oof.rows[i]]));
  const isTop = ys.map((y) => y.map((v) => v === top));
  const isLow = ys.map((y) => y.map((v) => v === 0));
  let best = -Infinity;
  // Scratch columns of P(top) and P(lowest), long enough for the largest fold.
  const longest = Math.max(...byFold.map((entries) => entries.length));
  const pTop = new Float64Array(longest);
  const pLow = new Float64Array(longest);
  oof.configs.forEach((_, ci) => {
    const probs = oof.probs[ci];
    const auc = byFold.map((entries, f) => {
      const m = entries.length;
      for (let t = 0; t < m; t++) {
        const q = probs[entries[t]];
        pTop[t] = q[top];
        pLow[t] = q[0];
      }
      const at = rocAuc(isTop[f], pTop.subarray(0, m)) ?? 0.5;
      const al = rocAuc(isLow[f], pLow.subarray(0, m)) ?? 0.5;
      return (at + al) / 2;
    });
    best = Math.max(best, mean(auc));
  });
  return best;
}

/** Criterion means closer than this to the best count as ties in {@link bestConfig}. */
export const TIE_TOLERANCE = 0.001;

/** How the configuration is chosen (documented in the results). */
export const CONFIG_RULE =
  "highest mean over the folds of ½ (AUC of loyal on P(loyal) + AUC of lapsed on P(lapsed)); " +
  `means within ${TIE_TOLERANCE} of the highest are ties (a tenth of a typical fold standard ` +
  "error), broken by the smaller k (the more local vote, and faster scoring), then uniform " +
  "before distance";

/**
 * The best configuration by {@link CONFIG_RULE}.
 *
 * @example
 * ```ts
 * import { bestConfig } from "./knn_tuning.ts";
 * import { deepEqual } from "node:assert/strict";
 * const s = (k: number, weighting: "uniform" | "distance", meanAuc: number) => ({ k, weighting, meanAuc });
 * // 0.8 and 0.8005 are ties: the smaller k wins; 0.79 is not a tie
 * deepEqual(
 *   bestConfig([s(5, "uniform", 0.79), s(10, "distance", 0.8), s(50, "uniform", 0.8005)]),
 *   s(10, "distance", 0.8),
 * );
 * ```
 */
export function bestConfig<T extends { k: number; weighting: Weighting; meanAuc: number }>(
  scores: readonly T[],
): T {
  const top = Math.max(...scores.map((p) => p.meanAuc));
  let best: T | null = null;
  for (const p of scores) {
    if (p.meanAuc < top - TIE_TOLERANCE) continue;
    if (
      best === null || p.k < best.k ||
      (p.k === best.k && p.weighting === "uniform" && best.weighting !== "uniform")
    ) best = p;
  }
  return best!;
}

/** One step of the feature-weight search. */
export interface WeightStep {
  /** Pass (1-based); 0 for the start (every weight 1). */
  pass: number;
  /** Feature whose weight was tried, or null for the start. */
  feature: string | null;
  /** The weight kept for it. */
  weight: number | null;
  /** The best criterion over (k, weighting) with the weights after this step. */
  criterion: number;
  /** Whether the step changed a weight. */
  changed: boolean;
}

/** Result of {@link searchWeights}. */
export interface WeightSearch {
  /** Final weight per feature. */
  weights: number[];
  /** The criterion with the final weights (on the search rows). */
  criterion: number;
  /** The criterion with every weight 1 (on the search rows). */
  startCriterion: number;
  /** Every step, in order. */
  path: WeightStep[];
  /** Minimal improvement for a change to be kept. */
  minGain: number;
}

/** Smallest improvement of the criterion that makes the weight search change a weight. */
export const MIN_GAIN = 1e-4;

/**
 * The evaluations of one feature-weight search, on folds prepared once (see {@link weightTrials}).
 */
export interface WeightTrials {
  /** The criterion of one weight vector (one weight per feature). */
  evaluate(weights: readonly number[]): number;
  /** The criteria of several weight vectors, in their order. */
  evaluateAll(trials: readonly (readonly number[])[]): number[];
}

/**
 * Evaluations of weight vectors for {@link searchWeights}: each vector's criterion (the best over
 * the k grid and weightings; -∞ when every weight is 0) on folds prepared once. The prepared
 * folds keep, per validation row, the neighbours the last evaluation found, which bound the next
 * search of that row: consecutive evaluations of near weights are faster, never different (a
 * criterion depends on the weights only, not on what was evaluated before).
 *
 * @param data columns, labels, features, log features, number of levels
 * @param folds folds of the search rows
 * @param options k grid, weightings, offset
 */
export function weightTrials(
  data: KnnCvData,
  folds: readonly RowFold[],
  options: Omit<KnnCvOptions, "weights">,
): WeightTrials {
  const prepared = prepareFolds(data, folds);
  const evaluate = (weights: readonly number[]): number => {
    if (!weights.some((w) => w > 0)) return -Infinity;
    const oof = outOfFold(data, prepared, { ...options, weights });
    return bestCriterion(oof, data.labels, data.nClasses);
  };
  return { evaluate, evaluateAll: (trials) => trials.map(evaluate) };
}

/**
 * The criteria of weight trials (as {@link searchWeights} computes them): folds prepared once,
 * then one evaluation per trial, in order. Pure: the same trials give the same criteria on any
 * thread and in any grouping.
 *
 * @example
 * ```ts
 * import { evaluateWeightTrials } from "./knn_tuning.ts";
 * import { equal } from "node:assert/strict";
 * const x = Array.from({ length: 30 }, (_, i) => i);
 * const data = {
 *   columns: { x, noise: x.map((i) => (i * 7) % 5) },
 *   labels: x.map((i) => (i < 10 ? 0 : i < 20 ? 1 : 2)),
 *   features: ["x", "noise"],
 *   logFeatures: [],
 *   nClasses: 3,
 * };
 * const folds = [0, 1, 2].map((f) => ({
 *   train: x.filter((i) => i % 3 !== f),
 *   validation: x.filter((i) => i % 3 === f),
 * }));
 * const options = { kGrid: [3], weightings: ["uniform" as const], offset: 0.1 };
 * const [both, xOnly, none] = evaluateWeightTrials(data, folds, options, [[1, 1], [1, 0], [0, 0]]);
 * equal(none, -Infinity); // every weight 0
 * equal(xOnly, 1); // x alone ranks the levels perfectly
 * equal(both < xOnly, true);
 * ```
 *
 * @param data columns, labels, features, log features, number of levels
 * @param folds folds of the search rows
 * @param options k grid, weightings, offset
 * @param trials weight vectors (one weight per feature)
 * @returns the criterion of each trial (-∞ for a trial whose weights are all 0)
 */
export function evaluateWeightTrials(
  data: KnnCvData,
  folds: readonly RowFold[],
  options: Omit<KnnCvOptions, "weights">,
  trials: readonly (readonly number[])[],
): number[] {
  return weightTrials(data, folds, options).evaluateAll(trials);
}

/**
 * The coordinate search of {@link searchWeights} as a sequence of batches: it yields the weight
 * vectors to evaluate next (first the start, every weight 1; then, per feature, every other weight
 * of the grid with the others fixed, in grid order) and takes their criteria, in the same order.
 * Every choice is made here, on the criteria in grid order, whoever evaluated them.
 */
function* coordinateSearch(
  features: readonly string[],
  grid: readonly number[],
  passes: number,
): Generator<number[][], WeightSearch, number[]> {
  const weights = features.map(() => 1);
  let [current] = yield [[...weights]];
  const start = current;
  const path: WeightStep[] = [{
    pass: 0,
    feature: null,
    weight: null,
    criterion: current,
    changed: false,
  }];
  for (let pass = 1; pass <= passes; pass++) {
    let changedInPass = false;
    for (let j = 0; j < features.length; j++) {
      const tried = grid.filter((w) => w !== weights[j]);
      const criteria = tried.length === 0 ? [] : yield tried.map((w) => {
        const trial = [...weights];
        trial[j] = w;
        return trial;
      });
      let bestW = weights[j];
      let bestC = current;
      tried.forEach((w, t) => {
        const c = criteria[t];
        if (c > bestC + MIN_GAIN || (bestW !== weights[j] && c > bestC + 1e-12)) {
          bestC = c;
          bestW = w;
        }
      });
      const changed = bestW !== weights[j];
      if (changed) {
        weights[j] = bestW;
        current = bestC;
        changedInPass = true;
      }
      path.push({ pass, feature: features[j], weight: weights[j], criterion: current, changed });
    }
    if (!changedInPass) break;
  }
  return { weights, criterion: current, startCriterion: start, path, minGain: MIN_GAIN };
}

/**
 * Coordinate search for the feature weights of the distance: from every weight 1, for each
 * feature in turn every other weight of the grid is tried (the others fixed), and the best kept
 * when it improves the criterion (the highest over the k grid and weightings) by more than
 * {@link MIN_GAIN}; at most `passes` passes, stopping after a pass without change.
 *
 * @param data columns, labels, features, log features, number of levels
 * @param folds folds of the search rows
 * @param options k grid, weightings, offset
 * @param grid candidate weights (must include 1)
 * @param passes most passes
 */
export function searchWeights(
  data: KnnCvData,
  folds: readonly RowFold[],
  options: Omit<KnnCvOptions, "weights">,
  grid: readonly number[],
  passes: number,
): WeightSearch {
  const trials = weightTrials(data, folds, options);
  const search = coordinateSearch(data.features, grid, passes);
  let step = search.next();
  while (!step.done) step = search.next(trials.evaluateAll(step.value));
  return step.value;
}

/**
 * {@link searchWeights} with each batch of trials shared between this thread and another one: the
 * last trials of a batch go to `elsewhere` (sent first), the first ⌈n × `here`⌉ are evaluated on
 * this thread meanwhile, and every choice is made here, on the criteria in grid order. The
 * result is {@link searchWeights}'s, bit for bit, when `elsewhere` gives the criteria that
 * {@link weightTrials} of the same data, folds and options gives (e.g. a worker keeping one).
 *
 * @param data columns, labels, features, log features, number of levels
 * @param folds folds of the search rows
 * @param options k grid, weightings, offset
 * @param grid candidate weights (must include 1)
 * @param passes most passes
 * @param elsewhere the criteria of the given trials, in their order, computed elsewhere
 * @param here the share of each batch evaluated on this thread, in (0, 1]
 */
export async function searchWeightsBeside(
  data: KnnCvData,
  folds: readonly RowFold[],
  options: Omit<KnnCvOptions, "weights">,
  grid: readonly number[],
  passes: number,
  elsewhere: (trials: number[][]) => Promise<number[]>,
  here: number = TRIALS_HERE,
): Promise<WeightSearch> {
  if (!(here > 0 && here <= 1)) {
    throw new RangeError(`the share here must be in (0, 1], got ${here}`);
  }
  const trials = weightTrials(data, folds, options);
  const search = coordinateSearch(data.features, grid, passes);
  let step = search.next();
  while (!step.done) {
    const batch = step.value;
    const cut = Math.ceil(batch.length * here);
    const there = cut < batch.length ? elsewhere(batch.slice(cut)) : Promise.resolve([]);
    there.catch(() => {}); // awaited below; not unhandled if this thread's part throws first
    const mine = trials.evaluateAll(batch.slice(0, cut));
    const theirs = await there;
    if (theirs.length !== batch.length - cut) {
      throw new Error(
        `expected ${batch.length - cut} criteria from elsewhere, got ${theirs.length}`,
      );
    }
    step = search.next([...mine, ...theirs]);
  }
  return step.value;
}

/**
 * The share of each batch of weight trials that {@link searchWeightsBeside} evaluates here: the
 * first ⌈n / 2⌉, the larger half when n is odd. Measured on the real search data (per-thread CPU
 * time), a warm trial costs about the same on either thread (some 140 ms on Online Retail II,
 * 60 ms on CDNOW), a fresh worker's first trials up to 30 % more; with the larger half here the
 * worker has the slack, and this thread, the critical path, hardly waits for it. Waiting here
 * over a whole search: Online Retail II (3 trials a batch) 2 here and 1 there 0.02–0.04 s, 1 and
 * 2 2.1–2.5 s; CDNOW (5 a batch) 3 and 2 0.04–0.5 s, 2 and 3 0.8–1.6 s. Only the time depends on
 * it, never the result.
 */
export const TRIALS_HERE = 0.5;
