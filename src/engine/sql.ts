/**
 * The data stage as SQL: the statements that turn raw source lines into cleaned lines with their
 * quarantine reason (`rfm_lines`) and one row per customer (`rfm_customers`), generated from the
 * same configuration and rule table the polars path uses — the rule order and which rules run
 * come from `planRules` (`clean/rules.ts`), the cancellation and adjustment definitions from
 * `lineRuleText`'s configuration (`cleaning.cancellation` …), the duplicate columns from
 * `CONTENT_COLUMNS`, the timestamp pattern from `ingest/timestamps.ts`, the id normalisation
 * from `ingest/ids.ts`. A rule of `RULES` with no SQL form here makes generation fail (see
 * {@link SQL_UNSUPPORTED}), so the two engines cannot drift silently.
 *
 * What the SQL cannot express (the polars path does it; the DuckDB runner checks for it and
 * stops with a clear error rather than differ, see `duckdb.ts`):
 * - `ragged_row`, `truncated_line`: found by the polars path's byte-level pre-pass of text files;
 *   SQL engines read CSV strictly (a malformed line is a read error). Parquet has neither.
 * - customer ids in scientific notation (`1.2345e4` → `12345`): exact digit arithmetic on text.
 * - timestamps carrying their own offset (`+02:00`, `Z`) in a text column.
 * - `whitespace` files (a run of blanks as the delimiter).
 * - the row checks that reject a file (a non-numeric quantity, a fractional id …): SQL yields
 *   null; the runner runs the checks as separate queries.
 *
 * Per-dialect differences are listed in `dialect.ts`. All time arithmetic is on integers (µs and
 * days since 1970, UTC), which every dialect has.
 *
 * @module
 */
import type { DatasetConfig, FileConfig, LineRule, MappableColumn } from "../config/dataset.ts";
import { CONTENT_COLUMNS, planRules, type RuleInfo, RULES } from "../clean/rules.ts";
import { ZERO_FRACTION, ZERO_WIDTH } from "../ingest/ids.ts";
import { fixedOffsetMinutes, prepareFormat } from "../ingest/timestamps.ts";
import { providedColumns } from "../ingest/ingest.ts";
import { DAY_US, isoDay } from "../lib/time.ts";
import { type Dialect, dialect as dialectOf, type DialectName, literal } from "./dialect.ts";
import { CUSTOMER_METRIC_COLUMNS } from "../rfm/rfm.ts";

/** Unicode white space, as polars (Rust `char::is_whitespace`) trims it. */
const WHITE_SPACE =
  "\t\n\u000b\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

/** Scale factor of the MAD (as in `clean/outliers.ts`). */
const MAD_SCALE = 1.4826;

/** One source file for the SQL: its configuration, where it is, and its column types if known. */
export interface SqlSource {
  file: FileConfig;
  /** Path of the file (DuckDB reads it); other dialects read a table named by {@link tableName}. */
  path: string;
  /** Source column → SQL type as the engine reads it (`VARCHAR`, `BIGINT`, `DOUBLE` …), if known. */
  types?: Record<string, string>;
}

/** Options of {@link dataStageSql}. */
export interface SqlOptions {
  /** Dialect (default `duckdb`). */
  dialect?: DialectName;
  /** Build time (ms since 1970), for the default `cleaning.timestamps.notAfter` (default now). */
  now?: number;
}

/**
 * Rules of `RULES` that the SQL cannot express, and why. They never fire on Parquet; on a text
 * file with such a line the SQL reader fails (the DuckDB runner names the file), so counts can
 * only differ by a failed run, never silently.
 */
export const SQL_UNSUPPORTED: Readonly<Record<string, string>> = {
  ragged_row: "found by the polars byte-level pre-pass of text files; SQL readers fail instead",
  truncated_line: "found by the polars byte-level pre-pass of text files; SQL readers fail instead",
};

/** The generated statements (run in order) and the tables they make. */
export interface DataStageSql {
  dialect: DialectName;
  /**
   * `CREATE TABLE rfm_lines AS …`, `CREATE TABLE rfm_customers AS …`; `query` is the SELECT of
   * the statement alone (a runner may write it elsewhere, e.g. `COPY (query) TO` a file).
   */
  statements: { table: "rfm_lines" | "rfm_customers"; sql: string; query: string }[];
  /** The rule plan the SQL follows (as `planRules` gives it). */
  rules: RuleInfo[];
  /** The whole script, with a header comment. */
  script: string;
}

