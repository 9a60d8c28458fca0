// Charts of the loyalty-model page. Each function takes data (from the loaders) and options
// `{width, ...}` and returns a Plot figure; the options it does not use itself (title, subtitle …)
// go to Plot.plot.
import * as Plot from "@observablehq/plot";
import { diagonalMark, groupedBarMarks, labelledBarsX } from "./marks.js";
import { chartWidth, countTicks, fmtDate, fmtFixed, fmtInt, fmtNum, fmtPct } from "./format.js";
import { bandColors, levelColors, meaning, modelColors, sequentialScheme } from "./palette.js";
import { plot } from "./plot.js";
import { DAY_MS, isoDay } from "./generated/workspace.js";

/** The UTC midnight of an ISO date. */
const day = (iso) => new Date(isoDay(iso) * DAY_MS);

/**
 * The forward model's time line as a diagram: what the features are computed from (transactions
 * before the cutoff), the outcome window the label is read from, and how today's scores use the
 * same recipe shifted to the analysis date.
 *
 * @param {{historyStart: string, cutoff: string, windowEnd: string, analysisDate: string, windowDays: number}} t
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function timelineDiagram(t, { width = 640, ...options } = {}) {
  width = chartWidth(width);
  const narrow = width < 560;
  const rows = narrow ? ["Training", "Today"] : ["Training", "Scoring today"];
  const futureEnd = new Date((isoDay(t.analysisDate) + t.windowDays) * DAY_MS);
  const start = day(t.historyStart);
  const marginLeft = narrow ? 64 : 100;
  const marginRight = 16;
  const pxPerMs = (width - marginLeft - marginRight) / (+futureEnd - +start);
  // Each bar gets the longest of its labels that fits inside it (about 6.3 px per character).
  const fit = (x1, x2, labels) => {
    const room = (+x2 - +x1) * pxPerMs - 10;
    return labels.find((l) => l.length * 6.3 <= room) ?? "";
  };
  const bars = [
    [rows[0], start, day(t.cutoff), "#4D4D4D", "white", [
      "Features: purchases before the cutoff",
      "Features (before cutoff)",
      "Features",
    ]],
    [rows[0], day(t.cutoff), day(t.windowEnd), "#A8A8A8", "black", [
      "Outcome window: invoices → level",
      "Outcome window",
      "Outcome",
    ]],
    [rows[1], start, day(t.analysisDate), "#6F6F6F", "white", [
      "Features: all purchases to the analysis date",
      "Features: all purchases",
      "Features",
    ]],
    [rows[1], day(t.analysisDate), futureEnd, "#D6D6D6", "black", [
      "Predicted level (not in the data)",
      "Predicted level",
      "Predicted",
    ]],
  ].map(([row, x1, x2, fill, ink, labels]) => ({
    row,
    x1,
    x2,
    fill,
    ink,
    label: fit(x1, x2, labels),
  }));
  const same = t.windowEnd.slice(0, 10) === t.analysisDate.slice(0, 10);
  const rules = [
    { x: day(t.cutoff), label: `cutoff ${fmtDate(t.cutoff)}` },
    {
      x: day(t.analysisDate),
      label: same && !narrow
        ? `window end = analysis date ${fmtDate(t.analysisDate)}`
        : `analysis date ${fmtDate(t.analysisDate)}`,
    },
    ...(same ? [] : [{ x: day(t.windowEnd), label: `window end ${fmtDate(t.windowEnd)}` }]),
  ];
  // Each label on its own line above the chart, later dates on higher lines (so an earlier rule,
  // which stops at its own line, never crosses a later label). A label goes to the right of its
  // rule when it fits there without crossing a later rule, else to the left if it fits there.
  const px = rules.map((r) => marginLeft + (+r.x - +start) * pxPerMs);
  rules.forEach((r, i) => {
    const w = r.label.length * (narrow ? 5.8 : 6.3);
    const right = px[i] + 4 + w <= width - 4 &&
      !px.some((x, j) => j > i && x > px[i] && x < px[i] + w + 8);
    const left = px[i] - 4 - w >= 0;
    r.line = rules.length - 1 - i;
    r.anchor = right || !left ? "start" : "end";
  });
  const lineHeight = 14;
  const top = 10 + rules.length * lineHeight;
  return plot({
    ...options,
    width,
    height: 140 + top,
    marginLeft,
    marginRight,
    marginTop: top,
    x: { type: "utc", label: null, ticks: narrow ? 4 : 8, grid: true, domain: [start, futureEnd] },
    y: { domain: rows, label: null, tickSize: 0, padding: 0.22 },
    marks: [
      Plot.barX(bars, {
        x1: "x1",
        x2: "x2",
        y: "row",
        fill: "fill",
        stroke: "var(--theme-background)",
        strokeWidth: 2,
        title: (d) => `${fmtDate(d.x1.toISOString())} – ${fmtDate(d.x2.toISOString())}`,
      }),
      Plot.text(bars, {
        x: (d) => new Date((+d.x1 + +d.x2) / 2),
        y: "row",
        text: "label",
        fill: "ink",
        fontSize: 11,
      }),
      ...rules.map((r) =>
        Plot.ruleX([r], {
          x: "x",
          stroke: "currentColor",
          strokeDasharray: "3,3",
          insetTop: -(top - 6 - r.line * lineHeight),
        })
      ),
      ...rules.map((r) =>
        Plot.text([r], {
          x: "x",
          frameAnchor: "top",
          dy: -(top - 10 - r.line * lineHeight),
          dx: r.anchor === "end" ? -4 : 4,
          text: "label",
          textAnchor: r.anchor,
          fontWeight: "bold",
          fontSize: narrow ? 10 : 11,
        })
      ),
    ],
  });
}

/**
 * Customers per category as horizontal bars in the given order, each labelled with its count and
 * share of all: the common form of {@link classBalanceChart} and {@link bandCountsChart}.
 *
 * @param {{name: string, customers: number}[]} rows categories in display order (top first)
 * @param {{colors: string[], rowHeight: number, marginLeft: number, digits?: number, tickFormat?: (name: string) => string, width: number}} options
 *   a colour per row, the height of a row, the share's decimals; other options go to Plot.plot
 */
