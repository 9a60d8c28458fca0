/**
 * Pure helpers of the report site: deterministic sampling for charts, the forward model's
 * periods, sentences generated from the evaluation numbers, and small conversions the score
 * widget needs. No Deno, Node, file or network access: the site's data loaders import this
 * module directly, and `src/site/browser.ts` bundles it for the pages. Conversions and checks
 * that have a home elsewhere are used from there, not copied: the scaler's per-value transforms
 * (`score/scaler.ts`), the band-rate check (`model/bands.ts`, re-exported), the string hash
 * (`lib/hash.ts`) and every verdict — better / level / worse, chance, band trend, ranking —
 * (`report/verdicts.ts`, which {@link standing} delegates to).
 *
 * @module
 */

import { inverseTransformValue, type Scaler, transformValue } from "../score/scaler.ts";
import { hashString } from "../lib/hash.ts";
import { daysBetween } from "../lib/time.ts";
import { compareWithBaseline, type IntervalLike, VERDICT_THRESHOLDS } from "./verdicts.ts";

export { type BandTrend, bandTrend } from "../model/bands.ts";

// ---------------------------------------------------------------------------------------------
// Deterministic sampling

/**
 * A number in [0, 1) that depends only on a key and a salt (a deterministic "random" draw):
 * `hashString(salt + "\u0000" + key) / 2³²` (FNV-1a with murmur3's final mix, `lib/hash.ts`).
 *
 * @param key e.g. a customer id
 * @param salt distinguishes independent draws for the same key
 */
export function unitHash(key: string, salt = ""): number {
  return hashString(`${salt}\u0000${key}`) / 4294967296;
}

/**
 * A deterministic sample of at most `max` rows, stratified by group: every group keeps its share
 * of the rows (largest remainders, ties to the earlier group in first-appearance order, and every
 * non-empty group keeps at least one row when `max` ≥ the number of groups); within a group, the
 * rows whose ids have the smallest {@link unitHash} are kept. The same ids give the same sample on
 * every run and machine, whatever the row order.
 *
 * @param ids one id per row (unique)
 * @param groups one group label per row (same length as `ids`)
 * @param max largest sample size (all rows are returned when there are no more than `max`)
 * @param salt changes the sample without changing its properties
 * @returns the sampled row indices, increasing
 * @throws {RangeError} when the lengths differ or `max` is not a non-negative integer
 */
export function stratifiedSample(
  ids: readonly string[],
  groups: readonly string[],
  max: number,
  salt = "sample",
): number[] {
  if (ids.length !== groups.length) {
    throw new RangeError(`${ids.length} ids but ${groups.length} group labels`);
  }
  if (!Number.isInteger(max) || max < 0) {
    throw new RangeError(`max must be a non-negative integer, got ${max}`);
  }
  const n = ids.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const members = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    let list = members.get(g);
    if (!list) members.set(g, list = []);
    list.push(i);
  }
  const names = [...members.keys()];
  const quotas = names.map((g) => (members.get(g)!.length * max) / n);
  const take = quotas.map(Math.floor);
  let left = max - take.reduce((s, x) => s + x, 0);
  const byRemainder = names.map((_, j) => j).sort((a, b) =>
    quotas[b] - take[b] - (quotas[a] - take[a]) || a - b
  );
  for (const j of byRemainder) {
    if (left === 0) break;
    take[j]++;
    left--;
  }
  // Every group visible when possible: move one row from the largest take to an empty group.
  if (max >= names.length) {
    for (let j = 0; j < names.length; j++) {
      if (take[j] > 0) continue;
      let from = 0;
      for (let q = 1; q < names.length; q++) if (take[q] > take[from]) from = q;
      take[from]--;
      take[j]++;
    }
  }
  const out: number[] = [];
  names.forEach((g, j) => {
    const rows = members.get(g)!;
    const keyed = rows.map((r) => ({ r, h: unitHash(ids[r], salt) }));
    keyed.sort((a, b) => a.h - b.h || (ids[a.r] < ids[b.r] ? -1 : ids[a.r] > ids[b.r] ? 1 : 0));
    for (let i = 0; i < take[j]; i++) out.push(keyed[i].r);
  });
  return out.sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// The forward model's time line

/** The two periods of the forward-looking loyalty model. */
export interface ForwardPeriods {
  /** First day with transactions. */
  historyStart: string;
  /** First day of the outcome window (features use only transactions before it). */
  cutoff: string;
  /** First day after the outcome window. */
  windowEnd: string;
  /** Days of history before the cutoff. */
  historyDays: number;
  /** Days in the outcome window. */
  windowDays: number;
  /** `historyDays / 7`. */
  historyWeeks: number;
  /** `windowDays / 7`. */
  windowWeeks: number;
}

