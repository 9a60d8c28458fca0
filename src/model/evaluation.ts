/**
 * Honest evaluation of the loyalty model on its held-out customers: paired-bootstrap intervals of
 * the metric differences between the KNN and each baseline, Brier scores, reliability diagrams,
 * and how far today's customers lie from the training customers (share outside the training
 * range and population stability index per feature and for the score).
 *
 * Everything is deterministic: the bootstrap draws from a seeded stream.
 *
 * @module
 */

import { psi } from "../score/drift.ts";
import { createRng } from "./random.ts";

/** A point estimate with a 95 % percentile interval. */
export interface Interval {
  /** The figure on the held-out customers themselves. */
  estimate: number | null;
  /** 2.5th percentile over the resamples. */
  lo: number | null;
  /** 97.5th percentile over the resamples. */
  hi: number | null;
}

/** One model's held-out predictions, as the bootstrap needs them. */
export interface BootstrapInput {
  /** Predicted level per customer. */
  pred: readonly number[];
  /** Score of the top level per customer (for its AUC). */
  pTop: readonly number[];
  /** Score of the lowest level per customer (for its AUC). */
  pLowest: readonly number[];
}

/** The metrics compared by the bootstrap. */
export const BOOTSTRAP_METRICS = ["aucTop", "macroF1", "aucLowest"] as const;

/** A bootstrapped metric. */
export type BootstrapMetric = typeof BOOTSTRAP_METRICS[number];

/** Result of {@link pairedBootstrap}. */
export interface PairedBootstrap {
  resamples: number;
  seed: number;
  level: number;
  /** The reference model's metrics with their intervals. */
  reference: Record<BootstrapMetric, Interval>;
  /** Per other model: reference − other, with the interval of the paired differences. */
  differences: Record<string, Record<BootstrapMetric, Interval>>;
}

/** Ascending order of scores with the end of each tie group. */
function sortedGroups(scores: readonly number[]): { order: Int32Array; groupEnd: Int32Array } {
  const n = scores.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    scores[a] - scores[b] || a - b
  );
  const groupEnd = new Int32Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let t = i; t <= j; t++) groupEnd[t] = j;
    i = j + 1;
  }
  return { order, groupEnd };
}

/** ROC AUC with a multiplicity per row (ties count ½); null without both classes. */
function weightedAuc(
  positive: Uint8Array,
  sorted: { order: Int32Array; groupEnd: Int32Array },
  w: Int32Array,
): number | null {
  const { order, groupEnd } = sorted;
  let negBelow = 0;
  let num = 0;
  let P = 0;
  let i = 0;
  const n = order.length;
  while (i < n) {
    const end = groupEnd[i];
    let pos = 0;
    let neg = 0;
    for (let t = i; t <= end; t++) {
      const r = order[t];
      if (positive[r]) pos += w[r];
      else neg += w[r];
    }
    num += pos * (negBelow + neg / 2);
    negBelow += neg;
    P += pos;
    i = end + 1;
  }
  return P === 0 || negBelow === 0 ? null : num / (P * negBelow);
}

/** Macro F1 with a multiplicity per row (classes absent from truth and predictions left out). */
function weightedMacroF1(
  y: readonly number[],
  pred: readonly number[],
  w: Int32Array,
  nClasses: number,
): number {
  const tp = new Float64Array(nClasses);
  const np = new Float64Array(nClasses);
  const nt = new Float64Array(nClasses);
  for (let i = 0; i < y.length; i++) {
    if (w[i] === 0) continue;
    nt[y[i]] += w[i];
    np[pred[i]] += w[i];
    if (y[i] === pred[i]) tp[y[i]] += w[i];
  }
  let sum = 0;
  let classes = 0;
  for (let c = 0; c < nClasses; c++) {
    if (nt[c] === 0 && np[c] === 0) continue;
    classes++;
    sum += (2 * tp[c]) / (np[c] + nt[c]);
  }
  return classes === 0 ? 0 : sum / classes;
}

