/**
 * Tests of the cleaning rules on tables held the way ingest hands them over: several files, each
 * in its own pieces (polars chunks), text columns partly as dictionary (categorical) strings. The
 * rules find duplicates by hashing and sorting, narrow the cancelled-order pool by a key hash and
 * gather rows by position, so these tests check, row by row, which line is the original of a
 * duplicate, which purchase a cancellation reverses, that lines an earlier rule dropped are never
 * matched, and that null keys never match — across piece boundaries.
 */
import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { clean, type CleanResult, cleanSteps } from "../../src/clean/clean.ts";
import { asPlainText } from "../../src/ingest/ingest.ts";
import { runSteps } from "../../src/lib/memory.ts";
import { dropCancelledOrders } from "../../src/clean/cancellations.ts";
import {
  applyRowRules,
  duplicateRows,
  markReason,
  planRules,
  reasonIs,
  reasonNumber,
} from "../../src/clean/rules.ts";
import type { CleaningConfig } from "../../src/config/dataset.ts";
import { CANONICAL_COLUMNS } from "../../src/config/schema.ts";
import { cleaningConfig, FULL_FILE_COLUMNS } from "../fixtures/configs.ts";

/** One canonical line (UTC ISO timestamp). */
interface Line {
  inv: string;
  sc: string | null;
  q: number;
  p: number;
  c: string | null;
  ts: string;
  desc?: string;
}

/** One file's canonical rows, text columns as ingest holds them (description etc. categorical). */
function part(file: string, lines: Line[]): pl.DataFrame {
  return pl.DataFrame({
    invoice: pl.Series("invoice", lines.map((l) => l.inv), pl.Utf8),
    stock_code: pl.Series("stock_code", lines.map((l) => l.sc), pl.Utf8),
    description: pl.Series("description", lines.map((l) => l.desc ?? "thing"), pl.Utf8),
    quantity: pl.Series("quantity", lines.map((l) => l.q), pl.Int64),
    timestamp: pl.Series("timestamp", lines.map((l) => new Date(l.ts + "Z")), pl.Datetime("ms")),
    unit_price: pl.Series("unit_price", lines.map((l) => l.p), pl.Float64),
    line_value: pl.Series("line_value", lines.map((l) => l.q * l.p), pl.Float64),
    customer_id: pl.Series("customer_id", lines.map((l) => l.c), pl.Utf8),
    country: pl.Series("country", lines.map(() => "EIRE"), pl.Utf8),
    source_file: pl.Series("source_file", lines.map(() => file), pl.Utf8),
    source_row: pl.Series("source_row", lines.map((_, i) => i + 1), pl.Int64),
  }).withColumns(
    pl.col("timestamp").cast(pl.Datetime("us")).dt.replaceTimeZone("UTC"),
    pl.col("description").cast(pl.Categorical),
    pl.col("country").cast(pl.Categorical),
    pl.col("source_file").cast(pl.Categorical),
  );
}

/** The files as one table in pieces (no copy, as ingest appends them), each file split in two. */
function pieces(files: Record<string, Line[]>): pl.DataFrame {
  const parts = Object.entries(files).flatMap(([file, lines]) => {
    const whole = part(file, lines);
    const half = Math.ceil(whole.height / 2);
    return [whole.slice(0, half), whole.slice(half, whole.height - half)];
  });
  return pl.concat(parts, { rechunk: false, how: "vertical" });
}

/** The tests' configuration: no non-product codes, no extreme-value rule. */
const CFG: CleaningConfig = cleaningConfig({ outliers: { logValueMadMultiplier: null } });

/** Cleans `tx`; every file provides every column. */
function run(tx: pl.DataFrame, files: string[], cfg: CleaningConfig = CFG): CleanResult {
  const rowsRead: Record<string, number> = {};
  for (const f of tx.getColumn("source_file").cast(pl.Utf8).toArray() as string[]) {
    rowsRead[f] = (rowsRead[f] ?? 0) + 1;
  }
  return clean(tx, cfg, {
    provided: Object.fromEntries(files.map((f) => [f, new Set(FULL_FILE_COLUMNS)])),
    rowsRead,
    warn: () => {},
  });
}

/** "file#row" → reason (null when kept). */
function reasons(r: CleanResult): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const x of r.kept.select("source_file", "source_row").toRecords()) {
    out[`${x.source_file}#${x.source_row}`] = null;
  }
  for (const x of r.quarantine.select("source_file", "source_row", "reason").toRecords()) {
    out[`${x.source_file}#${x.source_row}`] = x.reason as string;
  }
  return out;
}

