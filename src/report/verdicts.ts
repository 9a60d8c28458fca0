/**
 * Verdicts: every judgement the report's prose passes on the loyalty model — "no better than
 * chance", "far better than guessing", "better than / level with / worse than" a baseline,
 * "rises band by band", "ranks customers usefully" — decided here, by stated thresholds
 * ({@link VERDICT_THRESHOLDS}), and worded here, so a sentence can never claim more than its
 * numbers. Pure: the pages run it in the browser (`src/site/browser.ts`).
 *
 * The rules, in order of precedence:
 *
 * - **AUC against chance** ({@link aucVerdict}). With a bootstrap interval: an interval that
 *   contains 0.5 is "chance", one entirely below is "worse", one entirely above is "strong" when
 *   the AUC is at least `aucStrong` and "better" otherwise. Without an interval the AUC is
 *   compared with 0.5 ± `aucChanceMargin` instead.
 * - **Model against a baseline** ({@link compareWithBaseline}). With the paired-bootstrap interval
 *   of the difference (model − baseline): above 0 is "better", below 0 "worse", containing 0
 *   "level". Without one: a difference beyond ± `levelTolerance` is "better" or "worse", else
 *   "level".
 * - **Band trend** ({@link bandVerdict}), on the observed top-level rate per band (empty bands
 *   skipped): "rises" when it never falls from a band to the next better one and the best band's
 *   rate exceeds the worst band's by at least `bandMinRise`; "mostly rises" when it does rise by
 *   that much overall and no fall exceeds `bandMaxDip`; otherwise "does not rise".
 * - **Ranking** ({@link rankingVerdict}): "ranks usefully" only when the top-decile lift is at least
 *   `usefulLift` **and** the AUC verdict is "better" or "strong".
 * - **Today far from training** ({@link farVerdict}): a warning when more than `farShare` of today's
 *   customers have a figure beyond the drift limit on the model's scale.
 * - **Today outside the training range** ({@link rangeVerdict}): the feature with the largest share
 *   of today's customers outside its training range is named when that share is at least
 *   `extrapolationShare`.
 *
 * @module
 */

import { type BandTrend, bandTrend } from "../model/bands.ts";
import type { FeatureShift } from "../model/evaluation.ts";

/** The thresholds of every verdict. */
export const VERDICT_THRESHOLDS = {
  /** The AUC of a random ranking. */
  chanceAuc: 0.5,
  /** Without an interval, an AUC within this of 0.5 is "no better than chance". */
  aucChanceMargin: 0.05,
  /** An AUC (clearly above chance) from this value up is "far better than guessing". */
  aucStrong: 0.75,
  /** Without an interval, model and baseline within this of each other are "level". */
  levelTolerance: 0.01,
  /** The best band's rate must exceed the worst band's by this much for any "rises". */
  bandMinRise: 0.1,
  /** "Mostly rises" allows falls between neighbouring bands up to this (rate points). */
  bandMaxDip: 0.05,
  /** Top-decile lift needed for "ranks customers usefully". */
  usefulLift: 1.5,
  /**
   * Share of today's customers outside a feature's training range from which their scores are
   * called extrapolations (the model can only liken them to the nearest training customers).
   */
  extrapolationShare: 0.05,
  /**
   * Share of today's customers with a figure more than the drift limit (standard deviations of
   * the training customers) from the training mean, from which the report warns that today's
   * scores are extrapolations; the same share per feature names the features concerned.
   */
  farShare: 0.1,
} as const;

/** A bootstrap interval (the evaluation's `Interval`; nulls when it could not be computed). */
export interface IntervalLike {
  lo: number | null;
  hi: number | null;
}

/** A usable interval, or null. */
function usable(i: IntervalLike | null | undefined): { lo: number; hi: number } | null {
  if (!i || i.lo === null || i.hi === null) return null;
  if (!Number.isFinite(i.lo) || !Number.isFinite(i.hi) || i.lo > i.hi) return null;
  return { lo: i.lo, hi: i.hi };
}

/** Slack for figures that equal a threshold but went through floating-point arithmetic. */
const EPS = 1e-12;

const isNum = (x: number | null | undefined): x is number =>
  typeof x === "number" && Number.isFinite(x);

