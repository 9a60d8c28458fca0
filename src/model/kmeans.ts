/**
 * K-Means segmentation helpers: seeded best-of-restarts fits (k-means++ and Lloyd iterations),
 * silhouette, a k sweep with a documented selection rule, value-ordered cluster naming, stability
 * (adjusted Rand index across seeds), cluster profiles and cross-tabs.
 *
 * All functions are pure and deterministic for a given seed. Points are the scaled features.
 *
 * The fits are `ml-kmeans` 7.0.1's algorithm (k-means++ with its seeded XSadd generator and
 * 2 + ⌊ln k⌋ local trials, then Lloyd iterations until every centroid moves less than the
 * tolerance), re-implemented on flat typed arrays with the same arithmetic in the same order, so
 * that every label, centroid and iteration count is bit-for-bit the package's (a test checks it
 * against the package) at a fraction of its time and memory.
 *
 * @module
 */

import { firstAtLeast } from "../lib/sorted.ts";
import { median } from "../lib/stats.ts";
import { toFlat } from "../score/scaler.ts";
import { createRng, deriveSeed, sampleIndices } from "./random.ts";

/** Options of {@link fitKMeans}. */
export interface KMeansOptions {
  /** Independent k-means++ starts; the lowest inertia wins (default 10). */
  restarts?: number;
  /** Iteration cap per start (default 300). */
  maxIterations?: number;
  /** Master seed; start r of k uses `deriveSeed(seed, "kmeans", k, r)` (default 0). */
  seed?: number;
  /** Convergence tolerance on the squared centroid shift (default 1e-6, ml-kmeans' default). */
  tolerance?: number;
}

/** A K-Means fit (plain data). Cluster indices are `ml-kmeans`' arbitrary ones. */
export interface KMeansFit {
  k: number;
  /** Cluster per point. */
  labels: number[];
  /** Centroid per cluster (scaled space). */
  centroids: number[][];
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
  /** Iterations of the winning start. */
  iterations: number;
  /** Whether the winning start converged before the iteration cap. */
  converged: boolean;
  /** Seed of the winning start. */
  seed: number;
  /** Number of empty clusters of the winning start (0 unless the data has < k distinct points). */
  emptyClusters: number;
}

/**
 * Best-of-restarts K-Means with k-means++ initialisation.
 *
 * The winner is the start with the lowest inertia among starts without empty clusters (if every
 * start has one, among all); ties go to the earlier start.
 *
 * @example
 * ```ts
 * import { fitKMeans } from "./kmeans.ts";
 * import { equal } from "node:assert/strict";
 * const points = [[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]];
 * const fit = fitKMeans(points, 2, { restarts: 2, seed: 1 });
 * equal(new Set(fit.labels.slice(0, 3)).size, 1); // the first three points share a cluster
 * equal(fit.labels[0] === fit.labels[3], false);
 * equal(fit.emptyClusters, 0);
 * ```
 *
 * @param points scaled points (at least k)
 * @param k number of clusters (≥ 1)
 * @param options restarts (10), maxIterations (300), seed (0), tolerance (1e-6)
 * @returns the winning fit
 */
export function fitKMeans(
  points: readonly (readonly number[])[],
  k: number,
  options: KMeansOptions = {},
): KMeansFit {
  const { restarts = 10, maxIterations = 300, seed = 0, tolerance = 1e-6 } = options;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (points.length < k) throw new RangeError(`need at least k=${k} points, got ${points.length}`);
  if (!Number.isInteger(restarts) || restarts < 1) throw new RangeError("restarts must be ≥ 1");
  const { data: flat, n, d } = toFlat(points);
  let best: KMeansFit | null = null;
  for (let r = 0; r < restarts; r++) {
    const s = deriveSeed(seed, "kmeans", k, r);
    const res = lloyd(flat, n, d, k, kMeansPlusPlus(flat, n, d, k, s), maxIterations, tolerance);
    const labels = Array.from(res.labels);
    const centroids = Array.from(
      { length: k },
      (_, c) => Array.from(res.centroids.subarray(c * d, c * d + d)),
    );
    const sizes = new Array<number>(k).fill(0);
    let inertia = 0;
    for (let i = 0; i < labels.length; i++) {
      const c = centroids[labels[i]];
      sizes[labels[i]]++;
      for (let j = 0; j < d; j++) {
        const t = flat[i * d + j] - c[j];
        inertia += t * t;
      }
    }
    const fit: KMeansFit = {
      k,
      labels,
      centroids,
      inertia,
      iterations: res.iterations,
      converged: res.converged,
      seed: s,
      emptyClusters: sizes.filter((x) => x === 0).length,
    };
    const better = best === null
      ? true
      : (fit.emptyClusters === 0) !== (best.emptyClusters === 0)
      ? fit.emptyClusters === 0
      : fit.inertia < best.inertia;
    if (better) best = fit;
  }
  return best!;
}