function customerBars(
  rows,
  { colors, rowHeight, marginLeft, digits = 1, tickFormat, width, ...options },
) {
  const total = rows.reduce((s, r) => s + r.customers, 0);
  const data = rows.map((r, i) => ({
    ...r,
    share: total ? r.customers / total : 0,
    color: colors[i],
  }));
  return plot({
    ...options,
    width,
    height: rows.length * rowHeight + 50,
    marginLeft,
    marginRight: 110,
    x: { label: "Customers →", grid: true, ...countTicks(width, 8) },
    y: { domain: rows.map((r) => r.name), label: null, tickSize: 0, tickFormat },
    marks: labelledBarsX(data, {
      x: "customers",
      y: "name",
      fill: "color",
      text: (d) => `${fmtInt(d.customers)} (${fmtPct(d.share, digits)})`,
    }),
  });
}

/**
 * Customers per loyalty level (horizontal bars, labelled with count and share).
 *
 * @param {string[]} levels level names, lowest first
 * @param {number[]} counts customers per level
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function classBalanceChart(levels, counts, { width = 640, ...options } = {}) {
  return customerBars(levels.map((name, i) => ({ name, customers: counts[i] })), {
    ...options,
    width: chartWidth(width),
    colors: levelColors(levels.length),
    rowHeight: 40,
    marginLeft: 90,
  });
}

/**
 * The cross-validation curve: the selection criterion, ½ (AUC of the top level + AUC of the
 * lowest), as a mean over the folds (± one standard deviation as a band) by k, one line per vote
 * weighting, the chosen configuration circled (the criterion the rule picks by, so the circle
 * sits at the top of the curve or within its tie tolerance).
 *
 * @param {{k: number, weighting: string, meanAuc: number, sdAuc: number, meanMacroF1: number}[]} curve
 * @param {{chosen: {k: number, weighting: string}, folds?: number, width?: number, title?: string, subtitle?: string}} options
 */
