/**
 * The data stage in parts (`build --stream on`, and `auto` on large inputs): the same cleaning as
 * `clean` (the same rules, in the same order, with the same functions), run file by file over
 * spilled copies of the files, so that only one file's lines are in memory at a time, beside a few
 * bytes per line for the rules decided over all lines. The whole line table is never held.
 *
 * 1. Each file is read and mapped (`ingestOne`) and gets the reasons of the row rules that need
 *    no other line (`applyRowRules` without timestamp limits or duplicates); its lines are spilled
 *    to Parquet files in a private folder, in parts of at most {@link PART_ROWS} lines, and three
 *    things are kept: each line's partial reason (one byte), its timestamp and its content hash,
 *    and the file's cancellation lines.
 * 2. The decisions over all lines: the limits of plausible timestamps (`timestampLimits`), and
 *    the duplicates (`repeatedHashes`, then `repeatsAmong` on the few lines whose hash repeats,
 *    read back part by part). `completeRowReason` then gives any line its row-rule reason.
 * 3. Each spilled part, a few columns of it, gives its candidates for the purchases a
 *    cancellation could reverse (`poolCandidates`, made exact once for all: `exactPool`) and the
 *    log values of its kept lines; the cancelled orders are matched over all lines
 *    (`matchCancelledOrders`), and the extreme-value bounds set from the values of the lines
 *    still kept (`extremeValueBounds`).
 * 4. Each spilled part gets its final reasons and is spilled again as clean lines and
 *    quarantine; the output files are written from these spills by polars' streaming Parquet
 *    writer. With `--until rfm` each part's clean lines give their share of the customer
 *    metrics instead (`rfm/parts.ts`: per customer, a few figures, and each line's value), and
 *    no line stays in memory.
 *
 * Lines, reasons, report, examples and customer table are those of the whole-table path (a test
 * checks it on a two-file fixture with every rule, in parts of one file and of a few lines, and on
 * the default dataset), and the files are byte-identical to its files (both are written by
 * `sinkAsPlainText`, in row groups of a fixed size): `--stream` changes how the work is done, not
 * what it gives.
 *
 * @module
 */
import pl from "nodejs-polars";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatasetConfig } from "../config/dataset.ts";
import { CANONICAL_COLUMNS } from "../config/schema.ts";
import { cleaningReport, type SetRulesOutcome, warnLoudly } from "../clean/clean.ts";
import {
  cancellationKeys,
  cancellationLines,
  cancelledValues,
  exactPool,
  type LinesValue,
  matchCancelledOrders,
  noOrderMatched,
  poolCandidates,
  SET_RULE_COLUMNS,
} from "../clean/cancellations.ts";
import { extremeCondition, extremeValueBounds, keptValue, logValue } from "../clean/outliers.ts";
import { assertReconciles, cleaningWarnings, reconcile } from "../clean/report.ts";
import {
  applies,
  applyRowRules,
  completeRowReason,
  CONTENT_COLUMNS,
  flagSeries,
  futureLimit,
  markReason,
  planRules,
  reasonIs,
  reasonText,
  repeatedHashes,
  repeatsAmong,
  rowHash,
  timestampLimits,
} from "../clean/rules.ts";
import { dictionaryColumns, providedColumns, sinkAsPlainText } from "../ingest/ingest.ts";
import { runReleasing, type Steps, TRIM } from "../lib/memory.ts";
import type { PrePasses } from "../ingest/ahead.ts";
import type { Progress } from "./progress.ts";
import { firstAtLeast } from "../lib/sorted.ts";
import { CustomerMetricsInParts } from "../rfm/parts.ts";
import {
  type CleanStage,
  describeClean,
  fmt,
  ingestCounts,
  ingestOne,
  reasonExamples,
  type SourceFile,
} from "./stages.ts";

