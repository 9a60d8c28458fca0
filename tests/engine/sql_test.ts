/**
 * The generated SQL: every dialect gets its own constructs from the same rule plan, a rule or an
 * input the SQL cannot express is refused by name, and the rule order follows `RULES`.
 */
import assert from "node:assert/strict";
import { DIALECTS } from "../../src/engine/dialect.ts";
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
