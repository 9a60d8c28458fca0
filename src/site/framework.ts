/**
 * Builds or previews the report site: Observable Framework over the notebooks in `notebooks/`.
 *
 * A build reads the outputs of the analysis (`deno task build`) of one dataset, bundles the pure
 * modules the pages run in the browser (`bundle.ts`), clears the data-loader cache (Framework
 * would otherwise serve the previous run's data, as it only re-runs a loader whose own source
 * changed), and runs Framework with Node. What the build is about travels to Framework's config
 * and loaders as one context file (`context.ts`). The site is built into a private set of the
 * output store (`src/lib/store.ts`) beside the analysis outputs it reports on, and published
 * with them by one rename, so a failed or killed build leaves the previous site (and outputs) in
 * place. One build (or preview) at a time uses the notebooks' cache; Framework exits when the
 * process that started it is gone. Framework's telemetry is switched off.
 *
 * @module
 */
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import type { DatasetConfig } from "../config/dataset.ts";
import { isDatasetPath } from "../config/registry.ts";
import { exists, processAlive, replaceDir, writeJsonAtomic } from "../lib/files.ts";
import { acquireLock, describeHolder, type Lock, lockHolder } from "../lib/lock.ts";
import { display, ROOT } from "../lib/paths.ts";
import { readLockedVersions } from "../lib/provenance.ts";
import {
  ANALYSIS_OUTPUTS,
  checkOutputFolders,
  checkpoint,
  type OutputSetDirs,
  OutputStore,
  removeDeadTemps,
} from "../lib/store.ts";
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
  /**
   * Build a stand-alone copy of the site into this folder (which must not exist, be empty, or
   * hold an earlier site build) instead of publishing it as `<reports>/site`.
   */
  siteDir?: string;
  /**
   * Build into this staged set of the output store: the caller holds the outputs' lock and
   * publishes the set (the main build does, so that analysis and site appear together).
   */
  into?: OutputSetDirs;
  /** Allow output folders outside the workspace or system folders (as for the analysis). */
  allowOutside?: boolean;
  /** Silence Framework's progress output. */
  quiet?: boolean;
}

/** The context of a site build from its options: the public folders (absolute). */
export function planSite(options: SiteOptions): SiteContext {
  // A dataset file is passed on by absolute path: loaders run in another working directory.
  const selector = options.selector && isDatasetPath(options.selector)
    ? resolve(options.selector)
    : options.dataset.id;
  return siteContext(options.dataset, selector, { site: options.siteDir });
}

/** A build's context that reads a set of the output store and writes the site to `site`. */
function contextFor(
  plan: SiteContext,
  set: Pick<OutputSetDirs, "reports" | "processed">,
  site: string,
): SiteContext {
  return {
    ...plan,
    reports: set.reports,
    processed: set.processed,
    site,
    published: { reports: plan.reports, processed: plan.processed, site: plan.site },
  };
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
  await removeDeadContextFiles();
  await removeDeadTemps(join(NOTEBOOKS, "components", "generated"));
  await clearLoaderCache();
  await pinClientLibraries();
  await bundleBrowserModules(ROOT);
}

const CONTEXT_FILE = /^rfm-site-context-(\d+)-[0-9a-f]+\.json$/;

function randomTag(): string {
  return crypto.randomUUID().slice(0, 8);
}

/** Removes context files (in the system's temporary folder) of builds that were killed. */
async function removeDeadContextFiles(): Promise<void> {
  try {
    for await (const e of Deno.readDir(tmpdir())) {
      const m = CONTEXT_FILE.exec(e.name);
      if (m && !processAlive(Number(m[1]))) {
        await Deno.remove(join(tmpdir(), e.name)).catch(() => {});
      }
    }
  } catch {
    // an unreadable temporary folder only means nothing is cleaned
  }
}

/**
 * Framework's cache (`notebooks/.observablehq/cache`) holds the data loaders' outputs of the
 * last build or preview, whatever its dataset: two builds (or a build and the live preview) at
 * once would serve each other's data. This lock lets one at a time use it.
 */