/**
 * The table a non-DuckDB dialect reads a source file from (`src_` + the name, sanitised).
 *
 * @example
 * ```ts
 * import { tableName } from "./sql.ts";
 * import { equal } from "node:assert/strict";
 * const file = { name: "online_retail_II_2009-2010.parquet" } as Parameters<typeof tableName>[0];
 * equal(tableName(file), "src_online_retail_ii_2009_2010");
 * ```
 */
export function tableName(file: FileConfig): string {
  return "src_" + file.name.replace(/\.[A-Za-z0-9]+$/, "").replace(/[^A-Za-z0-9]+/g, "_")
    .toLowerCase();
}

/** A quoted identifier (`"Customer ID"`; backquotes in Spark and BigQuery). */
function ident(name: string, d: Dialect): string {
  return d.name === "spark" || d.name === "bigquery"
    ? "`" + name.replaceAll("`", "``") + "`"
    : `"${name.replaceAll('"', '""')}"`;
}

function isTextType(t: string | undefined): boolean {
  return t === undefined || /^(VARCHAR|STRING|TEXT)/i.test(t);
}

function isIntType(t: string | undefined): boolean {
  return t !== undefined && /^(U?(BIG|SMALL|TINY|HUGE)?INT(EGER)?|INT64|LONG)/i.test(t);
}

function isFloatType(t: string | undefined): boolean {
  return t !== undefined && /^(DOUBLE|FLOAT|REAL|DECIMAL|NUMERIC)/i.test(t);
}

/**
 * The relation a file is read from (in DuckDB, the file itself; elsewhere its table), and its
 * 1-based row number expression. The generated SQL and DuckDB's input checks both read through it.
 *
 * @example
 * ```ts
 * import { sourceRelation } from "./sql.ts";
 * import { dialect } from "./dialect.ts";
 * import { match } from "node:assert/strict";
 * const file = { name: "a.parquet", format: "parquet" } as Parameters<typeof sourceRelation>[0]["file"];
 * match(sourceRelation({ file, path: "/d/a.parquet" }, dialect("duckdb")).from, /^read_parquet\('\/d\/a\.parquet'/);
 * ```
 */
export function sourceRelation(s: SqlSource, d: Dialect): { from: string; row: string } {
  const f = s.file;
  if (f.format === "whitespace") {
    throw new Error(
      `${f.name}: format "whitespace" cannot be read by the generated SQL (a run of blanks as the delimiter); convert it to CSV or Parquet`,
    );
  }
  if (d.name !== "duckdb") {
    return { from: tableName(f), row: "ROW_NUMBER() OVER (ORDER BY 1)" };
  }
  const path = literal(s.path);
  if (f.format === "parquet") {
    return {
      from: `read_parquet(${path}, file_row_number = true)`,
      row: "file_row_number + 1",
    };
  }
  const opts = [
    "all_varchar = true",
    `header = ${f.header}`,
    `delim = ${literal(f.format === "tsv" ? "\t" : ",")}`,
    "quote = '\"'",
    "escape = '\"'",
    "strict_mode = true",
    "null_padding = false",
  ];
  if (f.encoding !== "utf-8") {
    opts.push(`encoding = ${literal(f.encoding === "utf-16" ? "utf-16" : "latin-1")}`);
  }
  const names = f.fields;
  if (names) opts.push(`names = [${names.map((n) => literal(n)).join(", ")}]`);
  if (!f.header && !names) {
    throw new Error(`${f.name}: a header-less file needs "fields" for the generated SQL`);
  }
  return {
    from: `read_csv(${path}, ${opts.join(", ")})`,
    row: "ROW_NUMBER() OVER ()",
  };
}

/** A text source column cleaned as ingest cleans it (BOM or zero-width removed, trimmed). */
function trimmed(src: string, type: string | undefined, d: Dialect, id: boolean): string {
  const raw = isTextType(type) ? src : `CAST(${src} AS ${d.text})`;
  const s = id
    ? d.regexReplaceAll(raw, `('[' || ${d.chars(ZERO_WIDTH.slice(1, -1))} || ']')`, "''")
    : `REPLACE(${raw}, ${d.chars("\ufeff")}, '')`;
  return d.unlessClean(raw, d.trimChars(s, d.chars(WHITE_SPACE)));
}

/** `t` (trimmed text) as null when empty or a null word. */
function nullWords(t: string, words: readonly string[], d: Dialect): string {
  const list = words.length ? ` OR ${d.isOneOf(t, words.map((w) => literal(w, d.name)))}` : "";
  return `CASE WHEN ${t} = ''${list} THEN NULL ELSE ${t} END`;
}

