/**
 * The DuckDB engine: runs the generated data-stage SQL (`sql.ts`) on embedded DuckDB
 * (`@duckdb/node-api`), out of core — DuckDB reads the CSV/Parquet files itself, spills to a
 * temporary folder past its memory limit, on two threads — and brings back only the counts per
 * reason and the customer table (one row per customer) as a polars DataFrame.
 *
 * Before the SQL runs, the inputs the SQL cannot express are looked for (`sql.ts`): customer ids
 * in scientific notation, fractional numeric ids or quantities, text timestamps with their own
 * offset. Any of them stops the run with an error naming the file and column, so the engine never
 * differs from the polars path silently.
 *
 * @module
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import pl from "nodejs-polars";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import type { DatasetConfig, FileConfig } from "../config/dataset.ts";
import type { RuleInfo } from "../clean/rules.ts";
import { SCIENTIFIC } from "../ingest/ids.ts";
import { OFFSET_SUFFIX, prepareFormat } from "../ingest/timestamps.ts";
import { excerpt } from "../lib/text.ts";
import { dayIso } from "../lib/time.ts";
import {
  CUSTOMER_TABLE_COLUMNS,
  type DataStageSql,
  dataStageSql,
  sourceRelation,
  type SqlSource,
} from "./sql.ts";
import { dialect, literal } from "./dialect.ts";

/** A source file to read: its configuration and path (as `pipeline/stages.ts` `SourceFile`). */
export interface EngineSource {
  file: FileConfig;
  path: string;
}

/** Options of {@link duckdbDataStage}. */
export interface DuckdbOptions {
  /** Build time (ms since 1970), for `future_timestamp` (default now). */
  now?: number;
  /**
   * DuckDB `memory_limit` (default {@link defaultMemoryLimit}: half the machine's memory); past
   * it, DuckDB spills to `tempDirectory` where its operators can.
   */
  memoryLimit?: string;
  /** Spill folder (default: a fresh folder below the system temporary folder, removed after). */
  tempDirectory?: string;
  /** Worker threads (default 2). */
  threads?: number;
  /** Also write the customer table to this Parquet file (`COPY … TO`). */
  customersParquet?: string;
  /**
   * Also write every source line to this Parquet file, with the canonical columns of the polars
   * path (`timestamp` as µs since 1970, UTC, in `ts_us`), its `reason` (null when kept) and
   * `file_idx` (the file's position in the configuration): what the build reads back as its clean
   * lines and quarantine. The rows are in no particular order (sorting by `file_idx, source_row`
   * is left to the reader: DuckDB's sort before writing cost more than polars' after reading).
   */
  linesParquet?: string;
}

/** What the DuckDB data stage returns: the counts of the cleaning and the customer table. */
export interface DuckdbStage {
  /**
   * Lines read per file, counted by a query of its own over the file (`COUNT(*)` of the reader),
   * not from the cleaned table: what the cleaning counts are reconciled with.
   */
  rowsRead: Record<string, number>;
  /** Lines per reason, all files (kept lines under `kept`). */
  byReason: Record<string, number>;
  /** Lines kept, all files. */
  kept: number;
  /** The rule plan the SQL followed. */
  rules: RuleInfo[];
  /** Customer table (columns {@link CUSTOMER_TABLE_COLUMNS}, sorted by customer id). */
  customers: pl.DataFrame;
  /** Analysis date (ISO) of the customer table. */
  analysisDate: string;
  /** The SQL that ran. */
  sql: DataStageSql;
}

/**
 * The default DuckDB memory limit: half the machine's memory, in MiB. A fixed 1 GB ran out at
 * 10× Online Retail II (10.7 M lines): not every operator spills (the insertion-order-preserving
 * scans and aggregates over text hold their blocks), so the limit must grow with the machine.
 *
 * @example
 * ```ts
 * import { defaultMemoryLimit } from "./duckdb.ts";
 * import { match } from "node:assert/strict";
 * match(defaultMemoryLimit(), /^\d+MiB$/);
 * ```
 */
