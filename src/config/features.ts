/**
 * The feature registry: every customer feature a model may use, with its label, unit, the kind
 * of value it holds (which fixes its input check) and its default transform. The model, the
 * scoring module, the report pages, the widget and the README all describe features from here.
 * Pure (no Deno or Node API): the browser bundle includes it.
 *
 * @module
 */

/** The kind of value a feature holds; it decides how an input is checked. */
export type FeatureKind = "days" | "count" | "money";

/** One customer feature. */
export interface FeatureInfo {
  /** Column name in the customer table (`customers.csv`). */
  name: string;
  /** Short label for people ("Recency"). */
  label: string;
  /** What one unit is ("days since the last purchase"); money features say "currency". */
  unit: string;
  /** Kind of value. */
  kind: FeatureKind;
  /** Transform applied before standardising, unless the configuration says otherwise. */
  transform: "log1p" | "none";
  /** One sentence for the Methods page and the README. */
  description: string;
}

/** The features, in their canonical order. */
export const FEATURES: readonly FeatureInfo[] = [
  {
    name: "recency_days",
    label: "Recency",
    unit: "days since the last purchase",
    kind: "days",
    transform: "log1p",
    description: "days from the last purchase's calendar day to the reference date",
  },
  {
    name: "frequency",
    label: "Frequency",
    unit: "invoices",
    kind: "count",
    transform: "log1p",
    description: "distinct invoices (purchase days when the data has no invoice)",
  },
  {
    name: "monetary",
    label: "Net revenue",
    unit: "currency",
    kind: "money",
    transform: "log1p",
    description: "revenue net of cancelled orders",
  },
  {
    name: "tenure_days",
    label: "Tenure",
    unit: "days since the first purchase",
    kind: "days",
    transform: "log1p",
    description: "days from the first purchase's calendar day to the reference date",
  },
  {
    name: "avg_order_value",
    label: "Average order value",
    unit: "currency",
    kind: "money",
    transform: "log1p",
    description: "net revenue divided by frequency",
  },
];

/** The feature names, in canonical order. */
export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

/**
 * The registry entry of a feature (or `undefined` for an unknown name).
 *
 * @example
 * ```ts
 * import { feature } from "./features.ts";
 * import { equal } from "node:assert/strict";
 * equal(feature("tenure_days")?.label, "Tenure");
 * equal(feature("shoe_size"), undefined);
 * ```
 */
export function feature(name: string): FeatureInfo | undefined {
  return FEATURES.find((f) => f.name === name);
}

/**
 * A feature's label with its unit for people, with money in the given currency
 * ("Net revenue (GBP)", "Recency (days since the last purchase)"); unknown names are returned
 * as they are.
 *
 * @example
 * ```ts
 * import { featureLabel } from "./features.ts";
 * import { equal } from "node:assert/strict";
 * equal(featureLabel("monetary", "GBP"), "Net revenue (GBP)");
 * equal(featureLabel("recency_days"), "Recency (days since the last purchase)");
 * ```
 */
export function featureLabel(name: string, currency?: string): string {
  const f = feature(name);
  if (!f) return name;
  const unit = f.kind === "money" ? currency ?? "" : f.unit;
  return unit ? `${f.label} (${unit})` : f.label;
}

/**
 * The labels of a list of features joined for a sentence ("recency, frequency and net revenue").
 *
 * @example
 * ```ts
 * import { featureList } from "./features.ts";
 * import { equal } from "node:assert/strict";
 * equal(featureList(["recency_days", "frequency", "monetary"]), "recency, frequency and net revenue");
 * ```
 */
export function featureList(names: readonly string[]): string {
  const labels = names.map((n) => (feature(n)?.label ?? n).toLowerCase());
  return labels.length <= 1
    ? labels.join("")
    : `${labels.slice(0, -1).join(", ")} and ${labels[labels.length - 1]}`;
}