/**
 * The SELECT of one source file onto the canonical columns (layers: trimmed text, typed,
 * derived), with `file_idx`, `source_row` and `ts_key` (the timestamp as text); `keys` counts the
 * lines per distinct `ts_key` (reading only that column), `parse` turns `ts_key` into the naive
 * wall-clock timestamp.
 */
function sourceSelect(
  s: SqlSource,
  index: number,
  d: Dialect,
): { select: string; keys: string; parse: string; syntheticInvoice: boolean } {
  const f = s.file;
  const c = f.columns;
  const t = (col: string) => s.types?.[col];
  const { from, row } = sourceRelation(s, d);
  // Layer 1: raw → trimmed text (or typed, for typed columns).
  const l1: string[] = [
    `${index} AS file_idx`,
    `${row} AS source_row`,
  ];
  const textCols: MappableColumn[] = ["invoice", "stock_code", "description", "country"];
  for (const k of textCols) {
    if (c[k]) l1.push(`${trimmed(ident(c[k]!, d), t(c[k]!), d, false)} AS t_${k}`);
  }
  const idSrc = c.customer_id!;
  const idType = t(idSrc);
  if (isIntType(idType)) l1.push(`CAST(${ident(idSrc, d)} AS ${d.text}) AS t_customer_id`);
  else if (isFloatType(idType)) {
    l1.push(`CAST(CAST(${ident(idSrc, d)} AS ${d.bigint}) AS ${d.text}) AS t_customer_id`);
  } else l1.push(`${trimmed(ident(idSrc, d), idType, d, true)} AS t_customer_id`);
  for (const k of ["quantity", "unit_price", "line_value"] as const) {
    if (!c[k]) continue;
    const ty = t(c[k]!);
    l1.push(
      isIntType(ty) || isFloatType(ty)
        ? `${ident(c[k]!, d)} AS n_${k}`
        : `${trimmed(ident(c[k]!, d), ty, d, false)} AS t_${k}`,
    );
  }
  const tsSrc = c.timestamp!;
  const tsType = t(tsSrc);
  const tsTyped = tsType !== undefined && /^(TIMESTAMP|DATE|DATETIME)/i.test(tsType);
  const tsRaw = ident(tsSrc, d);
  const tsKey = tsTyped ? `CAST(${tsRaw} AS ${d.text})` : trimmed(tsRaw, tsType, d, false);
  l1.push(`${tsKey} AS ts_key`);
  const keys =
    `SELECT ${index} AS file_idx, ${tsKey} AS ts_key, COUNT(*) AS n FROM ${from} GROUP BY ${tsKey}`;

  // Layer 2: null words, numbers, ids, timestamps.
  const words = f.nullWords;
  const text = (k: MappableColumn) =>
    c[k] ? nullWords(`t_${k}`, words, d) : `CAST(NULL AS ${d.text})`;
  const num = (k: "quantity" | "unit_price" | "line_value", type: string) => {
    const ty = t(c[k]!);
    if (isIntType(ty) || isFloatType(ty)) return `CAST(n_${k} AS ${type})`;
    const parsed = d.tryCast(nullWords(`t_${k}`, words, d), d.double);
    return type === d.double ? parsed : `CAST(${parsed} AS ${type})`;
  };
  const id = isIntType(idType) || isFloatType(idType) ? "t_customer_id" : d.regexReplaceAll(
    nullWords("t_customer_id", words, d),
    literal(ZERO_FRACTION, d.name),
    literal(d.group1, d.name),
  );
  let parse: string;
  if (tsTyped) {
    if (/WITH TIME ZONE|TIMESTAMPTZ/i.test(tsType!)) {
      throw new Error(
        `${f.name}: a time-zone-aware timestamp column is not supported by the generated SQL`,
      );
    }
    parse = `CAST(ts_key AS ${d.naiveTimestamp})`;
  } else {
    const fmt = prepareFormat(f.timestampFormat);
    parse = `CASE WHEN ${d.regexSearch("ts_key", literal(fmt.pattern, d.name))} THEN ${
      d.parseTimestamp("ts_key", fmt.format)
    } END`;
  }
  const l2: string[] = [
    "file_idx",
    "source_row",
    `${text("invoice")} AS invoice`,
    `${text("stock_code")} AS stock_code`,
    `${text("description")} AS description`,
    `${num("quantity", d.bigint)} AS quantity`,
    "ts_key",
    c.unit_price
      ? `${num("unit_price", d.double)} AS unit_price`
      : `CAST(NULL AS ${d.double}) AS unit_price`,
    c.line_value
      ? `${num("line_value", d.double)} AS line_value`
      : `CAST(NULL AS ${d.double}) AS line_value`,
    `${id} AS customer_id`,
    `${text("country")} AS country`,
  ];
  // Layer 3: derived columns (the timestamp is parsed once per distinct value, in linesSql).
  const l3: string[] = [
    "file_idx",
    "source_row",
    "invoice",
    "stock_code",
    "description",
    "quantity",
    "ts_key",
    c.unit_price
      ? "unit_price"
      : `CASE WHEN quantity <> 0 THEN line_value / CAST(quantity AS ${d.double}) END AS unit_price`,
    c.unit_price ? `CAST(quantity AS ${d.double}) * unit_price AS line_value` : "line_value",
    "customer_id",
    "country",
  ];
  const select = `SELECT ${l3.join(", ")}\n  FROM (SELECT ${
    l2.join(",\n      ")
  }\n    FROM (SELECT ${l1.join(",\n        ")}\n      FROM ${from}) raw_${index}) typed_${index}`;
  return { select, keys, parse, syntheticInvoice: !c.invoice };
}