/** What a streamed data stage keeps in memory for the stages after it. */
export type StreamedLines =
  /** The clean lines and the quarantine whole, as the whole-table path gives them (full build). */
  | "all"
  /**
   * What the RFM stage needs when the run stops after it (`build --until rfm`, no look-back
   * features): the customer metrics, gathered part by part (`CleanStage.customerParts`, see
   * `rfm/parts.ts`); the clean lines and the quarantine are left empty (their files are written
   * from the spills).
   */
  | "rfm";

/** The result of {@link streamedClean}: a clean stage whose files are written from its spills. */
export interface StreamedStage {
  /** The clean stage (its `kept` and `quarantine` as {@link StreamedLines} says). */
  stage: CleanStage;
  /** Deletes the spill folder (after the outputs are written). */
  dispose(): void;
}

/**
 * The growth of the resident memory after which a pause of the data stage in parts also hands
 * the freed pages back ({@link runReleasing}): each file's frames are dropped after it, but the
 * allocator keeps their pages, and over the files of a pass the process grew by 700 MiB at 10×
 * (the cancelled orders' pass, the run's peak: 1,147–1,271 MiB). With a trim past 256 MiB each
 * pass peaked at 775–894 MiB. Since the lines go in parts of {@link PART_ROWS}, a pass grows
 * less between trims, and every page handed back is faulted in again by the next part: at 10×,
 * 4 alternating runs each, 256 → 384 MiB took 1.42–1.52 → 1.06–1.24 M page faults and
 * 39.8–47.7 → 35.0–38.9 s, for a peak of 870–909 → 925–988 MiB (512 MiB: 1,047–1,062 MiB, too
 * close to half the plain pandas script's 2,150–2,340 MiB).
 */
const TRIM_GROWTH_MIB = 384;

/**
 * The most lines of one part: each file's lines are spilled in equal parts of at most this many,
 * and the passes after the first work part by part. Smaller frames are served again from the
 * pages the last part freed, where a whole file's (half a million lines) often needed fresh ones:
 * at 10× in parts, 2 alternating pairs, 1.97–2.10 → 1.52 M page faults and 42.0–43.7 → 39.6–41.4 s
 * at the same peak (903–954 → 912–919 MiB). Smaller still (65,536) costs more per part than the
 * faults it saves.
 */
export const PART_ROWS = 262_144;

/** One part of a file's spilled lines ({@link PART_ROWS}). */
interface Part {
  /** The spilled canonical lines (Parquet). */
  path: string;
  /** Its lines. */
  rows: number;
  /** The position of its first line among all lines. */
  offset: number;
  /** Each line's reason without the rules decided over all lines (a rule number, or null). */
  partial: pl.Series;
}

/** The positions in `[offset, offset + rows)` of ascending `positions`, made local. */
function within(positions: readonly number[], offset: number, rows: number): number[] {
  // (by bisection: every file looks in the same long list)
  const from = firstAtLeast(positions, offset);
  const to = firstAtLeast(positions, offset + rows);
  return positions.slice(from, to).map((p) => p - offset);
}

/** A spill file's name: numbered so that names sort in file order. */
function spillName(kind: string, k: number): string {
  return `${kind}-${String(k).padStart(6, "0")}.parquet`;
}

/** Spills are written fast rather than small (LZ4: a quarter of the plain size, read as fast). */
function spillTo(df: pl.DataFrame, path: string): void {
  df.writeParquet(path, { compression: "lz4" });
}

/** The series, one after the other, in one piece. */
function joined(series: pl.Series[], name: string, dtype: pl.DataType): pl.Series {
  return series.length === 0
    ? pl.Series(name, [], dtype)
    : (pl.concat(series) as unknown as pl.Series).rechunk().alias(name);
}

/**
 * The data stage in parts (see the module documentation), in steps for `runReleasing`: it pauses
 * after each file of each pass.
 *
 * @param ds dataset configuration
 * @param sources resolved source files, in configuration order
 * @param progress progress printer
 * @param spill an empty folder for the spilled lines
 * @param keep what to keep in memory for the stages after ({@link StreamedLines})
 * @param now the build time (ms since 1970), for `future_timestamp`
 * @param ahead the files' pre-passes, made in a worker meanwhile (see `ahead.ts`)
 * @param partRows the most lines of one part ({@link PART_ROWS}; a positive integer)
 */
