/**
 * Ingest: read one source file and map it onto the canonical transaction schema.
 *
 * Reading is the only I/O here ({@link readSource}); {@link toCanonical} is a pure transform of a
 * polars DataFrame; {@link ingestFile} does both and counts the rows as read, before any mapping,
 * which is the count the cleaning report reconciles against. Structural problems (empty file, missing column, wrong type, a timestamp
 * format that parses nothing) raise an {@link InputError} naming the file, the column and, where
 * there is one, the first bad row. Row-level defects (a missing or unparsable timestamp, a
 * missing customer …) are not errors: they are left for the cleaning rules to count and drop.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { FileConfig, MappableColumn } from "../config/dataset.ts";
import { CANONICAL_COLUMNS } from "../config/schema.ts";

/** A structural problem with an input file. */
export class InputError extends Error {
  /** @param file file name @param message what is wrong, naming the column and row */
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "InputError";
  }
}

/** Options of {@link toCanonical}. */
export interface CanonicalOptions {
  /** IANA zone of the source wall-clock times (converted to UTC). Default "UTC". */
  timezone?: string;
  /**
   * Largest share of rows whose present timestamp may fail to parse before the file is
   * rejected as misconfigured (default 0.01). Below it, such rows are left for the
   * `bad_timestamp` cleaning rule.
   */
  maxUnparsableShare?: number;
}

/**
 * Reads a source file into a DataFrame of its own columns.
 * Text formats are read with every column as text, so that {@link toCanonical} controls parsing.
 *
 * @param path file path
 * @param file its configuration (format, header, field names)
 * @param maxRows read only about this many data rows (for a quick preflight check)
 * @throws {InputError} when the file is empty or cannot be read
 */
export function readSource(path: string, file: FileConfig, maxRows?: number): pl.DataFrame {
  let df: pl.DataFrame;
  try {
    if (file.format === "parquet") {
      df = maxRows ? pl.readParquet(path, { nRows: maxRows }) : pl.readParquet(path);
    } else if (file.format === "whitespace") {
      df = readWhitespace(headLines(Deno.readTextFileSync(path), maxRows), file);
    } else {
      const text = headLines(Deno.readTextFileSync(path), maxRows);
      if (text.trim().length === 0) throw new InputError(file.name, "file is empty (no data rows)");
      df = pl.readCSV(text, {
        sep: file.format === "tsv" ? "\t" : ",",
        hasHeader: file.header,
        inferSchemaLength: 0,
        ...(file.header ? {} : { columns: undefined }),
      });
      if (!file.header && file.fields) {
        if (df.width !== file.fields.length) {
          throw new InputError(
            file.name,
            `expected ${file.fields.length} fields (${file.fields.join(", ")}), found ${df.width}`,
          );
        }
        df = df.rename(Object.fromEntries(df.columns.map((c, i) => [c, file.fields![i]])));
      }
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file.name, `cannot be read as ${file.format}: ${(e as Error).message}`);
  }
  if (df.height === 0) throw new InputError(file.name, "file is empty (no data rows)");
  return df;
}

/** The first `maxRows` + 1 lines of a text (all of it without a limit). */
function headLines(text: string, maxRows?: number): string {
  if (!maxRows) return text;
  let at = -1;
  for (let i = 0; i <= maxRows; i++) {
    at = text.indexOf("\n", at + 1);
    if (at < 0) return text;
  }
  return text.slice(0, at + 1);
}

/**
 * Parses whitespace-separated text (any run of spaces or tabs separates fields) into string
 * columns. Blank lines are skipped; a line with the wrong number of fields is an error naming it.
 */
export function readWhitespace(text: string, file: FileConfig): pl.DataFrame {
  const lines = text.split(/\r?\n/);
  let start = 0;
  let names = file.fields;
  if (file.header) {
    while (start < lines.length && lines[start].trim() === "") start++;
    if (start >= lines.length) throw new InputError(file.name, "file is empty (no data rows)");
    names = lines[start].trim().split(/\s+/);
    start++;
  }
  if (!names) {
    throw new InputError(file.name, "no field names: set `fields` for a file without header");
  }
  const cols: string[][] = names.map(() => []);
  for (let i = start; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const parts = line.split(/\s+/);
    if (parts.length !== names.length) {
      throw new InputError(
        file.name,
        `line ${i + 1}: expected ${names.length} fields (${
          names.join(", ")
        }), found ${parts.length}`,
      );
    }
    for (let j = 0; j < parts.length; j++) cols[j].push(parts[j]);
  }
  if (cols[0].length === 0) throw new InputError(file.name, "file is empty (no data rows)");
  return pl.DataFrame(Object.fromEntries(names.map((n, j) => [n, pl.Series(n, cols[j], pl.Utf8)])));
}

