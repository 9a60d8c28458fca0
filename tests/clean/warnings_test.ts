/**
 * Issue #9, "nothing silently wrong", in cleaning: the cancellation and adjustment rules are
 * configuration (prefix, pattern, negative quantity, off) and rule 9 matches the cancellations so
 * defined; a configured rule that drops more than `cleaning.warnShare` of a file's lines is a
 * warning in the report and the log; a file with no line kept is a warning; a run with no line
 * kept stops with a message naming the rules that dropped the lines and how many.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { clean, type CleanResult } from "../../src/clean/clean.ts";
import { type CleaningWarning, NothingKeptError } from "../../src/clean/report.ts";
import type { CleaningConfig, MappableColumn } from "../../src/config/dataset.ts";
import { ingestAndClean } from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import {
  cleaningConfig,
  dataset,
  FULL_FILE_COLUMNS,
  type JsonObject,
} from "../fixtures/configs.ts";

/** One canonical line: invoice, stock code, quantity, price, customer, day (2023-03-DD). */
type Line = [inv: string, sc: string, q: number, p: number, c: string | null, day: number];

/** A canonical table of the lines of each file, in file order. */
function table(files: Record<string, Line[]>): pl.DataFrame {
  const rows = Object.entries(files).flatMap(([file, lines]) =>
    lines.map(([inv, sc, q, p, c, day], i) => ({ file, row: i + 1, inv, sc, q, p, c, day }))
  );
  return pl.DataFrame({
    invoice: pl.Series("invoice", rows.map((r) => r.inv), pl.Utf8),
    stock_code: pl.Series("stock_code", rows.map((r) => r.sc), pl.Utf8),
    description: pl.Series("description", rows.map(() => null), pl.Utf8),
    quantity: pl.Series("quantity", rows.map((r) => r.q), pl.Int64),
    timestamp: pl.Series(
      "timestamp",
      rows.map((r) => new Date(Date.UTC(2023, 2, r.day, 10))),
      pl.Datetime("ms"),
    ),
    unit_price: pl.Series("unit_price", rows.map((r) => r.p), pl.Float64),
    line_value: pl.Series("line_value", rows.map((r) => r.q * r.p), pl.Float64),
    customer_id: pl.Series("customer_id", rows.map((r) => r.c), pl.Utf8),
    country: pl.Series("country", rows.map(() => "US"), pl.Utf8),
    source_file: pl.Series("source_file", rows.map((r) => r.file), pl.Utf8),
    source_row: pl.Series("source_row", rows.map((r) => r.row), pl.Int64),
  }).withColumns(pl.col("timestamp").cast(pl.Datetime("us")).dt.replaceTimeZone("UTC"));
}

/** Cleans `files` with the cleaning JSON `json` (validated; no outlier rule), collecting warnings. */
function run(
  files: Record<string, Line[]>,
  json: JsonObject = {},
): CleanResult & { logged: string[] } {
  const logged: string[] = [];
  const cfg: CleaningConfig = cleaningConfig({
    outliers: { logValueMadMultiplier: null },
    ...json,
  });
  const all = new Set<MappableColumn>(FULL_FILE_COLUMNS);
  const r = clean(table(files), cfg, {
    provided: Object.fromEntries(Object.keys(files).map((f) => [f, all])),
    rowsRead: Object.fromEntries(Object.entries(files).map(([f, l]) => [f, l.length])),
    warn: (m) => logged.push(m),
  });
  return { ...r, logged };
}

/** Reason per row, `file#row` in source order (null when kept). */
function reasons(r: CleanResult): Record<string, string | null> {
  const rows = [
    ...r.kept.select("source_file", "source_row").toRecords().map((x) => ({ ...x, reason: null })),
    ...r.quarantine.select("source_file", "source_row", "reason").toRecords(),
  ] as { source_file: string; source_row: number; reason: string | null }[];
  rows.sort((a, b) =>
    a.source_file.localeCompare(b.source_file) || Number(a.source_row) - Number(b.source_row)
  );
  return Object.fromEntries(rows.map((x) => [`${x.source_file}#${x.source_row}`, x.reason]));
}

