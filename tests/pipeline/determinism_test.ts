/**
 * Reviewers must get the same numbers: two consecutive builds of the default dataset write
 * byte-identical results, metrics, model and customer files. Runs on the real data from the
 * mirror when present; skipped with a message otherwise.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runAnalysis } from "../../src/pipeline/run.ts";
import { ROOT } from "../../src/lib/paths.ts";
import { loadDataset } from "../../src/config/registry.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { sha256File } from "../../src/lib/files.ts";

const MIRROR = join(ROOT, "..", "shared", "datasets", "online-retail-ii");
const present = await Deno.stat(MIRROR).then(() => true, () => false);
if (!present) console.log(`determinism test skipped: no data mirror at ${MIRROR}`);

Deno.test({
  name: "two builds give byte-identical results.json, metrics.json, model.json and customers.csv",
  ignore: !present,
  async fn() {
    const ds = await loadDataset(null);
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    try {
      const hashes: Record<string, string>[] = [];
      for (const dir of dirs) {
        await runAnalysis(ds, { outRoot: dir, progress: new Progress(() => {}) });
        const h: Record<string, string> = {};
        for (
          const f of [
            "results.json",
            "metrics.json",
            "model.json",
            "customers.csv",
            "cleaning.json",
            "rfm.json",
          ]
        ) {
          h[f] = await sha256File(join(dir, ds.outputs.reports, f));
        }
        hashes.push(h);
      }
      assert.deepEqual(hashes[1], hashes[0]);
      // The committed results are what this build produces (the same check as `deno task verify`).
      const committed = await sha256File(join(ROOT, ds.outputs.reports, "results.json"));
      assert.equal(
        hashes[0]["results.json"],
        committed,
        "reports/results.json is out of date: run `npx deno task verify --update`",
      );
    } finally {
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});