/** ml-xsadd 3.0.1's `multiplyUint32`. */
function multiplyUint32(n: number, m: number): number {
  n >>>= 0;
  m >>>= 0;
  const nlo = n & 0xffff;
  const nhi = n - nlo;
  return (((nhi * m) >>> 0) + nlo * m) >>> 0;
}

/**
 * The seeded uniform generator of `ml-random`'s `Random(seed)`: XSadd (ml-xsadd 3.0.1), floats
 * in [0, 1) with 24 bits.
 */
function xsadd(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new TypeError("seed must be an integer");
  const state = new Uint32Array(4);
  state[0] = seed;
  for (let i = 1; i < 8; i++) {
    state[i & 3] ^= (i +
      multiplyUint32(1812433253, state[(i - 1) & 3] ^ ((state[(i - 1) & 3] >>> 30) >>> 0))) >>> 0;
  }
  if (state[0] === 0 && state[1] === 0 && state[2] === 0 && state[3] === 0) {
    state.set([88, 83, 65, 68]);
  }
  const next = () => {
    let t = state[0];
    t ^= t << 15;
    t ^= t >>> 18;
    t ^= state[3] << 11;
    state[0] = state[1];
    state[1] = state[2];
    state[2] = state[3];
    state[3] = t;
  };
  for (let i = 0; i < 8; i++) next();
  return () => {
    next();
    return (((state[3] + state[2]) >>> 0) >>> 8) * (1 / 16777216);
  };
}

/** Squared distance between row `a` of `x` and row `b` of `y` (ml-distance-euclidean's order). */
function sqDist(x: Float64Array, a: number, y: Float64Array, b: number, d: number): number {
  let s = 0;
  const ao = a * d;
  const bo = b * d;
  for (let j = 0; j < d; j++) {
    const t = x[ao + j] - y[bo + j];
    s += t * t;
  }
  return s;
}

/** ml-spectra-processing's `xSum`: the first value, then the others added in order. */
function xSum(v: Float64Array): number {
  let s = v[0];
  for (let i = 1; i < v.length; i++) s += v[i];
  return s;
}

/**
 * ml-kmeans' k-means++ start (scikit-learn's greedy variant): the first centre uniformly at
 * random, then per centre 2 + ⌊ln k⌋ candidates drawn with probability ∝ squared distance to the
 * nearest centre, keeping the one that lowers the potential most (first on ties).
 *
 * @returns the k initial centres, row-major (k × d)
 */
function kMeansPlusPlus(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  seed: number,
): Float64Array {
  if (k <= 0 || k > n || !Number.isInteger(k)) {
    throw new Error("K should be a positive integer smaller than the number of points");
  }
  const random = xsadd(seed);
  const centers = new Float64Array(k * d);
  const localTrials = 2 + Math.floor(Math.log(k));
  const first = Math.floor(random() * n);
  centers.set(data.subarray(first * d, first * d + d), 0);
  let closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = sqDist(data, i, centers, 0, d);
  const probabilities = new Float64Array(n);
  const scale = (v: Float64Array) => {
    const inv = 1 / xSum(v);
    for (let i = 0; i < n; i++) probabilities[i] = v[i] * inv;
  };
  scale(closest);
  const cumSum = new Float64Array(n);
  const candidates = new Int32Array(localTrials);
  let trial = new Float64Array(n);
  let bestDist = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    // ml-random's choice(n, { replace: true, size, probabilities }).
    cumSum[0] = probabilities[0];
    for (let i = 1; i < n; i++) cumSum[i] = cumSum[i - 1] + probabilities[i];
    if (Math.abs(1 - cumSum[n - 1]) > 0.00000001) {
      throw new Error(`probabilities should sum to 1, but instead sums to ${cumSum[n - 1]}`);
    }
    for (let t = 0; t < localTrials; t++) {
      const rand = random();
      // The first index with !(rand > cumSum[idx]), that is cumSum[idx] >= rand.
      const lo = firstAtLeast(cumSum, rand);
      if (lo >= n) throw new RangeError("Row index out of range");
      candidates[t] = lo;
    }
    let bestCandidate = -1;
    let bestPot = Infinity;
    for (let t = 0; t < localTrials; t++) {
      const cand = candidates[t];
      let pot = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.min(closest[i], sqDist(data, cand, data, i, d));
        trial[i] = v;
        pot += v;
      }
      if (pot < bestPot) {
        bestCandidate = cand;
        bestPot = pot;
        const swap = bestDist;
        bestDist = trial;
        trial = swap;
      }
    }
    if (bestCandidate < 0) throw new RangeError("Row index out of range");
    centers.set(data.subarray(bestCandidate * d, bestCandidate * d + d), c * d);
    const swap = closest;
    closest = bestDist;
    bestDist = swap;
    scale(closest);
  }
  return centers;
}