const BOWL: Line = { inv: "1", sc: "K", q: 2, p: 3, c: "x", ts: "2011-02-01T10:00:00" };

Deno.test("pieces: the first copy of a line (file order, then row order) is the original, across pieces", () => {
  const files = {
    "a.csv": [
      { ...BOWL, inv: "0" },
      BOWL, // original
      { ...BOWL, desc: "other" }, // differs in description only
      BOWL, // duplicate (second piece of a.csv)
      { ...BOWL, inv: "9" },
    ],
    "b.csv": [
      { ...BOWL, desc: "other" }, // duplicate of a.csv#3
      BOWL, // duplicate
      { ...BOWL, q: 3 },
    ],
  };
  const tx = pieces(files);
  assert.ok(tx.nChunks() > 1, "the table is in several pieces");
  assert.deepEqual(duplicateRows(tx), [3, 5, 6]);
  const r = run(tx, Object.keys(files));
  assert.deepEqual(reasons(r), {
    "a.csv#1": null,
    "a.csv#2": null,
    "a.csv#3": null,
    "a.csv#4": "duplicate",
    "a.csv#5": null,
    "b.csv#1": "duplicate",
    "b.csv#2": "duplicate",
    "b.csv#3": null,
  });
  // The written tables are in one piece each (a parquet file's row groups follow the pieces), in
  // source order; dictionary columns stay dictionaries until they are written as plain text.
  assert.deepEqual([r.kept.nChunks(), r.quarantine.nChunks()], [1, 1]);
  assert.deepEqual(r.kept.columns, [...CANONICAL_COLUMNS]);
  assert.equal(r.kept.getColumn("description").dtype.variant, "Categorical");
  assert.equal(asPlainText(r.kept).getColumn("description").dtype.variant, "String");
  assert.deepEqual(asPlainText(r.kept).getColumn("description").toArray(), [
    "thing",
    "thing",
    "other",
    "thing",
    "thing",
  ]);
  assert.deepEqual(r.kept.getColumn("source_row").toArray(), [1, 2, 3, 5, 3]);
  // The same table in one piece gives the same result.
  const one = run(tx.rechunk(), Object.keys(files));
  assert.ok(one.kept.frameEqual(r.kept, true));
  assert.ok(one.quarantine.frameEqual(r.quarantine, true));
});

Deno.test("pieces: cleaning in steps takes the table over, two columns at a time, with the same result", () => {
  const files = { "a.csv": [BOWL, { ...BOWL, q: -1 }, BOWL, { ...BOWL, c: null }] };
  const tx = pieces(files);
  const whole = run(tx, Object.keys(files));
  const lines = { tx };
  const options = {
    provided: { "a.csv": new Set(FULL_FILE_COLUMNS) },
    rowsRead: { "a.csv": 4 },
    warn: () => {},
  };
  const steps = cleanSteps(lines, CFG, options);
  // Until the rules are done, the table is whole at every pause; then it loses two columns a pause.
  const widths: number[] = [];
  for (let r = steps.next();; r = steps.next()) {
    if (r.done) {
      assert.ok(r.value.kept.frameEqual(whole.kept, true));
      assert.ok(r.value.quarantine.frameEqual(whole.quarantine, true));
      assert.deepEqual(r.value.report, whole.report);
      break;
    }
    widths.push(lines.tx.width);
  }
  const n = CANONICAL_COLUMNS.length;
  assert.equal(widths[0], n);
  // Two columns a pause: 11, 9, 7, 5, 3, 1, 0.
  const pairs = Math.ceil(n / 2);
  assert.deepEqual(
    widths.slice(-pairs - 1),
    Array.from({ length: pairs + 1 }, (_, i) => Math.max(n - 2 * i, 0)),
  );
  // The synchronous run leaves the caller's table alone.
  assert.equal(tx.width, n);
  assert.ok(runSteps(cleanSteps({ tx }, CFG, options)).kept.frameEqual(whole.kept, true));
});

Deno.test("pieces: a duplicate that an earlier rule drops keeps that rule's reason", () => {
  const files = {
    "a.csv": [
      BOWL,
      { ...BOWL, c: null }, // missing_customer (and not a copy of row 1)
      { ...BOWL, c: null }, // missing_customer, although a copy of row 2
      BOWL, // duplicate
    ],
  };
  const r = run(pieces(files), ["a.csv"]);
  assert.deepEqual(reasons(r), {
    "a.csv#1": null,
    "a.csv#2": "missing_customer",
    "a.csv#3": "missing_customer",
    "a.csv#4": "duplicate",
  });
});

