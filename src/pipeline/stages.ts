/**
 * The analysis pipeline: ingest → clean → RFM (→ models), with progress and all-or-nothing
 * outputs. This is the I/O edge; the stages it calls are pure functions in the other modules.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DatasetConfig, MappableColumn } from "../config/dataset.ts";
import {
  describeIngest,
  dictionaryColumns,
  ingestFile,
  type IngestSummary,
  readSource,
  sinkAsPlainText,
  toCanonical,
} from "../ingest/ingest.ts";
import { cleanSteps } from "../clean/clean.ts";
import { releaseNative, runReleasing, runSteps, type Steps } from "../lib/memory.ts";
import { type AsOfDifference, cleanAsOf } from "../clean/as_of.ts";
import { FEATURE_NAMES } from "../config/features.ts";
import { type WindowedFeatures, windowedFeatures } from "../features/windowed.ts";
import { assertReconciles, type CleaningReport } from "../clean/report.ts";
import { DAY_MS, DAY_US, dayIso, daysBetween, isoDay } from "../lib/time.ts";
import type { CustomerMetricsInParts } from "../rfm/parts.ts";
import {
  analysisDateAfter,
  customerMetrics,
  defaultAnalysisDate,
  type PurchaseDates,
  purchaseDates,
  type RfmScores,
  scoreRfm,
  windowOutcome,
} from "../rfm/rfm.ts";
import { SEGMENT_RULES } from "../rfm/segments.ts";
import { checkLevelNames, checkLevels, checkOutcomeWindow } from "../model/guards.ts";
import { ModelStageSkipped } from "../model/skip.ts";
import { BGNBD_FEATURE, bgnbdExpectedFeature } from "../model/bgnbd_feature.ts";
import { safeCsv } from "../lib/csv.ts";
import { OutputSet } from "./outputs.ts";
import type { Progress } from "./progress.ts";
import type { PrePasses } from "../ingest/ahead.ts";

/** A source file ready to read: its configuration and where it was found. */
export interface SourceFile {
  file: DatasetConfig["files"][number];
  path: string;
  /** Where it was found; a file converted from the official download is checked against `sheetRows`. */
  origin?: string;
}

/** Thousands separators for progress lines (`1,067,370`). */
export function fmt(n: number): string {
  return n.toLocaleString("en-GB");
}

/**
 * Checks every source file's structure on its first rows before any real work: mapped columns
 * present, types readable, timestamps parse with the configured format. Throws the same clear
 * {@link InputError} the full ingest would, naming the file and column, within milliseconds.
 */
export function preflight(ds: DatasetConfig, sources: SourceFile[], sampleRows = 2000): void {
  for (const s of sources) {
    const sample = readSource(s.path, s.file, sampleRows);
    toCanonical(sample, s.file, { timezone: ds.timezone });
  }
}

/** Result of the ingest stage: the canonical rows of every file, and what ingest counted. */
export interface IngestStage {
  /** Canonical rows of every file, concatenated in configuration order. */
  tx: pl.DataFrame;
  /** Canonical columns each file provides. */
  provided: Record<string, Set<MappableColumn>>;
  /** Rows read from each file, counted at read time (before any mapping). */
  rowsRead: Record<string, number>;
  /** How each file was read: records, blank lines, quarantined rows, normalised values. */
  ingest?: IngestSummary[];
}

/**
 * Checks the rows read from a file against its configuration (`rows`, or `sheetRows` for a file
 * converted from the official download).
 *
 * @example
 * ```ts
 * import { checkRowCount } from "./stages.ts";
 * import { throws } from "node:assert/strict";
 * const file = { name: "a.csv", rows: 3, sheetRows: null } as Parameters<typeof checkRowCount>[0]["file"];
 * checkRowCount({ file, path: "a.csv" }, 3);
 * throws(() => checkRowCount({ file, path: "a.csv" }, 2), /a.csv: expected 3 rows \(configuration\), read 2/);
 * ```
 *
 * @throws {Error} naming the file and both counts when they differ
 */
export function checkRowCount(s: SourceFile, rowsRead: number): void {
  const expected = s.origin === "download" ? s.file.sheetRows : s.file.rows;
  if (expected !== null && expected !== undefined && rowsRead !== expected) {
    throw new Error(
      `${s.file.name}: expected ${fmt(expected)} rows (configuration), read ${fmt(rowsRead)}`,
    );
  }
}

/**
 * Reads every source file and maps it to the canonical schema, counting the rows read per file.
 *
 * @param ds dataset configuration
 * @param sources resolved source files, in configuration order
 * @param progress progress printer
 * @throws {Error} when a file's row count differs from the configuration (`rows`, or `sheetRows`
 *   for a file converted from the official download)
 */
export function ingestSources(
  ds: DatasetConfig,
  sources: SourceFile[],
  progress: Progress,
): IngestStage {
  return runSteps(ingestSteps(ds, sources, progress));
}

/** What ingest counts file by file: the {@link IngestStage} without its lines. */
export type IngestCounts = Required<Omit<IngestStage, "tx">>;