/** The q-quantile (linear interpolation) of sorted finite values, or null when empty. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function interval(estimate: number | null, draws: number[]): Interval {
  const finite = draws.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return { estimate, lo: quantile(finite, 0.025), hi: quantile(finite, 0.975) };
}

/**
 * Paired bootstrap of held-out metrics: `resamples` times, the held-out customers are drawn with
 * replacement (the same draw for every model), each model's AUC of the top level, macro F1 and
 * AUC of the lowest level are computed on the draw, and the differences reference − other are
 * collected; the 95 % interval is the 2.5th to 97.5th percentile of those differences.
 *
 * @example
 * ```ts
 * import { pairedBootstrap } from "./evaluation.ts";
 * import { ok } from "node:assert/strict";
 * const y = Array.from({ length: 200 }, (_, i) => i % 3);
 * const good = { pred: y, pTop: y.map((v) => v), pLowest: y.map((v) => -v) };
 * const coin = { pred: y.map(() => 0), pTop: y.map(() => 0), pLowest: y.map(() => 0) };
 * const b = pairedBootstrap(y, 3, good, { coin }, 200, 1);
 * const d = b.differences.coin.aucTop;
 * ok(d.estimate === 0.5 && d.lo! > 0.4); // clearly ahead
 * ```
 *
 * @param y true level per held-out customer
 * @param nClasses number of levels
 * @param reference the model every other is compared with (the KNN)
 * @param others the other models by name
 * @param resamples number of resamples (0: estimates only)
 * @param seed seed of the draws
 */
export function pairedBootstrap(
  y: readonly number[],
  nClasses: number,
  reference: BootstrapInput,
  others: Readonly<Record<string, BootstrapInput>>,
  resamples: number,
  seed: number,
): PairedBootstrap {
  const n = y.length;
  const top = nClasses - 1;
  const isTop = Uint8Array.from(y, (v) => (v === top ? 1 : 0));
  const isLow = Uint8Array.from(y, (v) => (v === 0 ? 1 : 0));
  const names = Object.keys(others);
  const models = [reference, ...names.map((m) => others[m])];
  const prepared = models.map((m) => ({
    pred: m.pred,
    top: sortedGroups(m.pTop),
    low: sortedGroups(m.pLowest),
  }));
  const metricsOf = (w: Int32Array) =>
    prepared.map((m) => ({
      aucTop: weightedAuc(isTop, m.top, w),
      macroF1: weightedMacroF1(y, m.pred, w, nClasses),
      aucLowest: weightedAuc(isLow, m.low, w),
    }));
  const full = metricsOf(new Int32Array(n).fill(1));
  const draws = models.map(() => ({
    aucTop: [] as number[],
    macroF1: [] as number[],
    aucLowest: [] as number[],
  }));
  const diffs = names.map(() => ({
    aucTop: [] as number[],
    macroF1: [] as number[],
    aucLowest: [] as number[],
  }));
  const rng = createRng(seed);
  const w = new Int32Array(n);
  for (let b = 0; b < resamples; b++) {
    w.fill(0);
    for (let i = 0; i < n; i++) w[rng.int(n)]++;
    const m = metricsOf(w);
    for (const key of BOOTSTRAP_METRICS) {
      m.forEach((x, mi) => draws[mi][key].push(x[key] ?? NaN));
      names.forEach((_, oi) => {
        const a = m[0][key];
        const o = m[oi + 1][key];
        diffs[oi][key].push(a === null || o === null ? NaN : a - o);
      });
    }
  }
  const refIntervals = Object.fromEntries(
    BOOTSTRAP_METRICS.map((key) => [key, interval(full[0][key], draws[0][key])]),
  ) as Record<BootstrapMetric, Interval>;
  const differences: Record<string, Record<BootstrapMetric, Interval>> = {};
  names.forEach((name, oi) => {
    differences[name] = Object.fromEntries(
      BOOTSTRAP_METRICS.map((key) => {
        const a = full[0][key];
        const o = full[oi + 1][key];
        return [key, interval(a === null || o === null ? null : a - o, diffs[oi][key])];
      }),
    ) as Record<BootstrapMetric, Interval>;
  });
  return { resamples, seed, level: 0.95, reference: refIntervals, differences };
}

/**
 * Where the reference stands against another model on one metric: `"ahead"` when the whole
 * interval of reference − other is above 0, `"behind"` when it is below 0, `"level"` when it
 * contains 0 (no difference the held-out customers can show), null without an interval.
 *
 * @example
 * ```ts
 * import { standing } from "./evaluation.ts";
 * import { equal } from "node:assert/strict";
 * equal(standing({ estimate: 0.02, lo: 0.01, hi: 0.03 }), "ahead");
 * equal(standing({ estimate: 0.01, lo: -0.01, hi: 0.03 }), "level");
 * ```
 */
export function standing(d: Interval): "ahead" | "behind" | "level" | null {
  if (d.lo === null || d.hi === null) return null;
  return d.lo > 0 ? "ahead" : d.hi < 0 ? "behind" : "level";
}

