/**
 * Integration tests of the ingest → clean → RFM stages: on a hand-made file (always), including a
 * row planted missing between ingest and cleaning, and on the real datasets in
 * `../shared/datasets` (beside the project checkout): Online Retail II (both files, overlapping
 * days) and the CDNOW file. The real-data tests are skipped, with a message, when the files are
 * not present.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { type DatasetConfig, parseRegistry } from "../../src/config/dataset.ts";
import { readSource, toCanonical } from "../../src/ingest/ingest.ts";
import {
  cleanIngested,
  type CleanStage,
  ingestAndClean,
  ingestSources,
  type IngestStage,
  type RfmStage,
  rfmStage,
} from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { ReconciliationError } from "../../src/clean/report.ts";
import { RULES } from "../../src/clean/rules.ts";
import { CANONICAL_COLUMNS } from "../../src/config/schema.ts";
import { dataset, fixture, ORDERS_COLUMNS } from "../fixtures/configs.ts";

const SHARED = new URL("../../../shared/datasets/", import.meta.url);
const registry = parseRegistry(
  JSON.parse(Deno.readTextFileSync(new URL("../../data/datasets.json", import.meta.url))),
  new URL("../../data/", import.meta.url).pathname,
);
const registered = (id: string) => registry.datasets.find((d) => d.id === id)!;
const mirror = (ds: DatasetConfig) =>
  ds.files.map((f) => ({ file: f, path: new URL(f.mirrorPath, SHARED).pathname }));

function present(ds: DatasetConfig): boolean {
  return mirror(ds).every((s) => {
    try {
      return Deno.statSync(s.path).isFile;
    } catch {
      return false;
    }
  });
}

const ORI = registered("online-retail-ii");
const CDNOW = registered("cdnow");
const haveOri = present(ORI);
const haveCdnow = present(CDNOW);
if (!haveOri) {
  console.log(
    `integration: Online Retail II not found under ${SHARED.pathname}; its tests are skipped`,
  );
}
if (!haveCdnow) {
  console.log(`integration: CDNOW not found under ${SHARED.pathname}; its tests are skipped`);
}

const quiet = () => new Progress(() => {});

/** Runs `fn`, asserting that it throws a ReconciliationError; returns it. */
function reconciliationError(fn: () => unknown): ReconciliationError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ReconciliationError, `expected a ReconciliationError, got ${e}`);
    return e;
  }
  assert.fail("expected a ReconciliationError");
}

// ---------------------------------------------------------------------------------------------
// A hand-made file: the reconciliation can fail

/** A dataset of the fixture `orders.csv` (five lines). */
const ORDERS = dataset({
  id: "orders",
  files: [{ name: "orders.csv", format: "csv", rows: 5, columns: ORDERS_COLUMNS }],
});
const ordersSources = () => [{ file: ORDERS.files[0], path: fixture("orders.csv") }];

Deno.test("pipeline: ingest counts the rows it reads; cleaning reconciles with that count", () => {
  const ingested = ingestSources(ORDERS, ordersSources(), quiet());
  assert.deepEqual(ingested.rowsRead, { "orders.csv": 5 });
  assert.equal(ingested.tx.height, 5);
  const c = cleanIngested(ORDERS, ingested, quiet());
  assert.deepEqual(c.rowsIn, { "orders.csv": 5 });
  const [f] = c.report.files;
  // 2 kept; 3 dropped: the cancellation, the line without a customer, and 12 × 3.10 = 37.20, an
  // extreme value next to 7.00 and 7.25 (median log10 0.86, scaled MAD 0.022, m = 8).
  assert.deepEqual([f.file, f.rows_in, f.rows_kept, f.rows_dropped, f.reconciles], [
    "orders.csv",
    5,
    2,
    3,
    true,
  ]);
  assert.deepEqual(
    Object.entries(f.dropped).filter(([, n]) => n > 0),
    [["missing_customer", 1], ["cancellation", 1], ["extreme_value", 1]],
  );
  assert.equal(c.report.total.reconciles, true);
});