/**
 * ml-kmeans' Lloyd iterations from given centres: assign every point to its nearest centre (first
 * on ties), move each centre to the mean of its points (an empty cluster keeps its centre), stop
 * when no centre moved by more than `tolerance` (squared) or after `maxIterations` steps.
 *
 * @returns the labels of the last assignment, the centres after it, iterations and convergence
 */
function lloyd(
  data: Float64Array,
  n: number,
  d: number,
  k: number,
  initial: Float64Array,
  maxIterations: number,
  tolerance: number,
): { labels: Int32Array; centroids: Float64Array; iterations: number; converged: boolean } {
  const cap = maxIterations === 0 ? Number.MAX_VALUE : maxIterations;
  const labels = new Int32Array(n);
  const sizes = new Int32Array(k);
  // Hamerly's bounds, kept with margins far above rounding: `upper[i]` ≥ the distance of point i
  // to its centre, `lower[i]` ≤ its distance to every other centre. When upper (with a relative
  // margin of 1e-9) is below lower, the computed squared distances (relative error ~1e-15) rank
  // the same centre first, so the full loop would give the same label: it is skipped.
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const drift = new Float64Array(k);
  const UP = 1 + 1e-12;
  const DOWN = 1 - 1e-12;
  let bounded = false;
  let centers = initial;
  let converged = false;
  let iterations = 0;
  // The shifts of the last step: each centre's, and the largest and second largest.
  let far = 0;
  let farC = -1;
  let far2 = 0;
  // One pass per step: shift the point's bounds, assign it, add it to its centre's sums (in
  // point order, so the sums are those of a separate pass).
  while (!converged && iterations < cap) {
    iterations++;
    const next = new Float64Array(k * d);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      let best = labels[i];
      let skip = false;
      if (bounded) {
        // Move the bounds by the centres' shifts (triangle inequality), rounded outwards.
        const u = (upper[i] + drift[best]) * UP;
        const l = (lower[i] - (best === farC ? far2 : far)) * DOWN;
        lower[i] = l;
        if (u * (1 + 1e-9) + 1e-150 < l) {
          upper[i] = u;
          skip = true;
        } else {
          const t = Math.sqrt(sqDist(data, i, centers, best, d)) * UP;
          upper[i] = t;
          skip = t * (1 + 1e-9) + 1e-150 < l;
        }
      }
      if (!skip) {
        best = -1;
        let min = Number.MAX_VALUE;
        let second = Infinity;
        for (let c = 0; c < k; c++) {
          const dist = sqDist(data, i, centers, c, d);
          if (dist < min) {
            if (min < second) second = min;
            min = dist;
            best = c;
          } else if (dist < second) {
            second = dist;
          }
        }
        if (best < 0) throw new RangeError(`point ${i} has no finite distance to a centre`);
        labels[i] = best;
        upper[i] = Math.sqrt(min) * UP;
        lower[i] = Math.sqrt(second) * DOWN;
      }
      sizes[best]++;
      const co = best * d;
      const io = i * d;
      for (let j = 0; j < d; j++) next[co + j] += data[io + j];
    }
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) {
        if (sizes[c]) next[c * d + j] /= sizes[c];
        else next[c * d + j] = centers[c * d + j];
      }
    }
    converged = true;
    for (let c = 0; c < k; c++) {
      if (sqDist(next, c, centers, c, d) > tolerance) {
        converged = false;
        break;
      }
    }
    far = 0;
    farC = -1;
    far2 = 0;
    for (let c = 0; c < k; c++) {
      drift[c] = Math.sqrt(sqDist(next, c, centers, c, d)) * UP;
      if (drift[c] > far) {
        far2 = far;
        far = drift[c];
        farC = c;
      } else if (drift[c] > far2) {
        far2 = drift[c];
      }
    }
    bounded = true;
    centers = next;
  }
  return { labels, centroids: centers, iterations, converged };
}

