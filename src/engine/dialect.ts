/**
 * SQL dialects of the generated data-stage SQL (`sql.ts`): the few constructs that differ
 * between DuckDB, Spark SQL, BigQuery and Snowflake. Everything else the generator writes is a
 * portable subset: `WITH` common table expressions, `CASE`, `COALESCE`, `GREATEST`/`LEAST`,
 * `SUBSTR`, `LN`, `ROUND`, `FLOOR`, `CAST`, `UNION ALL`, `IN` lists, `COUNT(DISTINCT …)`, and
 * window functions (`ROW_NUMBER`, running `SUM`/`MIN` with `ROWS BETWEEN … AND …`, `LAG`). No
 * `QUALIFY` (Spark lacks it: a `ROW_NUMBER` column and an outer `WHERE` instead), no
 * `FILTER (WHERE …)` (BigQuery lacks it: `SUM(CASE …)`), no `ARG_MAX`/`MAX_BY`.
 *
 * Constructs that differ (one function per row in {@link Dialect}):
 *
 * | construct | DuckDB | Spark SQL | BigQuery | Snowflake |
 * | --- | --- | --- | --- | --- |
 * | read a file | `read_parquet('f', file_row_number = true)`, `read_csv('f', all_varchar = true)` | ``parquet.`f` `` / a table | a table (load first) | a table or `@stage` (load first) |
 * | file row number | `file_row_number` (Parquet), `ROW_NUMBER() OVER ()` (CSV, insertion order) | `monotonically_increasing_id()` (order only) | none: `ROW_NUMBER() OVER ()` (arbitrary) | `METADATA$FILE_ROW_NUMBER` (stage) |
 * | text type | `VARCHAR` | `STRING` | `STRING` | `VARCHAR` |
 * | trim given characters | `trim(s, chars)` | `trim(BOTH chars FROM s)` | `TRIM(s, chars)` | `TRIM(s, chars)` |
 * | regex search | `regexp_matches(s, p)` | `s RLIKE p` | `REGEXP_CONTAINS(s, p)` | `REGEXP_INSTR(s, p) > 0` (`REGEXP_LIKE` is a full match) |
 * | regex replace, all | `regexp_replace(s, p, r, 'g')` | `regexp_replace(s, p, r)` | `REGEXP_REPLACE(s, p, r)` | `REGEXP_REPLACE(s, p, r)` |
 * | group reference | `\1` | `$1` | `\1` | `\1` |
 * | cast or null | `TRY_CAST(x AS DOUBLE)` | `try_cast(x AS DOUBLE)` | `SAFE_CAST(x AS FLOAT64)` | `TRY_CAST(x AS DOUBLE)` (text only) |
 * | parse a timestamp | `try_strptime(s, '%Y-%m-%d %H:%M:%S')` | `to_timestamp(s, 'yyyy-MM-dd HH:mm:ss')` | `SAFE.PARSE_DATETIME('%Y-%m-%d %H:%M:%S', s)` | `TRY_TO_TIMESTAMP_NTZ(s, 'YYYY-MM-DD HH24:MI:SS')` |
 * | wall clock in a zone → UTC | `timezone('Europe/London', ts)` (ICU; plus a round trip for the autumn hour → earlier instant, spring gap → null, as in polars) | `to_utc_timestamp(ts, 'Europe/London')` | `TIMESTAMP(ts, 'Europe/London')` | `CONVERT_TIMEZONE('Europe/London', 'UTC', ts)` |
 * | timestamp → µs since 1970 | `epoch_us(ts)` | `unix_micros(ts)` | `UNIX_MICROS(ts)` | `DATE_PART(epoch_microsecond, ts)` |
 * | NaN test | `isnan(x)` | `isnan(x)` | `IS_NAN(x)` | `x = 'NaN'::FLOAT` |
 * | 64-bit hash of a row | `hash(a, b, …)` | `xxhash64(a, b, …)` | `FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(a, b, …)))` | `HASH(a, b, …)` |
 * | characters by code point | `chr(9) \|\| chr(10)` | `chr(9) \|\| chr(10)` | `CODE_POINTS_TO_STRING([9, 10])` | `CHR(9) \|\| CHR(10)` |
 * | exact median | `median(x)` | `percentile(x, 0.5)` | `PERCENTILE_CONT(x, 0.5) OVER ()` (analytic only) | `MEDIAN(x)` |
 * | integer type | `BIGINT` | `BIGINT` | `INT64` | `BIGINT` |
 * | timestamp without zone | `TIMESTAMP` | `TIMESTAMP_NTZ` | `DATETIME` | `TIMESTAMP_NTZ` |
 * | QUALIFY | yes | no | yes | yes |
 * | CTE computed once | `name AS MATERIALIZED (…)` | no (optimizer) | no (optimizer) | no (optimizer) |
 *
 * @module
 */