const fixed = (x: number, d: number) => (x < 0 ? "−" : "") + Math.abs(x).toFixed(d);
const pct = (x: number) => `${Math.round(x * 100)} %`;

// ---------------------------------------------------------------------------------------------
// AUC against chance

/** The AUC verdict. */
export type AucVerdict = "chance" | "worse" | "better" | "strong" | "unknown";

/** Result of {@link aucVerdict}. */
export interface AucJudgement {
  verdict: AucVerdict;
  /** The words of the verdict: "no better than chance", "far better than guessing", … */
  phrase: string;
  auc: number | null;
  /** The interval used (null: the margin rule was used). */
  interval: { lo: number; hi: number } | null;
}

const AUC_PHRASES: Readonly<Record<AucVerdict, string>> = {
  chance: "no better than chance",
  worse: "worse than chance",
  better: "better than chance",
  strong: "far better than guessing",
  unknown: "not measurable here",
};

/**
 * Whether an AUC is better than chance, by its bootstrap interval when given.
 *
 * @example
 * ```ts
 * import { aucVerdict } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * equal(aucVerdict(0.49, { lo: 0.45, hi: 0.53 }).verdict, "chance");
 * equal(aucVerdict(0.58, { lo: 0.49, hi: 0.66 }).verdict, "chance"); // the interval holds 0.5
 * equal(aucVerdict(0.86, { lo: 0.83, hi: 0.89 }).phrase, "far better than guessing");
 * equal(aucVerdict(0.62, { lo: 0.58, hi: 0.66 }).verdict, "better");
 * equal(aucVerdict(0.54).verdict, "chance"); // no interval: within 0.05 of 0.5
 * equal(aucVerdict(null).verdict, "unknown");
 * ```
 *
 * @param auc the AUC (null when undefined)
 * @param interval its bootstrap interval, when there is one
 */
export function aucVerdict(auc: number | null, interval?: IntervalLike | null): AucJudgement {
  const T = VERDICT_THRESHOLDS;
  const iv = usable(interval);
  let verdict: AucVerdict;
  if (!isNum(auc)) verdict = "unknown";
  else if (iv) {
    verdict = iv.hi < T.chanceAuc
      ? "worse"
      : iv.lo <= T.chanceAuc
      ? "chance"
      : auc >= T.aucStrong
      ? "strong"
      : "better";
  } else {
    verdict = auc < T.chanceAuc - T.aucChanceMargin - EPS
      ? "worse"
      : auc <= T.chanceAuc + T.aucChanceMargin + EPS
      ? "chance"
      : auc >= T.aucStrong
      ? "strong"
      : "better";
  }
  return {
    verdict,
    phrase: AUC_PHRASES[verdict],
    auc: isNum(auc) ? auc : null,
    interval: isNum(auc) ? iv : null,
  };
}

/**
 * The AUC verdict as a sentence.
 *
 * @example
 * ```ts
 * import { aucSentence, aucVerdict } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * equal(
 *   aucSentence(aucVerdict(0.49, { lo: 0.45, hi: 0.53 }), "loyal"),
 *   "The score tells “loyal” customers from the rest no better than chance: AUC 0.49 " +
 *     "(95 % interval 0.45 to 0.53, which includes 0.5).",
 * );
 * equal(
 *   aucSentence(aucVerdict(0.86), "loyal"),
 *   "The score tells “loyal” customers from the rest far better than guessing: AUC 0.86 " +
 *     "(0.5 = chance, 1 = perfect).",
 * );
 * ```
 *
 * @param j from {@link aucVerdict}
 * @param level the top level's name ("loyal")
 */
export function aucSentence(j: AucJudgement, level: string): string {
  if (j.auc === null) return `The AUC for “${level}” customers cannot be computed on these data.`;
  const head = `The score tells “${level}” customers from the rest ${j.phrase}: AUC ${
    fixed(j.auc, 2)
  }`;
  if (!j.interval) return `${head} (0.5 = chance, 1 = perfect).`;
  const holds = j.interval.lo <= VERDICT_THRESHOLDS.chanceAuc &&
    j.interval.hi >= VERDICT_THRESHOLDS.chanceAuc;
  return `${head} (95 % interval ${fixed(j.interval.lo, 2)} to ${fixed(j.interval.hi, 2)}, ` +
    `which ${holds ? "includes" : "excludes"} 0.5).`;
}