export function defaultMemoryLimit(): string {
  return `${Math.max(512, Math.floor(totalmem() / 2 ** 20 / 2))}MiB`;
}

/** Rows of a query as records (BIGINT as number). */
async function rows(c: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const r = await c.runAndReadAll(sql);
  return r.getRowObjects().map((o) =>
    Object.fromEntries(
      Object.entries(o).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v]),
    )
  );
}

/**
 * Column types of a Parquet file as DuckDB reads them (undefined for text files, read as text).
 *
 * @param file the file's configuration
 * @param path where it is
 *
 * @example
 * ```ts
 * import { parquetTypes } from "./duckdb.ts";
 * import { DuckDBInstance } from "@duckdb/node-api";
 * import { deepEqual } from "node:assert/strict";
 * const path = `${Deno.makeTempDirSync()}/t.parquet`;
 * const db = await DuckDBInstance.create(":memory:");
 * const c = await db.connect();
 * await c.run(`COPY (SELECT 'a' AS id, 2.5 AS price) TO '${path}' (FORMAT parquet)`);
 * c.closeSync();
 * db.closeSync();
 * const file = { format: "parquet" } as Parameters<typeof parquetTypes>[0];
 * deepEqual(await parquetTypes(file, path), { id: "VARCHAR", price: "DECIMAL(2,1)" });
 * ```
 */