/** Empty {@link IngestCounts}, for {@link ingestOne} to fill. */
export function ingestCounts(): IngestCounts {
  return { provided: {}, rowsRead: {}, ingest: [] };
}

/**
 * Reads one source file and maps it to the canonical schema: its canonical rows, with its
 * columns, rows read and summary added to `counts` and its progress line printed. Its pre-pass
 * is taken from `ahead` when it was made there: a step that waits for it first when the worker
 * is still making it (run with `runReleasing`; the first file's pre-pass is seldom in when its
 * reading starts, and scanning the file again here cost 0.29 s of 3.1 s at 1×).
 *
 * @throws {Error} when the file's row count differs from the configuration (see
 *   {@link checkRowCount})
 */
export function* ingestOne(
  ds: DatasetConfig,
  s: SourceFile,
  progress: Progress,
  counts: IngestCounts,
  ahead?: PrePasses,
): Steps<pl.DataFrame> {
  const prePass = ahead?.running(s.path);
  if (prePass) yield prePass;
  const got = ingestFile(s.path, s.file, { timezone: ds.timezone }, ahead?.take(s.path));
  counts.provided[got.name] = got.provided;
  counts.rowsRead[got.name] = got.rowsRead;
  counts.ingest.push(got.summary);
  checkRowCount(s, got.rowsRead);
  progress.done(`ingest ${s.file.name}`, describeIngest(got.summary));
  return got.canonical;
}

/**
 * {@link ingestSources} in steps: it pauses after each file, where that file's intermediate frames
 * can be released (`runReleasing`; about 1.1 GiB less memory after ingesting twenty files).
 */
export function* ingestSteps(
  ds: DatasetConfig,
  sources: SourceFile[],
  progress: Progress,
  ahead?: PrePasses,
): Steps<IngestStage> {
  const parts: pl.DataFrame[] = [];
  const counts = ingestCounts();
  for (const s of sources) {
    parts.push(yield* ingestOne(ds, s, progress, counts, ahead));
    yield;
  }
  const { provided, rowsRead, ingest } = counts;
  // Rows quarantined while reading carry `ingest_reason`; files without any get a null one.
  if (parts.some((p) => p.columns.includes("ingest_reason"))) {
    for (const [i, p] of parts.entries()) {
      if (!p.columns.includes("ingest_reason")) {
        parts[i] = p.withColumns(pl.lit(null).cast(pl.Utf8).alias("ingest_reason"));
      }
    }
  }
  // Files are appended as chunks (no copy of the rows); many small chunks are joined once.
  let tx = parts.length === 1 ? parts[0] : pl.concat(parts, { rechunk: false, how: "vertical" });
  if (tx.nChunks() > 64) tx = tx.rechunk();
  return { tx, provided, rowsRead, ingest };
}

/** Result of the ingest and cleaning stage. */
export interface CleanStage {
  kept: pl.DataFrame;
  quarantine: pl.DataFrame;
  report: CleaningReport;
  /** Rows read per file (by ingest), the `rows_in` of the cleaning report. */
  rowsIn: Record<string, number>;
  /** How each file was read (from {@link IngestStage}), written to `cleaning.json`. */
  ingest?: IngestSummary[];
  /**
   * Writers of the clean lines' and the quarantine's files, when these are not written from
   * `kept` and `quarantine` (a streamed run writes them from its spills: `streamed.ts`).
   */
  writers?: { kept: (path: string) => Promise<void>; quarantine: (path: string) => Promise<void> };
  /** One example line per reason, when not taken from `quarantine` ({@link reasonExamples}). */
  examples?: Record<string, Record<string, unknown>>;
  /**
   * The customer metrics, gathered part by part, when `kept` is not there to compute them (the
   * data stage in parts, `--until rfm`: {@link rfmStageOfParts}).
   */
  customerParts?: CustomerMetricsInParts;
}

/**
 * Cleans the ingested rows and checks that the cleaning report reconciles with the rows read.
 *
 * @param ds dataset configuration
 * @param ingested the result of {@link ingestSources}
 * @param progress progress printer
 * @throws {ReconciliationError} when the rows kept and dropped of some file do not add up to the
 *   rows read from it (the run stops before any output is written)
 */
export function cleanIngested(
  ds: DatasetConfig,
  ingested: IngestStage,
  progress: Progress,
): CleanStage {
  // (a holder of its own: the caller's `ingested.tx` stays whole)
  return runSteps(cleanIngestedSteps(ds, { ...ingested }, progress));
}

/**
 * {@link cleanIngested} in steps (those of `cleanSteps`), for `runReleasing`. Cleaning takes the
 * line table over: `ingested.tx` is left without its canonical columns.
 */
export function* cleanIngestedSteps(
  ds: DatasetConfig,
  ingested: IngestStage,
  progress: Progress,
): Steps<CleanStage> {
  const result = yield* cleanSteps(ingested, ds.cleaning, {
    provided: ingested.provided,
    rowsRead: ingested.rowsRead,
  });
  assertReconciles(result.report);
  progress.done("clean", describeClean(result.report));
  return { ...result, rowsIn: ingested.rowsRead, ingest: ingested.ingest };
}

