/**
 * Loyalty scoring of one customer — the single scoring module shared by the build and the
 * browser widget. It imports only pure modules (the feature registry `config/features.ts`,
 * `scaler.ts`, `neighbours.ts` → `ml-knn`); no Deno, Node, file or network access.
 *
 * **Score.** The model gives probabilities for the ordered levels (lapsed, occasional, loyal).
 * The score is `min + (max − min) · Σ_c P(c) · c / (C − 1)` rounded to an integer: the expected
 * level rescaled to [min, max] (default 300–850). With three levels a sure "lapsed" scores 300, a
 * sure "occasional" 575 and a sure "loyal" 850. It increases with every shift of probability
 * towards a higher level, so it is monotonic in predicted loyalty.
 *
 * **Bands.** Fixed, equal-width cut points on the score scale, stored in the model: with the
 * defaults A ≥ 740, B ≥ 630, C ≥ 520, D ≥ 410, E ≥ 300 (A best). A band is chosen from the
 * rounded score, so a displayed score and its band always agree.
 *
 * **Input rules** (each violation is reported with its field name; nothing is ever NaN):
 * - every model feature is required, except `avg_order_value`, which is derived as
 *   `monetary / frequency` (the definition used for the customer table) when left out (and is
 *   not reported as missing while monetary and frequency are given but invalid);
 * - a value is a finite number (or bigint) or a numeric string such as `"12"` or `" 3.5 "`;
 *   `"abc"`, `"1,234"`, `NaN`, `Infinity`, booleans, objects are rejected; `null`, `undefined`
 *   and blank strings count as missing;
 * - each value is checked by its feature's `kind` in the feature registry, against the caps
 *   stored in the model (`limits`):
 *   - days (`recency_days`, `tenure_days`): ≥ 0 and ≤ maxDays (36,525 = 100 years);
 *   - counts (`frequency`): a whole number ≥ 1 and ≤ maxFrequency;
 *   - money (`monetary`, `avg_order_value`): ≥ 0 and ≤ maxMoney, in the dataset's currency.
 *   The count and money caps scale with the data: a model fitted by this workspace stores
 *   {@link LIMIT_MULTIPLE} × the largest value seen in training, but at least
 *   {@link DEFAULT_LIMITS} ({@link trainingLimits}), so a shop selling in KRW or IDR is not
 *   refused; a model file keeps the caps it was saved with;
 * - across fields: `tenure_days` ≥ `recency_days` (the first purchase cannot be more recent than
 *   the last); `avg_order_value` ≤ `monetary` (+0.01 for rounding), since frequency ≥ 1.
 * Registry features the model does not use are still checked when present; other fields are
 * ignored.
 *
 * @module
 */

import { feature, type FeatureInfo, type FeatureKind, FEATURES } from "../config/features.ts";
import { type Scaler, transformRow } from "./scaler.ts";
import { indexFor, type KnnModel, predictOne, type SearchOptions } from "./neighbours.ts";
import { calibrate, type Calibration, decide } from "./calibration.ts";

/** A score band: customers with `minScore ≤ score ≤ maxScore` (rounded score). */
export interface ScoreBand {
  /** Band name, e.g. "A". */
  name: string;
  /** Lowest score in the band (inclusive). */
  minScore: number;
  /** Highest score in the band (inclusive for the top band, exclusive otherwise). */
  maxScore: number;
}

/** Score scale of a model. */
export interface ScoreScale {
  /** Score of a certain lowest level. */
  min: number;
  /** Score of a certain highest level. */
  max: number;
  /** Weight of each level in the expected level, lowest first (c / (C − 1)). */
  levelWeights: number[];
  /** Bands, best first. */
  bands: ScoreBand[];
}

/** Plausibility caps of the input checks (stored in the model so build and widget agree). */
export interface InputLimits {
  /** Largest recency or tenure in days. */
  maxDays: number;
  /** Largest number of invoices. */
  maxFrequency: number;
  /** Largest monetary value or average order value. */
  maxMoney: number;
}

/** Default input caps, and the floor of the caps learnt from training ({@link trainingLimits}). */
export const DEFAULT_LIMITS: InputLimits = {
  maxDays: 36525,
  maxFrequency: 100000,
  maxMoney: 10000000,
};

/** The caps learnt from training are this multiple of the largest value seen in training. */
export const LIMIT_MULTIPLE = 100;

