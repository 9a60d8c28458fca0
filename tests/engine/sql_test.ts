/**
 * The generated SQL: every dialect gets its own constructs from the same rule plan, a rule or an
 * input the SQL cannot express is refused by name, and the rule order follows `RULES`.
 */
import assert from "node:assert/strict";
import { dialect, DIALECTS } from "../../src/engine/dialect.ts";
import { dataStageSql } from "../../src/engine/sql.ts";
import { RULES } from "../../src/clean/rules.ts";
import { txDataset } from "./fixture.ts";

function dataset(extra: Record<string, unknown> = {}) {
  return txDataset({ file: extra });
}

Deno.test("each dialect writes its own constructs", () => {
  const ds = dataset();
  const src = [{ file: ds.files[0], path: "/tmp/tx.csv" }];
  const expect: Record<string, RegExp[]> = {
    duckdb: [
      /read_csv\('\/tmp\/tx\.csv'/,
      /try_strptime/,
      /regexp_matches\(stock_code/,
      /median\(/,
    ],
    spark: [/FROM src_tx\b/, /to_timestamp\(ts_key, 'yyyy-M-d H:m:s'\)/, / RLIKE /, /percentile\(/],
    bigquery: [/SAFE\.PARSE_DATETIME/, /REGEXP_CONTAINS/, /PERCENTILE_CONT\(v, 0\.5\) OVER \(\)/],
    snowflake: [
      /TRY_TO_TIMESTAMP_NTZ\(ts_key, 'YYYY-MM-DD HH24:MI:SS'\)/,
      /REGEXP_INSTR/,
      /MEDIAN\(/,
    ],
  };
  for (const d of DIALECTS) {
    const sql = dataStageSql(ds, src, { dialect: d, now: 0 }).script;
    for (const re of expect[d]) assert.match(sql, re, `${d}: ${re}`);
    // No invisible characters: white space and marks are written by code point.
    assert.doesNotMatch(sql, /[\u00a0\u2000-\u200d\u3000\ufeff]/, d);
    // Rules in RULES order inside the CASE.
    const order = RULES.map((r) => sql.indexOf(`THEN '${r.code}'`)).filter((i) => i >= 0);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), d);
  }
});

Deno.test("a rule turned off in the configuration is left out of the SQL", () => {
  const on = dataStageSql(dataset(), [{ file: dataset().files[0], path: "x" }], { now: 0 });
  assert.match(on.script, /'cancelled_order'/);
  const ds = txDataset({
    timezone: "UTC",
    cleaning: { outliers: { matchCancelledOrders: false }, dropExactDuplicates: false },
  });
  const off = dataStageSql(ds, [{ file: ds.files[0], path: "x" }], { now: 0 });
  assert.doesNotMatch(off.script, /'cancelled_order'|'duplicate'/);
  assert.match(off.script, /'cancellation'/);
});

Deno.test("inputs the SQL cannot read are refused, naming the file", () => {
  const ws = dataset({
    format: "whitespace",
    header: false,
    fields: ["inv", "sku", "qty", "ts", "price", "cust"],
  });
  assert.throws(
    () => dataStageSql(ws, [{ file: ws.files[0], path: "x" }], { now: 0 }),
    /tx\.csv: format "whitespace" cannot be read by the generated SQL/,
  );
  const jday = dataset({ timestampFormat: "%Y-%j" });
  assert.throws(
    () => dataStageSql(jday, [{ file: jday.files[0], path: "x" }], { dialect: "spark", now: 0 }),
    /%j has no java equivalent/,
  );
});

Deno.test("DuckDB: the ASCII fast path of text cleaning trims exactly as the full trim", async () => {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const d = dialect("duckdb");
  const white = "\t\n\u000b\f\r \u0085\u00a0\u1680\u2000\u2028\u202f\u205f\u3000";
  const slow = (s: string) =>
    d.trimChars(`REPLACE(${s}, ${d.chars("\ufeff")}, '')`, d.chars(white));
  const values = [
    "ABC",
    " ABC ",
    "\tA B\t",
    "A\r\n",
    "x",
    " ",
    "",
    "\u00a0caf\u00e9\u00a0",
    "\ufeffABC",
    "A\ufeffB",
    "\u3000A",
    "A\u0085",
    "~!",
    "\u0007A",
  ];
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    const rows = values.map((v) => `(${d.chars(v) === "()" ? "''" : d.chars(v)})`).join(", ");
    const r = await c.runAndReadAll(
      `SELECT ${d.unlessClean("s", slow("s"))} AS fast, ${
        slow("s")
      } AS full FROM (VALUES ${rows}) t(s)`,
    );
    const got = r.getRowObjects();
    assert.equal(got.length, values.length);
    for (const [i, row] of got.entries()) {
      assert.equal(row.fast, row.full, JSON.stringify(values[i]));
    }
    // The fast path is taken, and trims: an ASCII value with a tab at its end loses it.
    assert.equal(got[2].fast, "A B");
    assert.equal(got[7].fast, "café");
  } finally {
    c.closeSync();
    db.closeSync();
  }
});

Deno.test("DuckDB: the lines are copied once (base), the later rule steps are not materialized", () => {
  const ds = dataset();
  const sql = dataStageSql(ds, [{ file: ds.files[0], path: "/tmp/tx.csv" }], { now: 0 });
  const lines = sql.statements[0];
  assert.equal(lines.sql, `CREATE TABLE rfm_lines AS\n${lines.query}`);
  assert.match(lines.query, /\bbase AS MATERIALIZED \(/);
  assert.match(lines.query, /\brow_rules AS NOT MATERIALIZED \(/);
  assert.match(lines.query, /\brule_cancelled AS NOT MATERIALIZED \(/);
  // The duplicate rule is applied after `base`, still last of the row-level rules.
  assert.match(lines.query, /WHEN base\.reason0 IS NULL AND r\.dup_rank > 1 THEN 'duplicate'/);
});