export async function parquetTypes(
  file: FileConfig,
  path: string,
): Promise<Record<string, string> | undefined> {
  if (file.format !== "parquet") return undefined;
  const db = await DuckDBInstance.create(":memory:", { threads: "1" });
  const c = await db.connect();
  try {
    return await sourceTypes(c, { file, path });
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** Column types of a source, as DuckDB reads it. */
async function sourceTypes(
  c: DuckDBConnection,
  s: EngineSource,
): Promise<Record<string, string> | undefined> {
  if (s.file.format !== "parquet") return undefined; // text files are read as text
  const got = await rows(
    c,
    `DESCRIBE SELECT * FROM read_parquet(${literal(s.path)})`,
  );
  return Object.fromEntries(got.map((r) => [String(r.column_name), String(r.column_type)]));
}

/** The error of an input the SQL cannot express, naming file, column and an example value. */
function unsupported(file: string, column: string, what: string, value: unknown): Error {
  return new Error(
    `${file}: column ${excerpt(column)} holds ${what} (e.g. ${
      excerpt(String(value))
    }), which the generated SQL does not handle; use the polars engine for this dataset`,
  );
}

/** Looks for inputs the SQL cannot express (see the module comment); throws on the first. */
async function checkInputs(
  c: DuckDBConnection,
  sources: SqlSource[],
  from: (s: SqlSource) => string,
): Promise<void> {
  for (const s of sources) {
    const f = s.file;
    const col = (k: keyof FileConfig["columns"]) => f.columns[k];
    const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
    const id = col("customer_id")!;
    const idType = s.types?.[id] ?? "VARCHAR";
    const checks: [string, string, string][] = [];
    if (/^VARCHAR/i.test(idType)) {
      checks.push([
        id,
        "customer ids in scientific notation",
        `regexp_matches(trim(${q(id)}), ${literal(SCIENTIFIC)})`,
      ]);
    } else if (/^(DOUBLE|FLOAT|DECIMAL)/i.test(idType)) {
      checks.push([id, "fractional customer ids", `${q(id)} <> floor(${q(id)})`]);
    }
    const qty = col("quantity");
    if (qty) {
      const t = s.types?.[qty] ?? "VARCHAR";
      if (/^(DOUBLE|FLOAT|DECIMAL)/i.test(t)) {
        checks.push([qty, "fractional quantities", `${q(qty)} <> floor(${q(qty)})`]);
      } else if (/^VARCHAR/i.test(t)) {
        checks.push([
          qty,
          "non-numeric or fractional quantities",
          `trim(${q(qty)}) <> '' AND NOT (trim(${q(qty)}) IN (${
            f.nullWords.map((w) => literal(w)).join(", ") || "''"
          })) AND (TRY_CAST(trim(${q(qty)}) AS DOUBLE) IS NULL OR TRY_CAST(trim(${
            q(qty)
          }) AS DOUBLE) <> floor(TRY_CAST(trim(${q(qty)}) AS DOUBLE)))`,
        ]);
      }
    }
    const ts = col("timestamp")!;
    if (/^VARCHAR/i.test(s.types?.[ts] ?? "VARCHAR") && prepareFormat(f.timestampFormat).offsets) {
      checks.push([
        ts,
        "timestamps with their own offset",
        `regexp_matches(trim(${q(ts)}), ${literal(OFFSET_SUFFIX)})`,
      ]);
    }
    for (const [column, what, cond] of checks) {
      let hit: Record<string, unknown>[];
      try {
        hit = await rows(c, `SELECT ${q(column)} AS v FROM ${from(s)} WHERE ${cond} LIMIT 1`);
      } catch (e) {
        throw new Error(`${f.name}: DuckDB cannot read it: ${(e as Error).message}`);
      }
      if (hit.length) throw unsupported(f.name, column, what, hit[0].v);
    }
  }
}

/** The reader of a source for the input checks: the relation the generated SQL reads. */
function reader(s: SqlSource): string {
  return sourceRelation(s, dialect("duckdb")).from;
}

/** A DuckDB result column as a polars Series of the customer table. */
function series(name: string, values: readonly unknown[]): pl.Series {
  if (name === "customer_id" || name === "country") {
    return pl.Series(name, values.map((v) => (v === null ? null : String(v))), pl.Utf8);
  }
  if (name === "monetary" || name === "avg_order_value") {
    return pl.Series(name, values.map((v) => (v === null ? null : Number(v))), pl.Float64);
  }
  return pl.Series(
    name,
    values.map((v) => (v === null ? null : Number(v))),
    pl.Int64,
  );
}

/**
 * Runs the data stage of `ds` on embedded DuckDB: reads the files, cleans with the generated SQL
 * and aggregates per customer; only counts and the customer table come back.
 *
 * @param ds dataset configuration
 * @param sources resolved source files, in configuration order
 * @param options build time, memory limit, spill folder, threads, optional Parquet output
 * @throws {Error} naming the file and column when an input needs what the SQL cannot express, or
 *   when DuckDB cannot read a file (a ragged CSV line, say)
 *
 * @example
 * ```ts
 * import { duckdbDataStage } from "./duckdb.ts";
 * import { parseDataset } from "../config/dataset.ts";
 * import { equal } from "node:assert/strict";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/tx.csv`, [
 *   "inv,qty,ts,price,cust",
 *   "1,2,2011-01-01 10:00:00,5,a",
 *   "C2,-1,2011-01-02 10:00:00,1,a",
 *   "3,1,2011-01-03 10:00:00,4,",
 * ].join("\n") + "\n");
 * const ds = parseDataset({
 *   id: "shop", title: "Shop", currency: "EUR", timezone: "UTC",
 *   model: { forward: { cutoff: "2011-01-02", windowEnd: "2011-02-01" } },
 *   files: [{ name: "tx.csv", path: "tx.csv", format: "csv", columns: {
 *     invoice: "inv", quantity: "qty", timestamp: "ts", unit_price: "price", customer_id: "cust",
 *   } }],
 * });
 * const got = await duckdbDataStage(ds, [{ file: ds.files[0], path: `${dir}/tx.csv` }]);
 * equal(got.kept, 1);
 * equal(got.byReason.cancellation, 1);
 * equal(got.byReason.missing_customer, 1);
 * equal(got.customers.getColumn("monetary").get(0), 10);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function duckdbDataStage(
  ds: DatasetConfig,
  sources: EngineSource[],
  options: DuckdbOptions = {},
): Promise<DuckdbStage> {
  const ownTemp = options.tempDirectory === undefined;
  const temp = options.tempDirectory ?? mkdtempSync(join(tmpdir(), "rfm-duckdb-"));
  const db = await DuckDBInstance.create(":memory:", {
    threads: String(options.threads ?? 2),
    memory_limit: options.memoryLimit ?? defaultMemoryLimit(),
    temp_directory: temp,
    preserve_insertion_order: "true",
  });
  const c = await db.connect();
  let linesFile: string | undefined;
  try {
    const sqlSources: SqlSource[] = [];
    for (const s of sources) {
      sqlSources.push({ file: s.file, path: s.path, types: await sourceTypes(c, s) });
    }
    await checkInputs(c, sqlSources, reader);
    const rowsRead: Record<string, number> = {};
    for (const s of sqlSources) {
      try {
        const n = await rows(c, `SELECT COUNT(*) AS n FROM ${reader(s)}`);
        rowsRead[s.file.name] = Number(n[0].n);
      } catch (e) {
        throw new Error(`${s.file.name}: DuckDB cannot read it: ${(e as Error).message}`);
      }
    }
    const sql = dataStageSql(ds, sqlSources, { dialect: "duckdb", now: options.now });
    // The lines go straight to Parquet (one pass, compressed), and `rfm_lines` is a view of that
    // file: an in-memory table of every line cost more time and memory than the file, and the
    // queries after it (counts, customers) read a few columns only.
    linesFile = options.linesParquet ?? join(temp, `rfm-lines-${crypto.randomUUID()}.parquet`);
    for (const st of sql.statements) {
      try {
        if (st.table === "rfm_lines") {
          await c.run(`COPY (${st.query}) TO ${literal(linesFile)} (FORMAT parquet)`);
          await c.run(`CREATE VIEW rfm_lines AS SELECT * FROM read_parquet(${literal(linesFile)})`);
        } else await c.run(st.sql);
      } catch (e) {
        throw new Error(`DuckDB engine, table ${st.table}: ${(e as Error).message}`);
      }
    }
    const counts = await rows(
      c,
      "SELECT COALESCE(reason, 'kept') AS reason, COUNT(*) AS n FROM rfm_lines GROUP BY 1",
    );
    const byReason: Record<string, number> = {};
    for (const r of counts) {
      const reason = String(r.reason);
      byReason[reason] = (byReason[reason] ?? 0) + Number(r.n);
    }
    const result = await c.runAndReadAll(
      `SELECT ${CUSTOMER_TABLE_COLUMNS.join(", ")} FROM rfm_customers ORDER BY customer_id`,
    );
    const cols = result.getColumnsObject();
    const customers = pl.DataFrame(
      CUSTOMER_TABLE_COLUMNS.map((name) => series(name, cols[name] as unknown[])),
    );
    const analysisDate = customers.height
      ? dayIso(
        Number(customers.getColumn("last_day").get(0)) +
          Number(customers.getColumn("recency_days").get(0)),
      )
      : "";
    if (options.customersParquet) {
      await c.run(
        `COPY (SELECT * FROM rfm_customers ORDER BY customer_id) TO ${
          literal(options.customersParquet)
        } (FORMAT parquet)`,
      );
    }
    return {
      rowsRead,
      byReason,
      kept: byReason.kept ?? 0,
      rules: sql.rules,
      customers,
      analysisDate,
      sql,
    };
  } finally {
    c.closeSync();
    db.closeSync();
    if (ownTemp) rmSync(temp, { recursive: true, force: true });
    else if (linesFile && linesFile !== options.linesParquet) rmSync(linesFile, { force: true });
  }
}
