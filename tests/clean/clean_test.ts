/**
 * Tests of the cleaning rules (src/clean/) on hand-built canonical tables: one row failing each
 * rule, first-failing-rule-wins, duplicates and overlaps, cancelled-order matching, the extreme
 * value bounds, skipped rules, and the reconciliation report (including a planted lost row).
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { clean, type CleanOptions, type CleanResult } from "../../src/clean/clean.ts";
import { assertReconciles, ReconciliationError } from "../../src/clean/report.ts";
import { RULES, timestampLimits } from "../../src/clean/rules.ts";
import { defaultAnalysisDate } from "../../src/rfm/rfm.ts";
import type { CleaningConfig, MappableColumn } from "../../src/config/dataset.ts";
import { CANONICAL_COLUMNS } from "../../src/config/schema.ts";
import { cleaningConfig, FULL_FILE_COLUMNS } from "../fixtures/configs.ts";

/** One canonical line, as written in the tests (UTC ISO timestamp, null where absent). */
interface Line {
  file?: string;
  inv: string;
  sc: string | null;
  q: number;
  p: number | null;
  c: string | null;
  ts: string | null;
  desc?: string | null;
  country?: string;
}

/** A canonical table from lines; source_row counts per file in the given order. */
function table(lines: Line[]): pl.DataFrame {
  const rowOf = new Map<string, number>();
  const rows = lines.map((l) => {
    const file = l.file ?? "a.csv";
    const r = (rowOf.get(file) ?? 0) + 1;
    rowOf.set(file, r);
    return { ...l, file, row: r };
  });
  return pl.DataFrame({
    invoice: pl.Series("invoice", rows.map((r) => r.inv), pl.Utf8),
    stock_code: pl.Series("stock_code", rows.map((r) => r.sc), pl.Utf8),
    description: pl.Series("description", rows.map((r) => r.desc ?? null), pl.Utf8),
    quantity: pl.Series("quantity", rows.map((r) => r.q), pl.Int64),
    timestamp: pl.Series(
      "timestamp",
      rows.map((r) => (r.ts ? new Date(r.ts + "Z") : null)),
      pl.Datetime("ms"),
    ),
    unit_price: pl.Series("unit_price", rows.map((r) => r.p), pl.Float64),
    line_value: pl.Series(
      "line_value",
      rows.map((r) => (r.p === null ? null : r.q * r.p)),
      pl.Float64,
    ),
    customer_id: pl.Series("customer_id", rows.map((r) => r.c), pl.Utf8),
    country: pl.Series("country", rows.map((r) => r.country ?? "United Kingdom"), pl.Utf8),
    source_file: pl.Series("source_file", rows.map((r) => r.file), pl.Utf8),
    source_row: pl.Series("source_row", rows.map((r) => r.row), pl.Int64),
  }).withColumns(pl.col("timestamp").cast(pl.Datetime("us")).dt.replaceTimeZone("UTC"));
}

const ALL = new Set(FULL_FILE_COLUMNS);

/** The tests' cleaning configuration: codes POST and M, pattern ^gift_, m = 2 (validated). */
function cfg(
  over: Partial<CleaningConfig["outliers"]> = {},
  codes = ["POST", "M"],
  patterns = ["^gift_"],
): CleaningConfig {
  return cleaningConfig({
    nonProductCodes: codes,
    nonProductPatterns: patterns,
    outliers: { logValueMadMultiplier: 2, ...over },
  });
}

/**
 * Options of `clean` for a table made from `lines`: the columns each file provides (default:
 * every file of the lines provides all), and the rows read per file, counted from the lines as
 * ingest counts a source file's rows.
 */
function opts(lines: Line[], provided?: Record<string, Set<MappableColumn>>): CleanOptions {
  const files = [...new Set(lines.map((l) => l.file ?? "a.csv"))];
  const p = provided ?? Object.fromEntries(files.map((f) => [f, ALL]));
  const rowsRead: Record<string, number> = Object.fromEntries(Object.keys(p).map((f) => [f, 0]));
  for (const l of lines) rowsRead[l.file ?? "a.csv"] = (rowsRead[l.file ?? "a.csv"] ?? 0) + 1;
  // Warnings are in the report (asserted in warnings_test.ts); keep the test log quiet.
  return { provided: p, rowsRead, warn: () => {} };
}

/** "file#row" → reason (null when kept). */
function reasons(r: CleanResult): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const x of r.kept.select("source_file", "source_row").toRecords()) {
    out.set(`${x.source_file}#${x.source_row}`, null);
  }
  for (const x of r.quarantine.select("source_file", "source_row", "reason").toRecords()) {
    const key = `${x.source_file}#${x.source_row}`;
    assert.ok(!out.has(key), `${key} appears twice`);
    out.set(key, x.reason as string);
  }
  return out;
}

/** Every input row appears exactly once in kept ∪ quarantine, and the report reconciles. */
function assertPartition(tx: pl.DataFrame, r: CleanResult): void {
  assert.equal(r.kept.height + r.quarantine.height, tx.height);
  const seen = new Set<string>();
  for (const df of [r.kept, r.quarantine]) {
    for (const x of df.select("source_file", "source_row").toRecords()) {
      const k = `${x.source_file}#${x.source_row}`;
      assert.ok(!seen.has(k), `${k} appears more than once`);
      seen.add(k);
    }
  }
  for (const x of tx.select("source_file", "source_row").toRecords()) {
    assert.ok(
      seen.has(`${x.source_file}#${x.source_row}`),
      `${x.source_file}#${x.source_row} is lost`,
    );
  }
  const all = [...r.report.files, r.report.total];
  for (const f of all) {
    const sum = Object.values(f.dropped).reduce((s, n) => s + n, 0);
    assert.equal(f.rows_in, f.rows_kept + sum, `${f.file} does not reconcile`);
    assert.equal(f.rows_dropped, sum);
    assert.equal(f.reconciles, true);
    assert.deepEqual(Object.keys(f.dropped), RULES.map((x) => x.code));
  }
  assert.equal(r.report.total.rows_in, tx.height);
  assert.equal(r.report.total.rows_kept, r.kept.height);
  assert.equal(r.report.total.rows_dropped, r.quarantine.height);
  for (const code of RULES.map((x) => x.code)) {
    assert.equal(
      r.report.total.dropped[code],
      r.report.files.reduce((s, f) => s + f.dropped[code], 0),
      `total of ${code}`,
    );
  }
}

