/**
 * Reason codes: the two or three features that move one customer's loyalty score most, in plain
 * words ("no purchase in 200 days (typical: 40 days)"). Pure: no Deno, Node, file or network
 * access, so the widget runs it in the browser like the scoring module.
 *
 * **Method (a one-feature counterfactual against the training population).** For every feature
 * of the model, the customer's value is replaced by the *typical* value — the median of the
 * training customers ({@link typicalValues}; a collapsed training point counts once per customer
 * it stands for) — while every other value stays as it is, and the customer is scored again with
 * the model's own scoring path ({@link modelScore}, i.e. `predictValues` of the scoring module:
 * look-back capping → scaler → weighted neighbour search over the collapsed points with their
 * counts → calibration → expected level → score; a test keeps it equal to `scoreCustomer` for
 * format-1 and format-2 models). The feature's **effect** is
 *
 *     effect = score(customer) − score(customer with this one feature at the typical value)
 *
 * in (unrounded) score points: positive when the customer's value *raises* the score against a
 * typical customer, negative when it *lowers* it. Features are ranked by |effect| (ties: the
 * model's feature order); the top {@link DEFAULT_MAX_REASONS} with |effect| ≥
 * {@link MIN_EFFECT_SHARE} × (score range) are kept. A feature at its typical value has effect 0
 * and is never a reason. The method needs nothing but the model, so it works for any feature
 * list; the counterfactual profile is scored even where it breaks an input rule between fields
 * (a recency above the tenure), since only the model's response matters.
 *
 * **Cost.** One customer takes one prediction plus one per feature that differs from its typical
 * value. The customer's neighbour search is prepared once (`NeighbourIndex.prepare`: its distance
 * to every training point), and each counterfactual, which differs from it in one scaled value,
 * is searched on it in one pass over the points — with exactly the search's neighbours, ties and
 * distances (see `PreparedQuery` in `neighbours.ts`). {@link createExplainer} explains many
 * customers with one model and shares the predictions of equal (capped, scaled) profiles between
 * them — customers with equal values and the many counterfactuals that coincide;
 * {@link createScoreExplainer} also gives each customer's scoring result from the same prediction
 * (the scoring service). {@link explainMany}, how the build scores and explains every customer,
 * collects every distinct point first — customers' and counterfactuals' — and searches each once
 * in the neighbour index's locality order, each search hinted by the one before: the same results
 * and reasons, several times faster.
 *
 * **Wording.** Features have phrase templates here ({@link PHRASES}); a registry feature
 * (`config/features.ts`) without one is worded from its entry — a windowed count as "3 invoices
 * in the last 90 days", others by label and unit ("Recency: 200 days since the last purchase") —
 * and a feature missing from the registry by its name ("trend: 0.4"). Money is written in the
 * dataset's currency. Days and counts are shown as whole numbers, money to the cent below 100
 * and in whole units above, shares in per cent.
 *
 * @module
 */

import { feature, type FeatureInfo } from "../config/features.ts";
import { inverseTransformValue } from "./scaler.ts";
import { indexFor, type PreparedQuery, type SearchOptions } from "./neighbours.ts";
import {
  DistinctPoints,
  type LoyaltyModel,
  predictionResult,
  predictScaled,
  predictScaledMany,
  predictValues,
  scaledValues,
  scoreFromProbabilities,
  type ScoreResult,
  validateInput,
  type ValuePrediction,
} from "./score.ts";

/** One reason for a customer's score. */
export interface Reason {
  /** Feature name (a column of the customer table). */
  feature: string;
  /** The customer's value. */
  value: number;
  /** The typical (median) value of the training customers, rounded as displayed. */
  typical: number;
  /**
   * Score points this value is worth against the typical value:
   * `score(customer) − score(customer with this feature at the typical value)`.
   */
  effect: number;
  /** "raises" (effect > 0) or "lowers" (effect < 0) the score. */
  direction: "raises" | "lowers";
  /** The reason in plain words with the typical value: "no purchase in 200 days (typical: 40 days)". */
  text: string;
}

/** Options of {@link explainScore}. */
export interface ExplainOptions {
  /** Most reasons returned (default {@link DEFAULT_MAX_REASONS}). */
  max?: number;
  /**
   * Smallest |effect| in score points that counts as a reason (default
   * {@link MIN_EFFECT_SHARE} × (score max − score min)).
   */
  minEffect?: number;
  /** Currency code for money features ("GBP"; default the model's `currency`); plain numbers without one. */
  currency?: string;
  /** Typical values by feature, instead of the training medians (e.g. stored with the model). */
  typical?: Readonly<Record<string, number>>;
  /**
   * The unrounded score of feature values given in `model.features` order (default
   * {@link modelScore}); pass the scoring module's own core when it changes (calibration).
   */
  score?: (values: readonly number[]) => number;
}

