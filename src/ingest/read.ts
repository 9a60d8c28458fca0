/**
 * Reading a source file: its mapped columns, with every physical record accounted for. Polars
 * reads every file natively, from its path (never through a JavaScript string), so there is no
 * size limit but memory:
 *
 * 1. a text file in another `encoding` is first transcoded to a temporary UTF-8 copy
 *    (`transcode.ts`);
 * 2. the byte-level pre-pass (`text_scan.ts`) validates UTF-8 and counts the header, blank
 *    records and data rows, finding the ragged and truncated rows; whitespace text is rewritten as
 *    tab-separated text on the way;
 * 3. when some record must not reach polars (blank, ragged, truncated), a temporary copy without
 *    them is written (a preflight copies its sample); otherwise polars scans the file itself;
 * 4. {@link openSource} hands out a lazy scan of the file (every text column as text, only the
 *    mapped columns), so that mapping (`ingest.ts`) materialises the canonical rows only, never
 *    the source's table of strings; {@link readSourceFile} collects it instead;
 * 5. the rows quarantined by the pre-pass are put back as empty rows with their reason, in source
 *    order ({@link interleaveProblems}), for the cleaning rules to count.
 *
 * Temporary copies live in a temporary folder removed by {@link OpenedSource.close}. With
 * `maxRows` (the preflight), only the first rows are scanned, transcoded, copied and read.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { FileConfig, FileFormat, TextEncoding } from "../config/dataset.ts";
import { excerpt, excerptList } from "../lib/text.ts";
import { InputError } from "./errors.ts";
import {
  copyWithout,
  ROW_ISSUES,
  type RowProblem,
  scanDelimited,
  type ScanOptions,
  type TextScan,
  whitespaceToTsv,
} from "./text_scan.ts";
import { transcodeToUtf8 } from "./transcode.ts";

/** Internal column: the ingest reason of a quarantined row (null for rows read). */
export const INGEST_REASON = "__ingest_reason";

/** How the physical records of a file were accounted for. */
export interface ReadAccounting {
  format: FileFormat;
  encoding: TextEncoding;
  /** Whether the file was transcoded to UTF-8 first. */
  transcoded: boolean;
  /** Physical records read: header + blank lines + data rows (Parquet: the rows). */
  records: number;
  /** Physical lines read (text files; Parquet: the rows). */
  lines: number;
  /** 1 when a header line was read, else 0. */
  header: number;
  /** Blank records skipped (nothing but spaces, tabs or delimiters). */
  blankLines: number;
  /** Data rows: rows in, the quarantined ones included. */
  rows: number;
  /** Rows quarantined by reason. */
  quarantined: { ragged_row: number; truncated_line: number };
  /** The first quarantined rows, with line and field counts. */
  problems: RowProblem[];
}

/** The rows the pre-pass quarantined, by 1-based data row number, in order. */
export interface ProblemRows {
  /** Data rows in all (rows read plus problem rows). */
  rows: number;
  count: number;
  /** Data row numbers (first `count` entries). */
  at: Int32Array;
  /** Index in `ROW_ISSUES` of each reason. */
  reasons: Uint8Array;
}

/** An opened source file: a lazy scan of its readable rows, and how its records were counted. */
export interface OpenedSource {
  /** The mapped columns of the rows read (text for text files), in source order. */
  lazy: pl.LazyDataFrame;
  /** The mapped columns' names and types (an empty frame). */
  schema: pl.DataFrame;
  /**
   * Mapped columns none of whose values begins or ends with whitespace, as the pre-pass found
   * (`TextScan.edgeSpace`): trimming them would change nothing. Empty when not known (Parquet).
   */
  noEdgeSpace: ReadonlySet<string>;
  /**
   * Mapped columns none of whose values holds a byte outside ASCII, as the pre-pass found
   * (`TextScan.nonAscii`): no byte-order mark, no zero-width character. Empty when not known.
   */
  asciiOnly: ReadonlySet<string>;
  /** Rows the scan yields (null when only the scan can tell: Parquet). */
  rowsRead: number | null;
  accounting: ReadAccounting;
  /** The quarantined rows, or null when there are none. */
  problems: ProblemRows | null;
  /** Removes the temporary copies (call once the scan is no longer needed). */
  close(): void;
}

