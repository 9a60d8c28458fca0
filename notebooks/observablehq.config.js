// Observable Framework configuration of the report site.
//
// Framework finds this file with `observable build --root notebooks`; run it through
// `deno task site` (src/site/framework.ts), which first bundles the browser modules, clears the
// data-loader cache and writes the build's context file. This file only reads that context
// (`$RFM_SITE_CONTEXT`, see src/site/context.ts): it has no side effects.
//
// Everything the pages load comes from node_modules or the data loaders: no CDN, no web font.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
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
const footer =
  (source
    ? `Data: ${escapeHtml(source.citation)} Licence: ${escapeHtml(source.licence)}. ` +
      `Source: <a href="${escapeHtml(source.url)}" rel="external noopener">${
        escapeHtml(source.url)
      }</a>. `
    : "") +
  (ctx
    ? `Built from the outputs in <code>${escapeHtml(relative(ROOT, ctx.reports) || ".")}</code>; `
    : "Built from the analysis outputs; ") +
  `see <a href="./methods">Methods</a> to rebuild.`;

export default {
  root: NOTEBOOKS,
  output: ctx?.site ?? join(ROOT, "reports", "site"),
  title,
  pages: [
    { name: "Overview", path: "/" },
    { name: "1 · Data cleaning", path: "/1-cleaning" },
    { name: "2 · RFM", path: "/2-rfm" },
    { name: "3 · Segments", path: "/3-segments" },
    { name: "4 · Loyalty model", path: "/4-loyalty" },
    { name: "5 · Score a customer", path: "/5-score" },
    { name: "Customers", path: "/customers" },
    { name: "Methods & reproducibility", path: "/methods" },
  ],
  pager: true,
  sidebar: true,
  toc: true,
  // No default web font: it would be fetched from a font CDN. The inputs stylesheet is bundled
  // from Framework itself (pages import @observablehq/inputs from node_modules, which has no CSS).
  globalStylesheets: ["observablehq:stdlib/inputs.css"],
  // Light theme only ("air", imported by style.css): the charts use fixed light fills.
  style: "style.css",
  footer,
  search: false,
  linkify: false,
  // Data loaders are TypeScript run by the repository's Deno (with its deno.json).
  interpreters: {
    ".ts": [deno, "run", "-A", "--quiet", "--config", join(ROOT, "deno.json")],
  },
};