/**
 * Input caps that scale with the data: for counts and money, {@link LIMIT_MULTIPLE} × the largest
 * value of a registry feature of that kind among the training rows (rounded up to a whole
 * number), but at least the {@link DEFAULT_LIMITS}; days keep the default (100 years: they do not
 * depend on the currency). Non-finite values are ignored; columns of other features are ignored.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS, trainingLimits } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * // a shop in KRW: order values in the millions, customers' spend up to 4.2 billion
 * deepEqual(
 *   trainingLimits({ monetary: [5e6, 4.2e9], frequency: [1, 30], recency_days: [3, 900] }),
 *   { maxDays: 36525, maxFrequency: 100000, maxMoney: 420000000000 },
 * );
 * // small values: the defaults are the floor
 * deepEqual(trainingLimits({ monetary: [12.5, 80] }), DEFAULT_LIMITS);
 * // only the training rows count (here rows 0 and 1)
 * deepEqual(trainingLimits({ frequency: [2, 4, 5000] }, [0, 1]).maxFrequency, 100000);
 * ```
 *
 * @param columns training feature columns by name (any registry features)
 * @param rows the training rows (default: every row)
 * @param multiple the multiple of the largest value (default {@link LIMIT_MULTIPLE})
 */
export function trainingLimits(
  columns: Readonly<Record<string, ArrayLike<number>>>,
  rows?: ArrayLike<number>,
  multiple = LIMIT_MULTIPLE,
): InputLimits {
  const largest: Partial<Record<FeatureKind, number>> = {};
  for (const [name, col] of Object.entries(columns)) {
    const kind = feature(name)?.kind;
    if (kind === undefined) continue;
    const n = rows ? rows.length : col.length;
    for (let i = 0; i < n; i++) {
      const v = col[rows ? rows[i] : i];
      if (Number.isFinite(v) && v > (largest[kind] ?? -Infinity)) largest[kind] = v;
    }
  }
  const cap = (kind: FeatureKind, floor: number) =>
    Math.max(floor, Math.ceil(multiple * (largest[kind] ?? 0)));
  return {
    maxDays: DEFAULT_LIMITS.maxDays,
    maxFrequency: cap("count", DEFAULT_LIMITS.maxFrequency),
    maxMoney: cap("money", DEFAULT_LIMITS.maxMoney),
  };
}

/** A fitted loyalty model (plain, JSON-serialisable data). */
export interface LoyaltyModel {
  /** Format tag. */
  kind: "rfm-loyalty-knn";
  /**
   * Format version: 2 (look-back features, weighted distance, collapsed training points with
   * counts, calibration, decision weights); 1 for the earlier format (none of those).
   */
  version: 1 | 2;
  /** Raw input features, in the order the scaler expects. */
  features: string[];
  /**
   * Look-back of the features in days: a value of a feature capped at the look-back (registry
   * `capped`) above it is read as the look-back. Absent in version 1.
   */
  lookbackDays?: number;
  /** Calibration of the neighbour votes (null or absent: none). */
  calibration?: Calibration | null;
  /** Decision weight per level (null or absent: the most probable level). */
  decisionWeights?: number[] | null;
  /** Scaler fitted on the training customers. */
  scaler: Scaler;
  /** KNN over the standardised training customers (labels = level indices). */
  knn: KnnModel;
  /** Customer id per training point (with collapsed duplicates: the first customer it stands for). */
  customerIds: string[];
  /** Level names, lowest first. */
  levels: string[];
  /** First day of the outcome window (features are from before it). */
  cutoff: string;
  /** First day after the outcome window. */
  windowEnd: string;
  /** Score scale and bands. */
  score: ScoreScale;
  /** Input caps. */
  limits: InputLimits;
  /** Currency code of the money features ("GBP"), for reason texts; absent: plain numbers. */
  currency?: string;
}

/** One invalid input field. */
export interface FieldError {
  field: string;
  message: string;
}

/** A neighbour shown with a score. */
export interface ScoreNeighbour {
  /** The (first) training customer of the point. */
  customer_id: string;
  distance: number;
  /** The point's level (its most frequent level when it stands for several customers). */
  level: string;
  /** Training customers of this point among the k that vote. */
  customers: number;
}

/** Successful scoring. */
export interface ScoreOk {
  ok: true;
  /** Predicted level name. */
  level: string;
  /** Predicted level index (0 = lowest). */
  levelIndex: number;
  /** Probability per level name (calibrated when the model has a calibration). */
  probabilities: Record<string, number>;
  /** Integer score on the model's scale. */
  score: number;
  /** Band name. */
  band: string;
  /**
   * The nearest training points among those holding the k voting customers, nearest first (at
   * most {@link SHOWN_NEIGHBOURS}; with a large k the rest vote too but are not listed).
   */
  neighbours: ScoreNeighbour[];
  /** Training customers that voted (k, or all of them when there are fewer). */
  voters: number;
}