/**
 * The main hand-built table: a.csv rows 1–26 and b.csv rows 1–2 (b overlaps a on one line).
 * Kept line values are 1, 10 or 100 (three each), so log10 values are 0, 1, 2 and the extreme
 * value bounds are computable by hand.
 */
const MAIN: Line[] = [
  // 1–6: kept
  { inv: "100", sc: "P1", q: 1, p: 1, c: "c1", ts: "2011-01-03T10:00:00" },
  { inv: "100", sc: "P2", q: 1, p: 1, c: "c1", ts: "2011-01-03T10:00:00" },
  { inv: "101", sc: "P1", q: 10, p: 1, c: "c2", ts: "2011-01-04T11:00:00", desc: "mug" },
  { inv: "101", sc: "MX", q: 1, p: 1, c: "c2", ts: "2011-01-04T11:00:00" }, // "MX" is not code "M"
  { inv: "101", sc: "P1", q: 10, p: 1, c: "c2", ts: "2011-01-04T11:00:00", desc: "mug (red)" }, // near-duplicate of 3
  { inv: "102", sc: "P3", q: 10, p: 10, c: "c3", ts: "2011-01-05T09:00:00" },
  // 7: fails bad_timestamp, missing_customer, cancellation, non_positive_quantity → bad_timestamp
  { inv: "C900", sc: "P1", q: -1, p: 1, c: null, ts: null },
  // 8: fails missing_customer and non_positive_quantity → missing_customer
  { inv: "110", sc: "P1", q: -2, p: 1, c: null, ts: "2011-01-05T12:00:00" },
  // 9: non_product (POST); a purchase the cancellation on row 10 would match if it were eligible
  { inv: "111", sc: "POST", q: 1, p: 10, c: "c7", ts: "2011-01-06T09:00:00" },
  // 10: cancellation (also non_product and non_positive_quantity)
  { inv: "C200", sc: "POST", q: -1, p: 10, c: "c7", ts: "2011-01-06T10:00:00" },
  // 11: bad_debt_adjustment (also non_positive_price)
  { inv: "A300", sc: "ADJ", q: 1, p: -50, c: "c7", ts: "2011-01-06T11:00:00" },
  // 12–14: non_product (pattern; null stock code with qty 0; code M with qty 0)
  { inv: "112", sc: "gift_0001_20", q: 1, p: 20, c: "c7", ts: "2011-01-06T12:00:00" },
  { inv: "112", sc: null, q: 0, p: 1, c: "c7", ts: "2011-01-06T12:00:00" },
  { inv: "112", sc: "M", q: 0, p: 1, c: "c7", ts: "2011-01-06T12:00:00" },
  // 15: non_positive_quantity (also non_positive_price)
  { inv: "113", sc: "P1", q: 0, p: 0, c: "c7", ts: "2011-01-07T09:00:00" },
  // 16–17: non_positive_price (zero, missing)
  { inv: "113", sc: "P2", q: 1, p: 0, c: "c7", ts: "2011-01-07T09:00:00" },
  { inv: "113", sc: "P3", q: 1, p: null, c: "c7", ts: "2011-01-07T09:00:00" },
  // 18: exact duplicate of row 3 → duplicate
  { inv: "101", sc: "P1", q: 10, p: 1, c: "c2", ts: "2011-01-04T11:00:00", desc: "mug" },
  // 19–20: purchase reversed exactly by a later cancellation → cancelled_order, cancellation
  { inv: "103", sc: "P6", q: 5, p: 2, c: "c4", ts: "2011-01-05T10:00:00" },
  { inv: "C201", sc: "P6", q: -5, p: 2, c: "c4", ts: "2011-01-06T10:00:00" },
  // 21–22: a cancellation BEFORE the purchase does not match; the purchase is kept
  { inv: "C202", sc: "P7", q: -10, p: 10, c: "c5", ts: "2011-01-02T10:00:00" },
  { inv: "104", sc: "P7", q: 10, p: 10, c: "c5", ts: "2011-01-07T10:00:00" },
  // 23–24: partial return (4 of 10) does not match; the purchase is kept
  { inv: "105", sc: "P8", q: 10, p: 1, c: "c6", ts: "2011-01-03T10:00:00" },
  { inv: "C203", sc: "P8", q: -4, p: 1, c: "c6", ts: "2011-01-08T10:00:00" },
  // 25–26: extreme values (1e5 and 0.001)
  { inv: "106", sc: "P9", q: 1000, p: 100, c: "c8", ts: "2011-01-09T10:00:00" },
  { inv: "107", sc: "P10", q: 1, p: 0.001, c: "c8", ts: "2011-01-09T11:00:00" },
  // b.csv 1: the same line as a.csv row 6 (overlapping files) → duplicate; 2: kept
  { file: "b.csv", inv: "102", sc: "P3", q: 10, p: 10, c: "c3", ts: "2011-01-05T09:00:00" },
  { file: "b.csv", inv: "102", sc: "P4", q: 100, p: 1, c: "c3", ts: "2011-01-05T09:00:00" },
];

