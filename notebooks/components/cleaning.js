// Charts of the data-cleaning page. Each function takes data (from the loaders) and options
// `{width, ...}` and returns a Plot figure; the options it does not use itself (title, subtitle …)
// go to Plot.plot.
import * as Plot from "@observablehq/plot";
import {
  chartWidth,
  countTicks,
  currencySymbol,
  fmtInt,
  fmtLogTick,
  fmtNum,
  humanize,
  logTicks,
  symlogTicks,
} from "./format.js";
import { labelledBarsX } from "./marks.js";
import { beforeAfter, meaning } from "./palette.js";
import { plot } from "./plot.js";

/**
 * Horizontal bars of the rows dropped per reason, in rule order (the first rule a row fails is its
 * reason). Rules skipped for the dataset are labelled so.
 *
 * @param {{code: string, applied: boolean}[]} rules cleaning rules in order
 * @param {Record<string, number>} dropped rows dropped per reason code
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function droppedByReasonChart(rules, dropped, { width = 640, ...options } = {}) {
  width = chartWidth(width);
  const data = rules.map((r) => ({
    reason: r.applied ? humanize(r.code) : `${humanize(r.code)} (skipped)`,
    rows: dropped[r.code] ?? 0,
    applied: r.applied,
  }));
  const max = Math.max(1, ...data.map((d) => d.rows));
  const narrow = width < 520;
  return plot({
    ...options,
    width,
    height: 28 * data.length + 50,
    marginLeft: narrow ? 150 : 180,
    marginRight: narrow ? 64 : 80,
    x: {
      label: "Lines dropped →",
      grid: true,
      domain: [0, max],
      nice: true,
      ...countTicks(width),
    },
    y: { label: null, domain: data.map((d) => d.reason) },
    marks: labelledBarsX(data, {
      x: "rows",
      y: "reason",
      fill: meaning.emphasis,
      text: (d) => (d.applied ? fmtInt(d.rows) : "not applied"),
    }),
  });
}

/**
 * Histogram of one measure before and after cleaning on a log x axis (shared bins) and a
 * symmetric-log y axis (so that bins of a handful of rows stay visible next to bins of 100,000).
 * Optional vertical rules mark bounds (for example the extreme-value bounds of the line value).
 *
 * @param {{label: string, unit: string, bins: {x0: number, x1: number, before: number, after: number}[]}} measure
 * @param {{width?: number, currency?: string, bounds?: {low: number, high: number}, title?: string, subtitle?: string}} options
 */
export function beforeAfterHistogram(
  measure,
  { width = 640, currency, bounds, ...options } = {},
) {
  width = chartWidth(width);
  const unit = measure.unit === "currency" ? currencySymbol(currency) : measure.unit;
  const stages = ["Before cleaning", "After cleaning"];
  const long = [
    ...measure.bins.map((b) => ({ ...b, stage: stages[0], rows: b.before })),
    ...measure.bins.map((b) => ({ ...b, stage: stages[1], rows: b.after })),
  ].filter((d) => d.rows > 0);
  const xMin = measure.bins[0]?.x0 ?? 1;
  const xMax = measure.bins[measure.bins.length - 1]?.x1 ?? 10;
  const yMax = Math.max(1, ...measure.bins.map((b) => b.before));
  const marks = [
    Plot.rectY(long, {
      x1: "x0",
      x2: "x1",
      y1: 0,
      y2: "rows",
      fill: "stage",
      insetLeft: 0.5,
      tip: true,
      title: (d) =>
        `${d.stage}\n${fmtNum(d.x0, 3)} to ${fmtNum(d.x1, 3)} ${unit}: ${fmtInt(d.rows)} lines`,
    }),
    Plot.ruleY([0]),
  ];
  if (bounds) {
    const rules = [
      { x: bounds.low, label: "low outlier bound" },
      { x: bounds.high, label: "high outlier bound" },
    ];
    marks.push(
      Plot.ruleX(rules, { x: "x", stroke: meaning.emphasis, strokeDasharray: "4,3" }),
      Plot.text(rules, {
        x: "x",
        frameAnchor: "top",
        text: "label",
        dy: -2,
        lineAnchor: "bottom",
        textAnchor: "middle",
        fill: "currentColor",
      }),
    );
  }
  return plot({
    ...options,
    width,
    height: Math.min(320, Math.max(220, width * 0.45)),
    marginTop: bounds ? 24 : 10,
    marginLeft: 56,
    x: {
      type: "log",
      domain: [xMin, xMax],
      label: `${measure.label} (${unit}, log scale) →`,
      ticks: logTicks(xMin, xMax, { thin: width < 520 }),
      tickFormat: fmtLogTick,
    },
    y: {
      type: "symlog",
      label: "↑ Lines (symmetric log scale)",
      grid: true,
      ticks: symlogTicks(yMax),
      tickFormat: fmtLogTick,
    },
    color: { domain: stages, range: [beforeAfter.before, beforeAfter.after], legend: true },
    marks,
  });
}