/** True where a float is not a whole number. */
function notWhole(e: pl.Expr): pl.Expr {
  return e.neq(e.floor());
}

function isText(dt: pl.DataType): boolean {
  return dt.variant === "Utf8" || dt.variant === "String";
}

function isInteger(dt: pl.DataType): boolean {
  return /^U?Int(8|16|32|64)$/.test(dt.variant);
}

function isFloat(dt: pl.DataType): boolean {
  return dt.variant === "Float32" || dt.variant === "Float64";
}

function isNumeric(dt: pl.DataType): boolean {
  return isInteger(dt) || isFloat(dt);
}

/** First data row (1-based) where `bad` holds, with its source value, for error messages. */
function firstBad(
  df: pl.DataFrame,
  bad: pl.Expr,
  column: string,
): { row: number; value: string } | null {
  const hit = df.withRowIndex("__row", 1).filter(bad).select("__row", column).head(1);
  if (hit.height === 0) return null;
  const r = hit.toRecords()[0];
  return { row: Number(r.__row), value: String(r[column]) };
}

/** Casts a source column to a number type, failing with the first non-numeric row. */
function numericColumn(
  df: pl.DataFrame,
  file: string,
  key: MappableColumn,
  src: string,
  type: "int" | "float",
): pl.Expr {
  const dt = df.getColumn(src).dtype;
  const target = type === "int" ? pl.Int64 : pl.Float64;
  if (isNumeric(dt)) {
    if (type === "int" && dt.variant !== "Int64") {
      const frac = notWhole(pl.col(src).cast(pl.Float64));
      const bad = firstBad(df, frac, src);
      if (bad) {
        throw new InputError(
          file,
          `column "${src}" (${key}), row ${bad.row}: expected a whole number, found "${bad.value}"`,
        );
      }
    }
    return pl.col(src).cast(target);
  }
  if (!isText(dt)) {
    throw new InputError(file, `column "${src}" (${key}): expected numbers, found type ${dt}`);
  }
  const trimmed = pl.col(src).str.strip();
  const parsed = trimmed.cast(pl.Float64, false);
  const bad = firstBad(
    df,
    trimmed.neq(pl.lit("")).and(parsed.isNull().or(parsed.isNan()).or(parsed.isInfinite())),
    src,
  );
  if (bad) {
    throw new InputError(
      file,
      `column "${src}" (${key}), row ${bad.row}: expected a number, found "${bad.value}"`,
    );
  }
  if (type === "int") {
    const badInt = firstBad(df, notWhole(parsed), src);
    if (badInt) {
      throw new InputError(
        file,
        `column "${src}" (${key}), row ${badInt.row}: expected a whole number, found "${badInt.value}"`,
      );
    }
  }
  return parsed.cast(target);
}

/** A text column: trimmed, empty → null. Numbers are turned into text (17850.0 → "17850"). */
function textColumn(df: pl.DataFrame, file: string, key: MappableColumn, src: string): pl.Expr {
  const dt = df.getColumn(src).dtype;
  if (isText(dt)) {
    let s = pl.col(src).str.strip();
    // A customer number exported through a float column ("17850.0") is the same customer as "17850".
    if (key === "customer_id") s = s.str.replace("^([0-9]+)\\.0+$", "$1");
    return pl.when(s.eq(pl.lit(""))).then(pl.lit(null).cast(pl.Utf8)).otherwise(s);
  }
  if (isFloat(dt)) {
    const bad = firstBad(df, notWhole(pl.col(src)), src);
    if (bad) {
      throw new InputError(
        file,
        `column "${src}" (${key}), row ${bad.row}: expected an identifier, found "${bad.value}"`,
      );
    }
    return pl.col(src).cast(pl.Int64).cast(pl.Utf8);
  }
  if (isInteger(dt)) return pl.col(src).cast(pl.Utf8);
  throw new InputError(file, `column "${src}" (${key}): expected text, found type ${dt}`);
}

