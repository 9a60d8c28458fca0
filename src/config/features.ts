/**
 * The feature registry: every customer feature a model may use, with its label, unit, the kind
 * of value it holds (which fixes its input check) and its default transform. The model, the
 * scoring module, the report pages, the widget and the README all describe features from here.
 * Pure (no Deno or Node API): the browser bundle includes it.
 *
 * @module
 */

/**
 * The kind of value a feature holds; it decides how an input is checked: `days` (≥ 0), `count`
 * (a whole number ≥ {@link FeatureInfo.min}), `money` (≥ 0), `ratio` (within
 * {@link FeatureInfo.range}).
 */
export type FeatureKind = "days" | "count" | "money" | "ratio";

/**
 * Where a feature looks: `history` — every purchase before the reference date (the RFM metrics of
 * the customer table, and the K-Means segments); `window` — only the look-back window of
 * `model.loyalty.lookbackDays` days ending at the reference date (the loyalty model), so that a
 * feature means the same at a training cutoff and on the analysis date.
 */
export type FeatureScope = "history" | "window";

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
  /** Where the feature looks (default `history`). */
  scope?: FeatureScope;
  /**
   * Days of the window a `window` feature counts over (90 = the last 90 days before the reference
   * date); absent for features bounded by the whole look-back.
   */
  windowDays?: number;
  /** Whether the value is capped at the look-back (recency, tenure, gap between purchases). */
  capped?: boolean;
  /** Smallest value of a `count` feature (default 1). */
  min?: number;
  /** Allowed interval of a `ratio` feature, both ends included. */
  range?: readonly [number, number];
  /** Canonical columns the data must have for the feature to be computed (e.g. `stock_code`). */
  needs?: readonly ("invoice" | "stock_code")[];
}

/** The look-back windows of the windowed count, value and product features, in days. */
export const WINDOW_DAYS: readonly number[] = [90, 180, 365];

/** The windowed count, value and product features of one window (`invoices_90d` …). */
function windowFamily(days: number): FeatureInfo[] {
  return [
    {
      name: `invoices_${days}d`,
      label: `Invoices, last ${days} days`,
      unit: "invoices",
      kind: "count",
      min: 0,
      transform: "log1p",
      description: `distinct invoices in the ${days} days before the reference date ` +
        "(purchase days when the data has no invoice)",
      scope: "window",
      windowDays: days,
    },
    {
      name: `value_${days}d`,
      label: `Net revenue, last ${days} days`,
      unit: "currency",
      kind: "money",
      transform: "log1p",
      description: `revenue net of cancelled orders in the ${days} days before the reference date`,
      scope: "window",
      windowDays: days,
    },
    {
      name: `products_${days}d`,
      label: `Products, last ${days} days`,
      unit: "products",
      kind: "count",
      min: 0,
      transform: "log1p",
      description: `distinct products (stock codes) bought in the ${days} days before the ` +
        "reference date",
      scope: "window",
      windowDays: days,
      needs: ["stock_code"],
    },
  ];
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
  {
    name: "recency_window_days",
    label: "Recency (look-back)",
    unit: "days since the last purchase, capped at the look-back",
    kind: "days",
    transform: "log1p",
    description: "days from the last purchase's calendar day to the reference date, at most the " +
      "look-back (the look-back itself when there is no purchase in it)",
    scope: "window",
    capped: true,
  },
  {
    name: "tenure_window_days",
    label: "Tenure (look-back)",
    unit: "days since the first purchase, capped at the look-back",
    kind: "days",
    transform: "log1p",
    description: "days from the first purchase's calendar day to the reference date, at most the " +
      "look-back (a customer for the whole look-back or longer has the look-back)",
    scope: "window",
    capped: true,
  },
  ...WINDOW_DAYS.flatMap(windowFamily),
  {
    name: "invoices_lookback",
    label: "Invoices in the look-back",
    unit: "invoices",
    kind: "count",
    min: 0,
    transform: "log1p",
    description: "distinct invoices in the whole look-back before the reference date (purchase " +
      "days when the data has no invoice)",
    scope: "window",
  },
  {
    name: "value_lookback",
    label: "Net revenue in the look-back",
    unit: "currency",
    kind: "money",
    transform: "log1p",
    description: "revenue net of cancelled orders in the whole look-back before the reference date",
    scope: "window",
  },
  {
    name: "products_lookback",
    label: "Products in the look-back",
    unit: "products",
    kind: "count",
    min: 0,
    transform: "log1p",
    description: "distinct products (stock codes) bought in the whole look-back",
    scope: "window",
    needs: ["stock_code"],
  },
  {
    name: "gap_days",
    label: "Days between purchases",
    unit: "days, capped at the look-back",
    kind: "days",
    transform: "log1p",
    description: "mean gap between the distinct purchase days inside the look-back, (last − " +
      "first) / (days − 1); the look-back when it holds fewer than two purchase days",
    scope: "window",
    capped: true,
  },
  {
    name: "activity_trend",
    label: "Activity trend",
    unit: "from −1 (only earlier) to +1 (only recent)",
    kind: "ratio",
    range: [-1, 1],
    transform: "none",
    description:
      "(invoices in the recent half of the look-back − invoices in the earlier half) / " +
      "invoices in the look-back; 0 without any",
    scope: "window",
  },
  {
    name: "bgnbd_expected",
    label: "Expected purchases (BG/NBD)",
    unit: "purchases expected in the outcome window",
    kind: "ratio",
    range: [0, 100_000],
    transform: "log1p",
    description: "purchases the BG/NBD model (Fader, Hardie and Lee 2005) expects in the next " +
      "outcome-window days, fitted on every customer's purchase days before the reference date " +
      "(whole history, not only the look-back; nothing after the reference date)",
    scope: "window",
  },
  {
    name: "returns_share",
    label: "Returns share",
    unit: "share of ordered value",
    kind: "ratio",
    range: [0, 1],
    transform: "none",
    description: "value of cancellation lines (returns and cancelled orders) in the look-back / " +
      "(that value + net revenue in the look-back); 0 without any",
    scope: "window",
    needs: ["invoice"],
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
