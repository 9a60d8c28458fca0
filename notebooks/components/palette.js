// Colour-blind-safe colours (Okabe & Ito, 2008) used across the report's charts.
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

/** "Before" (context, grey) and "after" (focus, blue) of a comparison. */
export const beforeAfter = { before: "#BBBBBB", after: okabeIto.blue };

/** Two measures side by side (customers vs revenue). */
export const pair = [okabeIto.blue, okabeIto.orange];

/** Sequential scheme for heatmaps (ColorBrewer YlGnBu: readable with colour-vision deficiency). */
export const sequentialScheme = "YlGnBu";

/**
 * Colours of K-Means clusters, in value order (index 0 = lowest value): distinct Okabe–Ito hues,
 * then greys if there are more than seven clusters.
 *
 * @param {number} k number of clusters
 */
export function clusterColors(k) {
  const hues = [
    okabeIto.orange,
    okabeIto.sky,
    okabeIto.blue,
    okabeIto.green,
    okabeIto.purple,
    okabeIto.vermillion,
    okabeIto.yellow,
  ];
  return Array.from({ length: k }, (_, i) => hues[i] ?? okabeIto.grey);
}

/**
 * Colours of ordered loyalty levels, lowest first: vermillion for the lowest (lapsed), blues of
 * increasing darkness for the higher ones (ordered and colour-blind safe).
 *
 * @param {number} n number of levels
 */
export function levelColors(n) {
  if (n <= 1) return [okabeIto.blue];
  const blues = n === 2 ? [okabeIto.blue] : n === 3 ? [okabeIto.sky, okabeIto.blue] : [
    ...Array.from({ length: n - 2 }, () => okabeIto.sky),
    okabeIto.blue,
  ];
  return [okabeIto.vermillion, ...blues];
}

/**
 * Colours of score bands, best first: blue (best) through light grey to vermillion (worst), a
 * diverging scale readable with colour-vision deficiency.
 *
 * @param {number} n number of bands
 */
export function bandColors(n) {
  const five = [okabeIto.blue, okabeIto.sky, "#BBBBBB", okabeIto.orange, okabeIto.vermillion];
  if (n === 5) return five;
  if (n <= 1) return [okabeIto.blue];
  // Sample the five-step scale evenly.
  return Array.from({ length: n }, (_, i) => five[Math.round((i * 4) / (n - 1))]);
}

/** Colours of the models compared on the loyalty page: the KNN in blue, baselines muted. */
export const modelColors = {
  knn: okabeIto.blue,
  logistic: okabeIto.sky,
  persistence: okabeIto.orange,
  majority: "#BBBBBB",
  original: okabeIto.purple,
};