/** Reasons kept by default. */
export const DEFAULT_MAX_REASONS = 3;

/** A reason must move the score by at least this share of the score range (1 % = 5.5 points). */
export const MIN_EFFECT_SHARE = 0.01;

/**
 * The unrounded score of validated feature values (in `model.features` order): the scoring
 * module's own path after its input checks (`predictValues`: look-back capping, scaling, the
 * weighted neighbour votes with collapsed counts, calibration), then the expected level on the
 * score scale. `round(modelScore(…))` equals `scoreCustomer(…).score` (a test checks it).
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale } from "./score.ts";
 * import { modelScore } from "./reasons.ts";
 * import { equal } from "node:assert/strict";
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn", version: 1, features: ["recency_days"],
 *   scaler: { names: ["recency_days"], log: [false], means: [0], stds: [1] },
 *   knn: fitKnn([[5], [10], [300]], [2, 2, 0], { k: 2, nClasses: 3 }),
 *   customerIds: ["A", "B", "C"], levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01", windowEnd: "2011-12-01", score: makeScoreScale(), limits: DEFAULT_LIMITS,
 * };
 * equal(modelScore(model, [7]), 850); // both neighbours loyal
 * equal(modelScore(model, [200]), 575); // one loyal, one lapsed neighbour
 * ```
 *
 * @param model fitted loyalty model
 * @param values raw feature values in `model.features` order
 * @returns the exact (unrounded) score
 */
export function modelScore(model: LoyaltyModel, values: readonly number[]): number {
  return scoreFromProbabilities(model.score, predictValues(model, values).probabilities).exact;
}

/**
 * A scorer of one customer and its counterfactuals: {@link modelScore}, with the scores of equal
 * scaled points shared (one map per scorer). The customer's neighbour search is prepared
 * (`NeighbourIndex.prepare`: its distance to every training point, computed once), and each
 * counterfactual — the customer's scaled point with one coordinate changed — is searched on it:
 * one pass over the points instead of a tree walk, with exactly the search's result.
 */
interface Scorer {
  /** The customer's prediction (the scoring path), made the customer whose counterfactuals follow. */
  predict: (values: readonly number[]) => ValuePrediction;
  /** The customer's score, made the customer whose counterfactuals follow. */
  actual: (values: readonly number[]) => number;
  /** A counterfactual's score, after `actual` (or `predict`) of its customer. */
  counterfactual: (values: readonly number[]) => number;
}

/** A {@link Scorer} with the caller's own score function (the model's path for predictions). */
function ownScorer(model: LoyaltyModel, own: (values: readonly number[]) => number): Scorer {
  return { predict: (values) => predictValues(model, values), actual: own, counterfactual: own };
}

/** A {@link Scorer} on the model's own path (see above). */
function modelScorer(model: LoyaltyModel): Scorer {
  const memo = new Map<string, number>();
  const bits = new Float64Array(model.features.length);
  const words = new Uint16Array(bits.buffer);
  const keyOf = (z: readonly number[]) => {
    bits.set(z);
    return String.fromCharCode(...words);
  };
  /** The customer being explained: its scaled point and prepared search (made when needed). */
  let current: { key: string; z: number[]; prepared: PreparedQuery | null } | null = null;
  const enter = (values: readonly number[]) => {
    const z = scaledValues(model, values);
    const key = keyOf(z);
    if (current?.key !== key) current = { key, z, prepared: null };
    return current;
  };
  const search = () =>
    current ? { prepared: current.prepared ??= indexFor(model.knn).prepare(current.z) } : {};
  const exact = (p: ValuePrediction) => scoreFromProbabilities(model.score, p.probabilities).exact;
  return {
    predict: (values) => {
      const c = enter(values);
      const p = predictScaled(model, c.z, search());
      memo.set(c.key, exact(p));
      return p;
    },
    actual: (values) => {
      const c = enter(values);
      let s = memo.get(c.key);
      if (s === undefined) {
        s = exact(predictScaled(model, c.z, search()));
        memo.set(c.key, s);
      }
      return s;
    },
    counterfactual: (values) => {
      const z = scaledValues(model, values);
      const key = keyOf(z);
      let s = memo.get(key);
      if (s === undefined) {
        s = exact(predictScaled(model, z, search()));
        memo.set(key, s);
      }
      return s;
    },
  };
}

const typicalCache = new WeakMap<object, Record<string, number>>();

