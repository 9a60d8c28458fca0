// Charts and table helpers of the RFM page. Each chart function takes data (from the loaders) and
// options `{width, ...}` and returns a Plot figure; the options it does not use itself (title,
// subtitle …) go to Plot.plot.
import * as Plot from "@observablehq/plot";
import { groupedBarMarks } from "./marks.js";
import {
  chartWidth,
  currencySymbol,
  fmtInt,
  fmtLogTick,
  fmtMoney,
  fmtMoneyShort,
  fmtNum,
  fmtPct,
  logTicks,
} from "./format.js";
import { meaning, pair, sequentialScheme } from "./palette.js";
import { plot } from "./plot.js";

/** Cells of a heatmap with fewer customers than this are greyed out: their means are noise. */
export const FEW_CUSTOMERS = 20;

/**
 * Score ranges of one metric from its cut points: a value ≤ cuts[i] falls in bin i + 1 or lower;
 * the score is the bin (or bins + 1 − bin when lower values are better, as for recency).
 *
 * @param {{cuts: number[], higherIsBetter: boolean, counts: number[], shares: number[]}} t thresholds of the metric
 * @param {{integer?: boolean, min?: number, format?: (x: number) => string}} options
 *   `min`: the smallest value of the metric, to write the lowest integer range as "1–19", not "≤ 19"
 * @returns {{score: number, range: string, low: number | null, high: number | null, customers: number, share: number}[]}
 *   best score first
 */
export function scoreRanges(t, { integer = false, min, format = (x) => fmtNum(x, 2) } = {}) {
  const nBins = t.counts.length;
  const offset = nBins - 1 - t.cuts.length;
  const rows = [];
  for (let b = 1; b <= t.cuts.length + 1; b++) {
    const low = b === 1 ? null : t.cuts[b - 2];
    const high = b === t.cuts.length + 1 ? null : t.cuts[b - 1];
    let range;
    if (integer) {
      const lo = low === null ? (min ?? null) : low + 1;
      if (lo === null) range = `≤ ${format(high)}`;
      else if (high === null) range = `≥ ${format(lo)}`;
      else range = lo === high ? `${format(lo)}` : `${format(lo)}–${format(high)}`;
    } else {
      if (low === null) range = `≤ ${format(high)}`;
      else if (high === null) range = `> ${format(low)}`;
      else range = `> ${format(low)} and ≤ ${format(high)}`;
    }
    const bin = b + offset;
    const score = t.higherIsBetter ? bin : nBins + 1 - bin;
    rows.push({
      score,
      range,
      low,
      high,
      customers: t.counts[score - 1],
      share: t.shares[score - 1],
    });
  }
  return rows.sort((a, b) => b.score - a.score);
}

/**
 * Histogram of one customer metric on a log x axis, with the score cut points drawn as rules and
 * each score's zone labelled ("R 5", "R 4" …).
 *
 * @param {{label: string, unit: string, kind: string, integer: boolean, bins: {x0: number, x1: number, count: number}[]}} metric
 *   label, unit and kind from the feature registry (a money unit is drawn as the currency symbol)
 * @param {{cuts: number[], higherIsBetter: boolean, counts: number[], shares: number[]}} thresholds
 * @param {{width?: number, currency?: string, letter?: string, title?: string, subtitle?: string}} options
 */
