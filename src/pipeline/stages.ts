/**
 * The analysis pipeline: ingest → clean → RFM (→ models), with progress and all-or-nothing
 * outputs. This is the I/O edge; the stages it calls are pure functions in the other modules.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DatasetConfig, MappableColumn } from "../config/dataset.ts";
import { ingestFile, readSource, toCanonical } from "../ingest/ingest.ts";
import { clean } from "../clean/clean.ts";
import { assertReconciles, type CleaningReport } from "../clean/report.ts";
import { DAY_MS, dayIso } from "../lib/time.ts";
import {
  customerMetrics,
  defaultAnalysisDate,
  type RfmScores,
  scoreRfm,
  windowOutcome,
} from "../rfm/rfm.ts";
import { SEGMENT_RULES } from "../rfm/segments.ts";
import { OutputSet } from "./outputs.ts";
import type { Progress } from "./progress.ts";

/** A source file ready to read: its configuration and where it was found. */
export interface SourceFile {
  file: DatasetConfig["files"][number];
  path: string;
  /** Where it was found; a file converted from the official download is checked against `sheetRows`. */
  origin?: string;
}

/** Thousands separators for progress lines. */
function fmt(n: number): string {
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
  const parts: pl.DataFrame[] = [];
  const provided: Record<string, Set<MappableColumn>> = {};
  const rowsRead: Record<string, number> = {};
  for (const s of sources) {
    const got = ingestFile(s.path, s.file, { timezone: ds.timezone });
    parts.push(got.canonical);
    provided[got.name] = got.provided;
    rowsRead[got.name] = got.rowsRead;
    const expected = s.origin === "download" ? s.file.sheetRows : s.file.rows;
    if (expected !== null && got.rowsRead !== expected) {
      throw new Error(
        `${s.file.name}: expected ${fmt(expected)} rows (configuration), read ${fmt(got.rowsRead)}`,
      );
    }
    progress.done(`ingest ${s.file.name}`, `${fmt(got.rowsRead)} rows`);
  }
  const tx = (parts.length === 1 ? parts[0] : pl.concat(parts)).rechunk();
  return { tx, provided, rowsRead };
}

