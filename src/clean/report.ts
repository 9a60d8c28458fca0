/**
 * The cleaning report (`cleaning.json`) and its reconciliation.
 *
 * Reconciliation compares two independent counts per source file: the rows ingest read from the
 * file (counted at read time, before any mapping) and the rows cleaning accounts for (kept plus
 * dropped, counted per reason in the cleaned table). A file reconciles when they are equal; the
 * total reconciles when the sums are equal and every file reconciles. A row lost or added between
 * ingest and cleaning makes `reconciles` false, and {@link assertReconciles} refuses to go on.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { LinesValue } from "./cancellations.ts";
import type { ExtremeValueBounds } from "./outliers.ts";
import { type RuleInfo, RULES } from "./rules.ts";

/** Row counts of one source file (or the total). */
export interface FileCounts {
  /** File name, or `total`. */
  file: string;
  /** Rows read from the source file by ingest, counted at read time (total: their sum). */
  rows_in: number;
  /** Rows kept by cleaning. */
  rows_kept: number;
  /** Rows dropped by cleaning (Σ dropped). */
  rows_dropped: number;
  /** Dropped rows per reason code (every code listed, zero included). */
  dropped: Record<string, number>;
  /**
   * rows_in === rows_kept + Σ dropped; for the total, also every file reconciles.
   */
  reconciles: boolean;
}

/** The cleaning report (`cleaning.json`). */
export interface CleaningReport {
  rules: RuleInfo[];
  files: FileCounts[];
  total: FileCounts;
  /** Bounds of the extreme line value rule, in currency units, or null if not applied. */
  extremeValueBounds: ExtremeValueBounds | null;
  /** Cancellation lines that reversed no purchase exactly (partial returns, older purchases). */
  unmatchedReturns: LinesValue;
  /** Purchase lines dropped as cancelled orders, and their value. */
  cancelledOrders: LinesValue;
}

/** Dropped counts with every reason code, all zero. */
function zeroDropped(): Record<string, number> {
  return Object.fromEntries(RULES.map((r) => [r.code, 0]));
}

/** The counts of one file (or the total) and whether they reconcile. */
function fileCounts(
  file: string,
  rowsIn: number,
  kept: number,
  dropped: Record<string, number>,
): FileCounts {
  const d = Object.values(dropped).reduce((s, n) => s + n, 0);
  return {
    file,
    rows_in: rowsIn,
    rows_kept: kept,
    rows_dropped: d,
    dropped,
    reconciles: rowsIn === kept + d,
  };
}

/**
 * Counts kept and dropped rows per source file and reason, and reconciles them with the rows
 * read.
 *
 * @param df the cleaned rows: `source_file` and `reason` (null when kept)
 * @param rowsRead rows read per source file, counted by ingest
 * @param files every file name to list, in order (a file with no rows is listed with zeros;
 *   a file seen in `df` but absent here is listed after them, with 0 rows read)
 */
export function reconcile(
  df: pl.DataFrame,
  rowsRead: Readonly<Record<string, number>>,
  files: readonly string[],
): { files: FileCounts[]; total: FileCounts } {
  const counts = df.groupBy(["source_file", "reason"]).agg(pl.len().alias("n")).toRecords() as {
    source_file: string;
    reason: string | null;
    n: number;
  }[];
  const order = [
    ...new Set([...files, ...Object.keys(rowsRead), ...counts.map((c) => c.source_file)]),
  ];
  const perFile = order.map((f) => {
    const dropped = zeroDropped();
    let kept = 0;
    for (const c of counts) {
      if (c.source_file !== f) continue;
      const n = Number(c.n);
      if (c.reason === null) kept += n;
      else dropped[c.reason] = (dropped[c.reason] ?? 0) + n;
    }
    return fileCounts(f, rowsRead[f] ?? 0, kept, dropped);
  });
  const totalDropped = zeroDropped();
  for (const f of perFile) {
    for (const c of Object.keys(totalDropped)) totalDropped[c] += f.dropped[c];
  }
  const total = fileCounts(
    "total",
    perFile.reduce((s, f) => s + f.rows_in, 0),
    perFile.reduce((s, f) => s + f.rows_kept, 0),
    totalDropped,
  );
  total.reconciles &&= perFile.every((f) => f.reconciles);
  return { files: perFile, total };
}

/** A cleaning report whose counts do not reconcile with the rows read. */
export class ReconciliationError extends Error {
  /** @param failed the files (and the total) that do not reconcile */
  constructor(readonly failed: FileCounts[]) {
    const n = (x: number) => x.toLocaleString("en-GB");
    super(
      "cleaning does not reconcile with the rows read, so no output is written:\n" +
        failed.map((f) =>
          `  ${f.file}: ${n(f.rows_in)} rows read, but ${
            n(f.rows_kept + f.rows_dropped)
          } accounted for (${n(f.rows_kept)} kept + ${n(f.rows_dropped)} dropped)`
        ).join("\n"),
    );
    this.name = "ReconciliationError";
  }
}

/**
 * Throws unless every file and the total reconcile.
 *
 * @throws {ReconciliationError} naming each file that does not, with its counts
 */
export function assertReconciles(report: Pick<CleaningReport, "files" | "total">): void {
  const failed = [...report.files, report.total].filter((f) => !f.reconciles);
  if (failed.length > 0) throw new ReconciliationError(failed);
}