/**
 * Lengths of the history before the cutoff and of the outcome window.
 *
 * @param historyStart date of the first transaction
 * @param cutoff first day of the outcome window
 * @param windowEnd first day after the outcome window
 */
export function forwardPeriods(
  historyStart: string,
  cutoff: string,
  windowEnd: string,
): ForwardPeriods {
  const historyDays = daysBetween(historyStart, cutoff);
  const windowDays = daysBetween(cutoff, windowEnd);
  return {
    historyStart: historyStart.slice(0, 10),
    cutoff: cutoff.slice(0, 10),
    windowEnd: windowEnd.slice(0, 10),
    historyDays,
    windowDays,
    historyWeeks: historyDays / 7,
    windowWeeks: windowDays / 7,
  };
}

/**
 * Whether the periods are the calibration / holdout split of Fader, Hardie & Lee (2005) on the
 * CDNOW data: a dataset whose id or title names CDNOW, with 39 weeks of history before the cutoff
 * and a 39-week outcome window.
 *
 * @param dataset the dataset's id and title (either may be missing)
 * @param periods from {@link forwardPeriods}
 */
export function isFaderHardieLeeSplit(
  dataset: { id?: string | null; title?: string | null },
  periods: Pick<ForwardPeriods, "historyDays" | "windowDays">,
): boolean {
  const named = /cdnow/i.test(`${dataset.id ?? ""} ${dataset.title ?? ""}`);
  return named && periods.historyDays === 39 * 7 && periods.windowDays === 39 * 7;
}

/** The loyalty level rule, as in `metrics.json` (`loyalty.levelRule`). */
export interface LevelRule {
  /** Level names, lowest first. */
  levels: string[];
  /** Fewest invoices in the window for the second level. */
  occasionalMinInvoices?: number;
  /** Fewest invoices in the window for the top level. */
  loyalMinInvoices?: number;
  /** The rule in words, as written by the build. */
  text: string;
}

/**
 * The level rule as readable phrases, one per level, e.g. `["lapsed (no purchase)",
 * "occasional (1–2 invoices)", "loyal (3 or more invoices)"]`. Falls back to the build's own
 * `text` split at ";" when the rule is not the three-level invoice rule.
 *
 * @param rule the level rule
 */
export function levelPhrases(rule: LevelRule): string[] {
  const { levels, occasionalMinInvoices: occ, loyalMinInvoices: loyal } = rule;
  if (
    levels.length === 3 && Number.isInteger(occ) && Number.isInteger(loyal) && occ! >= 1 &&
    loyal! > occ!
  ) {
    const invoices = (n: number) => `${n} invoice${n === 1 ? "" : "s"}`;
    const middle = loyal! - 1 === occ! ? invoices(occ!) : `${occ}–${invoices(loyal! - 1)}`;
    return [
      occ === 1 ? `${levels[0]} (no purchase)` : `${levels[0]} (fewer than ${invoices(occ!)})`,
      `${levels[1]} (${middle})`,
      `${levels[2]} (${loyal} or more invoices)`,
    ];
  }
  return rule.text.split(/;\s*/).map((p) => p.replace(/^([^:]+):\s*(.*)$/, "$1 ($2)"));
}

/**
 * Joins phrases as English prose: "a", "a or b", "a, b or c" (with `conjunction`).
 *
 * @param items phrases
 * @param conjunction "or" (default) or "and"
 */
export function joinPhrases(items: readonly string[], conjunction = "or"): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// Comparing a model with its baselines

/** Held-out metrics of one model, as in `metrics.json`. */
export interface ModelScores {
  /** Display name, e.g. "KNN" or "logistic regression". */
  name: string;
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  /** ROC AUC of the top level against the rest (null when undefined). */
  aucTop: number | null;
}

/** A metric of {@link ModelScores}. */
export type MetricKey = "accuracy" | "balancedAccuracy" | "macroF1" | "aucTop";

/** Where one model stands among others on one metric. */
export interface Standing {
  metric: MetricKey;
  /** The model's value (null when undefined). */
  value: number | null;
  /** 1 = best; models within `tolerance` of each other share the better rank. */
  rank: number;
  /** Number of models with a value (the model included). */
  of: number;
  /** The best of the other models (null when none has a value). */
  bestOther: { name: string; value: number } | null;
  /** `value − bestOther.value` (null when either is missing). */
  margin: number | null;
  /**
   * "ahead" / "level" / "behind" the best other model: `compareWithBaseline` of
   * `report/verdicts.ts` ("better" / "level" / "worse"), by the interval of the difference when
   * given, else with `tolerance`.
   */
  verdict: "ahead" | "level" | "behind" | "unknown";
  /** Other models the model is better than (same rule). */
  beats: { name: string; value: number }[];
  /** The interval of `margin` the verdict used (null: the tolerance was used). */
  interval?: { lo: number; hi: number } | null;
}