/** The UTC instant (µs since 1970) of naive wall-clock `ts` in the dataset's time zone. */
function utcExpr(ts: string, ds: DatasetConfig, d: Dialect): string {
  const fixed = fixedOffsetMinutes(ds.timezone);
  return ds.timezone === "UTC"
    ? d.naiveEpochUs(ts)
    : fixed !== null
    ? `${d.naiveEpochUs(ts)} - ${fixed * 60_000_000}`
    : d.zonedToEpochUs(ts, ds.timezone);
}

/** The condition of a line definition (`cleaning.cancellation` …) in SQL, or null when off. */
function lineRuleSql(r: LineRule, d: Dialect): string | null {
  switch (r.rule) {
    case "prefix":
      return `SUBSTR(invoice, 1, ${[...r.prefix!].length}) = ${literal(r.prefix!, d.name)}`;
    case "pattern":
      return d.regexSearch("invoice", literal(r.pattern!, d.name));
    case "negative-quantity":
      return "quantity < 0";
    case "off":
      return null;
  }
}

/**
 * The line columns carried through the CTEs, in order (the file as its index; its name is added
 * at the end). `description` is carried too: it is part of a line's content (rule duplicate) and
 * of the output, and joining it back on at the end cost more than carrying it.
 */
const LINE_COLUMNS = [
  "file_idx",
  "source_row",
  "invoice",
  "stock_code",
  "description",
  "quantity",
  "ts_us",
  "unit_price",
  "line_value",
  "customer_id",
  "country",
];

/** Columns of CONTENT_COLUMNS as the SQL names them (timestamp → ts_us). */
function contentColumns(): string[] {
  return CONTENT_COLUMNS.map((c) => (c === "timestamp" ? "ts_us" : c));
}

/**
 * The SQL condition of each row-level rule (rules up to `duplicate`), by code; the CASE takes
 * them in the order of `RULES`.
 */
function rowRuleConditions(
  ds: DatasetConfig,
  d: Dialect,
): Record<string, string | null> {
  const cfg = ds.cleaning;
  const nonProduct = [
    "stock_code IS NULL",
    ...(cfg.nonProductCodes.length
      ? [`stock_code IN (${cfg.nonProductCodes.map((c) => literal(c, d.name)).join(", ")})`]
      : []),
    ...(cfg.nonProductPatterns.length
      ? [d.regexSearch("stock_code", literal(cfg.nonProductPatterns.join("|"), d.name))]
      : []),
  ].join(" OR ");
  return {
    bad_timestamp: "ts_us IS NULL",
    future_timestamp: "ts_us >= lim.future_us",
    implausible_timestamp: cfg.timestamps.bulkMargin === null
      ? null
      : "(ts_us < lim.low_us OR ts_us > lim.high_us)",
    missing_customer: "customer_id IS NULL",
    cancellation: lineRuleSql(cfg.cancellation, d),
    bad_debt_adjustment: lineRuleSql(cfg.adjustment, d),
    non_product: nonProduct,
    non_positive_quantity: "quantity IS NULL OR quantity <= 0",
    non_positive_price: `unit_price IS NULL OR unit_price <= 0 OR ${d.isNan("unit_price")}`,
    duplicate: "dup_rank > 1",
  };
}

/** The rules applied after the row-level CASE, in `RULES` order. */
const SET_RULES = ["cancelled_order", "extreme_value"];

