// Observable Framework configuration of the report site.
//
// Framework finds this file with `observable build --root notebooks` (it looks for
// observablehq.config.js in the --root folder); run it through `notebooks/site.ts`, which also
// clears the data-loader cache so that a rebuild always reads the current analysis outputs.
//
// Environment (all optional; relative paths are resolved against the repository root):
//   RFM_REPORTS_DIR    folder of the analysis outputs to report on (default "reports")
//   RFM_PROCESSED_DIR  folder of the processed tables (default: the dataset's, else "data/processed")
//   RFM_DATASET        dataset id or path to a dataset JSON file (default: the id in rfm.json)
//   RFM_SITE_DIR       output folder of the site (default "<RFM_REPORTS_DIR>/site")
//
// Everything the pages load comes from node_modules or the data loaders: no CDN, no web font.
import { buildSync } from "esbuild";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const NOTEBOOKS = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(NOTEBOOKS, "..");
const fromRoot = (p) => (isAbsolute(p) ? p : join(ROOT, p));

const reportsDir = fromRoot(process.env.RFM_REPORTS_DIR || "reports");
const siteDir = fromRoot(process.env.RFM_SITE_DIR || join(reportsDir, "site"));

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}

/** The dataset described by the registry entry (or dataset file) the outputs were built from. */
function datasetInfo() {
  const sel = process.env.RFM_DATASET;
  if (sel && (sel.endsWith(".json") || sel.includes("/"))) return readJson(fromRoot(sel));
  const registry = readJson(join(ROOT, "data", "datasets.json"));
  const id = sel || readJson(join(reportsDir, "rfm.json"))?.dataset || registry?.default;
  return registry?.datasets?.find((d) => d.id === id) ?? null;
}

const escapeHtml = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );

/**
 * Browser bundles of the pure src/ modules the pages run client-side (the score widget must use
 * the very code the pipeline uses; src/report.ts holds the tested helpers that turn the numbers
 * into sentences). Framework only imports modules inside its root, so each one
 * is bundled with esbuild into notebooks/components/generated/ (git-ignored) when the config
 * loads, i.e. at the start of every build and preview. A module that does not exist yet is
 * skipped; a stale bundle of it is removed.
 */
const SHARED_MODULES = [
  ["src/score.ts", "score.js"],
  ["src/report.ts", "report.js"],
];

function bundleSharedModules() {
  const outDir = join(NOTEBOOKS, "components", "generated");
  for (const [source, target] of SHARED_MODULES) {
    const entry = join(ROOT, source);
    const out = join(outDir, target);
    if (!existsSync(entry)) {
      rmSync(out, { force: true });
      continue;
    }
    const result = buildSync({
      entryPoints: [entry],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      legalComments: "none",
      banner: {
        js: `// deno-fmt-ignore-file\n// deno-lint-ignore-file\n` +
          `// Generated from ${source} by notebooks/observablehq.config.js. Do not edit.`,
      },
    });
    const code = result.outputFiles[0].text;
    mkdirSync(outDir, { recursive: true });
    // Only rewrite on change, so the preview server does not reload for nothing.
    if (!existsSync(out) || readFileSync(out, "utf8") !== code) writeFileSync(out, code);
  }
}
bundleSharedModules();

const ds = datasetInfo();
const title = ds ? `Customer scoring — ${ds.title}` : "Customer scoring";
const deno = join(ROOT, "node_modules", ".bin", "deno");

const footer = ds
  ? `Data: ${escapeHtml(ds.source.citation)} Licence: ${escapeHtml(ds.source.licence)}. ` +
    `Source: <a href="${escapeHtml(ds.source.url)}" rel="external noopener">${
      escapeHtml(ds.source.url)
    }</a>. ` +
    `Built from the outputs in <code>${
      escapeHtml(reportsDir.slice(ROOT.length + 1) || reportsDir)
    }</code>; ` +
    `see <a href="./methods">Methods</a> to rebuild.`
  : "Built from the analysis outputs; see Methods to rebuild.";

export default {
  root: NOTEBOOKS,
  output: siteDir,
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
