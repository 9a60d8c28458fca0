/// <reference lib="dom" />
/**
 * Browser test of the report site: every page opened in headless Chromium (Debian's
 * `/usr/bin/chromium`, driven by playwright-core; no browser is ever downloaded).
 *
 * ```sh
 * npx deno task test:e2e        # deno test -A tests/e2e/
 * ```
 *
 * Uses the built site in `$RFM_SITE_DIR` (default `reports/site`); builds it first (with
 * notebooks/site.ts, from the existing analysis outputs) when it is missing or when
 * `RFM_E2E_REBUILD=1`. The site is served by a small static server on 127.0.0.1 (port chosen by
 * the system). For each page it checks:
 *
 * - no console error, no uncaught exception, no failed request, no HTTP error;
 * - no request to any host but the local server (such requests are also blocked);
 * - no cell of the notebook failed (Framework shows those as `.observablehq--error`);
 * - every chart drew marks (each Plot SVG has a non-empty mark group), and the page has at least
 *   the charts and tables it is expected to have;
 * - the page's weight (HTML + JavaScript + CSS + data fetched) is under 2 MB;
 *
 * and on the Customers page, that filtering shrinks the table and the CSV download holds exactly
 * the rows shown. It saves a full-page screenshot of each page at 1280 px wide, and of the
 * overview at a phone width of 390 px, in `reports/screenshots/` (`$RFM_SCREENSHOT_DIR`).
 */
import assert from "node:assert/strict";
import { extname, isAbsolute, join, normalize } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const abs = (p: string) => (isAbsolute(p) ? p : join(ROOT, p));
const SITE = abs(Deno.env.get("RFM_SITE_DIR") || "reports/site");
const SHOTS = abs(Deno.env.get("RFM_SCREENSHOT_DIR") || "reports/screenshots");
const CHROMIUM = Deno.env.get("CHROMIUM_PATH") || "/usr/bin/chromium";
const MAX_PAGE_BYTES = 2 * 1024 * 1024;

/** Pages and what each must show at least: Plot charts and tables (HTML or Inputs tables). */
const EXPECTED: Record<string, { charts: number; tables: number }> = {
  "index": { charts: 1, tables: 1 },
  "1-cleaning": { charts: 4, tables: 3 },
  "2-rfm": { charts: 6, tables: 2 },
  "customers": { charts: 0, tables: 1 },
  "methods": { charts: 0, tables: 3 },
};

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".csv": "text/csv; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Bytes served since the counter was last reset (the weight of the page being loaded). */
const served = { bytes: 0 };

/** Serves the built site like a static host with clean URLs ("/2-rfm" → 2-rfm.html). */
function serve(dir: string): { server: Deno.HttpServer; origin: string } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    let path = decodeURIComponent(url.pathname);
    if (path.endsWith("/")) path += "index";
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir)) return new Response("forbidden", { status: 403 });
    for (const candidate of [file, `${file}.html`]) {
      if (await isFile(candidate)) {
        const body = await Deno.readFile(candidate);
        served.bytes += body.length;
        const type = CONTENT_TYPES[extname(candidate)] ?? "application/octet-stream";
        return new Response(body, { headers: { "content-type": type } });
      }
    }
    return new Response("not found", { status: 404 });
  });
  const addr = server.addr as Deno.NetAddr;
  return { server, origin: `http://127.0.0.1:${addr.port}` };
}

/** Builds the site when it is missing (or on request). */
async function ensureSite(): Promise<void> {
  if (Deno.env.get("RFM_E2E_REBUILD") !== "1" && (await isFile(join(SITE, "index.html")))) return;
  const { buildSite } = await import("../../notebooks/site.ts");
  await buildSite({ siteDir: SITE, quiet: true });
}

/** Problems seen while a page loads. */
interface PageLog {
  errors: string[];
}