const NOTEBOOKS_LOCK = join(NOTEBOOKS, ".observablehq", "cache", "rfm-site.lock");
const NOTEBOOKS_LOCK_WHAT = "notebooks/ (Framework's cache, shared by site builds and the preview)";

async function lockNotebooks(): Promise<Lock> {
  await Deno.mkdir(dirname(NOTEBOOKS_LOCK), { recursive: true });
  return acquireLock(NOTEBOOKS_LOCK, NOTEBOOKS_LOCK_WHAT);
}

/**
 * Says why a site cannot be built now (another build or the preview is using the notebooks), or
 * null; lets the main build stop before its analysis rather than after.
 */
export async function siteBusy(): Promise<string | null> {
  const holder = await lockHolder(NOTEBOOKS_LOCK);
  if (holder === null) return null;
  return `${NOTEBOOKS_LOCK_WHAT} is in use by ${
    describeHolder(holder === "unknown" ? null : holder)
  }: wait for it to finish, or stop it`;
}

/**
 * Node code run before Framework (`--import`): Framework exits when the process that started it
 * is gone (killed, even with SIGKILL), so that no build or preview server is left behind.
 */
const ORPHAN_WATCH = "data:text/javascript," + encodeURIComponent(
  "const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.exit(1)},500).unref();",
);

/**
 * Starts Framework with a context file (written to a temporary file, removed by `done`).
 */
async function framework(
  args: string[],
  context: SiteContext,
  quiet = false,
): Promise<{ child: Deno.ChildProcess; done: () => Promise<void> }> {
  const contextFile = join(tmpdir(), `rfm-site-context-${Deno.pid}-${randomTag()}.json`);
  await writeJsonAtomic(contextFile, context);
  const env = { [SITE_CONTEXT_ENV]: contextFile, OBSERVABLE_TELEMETRY_DISABLE: "true" };
  const child = new Deno.Command("node", {
    // --root is relative: Framework joins it onto the working directory to find its config.
    args: ["--import", ORPHAN_WATCH, FRAMEWORK, ...args, "--root", relative(ROOT, NOTEBOOKS)],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: quiet ? "null" : "inherit",
    stderr: "inherit",
  }).spawn();
  return { child, done: () => Deno.remove(contextFile).catch(() => {}) };
}

/** Runs Framework's build for a context (its `site` folder is written), holding the notebooks. */
async function renderSite(context: SiteContext, quiet = false): Promise<void> {
  const lock = await lockNotebooks();
  try {
    await prepare(context);
    const run = await framework(["build"], context, quiet);
    checkpoint("site:framework");
    const status = await run.child.status;
    await run.done();
    if (!status.success) {
      throw new Error(`site build failed (observable build exited with ${status.code})`);
    }
  } finally {
    lock.release();
  }
}

/** Renders a site for a build context (the real one runs Framework). */
export type SiteRenderer = (context: SiteContext) => Promise<void>;

/**
 * Builds the site and publishes it as `<reports>/site`, atomically with the analysis outputs it
 * reports on (or into `into` or `siteDir`, see {@link SiteOptions}).
 *
 * @returns the context that was built (the public folders)
 * @throws {Error} when the analysis outputs are missing, Framework fails, or another process is
 *   writing the same outputs or using the notebooks
 */
export function buildSite(options: SiteOptions): Promise<SiteContext> {
  return publishSiteWith(options, (context) => renderSite(context, options.quiet));
}

/**
 * The site build around a renderer (the real one, or a stand-in in the crash tests):
 *
 * - with `into`: renders into that staged set (the caller publishes it);
 * - with `siteDir`: renders the published outputs into a temporary folder beside `siteDir`,
 *   then moves it there;
 * - else: opens the dataset's output store (its lock, the cleanup of an interrupted run), stages
 *   a new set holding the published analysis outputs (hard links), renders into it and publishes
 *   it with one rename: readers see the old site or the new one, never none.
 */