// ---------------------------------------------------------------------------------------------
// Model against a baseline

/** The verdict of a model against one baseline on one metric. */
export type BaselineVerdict = "better" | "level" | "worse" | "unknown";

/** Result of {@link compareWithBaseline}. */
export interface BaselineJudgement {
  verdict: BaselineVerdict;
  /** "better than", "level with", "worse than" (or "not comparable with"). */
  phrase: string;
  /** model − baseline (null when either is missing). */
  difference: number | null;
  /** The interval of the difference used (null: the tolerance rule was used). */
  interval: { lo: number; hi: number } | null;
}

const BASELINE_PHRASES: Readonly<Record<BaselineVerdict, string>> = {
  better: "better than",
  level: "level with",
  worse: "worse than",
  unknown: "not comparable with",
};

/**
 * A model against a baseline on one metric (higher is better), by the paired-bootstrap interval
 * of the difference when given.
 *
 * @example
 * ```ts
 * import { compareWithBaseline } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * equal(compareWithBaseline(0.549, 0.551).verdict, "level"); // within 0.01
 * equal(compareWithBaseline(0.60, 0.55).phrase, "better than");
 * // a difference of 0.05 whose interval holds 0: level
 * equal(compareWithBaseline(0.60, 0.55, { lo: -0.01, hi: 0.11 }).verdict, "level");
 * equal(compareWithBaseline(0.556, 0.551, { lo: 0.002, hi: 0.009 }).verdict, "better");
 * ```
 *
 * @param model the model's value
 * @param baseline the baseline's value
 * @param interval paired-bootstrap interval of model − baseline, when there is one
 * @param tolerance without an interval, differences up to this are "level"
 *   (default `VERDICT_THRESHOLDS.levelTolerance`)
 */
export function compareWithBaseline(
  model: number | null,
  baseline: number | null,
  interval?: IntervalLike | null,
  tolerance: number = VERDICT_THRESHOLDS.levelTolerance,
): BaselineJudgement {
  if (!isNum(model) || !isNum(baseline)) {
    return {
      verdict: "unknown",
      phrase: BASELINE_PHRASES.unknown,
      difference: null,
      interval: null,
    };
  }
  const difference = model - baseline;
  const iv = usable(interval);
  // EPS: a difference equal to the tolerance is level even after floating-point subtraction
  const verdict: BaselineVerdict = iv
    ? iv.lo > 0 ? "better" : iv.hi < 0 ? "worse" : "level"
    : difference > tolerance + EPS
    ? "better"
    : difference < -tolerance - EPS
    ? "worse"
    : "level";
  return { verdict, phrase: BASELINE_PHRASES[verdict], difference, interval: iv };
}

/**
 * A model against a baseline as a sentence.
 *
 * @example
 * ```ts
 * import { baselineSentence, compareWithBaseline } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * const j = compareWithBaseline(0.549, 0.551, { lo: -0.03, hi: 0.026 });
 * equal(
 *   baselineSentence(j, { model: "the KNN", baseline: "persistence", metric: "macro F1" }, 0.549, 0.551),
 *   "On macro F1 the KNN (0.549) is level with persistence (0.551): the difference, −0.002 " +
 *     "(95 % interval −0.030 to 0.026), could be chance.",
 * );
 * ```
 *
 * @param j from {@link compareWithBaseline}
 * @param labels display names of the model, the baseline and the metric
 * @param model the model's value
 * @param baseline the baseline's value
 * @param format number format (default 3 decimals)
 */