Deno.test("pipeline: a row lost between ingest and cleaning stops the run, naming the file and the counts", () => {
  const ingested = ingestSources(ORDERS, ordersSources(), quiet());
  // The planted fault: the canonical frame loses its last row after ingest counted 5.
  const lost: IngestStage = { ...ingested, tx: ingested.tx.head(4) };
  const lines: string[] = [];
  const e = reconciliationError(() =>
    cleanIngested(ORDERS, lost, new Progress((l) => lines.push(l)))
  );
  assert.match(e.message, /no output is written/);
  assert.match(e.message, /orders\.csv: 5 rows read, but 4 accounted for \(2 kept \+ 2 dropped\)/);
  assert.deepEqual(e.failed.map((f) => [f.file, f.rows_in, f.reconciles]), [
    ["orders.csv", 5, false],
    ["total", 5, false],
  ]);
  // The stage did not finish: `runAnalysis` stages and writes outputs only after it returns.
  assert.deepEqual(lines, []);
});

// ---------------------------------------------------------------------------------------------
// The real datasets

/** The ingest and one pipeline run of Online Retail II, shared by the tests below (seconds). */
let oriIngest: IngestStage | null = null;
let oriRun: { clean: CleanStage; rfm: RfmStage } | null = null;
function oriIngested(): IngestStage {
  oriIngest ??= ingestSources(ORI, mirror(ORI), quiet());
  return oriIngest;
}
function ori(): { clean: CleanStage; rfm: RfmStage } {
  if (!oriRun) {
    const c = cleanIngested(ORI, oriIngested(), quiet());
    oriRun = { clean: c, rfm: rfmStage(ORI, c.kept, quiet()) };
  }
  return oriRun;
}

const FILE_2009 = "online_retail_II_2009-2010.parquet";
const FILE_2010 = "online_retail_2010-2011.parquet";

Deno.test({
  name: "integration: Online Retail II reconciles exactly, per file and in total",
  ignore: !haveOri,
  fn() {
    const { clean } = ori();
    const { report, kept, quarantine, rowsIn } = clean;
    assert.deepEqual(rowsIn, { [FILE_2009]: 525_461, [FILE_2010]: 541_909 });
    assert.deepEqual(report.files.map((f) => [f.file, f.rows_in]), [[FILE_2009, 525_461], [
      FILE_2010,
      541_909,
    ]]);
    for (const f of [...report.files, report.total]) {
      const dropped = RULES.reduce((s, r) => s + f.dropped[r.code], 0);
      assert.equal(f.rows_in, f.rows_kept + dropped, f.file);
      assert.equal(f.rows_dropped, dropped, f.file);
      assert.equal(f.reconciles, true, f.file);
    }
    assert.equal(report.total.rows_in, 525_461 + 541_909);
    assert.equal(report.total.rows_kept, kept.height);
    assert.equal(report.total.rows_dropped, quarantine.height);
    // Per-file kept counts agree with the kept table.
    for (const f of report.files) {
      assert.equal(
        kept.filter(pl.col("source_file").eq(pl.lit(f.file))).height,
        f.rows_kept,
        f.file,
      );
    }
    // Every rule ran on this dataset.
    for (const r of report.rules) assert.equal(r.applied, true, r.code);
  },
});

Deno.test({
  name: "integration: Online Retail II with one row lost before cleaning does not reconcile",
  ignore: !haveOri,
  fn() {
    const ingested = oriIngested();
    // The planted fault: one row of the second file (its 1,000th) disappears after ingest.
    const tx = ingested.tx.filter(
      pl.col("source_file").neq(pl.lit(FILE_2010)).or(pl.col("source_row").neq(1000)),
    );
    assert.equal(tx.height, 525_461 + 541_909 - 1);
    const e = reconciliationError(() => cleanIngested(ORI, { ...ingested, tx }, quiet()));
    assert.deepEqual(e.failed.map((f) => f.file), [FILE_2010, "total"]);
    assert.match(
      e.message,
      new RegExp(`${FILE_2010}: 541,909 rows read, but 541,908 accounted for`),
    );
    assert.match(e.message, /total: 1,067,370 rows read, but 1,067,369 accounted for/);
  },
});

Deno.test({
  name: "integration: every input row appears exactly once in kept ∪ quarantine",
  ignore: !haveOri,
  fn() {
    const { kept, quarantine } = ori().clean;
    const ids = pl.concat([
      kept.select("source_file", "source_row"),
      quarantine.select("source_file", "source_row"),
    ]);
    assert.equal(ids.height, 525_461 + 541_909);
    assert.equal(ids.unique().height, ids.height);
    const per = ids.groupBy("source_file").agg(
      pl.col("source_row").min().alias("lo"),
      pl.col("source_row").max().alias("hi"),
      pl.len().alias("n"),
    ).sort("source_file").toRecords().map((
      r,
    ) => [r.source_file, Number(r.lo), Number(r.hi), Number(r.n)]);
    assert.deepEqual(per, [
      [FILE_2010, 1, 541_909, 541_909],
      [FILE_2009, 1, 525_461, 525_461],
    ]);
  },
});