/**
 * The typical value of every model feature: the median of the training customers' raw values,
 * rounded as displayed (days and counts to whole numbers, money and ratios to 0.01). Taken from
 * the model's `typical` field when it stores one (medians by feature name, recorded at fitting),
 * else computed from the stored training points mapped back through the scaler, each point
 * counted once per training customer it stands for (`knn.counts` of collapsed duplicates).
 * Computed once per model.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale } from "./score.ts";
 * import { typicalValues } from "./reasons.ts";
 * import { deepEqual } from "node:assert/strict";
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn", version: 1, features: ["recency_days", "monetary"],
 *   // identity scaling; training recency 5, 10, 300 and monetary 20, 35.5, 99.994
 *   scaler: { names: ["recency_days", "monetary"], log: [false, false], means: [0, 0], stds: [1, 1] },
 *   knn: fitKnn([[5, 20], [10, 35.5], [300, 99.994]], [2, 2, 0], { k: 2, nClasses: 3 }),
 *   customerIds: ["A", "B", "C"], levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01", windowEnd: "2011-12-01", score: makeScoreScale(), limits: DEFAULT_LIMITS,
 * };
 * deepEqual(typicalValues(model), { recency_days: 10, monetary: 35.5 });
 * ```
 *
 * @param model fitted loyalty model
 * @returns typical value by feature name
 */
export function typicalValues(model: LoyaltyModel): Readonly<Record<string, number>> {
  const cached = typicalCache.get(model.knn.points);
  if (cached) return cached;
  const stored = (model as { typical?: Readonly<Record<string, number>> }).typical;
  const out: Record<string, number> = {};
  const points = model.knn.points;
  const weights = model.knn.counts?.map((c) => c.reduce((a, b) => a + b, 0));
  model.features.forEach((name) => {
    let t = stored?.[name];
    if (t === undefined) {
      const j = model.scaler.names.indexOf(name);
      const raw = points.map((p) => inverseTransformValue(model.scaler, name, p[j]));
      t = weightedMedian(raw, weights) ?? 0;
    }
    out[name] = displayRound(feature(name), t);
  });
  typicalCache.set(points, out);
  return out;
}

/**
 * The median of values each repeated `weights[i]` times (all once without weights): the middle
 * value, or the mean of the two middle values for an even total; null for no values.
 */
function weightedMedian(values: readonly number[], weights?: readonly number[]): number | null {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
  const w = (i: number) => (weights ? weights[i] : 1);
  let total = 0;
  for (const i of order) total += w(i);
  if (total <= 0) return null;
  // the values at (0-based) positions ⌊(N − 1) / 2⌋ and ⌊N / 2⌋ of the expanded, sorted list
  const lo = Math.floor((total - 1) / 2);
  const hi = Math.floor(total / 2);
  let seen = 0;
  let a: number | null = null;
  for (const i of order) {
    seen += w(i);
    if (a === null && seen > lo) a = values[i];
    if (seen > hi) return (a! + values[i]) / 2;
  }
  return a;
}

/** A value rounded as it is displayed: days and counts whole, money and ratios to 0.01. */
function displayRound(info: FeatureInfo | undefined, v: number): number {
  const kind: string | undefined = info?.kind;
  if (kind === "days" || kind === "count") return Math.round(v);
  if (kind === "money" || kind === "ratio") return Math.round(v * 100) / 100;
  return Number(v.toPrecision(6));
}

/**
 * The top reasons for one customer's score (see the module notes for the method).
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale } from "./score.ts";
 * import { explainScore } from "./reasons.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * // Only recency matters: recent customers (≤ 30 days) were loyal, the others lapsed.
 * const recency = [2, 5, 9, 14, 20, 30, 90, 150, 200, 260, 320];
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn", version: 1, features: ["recency_days", "frequency"],
 *   scaler: { names: ["recency_days", "frequency"], log: [false, false], means: [0, 0], stds: [1, 1] },
 *   knn: fitKnn(recency.map((r) => [r, 2]), recency.map((r) => (r <= 30 ? 2 : 0)), { k: 3, nClasses: 3 }),
 *   customerIds: recency.map((_, i) => `C${i}`), levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01", windowEnd: "2011-12-01", score: makeScoreScale(), limits: DEFAULT_LIMITS,
 * };
 * const [top, ...rest] = explainScore(model, { recency_days: 250, frequency: 2 });
 * equal(top.text, "no purchase in 250 days (typical: 30 days)");
 * deepEqual([top.feature, top.typical, top.direction, Math.round(top.effect)], ["recency_days", 30, "lowers", -550]);
 * equal(rest.length, 0); // frequency is at its typical value: no effect
 * deepEqual(explainScore(model, { recency_days: 30, frequency: 2 }), []); // a typical customer
 * deepEqual(explainScore(model, { recency_days: -1, frequency: 2 }), []); // invalid input
 * ```
 *
 * @param model fitted loyalty model
 * @param input raw field values, as for `scoreCustomer`
 * @param options how many reasons, the smallest effect, the currency, typical values, the scorer
 * @returns at most `max` reasons, largest |effect| first; empty for an invalid input
 */
