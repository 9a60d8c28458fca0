// The report's colours, one meaning each across every page (colour-blind-safe hues: Okabe & Ito,
// 2008, and ColorBrewer's PuOr and YlGnBu):
//
// - blue: customers (counts of customers, the lines kept);
// - green: money (revenue);
// - the purple → orange scale: the loyalty model's outlook, from likely to stay (band A, the top
//   loyalty level) to likely to lapse (band E, "lapsed"); orange means lapse risk and nothing else;
// - greys: context, references and the baselines the model is compared with;
// - K-Means clusters, drawn on their own page only, get hues none of the above use.
//
// Text on a coloured fill picks black or white by the fill's lightness (`inkOn`).

/** Okabe–Ito hues (reference). */
export const okabeIto = {
  blue: "#0072B2",
  orange: "#E69F00",
  sky: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  vermillion: "#D55E00",
  purple: "#CC79A7",
  grey: "#999999",
};

/** What a colour means. */
export const meaning = {
  customers: "#0072B2",
  revenue: "#009E73",
  /** Dark grey for emphasis that is not data (chosen k, thresholds, dropped lines). */
  emphasis: "#555555",
  /** Light grey for context (before cleaning, a reference line). */
  context: "#BBBBBB",
  /** The model (ours) in comparisons. */
  model: "#5E3C99",
};

/** "Before" (context, grey) and "after" (the kept lines, blue) of a comparison. */
export const beforeAfter = { before: meaning.context, after: meaning.customers };

/** Customers and revenue side by side. */
export const pair = [meaning.customers, meaning.revenue];

/** Sequential scheme for heatmaps of shares (ColorBrewer YlGnBu). */
export const sequentialScheme = "YlGnBu";

/** The outlook scale, best first: dark purple, light purple, grey, light orange, dark orange. */
const OUTLOOK = ["#5E3C99", "#B2ABD2", "#A9A9A9", "#FDB863", "#E66101"];

/**
 * Colours of score bands, best first (the outlook scale, sampled evenly for other counts).
 *
 * @param {number} n number of bands
 */
export function bandColors(n) {
  if (n <= 1) return [OUTLOOK[0]];
  return Array.from({ length: n }, (_, i) => OUTLOOK[Math.round((i * 4) / (n - 1))]);
}

/**
 * Colours of ordered loyalty levels, lowest (lapsed) first: the outlook scale reversed.
 *
 * @param {number} n number of levels
 */
export function levelColors(n) {
  return bandColors(n).reverse();
}

/**
 * Colours of K-Means clusters, in value order: hues that mean nothing else in the report.
 *
 * @param {number} k number of clusters
 */
export function clusterColors(k) {
  const hues = ["#56B4E9", "#CC79A7", "#999933", "#44AA99", "#DDCC77", "#882255", "#332288"];
  return Array.from({ length: k }, (_, i) => hues[i] ?? "#777777");
}

/** Colours of the models compared on the loyalty page: ours in purple, baselines in greys. */
export const modelColors = {
  knn: meaning.model,
  logistic: "#6F6F6F",
  gbm: "#8C8C8C",
  persistence: "#A8A8A8",
  bgnbd: "#C4C4C4",
  majority: "#DADADA",
  original: "#CC79A7",
};

/**
 * Black or white text for a fill colour (#rrggbb), whichever reads better.
 *
 * @param {string} fill
 */
export function inkOn(fill) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(fill ?? "");
  if (!m) return "black";
  const [r, g, b] = m.slice(1).map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return l > 0.22 ? "black" : "white";
}
