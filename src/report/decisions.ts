/**
 * What the report's decision pages say, computed in one tested place and run in the browser
 * (`src/site/browser.ts` bundles this module): the planning horizon in words, a customer's RFM
 * segment (and so its recommended action) from its figures, how far to trust the loyalty model
 * (the verdicts of `verdicts.ts` applied to the evaluation, whatever keys it has), the score
 * widget's messages in the words a person sees, and K-Means clusters named by behaviour. Pure: no
 * Deno, Node, file or network access.
 *
 * @module
 */

import { feature, FEATURE_NAMES } from "../config/features.ts";
import { segmentOf, type SegmentRule } from "../rfm/segments.ts";
import {
  type AucJudgement,
  aucSentence,
  aucVerdict,
  type BandJudgement,
  bandSentence,
  bandVerdict,
  type BaselineJudgement,
  baselineSentence,
  compareWithBaseline,
  type IntervalLike,
  type RankingJudgement,
  rankingSentence,
  rankingVerdict,
  summarySentence,
} from "./verdicts.ts";

// ---------------------------------------------------------------------------------------------
// The planning horizon

/**
 * The prediction window in the words a manager plans with: a quarter, half a year, a year, weeks
 * or days, always with the number of days.
 *
 * @example
 * ```ts
 * import { horizonPhrase } from "./decisions.ts";
 * import { equal } from "node:assert/strict";
 * equal(horizonPhrase(90), "the next quarter (90 days)");
 * equal(horizonPhrase(273), "the next 39 weeks (273 days)");
 * equal(horizonPhrase(365), "the next year (365 days)");
 * equal(horizonPhrase(183), "the next six months (183 days)");
 * equal(horizonPhrase(30), "the next month (30 days)");
 * equal(horizonPhrase(45), "the next 45 days");
 * ```
 *
 * @param days length of the prediction (outcome) window in days
 */
