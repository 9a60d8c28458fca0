/**
 * Population drift between a model's training customers and a population it is asked to score,
 * measured with the population stability index (PSI). Pure.
 *
 * **PSI.** The reference (training) values are cut into {@link PSI_BINS} bins at their quantiles
 * (tied values always share a bin, so a feature tied at 1 for a third of customers gives fewer,
 * wider bins); with `e` and `a` the reference and new shares of a bin (each floored at
 * {@link PSI_FLOOR} so that an empty bin gives a large but finite term),
 * `PSI = Σ (a − e) · ln(a / e)`. Thresholds: below {@link PSI_MODERATE} (0.1) the population is
 * stable; from 0.1 to {@link PSI_SIGNIFICANT} (0.25) it has moved moderately; from 0.25 on it
 * has moved significantly and the model's answers deserve a second look.
 *
 * **Per feature** the comparison is on the model's own scale (look-back capping, `log1p` and
 * standardising, which preserve order, so the bins are the same as on raw values): the training
 * points stored in the model, each once per training customer it stands for, against the new
 * customers' values. **For the score** the reference is the training
 * customers scored by the model leave-one-out (each without its own vote, as a new customer
 * would be scored; at most {@link SCORE_REFERENCE_SIZE} of them, evenly spaced) against the new
 * customers' scores.
 *
 * @module
 */

import { type LoyaltyModel, scaledValues, scoreFromProbabilities } from "./score.ts";
import { calibrate } from "./calibration.ts";
import { indexFor, voteCounts, type VotingPoint } from "./neighbours.ts";

/** Number of quantile bins of the reference population. */
export const PSI_BINS = 10;
/** Smallest share of a bin used in the PSI terms. */
export const PSI_FLOOR = 1e-4;
/** PSI from which a population has moved moderately (warn). */
export const PSI_MODERATE = 0.1;
/** PSI from which a population has moved significantly (warn strongly). */
export const PSI_SIGNIFICANT = 0.25;

/** How far a population has moved. */
export type DriftLevel = "stable" | "moderate" | "significant";

/** One bin of a PSI comparison. */
export interface PsiBin {
  /** Largest reference value in the bin (inclusive); null for the last, open-ended bin. */
  upper: number | null;
  /** Share of the reference population in the bin. */
  expected: number;
  /** Share of the new population in the bin. */
  actual: number;
}

/** A PSI comparison. */
export interface PsiResult {
  psi: number;
  level: DriftLevel;
  bins: PsiBin[];
}

/**
 * The drift level of a PSI value.
 *
 * @example
 * ```ts
 * import { driftLevel } from "./drift.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual([0.05, 0.1, 0.2, 0.25, 1].map(driftLevel), [
 *   "stable", "moderate", "moderate", "significant", "significant",
 * ]);
 * ```
 */
export function driftLevel(psi: number): DriftLevel {
  return psi >= PSI_SIGNIFICANT ? "significant" : psi >= PSI_MODERATE ? "moderate" : "stable";
}

/** Upper bin edges (inclusive) at the quantiles of sorted values, without repeats. */
function quantileEdges(sorted: readonly number[], bins: number): number[] {
  const n = sorted.length;
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const v = sorted[Math.max(0, Math.ceil((i * n) / bins) - 1)];
    if (edges.length === 0 || v > edges[edges.length - 1]) edges.push(v);
  }
  return edges;
}

/** Index of the bin of `x`: the first edge ≥ x, or the last (open) bin. */
function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The population stability index of `actual` against `expected`.
 *
 * @example
 * ```ts
 * import { psi } from "./drift.ts";
 * import { equal, ok } from "node:assert/strict";
 * const ref = Array.from({ length: 1000 }, (_, i) => i);
 * equal(psi(ref, ref).psi, 0);
 * equal(psi(ref, ref).level, "stable");
 * const shifted = ref.map((x) => x + 300);
 * ok(psi(ref, shifted).psi > 0.25);
 * equal(psi(ref, shifted).level, "significant");
 * ```
 *
 * @param expected reference values (finite; at least one)
 * @param actual new values (finite; at least one)
 * @param bins number of quantile bins of the reference (default {@link PSI_BINS})
 * @throws {RangeError} for an empty population or a non-finite value
 */
export function psi(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  bins = PSI_BINS,
): PsiResult {
  if (expected.length === 0 || actual.length === 0) {
    throw new RangeError("PSI needs at least one value in each population");
  }
  const sorted = Array.from(expected).sort((a, b) => a - b);
  if (!Number.isFinite(sorted[0]) || !Number.isFinite(sorted[sorted.length - 1])) {
    throw new RangeError("PSI needs finite values");
  }
  const edges = quantileEdges(sorted, bins);
  const e = new Array<number>(edges.length + 1).fill(0);
  const a = new Array<number>(edges.length + 1).fill(0);
  for (const x of sorted) e[binOf(edges, x)]++;
  for (let i = 0; i < actual.length; i++) {
    const x = actual[i];
    if (!Number.isFinite(x)) throw new RangeError("PSI needs finite values");
    a[binOf(edges, x)]++;
  }
  let total = 0;
  const out: PsiBin[] = e.map((count, i) => {
    const es = count / sorted.length;
    const as = a[i] / actual.length;
    const ef = Math.max(es, PSI_FLOOR);
    const af = Math.max(as, PSI_FLOOR);
    total += (af - ef) * Math.log(af / ef);
    return { upper: i < edges.length ? edges[i] : null, expected: es, actual: as };
  });
  return { psi: total, level: driftLevel(total), bins: out };
}