export function explainScore(
  model: LoyaltyModel,
  input: Readonly<Record<string, unknown>>,
  options: ExplainOptions = {},
): Reason[] {
  const valid = validateInput(model, input ?? {});
  if (!valid.ok) return [];
  const own = options.score;
  const scorer = own ? ownScorer(model, own) : modelScorer(model);
  return explainValues(model, valid.values, scorer, options);
}

/**
 * An explainer for many customers of one model: the same reasons as {@link explainScore} with
 * the same options, but predictions of equal (capped, scaled) profiles are computed once and
 * shared between customers and their counterfactuals. Keep it for one batch of customers (its
 * memory grows with the distinct profiles seen).
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale } from "./score.ts";
 * import { createExplainer, explainScore } from "./reasons.ts";
 * import { deepEqual } from "node:assert/strict";
 * const recency = [2, 5, 9, 14, 20, 30, 90, 150, 200, 260, 320];
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn", version: 1, features: ["recency_days"],
 *   scaler: { names: ["recency_days"], log: [false], means: [0], stds: [1] },
 *   knn: fitKnn(recency.map((r) => [r]), recency.map((r) => (r <= 30 ? 2 : 0)), { k: 3, nClasses: 3 }),
 *   customerIds: recency.map((_, i) => `C${i}`), levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01", windowEnd: "2011-12-01", score: makeScoreScale(), limits: DEFAULT_LIMITS,
 * };
 * const explain = createExplainer(model);
 * const inputs = [{ recency_days: 250 }, { recency_days: 3 }, { recency_days: 250 }];
 * deepEqual(inputs.map(explain), inputs.map((q) => explainScore(model, q)));
 * ```
 *
 * @param model fitted loyalty model
 * @param options as for {@link explainScore} (a `score` given here is used as it is, unshared)
 * @returns a function from one customer's raw field values to its reasons
 */
export function createExplainer(
  model: LoyaltyModel,
  options: ExplainOptions = {},
): (input: Readonly<Record<string, unknown>>) => Reason[] {
  const own = options.score;
  const scorer = own ? ownScorer(model, own) : modelScorer(model);
  return (input) => {
    const valid = validateInput(model, input ?? {});
    return valid.ok ? explainValues(model, valid.values, scorer, options) : [];
  };
}

/** A customer's scoring result and its reasons (see {@link createScoreExplainer}). */
export interface Explained {
  /** Exactly `scoreCustomer(model, input)`. */
  result: ScoreResult;
  /** Exactly `explainScore(model, input, options)` (empty for an invalid input). */
  reasons: Reason[];
}

/**
 * A scorer and explainer for many customers of one model: for each input, the scoring result of
 * `scoreCustomer` and the reasons of {@link explainScore} (with the same options) — computed
 * together, so that the input is checked once and the customer's own prediction serves both the
 * result and the reasons, and with equal (capped, scaled) profiles shared as in
 * {@link createExplainer}. The scoring service answers with it.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale, scoreCustomer } from "./score.ts";
 * import { createScoreExplainer, explainScore } from "./reasons.ts";
 * import { deepEqual } from "node:assert/strict";
 * const recency = [2, 5, 9, 14, 20, 30, 90, 150, 200, 260, 320];
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn", version: 1, features: ["recency_days", "frequency"],
 *   scaler: { names: ["recency_days", "frequency"], log: [false, false], means: [0, 0], stds: [1, 1] },
 *   knn: fitKnn(recency.map((r) => [r, 2]), recency.map((r) => (r <= 30 ? 2 : 0)), { k: 3, nClasses: 3 }),
 *   customerIds: recency.map((_, i) => `C${i}`), levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01", windowEnd: "2011-12-01", score: makeScoreScale(), limits: DEFAULT_LIMITS,
 * };
 * const explain = createScoreExplainer(model);
 * for (const input of [{ recency_days: 250, frequency: 5 }, { recency_days: -1, frequency: 2 }]) {
 *   deepEqual(explain(input), {
 *     result: scoreCustomer(model, input),
 *     reasons: explainScore(model, input),
 *   });
 * }
 * ```
 *
 * @param model fitted loyalty model
 * @param options as for {@link explainScore}
 * @returns a function from one customer's raw field values to its result and reasons
 */