/** A source file as read: its mapped columns (as text for text files) and the accounting. */
export interface ReadResult {
  /**
   * One row per data row, in source order (row position + 1 is the data row number); quarantined
   * rows are empty, with their reason in {@link INGEST_REASON} (a column that exists only when
   * some row was quarantined).
   */
  df: pl.DataFrame;
  accounting: ReadAccounting;
}

/** The source columns a file maps, once each, in mapping order. */
export function mappedSources(file: FileConfig): string[] {
  return [...new Set(Object.values(file.columns) as string[])];
}

/** The error for mapped columns the file lacks, listing the columns it has. */
export function missingColumn(file: FileConfig, have: string[]): InputError | null {
  const set = new Set(have);
  for (const [key, src] of Object.entries(file.columns)) {
    if (!set.has(src)) {
      return new InputError(
        file.name,
        `column ${excerpt(src)} (mapped as ${key}) is missing; the file has: ${excerptList(have)}`,
      );
    }
  }
  return null;
}

/** Runs `fn`, turning a failure of the reader into an InputError naming the file and format. */
function asInputError<T>(file: FileConfig, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      file.name,
      `cannot be read as ${file.format}: ${excerpt((e as Error).message, 300)}`,
    );
  }
}

/**
 * Opens a source file for reading: checks it (pre-pass), prepares a copy when needed, and
 * returns a lazy scan of the mapped columns of its readable rows. Call `close()` when done.
 *
 * @param path file path
 * @param file its configuration (format, header, field names, encoding)
 * @param maxRows read only the first data rows (a quick preflight check)
 * @param ahead the file's pre-pass, made beforehand (`ahead.ts`) with {@link aheadOptions}; used
 *   when the whole file is read, instead of scanning it again
 * @throws {InputError} when the file is missing, empty, not in its encoding, has malformed
 *   quotes, lacks a mapped column, or no row has the header's number of fields
 */
export function openSource(
  path: string,
  file: FileConfig,
  maxRows?: number,
  ahead?: TextScan,
): OpenedSource {
  return asInputError(
    file,
    () =>
      file.format === "parquet"
        ? openParquet(path, file, maxRows)
        : openText(path, file, maxRows, ahead),
  );
}

/**
 * Reads a source file whole: the mapped columns of its data rows, with every record accounted
 * for (quarantined rows as empty rows with {@link INGEST_REASON}).
 *
 * @throws {InputError} as {@link openSource}, and for a file without data rows
 */
export function readSourceFile(path: string, file: FileConfig, maxRows?: number): ReadResult {
  const source = openSource(path, file, maxRows);
  try {
    const df = asInputError(file, () => source.lazy.collectSync());
    if (source.rowsRead !== null && df.height !== source.rowsRead) {
      throw new InputError(
        file.name,
        `the pre-pass counted ${source.rowsRead} readable rows but the CSV reader read ${df.height}`,
      );
    }
    if (df.height === 0) throw new InputError(file.name, "file is empty (no data rows)");
    const problems = source.problems;
    if (!problems) return { df, accounting: source.accounting };
    const read = df.withColumns(pl.lit(null).cast(pl.Utf8).alias(INGEST_REASON));
    const empty = pl.DataFrame([
      ...df.columns.map((c) => pl.Series(c, new Array(problems.count).fill(null), pl.Utf8)),
      pl.Series(INGEST_REASON, problemReasons(problems), pl.Utf8),
    ]);
    return { df: interleaveProblems(read, empty, problems), accounting: source.accounting };
  } finally {
    source.close();
  }
}

/** The reason codes of the problem rows, in order. */
export function problemReasons(problems: ProblemRows): string[] {
  return Array.from(problems.reasons.subarray(0, problems.count), (r) => ROW_ISSUES[r]);
}

/**
 * Puts the problem rows (`empty`, one per problem, in order) among the rows read, so that row
 * position + 1 is the data row number again. Few problems: zero-copy slices; many: a sort.
 */
