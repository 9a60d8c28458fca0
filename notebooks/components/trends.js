// Charts of customers over time and of where the revenue sits: monthly revenue and customers,
// cohort retention, segment migration, and revenue concentration by score or lapse risk. Each
// function takes data (from the loaders) and options `{width, ...}` and returns a chart; the
// options it does not use itself (title, subtitle …) go to Plot.plot.
import * as Plot from "@observablehq/plot";
import { chartWidth, fmtInt, fmtMoney, fmtMoneyShort, fmtPct } from "./format.js";
import { meaning, sequentialScheme } from "./palette.js";
import { diagonalMark } from "./marks.js";
import { plot } from "./plot.js";

/** Cohorts of fewer customers than this are greyed out in the retention heatmap. */
export const FEW_IN_COHORT = 30;

/** The UTC date of a "2011-03" month label (its first day). */
const monthDate = (m) => new Date(`${m}-01T00:00:00Z`);

/**
 * One monthly measure as bars (revenue, orders or customers), partial months (the first and
 * last of the data) hatched lighter and labelled so. The axis starts at zero.
 *
 * @param {{month: string, partial: boolean}[]} months rows with the measure
 * @param {{measure: string, label: string, color?: string, format?: (v: number) => string, width?: number, title?: string, subtitle?: string}} options
 */
export function monthlyChart(
  months,
  { measure, label, color = meaning.customers, format = fmtInt, width = 640, ...options } = {},
) {
  width = chartWidth(width);
  const narrow = width < 520;
  const data = months.map((m) => ({ ...m, date: monthDate(m.month) }));
  const partial = data.filter((d) => d.partial);
  return plot({
    ...options,
    ariaDescription: `Bars: ${label.toLowerCase()} per calendar month` +
      (partial.length ? `; lighter bars are months the data covers only in part.` : "."),
    width,
    height: Math.min(260, Math.max(190, width * 0.36)),
    marginLeft: 56,
    x: { type: "utc", label: null, ticks: narrow ? 4 : 8 },
    y: { label: `↑ ${label}`, grid: true, zero: true, tickFormat: format, ticks: narrow ? 4 : 5 },
    marks: [
      Plot.rectY(data, {
        x: "date",
        interval: "month",
        y: measure,
        fill: color,
        fillOpacity: (d) => (d.partial ? 0.4 : 1),
        insetLeft: 1,
        insetRight: 1,
        tip: true,
        title: (d) => `${d.month}${d.partial ? " (part of the month)" : ""}: ${format(d[measure])}`,
      }),
      Plot.ruleY([0]),
    ],
  });
}

/**
 * Cohort retention as a heatmap: first-purchase month (rows) by months since (columns), colour =
 * share of the cohort buying in that month. Month 0 (everybody) is left out of the colour scale;
 * cohorts of fewer than {@link FEW_IN_COHORT} customers are grey.
 *
 * @param {{cohort: string, customers: number, active: number[], retention: number[]}[]} cohorts
 * @param {{lastMonthPartial?: boolean, width?: number, title?: string, subtitle?: string}} options
 *   `lastMonthPartial`: the last month of data covers only part of the month; its cells (the
 *   last of every row) are left out, as they would look like a drop in retention
 */
