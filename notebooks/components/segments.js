// Charts of the K-Means segments page. Each function takes data (from the loaders) and options
// `{width, ...}` and returns a Plot figure; the options it does not use itself (title, subtitle …)
// go to Plot.plot.
import * as Plot from "@observablehq/plot";
import { labelledBarsX } from "./marks.js";
import {
  chartWidth,
  currencySymbol,
  fmtInt,
  fmtLogTick,
  fmtMoney,
  fmtNum,
  fmtPct,
  logTicks,
} from "./format.js";
import { clusterColors, meaning, sequentialScheme } from "./palette.js";
import { plot } from "./plot.js";

/**
 * One measure of the k sweep (inertia for the elbow, or the mean silhouette) by number of
 * clusters, with the chosen k marked.
 *
 * @param {{k: number, inertia: number, silhouette: number | null}[]} sweep
 * @param {{measure: "inertia" | "silhouette", chosenK: number, width?: number, title?: string, subtitle?: string}} options
 */
export function sweepChart(sweep, { measure, chosenK, width = 640, ...options } = {}) {
  width = chartWidth(width);
  const data = sweep.filter((d) => d[measure] != null);
  const chosen = data.filter((d) => d.k === chosenK);
  const isInertia = measure === "inertia";
  const narrow = width < 420;
  return plot({
    ...options,
    width,
    height: Math.min(280, Math.max(200, width * 0.55)),
    marginLeft: isInertia ? 56 : 48,
    marginTop: 24,
    marginRight: 16,
    x: {
      label: "Number of clusters k →",
      ticks: data.map((d) => d.k),
      tickFormat: "d",
      domain: [Math.min(...data.map((d) => d.k)) - 0.5, Math.max(...data.map((d) => d.k)) + 0.5],
    },
    y: isInertia
      ? {
        label: "↑ Inertia",
        grid: true,
        zero: true,
        tickFormat: (x) => fmtLogTick(x),
        ticks: narrow ? 4 : 6,
      }
      : {
        label: "↑ Mean silhouette",
        grid: true,
        zero: true,
        ticks: narrow ? 4 : 6,
      },
    marks: [
      Plot.ruleY([0]),
      Plot.ruleX(chosen, { x: "k", stroke: meaning.emphasis, strokeDasharray: "4,3" }),
      Plot.line(data, { x: "k", y: measure, stroke: "currentColor", strokeWidth: 2 }),
      Plot.dot(data, {
        x: "k",
        y: measure,
        fill: "currentColor",
        r: (d) => (d.k === chosenK ? 6 : 3.5),
        stroke: "var(--theme-background)",
        tip: true,
        title: (d) =>
          `k = ${d.k}\ninertia ${fmtNum(d.inertia, 0)}\nsilhouette ${fmtNum(d.silhouette, 3)}`,
      }),
      Plot.text(chosen, {
        x: "k",
        frameAnchor: "top",
        text: (d) => `chosen k = ${d.k}`,
        dy: -12,
        textAnchor: "start",
        dx: 4,
        fill: "currentColor",
        fontWeight: "bold",
      }),
    ],
  });
}

/**
 * Customers as dots, recency (x) against net revenue (y), both on log scales, coloured by
 * cluster.
 *
 * @param {{clusters: string[], columns: {recency_days: number[], frequency: number[], monetary: number[], cluster: number[]}}} data
 * @param {{width?: number, currency?: string, title?: string, subtitle?: string}} options
 */
