/**
 * One analysis run: resolve the data files, then ingest → clean → RFM → models, and publish every
 * output all-or-nothing. The command-line entry points (`build`, `verify`) call {@link runAnalysis};
 * it prints each stage's time through a {@link Progress}.
 *
 * With {@link AnalysisOptions.until} `"rfm"` the run stops after the customer table; when the
 * data supports RFM but not the models (the model stage throws {@link ModelStageSkipped}), it
 * publishes the same RFM-only outputs and says why. Either way `results.json` and `manifest.json`
 * record it (`models.skipped`, `modelStage`), and no site is built (the site needs the models).
 *
 * The run holds its output folders' lock from start to end (a second build of the same outputs
 * stops at once, naming this one), writes everything into a private set of the output store
 * (`src/lib/store.ts`), lets the caller add to it (the site, {@link AnalysisOptions.beforePublish})
 * and publishes the whole set with one rename.
 *
 * @module
 */
import pl from "nodejs-polars";
import { basename, dirname, isAbsolute, resolve } from "node:path";
import { resolveDataset } from "../acquire/resolve.ts";
import type { DatasetConfig } from "../config/dataset.ts";
import { display, ROOT } from "../lib/paths.ts";
import {
  ANALYSIS_OUTPUTS,
  checkOutputFolders,
  checkpoint,
  type OutputFolders,
  type OutputSetDirs,
  OutputStore,
} from "../lib/store.ts";
import { gitState, readLockedVersions } from "../lib/provenance.ts";
import { buildManifest } from "../report/manifest.ts";
import { buildResults } from "../report/results.ts";
import { ModelStageSkipped } from "../model/skip.ts";
import { keepFreedMemoryWhereDear, releaseNative } from "../lib/memory.ts";
import { heldOutCsv } from "../report/heldout.ts";
// The model stage and the DuckDB engine are loaded when a run needs them (`import()` below): a
// run `--until rfm` on polars loads neither (DuckDB's native library alone takes 0.2 s and 30 MB).
import type { ModelStage, modelStage, SegmentationOnly } from "./model_stage.ts";
import { readCustomerTables } from "../engine/customers.ts";
import { streamedClean } from "./streamed.ts";
import { PrePasses } from "../ingest/ahead.ts";
import { OutputSet } from "./outputs.ts";
import { Progress } from "./progress.ts";
import {
  type CleanStage,
  CUSTOMER_COLUMNS,
  customerOutputTable,
  forwardData,
  ingestAndCleanReleasing,
  preflight,
  rfmFromCustomerTable,
  type RfmStage,
  rfmStage,
  rfmStageOfParts,
  stageCoreOutputs,
  stageLineFiles,
  toArrays,
} from "./stages.ts";

/** Options of {@link runAnalysis}. */
export interface AnalysisOptions {
  /** Folder the output paths are relative to (default: the workspace root). */
  outRoot?: string;
  /** Progress printer. */
  progress?: Progress;
  /**
   * Allow output folders outside the workspace (and outside the dataset file's folder) or system
   * folders (`--allow-outside-workspace`).
   */
  allowOutside?: boolean;
  /**
   * Runs after the analysis outputs are written into the new, still private set and before it is
   * published (the build adds the site there), so that analysis and site appear together. When
   * it throws, nothing is published.
   */
  beforePublish?: (set: OutputSetDirs) => Promise<void>;
  /** Whether `beforePublish` adds a site (checked for foreign files before any work). */
  withSite?: boolean;
  /**
   * The last stage to run: `"rfm"` stops after the customer table (clean lines, quarantine,
   * cleaning report, RFM table, results and manifest; no models, no site). Default: every stage.
   */
  until?: Until;
  /** Where the run's notes go, such as why the model stage was skipped (default: stderr). */
  log?: (line: string) => void;
  /**
   * The model stage to run (default {@link modelStage}). Only tests replace it, to plant a fault.
   * @internal
   */
  modelStageImpl?: typeof modelStage;
  /**
   * Whether the polars data stage runs in parts over spilled files (`streamed.ts`: one file's lines
   * in memory at a time) or on the whole line table: `"on"`, `"off"`, or `"auto"` (the default:
   * in parts when the source files hold {@link STREAM_AUTO_BYTES} or more).
   */
  stream?: StreamMode;
}

