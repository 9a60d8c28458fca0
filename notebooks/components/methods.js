// Charts of the Methods page. Each function takes data (from the loaders) and options and
// returns a Plot figure.
import * as Plot from "@observablehq/plot";
import { chartWidth, fmtNum } from "./format.js";
import { okabeIto } from "./palette.js";

/**
 * Time of each build stage as horizontal bars, in the order the stages ran.
 *
 * @param {{stage: string, ms: number}[]} stages
 * @param {{width?: number, title?: string, subtitle?: string}} options
 */
export function stageTimesChart(stages, { width = 640, title, subtitle } = {}) {
  width = chartWidth(width);
  const data = stages.map((s, i) => ({ ...s, label: `${i + 1}. ${s.stage}`, s: s.ms / 1000 }));
  const narrow = width < 520;
  return Plot.plot({
    title,
    subtitle,
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
      Plot.barX(data, { x: "s", y: "label", fill: okabeIto.blue }),
      Plot.text(data, {
        x: "s",
        y: "label",
        text: (d) => `${fmtNum(d.s, d.s < 10 ? 2 : 1)} s`,
        textAnchor: "start",
        dx: 4,
        fill: "currentColor",
      }),
      Plot.ruleX([0]),
    ],
  });
}