const EXPECTED: Record<string, string | null> = {
  "a.csv#1": null,
  "a.csv#2": null,
  "a.csv#3": null,
  "a.csv#4": null,
  "a.csv#5": null,
  "a.csv#6": null,
  "a.csv#7": "bad_timestamp",
  "a.csv#8": "missing_customer",
  "a.csv#9": "non_product",
  "a.csv#10": "cancellation",
  "a.csv#11": "bad_debt_adjustment",
  "a.csv#12": "non_product",
  "a.csv#13": "non_product",
  "a.csv#14": "non_product",
  "a.csv#15": "non_positive_quantity",
  "a.csv#16": "non_positive_price",
  "a.csv#17": "non_positive_price",
  "a.csv#18": "duplicate",
  "a.csv#19": "cancelled_order",
  "a.csv#20": "cancellation",
  "a.csv#21": "cancellation",
  "a.csv#22": null,
  "a.csv#23": null,
  "a.csv#24": "cancellation",
  "a.csv#25": "extreme_value",
  "a.csv#26": "extreme_value",
  "b.csv#1": "duplicate",
  "b.csv#2": null,
};

const PROVIDED = opts(MAIN);

Deno.test("clean: rules apply in the documented order — each row gets the first rule it fails", () => {
  const T = "2011-01-03T10:00:00";
  // Each line fails the rules from some point on; dropping one condition at a time exposes the
  // next rule, so the reasons below spell out the order of rules 1–8.
  const lines: Line[] = [
    { inv: "C1", sc: "POST", q: -1, p: 0, c: null, ts: null }, // fails 1, 2, 3, 5, 6, 7
    { inv: "C1", sc: "POST", q: -1, p: 0, c: null, ts: T }, // 2, 3, 5, 6, 7
    { inv: "C1", sc: "POST", q: -1, p: 0, c: "u", ts: T }, // 3, 5, 6, 7
    { inv: "A1", sc: "POST", q: -1, p: 0, c: "u", ts: T }, // 4, 5, 6, 7
    { inv: "1", sc: "POST", q: -1, p: 0, c: "u", ts: T }, // 5, 6, 7
    { inv: "1", sc: "K", q: -1, p: 0, c: "u", ts: T }, // 6, 7
    { inv: "1", sc: "K", q: 1, p: 0, c: "u", ts: T }, // 7
    { inv: "1", sc: "K", q: 1, p: 0, c: "u", ts: T }, // 7 and 8 (a copy of the line above)
    { inv: "2", sc: "K", q: 1, p: 5, c: "u", ts: T }, // none: kept
    { inv: "2", sc: "K", q: 1, p: 5, c: "u", ts: T }, // 8 (a copy of the line above)
    { inv: "C1", sc: "POST", q: -1, p: 0, c: null, ts: null }, // 1 and 8 (a copy of the first)
  ];
  const tx = table(lines);
  const r = clean(tx, cfg({ logValueMadMultiplier: null }), opts(lines));
  assertPartition(tx, r);
  const got = reasons(r);
  assert.deepEqual(lines.map((_, i) => got.get(`a.csv#${i + 1}`)), [
    "bad_timestamp",
    "missing_customer",
    "cancellation",
    "bad_debt_adjustment",
    "non_product",
    "non_positive_quantity",
    "non_positive_price",
    "non_positive_price",
    null,
    "duplicate",
    "bad_timestamp",
  ]);
  // The report lists the rules in that order of application, numbered.
  assert.deepEqual(r.report.rules.map((x) => `${x.order} ${x.code}`), [
    "1 ragged_row",
    "2 truncated_line",
    "3 bad_timestamp",
    "4 future_timestamp",
    "5 implausible_timestamp",
    "6 missing_customer",
    "7 cancellation",
    "8 bad_debt_adjustment",
    "9 non_product",
    "10 non_positive_quantity",
    "11 non_positive_price",
    "12 duplicate",
    "13 cancelled_order",
    "14 extreme_value",
  ]);
});

Deno.test("clean: every rule drops its row, and a row failing several rules gets the first reason", () => {
  const tx = table(MAIN);
  const r = clean(tx, cfg(), PROVIDED);
  assertPartition(tx, r);
  assert.deepEqual(Object.fromEntries(reasons(r)), EXPECTED);
  // Every rule applied.
  for (const rule of r.report.rules) {
    assert.equal(rule.applied, true, rule.code);
    assert.equal(rule.skippedBecause, null);
  }
  assert.deepEqual(r.report.rules.map((x) => x.order), RULES.map((_, i) => i + 1));
  assert.equal(RULES.length, 14);
  // Kept and quarantine: canonical columns (+ reason), source order.
  assert.deepEqual(r.kept.columns, [...CANONICAL_COLUMNS]);
  assert.deepEqual(r.quarantine.columns, [...CANONICAL_COLUMNS, "reason"]);
  assert.deepEqual(
    r.kept.select("source_file", "source_row").toRecords().map((x) =>
      `${x.source_file}#${x.source_row}`
    ),
    [
      "a.csv#1",
      "a.csv#2",
      "a.csv#3",
      "a.csv#4",
      "a.csv#5",
      "a.csv#6",
      "a.csv#22",
      "a.csv#23",
      "b.csv#2",
    ],
  );
});