/** How a run's data stage ran, recorded in `manifest.json` (`dataStage`). */
export interface DataStageRun {
  /** The engine that cleaned the lines. */
  engine: DatasetConfig["engine"];
  /** Whether it cleaned them in parts (`streamed.ts`) rather than as one table. */
  inParts: boolean;
  /** The `--stream` choice of the run. */
  stream: StreamMode;
  /** The source files' size in bytes, which `--stream auto` compares with {@link STREAM_AUTO_BYTES}. */
  inputBytes: number;
  /**
   * On polars: what a fresh page of memory cost this process (µs per 4 KiB page, `pageFaultCost`)
   * and whether the data stage therefore kept the memory it freed (`shouldKeepFreedMemory`).
   */
  memory?: { pageFaultUs: number; keptFreedMemory: boolean };
}

/** The choices of `build --stream`. */
export const STREAM_MODES = ["auto", "on", "off"] as const;
/** A choice of `build --stream`. */
export type StreamMode = typeof STREAM_MODES[number];
/**
 * Source files of this many bytes or more run the data stage in parts under `--stream auto`: 1 GiB
 * (about 12 million lines of CSV), where the whole table would take about 2.5 GB. In parts the
 * run takes about a third less memory and a quarter more time, and writes the same files.
 */
export const STREAM_AUTO_BYTES = 1024 * 1024 * 1024;

/**
 * Whether a run cleans in parts (`streamed.ts`): always with `"on"`, never with `"off"`, and with
 * `"auto"` when the source files hold {@link STREAM_AUTO_BYTES} or more. Only the polars engine
 * cleans in parts, and only lines (not customer tables).
 *
 * @throws {Error} for `"on"` with the DuckDB engine or a customer table (refused before any work)
 */
export function streamedRun(ds: DatasetConfig, bytes: number, mode: StreamMode = "auto"): boolean {
  if (mode === "on" && ds.engine !== "polars") {
    throw new Error(
      `--stream on runs the polars data stage in parts; the ${ds.engine} engine streams on its own (use --stream auto or off)`,
    );
  }
  if (mode === "on" && isCustomerTable(ds)) {
    throw new Error("--stream on cleans lines in parts; this dataset is a customer table");
  }
  if (mode === "off" || ds.engine !== "polars" || isCustomerTable(ds)) return false;
  return mode === "on" || bytes >= STREAM_AUTO_BYTES;
}

/** The stages a run can stop after (`build --until`). */
export const UNTIL = ["rfm"] as const;
/** A stage a run can stop after. */
export type Until = typeof UNTIL[number];

/** Why the model stage did not run (recorded in results.json and manifest.json). */
export interface ModelStageStatus {
  /** `"done"`, or `"skipped"` with the reason. */
  status: "done" | "skipped";
  /** Why it was skipped, in words a user can act on; absent when done. */
  reason?: string;
}

/** The output folders of a dataset, absolute, and the rules they must follow. */
export function outputFolders(
  ds: DatasetConfig,
  options: Pick<AnalysisOptions, "outRoot" | "allowOutside"> = {},
): OutputFolders {
  const root = options.outRoot ?? ROOT;
  const folders = {
    reports: resolve(root, ds.outputs.reports),
    processed: resolve(root, ds.outputs.processed),
  };
  checkOutputFolders(folders, {
    workspace: resolve(root),
    datasetDir: options.outRoot === undefined ? ds.baseDir : undefined,
    allowAnywhere: options.allowOutside,
  });
  return folders;
}

/** The data files a run reads, as the data step found them. */
type Resolved = Awaited<ReturnType<typeof resolveDataset>>;