/**
 * Mean silhouette of several labelings of the same points, computing each pairwise distance
 * once (O(n² · (d + L)) time, O(n · Σk) memory, typed arrays only).
 *
 * The silhouette of a point is (b − a) / max(a, b), with a the mean distance to the other points
 * of its cluster and b the smallest mean distance to another cluster's points; a point alone in its
 * cluster scores 0 (scikit-learn's convention). Labels must be 0..k-1.
 *
 * @example
 * ```ts
 * import { silhouetteScores } from "./kmeans.ts";
 * import { equal, ok } from "node:assert/strict";
 * const [good, none] = silhouetteScores([[0], [1], [4], [5]], [[0, 0, 1, 1], [0, 0, 0, 0]]);
 * ok(Math.abs(good - (7 / 9 + 5 / 7) / 2) < 1e-12); // hand-computed
 * equal(none, 0); // a single cluster
 * ```
 *
 * @param points scaled points
 * @param labelings cluster labels per point, one array per labeling
 * @returns the mean silhouette per labeling (0 for a labeling with a single non-empty cluster)
 */
export function silhouetteScores(
  points: readonly (readonly number[])[],
  labelings: readonly (readonly number[])[],
): number[] {
  const n = points.length;
  const ks = labelings.map((lab) => {
    if (lab.length !== n) throw new RangeError(`labeling has ${lab.length} labels for ${n} points`);
    return lab.reduce((m, x) => Math.max(m, x), 0) + 1;
  });
  const { sums, lab, base } = clusterDistanceSums(points, labelings, ks);
  return ks.map((k, l) => meanSilhouette(sums, lab, base, l, n, k));
}

/**
 * For every labeling l and point i, the sum of i's distances to the points of each cluster:
 * `sums[base[l * n + i] + c]`; `lab[l * n + i]` is i's label in labeling l.
 */
function clusterDistanceSums(
  points: readonly (readonly number[])[],
  labelings: readonly (readonly number[])[],
  ks: readonly number[],
): { sums: Float64Array; lab: Int32Array; base: Int32Array } {
  const { data, n, d } = toFlat(points);
  const L = labelings.length;
  const offsets = new Int32Array(L);
  let total = 0;
  for (let l = 0; l < L; l++) {
    offsets[l] = total;
    total += n * ks[l];
  }
  const sums = new Float64Array(total);
  // lab[l * n + i] = label; base[l * n + i] = offset of point i's row of sums for labeling l.
  const lab = new Int32Array(L * n);
  const base = new Int32Array(L * n);
  for (let l = 0; l < L; l++) {
    for (let i = 0; i < n; i++) {
      lab[l * n + i] = labelings[l][i];
      base[l * n + i] = offsets[l] + i * ks[l];
    }
  }
  // Row by row: point i's sums take its distances in ascending j, the order in which the
  // symmetric pass (j > i, adding to both rows) would add them, so the sums are the same to the
  // bit; (x_i − x_j)² = (x_j − x_i)² exactly. Each distance is computed twice, but every addition
  // goes to one small row of sums read in order, which is much faster than scattering to two.
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const io = i * d;
    for (let j = 0; j < n; j++) {
      const jo = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = data[io + t] - data[jo + t];
        s += diff * diff;
      }
      dist[j] = Math.sqrt(s);
    }
    for (let l = 0; l < L; l++) {
      const ln = l * n;
      const row = base[ln + i];
      for (let j = 0; j < i; j++) sums[row + lab[ln + j]] += dist[j];
      for (let j = i + 1; j < n; j++) sums[row + lab[ln + j]] += dist[j];
    }
  }
  return { sums, lab, base };
}