/** Most neighbours listed with a score. */
export const SHOWN_NEIGHBOURS = 10;

/** Failed scoring: the invalid fields. */
export interface ScoreError {
  ok: false;
  errors: FieldError[];
}

/** Result of {@link scoreCustomer}. */
export type ScoreResult = ScoreOk | ScoreError;

/**
 * Equal-width bands over [min, max], best first: band i (0 = best) starts at
 * `min + (B − 1 − i) · (max − min) / B`.
 *
 * @example
 * ```ts
 * import { makeBands } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(makeBands(0, 100, ["good", "bad"]), [
 *   { name: "good", minScore: 50, maxScore: 100 },
 *   { name: "bad", minScore: 0, maxScore: 50 },
 * ]);
 * ```
 *
 * @param min lowest score
 * @param max highest score
 * @param names band names, best first (at least one)
 */
export function makeBands(min: number, max: number, names: readonly string[]): ScoreBand[] {
  const b = names.length;
  if (b < 1) throw new RangeError("need at least one band");
  if (!(max > min)) throw new RangeError("max must exceed min");
  const w = (max - min) / b;
  return names.map((name, i) => ({
    name,
    minScore: i === b - 1 ? min : min + (b - 1 - i) * w,
    maxScore: i === 0 ? max : min + (b - i) * w,
  }));
}

/**
 * The score scale for `levels` levels.
 *
 * @example
 * ```ts
 * import { makeScoreScale } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * const scale = makeScoreScale(); // 300–850, bands A–E, three levels
 * deepEqual(scale.levelWeights, [0, 0.5, 1]);
 * deepEqual(scale.bands.map((b) => b.minScore), [740, 630, 520, 410, 300]);
 * ```
 *
 * @param min lowest score (default 300)
 * @param max highest score (default 850)
 * @param bandNames band names, best first (default A–E)
 * @param levels number of levels (default 3)
 */
export function makeScoreScale(
  min = 300,
  max = 850,
  bandNames: readonly string[] = ["A", "B", "C", "D", "E"],
  levels = 3,
): ScoreScale {
  if (!Number.isInteger(levels) || levels < 2) throw new RangeError("need at least two levels");
  return {
    min,
    max,
    levelWeights: Array.from({ length: levels }, (_, c) => c / (levels - 1)),
    bands: makeBands(min, max, bandNames),
  };
}

/**
 * Score and band from level probabilities.
 *
 * @example
 * ```ts
 * import { makeScoreScale, scoreFromProbabilities } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * const scale = makeScoreScale();
 * deepEqual(scoreFromProbabilities(scale, [0, 1, 0]), { exact: 575, score: 575, band: "C" });
 * deepEqual(scoreFromProbabilities(scale, [0, 0, 1]), { exact: 850, score: 850, band: "A" });
 * ```
 *
 * @param scale score scale
 * @param probabilities probability per level, lowest first
 * @returns `exact` (unrounded score, for ranking), `score` (rounded) and `band`
 */
export function scoreFromProbabilities(
  scale: ScoreScale,
  probabilities: readonly number[],
): { exact: number; score: number; band: string } {
  let expected = 0;
  for (let c = 0; c < probabilities.length; c++) {
    expected += probabilities[c] * scale.levelWeights[c];
  }
  expected = Math.min(1, Math.max(0, expected));
  const exact = scale.min + (scale.max - scale.min) * expected;
  const score = Math.round(exact);
  return { exact, score, band: bandOf(scale, score) };
}

/**
 * The band of a score (the best band whose `minScore` it reaches; the lowest band otherwise).
 *
 * @example
 * ```ts
 * import { bandOf, makeScoreScale } from "./score.ts";
 * import { equal } from "node:assert/strict";
 * const scale = makeScoreScale();
 * equal(bandOf(scale, 740), "A");
 * equal(bandOf(scale, 739), "B");
 * equal(bandOf(scale, 0), "E"); // below the scale: the lowest band
 * ```
 *
 * @param scale score scale
 * @param score score
 */