/** What {@link runAnalysis} produced. */
export interface AnalysisResult {
  ds: DatasetConfig;
  results: Record<string, unknown>;
  written: string[];
  progress: Progress;
  /** Whether the model stage ran, and if not why. */
  modelStage: ModelStageStatus;
  /** Whether `beforePublish` ran (it does not when the model stage was skipped). */
  sitePublished: boolean;
}

/** Runs the analysis for a dataset and publishes its outputs (with what `beforePublish` adds). */
export async function runAnalysis(
  dataset: DatasetConfig,
  options: AnalysisOptions = {},
): Promise<AnalysisResult> {
  const outRoot = options.outRoot ?? ROOT;
  // With another output root, absolute output folders are re-rooted below it too, so that a
  // verification build never touches the real outputs.
  const reroot = (p: string) => (options.outRoot && isAbsolute(p) ? p.replace(/^\/+/, "") : p);
  const ds: DatasetConfig = {
    ...dataset,
    outputs: {
      reports: reroot(dataset.outputs.reports),
      processed: reroot(dataset.outputs.processed),
    },
  };
  const progress = options.progress ?? new Progress();
  const folders = outputFolders(ds, options);
  // (an impossible setting is refused before any work)
  streamedRun(ds, 0, options.stream);
  // The files' pre-passes are made on the other core from the moment each file is found
  // (polars reads them; DuckDB reads the files itself).
  const ahead = !isCustomerTable(ds) && ds.engine === "polars" ? new PrePasses() : null;
  try {
    const sources = await resolveDataset(ds, {
      root: ROOT,
      log: (m) => console.error(m),
      onFile: (found) => ahead?.add(found),
    });
    ahead?.seal();
    progress.done(
      "data",
      `${sources.length} file(s): ${sources.map((s) => `${s.file.name} (${s.origin})`).join(", ")}`,
    );
    return await checkAndAnalyse(ds, outRoot, folders, sources, progress, options, ahead);
  } finally {
    ahead?.close();
  }
}

/** The preflight, then the run with the output folders locked. */
async function checkAndAnalyse(
  ds: DatasetConfig,
  outRoot: string,
  folders: OutputFolders,
  sources: Resolved,
  progress: Progress,
  options: AnalysisOptions,
  ahead: PrePasses | null,
): Promise<AnalysisResult> {
  if (!isCustomerTable(ds)) {
    preflight(ds, sources);
    progress.done("preflight", "columns, types and timestamp formats checked on a sample");
  }
  // Only now (the configuration is sound) are the output folders touched: created if needed,
  // locked, and cleaned of what an interrupted run left.
  const names = {
    ...ANALYSIS_OUTPUTS,
    reports: [
      ...ANALYSIS_OUTPUTS.reports,
      ...(options.withSite && options.until !== "rfm" ? ["site"] : []),
    ],
  };
  const store = await OutputStore.open(folders, { datasetId: ds.id, names });
  const cleanup: (() => void)[] = [];
  try {
    // The outputs are written into a private set from the start: the clean lines' files are
    // written while the later stages run (see OutputSet.start).
    const set = await store.stage();
    const out = new OutputSet(outRoot);
    const place = (target: string) => {
      const dir = dirname(target);
      if (dir === folders.reports) return `${set.reports}/${basename(target)}`;
      if (dir === folders.processed) return `${set.processed}/${basename(target)}`;
      throw new Error(`${display(target)} is in neither output folder`);
    };
    try {
      const staging = { set, out, place };
      return await analyse(ds, folders, store, sources, progress, options, cleanup, ahead, staging);
    } catch (e) {
      // (the writes started in the background write into the set: they end before it goes)
      await out.settled();
      await store.discard(set);
      throw e;
    }
  } finally {
    for (const f of cleanup) f();
    store.close();
  }
}

/** Whether the dataset's files are customer tables (`format: "customers"`; never mixed). */
function isCustomerTable(ds: DatasetConfig): boolean {
  return ds.files.length > 0 && ds.files[0].format === "customers";
}

