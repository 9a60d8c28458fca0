/**
 * Ingest: read one source file and map it onto the canonical transaction schema.
 *
 * Reading is the only I/O here ({@link readSource}, in `read.ts`: a byte-level pre-pass, then
 * polars reads the file natively); {@link toCanonical} is a pure transform of a polars DataFrame;
 * {@link ingestFile} does both, counts the rows as read (before any mapping: the count the
 * cleaning report reconciles against) and summarises what it did to the values
 * ({@link IngestSummary}).
 *
 * Structural problems (empty file, invalid encoding, missing column, wrong type, a timestamp
 * format that parses nothing) raise an {@link InputError} naming the file, the column and, where
 * there is one, the line or row, quoting values as short excerpts. Row-level defects are not
 * errors: a ragged or truncated row is kept, empty, with its reason (`ingest_reason`), and a
 * missing or unparsable timestamp, a missing customer … are left for the cleaning rules to count
 * and drop.
 *
 * Values: every text field is trimmed (Unicode spaces), a stray byte-order mark removed, and a
 * null word (`nullWords`: `NULL`, `nan`, `N/A`, `-` …) or an empty field is missing, in every
 * column. Customer ids are normalised (`ids.ts`): zero-width characters removed, `17850.0` and
 * `1.785e4` written `17850`. Timestamps must match their format completely, and an explicit
 * offset (`+02:00`, `Z`) or a time-zone-aware column wins over the dataset's `timezone`
 * (`timestamps.ts`).
 *
 * @module
 */
import pl from "nodejs-polars";
import type { FileConfig, MappableColumn } from "../config/dataset.ts";
import { CANONICAL_COLUMNS } from "../config/schema.ts";
import { excerpt } from "../lib/text.ts";
import { InputError } from "./errors.ts";
import { SCIENTIFIC, scientificToInteger, ZERO_FRACTION, ZERO_WIDTH } from "./ids.ts";
import {
  INGEST_REASON,
  interleaveProblems,
  missingColumn,
  openSource,
  problemReasons,
  type ReadAccounting,
  readSourceFile,
} from "./read.ts";
import { fixedOffsetMinutes, OFFSET_SUFFIX, prepareFormat } from "./timestamps.ts";
import type { TextScan } from "./text_scan.ts";

export { InputError };

/**
 * Canonical text columns that mapping writes as dictionary (categorical) strings: long or
 * repetitive text that no cleaning rule reads as text (a few bytes a row instead of a string
 * each). Cleaning writes them back as plain text in the clean lines and the quarantine.
 */
export const DICTIONARY_COLUMNS = ["description", "country", "source_file"] as const;

/**
 * `df` with its dictionary (categorical) columns as plain text, in memory: what
 * {@link sinkAsPlainText} writes, a batch at a time, for the clean lines and the quarantine (to
 * compare a frame with a written file; the build itself never makes this copy).
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { asPlainText } from "./ingest.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 * const df = pl.DataFrame({ country: ["UK", "FR", "UK"], n: [1, 2, 3] })
 *   .withColumns(pl.col("country").cast(pl.Categorical));
 * const text = asPlainText(df);
 * equal(text.getColumn("country").dtype.variant, "String");
 * deepEqual(text.getColumn("country").toArray(), ["UK", "FR", "UK"]);
 * equal(asPlainText(text), text); // nothing to cast: the same frame
 * ```
 */
export function asPlainText(df: pl.DataFrame): pl.DataFrame {
  const dictionary = dictionaryColumns(df);
  return dictionary.length === 0 ? df : df.withColumns(...asText(dictionary));
}

/** The casts that make dictionary columns plain text. */
function asText(dictionary: readonly string[]): pl.Expr[] {
  return dictionary.map((c) => pl.col(c).cast(pl.Utf8));
}

/** Rows per row group of the clean lines' and quarantine's files ({@link sinkAsPlainText}). */
export const ROW_GROUP_ROWS = 65_536;

/**
 * Writes lines to a Parquet file, their dictionary columns as plain text (as {@link asPlainText}),
 * with polars' streaming writer: the text is made a batch at a time, never for the whole table.
 * The row groups have a fixed size, so the file's bytes depend on the lines alone, not on where
 * they come from (a frame in memory, or the spilled parts of a streamed run) nor on the run.
 * polars writes on its own threads: the JavaScript thread is free until the promise settles (the
 * build computes the customer table meanwhile).
 *
 * @example
 * ```ts
 * import pl from "nodejs-polars";
 * import { dictionaryColumns, sinkAsPlainText } from "./ingest.ts";
 * import { deepEqual } from "node:assert/strict";
 * const df = pl.DataFrame({ c: pl.Series("c", ["x", "y"]).cast(pl.Categorical), n: [1, 2] });
 * const path = Deno.makeTempFileSync({ suffix: ".parquet" });
 * await sinkAsPlainText(df.lazy(), dictionaryColumns(df), path);
 * const back = pl.readParquet(path);
 * deepEqual(back.getColumn("c").dtype.variant, "String");
 * deepEqual(back.toRecords(), [{ c: "x", n: 1 }, { c: "y", n: 2 }]);
 * Deno.removeSync(path);
 * ```
 */
export async function sinkAsPlainText(
  lines: pl.LazyDataFrame,
  dictionary: readonly string[],
  path: string,
): Promise<void> {
  await lines.withColumns(...asText(dictionary))
    .sinkParquet(path, { maintainOrder: true, rowGroupSize: ROW_GROUP_ROWS }).collect();
}

/** The dictionary (categorical) columns of a frame, which {@link asPlainText} makes text. */
export function dictionaryColumns(df: pl.DataFrame): string[] {
  return df.columns.filter((c) => df.getColumn(c).dtype.variant === "Categorical");
}