/** The build log's line for the cleaning: lines in, kept, dropped and by reason. */
export function describeClean(report: Pick<CleaningReport, "total">): string {
  const t = report.total;
  return `${fmt(t.rows_in)} in, ${fmt(t.rows_kept)} kept, ${fmt(t.rows_dropped)} dropped${
    droppedByReason(t.dropped)
  }`;
}

/**
 * The non-zero drop counts of a cleaning report, largest first, for the build log
 * (`" (missing_customer 12, future_timestamp 3)"`), or "" when nothing was dropped.
 *
 * @example
 * ```ts
 * import { droppedByReason } from "./stages.ts";
 * import { equal } from "node:assert/strict";
 * equal(droppedByReason({ duplicate: 2, future_timestamp: 3, cancellation: 0 }),
 *   " (future_timestamp 3, duplicate 2)");
 * equal(droppedByReason({ duplicate: 0 }), "");
 * ```
 */
export function droppedByReason(dropped: Readonly<Record<string, number>>): string {
  const parts = Object.entries(dropped).filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([reason, n]) => `${reason} ${n.toLocaleString("en")}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/**
 * Reads every source file, maps it to the canonical schema and cleans the union
 * ({@link ingestSources}, then {@link cleanIngested}).
 *
 * @param ds dataset configuration
 * @param sources resolved source files, in configuration order
 * @param progress progress printer
 */
export function ingestAndClean(
  ds: DatasetConfig,
  sources: SourceFile[],
  progress: Progress,
): CleanStage {
  return cleanIngested(ds, ingestSources(ds, sources, progress), progress);
}

/**
 * {@link ingestAndClean} as the build runs it: in steps, with the native memory of dropped frames
 * released at the pauses (`runReleasing`), the heap trimmed after ingest, and the line table as
 * read handed over to the cleaning, which takes it apart.
 *
 * @param ds dataset configuration
 * @param sources resolved source files, in configuration order
 * @param progress progress printer
 * @param ahead the files' pre-passes, made in a worker meanwhile (see `ahead.ts`)
 * @param options `trim`: hand the pages freed by ingest back to the system before cleaning
 *   (default true; not when the process keeps its freed memory, `keepFreedMemory`)
 */
export async function ingestAndCleanReleasing(
  ds: DatasetConfig,
  sources: SourceFile[],
  progress: Progress,
  ahead?: PrePasses,
  options: { trim?: boolean } = {},
): Promise<CleanStage> {
  const ingested = await runReleasing(ingestSteps(ds, sources, progress, ahead));
  await releaseNative({ trim: options.trim ?? true });
  // (`ingested` is the only holder of the table: the cleaning empties it as it goes)
  return await runReleasing(cleanIngestedSteps(ds, ingested, progress));
}

/** One example row per reason code (the first in source order), for the report. */
export function reasonExamples(quarantine: pl.DataFrame): Record<string, Record<string, unknown>> {
  // (the first line of each reason taken first: grouping every line's columns took 160–280 ms
  // of the 3 million quarantined lines at 10×, this 25)
  const firsts = quarantine.filter(pl.col("reason").isFirstDistinct()).groupBy("reason")
    .agg(pl.all().first()).sort("reason");
  const out: Record<string, Record<string, unknown>> = {};
  for (const r of firsts.toRecords()) {
    const { reason, ...rest } = r as Record<string, unknown>;
    const ts = rest.timestamp as Date | null;
    out[String(reason)] = { ...rest, timestamp: ts ? ts.toISOString() : null };
  }
  return out;
}

/** Result of the RFM stage. */
export interface RfmStage {
  analysisDate: string;
  customers: pl.DataFrame;
  scores: RfmScores;
  summary: Record<string, unknown>;
}

/**
 * Computes the customer table with RFM metrics, scores and segments.
 *
 * @param ds dataset configuration (analysis date, bins, custom cut points)
 * @param kept clean transactions
 * @param quarantine the quarantined lines (their cancellations give `returns_share`)
 * @param options `features: false` leaves out the loyalty model's look-back features (a run that
 *   stops after the customer table, `--until rfm`, publishes none of them)
 */
export function rfmStage(
  ds: DatasetConfig,
  kept: pl.DataFrame,
  progress: Progress,
  quarantine?: pl.DataFrame,
  { features = true }: { features?: boolean } = {},
): RfmStage {
  const analysisDate = ds.analysisDate ?? defaultAnalysisDate(kept);
  const dateWarnings = checkAnalysisDate(kept, analysisDate, ds.analysisDate !== null);
  const rfm = customerMetrics(kept, analysisDate);
  const metrics = features
    ? withLoyaltyFeatures(rfm, scoringFeatures(ds, kept, analysisDate, quarantine))
    : rfm;
  return scoreCustomers(ds, metrics, analysisDate, dateWarnings, progress, {
    analysisDateSource: analysisDateSource(ds),
  });
}

/** Where the analysis date of a run on lines comes from, as `rfm.json` says it. */
function analysisDateSource(ds: DatasetConfig): string {
  return ds.analysisDate ? "configuration" : "day after the last transaction";
}

/**
 * {@link rfmStage} without look-back features, from customer metrics gathered part by part (the
 * data stage in parts, `--until rfm`): the same analysis date, checks, table and summary.
 *
 * @param ds dataset configuration (analysis date, bins, custom cut points)
 * @param parts the clean lines' share of the metrics, every part given
 * @param progress progress printer
 */
export function rfmStageOfParts(
  ds: DatasetConfig,
  parts: CustomerMetricsInParts,
  progress: Progress,
): RfmStage {
  const dates = parts.dates;
  const analysisDate = ds.analysisDate ?? analysisDateAfter(dates.last);
  const dateWarnings = analysisDateWarnings(dates, analysisDate, ds.analysisDate !== null);
  return scoreCustomers(ds, parts.metrics(analysisDate), analysisDate, dateWarnings, progress, {
    analysisDateSource: analysisDateSource(ds),
  });
}

/**
 * The RFM stage of a dataset whose file is a customer table (`format: "customers"`, made by the
 * generated SQL in a warehouse, see `engine/customers.ts`): the same scores, segments and summary
 * as {@link rfmStage}, from the table instead of lines. The analysis date is the table's; a
 * configured `analysisDate` must agree with it.
 *
 * @param ds dataset configuration
 * @param table the customer table read back (`readCustomerTable`)
 * @param file the file's name, for messages
 * @param progress progress printer
 * @throws {Error} naming the file and both dates when the configured analysis date differs from
 *   the table's, or when the table has no customer
 */
export function rfmFromCustomerTable(
  ds: DatasetConfig,
  table: { customers: pl.DataFrame; analysisDate: string },
  file: string,
  progress: Progress,
): RfmStage {
  if (table.customers.height === 0) throw new Error(`${file}: the customer table has no row`);
  if (ds.analysisDate !== null && ds.analysisDate !== table.analysisDate) {
    throw new Error(
      `${file}: the customer table was computed for analysis date ${table.analysisDate} ` +
        `(last_day + recency_days), the configuration says ${ds.analysisDate}: remove ` +
        "analysisDate or run the SQL again with it",
    );
  }
  return scoreCustomers(ds, table.customers, table.analysisDate, [], progress, {
    analysisDateSource: `customer table (${file})`,
  });
}

/** RFM scores, segments and summary of a customer table (the second half of the RFM stage). */
function scoreCustomers(
  ds: DatasetConfig,
  metrics: pl.DataFrame,
  analysisDate: string,
  dateWarnings: string[],
  progress: Progress,
  about: { analysisDateSource: string },
): RfmStage {
  const col = (c: string) => metrics.getColumn(c).toTypedArray() as unknown as ArrayLike<number>;
  const scores = scoreRfm(
    Float64Array.from(col("recency_days") as ArrayLike<number>, Number),
    Float64Array.from(col("frequency") as ArrayLike<number>, Number),
    col("monetary"),
    ds.rfm.bins,
    ds.rfm.cutPoints,
    { tenure: col("tenure_days"), options: ds.rfm.guards },
  );
  const customers = metrics.withColumns(
    pl.Series("r_score", Array.from(scores.r_score), pl.Int32),
    pl.Series("f_score", Array.from(scores.f_score), pl.Int32),
    pl.Series("m_score", Array.from(scores.m_score), pl.Int32),
    pl.Series("rfm_segment", scores.rfm_segment, pl.Utf8),
  );
  const totalRevenue = Number(metrics.getColumn("monetary").sum());
  const n = customers.height;
  const segments = segmentSummaries(customers, totalRevenue);
  const warnings = [
    ...dateWarnings,
    ...Object.values(scores.thresholds).flatMap((t) => t.warnings.map((w) => `${t.metric}: ${w}`)),
  ];
  for (const w of warnings) console.error(`warning: ${w}`);
  const summary = {
    dataset: ds.id,
    analysisDate,
    analysisDateSource: about.analysisDateSource,
    currency: ds.currency,
    customers: n,
    revenue: totalRevenue,
    firstTransaction: dayIso(Number(metrics.getColumn("first_day").min())),
    lastTransaction: dayIso(Number(metrics.getColumn("last_day").max())),
    bins: ds.rfm.bins,
    thresholds: scores.thresholds,
    warnings,
    segmentRules: SEGMENT_RULES,
    segments,
    // The recency guards of the segments named for loyalty, and who they moved (from → to).
    guards: scores.guards,
  };
  const moved = scores.guards?.moved ?? 0;
  progress.done(
    "rfm",
    `${fmt(n)} customers, analysis date ${analysisDate}` +
      (moved ? `; segment guards moved ${fmt(moved)} customers` : ""),
  );
  return { analysisDate, customers, scores, summary };
}

/**
 * Checks the analysis date against the clean purchases: a date on or before every purchase leaves
 * no customer (an error naming the dates); purchases on or after a configured date are ignored,
 * and a warning says how many.
 *
 * @returns the warnings (the RFM stage prints them and keeps them in `rfm.json`)
 * @throws {Error} when no kept purchase is before the analysis date
 */
export function checkAnalysisDate(
  kept: pl.DataFrame,
  analysisDate: string,
  configured: boolean,
): string[] {
  return analysisDateWarnings(purchaseDates(kept, isoDay(analysisDate)), analysisDate, configured);
}

/**
 * {@link checkAnalysisDate} from the clean purchases' times.
 *
 * @param dates the clean lines, those before the analysis date, the first and last times
 * @param analysisDate the analysis date (ISO)
 * @param configured whether the date is configured (the messages say so)
 * @returns the warnings
 * @throws {Error} when no line is left, or none is before the analysis date
 */
export function analysisDateWarnings(
  dates: PurchaseDates,
  analysisDate: string,
  configured: boolean,
): string[] {
  const { lines, before, first, last } = dates;
  if (lines === 0) {
    throw new Error("no clean purchase is left to analyse (see the cleaning report for why)");
  }
  const day = (v: number | null) => dayIso(Math.floor(Number(v) / DAY_US));
  if (before === 0) {
    throw new Error(
      `the analysis date ${analysisDate}${configured ? " (analysisDate)" : ""} is on or before ` +
        `every purchase (first ${day(first)}, last ${day(last)}): no customer has a purchase ` +
        `before it; set analysisDate after ${day(first)}, or remove it to use the day after ` +
        "the last purchase",
    );
  }
  const after = lines - before;
  if (after === 0) return [];
  const w = `analysis date: ${fmt(after)} of ${fmt(lines)} clean lines are on or after ` +
    `the analysis date ${analysisDate} (last purchase ${day(last)}) and are left out of RFM`;
  return [w];
}

/**
 * The loyalty model's look-back features of every customer as of the analysis date, from the
 * build's cleaning (which, on the day after the last transaction, is the cleaning as of that
 * date). The cancellation lines come from the quarantine; without it, a feature that needs them
 * (`returns_share`) cannot be computed and is left out.
 */
export function scoringFeatures(
  ds: DatasetConfig,
  kept: pl.DataFrame,
  analysisDate: string,
  quarantine?: pl.DataFrame,
): WindowedFeatures {
  const { features } = ds.model.loyalty;
  const cancellations = quarantine
    ? quarantine.filter(pl.col("reason").eq(pl.lit("cancellation")))
    : null;
  const usable = cancellations ? features : features.filter((f) => f !== "returns_share");
  return lookbackFeatures(ds, { kept, cancellations }, analysisDate, usable);
}

/**
 * The loyalty features as of a reference date: the look-back features of `features/windowed.ts`
 * and, when asked for, the BG/NBD expected purchases in the outcome horizon
 * (`model/bgnbd_feature.ts`, fitted on the history before the reference date only).
 */
function lookbackFeatures(
  ds: DatasetConfig,
  log: Parameters<typeof windowedFeatures>[0],
  asOf: string,
  features: readonly string[],
): WindowedFeatures {
  const plain = features.filter((f) => f !== BGNBD_FEATURE);
  const wf = windowedFeatures(log, asOf, ds.model.loyalty.lookbackDays, plain);
  if (plain.length === features.length || wf.customer_id.length === 0) return wf;
  const horizon = daysBetween(ds.model.forward.cutoff, ds.model.forward.windowEnd);
  const { values } = bgnbdExpectedFeature(wf.history, isoDay(asOf), horizon);
  return { ...wf, columns: { ...wf.columns, [BGNBD_FEATURE]: values } };
}

/** The customer table with the look-back feature columns added (same customers, same order). */
function withLoyaltyFeatures(metrics: pl.DataFrame, wf: WindowedFeatures): pl.DataFrame {
  const ids = metrics.getColumn("customer_id").toArray() as string[];
  if (ids.length !== wf.customer_id.length || ids.some((id, i) => id !== wf.customer_id[i])) {
    throw new Error("look-back features and customer metrics list different customers");
  }
  return metrics.withColumns(
    ...Object.entries(wf.columns).map(([name, v]) => pl.Series(name, v, pl.Float64)),
  );
}

/**
 * One entry per segment rule, in rule order (empty segments included): customers, revenue, their
 * shares, and the segment's median recency, frequency and monetary value (null when empty).
 */
function segmentSummaries(customers: pl.DataFrame, totalRevenue: number) {
  const bySeg = customers.groupBy("rfm_segment").agg(
    pl.len().alias("customers"),
    pl.col("monetary").sum().alias("revenue"),
    pl.col("recency_days").median().alias("median_recency_days"),
    pl.col("frequency").median().alias("median_frequency"),
    pl.col("monetary").median().alias("median_monetary"),
  ).toRecords() as Record<string, number | string>[];
  const n = customers.height;
  return SEGMENT_RULES.map((rule) => {
    const s = bySeg.find((x) => x.rfm_segment === rule.name);
    const count = s ? Number(s.customers) : 0;
    const revenue = s ? Number(s.revenue) : 0;
    return {
      segment: rule.name,
      customers: count,
      share: n ? count / n : 0,
      revenue,
      revenue_share: totalRevenue ? revenue / totalRevenue : 0,
      median_recency_days: s ? Number(s.median_recency_days) : null,
      median_frequency: s ? Number(s.median_frequency) : null,
      median_monetary: s ? Number(s.median_monetary) : null,
    };
  });
}

/** Customer columns written to customers.csv, in order (model columns are appended later). */
export const CUSTOMER_COLUMNS = [
  "customer_id",
  "recency_days",
  "frequency",
  "monetary",
  "tenure_days",
  "avg_order_value",
  "r_score",
  "f_score",
  "m_score",
  "rfm_segment",
  "country",
  "first_purchase",
  "last_purchase",
];

/** The customer table as written: ISO dates, columns in {@link CUSTOMER_COLUMNS} order. */
export function customerOutputTable(customers: pl.DataFrame, extra: string[] = []): pl.DataFrame {
  return customers.withColumns(
    pl.col("first_day").mul(DAY_MS).cast(pl.Datetime("ms")).dt.strftime("%Y-%m-%d").alias(
      "first_purchase",
    ),
    pl.col("last_day").mul(DAY_MS).cast(pl.Datetime("ms")).dt.strftime("%Y-%m-%d").alias(
      "last_purchase",
    ),
  ).select(...CUSTOMER_COLUMNS, ...extra);
}

/**
 * Stages the files of the cleaning stage's lines: the clean lines and the quarantine (their
 * dictionary columns as text: the files' schema, whichever engine cleaned).
 */
export function stageLineFiles(out: OutputSet, ds: DatasetConfig, cleanStage: CleanStage): void {
  const P = ds.outputs.processed;
  const writers = cleanStage.writers;
  const sink = (lines: pl.DataFrame) => (tmp: string) =>
    sinkAsPlainText(lines.lazy(), dictionaryColumns(lines), tmp);
  out.addWriter(`${P}/transactions.parquet`, writers?.kept ?? sink(cleanStage.kept));
  out.addWriter(`${P}/quarantine.parquet`, writers?.quarantine ?? sink(cleanStage.quarantine));
}

/**
 * Stages the outputs of the cleaning and RFM stages but the lines' files ({@link stageLineFiles},
 * staged first): the customer table, the cleaning report (without a cleaning stage — a dataset
 * of customer tables — none) and the RFM summary.
 */
export function stageCoreOutputs(
  out: OutputSet,
  ds: DatasetConfig,
  cleanStage: CleanStage | null,
  rfm: RfmStage,
  customerTable: pl.DataFrame,
): void {
  const P = ds.outputs.processed;
  const R = ds.outputs.reports;
  out.addWriter(`${P}/customers.parquet`, (tmp) => customerTable.writeParquet(tmp));
  if (cleanStage) {
    out.addJson(`${R}/cleaning.json`, {
      dataset: ds.id,
      ...cleanStage.report,
      ingest: cleanStage.ingest ?? [],
      examples: cleanStage.examples ?? reasonExamples(cleanStage.quarantine),
    });
  }
  out.addJson(`${R}/rfm.json`, rfm.summary);
  out.add(`${R}/customers.csv`, safeCsv(customerTable.writeCSV().toString()));
}

/** A customer table as plain arrays, the input of the model stage. */
export interface CustomerArrays {
  customer_id: string[];
  columns: Record<string, number[]>;
  rfm_segment: string[];
}

/** Plain arrays from a customer table (metrics and, when present, scores). */
export function toArrays(customers: pl.DataFrame, segments: string[]): CustomerArrays {
  const columns: Record<string, number[]> = {};
  for (const c of FEATURE_NAMES) {
    if (!customers.columns.includes(c)) continue;
    columns[c] = Array.from(customers.getColumn(c).toArray() as (number | bigint)[], Number);
  }
  return {
    customer_id: customers.getColumn("customer_id").toArray() as string[],
    columns,
    rfm_segment: segments,
  };
}

/** One training snapshot of the loyalty model: features as of a cutoff, labels after it. */
export interface Snapshot {
  /** Reference date of the features (first day of the outcome window). */
  cutoff: string;
  /** First day after the outcome window. */
  windowEnd: string;
  /**
   * Every customer with a kept purchase before the cutoff: the look-back features (cleaned as of
   * the cutoff) and the RFM segment at the cutoff.
   */
  features: CustomerArrays;
  /** Level index per customer in the outcome window (0 lapsed, 1 occasional, 2 loyal). */
  labels: number[];
  /** Invoices per customer in the outcome window. */
  invoicesInWindow: number[];
  /** Persistence baseline: the loyalty level implied by the customer's RFM segment at the cutoff. */
  persistence: number[];
  /** BG/NBD summary of the whole history before the cutoff (weeks; purchases counted per day). */
  bgnbd: { x: number[]; tx: number[]; T: number[] };
  /** What cleaning as of the cutoff changed against the build's cleaning of the whole log. */
  asOfCleaning: AsOfDifference;
}

/** Inputs of the forward-looking loyalty model, all derived without looking past each cutoff. */
export interface ForwardData {
  /** The latest cutoff (`model.forward.cutoff`), whose customers are split into train and test. */
  cutoff: string;
  windowEnd: string;
  /** Look-back of every feature, in days. */
  lookbackDays: number;
  /** Days of every outcome window. */
  horizonDays: number;
  /** The snapshots, latest first (the first is the cutoff itself). */
  snapshots: Snapshot[];
  /** The latest snapshot's features (the same object as `snapshots[0].features`). */
  features: CustomerArrays;
  /** The latest snapshot's labels. */
  labels: number[];
  /** The latest snapshot's invoices in the window. */
  invoicesInWindow: number[];
  /** The latest snapshot's persistence levels. */
  persistence: number[];
  /** Warnings about the outcome window (a level with very few customers), also on stderr. */
  warnings: string[];
}

/** What {@link forwardData} needs from the cleaning stage. */
export type CleanedInput = Pick<CleanStage, "kept" | "quarantine" | "report">;

/**
 * The snapshot cutoffs: `cutoff` and up to `snapshots − 1` earlier ones, `snapshotStepDays` apart,
 * keeping those whose look-back starts on or after the first day of the data — or, for data that
 * hold every customer's purchases from the first on (`completeHistory`), those after that day.
 *
 * @example
 * ```ts
 * import { snapshotCutoffs } from "./stages.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(snapshotCutoffs("2010-12-01", 3, 90, 180, "2009-12-01"), [
 *   "2010-12-01",
 *   "2010-09-02",
 *   "2010-06-04",
 * ]);
 * deepEqual(snapshotCutoffs("2010-12-01", 3, 90, 180, "2010-03-01"), ["2010-12-01", "2010-09-02"]);
 * // a cohort followed from its first purchase: nothing precedes the data
 * deepEqual(snapshotCutoffs("2010-12-01", 3, 90, 365, "2010-03-01", true), [
 *   "2010-12-01",
 *   "2010-09-02",
 *   "2010-06-04",
 * ]);
 * ```
 *
 * @param cutoff the latest cutoff (ISO)
 * @param snapshots most snapshots
 * @param stepDays days between snapshots
 * @param lookbackDays look-back of the features
 * @param firstDay first day of the data (ISO)
 * @param completeHistory whether nothing precedes the data (default false)
 */
export function snapshotCutoffs(
  cutoff: string,
  snapshots: number,
  stepDays: number,
  lookbackDays: number,
  firstDay: string,
  completeHistory = false,
): string[] {
  const out: string[] = [];
  const first = isoDay(firstDay);
  for (let j = 0; j < snapshots; j++) {
    const c = isoDay(cutoff) - j * stepDays;
    if (completeHistory ? c <= first : c - lookbackDays < first) break;
    out.push(dayIso(c));
  }
  return out;
}

/**
 * The first day of the log (ISO): the earliest timestamp of any line, kept or dropped, so that it
 * does not depend on what later lines make the cleaning drop.
 */
function firstDataDay(cleaned: CleanedInput): string {
  const min = (df: pl.DataFrame) => {
    const v = df.select(pl.col("timestamp").min().cast(pl.Int64).alias("m")).row(0)[0];
    return v === null || v === undefined ? Infinity : Number(v);
  };
  const first = Math.min(min(cleaned.kept), min(cleaned.quarantine));
  if (!Number.isFinite(first)) throw new Error("no transactions");
  return dayIso(Math.floor(first / DAY_US));
}

/** Quarantine reasons whose timestamp does not show how far the data reach. */
const UNTRUSTED_TIMESTAMP = ["bad_timestamp", "future_timestamp", "implausible_timestamp"];

/**
 * The last day of the log (ISO): the latest timestamp of any line, kept or dropped for a reason
 * other than its timestamp — how far the data reach, whatever later lines the cleaning drops.
 */
function lastDataDay(cleaned: CleanedInput): string {
  const max = (df: pl.DataFrame) => {
    const v = df.select(pl.col("timestamp").max().cast(pl.Int64).alias("m")).row(0)[0];
    return v === null || v === undefined ? -Infinity : Number(v);
  };
  const q = cleaned.quarantine;
  const trusted = q.columns.includes("reason")
    ? q.filter(pl.col("reason").isIn(UNTRUSTED_TIMESTAMP).not())
    : q;
  const last = Math.max(max(cleaned.kept), trusted.height ? max(trusted) : -Infinity);
  if (!Number.isFinite(last)) throw new Error("no transactions");
  return dayIso(Math.floor(last / DAY_US));
}

/** Options of {@link forwardData}. */
export interface ForwardOptions {
  /**
   * Check that the data cover the outcome window and that at least two loyalty levels have
   * customers (default true; the no-leak tests turn it off to compare features of truncated logs).
   */
  check?: boolean;
}

/**
 * Builds the forward model's inputs: for each snapshot cutoff (see {@link snapshotCutoffs}), the
 * transactions before it are cleaned as of the cutoff (`clean/as_of.ts`: no cancellation or
 * outlier statistic from a later line), the look-back features computed from them, and the
 * labels counted in the window [cutoff, cutoff + horizon), horizon = windowEnd − cutoff.
 *
 * Before any work it checks (unless `options.check` is false) that the data cover the outcome
 * window, and afterwards that at least two loyalty levels have customers in the latest window;
 * a level with very few customers gives a warning (`warnings`, and on standard error).
 *
 * @param ds dataset configuration (`model.forward`, `model.loyalty`, `rfm`, `cleaning`)
 * @param cleaned the cleaning stage: kept rows, quarantine and report of the whole log
 * @param options whether to check the window and the levels
 * @throws {ModelStageSkipped} when the data cannot support the model (RFM still can): the window
 *   is not covered, no snapshot fits, no customer has a purchase before the cutoff, or fewer than
 *   two levels have customers — the message names the dates and counts
 * @throws {Error} when two levels have the same name
 */
export function forwardData(
  ds: DatasetConfig,
  cleaned: CleanedInput,
  options: ForwardOptions = {},
): ForwardData {
  const check = options.check ?? true;
  const { cutoff, windowEnd, levels } = ds.model.forward;
  checkLevelNames(levels);
  const { lookbackDays, snapshots: maxSnapshots, snapshotStepDays, completeHistory } =
    ds.model.loyalty;
  const horizonDays = daysBetween(cutoff, windowEnd);
  const firstDay = firstDataDay(cleaned);
  const windowWarning = check
    ? checkOutcomeWindow(cutoff, windowEnd, firstDay, lastDataDay(cleaned))
    : null;
  const cutoffs = snapshotCutoffs(
    cutoff,
    maxSnapshots,
    snapshotStepDays,
    lookbackDays,
    firstDay,
    completeHistory,
  );
  if (cutoffs.length === 0) {
    throw new ModelStageSkipped(
      `the look-back of ${lookbackDays} days before the cutoff ${cutoff} starts before the ` +
        `first transaction (${firstDay}): shorten model.loyalty.lookbackDays or move the cutoff`,
    );
  }
  const snapshots = cutoffs.map((c) =>
    snapshotData(ds, cleaned, c, dayIso(isoDay(c) + horizonDays))
  );
  const latest = snapshots[0];
  const counts = levels.map((_, i) => latest.labels.filter((y) => y === i).length);
  const warnings = [
    ...(windowWarning ? [windowWarning] : []),
    ...(check ? checkLevels(levels, counts, cutoff, windowEnd) : []),
  ];
  for (const w of warnings) console.error(`warning: ${w}`);
  return {
    cutoff,
    windowEnd,
    lookbackDays,
    horizonDays,
    snapshots,
    features: latest.features,
    labels: latest.labels,
    invoicesInWindow: latest.invoicesInWindow,
    persistence: latest.persistence,
    warnings,
  };
}

/** One snapshot (see {@link forwardData}). */
function snapshotData(
  ds: DatasetConfig,
  cleaned: CleanedInput,
  cutoff: string,
  windowEnd: string,
): Snapshot {
  const { occasionalMinInvoices, loyalMinInvoices } = ds.model.forward;
  const asOf = cleanAsOf(cleaned, ds.cleaning.outliers.logValueMadMultiplier, cutoff);
  const hasCancellations = cleaned.report.rules.some((r) => r.code === "cancellation" && r.applied);
  const wf = lookbackFeatures(
    ds,
    { kept: asOf.kept, cancellations: hasCancellations ? asOf.cancellations : null },
    cutoff,
    ds.model.loyalty.features,
  );
  if (wf.customer_id.length === 0) {
    throw new ModelStageSkipped(
      `no customer has a clean purchase before the cutoff ${cutoff} (the data start on ` +
        `${firstDataDay(cleaned)}): move model.forward.cutoff later`,
    );
  }
  const atCutoff = customerMetrics(asOf.kept, cutoff);
  const ids = atCutoff.getColumn("customer_id").toArray() as string[];
  if (ids.length !== wf.customer_id.length || ids.some((id, i) => id !== wf.customer_id[i])) {
    throw new Error("look-back features and customer metrics list different customers");
  }
  const num = (c: string) =>
    Float64Array.from(atCutoff.getColumn(c).toArray() as (number | bigint)[], Number);
  const scores = scoreRfm(
    num("recency_days"),
    num("frequency"),
    num("monetary"),
    ds.rfm.bins,
    ds.rfm.cutPoints,
    { tenure: num("tenure_days"), options: ds.rfm.guards },
  );
  const features: CustomerArrays = {
    customer_id: wf.customer_id,
    columns: wf.columns,
    rfm_segment: scores.rfm_segment,
  };
  const outcome = windowOutcome(
    cleaned.kept,
    wf.customer_id,
    cutoff,
    windowEnd,
    occasionalMinInvoices,
    loyalMinInvoices,
  );
  const levelOf = new Map(SEGMENT_RULES.map((r) => [r.name, r.loyaltyLevel as number]));
  const end = isoDay(cutoff) - 1; // the last day of the calibration period
  const { purchaseDays, firstDay, lastDay } = wf.history;
  return {
    cutoff,
    windowEnd,
    features,
    labels: outcome.level,
    invoicesInWindow: outcome.invoices,
    persistence: scores.rfm_segment.map((s) => levelOf.get(s)!),
    bgnbd: {
      x: purchaseDays.map((n) => n - 1),
      tx: lastDay.map((l, i) => (l - firstDay[i]) / 7),
      T: firstDay.map((f) => (end - f) / 7),
    },
    asOfCleaning: asOf.difference,
  };
}