/** Most training customers scored for the score's reference population. */
export const SCORE_REFERENCE_SIZE = 5000;

/**
 * The scores of a model's training customers, each scored leave-one-out: its k nearest other
 * training customers vote (the reference population of the score's PSI), through the model's
 * vote weighting (with its offset) and calibration, as a new customer would be scored. A
 * collapsed point (`knn.counts`) stands for several customers: each of them is scored without
 * itself — the point's other customers still vote — and gets its own entry. Above `maxPoints`
 * training points, an evenly spaced sample of the points (every ⌈n / maxPoints⌉-th, in training
 * order) is scored: ten quantile bins need no more, and a model with k = 51 over 17,000
 * customers would otherwise take seconds.
 *
 * @param model loyalty model
 * @param maxPoints most training points to score (default {@link SCORE_REFERENCE_SIZE})
 * @returns one integer score per scored training customer, in training order
 */
export function trainingScores(model: LoyaltyModel, maxPoints = SCORE_REFERENCE_SIZE): number[] {
  const { knn } = model;
  const C = knn.nClasses;
  const index = indexFor(knn);
  const step = Math.max(1, Math.ceil(knn.points.length / maxPoints));
  const shareOf = (j: number): number[] => {
    const c = knn.counts?.[j];
    if (!c) return Array.from({ length: C }, (_, y) => (y === knn.labels[j] ? 1 : 0));
    const n = c.reduce((a, b) => a + b, 0);
    return c.map((x) => x / n);
  };
  const scores: number[] = [];
  for (let i = 0; i < knn.points.length; i += step) {
    const found = index.nearestArrays(knn.points[i], knn.k + 1);
    const own = knn.counts?.[i] ??
      Array.from({ length: C }, (_, y) => (y === knn.labels[i] ? 1 : 0));
    const n = own.reduce((a, b) => a + b, 0);
    for (let y = 0; y < C; y++) {
      if (own[y] === 0) continue;
      // The point's customers without this one (a customer of class y).
      const rest = own.map((x, c) => (c === y ? x - 1 : x));
      const points: VotingPoint[] = [];
      let voters = 0;
      let self = false;
      for (let f = 0; f < found.length; f++) {
        const j = found.index[f];
        let take = found.take[f];
        let share = shareOf(j);
        if (j === i) {
          self = true;
          take -= 1;
          share = n > 1 ? rest.map((x) => x / (n - 1)) : share;
        }
        if (take > 0) {
          points.push({ distance: found.distance[f], take, share });
          voters += take;
        }
      }
      // Not found itself (ties at distance 0 with lower indices): drop the furthest customer.
      if (!self && voters > knn.k) {
        const last = points[points.length - 1];
        if (last.take > 1) points[points.length - 1] = { ...last, take: last.take - 1 };
        else points.pop();
      }
      const raw = voteCounts(points, knn.weighting, knn.offset ?? 0, C);
      const s = scoreFromProbabilities(model.score, calibrate(model.calibration, raw)).score;
      for (let m = 0; m < own[y]; m++) scores.push(s);
    }
  }
  return scores;
}

/** A value rounded to 6 decimals (−0 as 0), as the build rounds the training points. */
function round6(v: number): number {
  const r = Math.round(v * 1e6) / 1e6;
  return r === 0 ? 0 : r;
}

/** Drift of one feature. */
export interface FeatureDrift {
  feature: string;
  psi: number;
  level: DriftLevel;
}

/** Drift of a scored population against a model's training population. */
export interface DriftReport {
  /** Thresholds used. */
  thresholds: { moderate: number; significant: number };
  /** Customers in the reference (training) and new populations. */
  trainingCustomers: number;
  newCustomers: number;
  /** One entry per model feature, in the model's order. */
  features: FeatureDrift[];
  /** Drift of the score. */
  score: { psi: number; level: DriftLevel };
  /** The worst level found. */
  level: DriftLevel;
}

/**
 * PSI per feature and for the score of a new population against the model's training customers.
 *
 * @param model loyalty model
 * @param rows the new customers' raw feature values, in `model.features` order (valid values)
 * @param scores the new customers' scores
 */
export function populationDrift(
  model: LoyaltyModel,
  rows: readonly (readonly number[])[],
  scores: readonly number[],
): DriftReport {
  // The training customers: a collapsed point once per customer it stands for.
  const points = model.knn.points.flatMap((p, i) => {
    const c = model.knn.counts?.[i];
    const n = c ? c.reduce((a, b) => a + b, 0) : 1;
    const q = p.map(round6);
    return n === 1 ? [q] : Array.from({ length: n }, () => q);
  });
  // Both sides rounded to 6 decimals, as the build stores its training points, so that a value
  // tied with training values shares their bin rather than falling just beside an edge.
  const z = rows.map((r) => scaledValues(model, r).map(round6));
  const features = model.features.map((feature, j) => {
    const r = psi(points.map((p) => p[j]), z.map((x) => x[j]));
    return { feature, psi: r.psi, level: r.level };
  });
  const s = psi(trainingScores(model), scores);
  const levels: DriftLevel[] = [...features.map((f) => f.level), s.level];
  const level = levels.includes("significant")
    ? "significant"
    : levels.includes("moderate")
    ? "moderate"
    : "stable";
  return {
    thresholds: { moderate: PSI_MODERATE, significant: PSI_SIGNIFICANT },
    trainingCustomers: points.length, // collapsed points counted once per customer
    newCustomers: rows.length,
    features,
    score: { psi: s.psi, level: s.level },
    level,
  };
}
