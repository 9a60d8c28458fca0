/**
 * The DuckDB engine (generated SQL) against the polars data stage: the same lines per reason and
 * the same customer table (ids and integers equal, money to 1e-9), on a fixture written here and
 * on the default dataset (Online Retail II; skipped when its files are absent).
 *
 * Rules the SQL cannot express (`SQL_UNSUPPORTED`: `ragged_row`, `truncated_line`) are named
 * here: the fixture has none of them, and a test proves a ragged CSV line stops the DuckDB run
 * with an error naming the file instead of being counted differently.
 */
import assert from "node:assert/strict";

const assertEquals = (a: unknown, b: unknown, msg?: string) => assert.deepEqual(a, b, msg);
const assertRejects = (f: () => Promise<unknown>, _e: unknown, text: string) =>
  assert.rejects(f, (e: Error) => e.message.includes(text));
import pl from "nodejs-polars";
import { join } from "node:path";
import type { DatasetConfig } from "../../src/config/dataset.ts";
import { defaultSources } from "../fixtures/default_sources.ts";
import { retailCsvDataset } from "../fixtures/configs.ts";
import { ingestAndClean, type SourceFile } from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { customerMetrics, defaultAnalysisDate } from "../../src/rfm/rfm.ts";
import { duckdbDataStage } from "../../src/engine/duckdb.ts";
import { duckdbClean, reportFromLines } from "../../src/pipeline/duckdb_stage.ts";
import type { CleanStage } from "../../src/pipeline/stages.ts";
import { CUSTOMER_TABLE_COLUMNS, RULE_CODES, SQL_UNSUPPORTED } from "../../src/engine/sql.ts";

/** The polars data stage: lines per reason (kept under `kept`) and the customer table. */
function polarsStage(ds: DatasetConfig, sources: SourceFile[]) {
  const r = ingestAndClean(ds, sources, new Progress(() => {}));
  const byReason: Record<string, number> = {};
  for (const row of r.quarantine.groupBy("reason").len().toRecords()) {
    byReason[String(row.reason)] = Number(row.len);
  }
  if (r.kept.height) byReason.kept = r.kept.height;
  const asOf = ds.analysisDate ?? defaultAnalysisDate(r.kept);
  return { byReason, customers: customerMetrics(r.kept, asOf), analysisDate: asOf, clean: r };
}

/** Asserts two customer tables are equal: ids, integers and text exactly, money to `tol`. */
function assertSameCustomers(a: pl.DataFrame, b: pl.DataFrame, tol = 1e-9): void {
  assertEquals(a.height, b.height, "customers");
  for (const col of CUSTOMER_TABLE_COLUMNS) {
    const x = a.getColumn(col).toArray() as unknown[];
    const y = b.getColumn(col).toArray() as unknown[];
    if (col === "monetary" || col === "avg_order_value") {
      for (let i = 0; i < x.length; i++) {
        const d = Math.abs(Number(x[i]) - Number(y[i]));
        assert(
          d <= tol * Math.max(1, Math.abs(Number(x[i]))),
          `${col} of customer ${a.getColumn("customer_id").get(i)}: ${x[i]} vs ${y[i]}`,
        );
      }
    } else {
      const norm = (v: unknown) => (typeof v === "bigint" ? Number(v) : v);
      const bad = x.findIndex((v, i) => norm(v) !== norm(y[i]));
      assertEquals(bad, -1, `${col} differs at row ${bad}: ${x[bad]} vs ${y[bad]}`);
    }
  }
}

/**
 * Asserts that the build's clean stage on DuckDB (`duckdbClean`) equals the polars one: the same
 * kept lines and quarantine (every column, in order), and the same cleaning report (counts per
 * file and reason, bounds, cancelled orders; unmatched returns to rounding), ingest summary
 * aside.
 */
function assertSameCleanStage(p: CleanStage, d: CleanStage): void {
  assert(p.kept.frameEqual(d.kept, true), "kept lines differ");
  assert(p.quarantine.frameEqual(d.quarantine, true), "quarantine differs");
  assertEquals(d.report.files, p.report.files);
  assertEquals(d.report.total, p.report.total);
  assertEquals(d.report.extremeValueBounds, p.report.extremeValueBounds);
  assertEquals(d.report.cancelledOrders, p.report.cancelledOrders);
  assertEquals(d.report.unmatchedReturns.lines, p.report.unmatchedReturns.lines);
  const v = p.report.unmatchedReturns.value;
  assert(Math.abs(d.report.unmatchedReturns.value - v) <= 1e-9 * Math.max(1, Math.abs(v)));
  assertEquals(d.report.warnings, p.report.warnings);
  assertEquals(d.rowsIn, p.rowsIn);
}