/** The timestamp column parsed to a naive datetime (µs) in the source's wall-clock time. */
function timestampColumn(df: pl.DataFrame, file: FileConfig, src: string): pl.Expr {
  const dt = df.getColumn(src).dtype;
  if (dt.variant === "Date") return pl.col(src).cast(pl.Datetime("us"));
  if (dt.variant === "Datetime") return pl.col(src).cast(pl.Datetime("us"));
  let text: pl.Expr;
  if (isText(dt)) text = pl.col(src).str.strip();
  else if (isInteger(dt)) text = pl.col(src).cast(pl.Utf8);
  else {
    throw new InputError(
      file.name,
      `column "${src}" (timestamp): expected dates or text, found type ${dt}`,
    );
  }
  const fmt = file.timestampFormat;
  const hasTime = /%[HMSTIp]/.test(fmt);
  const parsed = hasTime
    ? text.str.strptime(pl.Datetime("ms"), fmt)
    : text.str.strptime(pl.Date, fmt).cast(pl.Datetime("us"));
  return parsed.cast(pl.Datetime("us"));
}

/**
 * Maps a source DataFrame onto the canonical schema (see `schema.ts`), in source row order.
 * Columns the file does not map are null (invoice becomes the synthetic key
 * `customer|YYYY-MM-DD` when the source has no invoice column).
 *
 * @param df the source rows, as read by {@link readSource}
 * @param file the file's configuration (column mapping, timestamp format)
 * @param options time zone and parse tolerance
 * @throws {InputError} naming the file, column and first bad row
 */
export function toCanonical(
  df: pl.DataFrame,
  file: FileConfig,
  options: CanonicalOptions = {},
): pl.DataFrame {
  if (df.height === 0) throw new InputError(file.name, "file is empty (no data rows)");
  checkMappedColumns(df, file);
  const mapped = df.select(...mappedColumns(df, file)).withColumns(
    pl.intRange(1, df.height + 1, 1, pl.Int64).alias("source_row"),
  );
  const timed = withTimestamps(mapped, df, file, {
    timezone: options.timezone ?? "UTC",
    maxUnparsableShare: options.maxUnparsableShare ?? 0.01,
  });
  return withDerivedColumns(timed, file).select(...CANONICAL_COLUMNS);
}

/** Throws when a mapped source column is missing, listing the columns the file has. */
function checkMappedColumns(df: pl.DataFrame, file: FileConfig): void {
  const have = new Set(df.columns);
  for (const [key, src] of Object.entries(file.columns)) {
    if (!have.has(src)) {
      throw new InputError(
        file.name,
        `column "${src}" (mapped as ${key}) is missing; the file has: ${df.columns.join(", ")}`,
      );
    }
  }
}

/**
 * The mapped columns as typed expressions over the source: text, quantity, prices, customer and
 * the raw timestamp (`ts_key`, parsed later) with whether it is present (`ts_present`, to tell a
 * missing timestamp from an unparsable one).
 */
function mappedColumns(df: pl.DataFrame, file: FileConfig): pl.Expr[] {
  const c = file.columns;
  const exprs: pl.Expr[] = [];
  const nullText = (name: string) => pl.lit(null).cast(pl.Utf8).alias(name);
  exprs.push(
    c.stock_code
      ? textColumn(df, file.name, "stock_code", c.stock_code).alias("stock_code")
      : nullText("stock_code"),
  );
  exprs.push(
    c.description
      ? textColumn(df, file.name, "description", c.description).alias("description")
      : nullText("description"),
  );
  exprs.push(numericColumn(df, file.name, "quantity", c.quantity!, "int").alias("quantity"));
  exprs.push(pl.col(c.timestamp!).alias("ts_key"));
  if (c.unit_price) {
    exprs.push(
      numericColumn(df, file.name, "unit_price", c.unit_price, "float").alias("unit_price"),
    );
  }
  if (c.line_value) {
    exprs.push(
      numericColumn(df, file.name, "line_value", c.line_value, "float").alias("line_value"),
    );
  }
  exprs.push(textColumn(df, file.name, "customer_id", c.customer_id!).alias("customer_id"));
  exprs.push(
    c.country
      ? textColumn(df, file.name, "country", c.country).alias("country")
      : nullText("country"),
  );
  if (c.invoice) exprs.push(textColumn(df, file.name, "invoice", c.invoice).alias("invoice"));
  // Keep the raw timestamp text to tell "missing" from "unparsable".
  const tsDtype = df.getColumn(c.timestamp!).dtype;
  exprs.push(
    (isText(tsDtype)
      ? pl.col(c.timestamp!).isNotNull().and(pl.col(c.timestamp!).str.strip().neq(pl.lit("")))
      : pl.col(c.timestamp!).isNotNull()).alias("ts_present"),
  );
  return exprs;
}