Deno.test({
  name: "integration: no kept row breaks any row-level rule",
  ignore: !haveOri,
  fn() {
    const { kept } = ori().clean;
    const count = (e: pl.Expr) => kept.filter(e).height;
    assert.equal(count(pl.col("timestamp").isNull()), 0, "null timestamp");
    assert.equal(count(pl.col("customer_id").isNull()), 0, "null customer");
    assert.equal(count(pl.col("invoice").str.startsWith("C")), 0, "cancellation");
    assert.equal(count(pl.col("invoice").str.startsWith("A")), 0, "bad debt adjustment");
    assert.equal(count(pl.col("quantity").ltEq(0).or(pl.col("quantity").isNull())), 0, "quantity");
    assert.equal(count(pl.col("unit_price").ltEq(0).or(pl.col("unit_price").isNull())), 0, "price");
    // Non-product codes, checked in JS against the configuration.
    const codes = new Set(ORI.cleaning.nonProductCodes);
    const patterns = ORI.cleaning.nonProductPatterns.map((p) => new RegExp(p));
    const stock = kept.select(pl.col("stock_code").unique()).getColumn("stock_code")
      .toArray() as (string | null)[];
    const bad = stock.filter((s) => s === null || codes.has(s) || patterns.some((p) => p.test(s)));
    assert.deepEqual(bad, []);
    // No exact duplicates among kept rows.
    const content = CANONICAL_COLUMNS.filter((c) => c !== "source_file" && c !== "source_row");
    assert.equal(kept.select(...content).unique().height, kept.height);
    // Extreme value bounds hold for kept lines.
    const b = ori().clean.report.extremeValueBounds!;
    assert.equal(count(pl.col("line_value").lt(b.low).or(pl.col("line_value").gt(b.high))), 0);
    // The two giant cancelled orders (80,995 and 74,215 units) are gone.
    assert.equal(count(pl.col("quantity").gtEq(74_215)), 0);
  },
});

Deno.test({
  name: "integration: the overlap days 2010-12-01..2010-12-09 appear once",
  ignore: !haveOri,
  fn() {
    const { kept, quarantine } = ori().clean;
    // The overlap is UK time; all of it lies in [2010-12-01, 2010-12-10) UTC (GMT in December).
    const utc = (iso: string) => pl.lit(Date.parse(iso) * 1000).cast(pl.Datetime("us", "UTC"));
    const inOverlap = pl.col("timestamp").gtEq(utc("2010-12-01T00:00:00Z"))
      .and(pl.col("timestamp").lt(utc("2010-12-10T00:00:00Z")));
    const key = ["invoice", "stock_code", "quantity", "timestamp", "unit_price", "customer_id"];
    const a = kept.filter(inOverlap.and(pl.col("source_file").eq(pl.lit(FILE_2009)))).select(
      ...key,
    );
    const b = kept.filter(inOverlap.and(pl.col("source_file").eq(pl.lit(FILE_2010)))).select(
      ...key,
    );
    // Both files really contain those days …
    const raw = pl.concat([kept, quarantine.drop("reason")]).filter(inOverlap);
    const rawA = raw.filter(pl.col("source_file").eq(pl.lit(FILE_2009))).height;
    const rawB = raw.filter(pl.col("source_file").eq(pl.lit(FILE_2010))).height;
    // (22,523 lines each: the second file repeats the first file's last nine days exactly.)
    assert.ok(rawA > 20_000, `overlap rows in the first file: ${rawA}`);
    assert.equal(rawB, rawA);
    assert.ok(a.height > 10_000, `kept from the first file: ${a.height}`);
    // Every overlap line of the second file is dropped: its twin in the first file came first.
    assert.equal(b.height, 0);
    // … but no line is kept from both.
    const both = a.unique().join(b.unique(), { on: key, how: "inner" });
    assert.equal(both.height, 0, `${both.height} overlap lines kept twice`);
    // The second file's copies went to quarantine as duplicates.
    const dupB = quarantine.filter(
      inOverlap.and(pl.col("source_file").eq(pl.lit(FILE_2010))).and(
        pl.col("reason").eq(pl.lit("duplicate")),
      ),
    ).height;
    assert.ok(dupB > 0.9 * a.height, `duplicates from the second file: ${dupB}`);
  },
});