/** Why a dataset of customer tables has no model stage. */
export const CUSTOMER_TABLE_NO_MODELS = "the dataset is a customer table (one row per customer, " +
  'format "customers"): the loyalty model learns from snapshots of the purchase history at ' +
  "earlier cutoffs, which a customer table does not hold, so the model stage (K-Means and the " +
  "loyalty model) does not run; the RFM scores, RFM segments and customer table are published";

/** Where {@link analyse} writes: the staged set, its files, and where each goes in it. */
interface Staging {
  set: OutputSetDirs;
  out: OutputSet;
  place: (target: string) => string;
}

/** The run itself, with the store open, writing into a staged set of outputs. */
/**
 * Whether the data stage ran in parts with `--until rfm` (it holds no line, only the customer
 * metrics gathered file by file): the pages freed around the RFM stage then go back to the
 * system, where a run that keeps its lines for the models leaves them.
 */
function leanRun(cleaned: CleanStage | null): boolean {
  return cleaned?.customerParts !== undefined;
}

async function analyse(
  ds: DatasetConfig,
  folders: OutputFolders,
  store: OutputStore,
  sources: Resolved,
  progress: Progress,
  options: AnalysisOptions,
  cleanup: (() => void)[],
  ahead: PrePasses | null,
  { set, out, place }: Staging,
): Promise<AnalysisResult> {
  checkpoint("ingest");
  const log = options.log ?? ((line: string) => console.error(line));
  // Between stages the native frames a stage dropped are released at once (see releaseNative).
  let cleaned: CleanStage | null = null;
  let rfm: RfmStage;
  let rowsIn: Record<string, number>;
  // The run stops after the customer table (`--until rfm`): nothing only the models read.
  const rfmOnly = options.until === "rfm";
  // Ends keeping freed memory (see keepFreedMemory), when the data stage kept it.
  let keeping: (() => void) | null = null;
  // How the data stage ran, for the manifest (null: a customer table, no data stage here).
  let dataStage: DataStageRun | null = null;
  if (isCustomerTable(ds)) {
    // The warehouse round trip: the data stage ran elsewhere; one row per customer comes back.
    const table = readCustomerTables(sources.map((s) => ({ path: s.path, name: s.file.name })));
    rowsIn = table.rows;
    progress.done(
      "customer table",
      `${
        table.customers.height.toLocaleString("en")
      } customers, analysis date ${table.analysisDate}`,
    );
    rfm = rfmFromCustomerTable(ds, table, sources.map((s) => s.file.name).join(", "), progress);
  } else {
    const bytes = sources.reduce((n, s) => n + Deno.statSync(s.path).size, 0);
    const inParts = streamedRun(ds, bytes, options.stream);
    dataStage = {
      engine: ds.engine,
      inParts,
      stream: options.stream ?? "auto",
      inputBytes: bytes,
    };
    if (ds.engine === "duckdb") {
      cleaned = await (await import("./duckdb_stage.ts")).duckdbClean(ds, sources, progress);
    } else {
      // Where page faults are dear, the memory freed is kept for the next allocations rather
      // than faulted in again (see keepFreedMemory), through the RFM stage (until the models):
      // in parts the free pages still go back at the end of each pass (an explicit trim); on the
      // whole table they stay. Elsewhere keeping costs peak memory and saves no time.
      const kept = keepFreedMemoryWhereDear();
      keeping = kept.end;
      dataStage.memory = {
        pageFaultUs: Math.round(kept.pageFaultUs * 10) / 10,
        keptFreedMemory: keeping !== null,
      };
      if (inParts) {
        const streamed = await streamedClean(
          ds,
          sources,
          progress,
          rfmOnly ? "rfm" : "all",
          ahead ?? undefined,
        );
        cleanup.push(streamed.dispose);
        cleaned = streamed.stage;
      } else {
        cleaned = await ingestAndCleanReleasing(ds, sources, progress, ahead ?? undefined, {
          trim: keeping === null,
        });
      }
    }
    rowsIn = cleaned.rowsIn;
    // The clean lines' and the quarantine's files are written now, by polars on its own
    // threads, while the customer table and the models are computed. (In parts with `--until
    // rfm`, the RFM stage holds little: its lines' metrics are gathered already. Writing the
    // files beside it: 10×, 0.6–0.8 s sooner, the peak after the data stage 770 → 880–940 MiB,
    // below the data stage's own.)
    stageLineFiles(out, ds, cleaned);
    out.start(place);
    await releaseNative({ trim: leanRun(cleaned) });
    rfm = cleaned.customerParts
      ? rfmStageOfParts(ds, cleaned.customerParts, progress)
      : rfmStage(ds, cleaned.kept, progress, cleaned.quarantine, { features: !rfmOnly });
  }
  await releaseNative({ trim: leanRun(cleaned) });

  const packages = await readLockedVersions(ROOT);
  let models: ModelStage | null = null;
  let segmentsOnly: SegmentationOnly | null = null;
  let status: ModelStageStatus = { status: "done" };
  if (rfmOnly) {
    status = {
      status: "skipped",
      reason: "the build stopped after the customer table (--until rfm)",
    };
  } else if (cleaned === null) {
    // A customer table: K-Means segments only (the loyalty model needs the purchase history).
    status = { status: "skipped", reason: CUSTOMER_TABLE_NO_MODELS };
    log(`model stage skipped: ${CUSTOMER_TABLE_NO_MODELS}`);
    const { segmentationStage } = await import("./model_stage.ts");
    try {
      segmentsOnly = segmentationStage(
        ds,
        toArrays(rfm.customers, rfm.scores.rfm_segment),
        CUSTOMER_TABLE_NO_MODELS,
        (name, detail) => progress.done(name, detail),
      );
    } catch (e) {
      if (!(e instanceof ModelStageSkipped)) throw e;
      status = {
        status: "skipped",
        reason: `${CUSTOMER_TABLE_NO_MODELS}; no K-Means: ${e.message}`,
      };
      log(`K-Means skipped: ${e.message}`);
      progress.done("k-means skipped", "RFM outputs only");
    }
  } else {
    // The models allocate little: the memory the data stage held goes back before them.
    keeping?.();
    try {
      models = await runModels(
        ds,
        cleaned,
        rfm,
        packages,
        progress,
        options.modelStageImpl,
      );
    } catch (e) {
      if (!(e instanceof ModelStageSkipped)) throw e;
      status = { status: "skipped", reason: e.message };
      log(`model stage skipped: ${e.message}`);
      progress.done("model stage skipped", "RFM outputs only");
    }
    checkpoint("model");
  }

  const table = models
    ? customerOutputTable(...withModelColumns(rfm.customers, models))
    : segmentsOnly
    ? customerOutputTable(
      rfm.customers.withColumns(pl.Series("cluster", segmentsOnly.cluster, pl.Utf8)),
      ["cluster"],
    )
    : customerOutputTable(rfm.customers);

  stageCoreOutputs(out, ds, cleaned, rfm, table);
  const R = ds.outputs.reports;
  if (models) {
    out.addJson(`${R}/metrics.json`, models.metrics);
    out.add(`${R}/heldout.csv`, heldOutCsv(models.loyalty.heldOut, models.loyalty.model.levels));
    out.addJson(`${R}/model.json`, models.model);
  }
  if (segmentsOnly) out.addJson(`${R}/metrics.json`, segmentsOnly.metrics);
  const results = buildResults(
    cleaned?.report ?? null,
    rfm.summary,
    models ? models.metrics : segmentsOnly ? segmentsOnly.metrics : { skipped: status.reason },
  );
  out.addJson(`${R}/results.json`, results);
  progress.done("assemble outputs", `${out.paths().length} files`);
  const manifest = buildManifest({
    ds,
    inputs: sources.map((s) => ({
      file: s.file.name,
      origin: s.origin,
      sha256: s.sha256,
      rows: rowsIn[s.file.name],
    })),
    packages,
    git: await gitState(ROOT),
    stages: progress.stages,
  });
  out.addJson(`${R}/manifest.json`, { ...manifest, modelStage: status, dataStage });
  await out.writeInto(place);
  progress.done("write outputs", `${out.paths().length} files, in ${display(set.dir)}`);
  checkpoint("write");
  // The site shows the models: without them there is none (the caller says so).
  if (options.beforePublish && models) await options.beforePublish(set);
  await store.publish(set);
  const written = out.paths().map((p) => resolve(out.root, p));
  progress.done(
    "publish",
    `${written.length} files in ${display(folders.reports)} and ${display(folders.processed)}`,
  );
  return {
    ds,
    results,
    written,
    progress,
    modelStage: status,
    sitePublished: !!(options.beforePublish && models),
  };
}