export function baselineSentence(
  j: BaselineJudgement,
  labels: { model: string; baseline: string; metric: string },
  model: number | null,
  baseline: number | null,
  format: (x: number) => string = (x) => fixed(x, 3),
): string {
  if (j.verdict === "unknown" || !isNum(model) || !isNum(baseline)) {
    return `On ${labels.metric} ${labels.model} cannot be compared with ${labels.baseline}.`;
  }
  const head = `On ${labels.metric} ${labels.model} (${format(model)}) is ${j.phrase} ` +
    `${labels.baseline} (${format(baseline)})`;
  const d = format(j.difference!);
  if (j.interval) {
    const iv = `(95 % interval ${format(j.interval.lo)} to ${format(j.interval.hi)})`;
    return j.verdict === "level"
      ? `${head}: the difference, ${d} ${iv}, could be chance.`
      : `${head}: the difference, ${d} ${iv}, is clear of chance.`;
  }
  const tol = String(VERDICT_THRESHOLDS.levelTolerance);
  return j.verdict === "level"
    ? `${head}: the difference, ${d}, is within ${tol}.`
    : `${head}, by ${format(Math.abs(j.difference!))}.`;
}

// ---------------------------------------------------------------------------------------------
// Score bands

/** The band-trend verdict. */
export type BandVerdict = "rises" | "mostly rises" | "does not rise" | "unknown";

/** Result of {@link bandVerdict}. */
export interface BandJudgement {
  verdict: BandVerdict;
  /** "rises band by band", "mostly rises", "does not rise" (or "cannot be judged"). */
  phrase: string;
  /** The monotonicity check of `model/bands.ts`. */
  trend: BandTrend;
  /** The worst and the best non-empty band with their rates (null with fewer than two). */
  worst: { band: string; rate: number } | null;
  best: { band: string; rate: number } | null;
  /** The largest fall between neighbouring bands, worse → better (0 when none). */
  largestDip: number;
}

const BAND_PHRASES: Readonly<Record<BandVerdict, string>> = {
  "rises": "rises band by band",
  "mostly rises": "mostly rises",
  "does not rise": "does not rise",
  "unknown": "cannot be judged",
};

/**
 * Whether the observed top-level rate rises with the score band.
 *
 * @example
 * ```ts
 * import { bandVerdict } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * const bands = (rates: (number | null)[]) => rates.map((r, i) => ({ band: "ABCDE"[i], topRate: r }));
 * equal(bandVerdict(bands([0.84, 0.5, 0.28, 0.15, 0.05])).phrase, "rises band by band");
 * equal(bandVerdict(bands([0.84, 0.5, 0.52, 0.15, 0.05])).verdict, "mostly rises"); // a 2-point dip
 * equal(bandVerdict(bands([0.35, 0.4, 0.38, 0.41, 0.42])).verdict, "does not rise");
 * equal(bandVerdict(bands([0.45, 0.44, 0.43, 0.42, 0.40])).verdict, "does not rise"); // too flat
 * equal(bandVerdict(bands([0.5, null, null, null, null])).verdict, "unknown");
 * ```
 *
 * @param bands bands best first with their observed top-level rate (null for an empty band)
 */
export function bandVerdict(
  bands: readonly { band: string; topRate: number | null }[],
): BandJudgement {
  const T = VERDICT_THRESHOLDS;
  const trend = bandTrend(bands);
  const filled = bands.filter((b) => isNum(b.topRate)).map((b) => ({
    band: b.band,
    rate: b.topRate as number,
  }));
  if (filled.length < 2) {
    return {
      verdict: "unknown",
      phrase: BAND_PHRASES.unknown,
      trend,
      worst: null,
      best: null,
      largestDip: 0,
    };
  }
  const best = filled[0];
  const worst = filled[filled.length - 1];
  let largestDip = 0;
  for (let i = filled.length - 1; i > 0; i--) {
    largestDip = Math.max(largestDip, filled[i].rate - filled[i - 1].rate);
  }
  const rise = best.rate - worst.rate + EPS;
  const verdict: BandVerdict = rise < T.bandMinRise
    ? "does not rise"
    : trend.rises
    ? "rises"
    : largestDip <= T.bandMaxDip + EPS
    ? "mostly rises"
    : "does not rise";
  return { verdict, phrase: BAND_PHRASES[verdict], trend, worst, best, largestDip };
}