export function clusterScatter(data, { width = 640, currency, ...options } = {}) {
  width = chartWidth(width);
  const c = data.columns;
  const points = [];
  for (let i = 0; i < c.cluster.length; i++) {
    if (c.recency_days[i] > 0 && c.monetary[i] > 0) {
      points.push({
        recency: c.recency_days[i],
        frequency: c.frequency[i],
        monetary: c.monetary[i],
        cluster: data.clusters[c.cluster[i]] ?? "?",
      });
    }
  }
  const colors = clusterColors(data.clusters.length);
  const narrow = width < 520;
  const xs = points.map((d) => d.recency);
  const ys = points.map((d) => d.monetary);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  return plot({
    ...options,
    width,
    height: Math.min(520, Math.max(300, width * 0.62)),
    marginLeft: 56,
    x: {
      type: "log",
      label: "Recency (days since last purchase, log scale) →",
      ticks: logTicks(x0, x1, { thin: narrow }),
      tickFormat: fmtLogTick,
      domain: [x0, x1],
    },
    y: {
      type: "log",
      label: `↑ Net revenue (${currencySymbol(currency)}, log scale)`,
      ticks: logTicks(y0, y1),
      tickFormat: fmtLogTick,
      grid: true,
      domain: [y0, y1],
    },
    color: { domain: data.clusters, range: colors, legend: true },
    marks: [
      Plot.dot(points, {
        x: "recency",
        y: "monetary",
        fill: "cluster",
        r: narrow ? 1.6 : 2.2,
        fillOpacity: 0.55,
      }),
      Plot.tip(
        points,
        Plot.pointer({
          x: "recency",
          y: "monetary",
          title: (d) =>
            `${d.cluster}\nrecency ${fmtInt(d.recency)} days\n${fmtInt(d.frequency)} invoice(s)\n${
              fmtMoney(d.monetary, currency)
            }`,
        }),
      ),
    ],
  });
}

/**
 * Cross-tabulation of RFM segments (rows, in rule order) and K-Means clusters (columns): each
 * cell's colour is the share of the cluster's customers that belong to the segment; its label the
 * number of customers.
 *
 * @param {{rows: string[], columns: string[], counts: number[][]}} crosstab rows = clusters, columns = segments
 * @param {{segmentOrder?: string[], width?: number, title?: string, subtitle?: string}} options
 */
export function crosstabHeatmap(crosstab, { segmentOrder, width = 640, ...options } = {}) {
  width = chartWidth(width);
  const clusters = crosstab.rows;
  const segments = segmentOrder
    ? [
      ...segmentOrder.filter((s) => crosstab.columns.includes(s)),
      ...crosstab.columns.filter((s) => !segmentOrder.includes(s)),
    ]
    : crosstab.columns;
  const clusterTotal = crosstab.counts.map((row) => row.reduce((s, x) => s + x, 0));
  const segmentTotal = crosstab.columns.map((_, j) =>
    crosstab.counts.reduce((s, row) => s + row[j], 0)
  );
  const cells = [];
  crosstab.counts.forEach((row, i) =>
    row.forEach((n, j) =>
      cells.push({
        cluster: clusters[i],
        segment: crosstab.columns[j],
        n,
        ofCluster: clusterTotal[i] ? n / clusterTotal[i] : 0,
        ofSegment: segmentTotal[j] ? n / segmentTotal[j] : 0,
      })
    )
  );
  const narrow = width < 520;
  const marginLeft = narrow ? 112 : 150;
  const w = Math.min(width, 40 + marginLeft + clusters.length * (narrow ? 84 : 130));
  // Cluster names are phrases ("Fairly recent one-time buyers, middling spend"): wrapped to the
  // width of their column (lineWidth, in ems of the 11 px labels) under a taller top margin, never
  // printed over each other (on a phone a column is about 50 px).
  const column = (w - marginLeft - 20) / Math.max(1, clusters.length);
  const lineWidth = Math.max(4, Math.min(10, Math.floor(column / 11)));
  return plot({
    ...options,
    width: w,
    height: segments.length * 30 + (narrow ? 100 : 70),
    marginLeft,
    marginTop: narrow ? 114 : 84,
    marginBottom: 10,
    padding: 0.05,
    x: { domain: clusters, axis: null },
    y: { domain: segments, label: null, tickSize: 0 },
    color: {
      type: "linear",
      scheme: sequentialScheme,
      domain: [0, Math.max(...cells.map((d) => d.ofCluster))],
      legend: true,
      label: "Share of the cluster's customers (%)",
      tickFormat: (x) => `${Math.round(x * 100)}`,
      width: Math.min(320, w),
    },
    marks: [
      Plot.axisX({
        anchor: "top",
        label: "K-Means cluster",
        labelAnchor: "center",
        tickSize: 0,
        lineWidth,
        fontSize: 11,
      }),
      Plot.cell(cells, {
        x: "cluster",
        y: "segment",
        fill: (d) => (d.n === 0 ? null : d.ofCluster),
        tip: true,
        title: (d) =>
          `${d.segment} in ${d.cluster}: ${fmtInt(d.n)} customers\n${
            fmtPct(d.ofCluster)
          } of the cluster, ${fmtPct(d.ofSegment)} of the segment`,
      }),
      Plot.cell(cells.filter((d) => d.n === 0), {
        x: "cluster",
        y: "segment",
        fill: "var(--theme-foreground-faintest)",
      }),
      Plot.text(cells, {
        x: "cluster",
        y: "segment",
        text: (d) => (d.n === 0 ? "–" : fmtInt(d.n)),
        fill: (d) => (d.n === 0 ? "currentColor" : d.ofCluster > 0.3 ? "white" : "black"),
        fontSize: narrow ? 10 : 11,
      }),
    ],
  });
}