Deno.test("clean: reconciliation per file and total, with exact counts per reason", () => {
  const tx = table(MAIN);
  const r = clean(tx, cfg(), PROVIDED);
  const [a, b] = r.report.files;
  assert.equal(a.file, "a.csv");
  assert.equal(b.file, "b.csv");
  assert.deepEqual(
    { in: a.rows_in, kept: a.rows_kept, dropped: a.rows_dropped },
    { in: 26, kept: 8, dropped: 18 },
  );
  assert.deepEqual(a.dropped, {
    ragged_row: 0,
    truncated_line: 0,
    bad_timestamp: 1,
    future_timestamp: 0,
    implausible_timestamp: 0,
    missing_customer: 1,
    cancellation: 4,
    bad_debt_adjustment: 1,
    non_product: 4,
    non_positive_quantity: 1,
    non_positive_price: 2,
    duplicate: 1,
    cancelled_order: 1,
    extreme_value: 2,
  });
  assert.deepEqual({ in: b.rows_in, kept: b.rows_kept, dropped: b.rows_dropped }, {
    in: 2,
    kept: 1,
    dropped: 1,
  });
  assert.equal(b.dropped.duplicate, 1);
  assert.equal(r.report.total.file, "total");
  assert.deepEqual(
    {
      in: r.report.total.rows_in,
      kept: r.report.total.rows_kept,
      dropped: r.report.total.rows_dropped,
    },
    { in: 28, kept: 9, dropped: 19 },
  );
  assert.equal(r.report.total.dropped.duplicate, 2);
});

Deno.test("clean: cancelled orders and unmatched returns are reported with their values", () => {
  const r = clean(table(MAIN), cfg(), PROVIDED);
  // Row 19 (5 × 2) reversed by C201.
  assert.deepEqual(r.report.cancelledOrders, { lines: 1, value: 10 });
  // C200 (POST, its purchase is non_product), C202 (before the purchase), C203 (partial).
  assert.equal(r.report.unmatchedReturns.lines, 3);
  assert.ok(Math.abs(r.report.unmatchedReturns.value - (10 + 100 + 4)) < 1e-9);
});

Deno.test("clean: extreme value bounds are median ± m·MAD of log10(line value), by hand", () => {
  const r = clean(table(MAIN), cfg(), PROVIDED);
  // Surviving log10 values: 0,0,0, 1,1,1, 2,2,2, 5 (1e5), −3 (0.001). Median 1; absolute
  // deviations 1,1,1,0,0,0,1,1,1,4,4 → median 1 → MAD = 1.4826. m = 2 → 1 ± 2.9652.
  const b = r.report.extremeValueBounds!;
  assert.ok(b !== null);
  const close = (x: number, y: number) => Math.abs(x - y) < 1e-9 * Math.max(1, Math.abs(y));
  assert.ok(close(b.medianLog10, 1), `median ${b.medianLog10}`);
  assert.ok(close(b.madLog10, 1.4826), `mad ${b.madLog10}`);
  assert.ok(close(b.low, 10 ** (1 - 2 * 1.4826)), `low ${b.low}`);
  assert.ok(close(b.high, 10 ** (1 + 2 * 1.4826)), `high ${b.high}`);
  // Every kept line lies inside; both dropped lines outside.
  for (const v of r.kept.getColumn("line_value").toArray() as number[]) {
    assert.ok(v >= b.low && v <= b.high);
  }
  const ext = r.quarantine.filter(pl.col("reason").eq(pl.lit("extreme_value")));
  assert.deepEqual((ext.getColumn("line_value").toArray() as number[]).sort((x, y) => x - y), [
    0.001,
    100000,
  ]);

  // With the default m = 8 the same lines survive (8 × 1.4826 ≈ 11.9 decades).
  const loose = clean(table(MAIN), cfg({ logValueMadMultiplier: 8 }), PROVIDED);
  assert.equal(loose.report.total.dropped.extreme_value, 0);
  assert.ok(close(loose.report.extremeValueBounds!.high, 10 ** (1 + 8 * 1.4826)));
});

Deno.test("clean: exact duplicates — first occurrence kept, later copies dropped, near-duplicates kept", () => {
  const lines: Line[] = [
    { inv: "1", sc: "K", q: 2, p: 3, c: "x", ts: "2011-02-01T10:00:00", desc: "bowl" },
    { inv: "1", sc: "K", q: 2, p: 3, c: "x", ts: "2011-02-01T10:00:00", desc: "bowl" }, // dup
    { inv: "1", sc: "K", q: 2, p: 3, c: "x", ts: "2011-02-01T10:00:00", desc: "bowl" }, // dup
    { inv: "1", sc: "K", q: 3, p: 3, c: "x", ts: "2011-02-01T10:00:00", desc: "bowl" }, // quantity differs
    { inv: "1", sc: "K", q: 2, p: 3.01, c: "x", ts: "2011-02-01T10:00:00", desc: "bowl" }, // price differs
    { inv: "1", sc: "K", q: 2, p: 3, c: "x", ts: "2011-02-01T10:00:01", desc: "bowl" }, // time differs
    { inv: "1", sc: "K", q: 2, p: 3, c: "x", ts: "2011-02-01T10:00:00", desc: null }, // description differs
    {
      inv: "1",
      sc: "K",
      q: 2,
      p: 3,
      c: "x",
      ts: "2011-02-01T10:00:00",
      desc: "bowl",
      country: "EIRE",
    }, // country
    { inv: "2", sc: "K", q: 2, p: 3, c: "x", ts: "2011-02-01T10:00:00", desc: "bowl" }, // invoice differs
  ];
  const tx = table(lines);
  const r = clean(tx, cfg({ logValueMadMultiplier: null }), opts(lines));
  assertPartition(tx, r);
  const got = reasons(r);
  assert.equal(got.get("a.csv#1"), null);
  assert.equal(got.get("a.csv#2"), "duplicate");
  assert.equal(got.get("a.csv#3"), "duplicate");
  for (let i = 4; i <= 9; i++) assert.equal(got.get(`a.csv#${i}`), null, `row ${i}`);
});