/** Runs `fn`, asserting that it throws a NothingKeptError; returns it. */
function nothingKept(fn: () => unknown): NothingKeptError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof NothingKeptError, `expected a NothingKeptError, got ${e}`);
    return e;
  }
  assert.fail("expected a NothingKeptError");
}

/**
 * A US store's export: order ids start with "CA-" (California) for 10 of 12 lines, which the
 * default rule ("starts with C") takes for cancellations. Line 12 is a real return of line 11.
 */
const US_STORE: Line[] = [
  ["CA-2016-152156", "FUR-BO-10001798", 2, 130.98, "CG-12520", 1],
  ["CA-2016-152156", "FUR-CH-10000454", 3, 243.98, "CG-12520", 1],
  ["CA-2016-138688", "OFF-LA-10000240", 2, 7.31, "DV-13045", 2],
  ["CA-2015-108966", "FUR-TA-10000577", 5, 191.52, "SO-20335", 3],
  ["CA-2015-108966", "OFF-ST-10000760", 2, 11.18, "SO-20335", 3],
  ["CA-2014-115812", "FUR-FU-10001487", 7, 6.98, "BH-11710", 4],
  ["CA-2014-115812", "OFF-AR-10002833", 4, 1.82, "BH-11710", 4],
  ["CA-2014-115812", "TEC-PH-10002275", 6, 151.97, "BH-11710", 4],
  ["CA-2014-115812", "OFF-BI-10003910", 3, 6.13, "BH-11710", 4],
  ["CA-2014-115812", "OFF-AP-10002892", 5, 22.74, "BH-11710", 4],
  ["US-2015-118983", "OFF-AP-10002311", 3, 22.74, "HP-14815", 5],
  ["US-2015-118984", "OFF-AP-10002311", -3, 22.74, "HP-14815", 6],
];

Deno.test("cancellation rule: order ids starting with CA- under the default rule warn loudly", () => {
  const r = run({ "orders.csv": US_STORE });
  const got = reasons(r);
  // Today's behaviour, unchanged: 10 of 12 lines are "cancellations" …
  for (let i = 1; i <= 10; i++) assert.equal(got[`orders.csv#${i}`], "cancellation", `row ${i}`);
  assert.equal(got["orders.csv#11"], null);
  assert.equal(got["orders.csv#12"], "non_positive_quantity");
  assert.equal(r.report.files[0].dropped.cancellation, 10);
  // … but no longer silently: a warning in the report (cleaning.json) …
  const message = "orders.csv: rule cancellation dropped 10 of 12 lines (83.3 %), more than " +
    "cleaning.warnShare (10 %). The rule reads: Cancellation line: the invoice number starts " +
    'with "C"; the first such line has invoice "CA-2016-152156". If that is not what these ' +
    "lines are, set cleaning.cancellation.";
  assert.deepEqual(r.report.warnings, [
    {
      kind: "rule_share",
      rule: "cancellation",
      file: "orders.csv",
      lines: 10,
      rowsIn: 12,
      share: 10 / 12,
      threshold: 0.1,
      check: "cleaning.cancellation",
      example: '"CA-2016-152156"',
      message,
    } satisfies CleaningWarning,
  ]);
  // … and in the build log.
  assert.deepEqual(r.logged, [message]);
});