export function cohortHeatmap(cohorts, { lastMonthPartial = false, width = 640, ...options } = {}) {
  width = chartWidth(width);
  const cells = cohorts.flatMap((c) =>
    (lastMonthPartial ? c.retention.slice(0, -1) : c.retention).map((r, n) => ({
      cohort: c.cohort,
      n,
      r,
      active: c.active[n],
      size: c.customers,
      few: c.customers < FEW_IN_COHORT,
    })).filter((d) => d.n > 0)
  );
  const maxN = Math.max(1, ...cells.map((d) => d.n));
  const narrow = width < 560;
  const max = Math.max(0.05, ...cells.filter((d) => !d.few).map((d) => d.r));
  const cell = Math.max(12, Math.min(34, (width - 120) / maxN));
  const showText = cell >= 30;
  return plot({
    ...options,
    ariaDescription: "Rows: the month of the customers' first purchase; columns: months since; " +
      `colour: the share of the cohort buying in that month; cohorts of fewer than ${FEW_IN_COHORT} ` +
      "customers are grey.",
    width: Math.min(width, 120 + cell * maxN + 20),
    height: cohorts.length * Math.max(14, Math.min(24, cell)) + 90,
    marginLeft: 112,
    marginTop: 30,
    marginBottom: 40,
    padding: 0.04,
    x: {
      type: "band",
      domain: Array.from({ length: maxN }, (_, i) => i + 1),
      label: "Months after the first purchase →",
      tickFormat: (n) => (narrow && n % 3 !== 0 ? "" : String(n)),
      tickSize: 0,
    },
    y: {
      type: "band",
      domain: cohorts.map((c) => c.cohort),
      label: null,
      tickFormat: (m) => {
        const c = cohorts.find((x) => x.cohort === m);
        return `${m} (${fmtInt(c.customers)})`;
      },
      tickSize: 0,
    },
    color: {
      type: "linear",
      scheme: sequentialScheme,
      domain: [0, max],
      legend: true,
      label: "Share of the cohort buying that month (%)",
      tickFormat: (x) => `${Math.round(x * 100)}`,
      width: Math.min(320, width),
    },
    marks: [
      Plot.cell(cells.filter((d) => !d.few), {
        x: "n",
        y: "cohort",
        fill: "r",
        tip: true,
        title: (d) =>
          `${d.cohort}, month ${d.n}: ${fmtInt(d.active)} of ${fmtInt(d.size)} (${fmtPct(d.r)})`,
      }),
      Plot.cell(cells.filter((d) => d.few), {
        x: "n",
        y: "cohort",
        fill: "var(--theme-foreground-faintest)",
        title: (d) =>
          `${d.cohort}: only ${fmtInt(d.size)} customers, too few for a share (${
            fmtInt(d.active)
          } bought in month ${d.n})`,
      }),
      ...(showText
        ? [Plot.text(cells.filter((d) => !d.few), {
          x: "n",
          y: "cohort",
          text: (d) => `${Math.round(d.r * 100)}`,
          fill: (d) => (d.r / max > 0.6 ? "white" : "black"),
          fontSize: 9,
        })]
        : []),
    ],
  });
}