export function interleaveProblems(
  read: pl.DataFrame,
  empty: pl.DataFrame,
  problems: ProblemRows,
): pl.DataFrame {
  const n = problems.count;
  if (n > 256) {
    const rowsRead = new Int32Array(problems.rows - n);
    let p = 0;
    let k = 0;
    for (let row = 1; row <= problems.rows; row++) {
      if (p < n && problems.at[p] === row) p++;
      else rowsRead[k++] = row;
    }
    const key = "__data_row";
    return pl.concat([
      read.withColumns(pl.Series(key, rowsRead)),
      empty.select(...read.columns).withColumns(pl.Series(key, problems.at.slice(0, n))),
    ], { rechunk: false, how: "vertical" }).sort(key).drop(key);
  }
  const parts: pl.DataFrame[] = [];
  let taken = 0;
  for (let j = 0; j < n; j++) {
    const before = problems.at[j] - 1 - j; // rows read before problem j
    if (before > taken) parts.push(read.slice(taken, before - taken));
    parts.push(empty.slice(j, 1).select(...read.columns));
    taken = before;
  }
  if (taken < read.height) parts.push(read.slice(taken, read.height - taken));
  return pl.concat(parts, { rechunk: false, how: "vertical" });
}

/** A Parquet file: its mapped columns, natively (no pre-pass: Parquet has no lines). */
function openParquet(path: string, file: FileConfig, maxRows?: number): OpenedSource {
  const scan = pl.scanParquet(path, { glob: false, ...(maxRows ? { nRows: maxRows } : {}) });
  const have = scan.columns;
  const missing = missingColumn(file, have);
  if (missing) throw missing;
  const wanted = new Set(mappedSources(file));
  const lazy = scan.select(...have.filter((c) => wanted.has(c)));
  const rows = Number(scan.select(pl.len().alias("n")).collectSync().getColumn("n").get(0));
  if (rows === 0) throw new InputError(file.name, "file is empty (no data rows)");
  return {
    lazy,
    schema: lazy.limit(0).collectSync(),
    noEdgeSpace: new Set(),
    asciiOnly: new Set(),
    rowsRead: rows,
    problems: null,
    close: () => {},
    accounting: {
      format: file.format,
      encoding: file.encoding,
      transcoded: false,
      records: rows,
      lines: rows,
      header: 0,
      blankLines: 0,
      rows,
      quarantined: { ragged_row: 0, truncated_line: 0 },
      problems: [],
    },
  };
}

/** The pre-pass options of a text file (`prefix`: the input is a transcoded sample). */
function scanOptions(file: FileConfig, maxRows?: number, prefix = false): ScanOptions {
  return {
    file: file.name,
    delimiter: file.format === "csv" ? "," : file.format === "tsv" ? "\t" : null,
    header: file.header,
    fields: file.fields,
    maxRows,
    prefix,
  };
}

/**
 * The options of a file's whole pre-pass when it can be made beforehand, on the file as it is
 * (`scanDelimited(path, options)`, e.g. on another core: `ahead.ts`): UTF-8 CSV or TSV. Null for
 * the others (transcoded, whitespace text rewritten on the way, Parquet).
 *
 * @example
 * ```ts
 * import { aheadOptions } from "./read.ts";
 * import { equal } from "node:assert/strict";
 * const file = { name: "a.csv", format: "csv", encoding: "utf-8", header: true, fields: null };
 * equal(aheadOptions(file as Parameters<typeof aheadOptions>[0])?.delimiter, ",");
 * equal(aheadOptions({ ...file, encoding: "latin1" } as Parameters<typeof aheadOptions>[0]), null);
 * ```
 */
export function aheadOptions(file: FileConfig): ScanOptions | null {
  const delimited = file.format === "csv" || file.format === "tsv";
  return delimited && file.encoding === "utf-8" ? scanOptions(file) : null;
}

