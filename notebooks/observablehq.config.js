// Observable Framework configuration of the report site.
//
// Framework finds this file with `observable build --root notebooks`; run it through
// `deno task site` (src/site/framework.ts), which first bundles the browser modules, clears the
// data-loader cache and writes the build's context file. This file only reads that context
// (`$RFM_SITE_CONTEXT`, see src/site/context.ts): it has no side effects.
//
// Everything the pages load comes from node_modules or the data loaders: no CDN, no web font.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const NOTEBOOKS = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(NOTEBOOKS, "..");

/** The build's context (dataset title and source, folders), or null outside a site build. */
function siteContext() {
  const path = process.env.RFM_SITE_CONTEXT;
  return path ? JSON.parse(readFileSync(path, "utf8")) : null;
}

const escapeHtml = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );

const ctx = siteContext();
const title = ctx ? `Customer scoring — ${ctx.title}` : "Customer scoring";
const deno = join(ROOT, "node_modules", ".bin", "deno");

const source = ctx?.source;

/** A date as "30 November 2026" (UTC). */
const longDate = (d) =>
  d.toLocaleDateString("en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });

/** The analysis date of the outputs the site reports on (rfm.json), or null. */
function analysisDate() {
  try {
    const rfm = JSON.parse(readFileSync(join(ctx.reports, "rfm.json"), "utf8"));
    return rfm.analysisDate ? new Date(`${rfm.analysisDate.slice(0, 10)}T00:00:00Z`) : null;
  } catch {
    return null;
  }
}

// The footer speaks to readers: which data, as of when, built when, where the numbers come from
// and where to read how it was made. The build date honours SOURCE_DATE_EPOCH (reproducible
// builds).
const epoch = Number(process.env.SOURCE_DATE_EPOCH);
const built = Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date();
const asOf = ctx ? analysisDate() : null;
const footer =
  (ctx
    ? `<p>Report on <b>${escapeHtml(ctx.title)}</b>${
      asOf ? `, figures as of ${longDate(asOf)}` : ""
    }; built on ${longDate(built)}.</p>`
    : "") +
  "<p>Every figure is computed from the data by the workspace's code; none is typed in by hand. " +
  (source
    ? `Data: ${escapeHtml(source.citation)} Licence: ${escapeHtml(source.licence)}. ` +
      `Source: <a href="${escapeHtml(source.url)}" rel="external noopener">${
        escapeHtml(source.url)
      }</a>. `
    : "") +
  `How the report was made, and how to check it: <a href="./methods">Methods &amp; ` +
  `reproducibility</a>.</p>`;

// Accessibility of Framework's page frame, fixed as the page loads (Framework 1.13 renders
// <html> without a language, a viewport that blocks zooming, and a sidebar whose toggle and
// close labels are not named): the language, a viewport that lets readers zoom, names for the
// sidebar's controls and landmark, and a skip link to the content.
const head = `<script>
document.documentElement.lang = "en";
document.querySelector('meta[name="viewport"]')?.setAttribute("content", "width=device-width, initial-scale=1");
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.getElementById("observablehq-sidebar-toggle");
  toggle?.setAttribute("aria-label", "Show or hide the list of pages");
  document.getElementById("observablehq-sidebar")?.setAttribute("aria-label", "Pages of the report");
  document.querySelector("#observablehq-toc nav")?.setAttribute("aria-label", "On this page");
  document.getElementById("observablehq-sidebar-backdrop")?.setAttribute("aria-hidden", "true");
  const close = document.getElementById("observablehq-sidebar-close");
  if (close) { close.setAttribute("aria-hidden", "true"); close.closest("nav")?.prepend(close); }
  const skip = document.createElement("a");
  skip.href = "#observablehq-main";
  skip.className = "skip-link";
  skip.textContent = "Skip to the content";
  document.body.prepend(skip);
  document.getElementById("observablehq-main")?.setAttribute("tabindex", "-1");
});
</script>`;

export default {
  root: NOTEBOOKS,
  output: ctx?.site ?? join(ROOT, "reports", "site"),
  title,
  pages: [
    { name: "Overview: what to do next", path: "/" },
    { name: "Customers", path: "/customers" },
    { name: "Trends & cohorts", path: "/trends" },
    { name: "1 · Data cleaning", path: "/1-cleaning" },
    { name: "2 · RFM segments", path: "/2-rfm" },
    { name: "3 · K-Means clusters", path: "/3-segments" },
    { name: "4 · Loyalty model", path: "/4-loyalty" },
    { name: "5 · Score a customer", path: "/5-score" },
    { name: "Methods & reproducibility", path: "/methods" },
  ],
  pager: true,
  sidebar: true,
  toc: true,
  // No default web font: it would be fetched from a font CDN. The inputs stylesheet is bundled
  // from Framework itself (pages import @observablehq/inputs from node_modules, which has no CSS).
  globalStylesheets: ["observablehq:stdlib/inputs.css"],
  // The light "air" theme, and "near-midnight" when the reader prefers dark (style.css).
  style: "style.css",
  head,
  footer,
  search: false,
  linkify: false,
  // Data loaders are TypeScript run by the repository's Deno (with its deno.json).
  interpreters: {
    ".ts": [deno, "run", "-A", "--quiet", "--config", join(ROOT, "deno.json")],
  },
};