export function tuningCurve(curve, { chosen, folds, width = 640, ...options } = {}) {
  width = chartWidth(width);
  const weightings = [...new Set(curve.map((d) => d.weighting))];
  const colors = [meaning.model, "#8C8C8C", "#C4C4C4"];
  const data = curve.map((d) => ({
    ...d,
    lo: d.meanAuc - d.sdAuc,
    hi: d.meanAuc + d.sdAuc,
  }));
  const best = data.filter((d) => d.k === chosen.k && d.weighting === chosen.weighting);
  const ks = [...new Set(curve.map((d) => d.k))].sort((a, b) => a - b);
  const narrow = width < 520;
  return plot({
    ...options,
    width,
    height: Math.min(340, Math.max(240, width * 0.5)),
    marginLeft: 50,
    marginTop: 24,
    x: {
      type: "log",
      label: "k (number of neighbours, log scale) →",
      ticks: narrow ? ks.filter((_, i) => i % 2 === 0) : ks,
      tickFormat: "d",
    },
    y: {
      label: narrow
        ? "↑ Criterion (mean ± 1 sd)"
        : `↑ ½ (AUC loyal + AUC lapsed), mean of ${folds ?? "the"} folds ± 1 sd (axis not from 0)`,
      grid: true,
      tickFormat: (x) => fmtNum(x, 2),
    },
    color: {
      domain: weightings,
      range: colors.slice(0, weightings.length),
      legend: true,
      tickFormat: (w) => (w === "uniform" ? "uniform votes" : "votes weighted by 1/distance"),
    },
    marks: [
      Plot.areaY(data, {
        x: "k",
        y1: "lo",
        y2: "hi",
        fill: "weighting",
        fillOpacity: 0.15,
        curve: "linear",
      }),
      Plot.line(data, { x: "k", y: "meanAuc", stroke: "weighting", strokeWidth: 2 }),
      Plot.dot(data, {
        x: "k",
        y: "meanAuc",
        fill: "weighting",
        r: 3,
        tip: true,
        title: (d) =>
          `k = ${d.k}, ${d.weighting}\ncriterion ${fmtNum(d.meanAuc, 3)} ± ${
            fmtNum(d.sdAuc, 3)
          }\nmacro F1 ${fmtNum(d.meanMacroF1, 3)}`,
      }),
      Plot.dot(best, {
        x: "k",
        y: "meanAuc",
        r: 9,
        stroke: "currentColor",
        strokeWidth: 2.5,
      }),
      Plot.text(best, {
        x: "k",
        y: "meanAuc",
        text: (d) => `chosen: k = ${d.k}, ${d.weighting}`,
        dy: -18,
        textAnchor: "end",
        fill: "currentColor",
        fontWeight: "bold",
      }),
    ],
  });
}