Deno.test("clean: dropExactDuplicates: false skips the duplicate rule and keeps identical lines", () => {
  const tx = table(MAIN);
  const r = clean(tx, { ...cfg(), dropExactDuplicates: false }, PROVIDED);
  assertPartition(tx, r);
  const dup = r.report.rules.find((x) => x.code === "duplicate")!;
  assert.equal(dup.applied, false);
  assert.match(dup.skippedBecause!, /disabled in configuration \(cleaning\.dropExactDuplicates\)/);
  assert.equal(r.report.total.dropped.duplicate, 0);
  const got = reasons(r);
  assert.equal(got.get("a.csv#18"), null);
  assert.equal(got.get("b.csv#1"), null);
  // The other rules are unaffected.
  for (const [k, v] of Object.entries(EXPECTED)) {
    if (v !== "duplicate" && v !== "extreme_value") assert.equal(got.get(k), v, k);
  }
});

Deno.test("clean: the same line in two files (overlap) is kept once, from the earlier file", () => {
  const day: Line[] = [
    { inv: "536365", sc: "K1", q: 6, p: 2.55, c: "17850", ts: "2010-12-01T08:26:00" },
    { inv: "536365", sc: "K2", q: 6, p: 3.39, c: "17850", ts: "2010-12-01T08:26:00" },
  ];
  const lines: Line[] = [
    { file: "y2010.parquet", inv: "500", sc: "K9", q: 1, p: 5, c: "1", ts: "2010-11-30T09:00:00" },
    ...day.map((l) => ({ ...l, file: "y2010.parquet" })),
    ...day.map((l) => ({ ...l, file: "y2011.parquet" })),
    { file: "y2011.parquet", inv: "600", sc: "K9", q: 1, p: 5, c: "1", ts: "2010-12-10T09:00:00" },
  ];
  const tx = table(lines);
  const r = clean(tx, cfg({ logValueMadMultiplier: null }), opts(lines));
  assertPartition(tx, r);
  assert.deepEqual(Object.fromEntries(reasons(r)), {
    "y2010.parquet#1": null,
    "y2010.parquet#2": null,
    "y2010.parquet#3": null,
    "y2011.parquet#1": "duplicate",
    "y2011.parquet#2": "duplicate",
    "y2011.parquet#3": null,
  });
  assert.equal(r.report.files[1].dropped.duplicate, 2);
});

Deno.test("clean: cancelled order matching (later, same customer/stock/qty/price; not earlier; not partial)", () => {
  const lines: Line[] = [
    // 1–2: matched: the latest purchase at or before the cancellation (row 2, not row 1)
    { inv: "10", sc: "S", q: 3, p: 4, c: "u1", ts: "2011-03-01T10:00:00" },
    { inv: "11", sc: "S", q: 3, p: 4, c: "u1", ts: "2011-03-02T10:00:00" },
    { inv: "C12", sc: "S", q: -3, p: 4, c: "u1", ts: "2011-03-03T10:00:00" },
    // 4: same stock/qty/price, later than the cancellation → not matched
    { inv: "13", sc: "S", q: 3, p: 4, c: "u1", ts: "2011-03-04T10:00:00" },
    // 5–6: different customer, different price → no match
    { inv: "14", sc: "T", q: 2, p: 5, c: "u2", ts: "2011-03-01T10:00:00" },
    { inv: "C15", sc: "T", q: -2, p: 5, c: "u3", ts: "2011-03-02T10:00:00" },
    { inv: "16", sc: "V", q: 2, p: 5, c: "u2", ts: "2011-03-01T10:00:00" },
    { inv: "C17", sc: "V", q: -2, p: 6, c: "u2", ts: "2011-03-02T10:00:00" },
    // 9–10: same time is "at or before" → matched
    { inv: "18", sc: "W", q: 1, p: 9, c: "u4", ts: "2011-03-05T10:00:00" },
    { inv: "C19", sc: "W", q: -1, p: 9, c: "u4", ts: "2011-03-05T10:00:00" },
  ];
  const tx = table(lines);
  const r = clean(tx, cfg({ logValueMadMultiplier: null }), opts(lines));
  assertPartition(tx, r);
  const got = reasons(r);
  assert.equal(got.get("a.csv#1"), null);
  assert.equal(got.get("a.csv#2"), "cancelled_order");
  assert.equal(got.get("a.csv#3"), "cancellation");
  assert.equal(got.get("a.csv#4"), null);
  assert.equal(got.get("a.csv#5"), null);
  assert.equal(got.get("a.csv#7"), null);
  assert.equal(got.get("a.csv#9"), "cancelled_order");
  assert.deepEqual(r.report.cancelledOrders, { lines: 2, value: 12 + 9 });
  // C15 (other customer) and C17 (other price) are unmatched: 10 + 12.
  assert.equal(r.report.unmatchedReturns.lines, 2);
  assert.ok(Math.abs(r.report.unmatchedReturns.value - 22) < 1e-9);
});