Deno.test("cancellation rule: negative-quantity, pattern and off, each with rule 9 on the same lines", () => {
  // Negative quantity: the CA- orders are purchases; line 12 is the cancellation, and rule 9
  // drops the purchase it reverses exactly (line 11).
  const neg = run({ "orders.csv": US_STORE }, { cancellation: { rule: "negative-quantity" } });
  const expected: Record<string, string | null> = {};
  for (let i = 1; i <= 10; i++) expected[`orders.csv#${i}`] = null;
  expected["orders.csv#11"] = "cancelled_order";
  expected["orders.csv#12"] = "cancellation";
  assert.deepEqual(reasons(neg), expected);
  assert.deepEqual(neg.report.cancelledOrders, { lines: 1, value: 3 * 22.74 });
  assert.deepEqual(neg.report.unmatchedReturns, { lines: 0, value: 0 });
  assert.deepEqual(neg.report.warnings, []);
  assert.deepEqual(neg.logged, []);
  const rule = (r: CleanResult, code: string) => r.report.rules.find((x) => x.code === code)!;
  assert.equal(
    rule(neg, "cancellation").description,
    "Cancellation line: the quantity is negative",
  );
  assert.deepEqual(rule(neg, "cancellation").needs, ["quantity"]);
  assert.deepEqual(rule(neg, "cancelled_order").needs, ["quantity", "stock_code"]);

  // A pattern: returns are invoices "US-…-118984" here; the other lines are purchases.
  const pat = run({ "orders.csv": US_STORE }, {
    cancellation: { rule: "pattern", pattern: "-118984$" },
  });
  assert.deepEqual(reasons(pat), expected);
  assert.equal(
    rule(pat, "cancellation").description,
    'Cancellation line: the invoice number matches the regular expression "-118984$"',
  );

  // Off: no line is a cancellation; the return fails on its quantity, rule 9 does not run.
  const off = run({ "orders.csv": US_STORE }, { cancellation: { rule: "off" } });
  assert.deepEqual(reasons(off), {
    ...expected,
    "orders.csv#11": null,
    "orders.csv#12": "non_positive_quantity",
  });
  assert.deepEqual(
    [rule(off, "cancellation").applied, rule(off, "cancellation").skippedBecause],
    [false, 'turned off in configuration (cleaning.cancellation.rule is "off")'],
  );
  assert.deepEqual(
    [rule(off, "cancelled_order").applied, rule(off, "cancelled_order").skippedBecause],
    [
      false,
      'no cancellation lines to match: the cancellation rule is off (cleaning.cancellation.rule is "off")',
    ],
  );
  assert.deepEqual(off.report.unmatchedReturns, { lines: 0, value: 0 });
});

Deno.test("cancellation rule: a prefix other than C, and the default prefix C reproduces today's rule", () => {
  const lines: Line[] = [
    ["1001", "P1", 2, 5, "u1", 1],
    ["R-1001", "P1", -2, 5, "u1", 2], // a return under prefix "R-"
    ["C1002", "P2", 1, 4, "u2", 3], // "C…": an order id for this shop
    ["A1003", "P3", 1, -9, "u2", 3], // bad-debt adjustment (default prefix A)
  ];
  const r = run({ "a.csv": lines }, { cancellation: { rule: "prefix", prefix: "R-" } });
  assert.deepEqual(reasons(r), {
    "a.csv#1": "cancelled_order",
    "a.csv#2": "cancellation",
    "a.csv#3": null,
    "a.csv#4": "bad_debt_adjustment",
  });
  // The default: C is the cancellation, the R- line fails on quantity, the purchase is kept.
  const d = run({ "a.csv": lines }, { warnShare: 1 });
  assert.deepEqual(reasons(d), {
    "a.csv#1": null,
    "a.csv#2": "non_positive_quantity",
    "a.csv#3": "cancellation",
    "a.csv#4": "bad_debt_adjustment",
  });
  assert.equal(
    d.report.rules.find((x) => x.code === "cancellation")!.description,
    'Cancellation line: the invoice number starts with "C"',
  );
});