export function bandOf(scale: ScoreScale, score: number): string {
  for (const b of scale.bands) if (score >= b.minScore) return b.name;
  return scale.bands[scale.bands.length - 1].name;
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

type Parsed = { kind: "missing" } | { kind: "error"; message: string } | {
  kind: "ok";
  value: number;
};

function parseNumber(field: string, v: unknown): Parsed {
  if (v === undefined || v === null) return { kind: "missing" };
  if (typeof v === "string") {
    const t = v.trim();
    if (t === "") return { kind: "missing" };
    if (!NUMERIC.test(t)) {
      return { kind: "error", message: `${field} must be a number (got "${v}")` };
    }
    const n = Number(t);
    if (!Number.isFinite(n)) return { kind: "error", message: `${field} must be a finite number` };
    return { kind: "ok", value: n };
  }
  if (typeof v === "bigint") v = Number(v);
  if (typeof v === "number") {
    if (Number.isNaN(v)) return { kind: "error", message: `${field} must be a number (got NaN)` };
    if (!Number.isFinite(v)) {
      return { kind: "error", message: `${field} must be a finite number (got ${v})` };
    }
    return { kind: "ok", value: v };
  }
  return { kind: "error", message: `${field} must be a number (got ${typeName(v)})` };
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** The check of one value: a problem ("must not be negative") or null when the value is fine. */
type ValueCheck = (v: number, limits: InputLimits, feature: FeatureInfo) => string | null;

/**
 * The input check of each kind of feature (the registry's `kind`), in the order fields are
 * checked: days (≥ 0, ≤ maxDays), counts (whole, ≥ the feature's `min` (default 1),
 * ≤ maxFrequency), money (≥ 0, ≤ maxMoney), ratios (within the feature's `range`).
 */
const KIND_CHECKS: Readonly<Record<FeatureKind, ValueCheck>> = {
  days: (v, l) =>
    v < 0
      ? "must not be negative"
      : v > l.maxDays
      ? `must be at most ${l.maxDays} days${yearsNote(l.maxDays)}`
      : null,
  count: (v, l, f) =>
    !Number.isInteger(v) || v < (f.min ?? 1)
      ? `must be a whole number of ${f.unit}, at least ${f.min ?? 1}`
      : v > l.maxFrequency
      ? `must be at most ${l.maxFrequency}`
      : null,
  money: (v, l) =>
    v < 0 ? "must not be negative" : v > l.maxMoney ? `must be at most ${l.maxMoney}` : null,
  ratio: (v, _l, f) => {
    const [lo, hi] = f.range ?? [0, 1];
    return v < lo || v > hi ? `must be from ${lo} to ${hi}` : null;
  },
};

/** " (100 years)" for a number of days of at least a year ("" below). */
function yearsNote(days: number): string {
  const years = Math.round(days / 365.25);
  return years >= 1 ? ` (${years} year${years === 1 ? "" : "s"})` : "";
}

/** Every registry feature with its kind's check, kind by kind (days, counts, money). */
const CHECKED_FEATURES: readonly FeatureInfo[] = (Object.keys(KIND_CHECKS) as FeatureKind[])
  .flatMap((kind) => FEATURES.filter((f) => f.kind === kind));

/** The problem with one parsed value of a field, or null (no check for unknown fields). */
function checkValue(field: string, v: number, limits: InputLimits): string | null {
  const f = feature(field);
  return f ? KIND_CHECKS[f.kind](v, limits, f) : null;
}

/**
 * Errors for the missing required fields; a missing `avg_order_value` is derived into `values`
 * (`monetary / frequency`) when both are valid, and not reported while both are given (invalid).
 */
function missingErrors(
  missing: readonly string[],
  values: Record<string, number>,
  given: ReadonlySet<string>,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of missing) {
    if (
      field === "avg_order_value" && values.monetary !== undefined &&
      values.frequency !== undefined
    ) {
      values.avg_order_value = values.monetary / values.frequency;
      continue;
    }
    // Derivable once monetary and frequency (given, but invalid) are fixed: their errors suffice.
    if (field === "avg_order_value" && given.has("monetary") && given.has("frequency")) continue;
    const hint = field === "avg_order_value" ? " (or give monetary and frequency)" : "";
    errors.push({ field, message: `${field} is required${hint}` });
  }
  return errors;
}

/** Pairs (shorter, longer) of windowed features of one family: the shorter cannot be larger. */
const WINDOW_PAIRS: readonly [string, string][] = FEATURES.flatMap((a) =>
  FEATURES.filter((b) =>
    a.windowDays !== undefined && b.windowDays !== undefined && a.windowDays < b.windowDays &&
    a.name.replace(/_\d+d$/, "") === b.name.replace(/_\d+d$/, "")
  ).map((b) => [a.name, b.name] as [string, string])
);

/**
 * Errors of the rules between valid fields (tenure ≥ recency, on the whole history and in the
 * look-back; average order ≤ monetary; a count or value over a shorter window ≤ the same over a
 * longer one).
 */
function crossFieldErrors(values: Readonly<Record<string, number>>): FieldError[] {
  const errors: FieldError[] = [];
  if (
    values.recency_window_days !== undefined && values.tenure_window_days !== undefined &&
    values.tenure_window_days < values.recency_window_days
  ) {
    errors.push({
      field: "tenure_window_days",
      message: `tenure_window_days (${values.tenure_window_days}) must be at least ` +
        `recency_window_days (${values.recency_window_days}): the first purchase cannot be after ` +
        "the last",
    });
  }
  for (const [short, long] of WINDOW_PAIRS) {
    if (values[short] !== undefined && values[long] !== undefined && values[short] > values[long]) {
      errors.push({
        field: short,
        message: `${short} (${values[short]}) cannot exceed ${long} (${values[long]}): the ` +
          "shorter window lies inside the longer one",
      });
    }
  }
  if (
    values.recency_days !== undefined && values.tenure_days !== undefined &&
    values.tenure_days < values.recency_days
  ) {
    errors.push({
      field: "tenure_days",
      message: `tenure_days (${values.tenure_days}) must be at least recency_days ` +
        `(${values.recency_days}): the first purchase cannot be after the last`,
    });
  }
  if (
    values.avg_order_value !== undefined && values.monetary !== undefined &&
    values.avg_order_value > values.monetary + 0.01
  ) {
    errors.push({
      field: "avg_order_value",
      message: `avg_order_value (${values.avg_order_value}) cannot exceed monetary ` +
        `(${values.monetary}) since every customer has at least one invoice`,
    });
  }
  return errors;
}

/**
 * Validates raw input against a model's features.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS, validateInput } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * const model = { features: ["frequency", "monetary", "avg_order_value"], limits: DEFAULT_LIMITS };
 * // numeric strings are accepted; avg_order_value is derived as monetary / frequency
 * deepEqual(validateInput(model, { frequency: " 4 ", monetary: 100 }), {
 *   ok: true,
 *   values: [4, 100, 25],
 * });
 * deepEqual(validateInput(model, { frequency: 0.5, monetary: 100 }), {
 *   ok: false,
 *   errors: [{
 *     field: "frequency",
 *     message: "frequency must be a whole number of invoices, at least 1 (got 0.5)",
 *   }],
 * });
 * ```
 *
 * @param model loyalty model (for its features and limits)
 * @param input field values (numbers or numeric strings)
 * @returns the feature values in `model.features` order, or the field errors
 */
export function validateInput(
  model: Pick<LoyaltyModel, "features" | "limits">,
  input: Readonly<Record<string, unknown>>,
): { ok: true; values: number[] } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const values: Record<string, number> = {};
  const limits = model.limits;
  const fields = [...model.features];
  for (const { name } of CHECKED_FEATURES) {
    if (!fields.includes(name) && input[name] !== undefined) fields.push(name);
  }
  const needed = new Set(model.features);
  const missing: string[] = [];
  const given = new Set<string>();
  for (const field of fields) {
    const p = parseNumber(field, input?.[field]);
    if (p.kind === "missing") {
      if (needed.has(field)) missing.push(field);
      continue;
    }
    given.add(field);
    if (p.kind === "error") {
      errors.push({ field, message: p.message });
      continue;
    }
    const problem = checkValue(field, p.value, limits);
    if (problem) errors.push({ field, message: `${field} ${problem} (got ${p.value})` });
    else values[field] = p.value;
  }
  errors.push(...missingErrors(missing, values, given)); // may derive avg_order_value first
  errors.push(...crossFieldErrors(values));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, values: model.features.map((f) => values[f]) };
}

