/**
 * The warehouse round trip: the customer table the generated SQL writes (DuckDB `COPY … TO`
 * Parquet) reads back as the same customer table; a file lacking a column, or with a repeated
 * customer, is refused naming the file and the column or row.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { duckdbDataStage } from "../../src/engine/duckdb.ts";
import { readCustomerTable } from "../../src/engine/customers.ts";
import { txDataset } from "./fixture.ts";

function dataset(dir: string) {
  const lines = ["inv,qty,ts,price,cust,country"];
  for (let i = 0; i < 30; i++) {
    lines.push(
      `${100 + i},${1 + (i % 3)},2011-0${1 + (i % 6)}-1${i % 9} 10:00:00,${
        (1.5 + (i % 5) * 0.7).toFixed(2)
      },${["a", "b", "c", "d"][i % 4]},UK`,
    );
  }
  lines.push("C200,-1,2011-06-20 10:00:00,1.5,a,UK");
  Deno.writeTextFileSync(join(dir, "tx.csv"), lines.join("\n") + "\n");
  const ds = txDataset({
    timezone: "UTC",
    columns: {
      invoice: "inv",
      quantity: "qty",
      timestamp: "ts",
      unit_price: "price",
      customer_id: "cust",
      country: "country",
    },
    cleaning: {},
    root: dir,
  });
  return { ds, sources: [{ file: ds.files[0], path: join(dir, "tx.csv") }] };
}

Deno.test("the SQL's customer table, written as Parquet, reads back as the same table", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "engine-customers-" });
  try {
    const { ds, sources } = dataset(dir);
    const out = join(dir, "customers.parquet");
    const stage = await duckdbDataStage(ds, sources, { customersParquet: out });
    const back = readCustomerTable(out, "customers.parquet");
    assert.equal(back.analysisDate, stage.analysisDate);
    assert.deepEqual(back.customers.columns, stage.customers.columns);
    assert.deepEqual(back.customers.toRecords(), stage.customers.toRecords());
    assert.equal(back.customers.height, 4);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** Writes `select` (over the round-trip table) to a Parquet file with DuckDB. */
async function writeParquet(path: string, select: string): Promise<void> {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  await c.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
}

Deno.test("a customer table lacking a column or repeating a customer is refused", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "engine-customers-" });
  try {
    const { ds, sources } = dataset(dir);
    const good = join(dir, "good.parquet");
    await duckdbDataStage(ds, sources, { customersParquet: good });
    const noMoney = join(dir, "no_money.parquet");
    await writeParquet(noMoney, `SELECT * EXCLUDE (monetary) FROM '${good}'`);
    assert.throws(
      () => readCustomerTable(noMoney, "no_money.parquet"),
      /no_money\.parquet: customer table lacks column "monetary"/,
    );
    const twice = join(dir, "twice.parquet");
    await writeParquet(twice, `SELECT * FROM '${good}' UNION ALL SELECT * FROM '${good}' LIMIT 5`);
    assert.throws(
      () => readCustomerTable(twice, "twice.parquet"),
      /twice\.parquet: row \d+ \(customer "\w"\): the customer id appears more than once/,
    );
    const shifted = join(dir, "shifted.parquet");
    await writeParquet(
      shifted,
      `SELECT * REPLACE (CASE WHEN customer_id = 'b' THEN recency_days + 1 ELSE recency_days END AS recency_days) FROM '${good}'`,
    );
    assert.throws(() => readCustomerTable(shifted, "shifted.parquet"), /last_day \+ recency_days/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
