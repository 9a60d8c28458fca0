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