export function horizonPhrase(days: number): string {
  const d = Math.round(days);
  const named = d >= 89 && d <= 92
    ? "quarter"
    : d >= 181 && d <= 184
    ? "six months"
    : d >= 364 && d <= 366
    ? "year"
    : d >= 28 && d <= 31
    ? "month"
    : null;
  if (named) return `the next ${named} (${d} days)`;
  if (d % 7 === 0 && d >= 14) return `the next ${d / 7} weeks (${d} days)`;
  return `the next ${d} day${d === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------------------------------------
// A customer's segment from its figures

/** A metric's thresholds as `rfm.json` records them. */
export interface Thresholds {
  cuts: readonly number[];
  higherIsBetter: boolean;
}

/** What {@link segmentForFigures} needs of `rfm.json`. */
export interface RfmSummary {
  bins: number;
  thresholds: { recency_days: Thresholds; frequency: Thresholds; monetary: Thresholds };
  segmentRules: readonly SegmentRule[];
  /** The segment guards as the build applied them (absent or null: none). */
  guards?: { limitDays: number | null } | null;
}

/**
 * The score (1..bins) of a value with the cut points the build used: the rule of
 * `rfm/rfm.ts`'s `scoreMetric` (bin = 1 + the cuts strictly below the value; reversed when lower
 * is better; with collapsed bins the best values keep the top score). A test checks it against
 * `scoreMetric` itself.
 *
 * @example
 * ```ts
 * import { rfmScore } from "./decisions.ts";
 * import { equal } from "node:assert/strict";
 * const recency = { cuts: [20, 60, 150, 300], higherIsBetter: false };
 * equal(rfmScore(10, recency, 5), 5);
 * equal(rfmScore(60, recency, 5), 4); // a value equal to a cut falls in the lower bin
 * equal(rfmScore(400, recency, 5), 1);
 * // frequency with two bins collapsed (ties at 1 invoice): 1 → score 3, above 4 → score 5
 * equal(rfmScore(1, { cuts: [1, 4], higherIsBetter: true }, 5), 3);
 * equal(rfmScore(9, { cuts: [1, 4], higherIsBetter: true }, 5), 5);
 * ```
 */
export function rfmScore(value: number, t: Thresholds, bins: number): number {
  let b = 1;
  for (const c of t.cuts) if (value > c) b++;
  const offset = bins - 1 - t.cuts.length;
  return t.higherIsBetter ? b + offset : bins + 1 - b;
}

/** Result of {@link segmentForFigures}. */
export interface SegmentOfFigures {
  r: number;
  f: number;
  m: number;
  /** The segment rule (name, description, recommended action). */
  segment: SegmentRule;
}

/**
 * The RFM segment (with its recommended action) of a customer with the given figures, scored
 * with the thresholds and rules of the build (`rfm.json`) and its segment guards when it applied
 * them. Null when recency, frequency or net revenue is missing or not a number.
 *
 * @example
 * ```ts
 * import { segmentForFigures } from "./decisions.ts";
 * import { SEGMENT_RULES } from "../rfm/segments.ts";
 * import { equal } from "node:assert/strict";
 * const rfm = {
 *   bins: 5,
 *   segmentRules: SEGMENT_RULES,
 *   thresholds: {
 *     recency_days: { cuts: [20, 60, 150, 300], higherIsBetter: false },
 *     frequency: { cuts: [1, 2, 4, 8], higherIsBetter: true },
 *     monetary: { cuts: [200, 400, 900, 2000], higherIsBetter: true },
 *   },
 * };
 * const s = segmentForFigures({ recency_days: 5, frequency: 12, monetary: 5000 }, rfm);
 * equal(s?.segment.name, "Champions");
 * equal(segmentForFigures({ recency_days: 400, frequency: 12, monetary: 5000 }, rfm)?.segment.name, "Can't lose them");
 * equal(segmentForFigures({ recency_days: "x", frequency: 1, monetary: 10 }, rfm), null);
 * // with the build's guards: Champions' scores, but 90 days without a purchase (limit 60)
 * const guarded = { ...rfm, thresholds: { ...rfm.thresholds, recency_days: { cuts: [100, 200, 300, 400], higherIsBetter: false } }, guards: { limitDays: 60 } };
 * equal(segmentForFigures({ recency_days: 90, frequency: 12, monetary: 5000 }, guarded)?.segment.name, "Can't lose them");
 * ```
 *
 * @param figures recency_days, frequency and monetary (numbers or numeric text)
 * @param rfm the build's RFM summary
 */
export function segmentForFigures(
  figures: Readonly<Record<string, unknown>>,
  rfm: RfmSummary,
): SegmentOfFigures | null {
  const num = (k: string) => {
    const v = figures[k];
    const x = typeof v === "number"
      ? v
      : typeof v === "string" && v.trim() !== ""
      ? Number(v)
      : NaN;
    return Number.isFinite(x) ? x : null;
  };
  const recency = num("recency_days");
  const frequency = num("frequency");
  const monetary = num("monetary");
  if (recency === null || frequency === null || monetary === null) return null;
  const t = rfm.thresholds;
  const r = rfmScore(recency, t.recency_days, rfm.bins);
  const f = rfmScore(frequency, t.frequency, rfm.bins);
  const m = rfmScore(monetary, t.monetary, rfm.bins);
  const limit = rfm.guards?.limitDays ?? null;
  const guard = limit === null ? undefined : { recencyDays: recency, limitDays: limit };
  try {
    return { r, f, m, segment: segmentOf(r, f, m, rfm.bins, rfm.segmentRules, guard) };
  } catch {
    return null; // an incomplete custom rule table: no segment rather than a wrong one
  }
}

// ---------------------------------------------------------------------------------------------
// How far to trust the loyalty model

/** A model's held-out figures as `metrics.json` → `loyalty.test` (or a baseline) holds them. */
interface HeldOut {
  macroF1?: number | null;
  aucTop?: number | null;
  predicts?: string;
}

/** What {@link trustVerdicts} reads of `metrics.json` → `loyalty` (every part optional). */
export interface LoyaltyEvaluationLike {
  levels?: readonly string[];
  split?: { test?: number };
  test?: HeldOut;
  baselines?: Readonly<Record<string, HeldOut>>;
  bands?: readonly { band: string; topRate: number | null }[];
  gains?: readonly { share: number; lift: number | null }[];
  lift?: { top10?: number | null } | null;
  comparison?: {
    reference?: { aucTop?: IntervalLike | null } | null;
    differences?: Readonly<Record<string, Readonly<Record<string, IntervalLike | null>>>>;
  } | null;
}

/** One baseline as judged by {@link trustVerdicts}. */
export interface BaselineVerdictRow {
  key: string;
  /** A plain name: "logistic regression", "always “lapsed”". */
  name: string;
  judgement: BaselineJudgement;
  sentence: string;
}

/** Result of {@link trustVerdicts}. */
export interface TrustVerdicts {
  /** The top level's name ("loyal"). */
  top: string;
  heldOut: number | null;
  auc: AucJudgement;
  band: BandJudgement;
  ranking: RankingJudgement;
  baselines: BaselineVerdictRow[];
  /** The sentences, in the order a reader needs them: summary first. */
  sentences: { summary: string; auc: string; band: string; ranking: string; baselines: string[] };
}

/** Plain names of the baselines the model stage may report. */
const BASELINE_NAMES: Readonly<Record<string, string>> = {
  logistic: "logistic regression",
  persistence: "the RFM segment taken as a forecast",
  gbm: "gradient-boosted trees",
  bgnbd: "the BG/NBD purchase model",
};

/**
 * The verdicts on the loyalty model, from its evaluation as `metrics.json` holds it: the AUC
 * against chance (with its bootstrap interval when the evaluation has one), the band trend, the
 * ranking, macro F1 against each baseline (with the paired-bootstrap interval of the difference
 * when there is one) and the one-line summary. Missing parts give "cannot be judged" verdicts,
 * never invented ones.
 *
 * @example
 * ```ts
 * import { trustVerdicts } from "./decisions.ts";
 * import { equal } from "node:assert/strict";
 * const v = trustVerdicts({
 *   levels: ["lapsed", "occasional", "loyal"],
 *   split: { test: 1000 },
 *   test: { macroF1: 0.55, aucTop: 0.83 },
 *   baselines: { logistic: { macroF1: 0.551 }, majority: { macroF1: 0.18, predicts: "lapsed" } },
 *   bands: [0.84, 0.5, 0.28, 0.16, 0.05].map((r, i) => ({ band: "ABCDE"[i], topRate: r })),
 *   lift: { top10: 2.7 },
 * });
 * equal(v.auc.verdict, "strong");
 * equal(v.ranking.useful, true);
 * equal(v.baselines[0].name, "logistic regression");
 * equal(v.baselines[0].judgement.verdict, "level");
 * equal(v.sentences.summary, "In short, the model is useful — far better than guessing — but only level with the best of its baselines.");
 * equal(trustVerdicts({}).auc.verdict, "unknown");
 * ```
 *
 * @param loyalty `metrics.json` → `loyalty`
 * @param model how the sentences name the model (default "the model")
 */
export function trustVerdicts(loyalty: LoyaltyEvaluationLike, model = "the model"): TrustVerdicts {
  const levels = loyalty.levels ?? [];
  const top = levels[levels.length - 1] ?? "top level";
  const test = loyalty.test ?? {};
  const comparison = loyalty.comparison ?? null;
  const auc = aucVerdict(test.aucTop ?? null, comparison?.reference?.aucTop ?? null);
  const band = bandVerdict(loyalty.bands ?? []);
  const decile = loyalty.gains?.find((g) => Math.abs(g.share - 0.1) < 1e-9)?.lift ?? null;
  const ranking = rankingVerdict(loyalty.lift?.top10 ?? decile, auc);
  const baselines: BaselineVerdictRow[] = Object.entries(loyalty.baselines ?? {}).map(
    ([key, b]) => {
      const name = key === "majority"
        ? `always predicting “${b.predicts ?? "the commonest level"}”`
        : BASELINE_NAMES[key] ?? key;
      const interval = comparison?.differences?.[key]?.macroF1 ?? null;
      const judgement = compareWithBaseline(test.macroF1 ?? null, b.macroF1 ?? null, interval);
      const sentence = baselineSentence(
        judgement,
        { model, baseline: name, metric: "macro F1" },
        test.macroF1 ?? null,
        b.macroF1 ?? null,
      );
      return { key, name, judgement, sentence };
    },
  );
  return {
    top,
    heldOut: loyalty.split?.test ?? null,
    auc,
    band,
    ranking,
    baselines,
    sentences: {
      summary: summarySentence(auc, baselines.map((b) => b.judgement), model),
      auc: aucSentence(auc, top),
      band: bandSentence(band, top),
      ranking: rankingSentence(ranking, top),
      baselines: baselines.map((b) => b.sentence),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The score widget's messages

/** A feature's label in a sentence: "the recency", "the net revenue". */
function inSentence(name: string): string {
  const label = feature(name)?.label ?? name;
  return `the ${label.charAt(0).toLowerCase()}${label.slice(1)}`;
}

/** A feature's value with its unit where it helps: "400 days". */
function withUnit(name: string, value: string): string {
  const f = feature(name);
  if (f?.kind === "days") return `${value} days`;
  if (f?.kind === "count") return `${value} ${f.unit}`;
  return value;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const NAMES = [...FEATURE_NAMES].sort((a, b) => b.length - a.length);
const NAME_WITH_VALUE = new RegExp(`\\b(${NAMES.map(escapeRe).join("|")}) \\(([^)]*)\\)`, "g");
const NAME = new RegExp(`\\b(${NAMES.map(escapeRe).join("|")})\\b`, "g");

/**
 * A validation message of the scoring module in the words a person sees beside the field: field
 * names replaced by their labels ("tenure_days" → "Tenure", "recency_days (400)" → "the recency
 * (400 days)"), the field's own value left out (the field shows it), "(got …)" as "(you
 * entered …)".
 *
 * @example
 * ```ts
 * import { plainFieldMessage } from "./decisions.ts";
 * import { equal } from "node:assert/strict";
 * equal(
 *   plainFieldMessage({
 *     field: "tenure_days",
 *     message: "tenure_days (100) must be at least recency_days (400): the first purchase cannot be after the last",
 *   }),
 *   "Tenure must be at least the recency (400 days): the first purchase cannot be after the last",
 * );
 * equal(plainFieldMessage({ field: "monetary", message: "monetary must not be negative (got -5)" }), "Net revenue must not be negative (you entered -5)");
 * equal(
 *   plainFieldMessage({ field: "avg_order_value", message: "avg_order_value is required (or give monetary and frequency)" }),
 *   "Average order value is required (or give the net revenue and the frequency)",
 * );
 * equal(plainFieldMessage({ field: "shoe_size", message: "shoe_size must be a number" }), "shoe_size must be a number");
 * ```
 */
export function plainFieldMessage(error: { field: string; message: string }): string {
  let m = error.message;
  let head = "";
  const lead = new RegExp(`^${escapeRe(error.field)}(?: \\([^)]*\\))? `);
  if (feature(error.field) && lead.test(m)) {
    m = m.replace(lead, "");
    head = `${feature(error.field)!.label} `;
  }
  m = m.replace(
    NAME_WITH_VALUE,
    (_, name, value) => `${inSentence(name)} (${withUnit(name, value)})`,
  )
    .replace(NAME, (name) => inSentence(name))
    .replace(/\(got ([^)]*)\)/, "(you entered $1)");
  const out = head + m;
  // A name the registry does not know is left as it is, lower case included.
  return /^[a-z]+\b(?!_)/.test(out) && !/^\w+_/.test(out)
    ? out.charAt(0).toUpperCase() + out.slice(1)
    : out;
}

/**
 * The messages of a failed scoring grouped by field, each in plain words
 * ({@link plainFieldMessage}).
 *
 * @example
 * ```ts
 * import { plainMessagesByField } from "./decisions.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(plainMessagesByField([{ field: "frequency", message: 'frequency must be a number (got "abc")' }]), {
 *   frequency: ['Frequency must be a number (you entered "abc")'],
 * });
 * ```
 */
export function plainMessagesByField(
  errors: readonly { field: string; message: string }[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of errors) (out[e.field] ??= []).push(plainFieldMessage(e));
  return out;
}

/** The action recommended for a predicted outlook, when the customer's RFM segment is unknown. */
export interface OutlookAction {
  /** The predicted level the action is for. */
  level: string;
  /** What to do, in a manager's words. */
  action: string;
}

/**
 * The action the score widget recommends from the predicted level alone, for figures that do not
 * give an RFM segment (the model's look-back features are not the full-history recency,
 * frequency and net revenue the segment rules read): the lowest level (about to lapse) gets a
 * win-back action, the top level a keep-and-grow action, any level between a nudge towards the
 * next order. Null for a level the list does not hold.
 *
 * @example
 * ```ts
 * import { outlookAction } from "./decisions.ts";
 * import { equal } from "node:assert/strict";
 * const levels = ["lapsed", "occasional", "loyal"];
 * equal(outlookAction("lapsed", levels)?.action.startsWith("Win back"), true);
 * equal(outlookAction("loyal", levels)?.action.startsWith("Keep"), true);
 * equal(outlookAction("occasional", levels)?.action.startsWith("Nudge"), true);
 * equal(outlookAction("gold", levels), null);
 * ```
 *
 * @param level the predicted level
 * @param levels the model's levels, lowest first
 */
export function outlookAction(level: string, levels: readonly string[]): OutlookAction | null {
  const i = levels.indexOf(level);
  if (i < 0) return null;
  const action = i === 0
    ? "Win back before they are gone: a personal reactivation offer or a reminder of what they bought"
    : i === levels.length - 1
    ? "Keep and grow: loyalty perks, early access, and related products"
    : "Nudge the next order: a timely recommendation or a limited-time offer";
  return { level, action };
}

// ---------------------------------------------------------------------------------------------
// K-Means clusters named by behaviour

/** A cluster's median customer (`metrics.json` → `segmentation.profile`). */
export interface ClusterProfile {
  name: string;
  medianRecencyDays: number;
  medianFrequency: number;
  medianMonetary: number;
}

/** A cluster described by what its customers do. */
export interface ClusterBehaviour {
  /** The cluster's name in the outputs ("Mid value"). */
  name: string;
  /** What its median customer does: "Recent one-time buyers, low spend". */
  behaviour: string;
  /** What to do with them. */
  action: string;
}

/**
 * Names K-Means clusters by what their median customer does — how recently (against the median
 * customer of all), how often and how much — instead of by a value rank, and gives each an
 * action. Recent: at most half the overall median recency; lapsed: at least twice it. One-time:
 * a median of one purchase; frequent: at least twice the overall median and at least 3. High or
 * low spend: at least twice, or at most half, the overall median net revenue. Two clusters that
 * would get the same words keep their output name in brackets.
 *
 * @example
 * ```ts
 * import { clusterBehaviours } from "./decisions.ts";
 * import { deepEqual } from "node:assert/strict";
 * const overall = { recency: 60, frequency: 2, monetary: 700 };
 * deepEqual(
 *   clusterBehaviours([
 *     { name: "Low value", medianRecencyDays: 380, medianFrequency: 1, medianMonetary: 250 },
 *     { name: "Mid value", medianRecencyDays: 25, medianFrequency: 1, medianMonetary: 200 },
 *     { name: "High value", medianRecencyDays: 12, medianFrequency: 9, medianMonetary: 3500 },
 *   ], overall).map((c) => c.behaviour),
 *   ["Lapsed one-time buyers, low spend", "Recent one-time buyers, low spend", "Recent frequent buyers, high spend"],
 * );
 * ```
 *
 * @param profiles the clusters' median customers
 * @param overall the median recency (days), frequency and net revenue of all customers
 */
export function clusterBehaviours(
  profiles: readonly ClusterProfile[],
  overall: { recency: number; frequency: number; monetary: number },
): ClusterBehaviour[] {
  const rows = profiles.map((p) => {
    const recency = p.medianRecencyDays <= overall.recency / 2
      ? "recent"
      : p.medianRecencyDays >= overall.recency * 2
      ? "lapsed"
      : "fairly recent";
    const frequency = p.medianFrequency <= 1
      ? "one-time"
      : p.medianFrequency >= Math.max(3, overall.frequency * 2)
      ? "frequent"
      : "repeat";
    const spend = p.medianMonetary >= overall.monetary * 2
      ? "high"
      : p.medianMonetary <= overall.monetary / 2
      ? "low"
      : "middling";
    const words = `${recency} ${frequency} buyers, ${spend} spend`;
    const action = recency === "lapsed"
      ? frequency === "one-time"
        ? "Low-cost reactivation only; do not over-invest"
        : "Win back: a personal reactivation offer"
      : frequency === "one-time"
      ? "Welcome series: make a second purchase easy and timely"
      : spend === "high" || frequency === "frequent"
      ? "Reward and retain: loyalty perks, early access, referrals"
      : "Nurture: regular, relevant offers to raise order value";
    return { name: p.name, words, action };
  });
  return rows.map((r) => {
    const twin = rows.filter((o) => o.words === r.words).length > 1;
    const text = r.words.charAt(0).toUpperCase() + r.words.slice(1);
    return { name: r.name, behaviour: twin ? `${text} (${r.name})` : text, action: r.action };
  });
}

// ---------------------------------------------------------------------------------------------
// K-Means stability across seeds

/** The agreement (adjusted Rand index) between seeded runs that counts as stable, or as mostly. */
export const STABILITY_THRESHOLDS = { stable: 0.95, mostly: 0.8 } as const;

/**
 * Whether the K-Means clusters depend on the random seed, from the lowest adjusted Rand index
 * between runs with different seeds (1 = the same grouping).
 *
 * @example
 * ```ts
 * import { stabilitySentence } from "./decisions.ts";
 * import { equal } from "node:assert/strict";
 * equal(stabilitySentence(0.998), "the clusters do not depend on the seed.");
 * equal(stabilitySentence(0.9), "the clusters are mostly the same whatever the seed; customers near the borders move.");
 * equal(stabilitySentence(0.5), "the clusters depend noticeably on the seed; treat their borders with care.");
 * ```
 *
 * @param minAri the lowest adjusted Rand index over pairs of runs
 */
export function stabilitySentence(minAri: number): string {
  return minAri >= STABILITY_THRESHOLDS.stable
    ? "the clusters do not depend on the seed."
    : minAri >= STABILITY_THRESHOLDS.mostly
    ? "the clusters are mostly the same whatever the seed; customers near the borders move."
    : "the clusters depend noticeably on the seed; treat their borders with care.";
}