/**
 * Confusion matrix as a heatmap: actual level (rows) × predicted level (columns); colour = share
 * of the actual level's customers (so the diagonal is each level's recall), label = count and
 * share.
 *
 * @param {number[][]} confusion `[actual][predicted]` counts
 * @param {string[]} levels class names
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function confusionHeatmap(confusion, levels, { width = 480, ...options } = {}) {
  width = chartWidth(width);
  const cells = [];
  confusion.forEach((row, a) => {
    const total = row.reduce((s, x) => s + x, 0);
    row.forEach((n, p) =>
      cells.push({
        actual: levels[a],
        predicted: levels[p],
        n,
        share: total ? n / total : 0,
        diagonal: a === p,
      })
    );
  });
  const size = Math.min(width, 460);
  return plot({
    ...options,
    width: size,
    height: size * 0.78,
    marginLeft: 96,
    marginTop: 40,
    marginBottom: 16,
    padding: 0.04,
    x: { domain: levels, axis: "top", label: "Predicted level →", tickSize: 0 },
    y: { domain: levels, label: "↓ Actual level", tickSize: 0 },
    color: {
      type: "linear",
      scheme: sequentialScheme,
      domain: [0, 1],
      tickFormat: (x) => `${Math.round(x * 100)}`,
      legend: true,
      label: "Share of the actual level (%)",
      width: Math.min(300, size),
    },
    marks: [
      Plot.cell(cells, {
        x: "predicted",
        y: "actual",
        fill: "share",
        tip: true,
        title: (d) =>
          `actual ${d.actual}, predicted ${d.predicted}: ${fmtInt(d.n)} customers (${
            fmtPct(d.share)
          } of the ${d.actual})`,
      }),
      Plot.cell(cells.filter((d) => d.diagonal), {
        x: "predicted",
        y: "actual",
        stroke: "currentColor",
        strokeWidth: 1.5,
        inset: 1,
      }),
      Plot.text(cells, {
        x: "predicted",
        y: "actual",
        text: (d) => `${fmtInt(d.n)}\n${fmtPct(d.share, 0)}`,
        fill: (d) => (d.share > 0.45 ? "white" : "black"),
        fontSize: 12,
        lineHeight: 1.2,
      }),
    ],
  });
}

/**
 * Precision, recall and F1 per class as grouped horizontal bars.
 *
 * @param {{name: string, precision: number, recall: number, f1: number, support: number}[]} perClass
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function perClassChart(perClass, { width = 640, ...options } = {}) {
  width = chartWidth(width);
  const measures = ["precision", "recall", "f1"];
  const labels = { precision: "Precision", recall: "Recall", f1: "F1" };
  const data = perClass.flatMap((c) =>
    measures.map((m) => ({ level: c.name, measure: labels[m], value: c[m], support: c.support }))
  );
  return plot({
    ...options,
    width,
    height: perClass.length * 78 + 60,
    marginLeft: 90,
    marginRight: 46,
    x: { domain: [0, 1], label: "Value (0–1) →", grid: true, ticks: width < 520 ? 5 : 10 },
    y: { axis: null, domain: measures.map((m) => labels[m]) },
    fy: { domain: perClass.map((c) => c.name), label: null },
    color: {
      domain: measures.map((m) => labels[m]),
      range: ["#444444", "#8C8C8C", "#C4C4C4"],
      legend: true,
    },
    marks: groupedBarMarks(data, { y: "measure", fy: "level", format: (v) => fmtFixed(v, 2) }),
  });
}

/**
 * The model and its baselines side by side: one panel per metric, one bar per model.
 *
 * @param {{name: string, key: string, accuracy: number, balancedAccuracy: number, macroF1: number, aucTop: number | null}[]} models
 * @param {{topLevel?: string, width?: number, title?: string, subtitle?: string}} options
 */
export function baselineChart(
  models,
  { topLevel = "top level", width = 640, ...options } = {},
) {
  width = chartWidth(width);
  const metrics = [
    ["accuracy", "Accuracy"],
    ["balancedAccuracy", "Balanced accuracy"],
    ["macroF1", "Macro F1"],
    ["aucTop", `AUC (${topLevel} vs rest)`],
  ];
  const data = metrics.flatMap(([key, label]) =>
    models.filter((m) => m[key] != null).map((m) => ({
      metric: label,
      model: m.name,
      key: m.key,
      value: m[key],
    }))
  );
  const narrow = width < 520;
  const metricLabels = metrics.map((m) => m[1]);
  return plot({
    ...options,
    width,
    height: metrics.length * (models.length * 20 + 34) + 70,
    marginLeft: 10,
    marginRight: 46,
    marginTop: 22,
    x: {
      domain: [0, 1],
      label: "Value (0–1; higher is better) →",
      grid: true,
      ticks: narrow ? 5 : 10,
    },
    y: { domain: models.map((m) => m.name), axis: null, padding: 0.15 },
    fy: { domain: metricLabels, axis: null, padding: 0.3 },
    color: {
      domain: models.map((m) => m.name),
      range: models.map((m) => modelColors[m.key] ?? "#999999"),
      legend: true,
    },
    marks: [
      Plot.text(metricLabels, {
        fy: (d) => d,
        frameAnchor: "top-left",
        dy: -16,
        text: (d) => d,
        fontWeight: "bold",
        fontSize: 12,
      }),
      ...groupedBarMarks(data, { y: "model", fy: "metric", format: (v) => fmtFixed(v, 3) }),
    ],
  });
}

