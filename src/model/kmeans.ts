/**
 * K-Means segmentation helpers: seeded best-of-restarts fits (`ml-kmeans` with k-means++),
 * silhouette, a k sweep with a documented selection rule, value-ordered cluster naming, stability
 * (adjusted Rand index across seeds), cluster profiles and cross-tabs.
 *
 * All functions are pure and deterministic for a given seed. Points are the scaled features.
 *
 * @module
 */

import { kmeans } from "ml-kmeans";
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
  const data = points as number[][];
  const { data: flat, d } = toFlat(points);
  let best: KMeansFit | null = null;
  for (let r = 0; r < restarts; r++) {
    const s = deriveSeed(seed, "kmeans", k, r);
    const res = kmeans(data, k, {
      initialization: "kmeans++",
      seed: s,
      maxIterations,
      tolerance,
    });
    const labels = Array.from(res.clusters);
    const centroids = res.centroids.map((c) => Array.from(c));
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

/**
 * Mean silhouette of several labelings of the same points, computing each pairwise distance
 * once (O(n² · (d + L)) time, O(n · Σk) memory, typed arrays only).
 *
 * The silhouette of a point is (b − a) / max(a, b), with a the mean distance to the other points
 * of its cluster and b the smallest mean distance to another cluster's points; a point alone in its
 * cluster scores 0 (scikit-learn's convention). Labels must be 0..k-1.
 *
 * @param points scaled points
 * @param labelings cluster labels per point, one array per labeling
 * @returns the mean silhouette per labeling (0 for a labeling with a single non-empty cluster)
 */
export function silhouetteScores(
  points: readonly (readonly number[])[],
  labelings: readonly (readonly number[])[],
): number[] {
  const { data, n, d } = toFlat(points);
  const L = labelings.length;
  const ks = labelings.map((lab) => {
    if (lab.length !== n) throw new RangeError(`labeling has ${lab.length} labels for ${n} points`);
    return lab.reduce((m, x) => Math.max(m, x), 0) + 1;
  });
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
  for (let i = 0; i < n; i++) {
    const io = i * d;
    for (let j = i + 1; j < n; j++) {
      const jo = j * d;
      let s = 0;
      for (let t = 0; t < d; t++) {
        const diff = data[io + t] - data[jo + t];
        s += diff * diff;
      }
      const dist = Math.sqrt(s);
      for (let l = 0; l < L; l++) {
        const ln = l * n;
        sums[base[ln + i] + lab[ln + j]] += dist;
        sums[base[ln + j] + lab[ln + i]] += dist;
      }
    }
  }
  const out: number[] = [];
  for (let l = 0; l < L; l++) {
    const k = ks[l];
    const sizes = new Int32Array(k);
    for (let i = 0; i < n; i++) sizes[lab[l * n + i]]++;
    const nonEmpty = sizes.reduce((c, x) => c + (x > 0 ? 1 : 0), 0);
    if (nonEmpty < 2 || n === 0) {
      out.push(0);
      continue;
    }
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
    out.push(acc / n);
  }
  return out;
}

/**
 * Mean silhouette of one labeling (see {@link silhouetteScores}).
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

/**
 * Median of numbers (mean of the two middle values for an even count; `null` when empty).
 *
 * @param values numbers
 */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
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