/** Mean silhouette of labeling `l` (k clusters) from {@link clusterDistanceSums}' arrays. */
function meanSilhouette(
  sums: Float64Array,
  lab: Int32Array,
  base: Int32Array,
  l: number,
  n: number,
  k: number,
): number {
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) sizes[lab[l * n + i]]++;
  const nonEmpty = sizes.reduce((c, x) => c + (x > 0 ? 1 : 0), 0);
  if (nonEmpty < 2 || n === 0) return 0;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const own = lab[l * n + i];
    if (sizes[own] <= 1) continue; // silhouette 0
    const row = base[l * n + i];
    const a = sums[row + own] / (sizes[own] - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) {
      if (c === own || sizes[c] === 0) continue;
      const m = sums[row + c] / sizes[c];
      if (m < b) b = m;
    }
    const den = Math.max(a, b);
    acc += den === 0 ? 0 : (b - a) / den;
  }
  return acc / n;
}

/**
 * Mean silhouette of one labeling (see {@link silhouetteScores}).
 *
 * @example
 * ```ts
 * import { silhouette } from "./kmeans.ts";
 * import { ok } from "node:assert/strict";
 * ok(silhouette([[0], [1], [10], [11]], [0, 0, 1, 1]) > 0.8); // tight, far-apart clusters
 * ok(silhouette([[0], [1], [10], [11]], [0, 1, 0, 1]) < 0); // a bad split scores below 0
 * ```
 *
 * @param points scaled points
 * @param labels cluster per point (0..k-1)
 */
export function silhouette(
  points: readonly (readonly number[])[],
  labels: readonly number[],
): number {
  return silhouetteScores(points, [labels])[0];
}

/**
 * Adjusted Rand index between two labelings (1 = identical partitions up to renaming, about 0
 * for independent ones). Two trivial identical partitions (both one cluster, or both all
 * singletons) score 1.
 *
 * @example
 * ```ts
 * import { adjustedRandIndex } from "./kmeans.ts";
 * import { equal, ok } from "node:assert/strict";
 * equal(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1); // same partition, other names
 * ok(Math.abs(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]) - -0.5) < 1e-12); // worse than chance
 * ```
 *
 * @param a labels per point
 * @param b labels per point
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError("labelings differ in length");
  const pairs = new Map<string, number>();
  const ca = new Map<number, number>();
  const cb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}|${b[i]}`;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
    ca.set(a[i], (ca.get(a[i]) ?? 0) + 1);
    cb.set(b[i], (cb.get(b[i]) ?? 0) + 1);
  }
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of pairs.values()) index += c2(v);
  let sa = 0;
  for (const v of ca.values()) sa += c2(v);
  let sb = 0;
  for (const v of cb.values()) sb += c2(v);
  const all = c2(n);
  const expected = all === 0 ? 0 : (sa * sb) / all;
  const max = (sa + sb) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/** One row of the k sweep. */
export interface SweepRow {
  k: number;
  /** Inertia of the best start. */
  inertia: number;
  /** Mean silhouette (on all points or on the fixed sample). */
  silhouette: number;
}

/** Options of {@link sweepK}. */
export interface SweepOptions extends KMeansOptions {
  /** Smallest k (default 2). */
  kMin?: number;
  /** Largest k (default 10). */
  kMax?: number;
  /**
   * Silhouette on a fixed-seed sample of this many points (`deriveSeed(seed, "silhouette")`),
   * computed within the sample as scikit-learn's `sample_size` does; `null` (default) = all.
   */
  silhouetteSample?: number | null;
}

/**
 * Fits K-Means for every k in kMin..kMax and scores each fit.
 *
 * @example
 * ```ts
 * import { sweepK } from "./kmeans.ts";
 * import { deepEqual, ok } from "node:assert/strict";
 * const points = [[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]];
 * const { sweep, fits } = sweepK(points, { kMin: 2, kMax: 3, restarts: 1 });
 * deepEqual(sweep.map((r) => r.k), [2, 3]);
 * deepEqual(fits.map((f) => f.k), [2, 3]);
 * ok(sweep[0].silhouette > sweep[1].silhouette); // two groups fit best
 * ```
 *
 * @param points scaled points
 * @param options kMin (2), kMax (10), silhouetteSample (null) and the {@link KMeansOptions}
 * @returns the sweep rows and the fits, both in k order
 */