/**
 * The segment migration matrix: segment at the earlier date (rows) by segment now (columns);
 * colour = share of the row's customers, label = customers. Cells of fewer than 5 customers show
 * their count on grey.
 *
 * @param {{from: string[], to: string[], counts: number[][]}} m
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function migrationHeatmap(m, { width = 760, ...options } = {}) {
  width = chartWidth(width);
  const cells = m.counts.flatMap((row, i) => {
    const total = row.reduce((s, x) => s + x, 0);
    return row.map((n, j) => ({
      from: m.from[i],
      to: m.to[j],
      n,
      share: total ? n / total : 0,
      same: m.from[i] === m.to[j],
    }));
  });
  const narrow = width < 560;
  const marginLeft = narrow ? 112 : 140;
  const cellW = Math.max(18, Math.min(70, (width - marginLeft - 10) / m.to.length));
  const w = Math.min(width, marginLeft + cellW * m.to.length + 10);
  // Counts are written in the cells only where they fit; the tooltips always have them.
  const showText = cellW >= 32;
  return plot({
    ...options,
    subtitle: showText
      ? options.subtitle
      : `${options.subtitle ?? ""}${options.subtitle ? "; " : ""}counts in each cell's tooltip`,
    ariaDescription: "Rows: the segment at the earlier date; columns: the segment now; each " +
      "cell: customers who moved so, coloured by their share of the row; outlined cells: " +
      "customers who stayed in the same segment.",
    width: w,
    height: m.from.length * (narrow ? 24 : 30) + (narrow ? 130 : 110),
    marginLeft,
    marginTop: narrow ? 116 : 86,
    marginBottom: 10,
    padding: 0.04,
    x: {
      domain: m.to,
      axis: "top",
      label: "Segment now →",
      tickRotate: narrow ? -90 : -40,
      tickSize: 0,
    },
    y: { domain: m.from, label: "Segment then ↓", tickSize: 0 },
    color: {
      type: "linear",
      scheme: sequentialScheme,
      domain: [0, 1],
      legend: false,
    },
    marks: [
      Plot.cell(cells.filter((d) => d.n > 0), {
        x: "to",
        y: "from",
        fill: "share",
        tip: true,
        title: (d) =>
          `${d.from} → ${d.to}: ${fmtInt(d.n)} customers (${fmtPct(d.share)} of ${d.from})`,
      }),
      Plot.cell(cells.filter((d) => d.same && d.n > 0), {
        x: "to",
        y: "from",
        stroke: "currentColor",
        strokeWidth: 1.5,
        inset: 1,
      }),
      Plot.text(showText ? cells.filter((d) => d.n > 0) : [], {
        x: "to",
        y: "from",
        text: (d) => (narrow && d.n >= 1000 ? `${Math.round(d.n / 100) / 10}k` : fmtInt(d.n)),
        fill: (d) => (d.share > 0.55 ? "white" : "black"),
        fontSize: narrow ? 9 : 10,
      }),
    ],
  });
}

/**
 * Where the revenue sits: customers taken in an order (by score, or by lapse risk), share of
 * customers (x) against the share of revenue they hold (y), with the diagonal of an even spread.
 *
 * @param {{share: number, captured: number}[]} curve from 0 to 1
 * @param {{color?: string, xLabel: string, yLabel: string, mark?: number, width?: number, title?: string, subtitle?: string}} options
 */
export function concentrationChart(
  curve,
  { color = meaning.revenue, xLabel, yLabel, mark = 0.2, width = 420, ...options } = {},
) {
  width = chartWidth(width);
  const size = Math.min(width, 440);
  const at = curve.find((d) => Math.abs(d.share - mark) < 1e-9);
  return plot({
    ...options,
    width: size,
    height: size * 0.8,
    marginLeft: 48,
    marginRight: 16,
    x: { domain: [0, 1], label: xLabel, tickFormat: (x) => `${Math.round(x * 100)}`, grid: true },
    y: { domain: [0, 1], label: yLabel, tickFormat: (x) => `${Math.round(x * 100)}`, grid: true },
    marks: [
      diagonalMark(),
      Plot.areaY(curve, { x: "share", y: "captured", fill: color, fillOpacity: 0.15 }),
      Plot.line(curve, { x: "share", y: "captured", stroke: color, strokeWidth: 2.5 }),
      ...(at
        ? [
          Plot.dot([at], { x: "share", y: "captured", fill: color, r: 4 }),
          Plot.text([at], {
            x: "share",
            y: "captured",
            text: (d) => `first ${fmtPct(d.share, 0)} → ${fmtPct(d.captured, 0)}`,
            dx: 8,
            // Above the point when it is low (clear of the axis), below when it is high.
            dy: at.captured < 0.5 ? -12 : 12,
            textAnchor: "start",
            fontWeight: "bold",
            fill: "currentColor",
            stroke: "var(--theme-background)",
            strokeWidth: 3,
            paintOrder: "stroke",
          }),
        ]
        : []),
    ],
  });
}

/** Money per month for tips and axes: "£1.2M" on axes, "£1,234,567" in tips. */
export const moneyFormats = (currency) => ({
  axis: (x) => fmtMoneyShort(x, currency),
  full: (x) => fmtMoney(x, currency),
});