Deno.test("adjustment rule: a configured prefix, a pattern, or off", () => {
  const lines: Line[] = [
    ["1", "P1", 1, 5, "u1", 1],
    ["ADJ-7", "P9", 1, 30, "u1", 2],
    ["A8", "P2", 1, 6, "u2", 2], // an ordinary order id for this shop
  ];
  const files = { "a.csv": lines };
  assert.deepEqual(reasons(run(files, { adjustment: { rule: "prefix", prefix: "ADJ-" } })), {
    "a.csv#1": null,
    "a.csv#2": "bad_debt_adjustment",
    "a.csv#3": null,
  });
  assert.deepEqual(reasons(run(files, { adjustment: { rule: "pattern", pattern: "^ADJ" } })), {
    "a.csv#1": null,
    "a.csv#2": "bad_debt_adjustment",
    "a.csv#3": null,
  });
  const off = run(files, { adjustment: { rule: "off" } });
  assert.deepEqual(reasons(off), { "a.csv#1": null, "a.csv#2": null, "a.csv#3": null });
  assert.equal(
    off.report.rules.find((x) => x.code === "bad_debt_adjustment")!.skippedBecause,
    'turned off in configuration (cleaning.adjustment.rule is "off")',
  );
  // The default (prefix A) also drops the A8 order: 2 of 3 lines, a warning.
  const d = run(files);
  assert.equal(reasons(d)["a.csv#3"], "bad_debt_adjustment");
  assert.deepEqual(d.report.warnings.map((w) => [w.rule, w.lines, w.rowsIn, w.example]), [
    ["bad_debt_adjustment", 2, 3, '"ADJ-7"'],
  ]);
});

Deno.test("warnShare: a warning only above the threshold, per file, for the configured rules", () => {
  const purchases = (n: number, file = "x"): Line[] =>
    Array.from({ length: n }, (_, i) => [`${file}${i}`, `P${i}`, 1, 2, "u1", 1]);
  // 1 cancellation of 10 lines = exactly 10 %: not more than 0.1, no warning.
  const ten = { "a.csv": [...purchases(9), ["C1", "P0", -1, 2, "u1", 2]] as Line[] };
  assert.deepEqual(run(ten).report.warnings, []);
  // 2 of 10 = 20 %: a warning at the default 0.1, none at 0.25.
  const twenty = {
    "a.csv": [...purchases(8), ["C1", "P0", -1, 2, "u1", 2], [
      "C2",
      "P1",
      -1,
      2,
      "u1",
      2,
    ]] as Line[],
  };
  assert.deepEqual(run(twenty).report.warnings.map((w) => [w.file, w.share, w.threshold]), [
    ["a.csv", 0.2, 0.1],
  ]);
  assert.deepEqual(run(twenty, { warnShare: 0.25 }).report.warnings, []);
  // warnShare 0: any line dropped by a configured rule is reported; non-product too.
  const zero = run(ten, { warnShare: 0, nonProductCodes: ["P5"] });
  assert.deepEqual(zero.report.warnings.map((w) => [w.rule, w.lines, w.check, w.example]), [
    ["cancellation", 1, "cleaning.cancellation", '"C1"'],
    ["non_product", 1, "cleaning.nonProductCodes and cleaning.nonProductPatterns", '"P5"'],
  ]);
  // Per file: b.csv (all cancellations but one) warns, a.csv does not.
  const two = run({
    "a.csv": purchases(10),
    "b.csv": [["C1", "P0", -1, 2, "u1", 2], ["C2", "P1", -1, 2, "u1", 2], [
      "1",
      "P1",
      1,
      2,
      "u2",
      2,
    ]],
  });
  assert.deepEqual(two.report.warnings.map((w) => [w.kind, w.file, w.lines, w.rowsIn]), [
    ["rule_share", "b.csv", 2, 3],
  ]);
  // Rules that are not configuration (missing customer …) never warn on their share.
  const noCustomer = run({ "a.csv": [...purchases(2), ["9", "P9", 1, 2, null, 1]] });
  assert.deepEqual(noCustomer.report.warnings, []);
});