/**
 * Stability of the clustering across seeds: the adjusted Rand index (ARI) of every pair of
 * repeated fits, as a triangular matrix.
 *
 * @param {{seeds: number[], pairwise: {a: number, b: number, ari: number}[]}} stability
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function stabilityMatrix(stability, { width = 360, ...options } = {}) {
  width = chartWidth(width);
  const runs = stability.seeds.map((_, i) => `Run ${i + 1}`);
  const cells = stability.pairwise.map((p) => ({ a: runs[p.a], b: runs[p.b], ari: p.ari }));
  const size = Math.min(width, 380);
  return plot({
    ...options,
    width: size,
    height: size * 0.8,
    marginLeft: 56,
    marginBottom: 40,
    padding: 0.05,
    x: { domain: runs.slice(1), label: null, tickSize: 0 },
    y: { domain: runs.slice(0, -1), label: null, tickSize: 0 },
    color: {
      type: "linear",
      scheme: sequentialScheme,
      domain: [0, 1],
      legend: true,
      label: "Adjusted Rand index (1 = identical clusters)",
      width: Math.min(300, size),
    },
    marks: [
      Plot.cell(cells, {
        x: "b",
        y: "a",
        fill: "ari",
        tip: true,
        title: (d) => `${d.a} vs ${d.b}: ARI ${fmtNum(d.ari, 4)}`,
      }),
      Plot.text(cells, {
        x: "b",
        y: "a",
        text: (d) => fmtNum(d.ari, 4),
        fill: (d) => (d.ari > 0.6 ? "white" : "black"),
        fontSize: 11,
      }),
    ],
  });
}

/**
 * Horizontal bars comparing accuracy-like figures (0–1), each bar coloured by its group and
 * labelled; used to put the original project's claim next to our held-out figures.
 *
 * @param {{label: string, value: number, group: string}[]} rows
 * @param {{groups: string[], colors: string[], xLabel?: string, width?: number, title?: string, subtitle?: string}} options
 */
export function figureBars(
  rows,
  { groups, colors, xLabel = "Value (%) →", width = 640, ...options } = {},
) {
  width = chartWidth(width);
  const narrow = width < 520;
  return plot({
    ...options,
    width,
    height: rows.length * (narrow ? 40 : 32) + 60,
    marginLeft: narrow ? 130 : 250,
    marginRight: 50,
    x: {
      domain: [0, 1],
      tickFormat: (x) => `${Math.round(x * 100)}`,
      label: xLabel,
      grid: true,
      ticks: narrow ? 5 : 10,
    },
    y: { domain: rows.map((r) => r.label) },
    color: { domain: groups, range: colors, legend: true },
    marks: [
      Plot.axisY({
        label: null,
        tickSize: 0,
        lineWidth: narrow ? 12 : 24,
        fontSize: narrow ? 10 : 11,
      }),
      ...labelledBarsX(rows, {
        x: "value",
        y: "label",
        fill: "group",
        text: (d) => fmtPct(d.value),
      }),
    ],
  });
}