/** The rule plan for `sources` (`planRules`, as the polars cleaning makes it). */
function sqlPlan(ds: DatasetConfig, sources: SqlSource[]): RuleInfo[] {
  const provided: Record<string, Set<MappableColumn>> = {};
  for (const s of sources) provided[s.file.name] = providedColumns(s.file);
  return planRules(ds.cleaning, provided);
}

/** Median CTE body of `x` over `from`, as one row `(med)`. */
function medianSelect(x: string, from: string, d: Dialect, alias: string): string {
  return d.medianIsAggregate
    ? `SELECT ${d.median(x)} AS ${alias} FROM ${from}`
    : `SELECT DISTINCT ${d.median(x)} AS ${alias} FROM ${from}`;
}

/**
 * The `rfm_lines` query: every source line, canonical columns, `ts_us` and `reason` (null when
 * kept), in the order and under the rule plan of the polars cleaning.
 */
function linesSql(
  ds: DatasetConfig,
  sources: SqlSource[],
  rules: RuleInfo[],
  d: Dialect,
  now: number,
): string {
  const cfg = ds.cleaning;
  const on = (code: string) => rules.find((r) => r.code === code)!.applied;
  const ctes: [string, string][] = [];
  const selects = sources.map((s, i) => sourceSelect(s, i, d));
  // Timestamps repeat (one per invoice): parse and convert each distinct value once, from a
  // scan of the timestamp column alone; the line counts per value give the percentiles.
  const parse = selects.length === 1
    ? selects[0].parse
    : `CASE file_idx ${selects.map((s, i) => `WHEN ${i} THEN ${s.parse}`).join(" ")} END`;
  ctes.push([
    "ts_parsed",
    `SELECT file_idx, ts_key, n, ts_local, ${
      utcExpr("ts_local", ds, d)
    } AS ts_us FROM (SELECT file_idx, ts_key, n, ${parse} AS ts_local FROM (${
      selects.map((s) => s.keys).join(" UNION ALL ")
    }) k WHERE ts_key IS NOT NULL) p`,
  ]);
  const synthetic = selects.flatMap((s, i) => (s.syntheticInvoice ? [i] : []));
  const invoice = synthetic.length
    ? `CASE WHEN c.file_idx IN (${
      synthetic.join(", ")
    }) THEN c.customer_id || '|' || CAST(CAST(z.ts_local AS DATE) AS ${d.text}) ELSE c.invoice END`
    : "c.invoice";
  ctes.push([
    "canon",
    `SELECT c.file_idx, c.source_row, ${invoice} AS invoice, c.stock_code, c.description, c.quantity, z.ts_us, c.unit_price, c.line_value, c.customer_id, c.country FROM (${
      selects.map((s) => s.select).join("\n  UNION ALL\n  ")
    }) c LEFT JOIN ts_parsed z ON c.file_idx = z.file_idx AND c.ts_key = z.ts_key`,
  ]);
  // Timestamp limits (rules future_timestamp, implausible_timestamp; see timestampLimits): the
  // 1st and 99th percentile (nearest rank) of the timestamps before the future limit.
  const lastDay = cfg.timestamps.notAfter ?? new Date(now).toISOString().slice(0, 10);
  const future = (isoDay(lastDay) + 1) * DAY_US;
  ctes.push([
    "bulk_ranked",
    `SELECT ts_us, SUM(n) OVER (ORDER BY ts_us ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum, SUM(n) OVER () AS total FROM ts_parsed WHERE ts_us IS NOT NULL AND ts_us < ${future}`,
  ]);
  const m = cfg.timestamps.bulkMargin;
  const span = `GREATEST(p99 - p01, ${365 * DAY_US})`;
  ctes.push([
    "lim",
    `SELECT ${future} AS future_us, ${m === null ? "NULL" : `p01 - ${m} * ${span}`} AS low_us, ${
      m === null ? "NULL" : `p99 + ${m} * ${span}`
    } AS high_us FROM (SELECT MIN(CASE WHEN cum > ROUND((total - 1) * 0.01) THEN ts_us END) AS p01, MIN(CASE WHEN cum > ROUND((total - 1) * 0.99) THEN ts_us END) AS p99 FROM bulk_ranked) q`,
  ]);
  // Row-level rules, first failing rule wins, in RULES order. All but `duplicate` (the last of
  // them) are evaluated once, with the content hash, in the one materialized copy of the lines
  // (`base`); `duplicate` needs a pass over all hashes first and is applied in `row_rules`.
  const conds = rowRuleConditions(ds, d);
  const whens: string[] = [];
  let dupOn = false;
  for (const r of rules) {
    if (!r.applied || SET_RULES.includes(r.code)) continue;
    // Ingest-time rules: the SQL readers fail on such lines instead (see SQL_UNSUPPORTED).
    if (r.code in SQL_UNSUPPORTED) continue;
    if (!(r.code in conds)) {
      throw new Error(`rule ${r.code} (clean/rules.ts RULES) has no SQL form in engine/sql.ts`);
    }
    if (dupOn) {
      throw new Error(
        `rule ${r.code} follows duplicate in RULES; engine/sql.ts applies duplicate last`,
      );
    }
    if (r.code === "duplicate") {
      dupOn = true;
      continue;
    }
    const cond = conds[r.code];
    if (cond !== null) whens.push(`WHEN ${cond} THEN ${literal(r.code, d.name)}`);
  }
  const reason0 = whens.length ? `CASE ${whens.join(" ")} END` : `CAST(NULL AS ${d.text})`;
  const content = contentColumns();
  ctes.push([
    "base",
    `SELECT ${LINE_COLUMNS.map((c) => `canon.${c}`).join(", ")}, ${
      dupOn ? `${d.hash(content)} AS h, ` : ""
    }${reason0} AS reason0 FROM canon LEFT JOIN lim ON 1 = 1`,
  ]);
  if (dupOn) {
    // Rule duplicate: lines whose content hash repeats are the candidates (few); among them, a
    // line equal in every content column to an earlier one (file order, then row order) is a
    // duplicate. The hash only narrows the search: equality is checked column by column.
    ctes.push(["dup_hashes", "SELECT h FROM base GROUP BY h HAVING COUNT(*) > 1"]);
    ctes.push([
      "dup_ranks",
      `SELECT file_idx, source_row, ROW_NUMBER() OVER (PARTITION BY ${
        content.join(", ")
      } ORDER BY file_idx, source_row) AS dup_rank FROM base WHERE h IN (SELECT h FROM dup_hashes)`,
    ]);
    ctes.push([
      "row_rules",
      `SELECT ${
        LINE_COLUMNS.map((c) => `base.${c}`).join(", ")
      }, CASE WHEN base.reason0 IS NULL AND r.dup_rank > 1 THEN ${
        literal("duplicate", d.name)
      } ELSE base.reason0 END AS reason FROM base LEFT JOIN dup_ranks r ON base.file_idx = r.file_idx AND base.source_row = r.source_row`,
    ]);
  } else {
    ctes.push(["row_rules", `SELECT ${LINE_COLUMNS.join(", ")}, reason0 AS reason FROM base`]);
  }
  let last = "row_rules";
  // Rule cancelled_order: stack matching per key (each cancellation takes the latest purchase
  // with the same customer, product, quantity and price at or before it that no earlier
  // cancellation took), with window functions: depth = running sum of +1 (purchase) / -1
  // (cancellation), floored at 0; a purchase is taken when the depth later falls below its own.
  if (on("cancellation") && on("cancelled_order")) {
    const key = "customer_id, stock_code, quantity, unit_price";
    const order = "ts_us, kind, file_idx, source_row";
    const w = `PARTITION BY ${key} ORDER BY ${order}`;
    ctes.push([
      "cancels",
      `SELECT customer_id, stock_code, -quantity AS quantity, unit_price, ts_us, file_idx, source_row FROM row_rules WHERE reason = 'cancellation' AND customer_id IS NOT NULL AND ts_us IS NOT NULL AND stock_code IS NOT NULL AND quantity IS NOT NULL AND unit_price IS NOT NULL`,
    ]);
    ctes.push([
      "cancel_keys",
      `SELECT DISTINCT customer_id, stock_code, quantity, unit_price FROM cancels`,
    ]);
    ctes.push([
      "events",
      `SELECT p.customer_id, p.stock_code, p.quantity, p.unit_price, p.ts_us, 0 AS kind, p.file_idx, p.source_row, 1 AS step FROM row_rules p JOIN cancel_keys k ON p.customer_id = k.customer_id AND p.stock_code = k.stock_code AND p.quantity = k.quantity AND p.unit_price = k.unit_price WHERE p.reason IS NULL AND p.ts_us IS NOT NULL
  UNION ALL
  SELECT customer_id, stock_code, quantity, unit_price, ts_us, 1 AS kind, file_idx, source_row, -1 AS step FROM cancels`,
    ]);
    ctes.push([
      "running",
      `SELECT events.*, SUM(step) OVER (${w} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM events`,
    ]);
    ctes.push([
      "depth",
      `SELECT running.*, s - LEAST(0, MIN(s) OVER (${w} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS d FROM running`,
    ]);
    ctes.push([
      "taken",
      `SELECT file_idx, source_row FROM (SELECT kind, file_idx, source_row, d, MIN(d) OVER (${w} ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS later_min FROM depth) x WHERE kind = 0 AND later_min < d`,
    ]);
    ctes.push([
      "rule_cancelled",
      `SELECT ${
        LINE_COLUMNS.map((c) => `r.${c}`).join(", ")
      }, CASE WHEN r.reason IS NULL AND t.source_row IS NOT NULL THEN 'cancelled_order' ELSE r.reason END AS reason FROM row_rules r LEFT JOIN taken t ON r.file_idx = t.file_idx AND r.source_row = t.source_row`,
    ]);
    last = "rule_cancelled";
  }
  // Rule extreme_value: median ± m × scaled MAD of log10(line value) over the kept lines.
  const mult = cfg.outliers.logValueMadMultiplier;
  const log10 = (x: string) => `(LN(${x}) / LN(10))`;
  if (on("extreme_value") && mult !== null) {
    ctes.push([
      "logs",
      `SELECT ${log10("line_value")} AS v FROM ${last} WHERE reason IS NULL AND line_value > 0`,
    ]);
    ctes.push(["med", medianSelect("v", "logs", d, "med")]);
    ctes.push([
      "mad",
      medianSelect("ABS(v - med)", "logs LEFT JOIN med ON 1 = 1", d, "mad0"),
    ]);
    ctes.push([
      "bounds",
      `SELECT med, mad0 * ${MAD_SCALE} AS mad, med - ${mult} * (mad0 * ${MAD_SCALE}) AS low_log, med + ${mult} * (mad0 * ${MAD_SCALE}) AS high_log FROM med LEFT JOIN mad ON 1 = 1`,
    ]);
    const beyond = `CASE WHEN line_value > 0 THEN (${log10("line_value")} < b.low_log OR ${
      log10("line_value")
    } > b.high_log) WHEN line_value = 0 THEN TRUE ELSE FALSE END`;
    ctes.push([
      "rule_extreme",
      `SELECT ${
        LINE_COLUMNS.join(", ")
      }, CASE WHEN reason IS NULL AND b.mad > 0 AND ${beyond} THEN 'extreme_value' ELSE reason END AS reason FROM ${last} LEFT JOIN bounds b ON 1 = 1`,
    ]);
    last = "rule_extreme";
  }
  // CTEs read more than once: computed once where that pays (the rule table, read by three),
  // recomputed where copying the lines costs more (measured on DuckDB).
  const reused = new Set(["base", "logs", "cancels"]);
  const inlined = new Set(["row_rules", "rule_cancelled"]);
  const head = (n: string) =>
    reused.has(n) && d.materialize
      ? `${n} AS ${d.materialize} (`
      : inlined.has(n) && d.materialize
      ? `${n} AS NOT ${d.materialize} (`
      : `${n} AS (`;
  const file = `CASE file_idx ${
    sources.map((s, i) => `WHEN ${i} THEN ${literal(s.file.name, d.name)}`).join(" ")
  } END AS source_file`;
  return `WITH ${ctes.map(([n, q]) => `${head(n)}\n  ${q}\n)`).join(",\n")}\nSELECT ${file}, ${
    LINE_COLUMNS.join(", ")
  }, reason FROM ${last}`;
}