/**
 * The band verdict as a sentence.
 *
 * @example
 * ```ts
 * import { bandSentence, bandVerdict } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * const bands = (rates: number[]) => rates.map((r, i) => ({ band: "ABCDE"[i], topRate: r }));
 * equal(
 *   bandSentence(bandVerdict(bands([0.84, 0.5, 0.28, 0.15, 0.05])), "loyal"),
 *   "The share of customers who turned out “loyal” rises band by band, from 5 % in band E to 84 % in band A.",
 * );
 * equal(
 *   bandSentence(bandVerdict(bands([0.35, 0.4, 0.38, 0.41, 0.42])), "loyal"),
 *   "The share of customers who turned out “loyal” does not rise with the score: 42 % in band E against 35 % in band A.",
 * );
 * ```
 *
 * @param j from {@link bandVerdict}
 * @param level the top level's name
 */
export function bandSentence(j: BandJudgement, level: string): string {
  const head = `The share of customers who turned out “${level}”`;
  if (!j.best || !j.worst) return `${head} cannot be compared across bands: too few are filled.`;
  const from = `${pct(j.worst.rate)} in band ${j.worst.band}`;
  const to = `${pct(j.best.rate)} in band ${j.best.band}`;
  switch (j.verdict) {
    case "rises":
      return `${head} rises band by band, from ${from} to ${to}.`;
    case "mostly rises": {
      const f = j.trend.firstFall!;
      return `${head} mostly rises, from ${from} to ${to}, though it dips from band ${f.from} ` +
        `to band ${f.to}.`;
    }
    default:
      return `${head} does not rise with the score: ${from} against ${to}.`;
  }
}

// ---------------------------------------------------------------------------------------------
// Ranking

/** Result of {@link rankingVerdict}. */
export interface RankingJudgement {
  /** Whether the score ranks customers usefully. */
  useful: boolean;
  /** "ranks customers usefully" or "does not rank customers usefully". */
  phrase: string;
  /** The top-decile lift (null when unknown). */
  lift: number | null;
  /** Why not, when not: "lift below 1.5", "AUC no better than chance", … */
  reason: string | null;
}

/**
 * Whether the score ranks customers usefully: a top-decile lift of at least `usefulLift` **and**
 * an AUC verdict of "better" or "strong".
 *
 * @example
 * ```ts
 * import { aucVerdict, rankingVerdict } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * equal(rankingVerdict(2.7, aucVerdict(0.86, { lo: 0.83, hi: 0.89 })).useful, true);
 * equal(rankingVerdict(1.2, aucVerdict(0.86)).reason, "the top 10 % hold only 1.2 times the average share");
 * // a high lift does not help when the AUC is at chance
 * equal(rankingVerdict(1.8, aucVerdict(0.52, { lo: 0.47, hi: 0.57 })).phrase, "does not rank customers usefully");
 * ```
 *
 * @param topDecileLift rate of the top level among the top 10 % by score / the overall rate
 * @param auc from {@link aucVerdict}
 */
export function rankingVerdict(
  topDecileLift: number | null,
  auc: AucJudgement,
): RankingJudgement {
  const lift = isNum(topDecileLift) ? topDecileLift : null;
  let reason: string | null = null;
  if (auc.verdict !== "better" && auc.verdict !== "strong") {
    reason = `the AUC is ${auc.phrase}`;
  } else if (lift === null) reason = "the top-decile lift is unknown";
  else if (lift < VERDICT_THRESHOLDS.usefulLift - EPS) {
    reason = `the top 10 % hold only ${fixed(lift, 1)} times the average share`;
  }
  const useful = reason === null;
  return {
    useful,
    phrase: useful ? "ranks customers usefully" : "does not rank customers usefully",
    lift,
    reason,
  };
}

/**
 * The ranking verdict as a sentence.
 *
 * @example
 * ```ts
 * import { aucVerdict, rankingSentence, rankingVerdict } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * equal(
 *   rankingSentence(rankingVerdict(2.73, aucVerdict(0.86)), "loyal"),
 *   "The score ranks customers usefully: among the top 10 % by score, “loyal” customers are 2.7 times as common as among all customers.",
 * );
 * equal(
 *   rankingSentence(rankingVerdict(1.1, aucVerdict(0.49, { lo: 0.45, hi: 0.53 })), "loyal"),
 *   "The score does not rank customers usefully: the AUC is no better than chance.",
 * );
 * ```
 *
 * @param j from {@link rankingVerdict}
 * @param level the top level's name
 */