/**
 * Scores one customer.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale } from "./score.ts";
 * // two features, identity scaling, three training customers (levels 0, 2, 2)
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn",
 *   version: 1,
 *   features: ["recency_days", "frequency"],
 *   scaler: { names: ["recency_days", "frequency"], log: [false, false], means: [0, 0], stds: [1, 1] },
 *   knn: fitKnn([[300, 1], [5, 9], [10, 8]], [0, 2, 2], { k: 2, nClasses: 3 }),
 *   customerIds: ["A", "B", "C"],
 *   levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01",
 *   windowEnd: "2011-12-01",
 *   score: makeScoreScale(),
 *   limits: DEFAULT_LIMITS,
 * };
 * import { scoreCustomer } from "./score.ts";
 * import { deepEqual, equal, ok } from "node:assert/strict";
 * const r = scoreCustomer(model, { recency_days: 7, frequency: 9 });
 * ok(r.ok);
 * equal(r.level, "loyal");
 * equal(r.score, 850);
 * deepEqual(r.neighbours.map((nb) => nb.customer_id), ["B", "C"]);
 * const bad = scoreCustomer(model, { recency_days: -1, frequency: 9 });
 * deepEqual(bad, {
 *   ok: false,
 *   errors: [{ field: "recency_days", message: "recency_days must not be negative (got -1)" }],
 * });
 * ```
 *
 * @param model fitted loyalty model (possibly re-created from its JSON)
 * @param input raw field values: every model feature (see the module rules)
 * @returns level, probabilities, score, band and neighbours, or the field errors
 */
