/**
 * Builds or previews the report site: Observable Framework over the notebooks in `notebooks/`.
 *
 * A build reads the outputs of the analysis (`deno task build`) of one dataset, bundles the pure
 * modules the pages run in the browser (`bundle.ts`), clears the data-loader cache (Framework
 * would otherwise serve the previous run's data, as it only re-runs a loader whose own source
 * changed), and runs Framework with Node. What the build is about travels to Framework's config
 * and loaders as one context file (`context.ts`). A build is written to a temporary folder and
 * moved onto `<reports>/site` only when it succeeded, so a failed build leaves the previous site
 * in place. Framework's telemetry is switched off.
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";
import type { DatasetConfig } from "../config/dataset.ts";
import { isDatasetPath } from "../config/registry.ts";
import { exists, replaceDir, writeJsonAtomic } from "../lib/files.ts";
import { display, ROOT } from "../lib/paths.ts";
import { readLockedVersions } from "../lib/provenance.ts";
import { bundleBrowserModules } from "./bundle.ts";
import { SITE_CONTEXT_ENV, type SiteContext, siteContext } from "./context.ts";

const NOTEBOOKS = join(ROOT, "notebooks");
const FRAMEWORK = join(
  ROOT,
  "node_modules",
  "@observablehq",
  "framework",
  "dist",
  "bin",
  "observable.js",
);

/** Options of {@link buildSite} and {@link previewSite}. */
export interface SiteOptions {
  /** The dataset whose outputs the site reports on. */
  dataset: DatasetConfig;
  /** How the dataset was selected (registry id or dataset file path; default: its id). */
  selector?: string;
  /** Site output folder (default `<reports>/site`). */
  siteDir?: string;
  /** Silence Framework's progress output. */
  quiet?: boolean;
}

/** The context of a site build from its options (folders made absolute). */
export function planSite(options: SiteOptions): SiteContext {
  // A dataset file is passed on by absolute path: loaders run in another working directory.
  const selector = options.selector && isDatasetPath(options.selector)
    ? resolve(options.selector)
    : options.dataset.id;
  return siteContext(options.dataset, selector, { site: options.siteDir });
}

/** Fails early, with the command to run, when the analysis outputs are not there. */
async function checkInputs(plan: SiteContext): Promise<void> {
  const needed = [
    `${plan.reports}/cleaning.json`,
    `${plan.reports}/rfm.json`,
    `${plan.processed}/transactions.parquet`,
    `${plan.processed}/quarantine.parquet`,
    `${plan.processed}/customers.parquet`,
  ];
  const missing = [];
  for (const p of needed) if (!(await exists(p))) missing.push(display(p));
  if (missing.length) {
    throw new Error(
      `analysis outputs missing (${missing.join(", ")}): run npx deno task build first`,
    );
  }
}

/** Removes the cached outputs of the data loaders (not Framework's bundles of node_modules). */
async function clearLoaderCache(): Promise<void> {
  await Deno.remove(join(NOTEBOOKS, ".observablehq", "cache", "data"), { recursive: true }).catch(
    (e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    },
  );
}

/**
 * Framework's client bundle refers to a few libraries by `npm:name` (the lazily loaded
 * "recommended libraries": d3, Plot, React …) and asks the npm registry for their latest
 * version the first time it builds with an empty cache. The pages never load them (they import
 * everything from node_modules), so their versions are pinned here instead: the installed version
 * when package-lock.json has one, else the version below. This keeps the build off the network
 * and its output the same from one day to the next. The pins only name folders in Framework's
 * cache (`_npm/<name>@<version>`); nothing is downloaded.
 */
const PINNED_CLIENT_LIBRARIES: Record<string, string> = {
  "@observablehq/plot": "0.6.17",
  "@observablehq/sample-datasets": "1.0.1",
  "apache-arrow": "21.2.0",
  arquero: "8.0.3",
  d3: "7.9.2",
  "d3-dsv": "3.0.2",
  echarts: "6.1.0",
  htl: "0.3.1",
  leaflet: "1.9.4",
  lodash: "4.18.1",
  "mapbox-gl": "3.32.0",
  "parquet-wasm": "0.8.0",
  react: "19.3.1",
  "react-dom": "19.3.1",
  "topojson-client": "3.1.0",
};

/** Seeds Framework's npm version cache with {@link PINNED_CLIENT_LIBRARIES}. */
async function pinClientLibraries(): Promise<void> {
  const locked = await readLockedVersions(ROOT, Object.keys(PINNED_CLIENT_LIBRARIES));
  const cache = join(NOTEBOOKS, ".observablehq", "cache", "_npm");
  for (const [name, pinned] of Object.entries(PINNED_CLIENT_LIBRARIES)) {
    await Deno.mkdir(join(cache, `${name}@${locked[name] ?? pinned}`), { recursive: true });
  }
}

/** Everything a Framework run needs first: the outputs exist, fresh loaders, the bundle. */
async function prepare(plan: SiteContext): Promise<void> {
  await checkInputs(plan);
  await clearLoaderCache();
  await pinClientLibraries();
  await bundleBrowserModules(ROOT);
}

/**
 * Starts Framework with a context file (written to a temporary file, removed by `done`).
 */
async function framework(
  args: string[],
  context: SiteContext,
  quiet = false,
): Promise<{ child: Deno.ChildProcess; done: () => Promise<void> }> {
  const contextFile = await Deno.makeTempFile({ prefix: "rfm-site-context-", suffix: ".json" });
  await writeJsonAtomic(contextFile, context);
  const env = { [SITE_CONTEXT_ENV]: contextFile, OBSERVABLE_TELEMETRY_DISABLE: "true" };
  const child = new Deno.Command("node", {
    // --root is relative: Framework joins it onto the working directory to find its config.
    args: [FRAMEWORK, ...args, "--root", relative(ROOT, NOTEBOOKS)],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: quiet ? "null" : "inherit",
    stderr: "inherit",
  }).spawn();
  return { child, done: () => Deno.remove(contextFile).catch(() => {}) };
}

/**
 * Builds the site into `<reports>/site` (or `siteDir`), atomically.
 *
 * @returns the context that was built (folders read and written)
 * @throws {Error} when the analysis outputs are missing or Framework fails
 */
export async function buildSite(options: SiteOptions): Promise<SiteContext> {
  const plan = planSite(options);
  await prepare(plan);
  const tmp = join(dirname(plan.site), `.tmp-site-${Deno.pid}`);
  const run = await framework(["build"], { ...plan, site: tmp }, options.quiet);
  const status = await run.child.status;
  await run.done();
  if (!status.success) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw new Error(`site build failed (observable build exited with ${status.code})`);
  }
  await replaceDir(tmp, plan.site);
  return plan;
}

/** Runs Framework's preview server (live reload) until it is stopped. */
export async function previewSite(options: SiteOptions & { port?: number }): Promise<void> {
  const plan = planSite(options);
  await prepare(plan);
  const args = ["preview", "--no-open"];
  if (options.port) args.push("--port", String(options.port));
  const { child, done } = await framework(args, plan);
  // Stopping this process (Ctrl-C, kill) stops the preview server with it.
  const stop = () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const status = await child.status;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await done();
  if (!status.success && status.signal === null) {
    throw new Error(`observable preview exited with ${status.code}`);
  }
}