export function rankingSentence(j: RankingJudgement, level: string): string {
  if (!j.useful) return `The score ${j.phrase}: ${j.reason}.`;
  return `The score ${j.phrase}: among the top 10 % by score, “${level}” customers are ` +
    `${fixed(j.lift!, 1)} times as common as among all customers.`;
}

// ---------------------------------------------------------------------------------------------
// The short summary

/**
 * The one-line summary of a model against chance and its baselines: never "useful" or "far better
 * than guessing" when the AUC verdict is chance, never "ahead" unless it is better than every
 * baseline.
 *
 * @example
 * ```ts
 * import { aucVerdict, compareWithBaseline, summarySentence } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * const level = compareWithBaseline(0.549, 0.551);
 * const better = compareWithBaseline(0.549, 0.176);
 * equal(
 *   summarySentence(aucVerdict(0.81), [level, better], "the KNN"),
 *   "In short, the KNN is useful — far better than guessing — but only level with the best of its baselines.",
 * );
 * equal(
 *   summarySentence(aucVerdict(0.49, { lo: 0.45, hi: 0.53 }), [level, better], "the KNN"),
 *   "In short, the KNN is no better than chance on these data: its score should not be used to rank customers.",
 * );
 * ```
 *
 * @param auc the AUC verdict
 * @param baselines the verdicts against each baseline (same metric or one per metric)
 * @param model display name of the model
 */
export function summarySentence(
  auc: AucJudgement,
  baselines: readonly BaselineJudgement[],
  model: string,
): string {
  if (auc.verdict === "chance" || auc.verdict === "worse" || auc.verdict === "unknown") {
    return `In short, ${model} is ${auc.phrase} on these data: its score should not be used to ` +
      "rank customers.";
  }
  const known = baselines.filter((b) => b.verdict !== "unknown");
  const head = `In short, ${model} is useful — ${auc.phrase} —`;
  if (known.length > 0 && known.every((b) => b.verdict === "better")) {
    return `${head} and better than every baseline.`;
  }
  if (known.some((b) => b.verdict === "worse")) {
    return `${head} but not better than the best of its baselines.`;
  }
  if (known.length === 0) return `${head} with no baseline to compare with.`;
  return `${head} but only level with the best of its baselines.`;
}

// ---------------------------------------------------------------------------------------------
// Today outside the training range

/** One feature's range check (`metrics.json` → `loyalty.todayVsTraining.features[]`). */
export type FeatureRange = Pick<
  FeatureShift,
  "feature" | "trainingMin" | "trainingMax" | "belowRange" | "aboveRange" | "outsideRange"
>;

/** Result of {@link rangeVerdict}. */
export interface RangeJudgement {
  /** Whether some feature puts at least `extrapolationShare` of today's customers outside. */
  extrapolates: boolean;
  /** The feature with the largest share outside (null when no feature is given). */
  worst: FeatureRange | null;
}

/**
 * Whether today's scores extrapolate: the feature with the largest share of today's customers
 * outside its training range, and whether that share reaches `extrapolationShare`.
 *
 * @example
 * ```ts
 * import { rangeVerdict } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * const f = (feature: string, below: number, above: number) => ({
 *   feature, trainingMin: 1, trainingMax: 9, belowRange: below, aboveRange: above,
 *   outsideRange: below + above,
 * });
 * const j = rangeVerdict([f("a", 0, 0.01), f("b", 0.7, 0)]);
 * equal(j.extrapolates, true);
 * equal(j.worst?.feature, "b");
 * equal(rangeVerdict([f("a", 0.02, 0.02)]).extrapolates, false); // 4 % < 5 %
 * ```
 *
 * @param features per model feature, today's shares below and above the training range
 */
export function rangeVerdict(features: readonly FeatureRange[]): RangeJudgement {
  let worst: FeatureRange | null = null;
  for (const f of features) {
    if (isNum(f.outsideRange) && (worst === null || f.outsideRange > worst.outsideRange)) worst = f;
  }
  return {
    extrapolates: worst !== null &&
      worst.outsideRange >= VERDICT_THRESHOLDS.extrapolationShare - EPS,
    worst,
  };
}