// Regression, fixed (src/clean.ts, rule 9, the joinAsof on cancellations): each cancellation independently takes
// the latest matching purchase, so two cancellations that each reverse one of two identical
// purchases both pick the SAME (latest) purchase. Only one purchase is dropped, the earlier one
// stays in monetary value, and neither cancellation is reported as unmatched:
// cancelledOrders.lines (1) + unmatchedReturns.lines (0) ≠ the 2 cancellation lines.
Deno.test("clean: two cancellations reverse two identical purchases (one purchase each)", () => {
  const lines: Line[] = [
    { inv: "20", sc: "X", q: 5, p: 2, c: "u9", ts: "2011-01-01T10:00:00" },
    { inv: "21", sc: "X", q: 5, p: 2, c: "u9", ts: "2011-01-02T10:00:00" },
    { inv: "C22", sc: "X", q: -5, p: 2, c: "u9", ts: "2011-01-03T10:00:00" },
    { inv: "C23", sc: "X", q: -5, p: 2, c: "u9", ts: "2011-01-04T10:00:00" },
    // kept (a table with nothing kept stops cleaning: see warnings_test.ts)
    { inv: "24", sc: "Y", q: 1, p: 2, c: "u9", ts: "2011-01-05T10:00:00" },
  ];
  const tx = table(lines);
  const r = clean(tx, cfg({ logValueMadMultiplier: null }), opts(lines));
  assertPartition(tx, r);
  // Every cancellation line either reversed one purchase or is reported as unmatched.
  assert.equal(r.report.cancelledOrders.lines + r.report.unmatchedReturns.lines, 2);
  const got = reasons(r);
  assert.equal(got.get("a.csv#1"), "cancelled_order");
  assert.equal(got.get("a.csv#2"), "cancelled_order");
});

Deno.test("clean: a table with cancellations but no eligible purchase still cleans", () => {
  const lines: Line[] = [
    { inv: "C1", sc: "X", q: -5, p: 2, c: "u1", ts: "2011-01-03T10:00:00" },
    { inv: "C2", sc: "Y", q: -1, p: 3, c: "u2", ts: "2011-01-04T10:00:00" },
    // A purchase of another product: kept (with nothing kept, cleaning stops; warnings_test.ts).
    { inv: "3", sc: "Z", q: 1, p: 7, c: "u3", ts: "2011-01-05T10:00:00" },
  ];
  const tx = table(lines);
  const r = clean(tx, cfg(), opts(lines));
  assertPartition(tx, r);
  assert.equal(r.kept.height, 1);
  assert.equal(r.report.total.dropped.cancellation, 2);
  assert.equal(r.report.unmatchedReturns.lines, 2);
  assert.ok(Math.abs(r.report.unmatchedReturns.value - 13) < 1e-9);
  assert.deepEqual(r.report.cancelledOrders, { lines: 0, value: 0 });
  // One kept line: log value 0.85, MAD 0, bounds at the line itself.
  assert.equal(r.report.total.dropped.extreme_value, 0);
});

Deno.test("clean: disabled rules are skipped and say why", () => {
  const tx = table(MAIN);
  const r = clean(tx, cfg({ matchCancelledOrders: false, logValueMadMultiplier: null }), PROVIDED);
  assertPartition(tx, r);
  const rule = (code: string) => r.report.rules.find((x) => x.code === code)!;
  assert.equal(rule("cancelled_order").applied, false);
  assert.match(rule("cancelled_order").skippedBecause!, /disabled.*matchCancelledOrders/);
  assert.equal(rule("extreme_value").applied, false);
  assert.match(rule("extreme_value").skippedBecause!, /disabled.*logValueMadMultiplier/);
  assert.equal(r.report.extremeValueBounds, null);
  const got = reasons(r);
  // The reversed purchase and both extreme lines are now kept.
  assert.equal(got.get("a.csv#19"), null);
  assert.equal(got.get("a.csv#25"), null);
  assert.equal(got.get("a.csv#26"), null);
  assert.equal(r.report.total.dropped.cancelled_order, 0);
  assert.equal(r.report.total.dropped.extreme_value, 0);
  // All four cancellations with a customer are unmatched returns.
  assert.equal(r.report.unmatchedReturns.lines, 4);
  assert.deepEqual(r.report.cancelledOrders, { lines: 0, value: 0 });

  // No non-product codes configured → non_product skipped; POST lines survive rule 5.
  const r2 = clean(tx, cfg({}, [], []), PROVIDED);
  assertPartition(tx, r2);
  const np = r2.report.rules.find((x) => x.code === "non_product")!;
  assert.equal(np.applied, false);
  assert.match(np.skippedBecause!, /no non-product codes/);
  assert.equal(r2.report.total.dropped.non_product, 0);
  const got2 = reasons(r2);
  assert.equal(got2.get("a.csv#9"), "cancelled_order"); // the POST purchase is now reversed by C200
  assert.equal(got2.get("a.csv#13"), "non_positive_quantity");
});