export function sweepK(
  points: readonly (readonly number[])[],
  options: SweepOptions = {},
): { sweep: SweepRow[]; fits: KMeansFit[] } {
  const { kMin = 2, kMax = 10, silhouetteSample = null, seed = 0 } = options;
  if (!Number.isInteger(kMin) || !Number.isInteger(kMax) || kMin < 2 || kMax < kMin) {
    throw new RangeError(`invalid k range ${kMin}..${kMax}`);
  }
  const hi = Math.min(kMax, points.length);
  const fits: KMeansFit[] = [];
  for (let k = kMin; k <= hi; k++) fits.push(fitKMeans(points, k, options));
  let rows = points;
  let labelings = fits.map((f) => f.labels);
  if (silhouetteSample !== null && silhouetteSample < points.length) {
    const idx = sampleIndices(
      points.length,
      silhouetteSample,
      createRng(deriveSeed(seed, "silhouette")),
    );
    rows = idx.map((i) => points[i]);
    labelings = labelings.map((lab) => idx.map((i) => lab[i]));
  }
  const sil = silhouetteScores(rows, labelings);
  return {
    sweep: fits.map((f, i) => ({ k: f.k, inertia: f.inertia, silhouette: sil[i] })),
    fits,
  };
}

/** Description of the k selection rule (for reports). */
export const K_RULE =
  "highest mean silhouette; silhouettes equal to 1e-9 count as ties, and ties go to the smaller k";

/**
 * Chooses k from a sweep: the highest mean silhouette (ties within 1e-9 → smaller k), unless
 * `override` is given.
 *
 * @example
 * ```ts
 * import { chooseK } from "./kmeans.ts";
 * import { equal } from "node:assert/strict";
 * const sweep = [
 *   { k: 2, inertia: 9, silhouette: 0.5 },
 *   { k: 3, inertia: 5, silhouette: 0.7 },
 *   { k: 4, inertia: 4, silhouette: 0.7 },
 * ];
 * equal(chooseK(sweep).k, 3); // best silhouette, tie → smaller k
 * equal(chooseK(sweep, 4).k, 4); // fixed by the configuration
 * ```
 *
 * @param sweep sweep rows
 * @param override fixed k from the configuration, or null
 * @returns the chosen k and the rule that chose it
 */
export function chooseK(
  sweep: readonly SweepRow[],
  override: number | null = null,
): { k: number; rule: string } {
  if (override !== null) {
    return { k: override, rule: `fixed by configuration (model.kmeans.k = ${override})` };
  }
  if (sweep.length === 0) throw new RangeError("empty sweep");
  let best = sweep[0];
  for (const row of sweep) {
    if (row.silhouette > best.silhouette + 1e-9) best = row;
    else if (Math.abs(row.silhouette - best.silhouette) <= 1e-9 && row.k < best.k) best = row;
  }
  return { k: best.k, rule: K_RULE };
}

/** Cluster names by value rank (lowest first) for k = 2..10. */
export const CLUSTER_NAMES: Readonly<Record<number, readonly string[]>> = {
  2: ["Low value", "High value"],
  3: ["Low value", "Mid value", "High value"],
  4: ["Dormant", "Occasional", "Regular", "VIP"],
  5: ["Dormant", "Fading", "Occasional", "Regular", "VIP"],
  6: ["Dormant", "Fading", "Occasional", "Regular", "Loyal", "VIP"],
  7: ["Lost", "Dormant", "Fading", "Occasional", "Regular", "Loyal", "VIP"],
  8: ["Lost", "Dormant", "Fading", "Occasional", "Promising", "Regular", "Loyal", "VIP"],
  9: [
    "Lost",
    "Dormant",
    "Fading",
    "Occasional",
    "Promising",
    "Regular",
    "Loyal",
    "Champions",
    "VIP",
  ],
  10: [
    "Lost",
    "Dormant",
    "Fading",
    "Hesitant",
    "Occasional",
    "Promising",
    "Regular",
    "Loyal",
    "Champions",
    "VIP",
  ],
};