/**
 * The range verdict as a sentence ("" when nothing extrapolates).
 *
 * @example
 * ```ts
 * import { rangeSentence, rangeVerdict } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * const j = rangeVerdict([{
 *   feature: "invoices_lookback", trainingMin: 1, trainingMax: 59, belowRange: 0.7,
 *   aboveRange: 0, outsideRange: 0.7,
 * }]);
 * equal(
 *   rangeSentence(j, "invoices in the look-back"),
 *   "For 70 % of today's customers the feature “invoices in the look-back” is below every " +
 *     "training customer's value (1 to 59): the model can only liken them to the nearest " +
 *     "training customers, so their scores are extrapolations; trust them less than the " +
 *     "held-out figures suggest.",
 * );
 * equal(rangeSentence(rangeVerdict([]), "x"), "");
 * ```
 *
 * @param j from {@link rangeVerdict}
 * @param label the worst feature's display label (lower case)
 * @param format how a value of that feature is written (default: up to 2 decimals)
 */
export function rangeSentence(
  j: RangeJudgement,
  label: string,
  format: (v: number) => string = (v) => fixed(v, 2).replace(/\.?0+$/, ""),
): string {
  if (!j.extrapolates || j.worst === null) return "";
  const w = j.worst;
  const side = w.belowRange > 0 && w.aboveRange > 0
    ? "outside"
    : w.belowRange > 0
    ? "below"
    : "above";
  const range = `${format(w.trainingMin)} to ${format(w.trainingMax)}`;
  return `For ${Math.round(w.outsideRange * 100)} % of today's customers the feature “${label}” ` +
    `is ${side} every training customer's value (${range}): the model can only liken them to the nearest ` +
    "training customers, so their scores are extrapolations; trust them less than the " +
    "held-out figures suggest.";
}

// ---------------------------------------------------------------------------------------------
// Today far from the training customers (on the model's scale)

/** The drift summary the report reads (`score-drift.json` of the site's loaders). */
export interface FarSummary {
  /** Standard deviations beyond which a figure counts as far. */
  limit: number;
  customers: number;
  /** Customers with at least one figure beyond the limit. */
  anyOutside: number;
  features: { feature: string; medianZ: number | null; outside: number }[];
}

/** Result of {@link farVerdict}. */
export interface FarJudgement {
  /** More than `farShare` of today's customers have a figure beyond the limit. */
  warn: boolean;
  /** That share. */
  share: number;
  /** The feature whose median customer today lies farthest from the training mean. */
  worst: { feature: string; medianZ: number } | null;
  /** Features with more than `farShare` of today's customers beyond the limit, and the share. */
  far: { feature: string; share: number }[];
}

/**
 * Whether today's customers are far from the training customers on the model's scale: a warning
 * when more than `farShare` of them have some figure beyond the limit; the feature with the
 * farthest median, and the features that alone put more than `farShare` beyond it.
 *
 * @example
 * ```ts
 * import { farVerdict } from "./verdicts.ts";
 * import { equal } from "node:assert/strict";
 * const summary = (anyOutside: number) => ({
 *   limit: 4, customers: 100, anyOutside,
 *   features: [
 *     { feature: "a", medianZ: 0.2, outside: 1 },
 *     { feature: "b", medianZ: -5.1, outside: anyOutside },
 *   ],
 * });
 * equal(farVerdict(summary(30)).warn, true);
 * equal(farVerdict(summary(30)).worst?.feature, "b");
 * equal(farVerdict(summary(30)).far.length, 1);
 * equal(farVerdict(summary(10)).warn, false); // 10 % is not more than 10 %
 * ```
 *
 * @param d the drift summary
 */
export function farVerdict(d: FarSummary): FarJudgement {
  const t = VERDICT_THRESHOLDS.farShare;
  const share = d.customers > 0 ? d.anyOutside / d.customers : 0;
  let worst: FarJudgement["worst"] = null;
  for (const f of d.features) {
    if (isNum(f.medianZ) && (worst === null || Math.abs(f.medianZ) > Math.abs(worst.medianZ))) {
      worst = { feature: f.feature, medianZ: f.medianZ };
    }
  }
  const far = d.customers > 0
    ? d.features
      .map((f) => ({ feature: f.feature, share: f.outside / d.customers }))
      .filter((f) => f.share > t + EPS)
    : [];
  return { warn: share > t + EPS, share, worst, far };
}