/** A text file (CSV, TSV, whitespace): transcode, pre-pass, copy if needed, lazy polars scan. */
function openText(
  path: string,
  file: FileConfig,
  maxRows?: number,
  ahead?: TextScan,
): OpenedSource {
  const tmp = Deno.makeTempDirSync({ prefix: "rfm-ingest-" });
  const close = () => Deno.removeSync(tmp, { recursive: true });
  try {
    let text = path;
    let prefix = false;
    if (file.encoding !== "utf-8") {
      text = `${tmp}/utf8.txt`;
      // A preflight transcodes a few lines more than it reads (blank lines, the header).
      prefix = transcodeToUtf8(
        path,
        text,
        file.encoding,
        file.name,
        maxRows === undefined ? undefined : maxRows + 2,
      ).prefix;
    }
    const options = scanOptions(file, maxRows, prefix);
    let scan: TextScan;
    let readPath = text;
    let quoted = true;
    if (file.format === "whitespace") {
      readPath = `${tmp}/text.tsv`;
      scan = whitespaceToTsv(text, readPath, options);
      quoted = false;
    } else {
      // (a pre-pass made beforehand is of the whole file as it is: aheadOptions)
      const whole = maxRows === undefined && aheadOptions(file) !== null;
      scan = ahead && whole ? ahead : scanDelimited(text, options);
      // A preflight copies its sample: polars then reads exactly the rows scanned.
      if (scan.excludedCount > 0 || maxRows !== undefined) {
        readPath = `${tmp}/text.csv`;
        copyWithout(text, readPath, scan);
      }
    }
    const { lazy, names } = scanText(readPath, file, options.delimiter ?? "\t", quoted);
    return {
      lazy,
      schema: lazy.limit(0).collectSync(),
      noEdgeSpace: flagFree(file, names, scan.edgeSpace),
      asciiOnly: flagFree(file, names, scan.nonAscii),
      rowsRead: scan.goodRows,
      problems: scan.problemCount === 0 ? null : {
        rows: scan.rows,
        count: scan.problemCount,
        at: scan.problemRows,
        reasons: scan.problemReasons,
      },
      accounting: accountingOf(file, scan, text !== path),
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

/**
 * A lazy polars scan of delimited UTF-8 text: every column as text, only the mapped columns
 * (renamed from `column_N` to `fields` for a header-less file).
 */
function scanText(
  path: string,
  file: FileConfig,
  sep: string,
  quoted: boolean,
): { lazy: pl.LazyDataFrame; names: string[] } {
  const lf = pl.scanCSV(path, {
    hasHeader: file.header,
    sep,
    // `undefined` turns quoting off (whitespace text has no quotes).
    quoteChar: quoted ? '"' : undefined,
    inferSchemaLength: 0,
    glob: false,
    truncateRaggedLines: false,
  });
  const raw = lf.columns;
  const names = file.header ? raw.map((c) => c.replace(/^\ufeff/, "")) : file.fields!;
  const missing = missingColumn(file, names);
  if (missing) throw missing;
  const wanted = new Set(mappedSources(file));
  return {
    lazy: lf.select(...names.flatMap((n, i) => (wanted.has(n) ? [pl.col(raw[i]).alias(n)] : []))),
    names,
  };
}

/**
 * The mapped columns of `names` whose per-field flag of the pre-pass is 0 (no edge whitespace:
 * `TextScan.edgeSpace`; no byte outside ASCII: `TextScan.nonAscii`); none when not known.
 */
function flagFree(file: FileConfig, names: string[], flags: Uint8Array | null): Set<string> {
  if (!flags) return new Set();
  const wanted = new Set(mappedSources(file));
  return new Set(names.filter((n, i) => wanted.has(n) && flags[i] === 0));
}

/** The accounting of a text file from its pre-pass. */
function accountingOf(file: FileConfig, scan: TextScan, transcoded: boolean): ReadAccounting {
  return {
    format: file.format,
    encoding: file.encoding,
    transcoded,
    records: scan.records,
    lines: scan.lines,
    header: scan.headerRecords,
    blankLines: scan.blankLines,
    rows: scan.rows,
    quarantined: { ragged_row: scan.ragged, truncated_line: scan.truncated },
    problems: scan.examples,
  };
}