/** The columns of `rfm_customers`, in order: those of the polars customer table before scoring. */
export const CUSTOMER_TABLE_COLUMNS = CUSTOMER_METRIC_COLUMNS;

/**
 * The `rfm_customers` query over `rfm_lines`: `customerMetrics` of `rfm/rfm.ts` (analysis date:
 * `analysisDate`, else the day after the last kept line). The country is that of the customer's
 * latest line (latest instant, then latest source row), ranked among the lines at the latest
 * instant only (a window over every kept line cost more).
 */
function customersSql(ds: DatasetConfig, d: Dialect): string {
  const day = `CAST(FLOOR(ts_us / ${DAY_US}.0) AS ${d.bigint})`;
  const asOf = ds.analysisDate === null
    ? `SELECT MAX(${day}) + 1 AS asof_day FROM rfm_lines WHERE reason IS NULL`
    : `SELECT ${isoDay(ds.analysisDate)} AS asof_day`;
  return `WITH analysis AS (
  ${asOf}
),
dated AS (
  SELECT customer_id, invoice, line_value, ts_us, country, source_row, ${day} AS day, analysis.asof_day FROM rfm_lines LEFT JOIN analysis ON 1 = 1 WHERE reason IS NULL AND ts_us < analysis.asof_day * ${DAY_US}
),
agg AS (
  SELECT customer_id, MAX(day) AS last_day, MIN(day) AS first_day, COUNT(DISTINCT invoice) + MAX(CASE WHEN invoice IS NULL THEN 1 ELSE 0 END) AS frequency, SUM(line_value) AS monetary, MAX(asof_day) AS asof_day, MAX(ts_us) AS last_us FROM dated GROUP BY customer_id
),
latest AS (
  SELECT d.customer_id, d.country, ROW_NUMBER() OVER (PARTITION BY d.customer_id ORDER BY d.source_row DESC) AS rn FROM dated d JOIN agg g ON d.customer_id = g.customer_id AND d.ts_us = g.last_us
)
SELECT a.customer_id, CAST(a.asof_day - a.last_day AS ${d.bigint}) AS recency_days, CAST(a.frequency AS ${d.bigint}) AS frequency, a.monetary, CAST(a.asof_day - a.first_day AS ${d.bigint}) AS tenure_days, a.monetary / CAST(a.frequency AS ${d.double}) AS avg_order_value, a.first_day, a.last_day, l.country
FROM agg a LEFT JOIN latest l ON l.customer_id = a.customer_id AND l.rn = 1
ORDER BY a.customer_id`;
}

