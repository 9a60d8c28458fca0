/**
 * Keys the configuration schema describes but the build does not run yet (`engine: "duckdb"`, a
 * `format: "customers"` file) are refused through the public command before any work: a clear
 * message naming the dataset (and the file), exit 1, and no output folder created.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildArgs, run, writeConfig, writeShop } from "./shop_fixture.ts";
import { exists } from "../../src/lib/files.ts";

/** Rewrites the fixture's configuration with `edit` applied. */
async function editConfig(cfg: string, edit: (o: Record<string, unknown>) => void): Promise<void> {
  const o = JSON.parse(await Deno.readTextFile(cfg));
  edit(o);
  await Deno.writeTextFile(cfg, JSON.stringify(o));
}

Deno.test({
  name: "build refuses engine duckdb and customers files before any work, naming them",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "unwired-" });
    try {
      await writeShop(dir, 1);
      const cfg = await writeConfig(dir, { reports: "r", processed: "p" });
      const out = join(dir, "build");

      // The fixture as written builds its data stage (so the refusals below are the keys' doing).
      const ok = await run(buildArgs(cfg, "--until", "rfm", "--out", out));
      assert.equal(ok.code, 0, ok.stderr.slice(-2000));
      await Deno.remove(out, { recursive: true });

      await editConfig(cfg, (o) => (o.engine = "duckdb"));
      const duck = await run(buildArgs(cfg, "--until", "rfm", "--out", out));
      assert.equal(duck.code, 1);
      assert.match(duck.stderr, /crash-shop: engine "duckdb" is not run by the build yet/);
      assert.match(duck.stderr, /deno task sql --dataset crash-shop/);
      assert.equal(await exists(out), false, "nothing written");

      await editConfig(cfg, (o) => {
        o.engine = "polars";
        o.files = [{ path: "customers.parquet", format: "customers" }];
      });
      await Deno.writeFile(join(dir, "customers.parquet"), new Uint8Array([0]));
      const cust = await run(buildArgs(cfg, "--until", "rfm", "--out", out));
      assert.equal(cust.code, 1);
      assert.match(
        cust.stderr,
        /crash-shop: files\[0\] \(customers\.parquet\) is a customer table \(format "customers"\)/,
      );
      assert.equal(await exists(out), false, "nothing written");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
