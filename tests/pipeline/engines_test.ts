/**
 * The two engines and the warehouse round trip through the public command:
 * - `engine: "duckdb"` (or `--engine duckdb`) builds the same clean lines, quarantine and customer
 *   table as polars;
 * - the customer table the generated SQL makes (here on DuckDB, as a warehouse would) comes back
 *   as a dataset file of `format: "customers"` and gives the same RFM table;
 * - a customer table that cannot be read stops the build before any output, naming the file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { buildArgs, run, writeConfig, writeShop } from "./shop_fixture.ts";
import { exists } from "../../src/lib/files.ts";
import { loadDataset } from "../../src/config/registry.ts";
import { resolveDataset } from "../../src/acquire/resolve.ts";
import { duckdbDataStage } from "../../src/engine/duckdb.ts";
import { ROOT } from "../../src/lib/paths.ts";

/** Rewrites the fixture's configuration with `edit` applied. */
async function editConfig(cfg: string, edit: (o: Record<string, unknown>) => void): Promise<void> {
  const o = JSON.parse(await Deno.readTextFile(cfg));
  edit(o);
  await Deno.writeTextFile(cfg, JSON.stringify(o));
}

const read = (p: string) => Deno.readTextFile(p);

/**
 * Asserts two `customers.csv` equal in the columns of the first (the second may have more): every
 * column exactly but money (`monetary`, `avg_order_value`), which the SQL sums in another order,
 * to 1e-9 relative.
 */
async function assertSameCustomersCsv(a: string, b: string): Promise<void> {
  const x = pl.readCSV(await read(a), { inferSchemaLength: 0 });
  const y = pl.readCSV(await read(b), { inferSchemaLength: 0 });
  assert.deepEqual(y.columns.slice(0, x.columns.length), x.columns);
  assert.equal(y.height, x.height);
  assert.ok(x.height > 100, "not vacuous");
  for (const c of x.columns) {
    const u = x.getColumn(c).toArray() as string[];
    const v = y.getColumn(c).toArray() as string[];
    for (let i = 0; i < u.length; i++) {
      if (c === "monetary" || c === "avg_order_value") {
        const d = Math.abs(Number(u[i]) - Number(v[i]));
        assert.ok(
          d <= 1e-9 * Math.max(1, Math.abs(Number(u[i]))),
          `${c} row ${i}: ${u[i]} ${v[i]}`,
        );
      } else {
        assert.equal(v[i], u[i], `${c} row ${i}`);
      }
    }
  }
}

Deno.test({
  name: "engine duckdb, and a customer table from the SQL, build what polars builds",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "engines-" });
    try {
      await writeShop(dir, 1);
      // Lines for the rules: a cancelled order, a return matching nothing, a duplicate, no id.
      const csv = join(dir, "shop.csv");
      const first = (await read(csv)).split("\n")[1];
      await Deno.writeTextFile(
        csv,
        [
          "S9000,A101,2,05/03/2022 10:00,3.50,1,DE",
          "CS9001,A101,-2,06/03/2022 10:00,3.50,1,DE",
          "CS9003,A103,-1,08/03/2022 10:00,9.99,2,DE",
          first,
          "S9002,A102,1,07/03/2022 10:00,2.00,,DE",
        ].join("\n") + "\n",
        { append: true },
      );
      const cfg = await writeConfig(dir, { reports: "r", processed: "p" });
      const polars = join(dir, "polars");
      const duck = join(dir, "duck");
      const a = await run(buildArgs(cfg, "--until", "rfm", "--out", polars));
      assert.equal(a.code, 0, a.stderr.slice(-2000));
      const b = await run(buildArgs(cfg, "--until", "rfm", "--out", duck, "--engine", "duckdb"));
      assert.equal(b.code, 0, b.stderr.slice(-2000));
      assert.match(b.stderr, /engine duckdb/);
      assert.match(b.stderr, /DuckDB data stage/);
      // The same lines, quarantine and customer table (the Parquet files differ only in how the
      // rows are chunked).
      for (const f of ["transactions", "quarantine", "customers"]) {
        const x = pl.readParquet(join(polars, dir, "p", `${f}.parquet`));
        const y = pl.readParquet(join(duck, dir, "p", `${f}.parquet`));
        assert.ok(x.height > 0, f);
        assert.ok(x.frameEqual(y, true), `${f} differs between the engines`);
      }
      await assertSameCustomersCsv(
        join(polars, dir, "r", "customers.csv"),
        join(duck, dir, "r", "customers.csv"),
      );
      const cleaning = (p: string) => read(join(p, dir, "r", "cleaning.json")).then(JSON.parse);
      const [cp, cd] = [await cleaning(polars), await cleaning(duck)];
      assert.deepEqual(cd.total, cp.total);
      for (const r of ["cancellation", "cancelled_order", "duplicate", "missing_customer"]) {
        assert.equal(cp.total.dropped[r], r === "cancellation" ? 2 : 1, r);
      }
      assert.deepEqual(cd.unmatchedReturns, cp.unmatchedReturns);
      assert.equal(cp.unmatchedReturns.lines, 1);

      // The warehouse round trip: the SQL's customer table, written by DuckDB, read back.
      const ds = await loadDataset(cfg);
      const sources = await resolveDataset(ds, { root: ROOT, log: () => {} });
      const table = join(dir, "customers-from-sql.parquet");
      await duckdbDataStage(ds, sources, { customersParquet: table });
      await editConfig(cfg, (o) => (o.files = [{ path: table, format: "customers" }]));
      const back = join(dir, "back");
      const c = await run(buildArgs(cfg, "--out", back));
      assert.equal(c.code, 0, c.stderr.slice(-2000));
      assert.match(c.stderr, /model stage skipped: the dataset is a customer table/);
      // K-Means runs on the table (the loyalty model cannot): a cluster per customer.
      assert.match(c.stderr, /k-means .* k = \d+/);
      const clusters = pl.readCSV(await read(join(back, dir, "r", "customers.csv")))
        .getColumn("cluster");
      assert.equal(clusters.nullCount(), 0);
      assert.ok(clusters.nUnique() >= 2, "at least two segments");
      const metrics = JSON.parse(await read(join(back, dir, "r", "metrics.json")));
      assert.equal(metrics.segmentation.chosenK, clusters.nUnique());
      assert.match(metrics.loyalty.skipped, /customer table/);
      await assertSameCustomersCsv(
        join(polars, dir, "r", "customers.csv"),
        join(back, dir, "r", "customers.csv"),
      );
      assert.equal(await exists(join(back, dir, "p", "transactions.parquet")), false, "no lines");
      const results = JSON.parse(await read(join(back, dir, "r", "results.json")));
      assert.match(results.cleaning.skipped, /customer table/);
      const manifest = JSON.parse(await read(join(back, dir, "r", "manifest.json")));
      assert.equal(
        manifest.inputs[0].rows,
        JSON.parse(await read(join(polars, dir, "r", "rfm.json"))).customers,
      );

      // A customer table that is not one stops the build before any output, naming the file.
      await Deno.writeFile(table, new Uint8Array([0]));
      const out = join(dir, "bad");
      const d = await run(buildArgs(cfg, "--out", out));
      assert.equal(d.code, 1);
      assert.match(d.stderr, /customers-from-sql\.parquet: cannot be read as a customer table/);
      assert.equal(await exists(join(out, dir, "r", "customers.csv")), false, "nothing published");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