export function scoreCustomer(
  model: LoyaltyModel,
  input: Readonly<Record<string, unknown>>,
): ScoreResult {
  const valid = validateInput(model, input ?? {});
  if (!valid.ok) return { ok: false, errors: valid.errors };
  return predictionResult(model, predictValues(model, valid.values));
}

/** A model's prediction for one customer's valid raw values. */
export interface ValuePrediction {
  /** Predicted level index (the decision rule on the calibrated probabilities). */
  levelIndex: number;
  /** Calibrated probability per level, lowest first. */
  probabilities: number[];
  /** Probability per level from the neighbour votes alone, before calibration. */
  rawProbabilities: number[];
  /** The voting training points, nearest first (at most {@link SHOWN_NEIGHBOURS}). */
  neighbours: { index: number; distance: number; label: number; customers: number }[];
  /** Training customers that voted. */
  voters: number;
}

/**
 * The model's prediction from valid raw values in `model.features` order — the scoring path
 * after the input checks: values of features capped at the look-back are capped, scaled, the
 * neighbours vote, the votes are calibrated and the decision rule picks the level. Every score of
 * the workspace goes through here.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale, predictValues } from "./score.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn",
 *   version: 2,
 *   features: ["recency_window_days"],
 *   lookbackDays: 180,
 *   scaler: { names: ["recency_window_days"], log: [false], means: [0], stds: [1] },
 *   knn: fitKnn([[10], [180]], [2, 0], { k: 1, nClasses: 3 }),
 *   customerIds: ["A", "B"],
 *   levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01",
 *   windowEnd: "2011-12-01",
 *   score: makeScoreScale(),
 *   limits: DEFAULT_LIMITS,
 *   calibration: null,
 *   decisionWeights: null,
 * };
 * // 400 days without a purchase is read as the look-back (180): the nearest is B (lapsed)
 * const p = predictValues(model, [400]);
 * equal(p.levelIndex, 0);
 * deepEqual(p.neighbours.map((n) => [n.index, n.distance]), [[1, 0]]);
 * ```
 *
 * @param model fitted loyalty model
 * @param values valid raw values in `model.features` order (see {@link validateInput})
 */
export function predictValues(model: LoyaltyModel, values: readonly number[]): ValuePrediction {
  return predictScaled(model, scaledValues(model, values));
}

/**
 * The point the neighbours are searched around for valid raw values: values of features capped
 * at the look-back capped, then scaled. Equal points get equal predictions
 * ({@link predictScaled}), so callers may share one search between them.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS, type LoyaltyModel, scaledValues } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * const model = {
 *   features: ["recency_window_days", "frequency"],
 *   lookbackDays: 180,
 *   scaler: { names: ["recency_window_days", "frequency"], log: [false, false], means: [90, 1], stds: [10, 2] },
 * } as unknown as LoyaltyModel;
 * deepEqual(scaledValues(model, [400, 5]), [9, 2]); // 400 days read as 180
 * ```
 *
 * @param model fitted loyalty model
 * @param values valid raw values in `model.features` order
 */
export function scaledValues(model: LoyaltyModel, values: readonly number[]): number[] {
  return transformRow(model.scaler, cappedValues(model, values));
}

/** Values of features capped at the look-back, capped (other values as they are). */
function cappedValues(model: LoyaltyModel, values: readonly number[]): number[] {
  const L = model.lookbackDays;
  if (L === undefined) return [...values];
  return model.features.map((f, j) => (feature(f)?.capped ? Math.min(values[j], L) : values[j]));
}