export function createScoreExplainer(
  model: LoyaltyModel,
  options: ExplainOptions = {},
): (input: Readonly<Record<string, unknown>>) => Explained {
  const own = options.score;
  const scorer = own ? ownScorer(model, own) : modelScorer(model);
  return (input) => {
    const valid = validateInput(model, input ?? {});
    if (!valid.ok) return { result: { ok: false, errors: valid.errors }, reasons: [] };
    const result = predictionResult(model, scorer.predict(valid.values));
    return { result, reasons: explainValues(model, valid.values, scorer, options) };
  };
}

/**
 * Every customer's scoring result and reasons at once: exactly `createScoreExplainer(model,
 * options)` applied to each input (so `scoreCustomer` and {@link explainScore}), computed as one
 * batch: every distinct (capped, scaled) point needed — the customers' own and their
 * counterfactuals' — is collected first and searched once, in the neighbour index's locality
 * order with each search hinted by the one before (`predictScaledMany` of the scoring module).
 * How the build scores and explains every current customer. With an own `score` option the
 * customers are explained one by one as {@link createScoreExplainer} does.
 *
 * @example
 * ```ts
 * import { fitKnn } from "./neighbours.ts";
 * import { DEFAULT_LIMITS, type LoyaltyModel, makeScoreScale } from "./score.ts";
 * import { createScoreExplainer, explainMany } from "./reasons.ts";
 * import { deepEqual } from "node:assert/strict";
 * const recency = [2, 5, 9, 14, 20, 30, 90, 150, 200, 260, 320];
 * const model: LoyaltyModel = {
 *   kind: "rfm-loyalty-knn", version: 1, features: ["recency_days", "frequency"],
 *   scaler: { names: ["recency_days", "frequency"], log: [false, false], means: [0, 0], stds: [1, 1] },
 *   knn: fitKnn(recency.map((r) => [r, r % 3]), recency.map((r) => (r <= 30 ? 2 : 0)), { k: 3, nClasses: 3 }),
 *   customerIds: recency.map((_, i) => `C${i}`), levels: ["lapsed", "occasional", "loyal"],
 *   cutoff: "2011-06-01", windowEnd: "2011-12-01", score: makeScoreScale(), limits: DEFAULT_LIMITS,
 * };
 * const inputs = [
 *   { recency_days: 250, frequency: 5 },
 *   { recency_days: -1, frequency: 2 }, // invalid: its errors, no reasons
 *   { recency_days: 250, frequency: 5 },
 *   { recency_days: 3, frequency: 0 },
 * ];
 * deepEqual(explainMany(model, inputs), inputs.map(createScoreExplainer(model)));
 * ```
 *
 * @param model fitted loyalty model
 * @param inputs raw field values per customer
 * @param options as for {@link explainScore}
 * @param method how the counterfactuals are searched: `"tree"` (chained tree searches), `"pass"`
 *   (the pass of a query prepared at each customer's point) or `"auto"` (the default: whichever
 *   the customers' own searches show to be cheaper); the results are the same
 * @returns per input, its result and reasons
 */
export function explainMany(
  model: LoyaltyModel,
  inputs: readonly Readonly<Record<string, unknown>>[],
  options: ExplainOptions = {},
  method: "auto" | "pass" | "tree" = "auto",
): Explained[] {
  if (options.score) return inputs.map(createScoreExplainer(model, options));
  const typical = { ...typicalValues(model), ...options.typical };
  const points = new DistinctPoints(model.features.length);
  const add = (values: readonly number[]): number | undefined => {
    try {
      return points.add(scaledValues(model, values));
    } catch {
      return undefined; // a value the scaler cannot take: fails again when asked for, as alone
    }
  };
  // Per distinct customer point, the points of its counterfactuals (those explainValues asks for).
  const customers = new Map<number, number[]>();
  const checked = inputs.map((input) => {
    const valid = validateInput(model, input ?? {});
    if (!valid.ok) return valid;
    const values = valid.values;
    const own = add(values);
    const counterfactuals: number[] = [];
    model.features.forEach((name, j) => {
      const t = typical[name];
      if (t === undefined || !Number.isFinite(t) || t === values[j]) return;
      const counterfactual = values.slice();
      counterfactual[j] = t;
      const slot = add(counterfactual);
      if (slot !== undefined) counterfactuals.push(slot);
    });
    if (own !== undefined && !customers.has(own)) customers.set(own, counterfactuals);
    return valid;
  });
  const preds = predictPoints(model, points.points, customers, method);
  const predict = (values: readonly number[]): ValuePrediction => {
    const z = scaledValues(model, values);
    const slot = points.slot(z);
    if (slot === undefined) return predictScaled(model, z);
    const p = preds[slot];
    if (p instanceof Error) throw p;
    return p;
  };
  const score = (values: readonly number[]) =>
    scoreFromProbabilities(model.score, predict(values).probabilities).exact;
  const scorer: Scorer = { predict, actual: score, counterfactual: score };
  return checked.map((valid) => {
    if (!valid.ok) return { result: { ok: false, errors: valid.errors }, reasons: [] };
    const result = predictionResult(model, scorer.predict(valid.values));
    return { result, reasons: explainValues(model, valid.values, scorer, options) };
  });
}