/**
 * Names for k value-ordered clusters (index 0 = lowest value): {@link CLUSTER_NAMES} for
 * k = 2..10, otherwise "Tier 1 (lowest)", "Tier 2", …, "Tier k (highest)".
 *
 * @example
 * ```ts
 * import { clusterNames } from "./kmeans.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(clusterNames(4), ["Dormant", "Occasional", "Regular", "VIP"]);
 * deepEqual(clusterNames(11).slice(-2), ["Tier 10", "Tier 11 (highest)"]);
 * ```
 *
 * @param k number of clusters
 */
export function clusterNames(k: number): string[] {
  const fixed = CLUSTER_NAMES[k];
  if (fixed) return [...fixed];
  return Array.from(
    { length: k },
    (_, i) => `Tier ${i + 1}${i === 0 ? " (lowest)" : i === k - 1 ? " (highest)" : ""}`,
  );
}

/**
 * Ranks clusters by a value per point: clusters are ordered by the mean value of their members
 * (ascending, ties → smaller original index; empty clusters last).
 *
 * @example
 * ```ts
 * import { orderClusters } from "./kmeans.ts";
 * import { deepEqual } from "node:assert/strict";
 * // cluster 0 is worth 5 on average, cluster 1 is worth 1, cluster 2 is worth 3
 * const { rank, meanValue } = orderClusters([0, 0, 1, 1, 2], 3, [5, 5, 1, 1, 3]);
 * deepEqual(rank, [2, 0, 1]);
 * deepEqual(meanValue, [1, 3, 5]);
 * ```
 *
 * @param labels original cluster per point (0..k-1)
 * @param k number of clusters
 * @param value value per point (higher = more valuable customer)
 * @returns `rank[original] = new index` (0 = lowest value) and the mean value per new index
 */
export function orderClusters(
  labels: readonly number[],
  k: number,
  value: ArrayLike<number>,
): { rank: number[]; meanValue: (number | null)[] } {
  const sum = new Float64Array(k);
  const cnt = new Int32Array(k);
  for (let i = 0; i < labels.length; i++) {
    sum[labels[i]] += value[i];
    cnt[labels[i]]++;
  }
  const mean = Array.from({ length: k }, (_, c) => (cnt[c] > 0 ? sum[c] / cnt[c] : null));
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => {
    const ma = mean[a];
    const mb = mean[b];
    if (ma === null || mb === null) return (ma === null ? 1 : 0) - (mb === null ? 1 : 0) || a - b;
    return ma - mb || a - b;
  });
  const rank = new Array<number>(k);
  order.forEach((orig, r) => (rank[orig] = r));
  return { rank, meanValue: order.map((c) => mean[c]) };
}

/** Stability of a k across seeds. */
export interface Stability {
  /** Master seed of each repetition (each is a full best-of-restarts fit). */
  seeds: number[];
  /** ARI of every pair of repetitions. */
  pairwise: { a: number; b: number; ari: number }[];
  /** Mean pairwise ARI. */
  mean: number;
  /** Smallest pairwise ARI. */
  min: number;
}

/**
 * Stability of K-Means at one k: `repetitions` full best-of-restarts fits with different master
 * seeds — the first is `options.seed` itself (the seed of the reported fit), the others
 * `deriveSeed(seed, "stability", i)` — compared pairwise with the adjusted Rand index.
 *
 * @example
 * ```ts
 * import { stability } from "./kmeans.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const points = [[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]];
 * const s = stability(points, 2, 3, { restarts: 1, seed: 5 });
 * equal(s.seeds[0], 5);
 * deepEqual(s.pairwise.map((p) => [p.a, p.b]), [[0, 1], [0, 2], [1, 2]]);
 * equal(s.min, 1); // every seed finds the same two groups
 * ```
 *
 * @param points scaled points
 * @param k number of clusters
 * @param repetitions number of seeds (≥ 2; default 5)
 * @param options restarts, maxIterations, tolerance and the master seed
 * @param first optional: the fit already made with `options.seed` at this k (reused, not refitted;
 *   the result is the same either way)
 */