function watch(page: Page, origin: string): PageLog {
  const log: PageLog = { errors: [] };
  page.on("console", (m) => {
    if (m.type() === "error") log.errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => log.errors.push(`exception: ${e.message}`));
  page.on("requestfailed", (r) => {
    if (!r.url().startsWith(origin)) return; // blocked external requests are reported apart
    log.errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
  page.on("response", (r) => {
    if (r.url().startsWith(origin) && r.status() >= 400) {
      log.errors.push(`HTTP ${r.status()}: ${r.url()}`);
    }
  });
  return log;
}

/** Counts the charts with and without marks, the tables, and the failed cells of a page. */
function inspect(page: Page) {
  return page.evaluate(() => {
    const svgs = [...document.querySelectorAll("#observablehq-main svg")].filter((s) =>
      [...s.classList].some((c) => /^plot-[0-9a-f]+$/.test(c)) // charts, not legend ramps
    );
    const nonMark = /axis|tick|grid|frame|rule|legend/i;
    const empty = svgs.filter((svg) => {
      const groups = [...svg.querySelectorAll("g[aria-label]")].filter((g) =>
        !nonMark.test(g.getAttribute("aria-label") ?? "")
      );
      return !groups.some((g) => g.querySelector("rect, path, circle, text, line") !== null);
    });
    const figures = [...document.querySelectorAll("#observablehq-main figure")];
    const emptyFigures = figures.filter((f) => f.querySelector("svg, table, canvas, img") === null);
    const tables = [...document.querySelectorAll("#observablehq-main table")].filter((t) =>
      t.querySelectorAll("tbody tr").length > 0
    );
    const errors = [...document.querySelectorAll(".observablehq--error")].map((e) =>
      e.textContent ?? ""
    );
    return {
      charts: svgs.length,
      emptyCharts: empty.map((s) =>
        s.closest("figure")?.querySelector("h2")?.textContent ?? "(untitled)"
      ),
      emptyFigures: emptyFigures.length,
      tables: tables.length,
      errors,
      title: document.title,
    };
  });
}

async function openPage(ctx: BrowserContext, origin: string, name: string, width = 1280) {
  const page = await ctx.newPage();
  await page.setViewportSize({ width, height: 900 });
  // A cold cache for every page, so that its weight counts everything it loads.
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const log = watch(page, origin);
  served.bytes = 0;
  await page.goto(`${origin}/${name === "index" ? "" : name}`, { waitUntil: "networkidle" });
  const want = EXPECTED[name] ?? { charts: 0, tables: 0 };
  // Charts are drawn once their container's width is known (Framework's resize()).
  await page.waitForFunction(
    ([charts, tables]) => {
      const svgs = [...document.querySelectorAll("#observablehq-main svg")].filter((s) =>
        [...s.classList].some((c) => /^plot-[0-9a-f]+$/.test(c)) // charts, not legend ramps
      );
      const t = document.querySelectorAll("#observablehq-main table").length;
      return (svgs.length >= charts && t >= tables) ||
        document.querySelector(".observablehq--error") !== null;
    },
    [want.charts, want.tables],
    { timeout: 15_000 },
  ).catch(() => {});
  await page.waitForTimeout(300);
  return { page, log, bytes: served.bytes };
}

Deno.test({
  name: "report site in headless Chromium",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (!(await isFile(CHROMIUM))) {
      throw new Error(
        `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`,
      );
    }
    await ensureSite();
    await Deno.mkdir(SHOTS, { recursive: true });
    const pages = [...Deno.readDirSync(SITE)]
      .filter((e) => e.isFile && e.name.endsWith(".html") && e.name !== "404.html")
      .map((e) => e.name.slice(0, -".html".length))
      .sort();
    for (const name of Object.keys(EXPECTED)) {
      assert.ok(pages.includes(name), `page ${name} was not built`);
    }

    const { server, origin } = serve(SITE);
    const userDataDir = await Deno.makeTempDir({ prefix: "rfm-e2e-chromium-" });
    const ctx = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    const external: string[] = [];
    // Nothing may leave the machine: record and block every request to another host.
    await ctx.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) {
        return route.continue();
      }
      external.push(url);
      return route.abort("blockedbyclient");
    });
    const weights: Record<string, number> = {};
    try {
      for (const name of pages) {
        await t.step(`page ${name}`, async () => {
          const { page, log, bytes } = await openPage(ctx, origin, name);
          const info = await inspect(page);
          await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
          weights[name] = bytes;
          assert.deepEqual(info.errors, [], `failed cells on ${name}`);
          assert.deepEqual(log.errors, [], `errors on ${name}`);
          assert.deepEqual(info.emptyCharts, [], `charts without marks on ${name}`);
          assert.equal(info.emptyFigures, 0, `empty figures on ${name}`);
          const want = EXPECTED[name];
          if (want) {
            assert.ok(
              info.charts >= want.charts,
              `${name}: ${info.charts} charts, expected ≥ ${want.charts}`,
            );
            assert.ok(
              info.tables >= want.tables,
              `${name}: ${info.tables} tables, expected ≥ ${want.tables}`,
            );
          }
          assert.ok(
            bytes < MAX_PAGE_BYTES,
            `${name} weighs ${bytes} bytes (limit ${MAX_PAGE_BYTES})`,
          );
          await page.close();
        });
      }

      await t.step("overview at phone width (390 px)", async () => {
        const { page, log } = await openPage(ctx, origin, "index", 390);
        const info = await inspect(page);
        await page.screenshot({ path: join(SHOTS, "index-phone.png"), fullPage: true });
        assert.deepEqual(log.errors, []);
        assert.deepEqual(info.emptyCharts, []);
        // Nothing wider than the screen but tables, which scroll inside their own box.
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - globalThis.innerWidth
        );
        assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow} px on a phone`);
        await page.close();
      });

      await t.step("customers: filter and download the selection as CSV", async () => {
        const { page, log } = await openPage(ctx, origin, "customers");
        const rowsShown = () =>
          page.evaluate(() => {
            const p = [...document.querySelectorAll("#observablehq-main p")].find((e) =>
              e.textContent?.startsWith("Showing")
            );
            return Number((p?.querySelector("b")?.textContent ?? "").replace(/[^0-9]/g, ""));
          });
        const all = await rowsShown();
        assert.ok(all > 0, "no customers shown");
        const select = page.locator("form select").first();
        const options = await select.locator("option").allTextContents();
        assert.ok(options.length > 2, "segment filter has no options");
        await select.selectOption({ index: 1 });
        await page.waitForTimeout(300);
        const some = await rowsShown();
        assert.ok(some > 0 && some < all, `filtering kept ${some} of ${all} rows`);
        const [download] = await Promise.all([
          page.waitForEvent("download"),
          page.click("button.download"),
        ]);
        const path = await download.path();
        const lines = (await Deno.readTextFile(path!)).trim().split("\n");
        assert.ok(lines[0].startsWith("customer_id,"), `CSV header: ${lines[0]}`);
        assert.equal(lines.length - 1, some, "CSV rows = rows shown");
        assert.deepEqual(log.errors, []);
        await page.close();
      });
    } finally {
      await ctx.close();
      await server.shutdown();
      await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
      const kb = (b: number) => `${(b / 1024).toFixed(0)} kB`;
      console.error(
        `page weights: ${Object.entries(weights).map(([k, v]) => `${k} ${kb(v)}`).join(", ")}`,
      );
      console.error(`screenshots: ${SHOTS}`);
    }
    assert.deepEqual(external, [], "requests to other hosts");
  },
});