/**
 * The batch of {@link explainMany} counterfactuals are searched by the pass of a prepared query
 * (`NeighbourIndex.prepare`) rather than by the chained tree searches when the customers' own
 * chained searches computed the distance of at least 1 / PASS_WHEN_VISITED of the training
 * points on average: the pass costs a few operations per point and customer, the tree a
 * distance per point it visits. Measured: CDNOW's model (a tenth visited) is faster by the tree,
 * Online Retail II's (under a third) by the pass. Never changes a result.
 */
const PASS_WHEN_VISITED = 4;

/**
 * The prediction of every point (its error when it cannot be searched): the customers' own
 * points first, in one chained batch (`predictScaledMany`), then the counterfactuals — either
 * in another chained batch, or customer by customer on the pass of a query prepared at the
 * customer's point (see {@link PASS_WHEN_VISITED}; `method` forces one). The predictions are
 * the same whatever the method.
 */
function predictPoints(
  model: LoyaltyModel,
  zs: readonly (readonly number[])[],
  customers: ReadonlyMap<number, readonly number[]>,
  method: "auto" | "pass" | "tree",
): (ValuePrediction | Error)[] {
  const out = new Array<ValuePrediction | Error | undefined>(zs.length);
  const alone = (z: readonly number[], search?: SearchOptions): ValuePrediction | Error => {
    try {
      return predictScaled(model, z, search);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };
  // A batch of points: each with a non-finite value (a counterfactual the scaler maps out of
  // range) gets its own error, the others are searched together.
  const batch = (slots: readonly number[], visits?: { count: number }) => {
    const searchable = slots.filter((i) => zs[i].every(Number.isFinite));
    for (const i of slots) if (!zs[i].every(Number.isFinite)) out[i] = alone(zs[i]);
    try {
      const preds = predictScaledMany(model, searchable.map((i) => zs[i]), visits);
      searchable.forEach((i, s) => (out[i] = preds[s]));
    } catch {
      for (const i of searchable) out[i] = alone(zs[i]);
    }
  };
  const own = [...customers.keys()];
  const visits = { count: 0 };
  batch(own, visits);
  const index = indexFor(model.knn);
  const pass = method === "pass" ||
    (method === "auto" && visits.count * PASS_WHEN_VISITED >= own.length * index.size);
  if (pass) {
    for (const [slot, counterfactuals] of customers) {
      if (out[slot] instanceof Error) continue;
      let prepared: SearchOptions | undefined;
      for (const c of counterfactuals) {
        if (out[c] !== undefined) continue;
        prepared ??= { prepared: index.prepare(zs[slot], "pass") };
        out[c] = alone(zs[c], prepared);
      }
    }
  }
  batch(zs.map((_, i) => i).filter((i) => out[i] === undefined));
  return out as (ValuePrediction | Error)[];
}

/** The reasons for valid raw values (see the module notes). */
function explainValues(
  model: LoyaltyModel,
  values: readonly number[],
  scorer: Scorer,
  options: ExplainOptions,
): Reason[] {
  const typical = { ...typicalValues(model), ...options.typical };
  const max = options.max ?? DEFAULT_MAX_REASONS;
  const minEffect = options.minEffect ?? MIN_EFFECT_SHARE * (model.score.max - model.score.min);
  const currency = options.currency ?? model.currency;
  const actual = scorer.actual(values);
  const reasons: (Reason & { order: number })[] = [];
  model.features.forEach((name, j) => {
    const t = typical[name];
    if (t === undefined || !Number.isFinite(t) || t === values[j]) return;
    const counterfactual = values.slice();
    counterfactual[j] = t;
    let effect: number;
    try {
      effect = actual - scorer.counterfactual(counterfactual);
    } catch {
      return; // a value the scorer cannot take: no reason rather than a wrong one
    }
    if (!(Math.abs(effect) >= minEffect) || effect === 0) return;
    reasons.push({
      feature: name,
      value: values[j],
      typical: t,
      effect,
      direction: effect > 0 ? "raises" : "lowers",
      text: reasonPhrase(name, values[j], t, currency, PHRASES, model.lookbackDays),
      order: j,
    });
  });
  reasons.sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect) || a.order - b.order);
  return reasons.slice(0, Math.max(0, max)).map(({ order: _, ...r }) => r);
}