/** The dialects the generator writes. */
export const DIALECTS = ["duckdb", "spark", "bigquery", "snowflake"] as const;

/** A SQL dialect name. */
export type DialectName = typeof DIALECTS[number];

/** The constructs that differ between dialects, as SQL builders. */
export interface Dialect {
  name: DialectName;
  /** Text type. */
  text: string;
  /** 64-bit integer type. */
  bigint: string;
  /** Double type. */
  double: string;
  /** Timestamp without time zone. */
  naiveTimestamp: string;
  /** Trim the characters of `chars` (a SQL string literal) from both ends of `s`. */
  trimChars(s: string, chars: string): string;
  /**
   * `slow` (the full cleaning of text `s`), behind a cheap test that `s` needs none (pure ASCII,
   * no white space at either end), where the dialect has one; else `slow`.
   */
  unlessClean(s: string, slow: string): string;
  /** A 64-bit hash of the values `cols` (nulls included), to find candidate duplicates. */
  hash(cols: string[]): string;
  /** A string of the characters of `s` written by code point (no invisible characters in the SQL). */
  chars(s: string): string;
  /** Whether `t` is one of the SQL string literals `words` (non-empty). */
  isOneOf(t: string, words: string[]): string;
  /** Whether `s` contains a match of regex `p` (a SQL string literal). */
  regexSearch(s: string, p: string): string;
  /** Replace every match of `p` in `s` by `r` (group 1 written as {@link group1}). */
  regexReplaceAll(s: string, p: string, r: string): string;
  /** How group 1 is written in a replacement. */
  group1: string;
  /** `x` cast to `type`, or null when it cannot be. */
  tryCast(x: string, type: string): string;
  /** Text `s` parsed with strftime format `fmt` to a timestamp without zone, or null. */
  parseTimestamp(s: string, fmt: string): string;
  /** Naive wall-clock timestamp `ts` in zone `zone` → the UTC instant, as µs since 1970. */
  zonedToEpochUs(ts: string, zone: string): string;
  /** Naive timestamp `ts`, read as UTC, → µs since 1970. */
  naiveEpochUs(ts: string): string;
  /** Whether double `x` is NaN. */
  isNan(x: string): string;
  /** Exact median (linear interpolation between the two middle values) of `x` over a group. */
  median(x: string): string;
  /** Whether median is an aggregate (false: only an analytic `OVER ()` function, BigQuery). */
  medianIsAggregate: boolean;
  /** Keyword that makes a CTE computed once (`MATERIALIZED`), or "" when the dialect has none. */
  materialize: string;
}

/**
 * A SQL string literal (quotes doubled; backslashes doubled where the dialect escapes them).
 *
 * @example
 * ```ts
 * import { literal } from "./dialect.ts";
 * import { equal } from "node:assert/strict";
 * equal(literal("it's"), "'it''s'");
 * equal(literal("\\1", "bigquery"), "'\\\\1'");
 * ```
 */
export function literal(s: string, dialect: DialectName = "duckdb"): string {
  const escaped = dialect === "duckdb" ? s : s.replaceAll("\\", "\\\\");
  return `'${escaped.replaceAll("'", "''")}'`;
}

/** strftime → Java (Spark) and Snowflake format directives, for the formats the SQL supports. */
const FORMAT_MAP: Record<string, { java: string; snowflake: string }> = {
  Y: { java: "yyyy", snowflake: "YYYY" },
  y: { java: "yy", snowflake: "YY" },
  m: { java: "M", snowflake: "MM" },
  d: { java: "d", snowflake: "DD" },
  H: { java: "H", snowflake: "HH24" },
  I: { java: "h", snowflake: "HH12" },
  M: { java: "m", snowflake: "MI" },
  S: { java: "s", snowflake: "SS" },
  p: { java: "a", snowflake: "AM" },
  b: { java: "MMM", snowflake: "MON" },
};

