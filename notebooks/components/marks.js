// Mark sets shared by several charts.
import * as Plot from "@observablehq/plot";

/**
 * Grouped horizontal bars with their value written at the end of each bar, one facet row per
 * group: the marks of a "measure by group" chart (bars, labels, zero rule).
 *
 * @param {object[]} data rows with `value`, the bar key (`y`) and the facet key (`fy`)
 * @param {{y: string, fy: string, format: (v: number) => string}} options
 * @returns {Plot.Markish[]}
 */
export function groupedBarMarks(data, { y, fy, format }) {
  return [
    Plot.barX(data, { x: "value", y, fy, fill: y }),
    Plot.text(data, {
      x: "value",
      y,
      fy,
      text: (d) => format(d.value),
      textAnchor: "start",
      dx: 3,
      fontSize: 10,
      fill: "currentColor",
    }),
    Plot.ruleX([0]),
  ];
}