export function stability(
  points: readonly (readonly number[])[],
  k: number,
  repetitions = 5,
  options: KMeansOptions = {},
  first?: KMeansFit,
): Stability {
  if (!Number.isInteger(repetitions) || repetitions < 2) {
    throw new RangeError("repetitions must be ≥ 2");
  }
  const seed = options.seed ?? 0;
  const seeds = Array.from(
    { length: repetitions },
    (_, i) => (i === 0 ? seed : deriveSeed(seed, "stability", i)),
  );
  const labels = seeds.map((s, i) =>
    i === 0 && first && first.k === k
      ? first.labels
      : fitKMeans(points, k, { ...options, seed: s }).labels
  );
  const pairwise: Stability["pairwise"] = [];
  for (let a = 0; a < repetitions; a++) {
    for (let b = a + 1; b < repetitions; b++) {
      pairwise.push({ a, b, ari: adjustedRandIndex(labels[a], labels[b]) });
    }
  }
  const aris = pairwise.map((p) => p.ari);
  return {
    seeds,
    pairwise,
    mean: aris.reduce((s, x) => s + x, 0) / aris.length,
    min: Math.min(...aris),
  };
}

/** Profile of one cluster. */
export interface ClusterProfile {
  /** Cluster index (value order). */
  cluster: number;
  name: string;
  /** Customers. */
  size: number;
  /** Share of all customers. */
  share: number;
  /** Share of total revenue (sum of monetary; `null` if the total is 0). */
  revenueShare: number | null;
  medianRecencyDays: number | null;
  medianFrequency: number | null;
  medianMonetary: number | null;
}

/**
 * Size, customer share, revenue share and median recency/frequency/monetary per cluster.
 *
 * @example
 * ```ts
 * import { clusterProfiles } from "./kmeans.ts";
 * import { equal } from "node:assert/strict";
 * const [low, high] = clusterProfiles([0, 0, 1], ["Low", "High"], {
 *   recency_days: [100, 200, 1],
 *   frequency: [1, 1, 8],
 *   monetary: [10, 30, 160],
 * });
 * equal(low.size, 2);
 * equal(low.medianRecencyDays, 150);
 * equal(high.revenueShare, 0.8);
 * ```
 *
 * @param clusters cluster per customer (0..names.length-1)
 * @param names cluster names
 * @param metrics recency_days, frequency and monetary per customer
 */
export function clusterProfiles(
  clusters: readonly number[],
  names: readonly string[],
  metrics: {
    recency_days: ArrayLike<number>;
    frequency: ArrayLike<number>;
    monetary: ArrayLike<number>;
  },
): ClusterProfile[] {
  const k = names.length;
  const members: number[][] = Array.from({ length: k }, () => []);
  clusters.forEach((c, i) => members[c].push(i));
  let revenue = 0;
  for (let i = 0; i < clusters.length; i++) revenue += metrics.monetary[i];
  const n = clusters.length;
  return members.map((idx, c) => {
    const rev = idx.reduce((s, i) => s + metrics.monetary[i], 0);
    return {
      cluster: c,
      name: names[c],
      size: idx.length,
      share: n === 0 ? 0 : idx.length / n,
      revenueShare: revenue === 0 ? null : rev / revenue,
      medianRecencyDays: median(idx.map((i) => metrics.recency_days[i])),
      medianFrequency: median(idx.map((i) => metrics.frequency[i])),
      medianMonetary: median(idx.map((i) => metrics.monetary[i])),
    };
  });
}

/** A cross-tabulation of clusters against another categorical variable. */
export interface CrossTab {
  /** Row labels (cluster names, value order). */
  rows: string[];
  /** Column labels (sorted by code unit order). */
  columns: string[];
  /** `counts[row][column]`. */
  counts: number[][];
}

/**
 * Counts customers per (cluster, category).
 *
 * @example
 * ```ts
 * import { crossTab } from "./kmeans.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(crossTab([0, 0, 1], ["Low", "High"], ["b", "a", "a"]), {
 *   rows: ["Low", "High"],
 *   columns: ["a", "b"],
 *   counts: [[1, 1], [1, 0]],
 * });
 * ```
 *
 * @param clusters cluster per customer
 * @param names cluster names
 * @param categories category per customer (e.g. the RFM segment)
 */
export function crossTab(
  clusters: readonly number[],
  names: readonly string[],
  categories: readonly string[],
): CrossTab {
  if (categories.length !== clusters.length) {
    throw new RangeError("clusters and categories differ in length");
  }
  const columns = [...new Set(categories)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const col = new Map(columns.map((c, j) => [c, j]));
  const counts = names.map(() => new Array<number>(columns.length).fill(0));
  clusters.forEach((c, i) => counts[c][col.get(categories[i])!]++);
  return { rows: [...names], columns, counts };
}