/**
 * A strftime format in Java (`to_timestamp`) or Snowflake notation.
 *
 * @example
 * ```ts
 * import { translateFormat } from "./dialect.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(translateFormat("%Y-%m-%d %H:%M:%S", "java"), "yyyy-M-d H:m:s");
 * equal(translateFormat("%d/%m/%Y %H:%M", "snowflake"), "DD/MM/YYYY HH24:MI");
 * throws(() => translateFormat("%j", "java"), /%j/);
 * ```
 * @throws {Error} naming a directive it cannot translate
 */
export function translateFormat(fmt: string, to: "java" | "snowflake"): string {
  let out = "";
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== "%") {
      out += to === "java" && /[A-Za-z]/.test(c) ? `'${c}'` : c;
      continue;
    }
    const d = fmt[++i];
    const m = FORMAT_MAP[d];
    if (!m) {
      throw new Error(
        `timestamp format ${fmt}: directive %${d} has no ${to} equivalent in the generated SQL`,
      );
    }
    out += m[to];
  }
  return out;
}

const DUCKDB: Dialect = {
  name: "duckdb",
  text: "VARCHAR",
  bigint: "BIGINT",
  double: "DOUBLE",
  naiveTimestamp: "TIMESTAMP",
  trimChars: (s, chars) => `trim(${s}, ${chars})`,
  chars: (s) => `(${[...s].map((ch) => `chr(${ch.codePointAt(0)})`).join(" || ")})`,
  hash: (cols) => `hash(${cols.join(", ")})`,
  // trim() with the full character set costs about 2 µs a value; most values are ASCII (byte
  // length = character length), whose only white space is the ASCII one (and no BOM or
  // zero-width mark), mostly with clean ends. (`right(s, 1)`, not `s[-1:]`: the slice is slow.)
  unlessClean: (s, slow) =>
    `CASE WHEN strlen(${s}) = length(${s}) THEN CASE WHEN ord(${s}) BETWEEN 33 AND 126 AND ord(right(${s}, 1)) BETWEEN 33 AND 126 THEN ${s} ELSE trim(${s}, (chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(32))) END ELSE ${slow} END`,
  isOneOf: (t, words) => `list_contains([${words.join(", ")}], ${t})`,
  regexSearch: (s, p) => `regexp_matches(${s}, ${p})`,
  regexReplaceAll: (s, p, r) => `regexp_replace(${s}, ${p}, ${r}, 'g')`,
  group1: "\\1",
  tryCast: (x, type) => `TRY_CAST(${x} AS ${type})`,
  parseTimestamp: (s, fmt) => `try_strptime(${s}, ${literal(fmt)})`,
  // ICU takes the later instant of an ambiguous autumn hour and shifts a time in the spring gap
  // forward; the polars path takes the earlier instant and makes the gap null (bad_timestamp).
  zonedToEpochUs: (ts, zone) => {
    const z = literal(zone);
    const u = `epoch_us(timezone(${z}, ${ts}))`;
    return `CASE WHEN timezone(${z}, timezone(${z}, ${ts})) <> ${ts} THEN NULL ` +
      `WHEN timezone(${z}, timezone('UTC', make_timestamp(${u} - 3600000000))) = ${ts} ` +
      `THEN ${u} - 3600000000 ELSE ${u} END`;
  },
  naiveEpochUs: (ts) => `epoch_us(${ts})`,
  isNan: (x) => `isnan(${x})`,
  median: (x) => `median(${x})`,
  medianIsAggregate: true,
  materialize: "MATERIALIZED",
};

const SPARK: Dialect = {
  name: "spark",
  text: "STRING",
  bigint: "BIGINT",
  double: "DOUBLE",
  naiveTimestamp: "TIMESTAMP_NTZ",
  trimChars: (s, chars) => `trim(BOTH ${chars} FROM ${s})`,
  chars: (s) => `(${[...s].map((ch) => `chr(${ch.codePointAt(0)})`).join(" || ")})`,
  hash: (cols) => `xxhash64(${cols.join(", ")})`,
  unlessClean: (_s, slow) => slow,
  isOneOf: (t, words) => `${t} IN (${words.join(", ")})`,
  regexSearch: (s, p) => `(${s} RLIKE ${p})`,
  regexReplaceAll: (s, p, r) => `regexp_replace(${s}, ${p}, ${r})`,
  group1: "$1",
  tryCast: (x, type) => `try_cast(${x} AS ${type})`,
  parseTimestamp: (s, fmt) =>
    `to_timestamp(${s}, ${literal(translateFormat(fmt, "java"), "spark")})`,
  zonedToEpochUs: (ts, zone) => `unix_micros(to_utc_timestamp(${ts}, ${literal(zone, "spark")}))`,
  naiveEpochUs: (ts) => `unix_micros(${ts})`,
  isNan: (x) => `isnan(${x})`,
  median: (x) => `percentile(${x}, 0.5)`,
  medianIsAggregate: true,
  materialize: "",
};