export function metricHistogram(
  metric,
  thresholds,
  { width = 640, currency, letter, ...options } = {},
) {
  width = chartWidth(width);
  const unit = metric.kind === "money" ? currencySymbol(currency) : metric.unit;
  const xMin = metric.bins[0]?.x0 ?? 1;
  const xMax = metric.bins[metric.bins.length - 1]?.x1 ?? 10;
  // For integer metrics a cut c separates c from c + 1: draw it between them (at the bin edge).
  const boundaries = thresholds.cuts.map((c) => (metric.integer ? c + 1 : c));
  const edges = [xMin, ...boundaries, xMax];
  const narrow = width < 520;
  const marginLeft = 50;
  const marginRight = 20;
  const px = (x) =>
    marginLeft +
    ((Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin))) *
      (width - marginLeft - marginRight);
  // Each score's label at the middle of its zone, on the first of two lines where it does not
  // overlap a label already placed; a zone too narrow for either line is left to the table.
  const charPx = 7.5;
  const ends = [-Infinity, -Infinity];
  const placed = scoreRanges(thresholds, { integer: metric.integer, min: metric.min ?? undefined })
    .sort((a, b) => (a.low ?? -Infinity) - (b.low ?? -Infinity))
    .map((z, i) => {
      const x = Math.sqrt(Math.max(edges[i], xMin) * Math.min(edges[i + 1], xMax));
      const text = `${letter ?? ""}${letter ? " " : ""}${z.score}`;
      const w = text.length * charPx;
      const left = px(x) - w / 2;
      const line = ends.findIndex((end) => left >= end + 4);
      if (line >= 0) ends[line] = left + w;
      return { ...z, x, text, line };
    });
  const zones = placed.filter((z) => z.line >= 0);
  const unlabelled = placed.length - zones.length;
  if (unlabelled) {
    const names = placed.filter((z) => z.line < 0).map((z) => z.text).join(", ");
    options.subtitle = `${options.subtitle ?? ""}${options.subtitle ? "; " : ""}${names}: ` +
      "range too narrow to label here (see the table)";
  }
  return plot({
    ...options,
    ariaDescription: `Bars: customers per ${metric.label.toLowerCase()} range; dashed lines: the ` +
      `score thresholds${
        unlabelled ? `; ${unlabelled} narrow score range(s) are listed in the table below` : ""
      }.`,
    width,
    height: Math.min(320, Math.max(220, width * 0.42)),
    // Room for the y label ("↑ Customers", at the top of the chart) above the two label lines,
    // so a score label at the left end (R 5, F 1) never runs into it.
    marginTop: 50,
    marginLeft,
    marginRight,
    x: {
      type: "log",
      domain: [xMin, xMax],
      label: `${metric.label} (${unit}, log scale) →`,
      ticks: logTicks(xMin, xMax, { thin: narrow }),
      tickFormat: fmtLogTick,
    },
    y: { label: "↑ Customers", grid: true, ticks: narrow ? 4 : 6 },
    marks: [
      Plot.rectY(metric.bins, {
        x1: "x0",
        x2: "x1",
        y: "count",
        fill: meaning.customers,
        insetLeft: 0.5,
        tip: true,
        title: (d) =>
          metric.integer && d.x1 - d.x0 === 1
            ? `${fmtInt(d.x0)} ${metric.unit}: ${fmtInt(d.count)} customers`
            : `${fmtNum(d.x0, 2)} to ${fmtNum(d.x1, 2)}: ${fmtInt(d.count)} customers`,
      }),
      Plot.ruleX(boundaries, { stroke: meaning.emphasis, strokeDasharray: "4,3" }),
      ...[0, 1].map((line) =>
        Plot.text(zones.filter((z) => z.line === line), {
          x: "x",
          frameAnchor: "top",
          dy: -26 + line * 13,
          text: "text",
          fill: "currentColor",
          fontWeight: "bold",
        })
      ),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * Heatmap of recency score × frequency score, each cell coloured by the mean monetary value of
 * its customers (log colour scale) and labelled with that mean and the number of customers.
 *
 * @param {{r: number, f: number, customers: number, mean_monetary: number | null}[]} grid
 * @param {{width?: number, currency?: string, title?: string, subtitle?: string}} options
 */
export function rfHeatmap(grid, { width = 640, currency, ...options } = {}) {
  width = chartWidth(width);
  const cells = grid.filter((d) => d.customers >= FEW_CUSTOMERS);
  const few = grid.filter((d) => d.customers > 0 && d.customers < FEW_CUSTOMERS);
  const size = Math.min(width, 640);
  const narrow = size < 480;
  // Light text on the dark end of the colour scale, dark text elsewhere.
  const logs = cells.map((d) => Math.log(d.mean_monetary));
  const lo = Math.min(...logs);
  const hi = Math.max(...logs);
  const dark = (d) => hi > lo && (Math.log(d.mean_monetary) - lo) / (hi - lo) > 0.62;
  const money = (x) => narrow ? fmtMoneyShort(x, currency) : fmtMoney(x, currency);
  return plot({
    ...options,
    ariaDescription:
      `Cells: recency score (rows) by frequency score (columns); colour and label: ` +
      `the mean net revenue and the number of customers; cells of fewer than ${FEW_CUSTOMERS} ` +
      `customers are grey and show only their count.`,
    width: size,
    height: size * 0.8,
    marginLeft: 50,
    marginBottom: 40,
    padding: 0.04,
    x: { label: "F score (frequency; 5 = most invoices) →", type: "band" },
    y: { label: "↑ R score (recency; 5 = most recent)", type: "band", reverse: true },
    color: {
      type: "log",
      scheme: sequentialScheme,
      legend: true,
      label: `Mean net revenue (${currencySymbol(currency)}, log scale)`,
      ticks: logTicks(Math.exp(lo), Math.exp(hi)),
      tickFormat: (x) => fmtMoneyShort(x, currency),
      width: Math.min(360, size),
    },
    marks: [
      Plot.cell(grid, { x: "f", y: "r", fill: "var(--theme-foreground-faintest)" }),
      Plot.cell(cells, {
        x: "f",
        y: "r",
        fill: "mean_monetary",
        tip: true,
        title: (d) =>
          `R ${d.r}, F ${d.f}\n${fmtInt(d.customers)} customers\nmean ${
            fmtMoney(d.mean_monetary, currency)
          }, median ${fmtMoney(d.median_monetary, currency)}`,
      }),
      ...[true, false].map((onDark) =>
        Plot.text(cells.filter((d) => dark(d) === onDark), {
          x: "f",
          y: "r",
          text: (d) => `${money(d.mean_monetary)}\n${fmtInt(d.customers)} cust.`,
          fill: onDark ? "white" : "black",
          fontSize: narrow ? 9 : 11,
          lineHeight: 1.2,
        })
      ),
      Plot.text(few, {
        x: "f",
        y: "r",
        text: (d) => `${fmtInt(d.customers)} cust.\n(too few)`,
        fill: "currentColor",
        fontSize: narrow ? 9 : 10,
        lineHeight: 1.2,
      }),
    ],
  });
}

/**
 * Share of customers and share of revenue per segment, as paired horizontal bars in the order of
 * the segment rules.
 *
 * @param {{segment: string, share: number, revenue_share: number}[]} segments
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function segmentSharesChart(segments, { width = 640, ...options } = {}) {
  width = chartWidth(width);
  const measures = ["Share of customers", "Share of revenue"];
  const data = segments.flatMap((s) => [
    { segment: s.segment, measure: measures[0], value: s.share },
    { segment: s.segment, measure: measures[1], value: s.revenue_share },
  ]);
  const narrow = width < 520;
  return plot({
    ...options,
    ariaDescription: "For each segment, two bars: its share of customers (blue) and its share " +
      "of net revenue (green), each labelled with the percentage.",
    width,
    height: segments.length * 40 + 50,
    marginTop: 6,
    marginLeft: narrow ? 112 : 130,
    marginRight: 48,
    x: { label: "Share (%) →", percent: true, grid: true, nice: true, ticks: narrow ? 4 : 8 },
    y: { axis: null, domain: measures },
    fy: { label: null, domain: segments.map((s) => s.segment) },
    color: { domain: measures, range: pair, legend: true },
    marks: groupedBarMarks(data, { y: "measure", fy: "segment", format: (v) => fmtPct(v, 1) }),
  });
}

/**
 * The segment rules drawn as a map: the recency score R (rows) by the combined
 * frequency–monetary score FM (columns); each rule is one block labelled with its segment.
 *
 * @param {{name: string, r: [number, number], fm: [number, number]}[]} rules
 * @param {{width?: number, bins?: number, title?: string, subtitle?: string}} options
 */
export function segmentMap(rules, { width = 640, bins = 5, ...options } = {}) {
  width = chartWidth(width);
  const blocks = rules.map((s) => ({
    name: s.name,
    x1: s.fm[0] - 0.5,
    x2: s.fm[1] + 0.5,
    y1: s.r[0] - 0.5,
    y2: s.r[1] + 0.5,
    cx: (s.fm[0] + s.fm[1]) / 2,
    cy: (s.r[0] + s.r[1]) / 2,
  }));
  const size = Math.min(width, 640);
  const narrow = size < 480;
  const ticks = Array.from({ length: bins }, (_, i) => i + 1);
  return plot({
    ...options,
    width: size,
    height: size * 0.7,
    marginLeft: 50,
    marginBottom: 40,
    x: {
      label: "FM score: round((F + M) / 2) →",
      domain: [0.5, bins + 0.5],
      ticks,
      tickFormat: "d",
    },
    y: { label: "↑ R score", domain: [0.5, bins + 0.5], ticks, tickFormat: "d" },
    marks: [
      Plot.rect(blocks, {
        x1: "x1",
        x2: "x2",
        y1: "y1",
        y2: "y2",
        fill: "var(--theme-background-alt)",
        stroke: "var(--theme-background)",
        strokeWidth: 3,
      }),
      Plot.text(blocks, {
        x: "cx",
        y: "cy",
        text: "name",
        lineWidth: narrow ? 5 : 8,
        fontSize: narrow ? 10 : 12,
        fill: "currentColor",
      }),
    ],
  });
}

/**
 * One median per segment as horizontal bars (R's `rfm` median plots): the median recency,
 * frequency or net revenue of each segment's customers, labelled with the value.
 *
 * @param {{segment: string}[]} rows segments in display order, each with the measure
 * @param {{measure: string, label: string, format: (v: number) => string, color?: string, width?: number, title?: string, subtitle?: string}} options
 */
export function segmentMedianChart(
  rows,
  { measure, label, format, color = meaning.customers, width = 320, ...options } = {},
) {
  width = chartWidth(width);
  const data = rows.filter((r) => r[measure] != null);
  const narrow = width < 360;
  return plot({
    ...options,
    width,
    height: data.length * 24 + 46,
    marginLeft: narrow ? 104 : 122,
    marginRight: 58,
    x: { label: `${label} →`, grid: true, ticks: 3, nice: true, tickFormat: (x) => format(x) },
    y: { domain: data.map((r) => r.segment), label: null, tickSize: 0 },
    marks: [
      Plot.barX(data, { x: measure, y: "segment", fill: color }),
      Plot.text(data, {
        x: measure,
        y: "segment",
        text: (d) => format(d[measure]),
        textAnchor: "start",
        dx: 4,
        fill: "currentColor",
      }),
      Plot.ruleX([0]),
    ],
  });
}