/**
 * Observed rate of the top level per score band on the held-out customers (bars, best band first
 * as everywhere in the report), with the overall rate as a reference line.
 *
 * @param {{band: string, minScore: number, maxScore: number, customers: number, top: number, topRate: number | null}[]} bands
 * @param {{topLevel?: string, width?: number, title?: string, subtitle?: string}} options
 */
export function bandRateChart(
  bands,
  { topLevel = "top level", width = 640, ...options } = {},
) {
  width = chartWidth(width);
  const total = bands.reduce((s, b) => s + b.customers, 0);
  const overall = total ? bands.reduce((s, b) => s + b.top, 0) / total : 0;
  const colors = bandColors(bands.length);
  const data = bands.map((b, i) => ({
    ...b,
    label: `${b.band} (${fmtInt(Math.ceil(b.minScore))}–${fmtInt(Math.floor(b.maxScore))})`,
    color: colors[i],
  })); // best band first, as in every table and list of the report
  const narrow = width < 520;
  return plot({
    ...options,
    subtitle: `${options.subtitle ? `${options.subtitle}; ` : ""}dashed line: all held-out ` +
      `customers (${fmtPct(overall, 0)})`,
    width,
    height: Math.min(320, Math.max(240, width * 0.45)),
    marginLeft: 50,
    marginTop: 24,
    x: {
      domain: data.map((d) => d.label),
      label: "Score band, best first (score range) →",
      tickFormat: (l) => (narrow ? l.split(" ")[0] : l),
    },
    y: {
      domain: [0, 1],
      tickFormat: (x) => `${Math.round(x * 100)}`,
      label: `↑ Observed “${topLevel}” rate (%)`,
      grid: true,
    },
    marks: [
      Plot.barY(data.filter((d) => d.topRate !== null), {
        x: "label",
        y: "topRate",
        fill: "color",
        tip: true,
        title: (d) =>
          `band ${d.band}: ${fmtInt(d.top)} of ${
            fmtInt(d.customers)
          } held-out customers were ${topLevel}`,
      }),
      Plot.ruleY([overall], { stroke: "currentColor", strokeDasharray: "4,3" }),
      Plot.text(data.filter((d) => d.topRate !== null), {
        x: "label",
        y: "topRate",
        text: (
          d,
        ) => (narrow ? fmtPct(d.topRate, 0) : `${fmtPct(d.topRate, 0)} of ${fmtInt(d.customers)}`),
        dy: -8,
        fill: "currentColor",
        stroke: "var(--theme-background)",
        strokeWidth: 3,
        paintOrder: "stroke",
      }),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * Cumulative gains: share of the top level's customers captured (y) against the share of
 * customers contacted, best score first (x), with the random-contact diagonal.
 *
 * @param {{share: number, captured: number}[]} curve from `gainsCurve` (starts at 0, 0)
 * @param {{topLevel?: string, width?: number, title?: string, subtitle?: string}} options
 */
export function gainsChart(
  curve,
  {
    topLevel = "top level",
    color = meaning.model,
    xLabel = "Customers contacted, highest score first (%) →",
    yLabel,
    width = 520,
    ...options
  } = {},
) {
  width = chartWidth(width);
  const size = Math.min(width, 520);
  const marks = size < 420 ? [0.2] : [0.2, 0.5];
  const marked = curve.filter((d) => marks.some((m) => Math.abs(d.share - m) < 1e-9));
  return plot({
    ...options,
    width: size,
    height: size * 0.85,
    marginLeft: 50,
    marginRight: 20,
    x: {
      domain: [0, 1],
      tickFormat: (x) => `${Math.round(x * 100)}`,
      label: xLabel,
      grid: true,
    },
    y: {
      domain: [0, 1],
      tickFormat: (x) => `${Math.round(x * 100)}`,
      label: yLabel ?? `↑ Share of all “${topLevel}” customers reached (%)`,
      grid: true,
    },
    marks: [
      diagonalMark(),
      Plot.text([{ x: 0.62, y: 0.62 }], {
        x: "x",
        y: "y",
        text: () => "random order",
        rotate: -Math.atan(0.85) * (180 / Math.PI),
        dy: 10,
        fill: "currentColor",
        fontSize: 10,
      }),
      Plot.line(curve, { x: "share", y: "captured", stroke: color, strokeWidth: 2.5 }),
      Plot.dot(curve, {
        x: "share",
        y: "captured",
        fill: color,
        r: 3,
        tip: true,
        title: (d) => `first ${fmtPct(d.share, 0)}: ${fmtPct(d.captured)} of ${topLevel}`,
      }),
      Plot.text(marked, {
        x: "share",
        y: "captured",
        text: (d) => `first ${fmtPct(d.share, 0)} → ${fmtPct(d.captured, 0)}`,
        dx: 6,
        dy: 10,
        textAnchor: "start",
        fill: "currentColor",
        stroke: "var(--theme-background)",
        strokeWidth: 3,
        paintOrder: "stroke",
        fontWeight: "bold",
      }),
    ],
  });
}

/**
 * Customers per score band today (horizontal bars, best band on top), labelled with the count and
 * share.
 *
 * @param {{band: string, customers: number}[]} bands best first
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function bandCountsChart(bands, { width = 640, ...options } = {}) {
  return customerBars(bands.map((b) => ({ name: b.band, customers: b.customers })), {
    ...options,
    width: chartWidth(width),
    colors: bandColors(bands.length),
    rowHeight: 30,
    marginLeft: 64,
    digits: 0,
    tickFormat: (b) => `band ${b}`,
  });
}

/**
 * Reliability of predicted probabilities: mean predicted probability (x) against the observed
 * rate (y) per bin, with the diagonal of perfect calibration; dot size = customers in the bin.
 *
 * @param {{lo: number, hi: number, customers: number, meanPredicted: number | null, observedRate: number | null}[]} bins
 * @param {{color?: string, label?: string, width?: number, title?: string, subtitle?: string}} options
 */
export function reliabilityChart(
  bins,
  { color = meaning.model, label = "the level", width = 420, ...options } = {},
) {
  width = chartWidth(width);
  const size = Math.min(width, 420);
  const data = bins.filter((b) => b.meanPredicted !== null && b.observedRate !== null);
  return plot({
    ...options,
    width: size,
    height: size * 0.9,
    marginLeft: 50,
    x: {
      domain: [0, 1],
      label: `Predicted probability of ${label} (%) →`,
      tickFormat: (x) => `${Math.round(x * 100)}`,
      grid: true,
    },
    y: {
      domain: [0, 1],
      label: `↑ Observed share (%)`,
      tickFormat: (x) => `${Math.round(x * 100)}`,
      grid: true,
    },
    r: { range: [2, 9] },
    marks: [
      diagonalMark(),
      Plot.line(data, { x: "meanPredicted", y: "observedRate", stroke: color, strokeWidth: 2 }),
      Plot.dot(data, {
        x: "meanPredicted",
        y: "observedRate",
        r: "customers",
        fill: color,
        tip: true,
        title: (d) =>
          `predicted ${fmtPct(d.lo, 0)}–${fmtPct(d.hi, 0)}: ${fmtInt(d.customers)} customers, ` +
          `mean prediction ${fmtPct(d.meanPredicted)}, observed ${fmtPct(d.observedRate)}`,
      }),
    ],
  });
}

/**
 * The model minus each baseline on one metric, with the 95 % paired-bootstrap interval of the
 * difference: a dot and a bar per baseline; right of zero the model is ahead. A bar that crosses
 * zero means the difference could be chance.
 *
 * @param {{name: string, key: string, estimate: number, lo: number, hi: number}[]} rows
 * @param {{metric?: string, width?: number, title?: string, subtitle?: string}} options
 */
export function differenceChart(rows, { metric = "macro F1", width = 640, ...options } = {}) {
  width = chartWidth(width);
  const narrow = width < 520;
  const extent = Math.max(0.02, ...rows.flatMap((r) => [Math.abs(r.lo), Math.abs(r.hi)]));
  return plot({
    ...options,
    width,
    height: rows.length * 36 + 70,
    marginLeft: narrow ? 145 : 190,
    marginRight: 20,
    x: {
      domain: [-extent * 1.1, extent * 1.1],
      label: `KNN − baseline, ${metric} (right of 0: the KNN is ahead) →`,
      grid: true,
      ticks: narrow ? 3 : 8,
      tickFormat: (v) => fmtFixed(v, 2),
    },
    y: { domain: rows.map((r) => r.name), label: null, tickSize: 0 },
    marks: [
      Plot.ruleX([0], { stroke: meaning.emphasis }),
      Plot.ruleY(rows, {
        y: "name",
        x1: "lo",
        x2: "hi",
        stroke: meaning.emphasis,
        strokeWidth: 3,
      }),
      Plot.dot(rows, { y: "name", x: "estimate", fill: meaning.model, r: 5 }),
      Plot.tip(
        rows,
        Plot.pointerY({
          y: "name",
          x: "estimate",
          title: (r) =>
            `${r.name}: ${fmtFixed(r.estimate, 3)} (95 % interval ${fmtFixed(r.lo, 3)} to ${
              fmtFixed(r.hi, 3)
            })`,
        }),
      ),
    ],
  });
}

/**
 * Population stability index of each feature (and of the score), today's customers against the
 * training customers, with the usual readings: below `moderate` stable, from `moderate` to
 * `significant` a moderate shift, above it a significant one (dashed rules at both).
 *
 * @param {{label: string, psi: number, level: string}[]} rows
 * @param {{thresholds: {moderate: number, significant: number}, width?: number, title?: string, subtitle?: string}} options
 */
export function psiChart(rows, { thresholds, width = 640, ...options } = {}) {
  width = chartWidth(width);
  const narrow = width < 520;
  const max = Math.max(thresholds.significant * 1.2, ...rows.map((r) => r.psi));
  // Greys of rising darkness: a warning's strength, not a colour with another meaning.
  const fill = { stable: "#CCCCCC", moderate: "#8C8C8C", significant: "#3F3F3F" };
  return plot({
    ...options,
    width,
    // On a phone long feature names wrap onto two lines (never clipped at the left edge).
    height: rows.length * (narrow ? 32 : 24) + 80,
    marginLeft: narrow ? 120 : 200,
    marginRight: 48,
    x: { domain: [0, max * 1.05], label: "PSI (0 = same distribution) →", grid: true, ticks: 5 },
    y: { domain: rows.map((r) => r.label), label: null, tickSize: 0 },
    color: {
      domain: ["stable", "moderate", "significant"],
      range: [fill.stable, fill.moderate, fill.significant],
      legend: true,
      tickFormat: (l) =>
        l === "stable"
          ? `stable (< ${thresholds.moderate})`
          : l === "moderate"
          ? `moderate shift (${thresholds.moderate}–${thresholds.significant})`
          : `significant shift (≥ ${thresholds.significant})`,
    },
    marks: [
      Plot.axisY({ label: null, tickSize: 0, lineWidth: narrow ? 9 : 30, fontSize: 11 }),
      Plot.barX(rows, { y: "label", x: "psi", fill: "level" }),
      Plot.text(rows, {
        y: "label",
        x: "psi",
        text: (r) => fmtFixed(r.psi, 2),
        dx: 4,
        textAnchor: "start",
        fontSize: 11,
      }),
      Plot.ruleX([thresholds.moderate, thresholds.significant], {
        stroke: meaning.emphasis,
        strokeDasharray: "4 3",
      }),
      Plot.ruleX([0]),
    ],
  });
}