const BIGQUERY: Dialect = {
  name: "bigquery",
  text: "STRING",
  bigint: "INT64",
  double: "FLOAT64",
  naiveTimestamp: "DATETIME",
  trimChars: (s, chars) => `TRIM(${s}, ${chars})`,
  chars: (s) => `CODE_POINTS_TO_STRING([${[...s].map((ch) => ch.codePointAt(0)).join(", ")}])`,
  hash: (cols) => `FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(${cols.join(", ")})))`,
  unlessClean: (_s, slow) => slow,
  isOneOf: (t, words) => `${t} IN (${words.join(", ")})`,
  regexSearch: (s, p) => `REGEXP_CONTAINS(${s}, ${p})`,
  regexReplaceAll: (s, p, r) => `REGEXP_REPLACE(${s}, ${p}, ${r})`,
  group1: "\\1",
  tryCast: (x, type) => `SAFE_CAST(${x} AS ${type})`,
  parseTimestamp: (s, fmt) => `SAFE.PARSE_DATETIME(${literal(fmt, "bigquery")}, ${s})`,
  zonedToEpochUs: (ts, zone) => `UNIX_MICROS(TIMESTAMP(${ts}, ${literal(zone, "bigquery")}))`,
  naiveEpochUs: (ts) => `UNIX_MICROS(TIMESTAMP(${ts}, 'UTC'))`,
  isNan: (x) => `IS_NAN(${x})`,
  median: (x) => `PERCENTILE_CONT(${x}, 0.5) OVER ()`,
  medianIsAggregate: false,
  materialize: "",
};

const SNOWFLAKE: Dialect = {
  name: "snowflake",
  text: "VARCHAR",
  bigint: "BIGINT",
  double: "DOUBLE",
  naiveTimestamp: "TIMESTAMP_NTZ",
  trimChars: (s, chars) => `TRIM(${s}, ${chars})`,
  chars: (s) => `(${[...s].map((ch) => `CHR(${ch.codePointAt(0)})`).join(" || ")})`,
  hash: (cols) => `HASH(${cols.join(", ")})`,
  unlessClean: (_s, slow) => slow,
  isOneOf: (t, words) => `${t} IN (${words.join(", ")})`,
  regexSearch: (s, p) => `(REGEXP_INSTR(${s}, ${p}) > 0)`,
  regexReplaceAll: (s, p, r) => `REGEXP_REPLACE(${s}, ${p}, ${r})`,
  group1: "\\1",
  tryCast: (x, type) => `TRY_CAST(${x} AS ${type})`,
  parseTimestamp: (s, fmt) =>
    `TRY_TO_TIMESTAMP_NTZ(${s}, ${literal(translateFormat(fmt, "snowflake"), "snowflake")})`,
  zonedToEpochUs: (ts, zone) =>
    `DATE_PART(epoch_microsecond, CONVERT_TIMEZONE(${literal(zone, "snowflake")}, 'UTC', ${ts}))`,
  naiveEpochUs: (ts) => `DATE_PART(epoch_microsecond, ${ts})`,
  isNan: (x) => `(${x} = 'NaN'::FLOAT)`,
  median: (x) => `MEDIAN(${x})`,
  medianIsAggregate: true,
  materialize: "",
};

/**
 * The dialect named `name`.
 *
 * @example
 * ```ts
 * import { dialect } from "./dialect.ts";
 * import { equal, throws } from "node:assert/strict";
 * equal(dialect("bigquery").tryCast("x", "FLOAT64"), "SAFE_CAST(x AS FLOAT64)");
 * throws(() => dialect("mysql"), /mysql.*duckdb, spark, bigquery, snowflake/);
 * ```
 * @throws {Error} for an unknown name, listing the known ones
 */
export function dialect(name: string): Dialect {
  const d = { duckdb: DUCKDB, spark: SPARK, bigquery: BIGQUERY, snowflake: SNOWFLAKE }[name];
  if (!d) throw new Error(`unknown SQL dialect "${name}" (known: ${DIALECTS.join(", ")})`);
  return d;
}
