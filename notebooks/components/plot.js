// Plot.plot with the text alternative and markup that assistive technology needs: the chart's
// SVG is an image named by the chart's title and subtitle (or `ariaLabel`), with `ariaDescription`
// as its description; Plot's `aria-label` on mark groups (not allowed on a <g> without a role)
// becomes `data-mark`. Every chart of the report is drawn through `plot`.
import * as Plot from "@observablehq/plot";

/**
 * Draws a chart like `Plot.plot(options)`, accessible (see the module notes).
 *
 * @param {Record<string, any>} options Plot options; `title` and `subtitle` (strings) also name
 *   the chart for screen readers, `ariaLabel` overrides that name, `ariaDescription` describes it
 * @returns {SVGSVGElement | HTMLElement}
 */
export function plot(options) {
  const { ariaLabel, ariaDescription, ...rest } = options;
  return accessible(Plot.plot(rest), {
    label: ariaLabel ?? [options.title, options.subtitle].filter((t) => typeof t === "string")
      .join(". "),
    description: ariaDescription,
  });
}

/**
 * Marks up a drawn chart (a Plot figure or SVG) as one named image.
 *
 * @param {Element} chart
 * @param {{label?: string, description?: string}} text
 */
export function accessible(chart, { label, description } = {}) {
  const svgs = chart.tagName?.toLowerCase() === "svg"
    ? [chart]
    : [...chart.querySelectorAll("svg")].filter((s) => !s.closest("[class$='-swatches']"));
  const main = svgs.find((s) => [...s.classList].some((c) => /^plot-[0-9a-f]+$/.test(c))) ??
    svgs[0];
  for (const g of chart.querySelectorAll("g[aria-label]")) {
    g.setAttribute("data-mark", g.getAttribute("aria-label"));
    g.removeAttribute("aria-label");
  }
  for (const g of chart.querySelectorAll("[aria-description]")) {
    g.removeAttribute("aria-description");
  }
  if (main) {
    main.setAttribute("role", "img");
    if (label) main.setAttribute("aria-label", label);
    if (description) main.setAttribute("aria-description", description);
  }
  // Legend ramps and swatches: decorative beside their text labels.
  for (const s of svgs) if (s !== main) s.setAttribute("aria-hidden", "true");
  return chart;
}
