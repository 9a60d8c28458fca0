// Mark sets shared by several charts.
import * as Plot from "@observablehq/plot";

/**
 * Horizontal bars with a label just past the end of each bar, and the zero rule: the marks of
 * every "one bar per row, value written beside it" chart.
 *
 * @param {object[]} data
 * @param {{x: any, y: any, fill: any, text: (d: any) => string, fy?: any, dx?: number} & Record<string, any>} options
 *   channels of the bars (`x`, `y`, `fy`, `fill`), the label (`text`) and its offset (`dx`,
 *   default 4 px); other options (`fontSize`, `fontWeight` …) style the labels
 * @returns {Plot.Markish[]}
 */
export function labelledBarsX(data, { x, y, fy, fill, text, dx = 4, ...labelOptions }) {
  return [
    Plot.barX(data, { x, y, fy, fill }),
    Plot.text(data, {
      x,
      y,
      fy,
      text,
      textAnchor: "start",
      dx,
      fill: "currentColor",
      ...labelOptions,
    }),
    Plot.ruleX([0]),
  ];
}

/**
 * Grouped horizontal bars with their value written at the end of each bar, one facet row per
 * group: the marks of a "measure by group" chart (bars coloured by the bar key, labels, zero
 * rule).
 *
 * @param {object[]} data rows with `value`, the bar key (`y`) and the facet key (`fy`)
 * @param {{y: string, fy: string, format: (v: number) => string}} options
 * @returns {Plot.Markish[]}
 */
export function groupedBarMarks(data, { y, fy, format }) {
  return labelledBarsX(data, {
    x: "value",
    y,
    fy,
    fill: y,
    text: (d) => format(d.value),
    dx: 3,
    fontSize: 10,
  });
}

/**
 * The y = x reference line of a chart on [0, 1] × [0, 1]: what a random order gains, or where
 * perfectly calibrated probabilities lie. Grey and dashed: context, not data.
 */
export function diagonalMark() {
  return Plot.line([{ x: 0, y: 0 }, { x: 1, y: 1 }], {
    x: "x",
    y: "y",
    stroke: "#8C8C8C",
    strokeDasharray: "5,4",
  });
}