/**
 * Forward data and the model stage (`impl`, a test's planted fault, or else the module's own,
 * loaded here); throws {@link ModelStageSkipped} when the data cannot fit them.
 */
async function runModels(
  ds: DatasetConfig,
  cleaned: CleanStage,
  rfm: ReturnType<typeof rfmStage>,
  packages: Record<string, string>,
  progress: Progress,
  impl: typeof modelStage | undefined,
): Promise<ModelStage> {
  const { modelStage, segmentInWorker } = await import("./model_stage.ts");
  const stage = impl ?? modelStage;
  const current = toArrays(rfm.customers, rfm.scores.rfm_segment);
  // K-Means needs only today's customers: it starts in a worker while polars computes the
  // forward data, and is ended if the run stops before it needs the segments.
  const abort = new AbortController();
  const segmented = segmentInWorker(current, ds.model, abort.signal);
  segmented.catch(() => {}); // taken up by the model stage
  try {
    const forward = forwardData(ds, cleaned);
    progress.done(
      "features at cutoff",
      `${forward.features.customer_id.length} customers before ${forward.cutoff}`,
    );
    return await stage(
      ds,
      current,
      forward,
      {
        "ml-kmeans": packages["ml-kmeans"],
        "ml-knn": packages["ml-knn"],
        "ml-logistic-regression": packages["ml-logistic-regression"],
      },
      (name, detail) => progress.done(name, detail),
      { segmented },
    );
  } finally {
    abort.abort(new Error("the model stage stopped before it needed the segments"));
  }
}