/**
 * The model's prediction at a scaled point ({@link scaledValues}): the neighbours vote, the votes
 * are calibrated and the decision rule picks the level.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale, predictScaled } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn", version: 1, features: ["recency_days"],
 *   scaler: { names: ["recency_days"], log: [false], means: [0], stds: [1] },
 *   knn: fitKnn([[1], [9]], [2, 0], { k: 1, nClasses: 3 }), customerIds: ["A", "B"],
 *   levels: ["lapsed", "occasional", "loyal"], cutoff: "2011-06-01", windowEnd: "2011-12-01",
 *   score: makeScoreScale(), limits: DEFAULT_LIMITS,
 * };
 * deepEqual(predictScaled(model, [8]).probabilities, [1, 0, 0]);
 * ```
 *
 * @param model fitted loyalty model
 * @param z scaled point
 * @param search a hint for the neighbour search (same result, found sooner) and a callback
 *   receiving the voting points (`predictOne` of `neighbours.ts`)
 */
export function predictScaled(
  model: LoyaltyModel,
  z: readonly number[],
  search?: SearchOptions,
): ValuePrediction {
  const pred = predictOne(model.knn, z, SHOWN_NEIGHBOURS, search);
  const probabilities = calibrate(model.calibration, pred.probabilities);
  return {
    levelIndex: decide(probabilities, model.decisionWeights),
    probabilities,
    rawProbabilities: pred.probabilities,
    neighbours: pred.neighbours,
    voters: pred.voters,
  };
}

/**
 * The successful result of a prediction: what {@link scoreCustomer} answers for valid values
 * whose prediction ({@link predictValues}) is `pred`.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import {
 *   DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale, predictionResult, predictValues, scoreCustomer,
 * } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn", version: 1, features: ["recency_days"],
 *   scaler: { names: ["recency_days"], log: [false], means: [0], stds: [1] },
 *   knn: fitKnn([[1], [9]], [2, 0], { k: 1, nClasses: 3 }), customerIds: ["A", "B"],
 *   levels: ["lapsed", "occasional", "loyal"], cutoff: "2011-06-01", windowEnd: "2011-12-01",
 *   score: makeScoreScale(), limits: DEFAULT_LIMITS,
 * };
 * deepEqual(predictionResult(model, predictValues(model, [2])), scoreCustomer(model, { recency_days: 2 }));
 * ```
 *
 * @param model fitted loyalty model
 * @param pred the prediction of valid values
 */
export function predictionResult(model: LoyaltyModel, pred: ValuePrediction): ScoreOk {
  const probabilities: Record<string, number> = {};
  model.levels.forEach((name, c) => (probabilities[name] = pred.probabilities[c]));
  const { score, band } = scoreFromProbabilities(model.score, pred.probabilities);
  return {
    ok: true,
    level: model.levels[pred.levelIndex],
    levelIndex: pred.levelIndex,
    probabilities,
    score,
    band,
    neighbours: pred.neighbours.map((nb) => ({
      customer_id: model.customerIds[nb.index],
      distance: nb.distance,
      level: model.levels[nb.label],
      customers: nb.customers,
    })),
    voters: pred.voters,
  };
}

/**
 * Scores many customers: the same as {@link scoreCustomer} for each, but the neighbour index is
 * built once per model, customers with equal scaled values share one neighbour search, and the
 * distinct points are searched as one batch ({@link predictScaledMany}).
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale } from "./score.ts";
 * // two features, identity scaling, three training customers (levels 0, 2, 2)
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn",
 *   version: 1,
 *   features: ["recency_days", "frequency"],
 *   scaler: { names: ["recency_days", "frequency"], log: [false, false], means: [0, 0], stds: [1, 1] },
 *   knn: fitKnn([[300, 1], [5, 9], [10, 8]], [0, 2, 2], { k: 2, nClasses: 3 }),
 *   customerIds: ["A", "B", "C"],
 *   levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01",
 *   windowEnd: "2011-12-01",
 *   score: makeScoreScale(),
 *   limits: DEFAULT_LIMITS,
 * };
 * import { scoreMany } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * const results = scoreMany(model, [{ recency_days: 7, frequency: 9 }, { recency_days: 200, frequency: 1 }]);
 * deepEqual(results.map((r) => r.ok && r.band), ["A", "C"]);
 * ```
 *
 * @param model fitted loyalty model
 * @param inputs raw field values per customer
 * @returns one {@link ScoreResult} per input, in order
 */
