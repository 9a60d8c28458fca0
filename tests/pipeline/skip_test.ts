/**
 * When the model stage signals that the data supports RFM but not the models
 * ({@link ModelStageSkipped}), the run publishes the RFM outputs, says why on the log, records
 * the reason in results.json and manifest.json, builds no site, and does not fail. Any other
 * error of the model stage still fails the run with nothing published.
 *
 * The first case is a real trigger through the public command (an outcome window the data does
 * not cover); the second plants a fault through the run's test-only `modelStageImpl` option.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { loadDataset } from "../../src/config/registry.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { runAnalysis } from "../../src/pipeline/run.ts";
import { CUSTOMER_COLUMNS } from "../../src/pipeline/stages.ts";
import {
  assertRfmOnly,
  buildArgs,
  notebooksFree,
  processedOf,
  reportsOf,
  run,
  writeConfig,
  writeShop,
} from "./shop_fixture.ts";
import { exists } from "../../src/lib/files.ts";

/** Every file below a folder (following links; none when it does not exist). */
async function filesBelow(dir: string): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if ((await Deno.stat(p)).isDirectory) out.push(...await filesBelow(p));
    else out.push(p);
  }
  return out;
}

/** The shop with its outcome window set by the test. */
async function shopWithWindow(dir: string, cutoff: string, windowEnd: string): Promise<string> {
  await writeShop(dir, 1);
  const cfg = await writeConfig(dir);
  const json = JSON.parse(await Deno.readTextFile(cfg));
  json.model.forward = { cutoff, windowEnd, loyalMinInvoices: 3 };
  await Deno.writeTextFile(cfg, JSON.stringify(json));
  return cfg;
}

Deno.test({
  name: "build: a window the data does not cover skips the models, publishes RFM, exits 0",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "skip-models-" });
    try {
      // The shop's purchases end in December 2023: a window to mid-2024 is not covered.
      const cfg = await shopWithWindow(dir, "2023-12-01", "2024-06-01");
      await notebooksFree();
      // No --out and no --no-site: the build would build a site if it had models.
      const r = await run(buildArgs(cfg));
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      const said = /model stage skipped: (.+)/.exec(r.stderr);
      assert.ok(said, r.stderr.slice(-3000));
      const reason = said[1];
      assert.match(reason, /2024-05-31|2024-06-01/, "the reason names the window");
      assert.match(r.stderr, /no site was built/);
      assert.doesNotMatch(r.stderr, /k-means/);

      const R = reportsOf(dir);
      const P = processedOf(dir);
      await assertRfmOnly(R, P);
      const customers = pl.readParquet(join(P, "customers.parquet"));
      assert.deepEqual(customers.columns, [...CUSTOMER_COLUMNS]);
      assert.equal(customers.height, 200);
      const results = JSON.parse(await Deno.readTextFile(join(R, "results.json")));
      assert.deepEqual(results.models, { skipped: reason });
      const manifest = JSON.parse(await Deno.readTextFile(join(R, "manifest.json")));
      assert.deepEqual(manifest.modelStage, { status: "skipped", reason });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "any other model-stage error fails the run and publishes nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "skip-models-error-" });
    try {
      // A window the data covers, so that the run reaches the (planted) model stage.
      const ds = await loadDataset(await shopWithWindow(dir, "2023-01-01", "2023-12-01"));
      const out = join(dir, "build");
      let modelCalls = 0;
      await assert.rejects(
        runAnalysis(ds, {
          outRoot: out,
          progress: new Progress(() => {}),
          log: () => {},
          modelStageImpl: () => {
            modelCalls++;
            throw new Error("planted fault");
          },
        }),
        /planted fault/,
      );
      assert.equal(modelCalls, 1);
      // Nothing below the output root but the store's own lock and ignore file: no published
      // file and no staged set left behind.
      const left = (await filesBelow(out)).map((p) => p.split("/").slice(-2).join("/")).sort();
      assert.deepEqual(left, [".builds/.gitignore", ".builds/lock"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