/**
 * The customer table with the model columns (cluster, level, probabilities, score, band and, when
 * the model gives them, reasons) and the names of the columns to write after the RFM ones.
 */
function withModelColumns(
  customers: pl.DataFrame,
  models: ModelStage,
): [pl.DataFrame, string[]] {
  const cols = models.columns;
  const levels = models.loyalty.model.levels;
  const withModels = customers.withColumns(
    pl.Series("cluster", cols.cluster, pl.Utf8),
    pl.Series("loyalty_level", cols.loyalty_level, pl.Utf8),
    ...levels.map((l) => pl.Series(`p_${l}`, cols.probabilities[l], pl.Float64)),
    pl.Series("score", cols.score, pl.Int32),
    pl.Series("band", cols.band, pl.Utf8),
    ...(cols.reasons ? [pl.Series("reasons", cols.reasons, pl.Utf8)] : []),
  );
  // The model's own inputs travel with the table, so the report and the batch scorer can show
  // and re-score exactly what the model saw.
  const modelInputs = models.loyalty.model.features.filter((f) =>
    withModels.columns.includes(f) && !(CUSTOMER_COLUMNS as readonly string[]).includes(f)
  );
  return [withModels, [
    ...modelInputs,
    "cluster",
    "loyalty_level",
    ...levels.map((l) => `p_${l}`),
    "score",
    "band",
    ...(cols.reasons ? ["reasons"] : []),
  ]];
}