Deno.test("clean: rules needing a column some file lacks are skipped, naming file and column", () => {
  // Like CDNOW: no invoice, stock code, description or country.
  const noInvoice: Set<MappableColumn> = new Set([
    "customer_id",
    "timestamp",
    "quantity",
    "line_value",
  ]);
  const lines: Line[] = [
    {
      file: "cd.txt",
      inv: "u1|1997-01-01",
      sc: null,
      q: 1,
      p: 10,
      c: "u1",
      ts: "1997-01-01T00:00:00",
    },
    {
      file: "cd.txt",
      inv: "u1|1997-01-02",
      sc: null,
      q: 2,
      p: 10,
      c: "u1",
      ts: "1997-01-02T00:00:00",
    },
    {
      file: "cd.txt",
      inv: "Cu1|1997-01-03",
      sc: null,
      q: 1,
      p: 0,
      c: "u1",
      ts: "1997-01-03T00:00:00",
    },
    {
      file: "cd.txt",
      inv: "u2|1997-01-03",
      sc: null,
      q: 1,
      p: 10,
      c: null,
      ts: "1997-01-03T00:00:00",
    },
  ];
  const tx = table(lines);
  const r = clean(tx, cfg(), opts(lines, { "cd.txt": noInvoice }));
  assertPartition(tx, r);
  const rule = (code: string) => r.report.rules.find((x) => x.code === code)!;
  for (const code of ["cancellation", "bad_debt_adjustment"]) {
    assert.equal(rule(code).applied, false, code);
    assert.match(rule(code).skippedBecause!, /cd\.txt has no invoice column/);
  }
  assert.equal(rule("non_product").applied, false);
  assert.match(rule("non_product").skippedBecause!, /cd\.txt has no stock_code column/);
  assert.equal(rule("cancelled_order").applied, false);
  assert.match(rule("cancelled_order").skippedBecause!, /invoice/);
  assert.match(rule("cancelled_order").skippedBecause!, /stock_code/);
  for (
    const code of [
      "bad_timestamp",
      "missing_customer",
      "non_positive_quantity",
      "non_positive_price",
      "duplicate",
      "extreme_value",
    ]
  ) {
    assert.equal(rule(code).applied, true, code);
  }
  const got = reasons(r);
  assert.equal(got.get("cd.txt#1"), null);
  // The "C" invoice is not treated as a cancellation: it fails on price.
  assert.equal(got.get("cd.txt#3"), "non_positive_price");
  assert.equal(got.get("cd.txt#4"), "missing_customer");
  // A null stock code is not a non-product line when the rule is skipped.
  assert.equal(got.get("cd.txt#2"), null);
  assert.deepEqual(r.report.unmatchedReturns, { lines: 0, value: 0 });

  // One file of two lacking the column skips the rule for all, naming that file only.
  const lines2 = [...MAIN.slice(0, 6), { ...MAIN[0], file: "c.csv", inv: "C1", q: -1 }];
  const tx2 = table(lines2);
  const r2 = clean(
    tx2,
    cfg(),
    opts(lines2, {
      "a.csv": ALL,
      "c.csv": new Set([...ALL].filter((x) => x !== "stock_code")),
    }),
  );
  const np = r2.report.rules.find((x) => x.code === "non_product")!;
  assert.equal(np.skippedBecause, "c.csv has no stock_code column");
  assertPartition(tx2, r2);
});

Deno.test("clean: a file with no rows kept or dropped is still listed, and reconciles", () => {
  const lines = MAIN.slice(0, 3);
  const tx = table(lines);
  const r = clean(tx, cfg(), opts(lines, { "a.csv": ALL, "unused.csv": ALL }));
  assert.deepEqual(r.report.files.map((f) => [f.file, f.rows_in, f.rows_kept, f.reconciles]), [
    ["a.csv", 3, 3, true],
    ["unused.csv", 0, 0, true],
  ]);
  assert.equal(r.report.total.rows_in, 3);
  assert.equal(r.report.total.reconciles, true);
});

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

Deno.test("clean: a row lost between ingest and cleaning fails the reconciliation, naming the file", () => {
  // Ingest read 26 rows of a.csv and 2 of b.csv …
  const options = opts(MAIN);
  assert.deepEqual(options.rowsRead, { "a.csv": 26, "b.csv": 2 });
  // … then (the planted fault) b.csv row 2 goes missing from the canonical frame before cleaning.
  const tx = table(MAIN).filter(
    pl.col("source_file").neq(pl.lit("b.csv")).or(pl.col("source_row").neq(2)),
  );
  assert.equal(tx.height, 27);
  const r = clean(tx, cfg(), options);
  const [a, b] = r.report.files;
  assert.deepEqual([a.file, a.rows_in, a.rows_kept + a.rows_dropped, a.reconciles], [
    "a.csv",
    26,
    26,
    true,
  ]);
  assert.deepEqual([b.file, b.rows_in, b.rows_kept, b.rows_dropped, b.reconciles], [
    "b.csv",
    2,
    0,
    1,
    false,
  ]);
  const t = r.report.total;
  assert.deepEqual([t.rows_in, t.rows_kept + t.rows_dropped, t.reconciles], [28, 27, false]);
  // The pipeline's check refuses the report, naming the file and its counts (not the good file).
  const e = reconciliationError(() => assertReconciles(r.report));
  assert.deepEqual(e.failed.map((f) => f.file), ["b.csv", "total"]);
  assert.match(e.message, /no output is written/);
  assert.match(e.message, /b\.csv: 2 rows read, but 1 accounted for \(0 kept \+ 1 dropped\)/);
  assert.match(e.message, /total: 28 rows read, but 27 accounted for \(8 kept \+ 19 dropped\)/);
  assert.doesNotMatch(e.message, /a\.csv/);
  // Without the fault the same check passes.
  assertReconciles(clean(table(MAIN), cfg(), options).report);
});

Deno.test("clean: a wrong count of rows read, or a row moved to another file, fails too", () => {
  const tx = table(MAIN);
  // One row more read than cleaning accounts for.
  const wrong = clean(tx, cfg(), { ...PROVIDED, rowsRead: { "a.csv": 27, "b.csv": 2 } });
  assert.deepEqual(wrong.report.files.map((f) => f.reconciles), [false, true]);
  assert.match(
    reconciliationError(() => assertReconciles(wrong.report)).message,
    /a\.csv: 27 rows read, but 26 accounted for/,
  );
  // A row relabelled from b.csv to a.csv: the sums still agree, but neither file reconciles,
  // so neither does the total.
  const moved = clean(
    tx.withColumns(
      pl.when(pl.col("source_file").eq(pl.lit("b.csv")).and(pl.col("source_row").eq(2)))
        .then(pl.lit("a.csv")).otherwise(pl.col("source_file")).alias("source_file"),
    ),
    cfg(),
    PROVIDED,
  );
  const t = moved.report.total;
  assert.equal(t.rows_in, t.rows_kept + t.rows_dropped);
  assert.deepEqual(moved.report.files.map((f) => f.reconciles), [false, false]);
  assert.equal(t.reconciles, false);
  // A file cleaning saw but ingest never counted is listed, with 0 rows read.
  const stray = clean(tx, cfg(), { ...PROVIDED, rowsRead: { "a.csv": 26 } });
  assert.deepEqual(stray.report.files.map((f) => [f.file, f.rows_in, f.reconciles]), [
    ["a.csv", 26, true],
    ["b.csv", 0, false],
  ]);
});

