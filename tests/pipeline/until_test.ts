/**
 * `build --until rfm` through the public command, on a small synthetic shop: it publishes the
 * data-stage outputs (clean lines, quarantine, cleaning report, RFM table, results and manifest)
 * and nothing of the models, and says so in results.json and manifest.json.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import pl from "nodejs-polars";
import { CUSTOMER_COLUMNS } from "../../src/pipeline/stages.ts";
import { assertRfmOnly, buildArgs, findPublic, run, withShop } from "./shop_fixture.ts";
import { exists } from "../../src/lib/files.ts";

Deno.test({
  name: "build --until rfm publishes the data-stage outputs and no models",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withShop("until-rfm-", async (dir, cfg) => {
      const out = join(dir, "build");
      const r = await run(buildArgs(cfg, "--until", "rfm", "--out", out));
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      // The model stage never started.
      assert.doesNotMatch(r.stderr, /k-means|features at cutoff|loyalty/);
      assert.match(r.stderr, /published the RFM outputs only/);

      // The public output folders, wherever the configuration's folders are re-rooted below --out.
      const R = dirname(findPublic(out, "cleaning.json"));
      const P = dirname(findPublic(out, "customers.parquet"));
      await assertRfmOnly(R, P);

      // The customer table: the RFM columns only, one row per customer of the shop.
      const customers = pl.readCSV(await Deno.readTextFile(join(R, "customers.csv")));
      assert.deepEqual(customers.columns, [...CUSTOMER_COLUMNS]);
      assert.equal(customers.height, 160 + 40);
      const parquet = pl.readParquet(join(P, "customers.parquet"));
      assert.deepEqual(parquet.columns, [...CUSTOMER_COLUMNS]);

      // The cleaning report accounts for every line; the kept lines are the published ones.
      const cleaning = JSON.parse(await Deno.readTextFile(join(R, "cleaning.json")));
      assert.equal(cleaning.total.reconciles, true);
      assert.equal(
        pl.readParquet(join(P, "transactions.parquet")).height,
        cleaning.total.rows_kept,
      );

      // results.json and manifest.json say that (and why) there are no models.
      const results = JSON.parse(await Deno.readTextFile(join(R, "results.json")));
      assert.match(results.models.skipped, /--until rfm/);
      assert.equal(results.cleaning.total.rows_kept, cleaning.total.rows_kept);
      assert.ok(results.rfm, "the RFM figures are in results.json");
      const manifest = JSON.parse(await Deno.readTextFile(join(R, "manifest.json")));
      assert.equal(manifest.modelStage.status, "skipped");
      assert.match(manifest.modelStage.reason, /--until rfm/);
    }),
});

Deno.test({
  name: "build --until refuses a stage it does not know, naming the valid ones",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withShop("until-bad-", async (dir, cfg) => {
      const r = await run(buildArgs(cfg, "--until", "clean", "--out", join(dir, "build")));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /--until must be one of rfm, got "clean"/);
      assert.equal(await exists(join(dir, "build")), false, "nothing is written");
    }),
});