/**
 * The data stage of dataset `ds` as SQL: `rfm_lines` (every source line with its canonical
 * columns, `ts_us` and `reason`) and `rfm_customers` (one row per customer, the columns of
 * {@link CUSTOMER_TABLE_COLUMNS}).
 *
 * @param ds dataset configuration
 * @param sources its files, in configuration order (with column types when known)
 * @param options dialect and build time
 * @throws {Error} when a rule or an input the configuration asks for has no SQL form
 *
 * @example
 * ```ts
 * import { dataStageSql } from "./sql.ts";
 * import { parseDataset } from "../config/dataset.ts";
 * import { ok } from "node:assert/strict";
 * const ds = parseDataset({
 *   id: "shop", title: "Shop", currency: "EUR", timezone: "UTC",
 *   model: { forward: { cutoff: "2011-01-02", windowEnd: "2011-02-01" } },
 *   files: [{ name: "tx.csv", path: "tx.csv", format: "csv", columns: {
 *     invoice: "inv", quantity: "qty", timestamp: "ts", unit_price: "price", customer_id: "cust",
 *   } }],
 * });
 * const sql = dataStageSql(ds, [{ file: ds.files[0], path: "/tmp/tx.csv" }], { now: 0 });
 * ok(sql.script.includes("CREATE TABLE rfm_customers AS"));
 * ok(sql.statements[0].sql.includes("'cancellation'"));
 * ```
 */