/**
 * Where `target` stands among `others` on `metric`: ahead of, level with or behind the best of
 * them, and which it clearly beats — each pair judged by `compareWithBaseline`
 * (`report/verdicts.ts`): by the paired-bootstrap interval of the difference when `differences`
 * gives one, else level when |difference| ≤ `tolerance`.
 *
 * @example
 * ```ts
 * import { standing } from "./narrative.ts";
 * import { equal } from "node:assert/strict";
 * const m = (name: string, macroF1: number) =>
 *   ({ name, accuracy: 0, balancedAccuracy: 0, macroF1, aucTop: null });
 * const s = standing(m("KNN", 0.549), [m("persistence", 0.551), m("majority", 0.176)], "macroF1");
 * equal(s.verdict, "level"); // within 0.01 of persistence
 * equal(s.beats.map((b) => b.name).join(), "majority");
 * // with the interval of KNN − persistence clear of 0: ahead
 * const t = standing(m("KNN", 0.56), [m("persistence", 0.551)], "macroF1", 0.01, {
 *   persistence: { lo: 0.002, hi: 0.016 },
 * });
 * equal(t.verdict, "ahead");
 * ```
 *
 * @param target the model of interest
 * @param others the baselines
 * @param metric the metric (higher is better)
 * @param tolerance without an interval, differences up to this are "level" (default
 *   `VERDICT_THRESHOLDS.levelTolerance`, 0.01)
 * @param differences paired-bootstrap intervals of target − other by the other model's name
 */
export function standing(
  target: ModelScores,
  others: readonly ModelScores[],
  metric: MetricKey,
  tolerance: number = VERDICT_THRESHOLDS.levelTolerance,
  differences?: Readonly<Record<string, IntervalLike | null | undefined>>,
): Standing {
  const value = target[metric];
  const valued = others
    .filter((o) => o[metric] !== null && Number.isFinite(o[metric] as number))
    .map((o) => ({ name: o.name, value: o[metric] as number }));
  let bestOther: { name: string; value: number } | null = null;
  for (const o of valued) if (bestOther === null || o.value > bestOther.value) bestOther = o;
  if (value === null || !Number.isFinite(value)) {
    return {
      metric,
      value: null,
      rank: NaN,
      of: valued.length,
      bestOther,
      margin: null,
      verdict: "unknown",
      beats: [],
    };
  }
  const vs = (o: { name: string; value: number }) =>
    compareWithBaseline(value, o.value, differences?.[o.name], tolerance);
  const rank = 1 + valued.filter((o) => vs(o).verdict === "worse").length;
  const margin = bestOther === null ? null : value - bestOther.value;
  const best = bestOther === null ? null : vs(bestOther);
  const verdict = best === null
    ? "ahead"
    : best.verdict === "better"
    ? "ahead"
    : best.verdict === "worse"
    ? "behind"
    : "level";
  return {
    metric,
    value,
    rank,
    of: valued.length + 1,
    bestOther,
    margin,
    verdict,
    beats: valued.filter((o) => vs(o).verdict === "better"),
    interval: best?.interval ?? null,
  };
}

/**
 * One sentence on where a model stands on a metric, from {@link standing}: for example
 * "On macro F1 the KNN (0.549) is level with persistence (0.551, within 0.01) and clearly above
 * the majority class (0.176)."
 *
 * @param s the standing
 * @param labels display names: `model` (e.g. "the KNN") and `metric` (e.g. "macro F1")
 * @param format number format (default 3 decimals)
 * @param tolerance the tolerance used for `s` (for the wording; default
 *   `VERDICT_THRESHOLDS.levelTolerance`)
 */
export function standingSentence(
  s: Standing,
  labels: { model: string; metric: string },
  format: (x: number) => string = (x) => x.toFixed(3),
  tolerance: number = VERDICT_THRESHOLDS.levelTolerance,
): string {
  if (s.value === null) return `${labels.model} has no ${labels.metric} on these data.`;
  const head = `On ${labels.metric} ${labels.model} (${format(s.value)})`;
  const list = (xs: { name: string; value: number }[]) => {
    const parts = xs.map((x) => `${x.name} (${format(x.value)})`);
    return parts.length <= 1
      ? parts.join("")
      : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
  };
  if (s.bestOther === null) return `${head} has no baseline to compare with.`;
  const best = `${s.bestOther.name} (${format(s.bestOther.value)})`;
  const others = s.beats.filter((b) => b.name !== s.bestOther!.name);
  switch (s.verdict) {
    case "ahead":
      return `${head} is ahead of every baseline, by ${
        format(s.margin!)
      } over the best of them, ${best}.`;
    case "level": {
      const why = s.interval
        ? `the difference could be chance (95 % interval ${format(s.interval.lo)} to ${
          format(s.interval.hi)
        })`
        : `the difference is within ${String(tolerance)}`;
      return `${head} is level with the best baseline, ${best}: ${why}${
        others.length ? `; it is clearly above ${list(others)}` : ""
      }.`;
    }
    default:
      return `${head} is behind ${best}, by ${format(-s.margin!)}${
        s.beats.length ? `, though clearly above ${list(s.beats)}` : ""
      }.`;
  }
}