export function scoreMany(
  model: LoyaltyModel,
  inputs: readonly Readonly<Record<string, unknown>>[],
): ScoreResult[] {
  // Customers with the same scaled values get the same prediction: one search per distinct
  // point (the key is the exact bits of the values), all of them searched in one batch.
  const points = new DistinctPoints(model.features.length);
  const checked = inputs.map((input) => {
    const valid = validateInput(model, input ?? {});
    return valid.ok ? points.add(scaledValues(model, valid.values)) : valid;
  });
  const preds = predictScaledMany(model, points.points);
  return checked.map((c) =>
    typeof c === "number" ? predictionResult(model, preds[c]) : { ok: false, errors: c.errors }
  );
}

/**
 * Distinct points, each numbered once in order of first appearance (the key is the exact bits
 * of the values, so 0.1 + 0.2 and 0.3 are two points): what a batch of searches is made of
 * ({@link scoreMany}, `explainMany` of `reasons.ts`).
 *
 * @example
 * ```ts
 * import { DistinctPoints } from "./score.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const d = new DistinctPoints(2);
 * deepEqual([d.add([1, 2]), d.add([3, 4]), d.add([1, 2])], [0, 1, 0]);
 * equal(d.slot([3, 4]), 1);
 * equal(d.slot([0.1 + 0.2, 0]), undefined);
 * deepEqual(d.points, [[1, 2], [3, 4]]);
 * ```
 */
export class DistinctPoints {
  /** The distinct points, in order of first appearance. */
  readonly points: (readonly number[])[] = [];
  readonly #slot = new Map<string, number>();
  readonly #bits: Float64Array;
  readonly #words: Uint16Array;

  /** @param dimension values per point */
  constructor(dimension: number) {
    this.#bits = new Float64Array(dimension);
    this.#words = new Uint16Array(this.#bits.buffer);
  }

  /** The key of a point: the exact bits of its values. */
  key(z: readonly number[]): string {
    this.#bits.set(z);
    return String.fromCharCode(...this.#words);
  }

  /** The number of a point (added when new). */
  add(z: readonly number[]): number {
    const key = this.key(z);
    let slot = this.#slot.get(key);
    if (slot === undefined) {
      slot = this.points.length;
      this.#slot.set(key, slot);
      this.points.push(z);
    }
    return slot;
  }

  /** The number of a point, or undefined when it was never added. */
  slot(z: readonly number[]): number | undefined {
    return this.#slot.get(this.key(z));
  }
}

/**
 * {@link predictScaled} at many scaled points, exactly: the same predictions, found faster by
 * searching the points in the neighbour index's locality order
 * (`NeighbourIndex.localityOrder`), each search hinted with the neighbours of the one before.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale, predictScaled, predictScaledMany } from "./score.ts";
 * import { deepEqual } from "node:assert/strict";
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn", version: 1, features: ["recency_days"],
 *   scaler: { names: ["recency_days"], log: [false], means: [0], stds: [1] },
 *   knn: fitKnn([[1], [2], [8], [9]], [2, 2, 0, 0], { k: 3, nClasses: 3 }),
 *   customerIds: ["A", "B", "C", "D"], levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01", windowEnd: "2011-12-01", score: makeScoreScale(), limits: DEFAULT_LIMITS,
 * };
 * const zs = [[8.5], [1.5], [5]];
 * deepEqual(predictScaledMany(model, zs), zs.map((z) => predictScaled(model, z)));
 * ```
 *
 * @param model fitted loyalty model
 * @param zs scaled points
 * @param visits adds the number of training points whose distance the searches computed
 * @returns one prediction per point, in order
 * @throws what {@link predictScaled} throws for the first point (in search order) it cannot take
 */
export function predictScaledMany(
  model: LoyaltyModel,
  zs: readonly (readonly number[])[],
  visits?: { count: number },
): ValuePrediction[] {
  const out = new Array<ValuePrediction>(zs.length);
  // the neighbours of the last search, copied out of its scratch space: the next one's hint
  let last = new Int32Array(0);
  const search: SearchOptions = {
    transient: true,
    visits,
    onFound: (found) => {
      if (last.length < found.length) last = new Int32Array(2 * found.length);
      last.set(found.index.subarray(0, found.length));
      search.hint = last.subarray(0, found.length);
    },
  };
  for (const i of indexFor(model.knn).localityOrder(zs)) {
    out[i] = predictScaled(model, zs[i], search);
  }
  return out;
}