Deno.test("a file none of whose lines is kept is a warning naming the rules and counts", () => {
  const r = run({
    "a.csv": [["1", "P1", 1, 5, "u1", 1], ["2", "P2", 1, 5, "u2", 1]],
    "b.csv": [
      ["3", "P1", 1, 5, null, 1],
      ["4", "P1", 1, 5, null, 1],
      ["5", "P1", 1, 5, null, 2],
      ["C6", "P1", -1, 5, "u3", 2],
    ],
  }, { warnShare: 1 });
  assert.equal(r.kept.height, 2);
  assert.deepEqual(r.report.warnings, [
    {
      kind: "all_dropped",
      rule: "missing_customer",
      file: "b.csv",
      lines: 3,
      rowsIn: 4,
      share: 0.75,
      threshold: null,
      check: "check the column mapping of customer_id",
      example: null,
      message:
        "b.csv: all 4 rows were dropped: missing_customer 3, cancellation 1 — check the column mapping of customer_id",
    } satisfies CleaningWarning,
  ]);
  assert.deepEqual(r.logged, [r.report.warnings[0].message]);
});

Deno.test("nothing kept: the error names the rules that dropped the lines, and how many", () => {
  // 4 lines without a customer (a wrong customer_id mapping), 1 cancellation.
  const lines: Line[] = [
    ["1", "P1", 1, 5, null, 1],
    ["2", "P1", 1, 5, null, 1],
    ["3", "P2", 2, 5, null, 2],
    ["4", "P2", 2, 5, null, 2],
    ["C5", "P2", -2, 5, "u1", 3],
  ];
  const e = nothingKept(() => run({ "a.csv": lines }, { warnShare: 1 }));
  assert.equal(
    e.message,
    "all 5 rows were dropped, so there is nothing to analyse: missing_customer 4, " +
      "cancellation 1 — check the column mapping of customer_id",
  );
  assert.deepEqual([e.report.total.rows_in, e.report.total.rows_kept], [5, 0]);

  // Several files: the total, then each file.
  const e2 = nothingKept(() =>
    run({ "a.csv": lines.slice(0, 2), "b.csv": lines.slice(4) }, { warnShare: 1 })
  );
  assert.equal(
    e2.message,
    "all 3 rows were dropped, so there is nothing to analyse: missing_customer 2, " +
      "cancellation 1 — check the column mapping of customer_id\n" +
      "  a.csv: 2 rows: missing_customer 2\n" +
      "  b.csv: 1 row: cancellation 1",
  );

  // Dropped mostly by a configured rule: the hint shows the rule as configured.
  const e3 = nothingKept(() => run({ "a.csv": US_STORE.slice(0, 10) }, { warnShare: 1 }));
  assert.equal(
    e3.message,
    "all 10 rows were dropped, so there is nothing to analyse: cancellation 10 — check " +
      "cleaning.cancellation (which lines are cancellations); the rule now reads: Cancellation " +
      'line: the invoice number starts with "C"',
  );
});

Deno.test("nothing kept, through the pipeline: the clear error comes before RFM's analysis date", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rfm-nothing-kept-" });
  try {
    // The customer column is mapped to a column that is empty on every line.
    await Deno.writeTextFile(
      join(dir, "shop.csv"),
      "order,item,qty,at,price,buyer,account\n" +
        "1,P1,2,2023-03-01 10:00:00,5,,u1\n" +
        "2,P2,1,2023-03-02 11:00:00,4,,u2\n" +
        "C3,P2,-1,2023-03-03 12:00:00,4,,u2\n",
    );
    const ds = dataset({
      id: "shop",
      files: [{
        name: "shop.csv",
        format: "csv",
        columns: {
          invoice: "order",
          stock_code: "item",
          quantity: "qty",
          timestamp: "at",
          unit_price: "price",
          customer_id: "buyer",
        },
      }],
    }, dir);
    let caught: unknown;
    try {
      ingestAndClean(
        ds,
        [{ file: ds.files[0], path: join(dir, "shop.csv") }],
        new Progress(() => {}),
      );
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof NothingKeptError, `got ${caught}`);
    assert.equal(
      caught.message,
      "all 3 rows were dropped, so there is nothing to analyse: missing_customer 3 — " +
        "check the column mapping of customer_id",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