// ---------------------------------------------------------------------------------------------
// Score bands and gains (`bandTrend`, re-exported above, lives with the band table in
// `model/bands.ts`: the evaluation's `topRateRisesWithBand` is its `rises`)

/**
 * The cumulative gains curve with its origin: (0, 0) then one point per row of the gains table.
 *
 * @param gains rows with `share` (customers contacted, top by score) and `captured`
 */
export function gainsCurve(
  gains: readonly { share: number; captured: number | null }[],
): { share: number; captured: number }[] {
  return [
    { share: 0, captured: 0 },
    ...gains.filter((g) => g.captured !== null).map((g) => ({
      share: g.share,
      captured: g.captured as number,
    })),
  ];
}

// ---------------------------------------------------------------------------------------------
// Score widget helpers

/**
 * Validation messages grouped by field, for display beside each input: the leading field name
 * of a message ("frequency must be …") is dropped and the rest capitalised ("Must be …").
 *
 * @param errors `{field, message}` pairs as returned by `scoreCustomer`
 */
export function messagesByField(
  errors: readonly { field: string; message: string }[],
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of errors) {
    let m = e.message;
    if (m.startsWith(`${e.field} `)) m = m.slice(e.field.length + 1);
    m = m.charAt(0).toUpperCase() + m.slice(1);
    (out[e.field] ??= []).push(m);
  }
  return out;
}

/**
 * One raw feature value on the model's scale (`log1p` if the scaler says so, then standardised):
 * the scaler's own {@link transformValue}, under the name the pages use.
 *
 * @param scaler the model's scaler
 * @param feature feature name
 * @param value raw value
 * @returns the standardised value; not checked (a log feature gives -Infinity at -1, NaN below)
 * @throws {RangeError} for a feature the scaler does not know
 */
export function toModelScale(scaler: Scaler, feature: string, value: number): number {
  return transformValue(scaler, feature, value);
}

/**
 * Inverse of {@link toModelScale}: a standardised value back in raw units (the scaler's
 * {@link inverseTransformValue}).
 *
 * @param scaler the model's scaler
 * @param feature feature name
 * @param z standardised value
 * @throws {RangeError} for a feature the scaler does not know
 */
export function fromModelScale(scaler: Scaler, feature: string, z: number): number {
  return inverseTransformValue(scaler, feature, z);
}

/**
 * The features of a query that lie far outside the training customers: more than `limit`
 * standard deviations from their mean on the model's scale. The KNN still answers, but its
 * neighbours are then far away and its answer is an extrapolation.
 *
 * @param scaler the model's scaler (fitted on the training customers)
 * @param values raw values by feature name (features missing here are skipped)
 * @param limit in standard deviations (default 4)
 * @returns the features out of range with their standardised value
 */
export function outOfRange(
  scaler: Scaler,
  values: Readonly<Record<string, number>>,
  limit = 4,
): { feature: string; z: number }[] {
  const out: { feature: string; z: number }[] = [];
  for (const f of scaler.names) {
    const v = values[f];
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    const z = toModelScale(scaler, f, v);
    if (Math.abs(z) > limit) out.push({ feature: f, z });
  }
  return out;
}

/**
 * Round "nice" raw values for the ticks of an axis drawn on the model's scale: 0 (when in range),
 * then 1, 2, 5 × powers of ten (only 1 × for ranges over four decades) between `min` (or 1 when
 * `min` ≤ 0) and `max`.
 *
 * @param min smallest raw value shown
 * @param max largest raw value shown
 */
export function niceRawTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  if (min <= 0 && max >= 0) ticks.push(0);
  const lo = min > 0 ? min : 1;
  if (!(max > lo)) return ticks;
  const multiples = Math.log10(max / lo) > 4 ? [1] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of multiples) {
      const t = Number((m * 10 ** e).toPrecision(6));
      if (t >= lo && t <= max) ticks.push(t);
    }
  }
  return ticks;
}
