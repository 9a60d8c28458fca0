/**
 * Builds or previews the report site (Observable Framework, pages in `notebooks/`).
 *
 * ```sh
 * deno run -A notebooks/site.ts build [--dataset <id | path/to/dataset.json>]   # → <reports>/site
 * deno run -A notebooks/site.ts dev   [--dataset …] [--port 3000]              # live preview
 * ```
 *
 * It reads the outputs of the analysis (`deno task build`) of the selected dataset (default: the
 * registry's default) and passes their folders to the data loaders in the environment
 * (`RFM_DATASET`, `RFM_REPORTS_DIR`, `RFM_PROCESSED_DIR`; already-set variables win), clears the
 * data-loader cache (Framework would otherwise serve the previous run's data, as it only
 * re-runs a loader whose own source changed), then runs Framework with Node. A build is written
 * to a temporary folder and moved onto `<reports>/site` only when it succeeded, so a failed
 * build leaves the previous site in place. Framework's telemetry is switched off.
 *
 * @module
 */
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadSelectedDataset, parseDatasetArg } from "../src/cli/args.ts";
import { exists } from "../src/io.ts";

/** Repository root. */
export const ROOT: string = resolve(fileURLToPath(new URL("../", import.meta.url)));
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
  /** Dataset id or path to a dataset JSON file (default: the registry's default). */
  dataset?: string | null;
  /** Reports folder to read (default: `RFM_REPORTS_DIR`, else the dataset's `outputs.reports`). */
  reportsDir?: string;
  /** Processed-tables folder (default: `RFM_PROCESSED_DIR`, else the dataset's `outputs.processed`). */
  processedDir?: string;
  /** Site output folder (default: `RFM_SITE_DIR`, else `<reports>/site`). */
  siteDir?: string;
  /** Where Framework's progress goes (default: inherited, i.e. the terminal). */
  quiet?: boolean;
}

/** The folders a site build reads and writes (absolute) and the environment it passes on. */
export interface SitePlan {
  dataset: string | null;
  reports: string;
  processed: string;
  site: string;
  env: Record<string, string>;
}

const abs = (p: string) => (isAbsolute(p) ? p : join(ROOT, p));

/** Resolves the folders of a site build from the options, the environment and the dataset. */
export async function planSite(options: SiteOptions = {}): Promise<SitePlan> {
  const env = (k: string) => Deno.env.get(k) || undefined;
  const selected = options.dataset ?? env("RFM_DATASET") ?? null;
  const ds = await loadSelectedDataset(selected ? ["--dataset", selected] : [], ROOT);
  const reports = abs(options.reportsDir ?? env("RFM_REPORTS_DIR") ?? ds.outputs.reports);
  const processed = abs(options.processedDir ?? env("RFM_PROCESSED_DIR") ?? ds.outputs.processed);
  const site = abs(options.siteDir ?? env("RFM_SITE_DIR") ?? join(reports, "site"));
  const datasetRef = selected !== null && (selected.endsWith(".json") || selected.includes("/"))
    ? abs(selected)
    : ds.id;
  return {
    dataset: datasetRef,
    reports,
    processed,
    site,
    env: {
      RFM_DATASET: datasetRef,
      RFM_REPORTS_DIR: reports,
      RFM_PROCESSED_DIR: processed,
      RFM_SITE_DIR: site,
      OBSERVABLE_TELEMETRY_DISABLE: "true",
    },
  };
}

/** Fails early, with the command to run, when the analysis outputs are not there. */
async function checkInputs(plan: SitePlan): Promise<void> {
  const needed = [
    `${plan.reports}/cleaning.json`,
    `${plan.reports}/rfm.json`,
    `${plan.processed}/transactions.parquet`,
    `${plan.processed}/quarantine.parquet`,
    `${plan.processed}/customers.parquet`,
  ];
  const missing = [];
  for (const p of needed) if (!(await exists(p))) missing.push(relative(ROOT, p));
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
  let lock: { packages?: Record<string, { version?: string }> } = {};
  try {
    lock = JSON.parse(await Deno.readTextFile(join(ROOT, "package-lock.json")));
  } catch {
    // no lockfile: the pins below are used as they are
  }
  const cache = join(NOTEBOOKS, ".observablehq", "cache", "_npm");
  for (const [name, pinned] of Object.entries(PINNED_CLIENT_LIBRARIES)) {
    const version = lock.packages?.[`node_modules/${name}`]?.version ?? pinned;
    await Deno.mkdir(join(cache, `${name}@${version}`), { recursive: true });
  }
}

function framework(args: string[], env: Record<string, string>, quiet = false): Deno.ChildProcess {
  return new Deno.Command("node", {
    // --root is relative: Framework joins it onto the working directory to find its config.
    args: [FRAMEWORK, ...args, "--root", relative(ROOT, NOTEBOOKS)],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: quiet ? "null" : "inherit",
    stderr: "inherit",
  }).spawn();
}

/**
 * Builds the site into `<reports>/site` (or `siteDir`), atomically.
 *
 * @returns the plan that was built (folders read and written)
 * @throws {Error} when the analysis outputs are missing or Framework fails
 */
export async function buildSite(options: SiteOptions = {}): Promise<SitePlan> {
  const plan = await planSite(options);
  await checkInputs(plan);
  await clearLoaderCache();
  await pinClientLibraries();
  const tmp = join(dirname(plan.site), `.tmp-site-${Deno.pid}`);
  const status = await framework(["build"], { ...plan.env, RFM_SITE_DIR: tmp }, options.quiet)
    .status;
  if (!status.success) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw new Error(`site build failed (observable build exited with ${status.code})`);
  }
  await Deno.remove(plan.site, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.rename(tmp, plan.site);
  return plan;
}

/** Runs Framework's preview server (live reload) until it is stopped. */
export async function previewSite(options: SiteOptions & { port?: number } = {}): Promise<void> {
  const plan = await planSite(options);
  await checkInputs(plan);
  await clearLoaderCache();
  await pinClientLibraries();
  const args = ["preview", "--no-open"];
  if (options.port) args.push("--port", String(options.port));
  const child = framework(args, plan.env);
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
  if (!status.success && status.signal === null) {
    throw new Error(`observable preview exited with ${status.code}`);
  }
}

if (import.meta.main) {
  const { dataset, rest } = parseDatasetArg(Deno.args);
  const command = rest[0] ?? "build";
  const portAt = rest.indexOf("--port");
  const port = portAt >= 0 ? Number(rest[portAt + 1]) : undefined;
  try {
    if (command === "build") {
      const t0 = performance.now();
      const plan = await buildSite({ dataset });
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      console.error(`site: ${relative(ROOT, plan.site)} built in ${s} s`);
    } else if (command === "dev") {
      await previewSite({ dataset, port });
    } else {
      throw new Error(`unknown command "${command}" (use build or dev)`);
    }
  } catch (e) {
    console.error(`site: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