export function dataStageSql(
  ds: DatasetConfig,
  sources: SqlSource[],
  options: SqlOptions = {},
): DataStageSql {
  const d = dialectOf(options.dialect ?? "duckdb");
  const rules = sqlPlan(ds, sources);
  const lines = linesSql(ds, sources, rules, d, options.now ?? Date.now());
  const customers = customersSql(ds, d);
  const statements: DataStageSql["statements"] = [
    { table: "rfm_lines", sql: `CREATE TABLE rfm_lines AS\n${lines}`, query: lines },
    {
      table: "rfm_customers",
      sql: `CREATE TABLE rfm_customers AS\n${customers}`,
      query: customers,
    },
  ];
  const header = [
    `-- Data stage of dataset ${ds.id} (${d.name}), generated from its configuration.`,
    ...(d.name === "duckdb" ? [] : [
      "-- Source tables (load each file first, columns as in the file):",
      ...sources.map((s) => `--   ${tableName(s.file)}  <- ${s.file.name}`),
    ]),
    "-- rules: " + rules.filter((r) => r.applied).map((r) => r.code).join(", "),
    "-- Output: rfm_customers, one row per customer; read it back with a dataset file of",
    '-- format "customers" (see README).',
  ].join("\n");
  return {
    dialect: d.name,
    statements,
    rules,
    script: `${header}\n\n${statements.map((s) => s.sql + ";").join("\n\n")}\n`,
  };
}

/** Codes of `RULES`, for tests that every rule has an SQL form or a named reason. */
export const RULE_CODES: readonly string[] = RULES.map((r) => r.code);