Deno.test({
  name: "integration: Online Retail II customer count and RFM summary",
  ignore: !haveOri,
  fn() {
    const { rfm } = ori();
    // 5,839 is what the pipeline produces today. A plain clean (no customer, cancellations,
    // non-positive quantity or price, exact duplicates) gives about 5,878; ours also drops
    // non-product lines and purchases reversed by a cancellation, so customers whose every line
    // was one of those disappear.
    assert.equal(rfm.customers.height, 5_839);
    assert.equal(rfm.analysisDate, "2011-12-10");
    assert.equal(rfm.summary.firstTransaction, "2009-12-01");
    assert.equal(rfm.summary.lastTransaction, "2011-12-09");
    const ids = rfm.customers.getColumn("customer_id").toArray() as string[];
    assert.equal(new Set(ids).size, ids.length);
    // Integer-like ids only: float ids from the second file were turned into "17850"-style text.
    assert.ok(ids.every((id) => /^\d+$/.test(id)), "customer ids are integer text");
    // Scores on 1..5; every score bin used for each metric.
    for (const s of [rfm.scores.r_score, rfm.scores.f_score, rfm.scores.m_score]) {
      const used = new Set(s);
      assert.deepEqual([...used].sort(), [1, 2, 3, 4, 5]);
    }
    const segCount = (rfm.summary.segments as { customers: number }[]).reduce(
      (s, x) => s + x.customers,
      0,
    );
    assert.equal(segCount, 5_839);
  },
});

Deno.test({
  name: "integration: CDNOW — 69,659 rows in, 23,570 distinct customers before cleaning",
  ignore: !haveCdnow,
  fn() {
    const [src] = mirror(CDNOW);
    const tx = toCanonical(readSource(src.path, src.file), src.file, { timezone: CDNOW.timezone });
    assert.equal(tx.height, 69_659);
    assert.equal(tx.select(pl.col("customer_id").nUnique()).row(0)[0], 23_570);
    assert.equal(tx.filter(pl.col("timestamp").isNull()).height, 0);
    // line_value-only source: unit_price derived; synthetic invoices customer|date.
    assert.equal(tx.filter(pl.col("unit_price").isNull().and(pl.col("quantity").neq(0))).height, 0);
    const inv = tx.getColumn("invoice").toArray() as string[];
    assert.ok(inv.every((s) => /^\d+\|199[78]-\d\d-\d\d$/.test(s)), "synthetic invoices");

    const c = ingestAndClean(CDNOW, [src], quiet());
    assert.equal(c.report.total.rows_in, 69_659);
    assert.equal(c.report.total.reconciles, true);
    assert.equal(c.kept.height + c.quarantine.height, 69_659);
    // The 80 lines with a dollar value of 0 are dropped on price.
    assert.equal(c.report.total.dropped.non_positive_price, 80);
    const skipped = c.report.rules.filter((r) => !r.applied).map((r) => r.code);
    // Identical lines on the same day are genuine CDNOW purchases: the duplicate rule is off.
    assert.equal(c.report.total.dropped.duplicate, 0);
    assert.deepEqual(skipped, [
      "cancellation",
      "bad_debt_adjustment",
      "non_product",
      "duplicate",
      "cancelled_order",
    ]);
  },
});

Deno.test({
  name:
    "integration: the RFM stage without the look-back features (--until rfm) gives the same customer table, less those columns",
  ignore: !haveOri,
  fn() {
    const { clean, rfm } = ori();
    const lean = rfmStage(ORI, clean.kept, quiet(), undefined, { features: false });
    const left = rfm.customers.columns.filter((c) => !lean.customers.columns.includes(c));
    // Exactly the loyalty model's features went (returns_share needs the quarantine: not asked).
    assert.deepEqual(
      left.sort(),
      ORI.model.loyalty.features.filter((f) => f !== "returns_share").sort(),
    );
    assert.ok(left.length > 0);
    assert.ok(lean.customers.frameEqual(rfm.customers.drop(left)));
    assert.deepEqual(lean.summary, rfm.summary);
    assert.deepEqual(lean.scores, rfm.scores);
  },
});
