// Charts of the Methods page. Each function takes data (from the loaders) and options
// `{width, ...}` and returns a Plot figure; the options it does not use itself (title, subtitle …)
// go to Plot.plot.
import * as Plot from "@observablehq/plot";
import { chartWidth, fmtNum } from "./format.js";
import { labelledBarsX } from "./marks.js";
import { meaning } from "./palette.js";
import { plot } from "./plot.js";

/**
 * Time of each build stage as horizontal bars, in the order the stages ran.
 *
 * @param {{stage: string, ms: number}[]} stages
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function stageTimesChart(stages, { width = 640, ...options } = {}) {
  width = chartWidth(width);
  const data = stages.map((s, i) => ({ ...s, label: `${i + 1}. ${s.stage}`, s: s.ms / 1000 }));
  const narrow = width < 520;
  return plot({
    ...options,
    width,
    height: data.length * 24 + 50,
    marginLeft: narrow ? 140 : 270,
    marginRight: 56,
    x: { label: "Seconds →", grid: true, ticks: narrow ? 4 : 8 },
    y: { domain: data.map((d) => d.label), label: null, tickSize: 0 },
    marks: [
      Plot.axisY({
        label: null,
        tickSize: 0,
        lineWidth: narrow ? 13 : 25,
        textOverflow: "ellipsis-middle",
        fontSize: 11,
      }),
      ...labelledBarsX(data, {
        x: "s",
        y: "label",
        fill: meaning.emphasis,
        text: (d) => `${fmtNum(d.s, d.s < 10 ? 2 : 1)} s`,
      }),
    ],
  });
}