/** Options of {@link toCanonical}. */
export interface CanonicalOptions {
  /**
   * Time zone of the source wall-clock times (converted to UTC): an IANA name or a fixed offset
   * `±HH:MM`. Default "UTC". A value with its own offset, or a time-zone-aware column, keeps its
   * own.
   */
  timezone?: string;
  /**
   * Largest share of rows whose present timestamp may fail to parse before the file is
   * rejected as misconfigured (default 0.01). Below it, such rows are left for the
   * `bad_timestamp` cleaning rule.
   */
  maxUnparsableShare?: number;
}

/**
 * Reads a source file into a DataFrame of its mapped columns (see `read.ts`). Text formats are
 * read with every column as text, so that {@link toCanonical} controls parsing. Rows quarantined
 * while reading (ragged, truncated) are empty rows with the internal column `__ingest_reason`.
 *
 * @param path file path
 * @param file its configuration (format, header, field names, encoding)
 * @param maxRows read only the first data rows (a quick preflight check)
 * @throws {InputError} when the file is empty, cannot be read, is not in its encoding, or lacks
 *   a mapped column
 */
export function readSource(path: string, file: FileConfig, maxRows?: number): pl.DataFrame {
  return readSourceFile(path, file, maxRows).df;
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

/**
 * The rows to map: a lazy scan of the source's columns (a DataFrame's, or a file's from
 * `read.ts`), their names and types, and the file's configuration.
 */
interface Source {
  lf: pl.LazyDataFrame;
  /** The columns' names and types (an empty frame). */
  schema: pl.DataFrame;
  file: FileConfig;
  /**
   * Columns none of whose values begins or ends with whitespace, as the byte pre-pass found
   * (`OpenedSource.noEdgeSpace`): the mapping pass does not trim them (trimming text costs about
   * as much as reading it). Empty: every text column is trimmed.
   */
  noEdgeSpace?: ReadonlySet<string>;
  /**
   * Columns none of whose values holds a byte outside ASCII, as the byte pre-pass found
   * (`OpenedSource.asciiOnly`): the mapping pass does not look for byte-order marks or zero-width
   * characters in them. Empty: it looks in every text column.
   */
  asciiOnly?: ReadonlySet<string>;
}

/** The type of source column `src`. */
function dtypeOf(s: Source, src: string): pl.DataType {
  return s.schema.getColumn(src).dtype;
}

/** First data row (1-based) where `bad` holds, with its source value, for error messages. */
function firstBad(
  lf: pl.LazyDataFrame,
  bad: pl.Expr,
  column: string,
): { row: number; value: string } | null {
  const hit = lf.withRowIndex("__row", 1).filter(bad).select("__row", column).head(1)
    .collectSync();
  if (hit.height === 0) return null;
  const r = hit.toRecords()[0];
  return { row: Number(r.__row), value: String(r[column]) };
}

/** `value` is one of `words` (false for none). */
function isWord(value: pl.Expr, words: readonly string[]): pl.Expr {
  return words.length ? value.isIn([...words]) : pl.lit(false);
}

/** What the mapping pass counted in the text columns as read. */
interface TextInfo {
  /** Per text source column: fields holding a stray byte-order mark (U+FEFF). */
  boms: Map<string, number>;
  /** Per text source column: non-null fields that are empty once trimmed. */
  blanks: Map<string, number>;
  /** Per text source column: missing (null) fields as read. */
  nulls: Map<string, number>;
  /** Whether some customer id holds a zero-width character. */
  idZeroWidth: boolean;
}

/**
 * Which text columns get their invisible characters removed: stray byte-order marks in the
 * `boms` columns, every zero-width character in the customer ids with `idZeroWidth`. A first
 * mapping pass assumes none (the common case: removing costs a copy of every string); when it
 * finds some, the pass runs again with the removals ({@link mapSource}).
 */
interface Removals {
  boms: ReadonlySet<string>;
  idZeroWidth: boolean;
}

/**
 * The text columns of a mapping pass, each computed once, in stages: each mapped text column
 * trimmed ({@link trimmedText}, the {@link Removals} made); then cleaned (empty or a null word →
 * null); then parsed as a number, or for a customer id with its zero fraction
 * dropped. The expressions of the pass read these columns (`__s0_0`, `__s1_0` …), so that no value
 * is trimmed, compared with the null words or parsed twice (the blank flag, the row checks and
 * the value itself all read them). A stage's columns are made by their own `withColumns`
 * ({@link stages}); polars does not share repeated subexpressions there by itself.
 */
class PassColumns {
  readonly #removals: Removals;
  readonly #noEdgeSpace: ReadonlySet<string>;
  readonly #nullWords: readonly string[];
  readonly #inline: boolean;
  readonly #stages = [0, 1, 2].map(() => new Map<string, { name: string; expr: pl.Expr }>());

  /**
   * @param s the source: its columns with no value to trim ({@link Source.noEdgeSpace}) are not
   *   trimmed, and its file's null words become missing
   * @param removals what is removed from the text before it is trimmed
   * @param inline the methods give the expressions themselves (outside a mapping pass)
   */
  constructor(s: Source, removals: Removals, inline = false) {
    this.#removals = removals;
    this.#noEdgeSpace = s.noEdgeSpace ?? new Set();
    this.#nullWords = s.file.nullWords;
    this.#inline = inline;
  }

  /** The column of stage `level` named by `key`, made by `make` the first time it is asked for. */
  #column(level: number, key: string, make: () => pl.Expr): pl.Expr {
    if (this.#inline) return make();
    const stage = this.#stages[level];
    let entry = stage.get(key);
    if (!entry) {
      entry = { name: `__s${level}_${stage.size}`, expr: make() };
      stage.set(key, entry);
    }
    return pl.col(entry.name);
  }

  /** Column `src` as read, trimmed (`id`: a customer id, whose zero-width characters go). */
  of(src: string, id = false): pl.Expr {
    // Only the removal of zero-width characters tells an id from another text column.
    const asId = id && this.#removals.idZeroWidth;
    const trim = !this.#noEdgeSpace.has(src);
    return this.#column(
      0,
      `${asId ? "id" : "text"}:${src}`,
      () => trimmedText(src, this.#removals, asId, trim),
    );
  }

  /** Column `src` trimmed ({@link of}); empty or a null word of the file → null. */
  cleaned(src: string, id = false): pl.Expr {
    return this.#column(1, `${id ? "id" : "text"}:${src}`, () => {
      const s = this.of(src, id);
      return pl.when(s.eq(pl.lit("")).or(isWord(s, this.#nullWords)))
        .then(pl.lit(null).cast(pl.Utf8))
        .otherwise(s);
    });
  }

  /** Column `src` cleaned ({@link cleaned}) and parsed as a float (null where it is not one). */
  parsed(src: string): pl.Expr {
    return this.#column(2, `number:${src}`, () => this.cleaned(src).cast(pl.Float64, false));
  }

  /** Customer ids `src` cleaned ({@link cleaned}), a zero fraction dropped (`17850.0` → `17850`). */
  id(src: string): pl.Expr {
    return this.#column(
      2,
      `id:${src}`,
      () => this.cleaned(src, true).str.replace(ZERO_FRACTION, "$1"),
    );
  }

  /** The stages' expressions, in order: every column asked for so far. */
  stages(): pl.Expr[][] {
    return this.#stages.map((stage) => [...stage.values()].map((e) => e.expr.alias(e.name)));
  }
}

/**
 * Per-row flags of the mapped text columns as read (a stray byte-order mark, missing, and a
 * zero-width character in an id): the first stage of the mapping pass, on the raw values.
 */
function rawTextFlags(s: Source): pl.Expr[] {
  const idSrc = s.file.columns.customer_id!;
  const exprs: pl.Expr[] = [];
  for (const [i, src] of mappedTextSources(s).entries()) {
    // (a column of ASCII text holds neither: both are non-ASCII characters)
    const ascii = s.asciiOnly?.has(src) ?? false;
    exprs.push(
      (ascii ? pl.lit(false) : pl.col(src).str.contains("\ufeff", true)).alias(`__bom${i}`),
      pl.col(src).isNull().alias(`__null${i}`),
    );
    if (src === idSrc) {
      exprs.push((ascii ? pl.lit(false) : pl.col(src).str.contains(ZERO_WIDTH)).alias("__zw"));
    }
  }
  return exprs;
}

/**
 * The flags of the mapped text columns the second stage of the mapping pass keeps (those of
 * {@link rawTextFlags}, and blank: empty once trimmed, the removals made, which is what the
 * column holds when the pass removes nothing else), counted after the pass ({@link textInfo}).
 */
function textFlags(s: Source, columns: PassColumns): pl.Expr[] {
  const idSrc = s.file.columns.customer_id!;
  const exprs: pl.Expr[] = [];
  for (const [i, src] of mappedTextSources(s).entries()) {
    exprs.push(
      pl.col(`__bom${i}`),
      columns.of(src, src === idSrc).eq(pl.lit("")).alias(`__blank${i}`),
      pl.col(`__null${i}`),
    );
    if (src === idSrc) exprs.push(pl.col("__zw"));
  }
  return exprs;
}

/** The counts of the flags of {@link textFlags} in the mapped rows, and the flags' names. */
function textInfo(s: Source, mapped: pl.DataFrame): { info: TextInfo; flags: string[] } {
  const sources = mappedTextSources(s);
  const kinds = ["bom", "blank", "null"] as const;
  const flags = sources.flatMap((_, i) => kinds.map((k) => `__${k}${i}`));
  if (mapped.columns.includes("__zw")) flags.push("__zw");
  const row = flags.length ? mapped.select(...flags.map((f) => pl.col(f).sum())).row(0) : [];
  const count = (k: number) =>
    new Map(sources.map((src, i) => [src, Number(row[i * kinds.length + k] ?? 0)]));
  const zw = mapped.columns.includes("__zw") && Number(row[flags.length - 1] ?? 0) > 0;
  return {
    info: { boms: count(0), blanks: count(1), nulls: count(2), idZeroWidth: zw },
    flags,
  };
}

/** The mapped source columns that hold text, once each. */
function mappedTextSources(s: Source): string[] {
  return [...new Set(Object.values(s.file.columns) as string[])]
    .filter((src) => isText(dtypeOf(s, src)));
}

/**
 * A text column as read, the {@link Removals} made (stray byte-order marks, or for ids every
 * zero-width character), trimmed of Unicode spaces (unless `trim` is false: none to trim).
 */
function trimmedText(src: string, removals: Removals, id = false, trim = true): pl.Expr {
  let s = pl.col(src);
  if (id && removals.idZeroWidth) s = s.str.replaceAll(ZERO_WIDTH, "");
  else if (removals.boms.has(src)) s = s.str.replaceAll("\ufeff", "", true);
  return trim ? s.str.strip() : s;
}

/**
 * A row check of the mapping: the file fails when `bad` holds on some row, with `message` for
 * the first such row and its source value. Checks run inside the mapping's one pass over the
 * rows (no second parse), in the order they are listed.
 */
interface RowCheck {
  bad: pl.Expr;
  src: string;
  message: (row: number, value: string) => string;
}

/**
 * Casts a source column to a number type. Text is checked row by row ({@link RowCheck}, added to
 * `checks`): the first non-numeric value, or for integers the first fraction, fails the file.
 */
function numericColumn(
  s: Source,
  columns: PassColumns,
  key: MappableColumn,
  src: string,
  type: "int" | "float",
  checks: RowCheck[],
): pl.Expr {
  const file = s.file;
  const dt = dtypeOf(s, src);
  const target = type === "int" ? pl.Int64 : pl.Float64;
  if (isNumeric(dt)) {
    if (type === "int" && dt.variant !== "Int64") {
      const frac = notWhole(pl.col(src).cast(pl.Float64));
      const bad = firstBad(s.lf, frac, src);
      if (bad) {
        throw new InputError(
          file.name,
          `column ${excerpt(src)} (${key}), row ${bad.row}: expected a whole number, found ${
            excerpt(bad.value)
          }`,
        );
      }
    }
    return pl.col(src).cast(target);
  }
  if (!isText(dt)) {
    throw new InputError(
      file.name,
      `column ${excerpt(src)} (${key}): expected numbers, found type ${dt}`,
    );
  }
  const text = columns.cleaned(src);
  const parsed = columns.parsed(src);
  checks.push({
    bad: text.isNotNull().and(parsed.isNull().or(parsed.isNan()).or(parsed.isInfinite())),
    src,
    message: (row, value) =>
      `column ${excerpt(src)} (${key}), row ${row}: expected a number, found ${excerpt(value)}`,
  });
  if (type === "int") {
    checks.push({
      bad: notWhole(parsed).fillNull(false),
      src,
      message: (row, value) =>
        `column ${excerpt(src)} (${key}), row ${row}: expected a whole number, found ${
          excerpt(value)
        }`,
    });
  }
  return parsed.cast(target, false);
}

/**
 * A text column: cleaned ({@link PassColumns.cleaned}). Numbers are turned into text (17850.0 →
 * "17850"). Customer ids are normalised: zero-width characters removed, a zero fraction written
 * as integer text (`17850.0` → `17850`); scientific notation is rewritten after the mapping pass
 * ({@link scientificIds}).
 */
function textColumn(
  s: Source,
  columns: PassColumns,
  key: MappableColumn,
  src: string,
): pl.Expr {
  const file = s.file;
  const dt = dtypeOf(s, src);
  if (isText(dt)) {
    if (key !== "customer_id") return columns.cleaned(src);
    return columns.id(src);
  }
  if (isFloat(dt)) {
    const bad = firstBad(s.lf, notWhole(pl.col(src)), src);
    if (bad) {
      throw new InputError(
        file.name,
        `column ${excerpt(src)} (${key}), row ${bad.row}: expected an identifier, found ${
          excerpt(bad.value)
        }`,
      );
    }
    return pl.col(src).cast(pl.Int64).cast(pl.Utf8);
  }
  if (isInteger(dt)) return pl.col(src).cast(pl.Utf8);
  throw new InputError(
    file.name,
    `column ${excerpt(src)} (${key}): expected text, found type ${dt}`,
  );
}

/**
 * Customer ids in exact scientific notation (`1.785e4`) among the mapped ids, once per distinct
 * value, with their integer text (`17850`): the rewrite that mapping applies after its pass.
 */
function scientificIds(ids: pl.Series): { old: string[]; now: string[] } {
  const old: string[] = [];
  const now: string[] = [];
  const sci = ids.toFrame().select(
    pl.col(ids.name).filter(pl.col(ids.name).str.contains(SCIENTIFIC)),
  )
    .unique();
  for (const v of sci.getColumn(ids.name).toArray() as string[]) {
    const int = scientificToInteger(v);
    if (int !== null) {
      old.push(v);
      now.push(int);
    }
  }
  return { old, now };
}

/** The parsed timestamp of a column: wall-clock time as written, UTC, and whether it had its own zone. */
interface TimestampExprs {
  /** Wall-clock time in the value's own zone (naive µs). */
  local: pl.Expr;
  /** The instant (µs, UTC). */
  utc: pl.Expr;
  /** Whether the value carried its own offset, or the column its own time zone. */
  ownZone: pl.Expr;
}

/** Naive wall-clock time (µs) → UTC, from the dataset's `timezone` (IANA name or `±HH:MM`). */
function zonedToUtc(local: pl.Expr, timezone: string): pl.Expr {
  const fixed = fixedOffsetMinutes(timezone);
  if (fixed !== null) return shiftToUtc(local, pl.lit(fixed));
  // Ambiguous autumn hour: the earlier instant; a time inside the spring gap becomes null and is
  // dropped as bad_timestamp.
  return local.dt.replaceTimeZone(timezone, "earliest", "null").dt.convertTimeZone("UTC");
}

/** Naive wall-clock time (µs) at `minutes` east of UTC → UTC. */
function shiftToUtc(local: pl.Expr, minutes: pl.Expr): pl.Expr {
  return local.cast(pl.Int64).sub(minutes.cast(pl.Int64).mul(60_000_000))
    .cast(pl.Datetime("us")).dt.replaceTimeZone("UTC");
}

/** Minutes east of UTC of an offset text (`Z`, `±HH`, `±HHMM`, `±HH:MM`), null when out of range. */
function offsetMinutesExpr(offset: pl.Expr): pl.Expr {
  const digits = offset.str.replaceAll("[^0-9]", "");
  const hours = digits.str.slice(0, 2).cast(pl.Int64, false);
  const minutes = pl.when(digits.str.lengths().gt(2))
    .then(digits.str.slice(2, 2).cast(pl.Int64, false))
    .otherwise(pl.lit(0));
  const sign = pl.when(offset.str.startsWith("-")).then(pl.lit(-1)).otherwise(pl.lit(1));
  return pl.when(offset.eq(pl.lit("Z"))).then(pl.lit(0))
    .when(hours.ltEq(14).and(minutes.ltEq(59)))
    .then(sign.mul(hours.mul(60).add(minutes)))
    .otherwise(pl.lit(null));
}

/**
 * The timestamp expressions of `value`, the values of source column `src` (named in messages),
 * of type `dt`.
 */
function timestampColumn(
  value: pl.Expr,
  dt: pl.DataType,
  file: FileConfig,
  src: string,
  timezone: string,
): TimestampExprs {
  const none = pl.lit(false);
  if (dt.variant === "Date") {
    const local = value.cast(pl.Datetime("us"));
    return { local, utc: zonedToUtc(local, timezone), ownZone: none };
  }
  if (dt.variant === "Datetime") {
    const zone = (dt as unknown as { timeZone?: string | null }).timeZone;
    if (zone) {
      // A time-zone-aware column: the instant is known, the dataset's zone does not apply.
      const c = value.cast(pl.Datetime("us", zone));
      return {
        local: c.dt.replaceTimeZone("UTC").cast(pl.Datetime("us")),
        utc: c.dt.convertTimeZone("UTC"),
        ownZone: value.isNotNull(),
      };
    }
    const local = value.cast(pl.Datetime("us"));
    return { local, utc: zonedToUtc(local, timezone), ownZone: none };
  }
  let raw: pl.Expr;
  if (isText(dt)) raw = value;
  else if (isInteger(dt)) raw = value.cast(pl.Utf8);
  else {
    throw new InputError(
      file.name,
      `column ${excerpt(src)} (timestamp): expected dates or text, found type ${dt}`,
    );
  }
  const text = raw.str.replaceAll("\ufeff", "", true).str.strip();
  const fmt = prepareFormat(file.timestampFormat);
  let body = text;
  let offset: pl.Expr = pl.lit(null).cast(pl.Utf8);
  if (fmt.offsets) {
    offset = text.str.extract(OFFSET_SUFFIX, 2);
    body = pl.when(offset.isNotNull()).then(text.str.extract(OFFSET_SUFFIX, 1)).otherwise(text);
  }
  // The format must consume the whole value (polars alone would accept "10:00:00 PM" as 10:00).
  const whole = body.str.contains(fmt.pattern);
  const parsed = fmt.hasTime
    ? body.str.strptime(pl.Datetime("ms"), fmt.format).cast(pl.Datetime("us"))
    : body.str.strptime(pl.Date, fmt.format).cast(pl.Datetime("us"));
  const minutes = offsetMinutesExpr(offset);
  const local = pl.when(whole.and(offset.isNull().or(minutes.isNotNull())))
    .then(parsed).otherwise(pl.lit(null).cast(pl.Datetime("us")));
  const utc = pl.when(offset.isNotNull())
    .then(shiftToUtc(local, minutes))
    .otherwise(zonedToUtc(local, timezone));
  return { local, utc, ownZone: offset.isNotNull().and(local.isNotNull()) };
}

/** What mapping did to a file's values (part of the {@link IngestSummary}). */
export interface MappingStats {
  /** Values that were a null word (`nullWords`), per canonical column; they are missing now. */
  nullWords: Partial<Record<MappableColumn, number>>;
  /** Fields that held a stray byte-order mark (U+FEFF), removed. */
  strayBoms: number;
  /** Customer ids written differently than as read (trimmed, zero-width removed, numeric text). */
  customerIds: { normalised: number; distinct: number };
  /** Timestamps with their own offset (`+02:00`, `Z`) or from a time-zone-aware column. */
  timestampsWithOwnZone: number;
}

/**
 * Maps a source DataFrame onto the canonical schema (see `schema.ts`), in source row order, and
 * says what it did to the values ({@link MappingStats}). Columns the file does not map are null
 * (invoice becomes the synthetic key `customer|YYYY-MM-DD` when the source has no invoice
 * column). Rows quarantined while reading keep their reason in an extra column `ingest_reason`.
 *
 * @param df the source rows, as read by {@link readSource}
 * @param file the file's configuration (column mapping, timestamp format, null words)
 * @param options time zone and parse tolerance
 * @throws {InputError} naming the file, column and first bad row
 */
export function mapToCanonical(
  df: pl.DataFrame,
  file: FileConfig,
  options: CanonicalOptions = {},
): { canonical: pl.DataFrame; stats: MappingStats } {
  if (df.height === 0) throw new InputError(file.name, "file is empty (no data rows)");
  checkMappedColumns(df.columns, file);
  return mapSource({ lf: df.lazy(), schema: df.head(0), file }, options);
}

/** {@link mapToCanonical} without the statistics. */
export function toCanonical(
  df: pl.DataFrame,
  file: FileConfig,
  options: CanonicalOptions = {},
): pl.DataFrame {
  return mapToCanonical(df, file, options).canonical;
}

/** One mapping pass over the rows of a source (see {@link mapSource}). */
interface MappingPass {
  /**
   * The mapped columns, the row checks' flags, `__id_changed` and `__sci` (text ids), in source
   * order.
   */
  mapped: pl.DataFrame;
  checks: RowCheck[];
  /** The customer id as an expression over the source (before the scientific-notation rewrite). */
  id: pl.Expr;
  info: TextInfo;
}

/**
 * Materialises the canonical columns with the row checks and the flags of what the text columns
 * hold ({@link textFlags}), in one pass over the rows, so that the source's own table is never
 * held in memory beside them. The pass has three parts: the raw values' flags and each text
 * column trimmed, cleaned and parsed once ({@link PassColumns}); the mapped columns (description
 * and country as dictionary strings, a text timestamp as its dictionary key), checks and flags;
 * the columns derived from mapped ones (line value or unit price, ids in scientific notation).
 */
function mappingPass(s: Source, removals: Removals): MappingPass {
  const checks: RowCheck[] = [];
  const columns = new PassColumns(s, removals);
  const { exprs, id } = mappedColumns(s, columns, checks);
  const idSrc = s.file.columns.customer_id!;
  const idText = isText(dtypeOf(s, idSrc));
  // Customer ids that mapping writes differently than they were read.
  const idChanged = pl.col(idSrc).isNotNull().and(id.isNotNull()).and(pl.col(idSrc).neq(id));
  const second = [
    ...exprs,
    ...checks.map((c, i) => c.bad.alias(`__check${i}`)),
    ...(idText ? [idChanged.alias("__id_changed")] : []),
    ...textFlags(s, columns),
    pl.col("__order"),
  ];
  // In batches (the streaming engine): the source's strings are never all in memory at once.
  // The row index guards the order the rows come out in.
  const [trim, clean, parse] = columns.stages();
  let lf = s.lf.withRowIndex("__order").withColumns(...trim, ...rawTextFlags(s));
  if (clean.length) lf = lf.withColumns(...clean);
  if (parse.length) lf = lf.withColumns(...parse);
  let mapped = lf
    .select(...second)
    .withColumns(...derivedColumns(s.file, idText))
    .collectSync({ engine: "streaming" });
  if (mapped.height === 0) throw new InputError(s.file.name, "file is empty (no data rows)");
  const order = mapped.select(pl.col("__order").cast(pl.Int64).diff(1, "ignore").min()).row(0)[0];
  if (order !== null && Number(order) < 1) mapped = mapped.sort("__order");
  const text = textInfo(s, mapped);
  return {
    mapped: mapped.drop("__order", ...text.flags),
    checks,
    id: textColumn(s, new PassColumns(s, removals, true), "customer_id", idSrc),
    info: text.info,
  };
}

/**
 * Maps a source (lazy) onto the canonical schema: one pass over the rows
 * ({@link mappingPass}), or two when the first finds stray byte-order marks or zero-width
 * characters in ids (the second removes them), then the row checks, the customer ids in
 * scientific notation, and the timestamps (parsed once per distinct value).
 */
function mapSource(
  s: Source,
  options: CanonicalOptions,
): { canonical: pl.DataFrame; stats: MappingStats } {
  const file = s.file;
  let pass = mappingPass(s, { boms: new Set(), idZeroWidth: false });
  const boms = [...pass.info.boms].filter(([, n]) => n > 0).map(([src]) => src);
  if (boms.length || pass.info.idZeroWidth) {
    pass = mappingPass(s, { boms: new Set(boms), idZeroWidth: pass.info.idZeroWidth });
  }
  const { checks, id, info } = pass;
  let mapped = pass.mapped;
  const flags = checks.map((_, i) => `__check${i}`);
  const idSrc = file.columns.customer_id!;
  const idText = isText(dtypeOf(s, idSrc));
  if (flags.length) {
    const failed = mapped.select(...flags.map((f) => pl.col(f).any())).row(0);
    const i = failed.findIndex((x) => x === true);
    if (i >= 0) {
      const bad = firstBad(mapped.select(flags[i]).lazy(), pl.col(flags[i]), flags[i])!;
      const value = s.lf.select(pl.col(checks[i].src)).slice(bad.row - 1, 1).collectSync()
        .getColumn(checks[i].src).get(0);
      throw new InputError(file.name, checks[i].message(bad.row, String(value)));
    }
    mapped = mapped.drop(flags);
  }
  // The pass yields one chunk per batch; the columns added below are whole, and a frame of
  // unequal chunks is copied whole at its next change. Copy once, here, where it is smallest.
  mapped = mapped.rechunk();
  let ids = { normalised: 0, distinct: 0 };
  if (idText) {
    let changed = pl.col(idSrc).isNotNull().and(id.isNotNull()).and(pl.col(idSrc).neq(id));
    const anySci = mapped.select(pl.col("__sci").any()).row(0)[0] === true;
    const sci = anySci
      ? scientificIds(mapped.filter(pl.col("__sci")).getColumn("customer_id"))
      : { old: [], now: [] };
    if (sci.old.length) {
      // Scientific notation, exactly, once per distinct value: a rewritten id is normalised.
      const now = pl.col("customer_id").replace(sci.old, sci.now);
      mapped = mapped.withColumns(
        pl.col("__id_changed").or(pl.col("customer_id").neq(now).fillNull(false)),
        now.alias("customer_id"),
      );
      const final = id.replace(sci.old, sci.now);
      changed = pl.col(idSrc).isNotNull().and(final.isNotNull()).and(pl.col(idSrc).neq(final));
    }
    const normalised = Number(mapped.select(pl.col("__id_changed").sum()).row(0)[0] ?? 0);
    const distinct = normalised === 0 ? 0 : Number(
      s.lf.select(pl.col(idSrc).filter(changed).nUnique().alias("n")).collectSync()
        .getColumn("n").get(0),
    );
    ids = { normalised, distinct };
    mapped = mapped.drop("__id_changed", "__sci");
  }
  mapped = mapped.withColumns(pl.intRange(1, mapped.height + 1, 1, pl.Int64).alias("source_row"));
  const timed = withTimestamps(mapped, file, dtypeOf(s, file.columns.timestamp!), {
    timezone: options.timezone ?? "UTC",
    maxUnparsableShare: options.maxUnparsableShare ?? 0.01,
  });
  const stats = mappingStats(s, info, timed, ids);
  const reason = s.schema.columns.includes(INGEST_REASON) ? ["ingest_reason"] : [];
  return {
    canonical: withSyntheticColumns(timed, file).select(...CANONICAL_COLUMNS, ...reason),
    stats,
  };
}

/**
 * Counts of null words, stray byte-order marks, normalised ids and own-zone timestamps. A null
 * word is a value mapping made missing that was neither missing nor blank as read.
 */
function mappingStats(
  s: Source,
  info: TextInfo,
  timed: pl.DataFrame,
  customerIds: MappingStats["customerIds"],
): MappingStats {
  const nullWords: MappingStats["nullWords"] = {};
  for (const [key, src] of Object.entries(s.file.columns) as [MappableColumn, string][]) {
    if (!isText(dtypeOf(s, src))) continue;
    const missing = key === "timestamp"
      ? timed.height - Number(timed.select(pl.col("ts_present").sum()).row(0)[0] ?? 0)
      : timed.getColumn(key).nullCount();
    nullWords[key] = missing - (info.nulls.get(src) ?? 0) - (info.blanks.get(src) ?? 0);
  }
  const strayBoms = [...info.boms.values()].reduce((a, b) => a + b, 0);
  const own = Number(timed.select(pl.col("ts_own_zone").sum()).row(0)[0] ?? 0);
  return { nullWords, strayBoms, customerIds, timestampsWithOwnZone: own };
}

/** Throws when a mapped source column is missing, listing the columns the file has. */
function checkMappedColumns(columns: string[], file: FileConfig): void {
  const missing = missingColumn(file, columns.filter((c) => c !== INGEST_REASON));
  if (missing) throw missing;
}

/**
 * The mapped columns as typed expressions over the trimmed text and the source: text (description
 * and country as dictionary strings), quantity, prices, customer and the raw timestamp (`ts_key`,
 * parsed later; text as a dictionary string, one key per distinct value) with whether it is
 * present (`ts_present`, to tell a missing timestamp from an unparsable one).
 */
function mappedColumns(
  s: Source,
  columns: PassColumns,
  checks: RowCheck[],
): { exprs: pl.Expr[]; id: pl.Expr } {
  const file = s.file;
  const c = file.columns;
  const exprs: pl.Expr[] = [];
  const nullText = (name: string) => pl.lit(null).cast(pl.Utf8).alias(name);
  const dictionary: readonly string[] = DICTIONARY_COLUMNS;
  const text = (key: MappableColumn) => {
    const e = c[key] ? textColumn(s, columns, key, c[key]!).alias(key) : nullText(key);
    return dictionary.includes(key) ? e.cast(pl.Categorical).alias(key) : e;
  };
  const number = (key: MappableColumn, type: "int" | "float") =>
    numericColumn(s, columns, key, c[key]!, type, checks).alias(key);
  exprs.push(text("stock_code"), text("description"), number("quantity", "int"));
  const tsDtype = dtypeOf(s, c.timestamp!);
  const tsKey = pl.col(c.timestamp!);
  exprs.push((isText(tsDtype) ? tsKey.cast(pl.Categorical) : tsKey).alias("ts_key"));
  if (c.unit_price) exprs.push(number("unit_price", "float"));
  if (c.line_value) exprs.push(number("line_value", "float"));
  const id = textColumn(s, columns, "customer_id", c.customer_id!);
  exprs.push(id.alias("customer_id"), text("country"));
  if (c.invoice) exprs.push(text("invoice"));
  if (s.schema.columns.includes(INGEST_REASON)) {
    exprs.push(pl.col(INGEST_REASON).alias("ingest_reason"));
  }
  // Keep whether the raw timestamp is present, to tell "missing" from "unparsable".
  exprs.push(
    (isText(tsDtype) ? columns.cleaned(c.timestamp!).isNotNull() : pl.col(c.timestamp!).isNotNull())
      .alias("ts_present"),
  );
  return { exprs, id };
}

/**
 * Parses `ts_key` into `ts_local` (the wall-clock time as written) and `timestamp` (UTC), once
 * per distinct value, keeping source row order. Too many present but unparsable timestamps (more
 * than the tolerated share, or all of them) is an error naming the first bad row.
 *
 * @param out the mapped rows (`ts_key`: the raw value, `ts_present`, `source_row`)
 */
function withTimestamps(
  out: pl.DataFrame,
  file: FileConfig,
  dt: pl.DataType,
  options: Required<CanonicalOptions>,
): pl.DataFrame {
  const src = file.columns.timestamp!;
  // Timestamps repeat (one per invoice), so parse and convert each distinct value once. Text
  // keys are dictionary strings (see mappedColumns), parsed as the text they hold.
  const keys = out.select(pl.col("ts_key").unique());
  const dictionary = keys.getColumn("ts_key").dtype.variant === "Categorical";
  const key = dictionary ? pl.col("ts_key").cast(pl.Utf8) : pl.col("ts_key");
  const ts = timestampColumn(key, dt, file, src, options.timezone);
  const parsedKeys = keys.select(
    pl.col("ts_key"),
    ts.local.alias("ts_local"),
    ts.utc.alias("timestamp"),
    ts.ownZone.alias("ts_own_zone"),
  );
  // Only the key column is joined (in row order), so the rows are never copied whole.
  const joined = out.select("ts_key").join(parsedKeys, {
    on: "ts_key",
    how: "left",
    maintainOrder: "left",
  });
  const timed = out.withColumns(
    joined.getColumn("ts_local"),
    joined.getColumn("timestamp"),
    joined.getColumn("ts_own_zone"),
  );
  // Unparsable share check: present but not parsed.
  const badTs = pl.col("ts_local").isNull().and(pl.col("ts_present"));
  const [unparsable, parsedCount] = timed.select(
    badTs.sum().alias("bad"),
    pl.col("ts_local").isNotNull().sum().alias("parsed"),
  ).row(0).map(Number);
  if (
    unparsable > 0 &&
    (parsedCount === 0 || unparsable / timed.height > options.maxUnparsableShare)
  ) {
    const row = Number(
      timed.select("source_row", "ts_local", "ts_present").filter(badTs).row(0)[0],
    );
    const value = String(timed.select(key).getColumn("ts_key").get(row - 1));
    throw new InputError(
      file.name,
      `column ${excerpt(src)} (timestamp), row ${row}: ${excerpt(value)} does not match format ` +
        `${excerpt(file.timestampFormat)} (${unparsable} of ${timed.height} rows unparsable; the ` +
        "format must match the whole value)",
    );
  }
  return timed;
}

/**
 * The columns the mapping pass derives from the mapped ones: unit price from line value (or line
 * value from quantity × unit price), and with text ids (`idText`) whether an id is in scientific
 * notation (`__sci`, rewritten after the pass).
 */
function derivedColumns(file: FileConfig, idText: boolean): pl.Expr[] {
  const exprs = [
    file.columns.unit_price
      ? pl.col("quantity").cast(pl.Float64).mul(pl.col("unit_price")).alias("line_value")
      : pl.when(pl.col("quantity").neq(0)).then(
        pl.col("line_value").div(pl.col("quantity").cast(pl.Float64)),
      )
        .otherwise(pl.lit(null).cast(pl.Float64)).alias("unit_price"),
  ];
  if (idText) exprs.push(pl.col("customer_id").str.contains(SCIENTIFIC).alias("__sci"));
  return exprs;
}

/**
 * The columns made after the pass: the synthetic invoice `customer|YYYY-MM-DD` (the purchase day
 * as written in the source) when there is no invoice column, and the source file's name (a
 * dictionary string).
 */
function withSyntheticColumns(out: pl.DataFrame, file: FileConfig): pl.DataFrame {
  let df = out;
  if (!file.columns.invoice) {
    df = df.withColumns(
      pl.concatString([pl.col("customer_id"), pl.col("ts_local").dt.strftime("%Y-%m-%d")], "|")
        .alias("invoice"),
    );
  }
  // One of the DICTIONARY_COLUMNS.
  return df.withColumns(pl.lit(file.name).cast(pl.Categorical).alias("source_file"));
}

/** Canonical columns a file actually provides (the rest are null or synthetic). */
export function providedColumns(file: FileConfig): Set<MappableColumn> {
  return new Set(Object.keys(file.columns) as MappableColumn[]);
}

/**
 * How one file was read and mapped: every physical record accounted for
 * (`records = header + blankLines + rows`), the rows quarantined while reading, and what was
 * done to the values. Written to `cleaning.json` (`ingest`) and summarised in the build log.
 */
export interface IngestSummary extends ReadAccounting, MappingStats {
  file: string;
  /** Whether `records === header + blankLines + rows`. */
  accountedFor: boolean;
}

/** One source file read and mapped onto the canonical schema. */
export interface IngestedFile {
  /** The file's name (its `source_file` in the canonical rows). */
  name: string;
  /**
   * Data rows of the source as read, counted at read time before any mapping (blank lines not
   * counted, ragged and truncated rows counted): the independent count that cleaning must account
   * for (rows in = kept + dropped).
   */
  rowsRead: number;
  /** The canonical rows, in source order (plus `ingest_reason` when some row was quarantined). */
  canonical: pl.DataFrame;
  /** Canonical columns the file provides (see {@link providedColumns}). */
  provided: Set<MappableColumn>;
  /** How the file was read and mapped. */
  summary: IngestSummary;
}

/**
 * Reads a source file, counts its rows as read, and maps it onto the canonical schema.
 *
 * @param path file path
 * @param file its configuration
 * @param options time zone and parse tolerance (see {@link toCanonical})
 * @param ahead the file's pre-pass, made beforehand (`ahead.ts`; see `openSource`)
 * @throws {InputError} naming the file, column and first bad row
 */
export function ingestFile(
  path: string,
  file: FileConfig,
  options: CanonicalOptions = {},
  ahead?: TextScan,
): IngestedFile {
  const source = openSource(path, file, undefined, ahead);
  let canonical: pl.DataFrame;
  let stats: MappingStats;
  try {
    ({ canonical, stats } = mapSource(
      {
        lf: source.lazy,
        schema: source.schema,
        file,
        noEdgeSpace: source.noEdgeSpace,
        asciiOnly: source.asciiOnly,
      },
      options,
    ));
  } finally {
    source.close();
  }
  if (source.rowsRead !== null && canonical.height !== source.rowsRead) {
    throw new InputError(
      file.name,
      `the pre-pass counted ${source.rowsRead} readable rows but the CSV reader read ${canonical.height}`,
    );
  }
  const problems = source.problems;
  if (problems) {
    // The quarantined rows, empty but for their file, reason and (below) row number.
    const n = problems.count;
    const empty = pl.DataFrame(
      canonical.columns.map((c) =>
        pl.Series(c, new Array(n).fill(c === "source_file" ? file.name : null), pl.Utf8)
          .cast(canonical.getColumn(c).dtype)
      ),
    ).withColumns(pl.Series("ingest_reason", problemReasons(problems), pl.Utf8));
    canonical = interleaveProblems(
      canonical.withColumns(pl.lit(null).cast(pl.Utf8).alias("ingest_reason")),
      empty,
      problems,
    );
    canonical = canonical.withColumns(
      pl.intRange(1, canonical.height + 1, 1, pl.Int64).alias("source_row"),
    );
  }
  const rowsRead = canonical.height;
  const a = source.accounting;
  return {
    name: file.name,
    rowsRead,
    canonical,
    provided: providedColumns(file),
    summary: {
      file: file.name,
      ...a,
      ...stats,
      accountedFor: a.records === a.header + a.blankLines + a.rows && a.rows === rowsRead,
    },
  };
}

/**
 * The ingest summary in words, for the build log: rows, and only the counts that are not zero
 * (`4,100 rows; 3 blank lines skipped; 1 ragged row quarantined; 2 customer ids normalised`).
 */
export function describeIngest(s: IngestSummary): string {
  const n = (x: number) => x.toLocaleString("en-GB");
  const plural = (x: number, one: string, many: string) => `${n(x)} ${x === 1 ? one : many}`;
  const parts = [plural(s.rows, "row", "rows")];
  if (s.transcoded) parts.push(`decoded from ${s.encoding}`);
  if (s.blankLines) parts.push(`${plural(s.blankLines, "blank line", "blank lines")} skipped`);
  if (s.quarantined.ragged_row) {
    parts.push(`${plural(s.quarantined.ragged_row, "ragged row", "ragged rows")} quarantined`);
  }
  if (s.quarantined.truncated_line) {
    parts.push(
      `${plural(s.quarantined.truncated_line, "truncated line", "truncated lines")} quarantined`,
    );
  }
  const nulls = Object.values(s.nullWords).reduce((a, b) => a + (b ?? 0), 0);
  if (nulls) parts.push(`${plural(nulls, "null word", "null words")} read as missing`);
  if (s.strayBoms) {
    parts.push(`${plural(s.strayBoms, "stray byte-order mark", "stray byte-order marks")} removed`);
  }
  if (s.customerIds.normalised) {
    parts.push(
      `${plural(s.customerIds.normalised, "customer id", "customer ids")} normalised (${
        plural(s.customerIds.distinct, "distinct value", "distinct values")
      })`,
    );
  }
  if (s.timestampsWithOwnZone) {
    parts.push(
      `${plural(s.timestampsWithOwnZone, "timestamp", "timestamps")} with their own time zone`,
    );
  }
  return parts.join("; ");
}