export function* streamedCleanSteps(
  ds: DatasetConfig,
  sources: SourceFile[],
  progress: Progress,
  spill: string,
  keep: StreamedLines,
  now: number = Date.now(),
  ahead?: PrePasses,
  partRows: number = PART_ROWS,
): Steps<CleanStage> {
  if (!Number.isInteger(partRows) || partRows < 1) {
    throw new RangeError(`partRows must be a positive integer, got ${partRows}`);
  }
  const cfg = ds.cleaning;
  // The plan depends on the configuration alone (the columns each file maps), known before reading.
  const rules = planRules(
    cfg,
    Object.fromEntries(sources.map((s) => [s.file.name, providedColumns(s.file)])),
  );
  const on = (code: string) => applies(rules, code);
  const counts = ingestCounts();
  const parts: Part[] = [];
  const stamps: pl.Series[] = [];
  const hashes: pl.Series[] = [];
  const cancelRows: pl.DataFrame[] = [];
  // Without the rules over all lines: the future limit only, and no duplicates.
  const noLimits = { future: futureLimit(cfg, now), p01: null, p99: null, low: null, high: null };
  let rows = 0;
  // Pass 1: read; the row rules that need no other line; spill; keep the timestamps, content
  // hashes and cancellation lines.
  for (const s of sources) {
    const tx = yield* ingestOne(ds, s, progress, counts, ahead);
    stamps.push(tx.getColumn("timestamp"));
    if (on("duplicate")) hashes.push(tx.select(rowHash().alias("h")).getColumn("h"));
    const df = applyRowRules(tx, rules, cfg, now, {
      limits: noLimits,
      duplicates: [],
      offset: rows,
    });
    if (on("cancellation")) cancelRows.push(df.filter(reasonIs(df, "cancellation")));
    const reason = df.getColumn("reason");
    const size = Math.ceil(tx.height / Math.max(1, Math.ceil(tx.height / partRows)));
    for (let at = 0; at < tx.height; at += size) {
      const n = Math.min(size, tx.height - at);
      const path = join(spill, spillName("lines", parts.length));
      spillTo(tx.slice(at, n), path);
      parts.push({ path, rows: n, offset: rows + at, partial: reason.slice(at, n) });
    }
    rows += tx.height;
    yield;
  }
  yield TRIM;

  // The decisions over all lines: the timestamp limits, then the duplicates (only the lines
  // whose content hash repeats are read back, file by file).
  const limits = timestampLimits(
    pl.DataFrame([joined(stamps.splice(0), "timestamp", pl.Datetime("us", "UTC"))]),
    cfg,
    now,
  );
  const repeated = on("duplicate") ? repeatedHashes(joined(hashes.splice(0), "h", pl.UInt64)) : [];
  const twins: pl.DataFrame[] = [];
  for (const part of parts) {
    const local = within(repeated, part.offset, part.rows);
    if (local.length === 0) continue;
    // (the columns in one select: polars gathers them side by side)
    twins.push(
      pl.readParquet(part.path, { columns: [...CONTENT_COLUMNS] })
        .select(pl.all().gather(pl.Series("at", local, pl.UInt32))),
    );
    yield;
  }
  const duplicates = twins.length
    ? repeatsAmong(pl.concat(twins.splice(0), { how: "vertical" }), repeated)
    : [];
  progress.done(
    "limits, duplicates",
    `over ${fmt(rows)} lines: ${fmt(duplicates.length)} repeat an earlier line`,
  );
  yield TRIM;

  /** Part `k`'s lines (`columns`, or all), with their row-rule reasons and positions (`__i`). */
  const withReasons = (k: number, columns?: string[]) => {
    const part = parts[k];
    const local = within(duplicates, part.offset, part.rows);
    const df = pl.readParquet(part.path, columns ? { columns } : {}).withColumns(
      part.partial.alias("__partial"),
      pl.intRange(part.offset, part.offset + part.rows, 1, pl.Int64).alias("__i"),
      ...(local.length ? [flagSeries("__dup", part.rows, local)] : []),
    );
    return df.withColumns(
      completeRowReason(
        pl.col("__partial"),
        rules,
        limits,
        local.length ? pl.col("__dup") : null,
      ),
    ).drop("__partial", ...(local.length ? ["__dup"] : []));
  };

  // Pass 2: the cancelled orders and the extreme-value bounds (the rules over other lines).
  const cancels = on("cancellation")
    ? cancellationLines(
      pl.concat(cancelRows.splice(0), { how: "vertical" }).rechunk()
        .withColumns(completeRowReason(pl.col("reason"), rules, limits, null)),
    )
    : null;
  const matchOrders = on("cancelled_order") && cancels !== null && cancels.height > 0;
  const multiplier = cfg.outliers.logValueMadMultiplier;
  const extremeOn = on("extreme_value") && multiplier !== null;
  const cancelKeys = matchOrders ? cancellationKeys(cancels!) : null;
  const candidates: pl.DataFrame[] = [];
  const logs: pl.Series[] = [];
  // The log values of the candidates' lines, by position: those not cancelled join `logs` after.
  const poolLogs: pl.DataFrame[] = [];
  if (matchOrders || extremeOn) {
    for (const k of parts.keys()) {
      const df = withReasons(k, [...SET_RULE_COLUMNS]);
      const share = cancelKeys ? poolCandidates(df, cancelKeys) : null;
      if (share) candidates.push(share);
      if (extremeOn) {
        // The candidates may be cancelled orders: their values join once that is known.
        const values = df.filter(keptValue()).select("__i", logValue());
        if (share && share.height > 0) {
          const at = share.select("__i");
          logs.push(values.join(at, { on: "__i", how: "anti" }).getColumn("v"));
          poolLogs.push(values.join(at, { on: "__i", how: "semi" }));
        } else logs.push(values.getColumn("v"));
      }
      yield;
    }
  }
  const pool = candidates.length
    ? exactPool(pl.concat(candidates.splice(0), { how: "vertical" }), cancelKeys!)
    : null;
  const match = matchOrders && pool
    ? matchCancelledOrders(cancels!, pool)
    : noOrderMatched(cancels);
  const matched = [...match.matched].sort((a, b) => a - b);
  let bounds = null;
  if (extremeOn) {
    if (poolLogs.length) {
      // The candidates' lines that were not cancelled.
      const taken = pl.DataFrame({ __i: pl.Series("__i", matched, pl.Int64) });
      logs.push(
        pl.concat(poolLogs.splice(0), { how: "vertical" })
          .join(taken, { on: "__i", how: "anti" }).getColumn("v"),
      );
    }
    bounds = extremeValueBounds(joined(logs.splice(0), "v", pl.Float64), multiplier!);
  }
  const beyond = extremeOn ? extremeCondition(bounds, multiplier!) : null;
  progress.done(
    "orders, bounds",
    `${fmt(matched.length)} cancelled orders matched over ${fmt(pool?.height ?? 0)} candidates`,
  );
  yield TRIM;

  // Pass 3: final reasons; clean lines and quarantine spilled again.
  const fileReasons: pl.DataFrame[] = [];
  const firsts: pl.DataFrame[] = [];
  const cancelled: pl.Series[] = [];
  const customerParts = keep === "rfm" ? new CustomerMetricsInParts(ds.analysisDate) : null;
  let dictionary: string[] = [];
  for (const [k, part] of parts.entries()) {
    let df = withReasons(k);
    const local = within(matched, part.offset, part.rows);
    if (local.length > 0) {
      df = markReason(
        df.withColumns(flagSeries("__m", part.rows, local)),
        "cancelled_order",
        pl.col("__m"),
      ).drop("__m");
      cancelled.push(cancelledValues(df.getColumn("line_value"), local));
    }
    if (beyond) df = markReason(df, "extreme_value", beyond);
    fileReasons.push(df.select("source_file", "reason"));
    const isKept = pl.col("reason").isNull();
    const clean = df.filter(isKept).select(...CANONICAL_COLUMNS);
    const dropped = df.filter(isKept.not()).select(...CANONICAL_COLUMNS, reasonText(df));
    if (k === 0) dictionary = dictionaryColumns(clean);
    spillTo(clean, join(spill, spillName("kept", k)));
    spillTo(dropped, join(spill, spillName("quarantine", k)));
    firsts.push(dropped.filter(pl.col("reason").isFirstDistinct()));
    customerParts?.add(clean);
    part.partial = pl.Series("reason", [], pl.UInt8);
    // (the pages are handed back only past TRIM_GROWTH_MIB: the parts' frames reuse them)
    yield;
  }
  yield TRIM;
  const values = joined(cancelled, "line_value", pl.Float64);
  const figures: Omit<SetRulesOutcome, "df"> = {
    cancelledOrders: {
      lines: values.length,
      value: values.length ? Number(values.sum() ?? 0) : 0,
    } satisfies LinesValue,
    unmatchedReturns: { lines: match.unmatchedLines, value: match.unmatchedValue },
    extremeValueBounds: bounds,
  };
  const tally = reconcile(
    pl.concat(fileReasons.splice(0), { how: "vertical" }),
    counts.rowsRead,
    Object.keys(counts.provided),
  );
  const examples = pl.concat(firsts, { how: "vertical" });
  const warnings = cleaningWarnings(examples, rules, cfg, tally);
  for (const w of warnings) warnLoudly(w.message);
  const report = cleaningReport(rules, tally, figures, warnings);
  assertReconciles(report);
  progress.done("clean", describeClean(report));

  const scan = (kind: string) => pl.scanParquet(join(spill, `${kind}-*.parquet`));
  const all = (kind: string) => scan(kind).collectSync();
  const writer = (kind: string) => (path: string) => sinkAsPlainText(scan(kind), dictionary, path);
  return {
    // (`--until rfm`: none, with the columns of the spilled lines)
    kept: keep === "all" ? all("kept") : scan("kept").head(0).collectSync(),
    quarantine: keep === "all" ? all("quarantine") : scan("quarantine").head(0).collectSync(),
    ...(customerParts ? { customerParts } : {}),
    report,
    rowsIn: counts.rowsRead,
    ingest: counts.ingest,
    examples: reasonExamples(examples),
    writers: { kept: writer("kept"), quarantine: writer("quarantine") },
  };
}

/**
 * The data stage in parts, as the build runs it (releasing native memory at every pause).
 *
 * @param ds dataset configuration
 * @param sources resolved source files, in configuration order
 * @param progress progress printer
 * @param keep what to keep in memory for the stages after ({@link StreamedLines})
 * @param ahead the files' pre-passes, made in a worker meanwhile (see `ahead.ts`)
 * @param partRows the most lines of one part ({@link PART_ROWS})
 * @returns the clean stage and a `dispose` that deletes the spills (call it after the outputs
 *   are written; on an error thrown here, the spills are already deleted)
 */
export async function streamedClean(
  ds: DatasetConfig,
  sources: SourceFile[],
  progress: Progress,
  keep: StreamedLines,
  ahead?: PrePasses,
  partRows: number = PART_ROWS,
): Promise<StreamedStage> {
  const spill = mkdtempSync(join(tmpdir(), "rfm-spill-"));
  const dispose = () => rmSync(spill, { recursive: true, force: true });
  try {
    const stage = await runReleasing(
      streamedCleanSteps(ds, sources, progress, spill, keep, Date.now(), ahead, partRows),
      TRIM_GROWTH_MIB,
    );
    return { stage, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}