Deno.test("pieces: a cancellation reverses the latest kept purchase at or before it, in any piece", () => {
  const P: Line = { inv: "10", sc: "S", q: 3, p: 4, c: "u1", ts: "2011-03-01T10:00:00" };
  const files = {
    "a.csv": [
      P, // 1: earlier purchase: kept
      { ...P, inv: "11", ts: "2011-03-02T10:00:00" }, // 2: the latest kept one: reversed
      { ...P, inv: "11", ts: "2011-03-02T10:00:00" }, // 3: its duplicate (dropped first)
      { ...P, inv: "12", c: "u2", ts: "2011-03-02T11:00:00" }, // 4: another customer: kept
    ],
    "b.csv": [
      { ...P, inv: "C13", q: -3, ts: "2011-03-03T10:00:00" }, // 1: cancels a.csv#2
      { ...P, inv: "C14", q: -3, ts: "2011-03-03T11:00:00" }, // 2: then a.csv#1
      { ...P, inv: "C15", q: -3, ts: "2011-03-03T12:00:00" }, // 3: nothing left: unmatched
      { ...P, inv: "16", ts: "2011-03-04T10:00:00" }, // 4: later than every cancellation: kept
    ],
  };
  const tx = pieces(files);
  const r = run(tx, Object.keys(files));
  assert.deepEqual(reasons(r), {
    "a.csv#1": "cancelled_order",
    "a.csv#2": "cancelled_order",
    "a.csv#3": "duplicate",
    "a.csv#4": null,
    "b.csv#1": "cancellation",
    "b.csv#2": "cancellation",
    "b.csv#3": "cancellation",
    "b.csv#4": null,
  });
  assert.deepEqual(r.report.cancelledOrders, { lines: 2, value: 24 });
  assert.deepEqual(r.report.unmatchedReturns, { lines: 1, value: 12 });
  const one = run(tx.rechunk(), Object.keys(files));
  assert.ok(one.quarantine.frameEqual(r.quarantine, true));
  assert.deepEqual(one.report, r.report);
});

Deno.test("pieces: purchases and cancellations with a null key never match", () => {
  // No non-product codes: a line without a stock code is not dropped before rule 13.
  const files = {
    "a.csv": [
      { inv: "1", sc: null, q: 2, p: 5, c: "u1", ts: "2011-01-01T10:00:00" },
      { inv: "C2", sc: null, q: -2, p: 5, c: "u1", ts: "2011-01-02T10:00:00" },
      { inv: "3", sc: "Z", q: 1, p: 7, c: "u3", ts: "2011-01-05T10:00:00" },
    ],
  };
  const r = run(pieces(files), ["a.csv"]);
  assert.deepEqual(reasons(r), { "a.csv#1": null, "a.csv#2": "cancellation", "a.csv#3": null });
  assert.deepEqual(r.report.unmatchedReturns, { lines: 1, value: 10 });
});

Deno.test("pieces: rule numbers in the reason column, and markReason keeps an earlier reason", () => {
  const files = {
    "a.csv": [BOWL, { ...BOWL, c: null }, BOWL, { ...BOWL, inv: "C1", q: -2 }],
  };
  const tx = pieces(files);
  const df = applyRowRules(tx, planRules(CFG, { "a.csv": new Set(FULL_FILE_COLUMNS) }), CFG);
  assert.equal(df.getColumn("reason").dtype.variant, "UInt8");
  assert.deepEqual(df.getColumn("reason").toArray(), [
    null,
    reasonNumber("missing_customer"),
    reasonNumber("duplicate"),
    reasonNumber("cancellation"),
  ]);
  assert.deepEqual(df.getColumn("__i").toArray(), [0, 1, 2, 3]);
  const marked = markReason(df, "extreme_value", pl.col("__i").gtEq(1));
  assert.deepEqual(marked.getColumn("reason").toArray(), [
    null,
    reasonNumber("missing_customer"),
    reasonNumber("duplicate"),
    reasonNumber("cancellation"),
  ]);
  const all = markReason(df, "extreme_value", pl.lit(true));
  assert.equal(all.filter(reasonIs(all, "extreme_value")).height, 1);
  // The same on a text reason column (as the cleaning as of a date passes it).
  const text = pl.DataFrame({ reason: ["duplicate", null, null] });
  assert.deepEqual(
    markReason(text, "cancelled_order", pl.lit(true)).getColumn("reason").toArray(),
    ["duplicate", "cancelled_order", "cancelled_order"],
  );
  // The cancellation rule reads the numbers too: the cancellation reverses row 1.
  const out = dropCancelledOrders(df, true);
  assert.deepEqual(out.df.filter(reasonIs(out.df, "cancelled_order")).getColumn("__i").toArray(), [
    0,
  ]);
});