/** A fixture dataset: a CSV with a cancellation, a duplicate, a null id and an outlier. */
function fixture(dir: string): { ds: DatasetConfig; sources: SourceFile[] } {
  const lines = ["Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"];
  // 40 ordinary purchases of three customers (values near 10), so the MAD is not zero.
  for (let i = 0; i < 40; i++) {
    const cust = ["17850", "13047.0", " 12583 "][i % 3];
    const day = String(1 + (i % 27)).padStart(2, "0");
    lines.push(
      `${500 + i},A${i % 5},Mug ${i % 5},${1 + (i % 4)},2011-03-${day} 10:${
        String(i).padStart(2, "0")
      }:00,${(2.5 + (i % 7) * 0.35).toFixed(2)},${cust},United Kingdom`,
    );
  }
  lines.push("600,A1,Mug 1,2,2011-04-01 09:00:00,3.10,17850,United Kingdom"); // cancelled below
  lines.push("C601,A1,Mug 1,-2,2011-04-02 09:00:00,3.10,17850,United Kingdom"); // cancellation
  lines.push("602,A2,Mug 2,1,2011-04-03 09:00:00,2.50,13047,France"); // duplicated next line
  lines.push("602,A2,Mug 2,1,2011-04-03 09:00:00,2.50,13047,France");
  lines.push("603,A3,Mug 3,1,2011-04-04 09:00:00,2.50,,United Kingdom"); // null id
  lines.push("604,A3,Mug 3,1,2011-04-05 09:00:00,2.50,NULL,United Kingdom"); // null word
  lines.push("605,A4,Mug 4,5000,2011-04-06 09:00:00,900,12583,Germany"); // outlier
  lines.push("606,POST,Postage,1,2011-04-07 09:00:00,18,12583,Germany"); // non-product
  lines.push("A607,B,Bad debt,1,2011-04-08 09:00:00,10,12583,Germany"); // adjustment
  lines.push("608,A0,Mug 0,0,2011-04-09 09:00:00,2.5,12583,Germany"); // zero quantity
  lines.push("609,A0,Mug 0,1,2011-04-09 09:00:00,0,12583,Germany"); // zero price
  lines.push("610,A0,Mug 0,1,,2.5,12583,Germany"); // missing timestamp
  lines.push("611,A0,Mug 0,1,2099-01-01 00:00:00,2.5,12583,Germany"); // future
  Deno.writeTextFileSync(join(dir, "tx.csv"), lines.join("\n") + "\n");
  return retailCsvDataset(dir, ["tx.csv"]);
}

Deno.test("every cleaning rule has an SQL form or is named as not expressible", () => {
  // A rule added to RULES without SQL fails generation (sql.ts); these two are the known gaps.
  assertEquals(Object.keys(SQL_UNSUPPORTED).sort(), ["ragged_row", "truncated_line"]);
  for (const code of Object.keys(SQL_UNSUPPORTED)) assert(RULE_CODES.includes(code));
});