export async function publishSiteWith(
  options: SiteOptions,
  render: SiteRenderer,
): Promise<SiteContext> {
  const plan = planSite(options);
  if (options.into) {
    await render(contextFor(plan, options.into, options.into.site));
    checkpoint("site:rendered");
    return plan;
  }
  const folders = { reports: plan.reports, processed: plan.processed };
  checkOutputFolders(folders, {
    workspace: ROOT,
    datasetDir: options.dataset.baseDir,
    allowAnywhere: options.allowOutside,
  });
  const store = await OutputStore.open(folders, {
    datasetId: options.dataset.id,
    names: { ...ANALYSIS_OUTPUTS, reports: [...ANALYSIS_OUTPUTS.reports, "site"] },
  });
  try {
    if (options.siteDir) {
      await buildCopy(plan, store, render);
      return plan;
    }
    const set = await store.stageFromCurrent();
    try {
      await render(contextFor(plan, set, set.site));
      checkpoint("site:rendered");
      await store.publish(set);
    } catch (e) {
      await store.discard(set);
      throw e;
    }
    return plan;
  } finally {
    store.close();
  }
}

/** A stand-alone copy of the site in `plan.site` (the `siteDir` option), from the published set. */
async function buildCopy(plan: SiteContext, store: OutputStore, render: SiteRenderer) {
  const current = await store.current();
  if (!current) {
    throw new Error(
      `no analysis outputs in ${display(plan.reports)}: run npx deno task build first`,
    );
  }
  const target = plan.site;
  if (await exists(target)) {
    const entries = await Array.fromAsync(Deno.readDir(target));
    const builtSite = entries.some((e) => e.name === "_observablehq") &&
      entries.some((e) => e.name === "index.html");
    if (entries.length && !builtSite) {
      throw new Error(
        `${display(target)} holds files that are not a site build: refusing to replace it`,
      );
    }
  }
  await Deno.mkdir(dirname(target), { recursive: true });
  await removeDeadTemps(dirname(target), /^\.tmp-site-\d+-[0-9a-f]{6}$/);
  const tmp = join(dirname(target), `.tmp-site-${Deno.pid}-${randomTag().slice(0, 6)}`);
  try {
    await render(contextFor(plan, current, tmp));
    await replaceDir(tmp, target);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * The processes that started this one and only pass signals on (`npx`/`npm exec`, `sh -c`,
 * `deno task`, node), with their start times, read from /proc: when one of them is gone, whoever
 * started the preview has stopped it. Empty where /proc is not available.
 */
function launchers(): { pid: number; start: string }[] {
  const chain: { pid: number; start: string }[] = [];
  let pid = Deno.ppid;
  for (let depth = 0; depth < 8 && pid > 1; depth++) {
    let stat: string, comm: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      comm = Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
    } catch {
      break;
    }
    // Fields after the command (in parentheses): state, ppid, … starttime is field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (depth > 0 && !/^(deno|node|npm|npx|sh|dash)\b/.test(comm)) break;
    chain.push({ pid, start: fields[19] });
    pid = Number(fields[1]);
  }
  return chain;
}

function launcherGone(chain: { pid: number; start: string }[], ppid: number): boolean {
  if (Deno.ppid !== ppid) return true;
  for (const { pid, start } of chain) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      if (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] !== start) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * Runs Framework's preview server (live reload) until it is stopped: by SIGINT or SIGTERM, or
 * when the process that started it (`npx`, `deno task`) is gone; the server stops with it.
 */
export async function previewSite(options: SiteOptions & { port?: number }): Promise<void> {
  const plan = planSite(options);
  const lock = await lockNotebooks();
  try {
    await prepare(plan);
    const args = ["preview", "--no-open"];
    if (options.port) args.push("--port", String(options.port));
    const { child, done } = await framework(args, plan);
    const stop = () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    };
    const ppid = Deno.ppid;
    const chain = launchers();
    const watch = setInterval(() => {
      if (launcherGone(chain, ppid)) stop();
    }, 500);
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
    Deno.addSignalListener("SIGHUP", stop);
    const status = await child.status;
    clearInterval(watch);
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    Deno.removeSignalListener("SIGHUP", stop);
    await done();
    if (!status.success && status.signal === null && status.code !== 143) {
      throw new Error(`observable preview exited with ${status.code}`);
    }
  } finally {
    lock.release();
  }
}