/**
 * Multi-class Brier score: the mean over rows of Σ_c (p_c − [y = c])².
 *
 * @example
 * ```ts
 * import { brierScore } from "./evaluation.ts";
 * import { equal } from "node:assert/strict";
 * equal(brierScore([[1, 0], [0.5, 0.5]], [0, 1]), 0.25); // (0 + 0.5) / 2
 * ```
 */
export function brierScore(
  probs: readonly (readonly number[])[],
  labels: readonly number[],
): number {
  let s = 0;
  probs.forEach((p, i) => {
    for (let c = 0; c < p.length; c++) {
      const t = p[c] - (labels[i] === c ? 1 : 0);
      s += t * t;
    }
  });
  return probs.length === 0 ? 0 : s / probs.length;
}

/**
 * Brier score of one binary outcome: the mean of (p − outcome)².
 *
 * @example
 * ```ts
 * import { binaryBrier } from "./evaluation.ts";
 * import { equal } from "node:assert/strict";
 * equal(binaryBrier([0.5, 1], [true, true]), 0.125);
 * ```
 */
export function binaryBrier(p: readonly number[], positive: readonly boolean[]): number {
  let s = 0;
  p.forEach((v, i) => (s += (v - (positive[i] ? 1 : 0)) ** 2));
  return p.length === 0 ? 0 : s / p.length;
}

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Lower and upper end of the predicted probability (the last bin includes 1). */
  lo: number;
  hi: number;
  customers: number;
  /** Mean predicted probability in the bin (null when empty). */
  meanPredicted: number | null;
  /** Observed share of the outcome in the bin (null when empty). */
  observedRate: number | null;
}

/**
 * Reliability diagram: predicted probabilities in `bins` equal-width bins, with the mean
 * prediction and the observed rate of each — on a calibrated model the two agree.
 *
 * @example
 * ```ts
 * import { reliability } from "./evaluation.ts";
 * import { deepEqual } from "node:assert/strict";
 * const r = reliability([0.1, 0.15, 0.9, 1], [false, true, true, true], 2);
 * deepEqual(r.map((b) => [b.customers, b.meanPredicted, b.observedRate]), [
 *   [2, 0.125, 0.5],
 *   [2, 0.95, 1],
 * ]);
 * ```
 */
export function reliability(
  p: readonly number[],
  positive: readonly boolean[],
  bins = 10,
): ReliabilityBin[] {
  const n = new Array<number>(bins).fill(0);
  const sp = new Array<number>(bins).fill(0);
  const so = new Array<number>(bins).fill(0);
  p.forEach((v, i) => {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
    n[b]++;
    sp[b] += v;
    so[b] += positive[i] ? 1 : 0;
  });
  return n.map((c, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    customers: c,
    meanPredicted: c ? sp[b] / c : null,
    observedRate: c ? so[b] / c : null,
  }));
}

/** How today's customers compare with the training customers on one feature. */
export interface FeatureShift {
  feature: string;
  /** Smallest and largest training value. */
  trainingMin: number;
  trainingMax: number;
  /** Share of today's customers below the smallest / above the largest training value. */
  belowRange: number;
  aboveRange: number;
  /** belowRange + aboveRange. */
  outsideRange: number;
  /** Population stability index of today against training (10 quantile bins of training). */
  psi: number;
  /** "stable" (< 0.1), "moderate" (< 0.25) or "significant". */
  level: string;
}

/**
 * Share outside the training range and PSI of one feature.
 *
 * @example
 * ```ts
 * import { featureShift } from "./evaluation.ts";
 * import { equal } from "node:assert/strict";
 * const train = Array.from({ length: 100 }, (_, i) => i);
 * const s = featureShift("x", train, [50, 99, 150, 200]);
 * equal(s.aboveRange, 0.5);
 * equal(s.level, "significant");
 * ```
 */
export function featureShift(
  feature: string,
  training: readonly number[],
  today: readonly number[],
): FeatureShift {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of training) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const below = today.filter((v) => v < lo).length / today.length;
  const above = today.filter((v) => v > hi).length / today.length;
  const r = psi(training, today);
  return {
    feature,
    trainingMin: lo,
    trainingMax: hi,
    belowRange: below,
    aboveRange: above,
    outsideRange: below + above,
    psi: r.psi,
    level: r.level,
  };
}

/** PSI of today's scores against a reference population's scores. */
export function scoreShift(reference: readonly number[], today: readonly number[]) {
  const r = psi(reference, today);
  return { psi: r.psi, level: r.level };
}