// ---------------------------------------------------------------------------------------------
// Wording

/** Formatters handed to a phrase template. */
export interface PhraseFormat {
  /** A value of this feature as displayed ("1,234", "GBP 12.50", "12 %"). */
  value: (v: number) => string;
  /** "1 invoice" / "3 invoices": a count with its unit, the unit's first word singular for 1. */
  count: (v: number, unit: string) => string;
  /** The look-back of the model's features: "the last 365 days" (or "the look-back"). */
  lookback: string;
}

/** A phrase for one feature: the customer's value `v` against the typical value `t`. */
export type PhraseTemplate = (v: number, t: number, f: PhraseFormat) => string;

/**
 * Phrase templates by feature name (without the typical value, which {@link reasonPhrase}
 * appends). A registry feature without a template is worded from its registry entry: a windowed
 * count or money feature as "3 invoices in the last 90 days", any other by its label and unit
 * ("Recency: 200 days since the last purchase").
 */
export const PHRASES: Readonly<Record<string, PhraseTemplate>> = {
  recency_days: (v, t, f) =>
    v === 0
      ? "bought today"
      : v > t
      ? `no purchase in ${f.count(v, "days")}`
      : `last purchase ${f.count(v, "days")} ago`,
  recency_window_days: (v, t, f) =>
    v === 0
      ? "bought today"
      : v > t
      ? `no purchase in the last ${f.count(v, "days")}`
      : `last purchase ${f.count(v, "days")} ago`,
  frequency: (v, _t, f) => `${f.count(v, "invoices")} in total`,
  monetary: (v, _t, f) => `net spend of ${f.value(v)}`,
  tenure_days: (v, _t, f) => `first purchase ${f.count(v, "days")} ago`,
  tenure_window_days: (v, _t, f) => `a customer for ${f.count(v, "days")}`,
  invoices_lookback: (v, _t, f) => `${f.count(v, "invoices")} in ${f.lookback}`,
  value_lookback: (v, _t, f) => `${f.value(v)} spent in ${f.lookback}`,
  products_lookback: (v, _t, f) => `${f.count(v, "products")} bought in ${f.lookback}`,
  avg_order_value: (v, _t, f) => `average order of ${f.value(v)}`,
  gap_days: (v, _t, f) => `${f.count(v, "days")} between purchases on average`,
  activity_trend: (v, _t, f) =>
    `${
      v > 0.05 ? "buying more" : v < -0.05 ? "buying less" : "buying as much"
    } in the recent half of the look-back than in the earlier half (trend ${f.value(v)})`,
  returns_share: (v, _t, f) => `${f.value(v)} of the ordered value returned or cancelled`,
};

/** Registry fields this module reads beyond the basic entry (present on some features only). */
type Described = FeatureInfo & { windowDays?: number; range?: readonly number[] };