/** Result of the ingest and cleaning stage. */
export interface CleanStage {
  kept: pl.DataFrame;
  quarantine: pl.DataFrame;
  report: CleaningReport;
  /** Rows read per file (by ingest), the `rows_in` of the cleaning report. */
  rowsIn: Record<string, number>;
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
  const result = clean(ingested.tx, ds.cleaning, {
    provided: ingested.provided,
    rowsRead: ingested.rowsRead,
  });
  assertReconciles(result.report);
  progress.done(
    "clean",
    `${fmt(result.report.total.rows_in)} in, ${fmt(result.report.total.rows_kept)} kept, ${
      fmt(result.report.total.rows_dropped)
    } dropped`,
  );
  return { ...result, rowsIn: ingested.rowsRead };
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

/** One example row per reason code (the first in source order), for the report. */
export function reasonExamples(quarantine: pl.DataFrame): Record<string, Record<string, unknown>> {
  const firsts = quarantine.groupBy("reason").agg(pl.all().first()).sort("reason");
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
 */
export function rfmStage(ds: DatasetConfig, kept: pl.DataFrame, progress: Progress): RfmStage {
  const analysisDate = ds.analysisDate ?? defaultAnalysisDate(kept);
  const metrics = customerMetrics(kept, analysisDate);
  const col = (c: string) => metrics.getColumn(c).toTypedArray() as unknown as ArrayLike<number>;
  const scores = scoreRfm(
    Float64Array.from(col("recency_days") as ArrayLike<number>, Number),
    Float64Array.from(col("frequency") as ArrayLike<number>, Number),
    col("monetary"),
    ds.rfm.bins,
    ds.rfm.cutPoints,
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
  const warnings = Object.values(scores.thresholds).flatMap((t) =>
    t.warnings.map((w) => `${t.metric}: ${w}`)
  );
  for (const w of warnings) console.error(`warning: ${w}`);
  const summary = {
    dataset: ds.id,
    analysisDate,
    analysisDateSource: ds.analysisDate ? "configuration" : "day after the last transaction",
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
  };
  progress.done("rfm", `${fmt(n)} customers, analysis date ${analysisDate}`);
  return { analysisDate, customers, scores, summary };
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

/** Stages the outputs of the cleaning and RFM stages. */
export function stageCoreOutputs(
  out: OutputSet,
  ds: DatasetConfig,
  cleanStage: CleanStage,
  rfm: RfmStage,
  customerTable: pl.DataFrame,
): void {
  const P = ds.outputs.processed;
  const R = ds.outputs.reports;
  out.addWriter(`${P}/transactions.parquet`, (tmp) => cleanStage.kept.writeParquet(tmp));
  out.addWriter(`${P}/quarantine.parquet`, (tmp) => cleanStage.quarantine.writeParquet(tmp));
  out.addWriter(`${P}/customers.parquet`, (tmp) => customerTable.writeParquet(tmp));
  out.addJson(`${R}/cleaning.json`, {
    dataset: ds.id,
    ...cleanStage.report,
    examples: reasonExamples(cleanStage.quarantine),
  });
  out.addJson(`${R}/rfm.json`, rfm.summary);
  out.add(`${R}/customers.csv`, customerTable.writeCSV().toString());
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
  for (const c of ["recency_days", "frequency", "monetary", "tenure_days", "avg_order_value"]) {
    columns[c] = Array.from(customers.getColumn(c).toArray() as (number | bigint)[], Number);
  }
  return {
    customer_id: customers.getColumn("customer_id").toArray() as string[],
    columns,
    rfm_segment: segments,
  };
}

/** Inputs of the forward-looking loyalty model, all derived without looking past the cutoff. */
export interface ForwardData {
  cutoff: string;
  windowEnd: string;
  /** Features of every customer with a purchase before the cutoff, as of the cutoff. */
  features: CustomerArrays;
  /** Level index per customer in the outcome window (0 lapsed, 1 occasional, 2 loyal). */
  labels: number[];
  /** Invoices per customer in the outcome window. */
  invoicesInWindow: number[];
  /** Persistence baseline: the loyalty level implied by the customer's RFM segment at the cutoff. */
  persistence: number[];
}

/**
 * Builds the forward model's inputs: features from transactions before `cutoff` only, labels
 * from the window [cutoff, windowEnd).
 */
export function forwardData(ds: DatasetConfig, kept: pl.DataFrame): ForwardData {
  const { cutoff, windowEnd, occasionalMinInvoices, loyalMinInvoices } = ds.model.forward;
  const atCutoff = customerMetrics(kept, cutoff);
  if (atCutoff.height === 0) {
    throw new Error(`no customer has a purchase before the cutoff ${cutoff}`);
  }
  const num = (c: string) =>
    Float64Array.from(atCutoff.getColumn(c).toArray() as (number | bigint)[], Number);
  const scores = scoreRfm(
    num("recency_days"),
    num("frequency"),
    num("monetary"),
    ds.rfm.bins,
    ds.rfm.cutPoints,
  );
  const features = toArrays(atCutoff, scores.rfm_segment);
  const outcome = windowOutcome(
    kept,
    features.customer_id,
    cutoff,
    windowEnd,
    occasionalMinInvoices,
    loyalMinInvoices,
  );
  const levelOf = new Map(SEGMENT_RULES.map((r) => [r.name, r.loyaltyLevel as number]));
  return {
    cutoff,
    windowEnd,
    features,
    labels: outcome.level,
    invoicesInWindow: outcome.invoices,
    persistence: scores.rfm_segment.map((s) => levelOf.get(s)!),
  };
}
