/**
 * Static check that the built report site loads nothing from another host.
 *
 * The site must work offline (and leak nothing to third parties): every script, stylesheet, font,
 * image and data file comes from the site itself. The rule, applied to every file under the
 * built site (`$RFM_SITE_DIR`, default `reports/site`):
 *
 * - **Fails**: any absolute `http(s)://` or protocol-relative `//host` URL in HTML, JavaScript or
 *   CSS, such as a `<script src>`, `<link href>` (stylesheet, preload, preconnect, icon),
 *   `<img src>`, an `import`/`import()`/`fetch()`/`new Worker()` argument, a CSS `url()` or
 *   `@import` — unless it is allowed below.
 * - **Allowed**: (1) `<a href="…">` links in HTML, and URLs written as text in HTML prose: plain
 *   links a reader may choose to follow, such as the data source citation (they load nothing by
 *   themselves; URLs inside `<script>` and `<style>` still count as code); (2) XML namespace
 *   identifiers (`http://www.w3.org/2000/svg` and the like), which are names, not requests;
 *   (3) JSON data files (`_file/**.json`): their strings are data, and a page that turns one into
 *   a link does so as an `<a href>` at run time (the browser test then checks no request leaves).
 *   Binary files (the Arrow tables `_file/**.arrow`, images) are not read at all: they hold data,
 *   not code.
 *
 * The browser test (tests/e2e/site_test.ts) checks the same at run time: no request to any host
 * but the local server.
 *
 * When no site has been built, the scan of the real site is skipped (reported as ignored); the
 * checker itself is always tested on hand-made files.
 */
import { loadDataset } from "../../src/config/registry.ts";
import { parseOptions } from "../../src/lib/args.ts";
import { planSite } from "../../src/site/framework.ts";
import { ROOT } from "../../src/lib/paths.ts";
import assert from "node:assert/strict";
import { extname, join, relative } from "node:path";

/** One external reference that would make the browser load something from another host. */
export interface Violation {
  file: string;
  url: string;
  context: string;
}

/** XML namespace URIs: identifiers, never fetched. */
const NAMESPACES = new Set([
  "http://www.w3.org/2000/svg",
  "http://www.w3.org/1999/xlink",
  "http://www.w3.org/1999/xhtml",
  "http://www.w3.org/XML/1998/namespace",
  "http://www.w3.org/2000/xmlns/",
  "http://www.w3.org/1998/Math/MathML",
]);