Deno.test("fixture: DuckDB and polars give the same counts per reason and customer table", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "engine-fixture-" });
  try {
    const { ds, sources } = fixture(dir);
    const p = polarsStage(ds, sources);
    const d = await duckdbDataStage(ds, sources);
    assertEquals(d.byReason, p.byReason);
    // The fixture exercises the rules it is meant to (not vacuous).
    for (const r of ["cancellation", "cancelled_order", "duplicate", "missing_customer"]) {
      assertEquals(d.byReason[r] > 0, true, r);
    }
    assertEquals(d.byReason.extreme_value, 1);
    assertEquals(d.analysisDate, p.analysisDate);
    assertSameCustomers(p.customers, d.customers, 1e-12); // sums in another order
    // Ids normalised the same way (13047.0 and " 12583 " written as integers).
    assertEquals(d.customers.getColumn("customer_id").toArray(), ["12583", "13047", "17850"]);
    // The build's clean stage on DuckDB: the same lines, quarantine and report.
    const b = await duckdbClean(ds, sources, new Progress(() => {}));
    assertSameCleanStage(p.clean, b);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("fixture: a planted difference in the customer table is caught", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "engine-fixture-" });
  try {
    const { ds, sources } = fixture(dir);
    const d = await duckdbDataStage(ds, sources);
    const off = d.customers.withColumns(pl.col("monetary").add(1e-6));
    let caught = false;
    try {
      assertSameCustomers(d.customers, off);
    } catch {
      caught = true;
    }
    assert(caught, "a 1e-6 difference in money must fail the comparison");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("fixture: the DuckDB clean stage's checks fail on planted faults", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "engine-fixture-" });
  try {
    const { ds, sources } = fixture(dir);
    const b = await duckdbClean(ds, sources, new Progress(() => {}));
    const lines = pl.concat([
      b.kept.withColumns(pl.lit(null).cast(pl.Utf8).alias("reason")),
      b.quarantine,
    ]);
    const report = (l: pl.DataFrame, rowsRead = b.rowsIn) =>
      reportFromLines(ds.cleaning, l, b.report.rules, rowsRead, ["tx.csv"], () => {});
    assertEquals(report(lines).total, b.report.total);
    // A line lost on the way: the rows counted over the file no longer reconcile.
    assert.throws(() => report(lines.tail(lines.height - 1)), /reconcile/);
    // The engine marks an extreme value the polars rule would not: the build stops.
    const planted = lines.withColumns(
      pl.when(pl.col("source_row").eq(1)).then(pl.lit("extreme_value")).otherwise(pl.col("reason"))
        .alias("reason"),
    );
    assert.throws(() => report(planted), /rule extreme_value disagree on 1 line/);
    // The engine misses a cancelled order (the line is kept): the polars rule finds it.
    const missed = lines.withColumns(
      pl.when(pl.col("reason").eq(pl.lit("cancelled_order"))).then(pl.lit(null).cast(pl.Utf8))
        .otherwise(pl.col("reason")).alias("reason"),
    );
    assert.throws(() => report(missed), /rule cancelled_order disagree on 1 line/);
    // And the comparison of two clean stages sees one line's reason changed.
    const moved = { ...b, kept: b.kept.tail(b.kept.height - 1) };
    assert.throws(() => assertSameCleanStage(b, moved), /kept lines differ/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ragged_row is not expressible in SQL: a ragged CSV line stops the DuckDB run", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "engine-ragged-" });
  try {
    const { ds, sources } = fixture(dir);
    const text = Deno.readTextFileSync(sources[0].path);
    Deno.writeTextFileSync(
      sources[0].path,
      text + "612,A0,Mug 0,1,2011-04-10 09:00:00,2.5,12583,Germany,extra\n",
    );
    await assertRejects(() => duckdbDataStage(ds, sources), Error, "tx.csv: DuckDB cannot read it");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an id in scientific notation stops the DuckDB run, naming file and column", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "engine-sci-" });
  try {
    const { ds, sources } = fixture(dir);
    const text = Deno.readTextFileSync(sources[0].path);
    Deno.writeTextFileSync(
      sources[0].path,
      text + "612,A0,Mug 0,1,2011-04-10 09:00:00,2.5,1.2583e4,Germany\n",
    );
    await assertRejects(
      () => duckdbDataStage(ds, sources),
      Error,
      'tx.csv: column "Customer ID" holds customer ids in scientific notation',
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

const real = await defaultSources();

Deno.test({
  name: "default dataset: DuckDB and polars give the same counts per reason and customer table",
  ignore: real === null,
  sanitizeResources: false,
  fn: async () => {
    const { ds, sources } = real!;
    const now = Date.now();
    const b = await duckdbClean(ds, sources, new Progress(() => {}), { now });
    const d = b.engine;
    const p = polarsStage(ds, sources);
    assertSameCleanStage(p.clean, b);
    assertEquals(d.byReason, p.byReason);
    assertEquals(d.analysisDate, p.analysisDate);
    assertSameCustomers(p.customers, d.customers, 1e-9);
    // Not vacuous: the set-level rules fired.
    assert(d.byReason.cancelled_order > 0 && d.byReason.duplicate > 0);
  },
});