// ---------------------------------------------------------------------------------------------
// Implausible timestamps (issue #9): future dates and far outliers never set the analysis date.

/** `n` purchases of customer `c` at 10:00 on successive days from `start` (ISO date). */
function purchases(n: number, start: string, c = "u"): Line[] {
  const t0 = Date.parse(`${start}T10:00:00Z`);
  return Array.from({ length: n }, (_, i) => ({
    inv: String(1000 + i),
    sc: "K",
    q: 1,
    p: 5,
    c,
    ts: new Date(t0 + (i % 365) * 86_400_000).toISOString().slice(0, 19),
  }));
}

Deno.test("clean: three purchases dated 2099 are future_timestamp and do not set the analysis date", () => {
  const lines = [
    ...purchases(365, "2011-01-01"),
    { inv: "9001", sc: "K", q: 1, p: 5, c: "v", ts: "2099-03-01T10:00:00" },
    { inv: "9002", sc: "K", q: 1, p: 5, c: "v", ts: "2099-03-02T10:00:00" },
    { inv: "9003", sc: "K", q: 1, p: 5, c: "w", ts: "2099-12-31T23:59:59" },
  ];
  const tx = table(lines);
  const r = clean(tx, cfg({ logValueMadMultiplier: null }), opts(lines));
  assertPartition(tx, r);
  const got = reasons(r);
  assert.deepEqual([366, 367, 368].map((i) => got.get(`a.csv#${i}`)), [
    "future_timestamp",
    "future_timestamp",
    "future_timestamp",
  ]);
  assert.equal(r.report.total.dropped.future_timestamp, 3);
  assert.equal(r.report.total.dropped.implausible_timestamp, 0);
  assert.equal(r.report.total.rows_kept, 365);
  // The analysis date follows the last plausible purchase (2011-12-31), not 2099.
  assert.equal(defaultAnalysisDate(r.kept), "2012-01-01");
  const rule = r.report.rules.find((x) => x.code === "future_timestamp")!;
  assert.deepEqual([rule.order, rule.applied], [4, true]);
});

Deno.test("clean: a far-past outlier is implausible_timestamp; the rule and its bounds", () => {
  // 1997 data, one line typed 1917 and one 2015 (before the build date, so not future).
  const lines = [
    ...purchases(365, "1997-01-01"),
    { inv: "8001", sc: "K", q: 1, p: 5, c: "v", ts: "1917-05-01T10:00:00" },
    { inv: "8002", sc: "K", q: 1, p: 5, c: "v", ts: "2015-05-01T10:00:00" },
    // Within a year of the bulk: plausible.
    { inv: "8003", sc: "K", q: 1, p: 5, c: "v", ts: "1998-06-30T10:00:00" },
  ];
  const tx = table(lines);
  const c = cfg({ logValueMadMultiplier: null });
  const r = clean(tx, c, opts(lines));
  assertPartition(tx, r);
  const got = reasons(r);
  assert.deepEqual([366, 367, 368].map((i) => got.get(`a.csv#${i}`)), [
    "implausible_timestamp",
    "implausible_timestamp",
    null,
  ]);
  assert.equal(defaultAnalysisDate(r.kept), "1998-07-01");
  // The stated rule: the 1st and 99th percentile (nearest rank) of the timestamps, widened by
  // bulkMargin (1) × max(one year, their span) on each side.
  const lim = timestampLimits(tx, c, Date.parse("2026-01-01T00:00:00Z"));
  const day = 86_400_000_000;
  assert.equal(lim.future, Date.parse("2026-01-02T00:00:00Z") * 1000);
  // The 368 timestamps sorted: 1917-05-01, the 365 days of 1997 (10:00), 1998-06-30, 2015-05-01.
  // Nearest rank, position round(q × (n − 1)): p01 at 4 (1997-01-04), p99 at 363 (1997-12-29).
  const us = (iso: string) => Date.parse(`${iso}Z`) * 1000;
  assert.equal(lim.p01, us("1997-01-04T10:00:00"));
  assert.equal(lim.p99, us("1997-12-29T10:00:00"));
  assert.equal(lim.low, lim.p01! - 365 * day);
  assert.equal(lim.high, lim.p99! + 365 * day);

  // bulkMargin null turns the rule off (and says so); notAfter moves the future limit.
  const off = cleaningConfig({
    outliers: { logValueMadMultiplier: null },
    timestamps: { bulkMargin: null, notAfter: "1997-12-31" },
  });
  const r2 = clean(tx, off, opts(lines));
  const rule = r2.report.rules.find((x) => x.code === "implausible_timestamp")!;
  assert.equal(rule.applied, false);
  assert.match(rule.skippedBecause!, /cleaning\.timestamps\.bulkMargin/);
  const got2 = reasons(r2);
  assert.deepEqual([366, 367, 368].map((i) => got2.get(`a.csv#${i}`)), [
    null,
    "future_timestamp",
    "future_timestamp",
  ]);
  assert.equal(r2.report.total.dropped.future_timestamp, 2);
});
