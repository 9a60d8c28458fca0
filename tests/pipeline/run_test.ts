/**
 * The customer table of a full run (`src/pipeline/run.ts`): the RFM columns, then the model's
 * inputs and columns, with the per-customer `reasons` right after `band`; and the run records
 * that the model stage ran.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import pl from "nodejs-polars";
import { loadDataset } from "../../src/config/registry.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { runAnalysis } from "../../src/pipeline/run.ts";
import { CUSTOMER_COLUMNS } from "../../src/pipeline/stages.ts";
import { writeConfig, writeShop } from "./shop_fixture.ts";

Deno.test({
  name: "a full run writes the model columns with reasons right after band",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "run-reasons-" });
    try {
      await writeShop(dir, 1);
      const cfg = await writeConfig(dir);
      const json = JSON.parse(await Deno.readTextFile(cfg));
      // A window the shop's data covers (its purchases run to December 2023).
      json.model.forward = { cutoff: "2023-01-01", windowEnd: "2023-12-01", loyalMinInvoices: 3 };
      await Deno.writeTextFile(cfg, JSON.stringify(json));
      const ds = await loadDataset(cfg);
      const result = await runAnalysis(ds, {
        outRoot: join(dir, "build"),
        progress: new Progress(() => {}),
      });
      assert.deepEqual(result.modelStage, { status: "done" });
      const parquet = result.written.find((p) => p.endsWith("customers.parquet"));
      assert.ok(parquet);
      const table = pl.readParquet(join(dirname(parquet), "customers.parquet"));
      const cols = table.columns;
      assert.deepEqual(cols.slice(0, CUSTOMER_COLUMNS.length), [...CUSTOMER_COLUMNS]);
      const band = cols.indexOf("band");
      assert.ok(band > 0, "band is written");
      assert.equal(cols[band + 1], "reasons", `reasons follows band: ${cols.join(", ")}`);
      assert.equal(cols.length, band + 2, "reasons is the last column");
      assert.equal(table.getColumn("reasons").dtype.variant, "String");
      assert.equal(table.height, 200);
      const manifest = JSON.parse(
        await Deno.readTextFile(result.written.find((p) => p.endsWith("manifest.json"))!),
      );
      assert.deepEqual(manifest.modelStage, { status: "done" });
      const results = JSON.parse(
        await Deno.readTextFile(result.written.find((p) => p.endsWith("results.json"))!),
      );
      assert.equal(results.models.skipped, undefined);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