/** Digits grouped by thousands with a comma, `decimals` after the point (deterministic). */
function grouped(v: number, decimals: number): string {
  const s = Math.abs(v).toFixed(decimals);
  const [int, frac] = s.split(".");
  const g = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${v < 0 && Number(s) !== 0 ? "−" : ""}${g}${frac ? `.${frac}` : ""}`;
}

/**
 * A value as displayed, by the feature's kind: days and counts as whole numbers, money in the
 * currency (to the cent below 100), a share within [0, 1] in per cent, another ratio signed with
 * two decimals, anything else with four significant digits.
 */
function formatValue(info: Described | undefined, v: number, currency?: string): string {
  const kind: string | undefined = info?.kind;
  if (kind === "days" || kind === "count") return grouped(v, Number.isInteger(v) ? 0 : 1);
  if (kind === "money") {
    const n = grouped(v, Math.abs(v) < 100 && !Number.isInteger(v) ? 2 : 0);
    return currency ? `${currency} ${n}` : n;
  }
  if (kind === "ratio") {
    const [lo, hi] = info?.range ?? [NaN, NaN];
    if (lo === 0 && hi === 1) return `${grouped(v * 100, 0)} %`;
    return `${v > 0 ? "+" : ""}${grouped(v, 2)}`;
  }
  return String(Number(v.toPrecision(4)));
}

/** "1 day", "3 days", "1 day since …": the unit's first word loses its "s" for a value of 1. */
function formatCount(v: number, unit: string): string {
  const n = grouped(v, Number.isInteger(v) ? 0 : 1);
  return `${n} ${v === 1 ? unit.replace(/^(\w+?)s\b/, "$1") : unit}`;
}

/**
 * One reason in plain words: the feature's template (or a phrase from its registry entry), then
 * the typical value in brackets.
 *
 * @example
 * ```ts
 * import { reasonPhrase } from "./reasons.ts";
 * import { equal } from "node:assert/strict";
 * equal(reasonPhrase("recency_days", 200, 40), "no purchase in 200 days (typical: 40 days)");
 * equal(reasonPhrase("frequency", 1, 3), "1 invoice in total (typical: 3)");
 * equal(reasonPhrase("monetary", 12500, 640.5, "GBP"), "net spend of GBP 12,500 (typical: GBP 641)");
 * equal(reasonPhrase("tenure_days", 10, 400), "first purchase 10 days ago (typical: 400 days)");
 * // without a template: the registry's label and unit (here with no templates at all)
 * equal(
 *   reasonPhrase("recency_days", 200, 40, undefined, {}),
 *   "Recency: 200 days since the last purchase (typical: 40 days)",
 * );
 * // a feature the registry does not know: its name
 * equal(reasonPhrase("trend", 0.25, 0), "trend: 0.25 (typical: 0)");
 * // the look-back features, with the model's look-back
 * equal(
 *   reasonPhrase("value_lookback", 3122.82, 556.87, "GBP", undefined, 365),
 *   "GBP 3,123 spent in the last 365 days (typical: GBP 557)",
 * );
 * ```
 *
 * @param name feature name
 * @param value the customer's value
 * @param typical the typical value
 * @param currency currency code for money features
 * @param templates phrase templates by feature (default {@link PHRASES})
 * @param lookbackDays the model's look-back in days, for the look-back features (default: "the
 *   look-back")
 */
export function reasonPhrase(
  name: string,
  value: number,
  typical: number,
  currency?: string,
  templates: Readonly<Record<string, PhraseTemplate>> = PHRASES,
  lookbackDays?: number,
): string {
  const info = feature(name) as Described | undefined;
  const f: PhraseFormat = {
    lookback: lookbackDays === undefined
      ? "the look-back"
      : `the last ${formatCount(lookbackDays, "days")}`,
    value: (v) => formatValue(info, v, currency),
    count: formatCount,
  };
  const template = Object.hasOwn(templates, name) ? templates[name] : undefined;
  const head = template ? template(value, typical, f) : registryPhrase(name, info, value, f);
  const t = info?.kind === "days" ? formatCount(typical, "days") : f.value(typical);
  return `${head} (typical: ${t})`;
}

/**
 * A phrase from the registry entry: "3 invoices in the last 90 days" (a windowed count),
 * "GBP 120 spent in the last 90 days" (windowed money), else "Label: value unit".
 */
function registryPhrase(
  name: string,
  info: Described | undefined,
  v: number,
  f: PhraseFormat,
): string {
  if (!info) return `${name}: ${f.value(v)}`;
  const counted = info.kind === "days" || info.kind === "count";
  if (info.windowDays !== undefined) {
    const last = `in the last ${f.count(info.windowDays, "days")}`;
    if (info.kind === "count") return `${f.count(v, info.unit)} ${last}`;
    if (info.kind === "money") return `${f.value(v)} spent ${last}`;
  }
  return counted ? `${info.label}: ${f.count(v, info.unit)}` : `${info.label}: ${f.value(v)}`;
}

/**
 * Reasons as one line for a table cell or a CSV column: "↓" before a reason that lowers the
 * score, "↑" before one that raises it, separated by "; " ("" for no reasons). Arrows rather than
 * "+" and "−" so that a spreadsheet never reads the cell as a formula (`src/lib/csv.ts`).
 *
 * @example
 * ```ts
 * import { reasonsLine } from "./reasons.ts";
 * import { equal } from "node:assert/strict";
 * equal(
 *   reasonsLine([
 *     { feature: "recency_days", value: 200, typical: 40, effect: -120, direction: "lowers", text: "no purchase in 200 days (typical: 40 days)" },
 *     { feature: "frequency", value: 9, typical: 2, effect: 30, direction: "raises", text: "9 invoices in total (typical: 2)" },
 *   ]),
 *   "↓ no purchase in 200 days (typical: 40 days); ↑ 9 invoices in total (typical: 2)",
 * );
 * equal(reasonsLine([]), "");
 * ```
 *
 * @param reasons from {@link explainScore}
 */
export function reasonsLine(reasons: readonly Reason[]): string {
  return reasons.map((r) => `${r.direction === "raises" ? "↑" : "↓"} ${r.text}`).join("; ");
}