/** Absolute or protocol-relative URLs. */
const URL_RE = /(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}(?::\d+)?[^\s"'`)<>\\]*/gi;

/** `<a … href="…">` attribute values in HTML. */
const ANCHOR_HREF_RE = /<a\b[^>]*?\bhref\s*=\s*(["'])(.*?)\1/gis;

/**
 * The external references in one file of the built site, by the rule in the module doc.
 *
 * @param path file path (its extension selects the rule)
 * @param text file contents
 */
export function externalReferences(path: string, text: string): Violation[] {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return [];
  const isHtml = ext === ".html" || ext === ".htm";
  const anchors = new Set<number>();
  const code: [number, number][] = []; // <script> and <style> contents of an HTML file
  if (isHtml) {
    for (const m of text.matchAll(ANCHOR_HREF_RE)) {
      const start = m.index! + m[0].length - m[2].length - 1;
      anchors.add(start);
    }
    for (const m of text.matchAll(/<(script|style)\b[^>]*>([\s\S]*?)<\/\1>/gi)) {
      code.push([m.index!, m.index! + m[0].length]);
    }
  }
  /** Whether a position of an HTML file is prose (text content, not a tag, script or style). */
  const inProse = (at: number) => {
    if (code.some(([a, b]) => at >= a && at < b)) return false;
    return text.lastIndexOf("<", at) <= text.lastIndexOf(">", at);
  };
  const out: Violation[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const url = m[0];
    const at = m.index!;
    // A "//" inside a path or a comment marker ("// foo") is not a URL: require a host with a dot
    // (done by the pattern) and, for protocol-relative URLs, a quote or "(" just before.
    if (!/^https?:/i.test(url)) {
      const before = text[at - 1];
      if (before !== '"' && before !== "'" && before !== "(" && before !== "`") continue;
    }
    const base = url.replace(/[.,;]+$/, "");
    if (NAMESPACES.has(base) || NAMESPACES.has(base.replace(/\/$/, ""))) continue;
    if (anchors.has(at)) continue;
    if (isHtml && inProse(at)) continue;
    out.push({
      file: path,
      url: base,
      context: text.slice(Math.max(0, at - 60), at + url.length + 20),
    });
  }
  return out;
}

/** Every file under a folder, recursively. */
async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walk(p);
    else if (e.isFile) yield p;
  }
}

const TEXT_EXTENSIONS = new Set([
  ".html",
  ".htm",
  ".js",
  ".mjs",
  ".css",
  ".json",
  ".svg",
  ".txt",
  ".map",
]);

/** Scans a built site; returns the violations and the number of files read. */
export async function scanSite(dir: string): Promise<{ files: number; violations: Violation[] }> {
  let files = 0;
  const violations: Violation[] = [];
  for await (const p of walk(dir)) {
    if (!TEXT_EXTENSIONS.has(extname(p).toLowerCase())) continue;
    files++;
    violations.push(...externalReferences(relative(dir, p), await Deno.readTextFile(p)));
  }
  return { files, violations };
}

/** The dataset whose site is scanned: `deno test -A tests/site/ -- --dataset cdnow`. */
const SELECTOR =
  parseOptions(Deno.args, { dataset: { type: "string" } }, "offline_test.ts [--dataset ID]")
    .values.dataset ?? null;
const SITE =
  planSite({ dataset: await loadDataset(SELECTOR), selector: SELECTOR ?? undefined }).site;
let siteBuilt = false;
try {
  siteBuilt = (await Deno.stat(join(SITE, "index.html"))).isFile;
} catch {
  siteBuilt = false;
}

Deno.test("offline rule: external loads fail", () => {
  const cases: [string, string][] = [
    ["a.html", `<script type="module" src="https://cdn.jsdelivr.net/npm/d3@7/+esm"></script>`],
    ["a.html", `<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=X">`],
    ["a.html", `<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>`],
    ["a.html", `<img src="//example.com/logo.png">`],
    ["a.js", `import * as d3 from "https://cdn.jsdelivr.net/npm/d3/+esm";`],
    ["a.js", `const m = await import('https://esm.sh/htl');`],
    ["a.js", "fetch(`https://api.example.org/data.json`)"],
    ["a.css", `@import url("https://fonts.googleapis.com/css2?family=Y");`],
    ["a.css", `body { background: url(https://example.com/bg.png); }`],
    ["a.html", `<p>text</p><script type="module">import("https://esm.sh/x")</script>`],
    ["a.html", `<p style="background: url('https://example.com/a.png')">x</p>`],
  ];
  for (const [path, text] of cases) {
    assert.equal(externalReferences(path, text).length, 1, `${path}: ${text}`);
  }
});

Deno.test("offline rule: links, namespaces, data and local paths pass", () => {
  const cases: [string, string][] = [
    ["a.html", `Source: <a href="https://archive.ics.uci.edu/dataset/502" rel="external">UCI</a>.`],
    ["a.html", `<a class="x"\n href='https://example.org/'>x</a>`],
    ["a.html", `<p>Source: https://archive.ics.uci.edu/dataset/502 (CC BY 4.0)</p>`],
    ["a.js", `document.createElementNS("http://www.w3.org/2000/svg", "g")`],
    ["a.css", `--caret: url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E")`],
    ["data.json", `{"url": "https://archive.ics.uci.edu/dataset/502"}`],
    ["a.js", `import {x} from "../../_node/d3@7.9.2/index.js"; // a comment // with slashes`],
    ["a.html", `<script type="module" src="./_observablehq/client.js"></script>`],
  ];
  for (const [path, text] of cases) {
    assert.deepEqual(externalReferences(path, text), [], `${path}: ${text}`);
  }
});

Deno.test({
  name: `built site (${relative(ROOT, SITE) || SITE}) loads nothing from another host`,
  ignore: !siteBuilt,
  async fn() {
    const { files, violations } = await scanSite(SITE);
    assert.ok(files > 5, `only ${files} files scanned in ${SITE}`);
    const html = [...Deno.readDirSync(SITE)].filter((e) => e.name.endsWith(".html")).length;
    assert.ok(html >= 1, "no HTML page in the site");
    assert.deepEqual(
      violations.map((v) => `${v.file}: ${v.url}  …${v.context.replace(/\s+/g, " ")}…`),
      [],
      "external references found (see the rule in tests/site_offline_test.ts)",
    );
  },
});

if (!siteBuilt) console.error(`note: no built site at ${SITE}; build it with: npx deno task site`);