/**
 * Parses `ts_key` into `ts_local` (the source's wall-clock time) and `timestamp` (UTC), once per
 * distinct value, keeping source row order. Too many present but unparsable timestamps (more
 * than the tolerated share, or all of them) is an error naming the first bad row.
 *
 * @param out the mapped rows (`ts_key`, `ts_present`, `source_row`)
 * @param df the source rows (for the bad value in messages)
 */
function withTimestamps(
  out: pl.DataFrame,
  df: pl.DataFrame,
  file: FileConfig,
  options: Required<CanonicalOptions>,
): pl.DataFrame {
  const src = file.columns.timestamp!;
  // Timestamps repeat (one per invoice), so parse and convert each distinct value once.
  const keys = out.select(pl.col("ts_key").unique()).rename({ ts_key: src });
  const parsedKeys = keys.select(
    pl.col(src).alias("ts_key"),
    timestampColumn(keys, file, src).alias("ts_local"),
  ).withColumns(
    // Wall-clock time in the source zone → UTC (ambiguous autumn hour: the earlier instant;
    // a time inside the spring gap becomes null and is dropped as bad_timestamp).
    pl.col("ts_local").dt.replaceTimeZone(options.timezone, "earliest", "null")
      .dt.convertTimeZone("UTC").alias("timestamp"),
  );
  const timed = out.join(parsedKeys, { on: "ts_key", how: "left" }).sort("source_row");
  // Unparsable share check: present but not parsed.
  const badTs = pl.col("ts_local").isNull().and(pl.col("ts_present"));
  const unparsable = timed.filter(badTs).height;
  const parsedCount = timed.filter(pl.col("ts_local").isNotNull()).height;
  if (
    unparsable > 0 &&
    (parsedCount === 0 || unparsable / timed.height > options.maxUnparsableShare)
  ) {
    const row = Number(timed.filter(badTs).select("source_row").row(0)[0]);
    const value = String(df.getColumn(src).get(row - 1));
    throw new InputError(
      file.name,
      `column "${src}" (timestamp), row ${row}: "${value}" does not match format ` +
        `"${file.timestampFormat}" (${unparsable} of ${timed.height} rows unparsable)`,
    );
  }
  return timed;
}

/**
 * The columns a file may leave to be derived: unit price from line value (or line value from
 * quantity × unit price), the synthetic invoice `customer|YYYY-MM-DD` (the purchase day in the
 * source's own time zone) when there is no invoice column, and the source file's name.
 */
function withDerivedColumns(out: pl.DataFrame, file: FileConfig): pl.DataFrame {
  const c = file.columns;
  let df = out.withColumns(
    c.unit_price
      ? pl.col("quantity").cast(pl.Float64).mul(pl.col("unit_price")).alias("line_value")
      : pl.when(pl.col("quantity").neq(0)).then(
        pl.col("line_value").div(pl.col("quantity").cast(pl.Float64)),
      )
        .otherwise(pl.lit(null).cast(pl.Float64)).alias("unit_price"),
  );
  if (!c.invoice) {
    df = df.withColumns(
      pl.concatString([pl.col("customer_id"), pl.col("ts_local").dt.strftime("%Y-%m-%d")], "|")
        .alias("invoice"),
    );
  }
  return df.withColumns(pl.lit(file.name).alias("source_file"));
}

/** Canonical columns a file actually provides (the rest are null or synthetic). */
export function providedColumns(file: FileConfig): Set<MappableColumn> {
  return new Set(Object.keys(file.columns) as MappableColumn[]);
}

/** One source file read and mapped onto the canonical schema. */
export interface IngestedFile {
  /** The file's name (its `source_file` in the canonical rows). */
  name: string;
  /**
   * Data rows of the source as read, counted at read time before any mapping: the independent
   * count that cleaning must account for (rows in = kept + dropped).
   */
  rowsRead: number;
  /** The canonical rows, in source order. */
  canonical: pl.DataFrame;
  /** Canonical columns the file provides (see {@link providedColumns}). */
  provided: Set<MappableColumn>;
}

/**
 * Reads a source file, counts its rows as read, and maps it onto the canonical schema.
 *
 * @param path file path
 * @param file its configuration
 * @param options time zone and parse tolerance (see {@link toCanonical})
 * @throws {InputError} naming the file, column and first bad row
 */
export function ingestFile(
  path: string,
  file: FileConfig,
  options: CanonicalOptions = {},
): IngestedFile {
  const raw = readSource(path, file);
  const rowsRead = raw.height;
  return {
    name: file.name,
    rowsRead,
    canonical: toCanonical(raw, file, options),
    provided: providedColumns(file),
  };
}
