/**
 * `verify --update` writes a committed `results.json`, so it takes the reports folder's lock, as
 * a build does: while another process holds it the update is refused at once, naming the holder,
 * and nothing is written; once the lock is free the update writes the file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { exists } from "../../src/lib/files.ts";
import { ROOT } from "../../src/lib/paths.ts";
import { lockOutputFolder } from "../../src/lib/store.ts";
import { reportsOf, run, writeConfig, writeShop } from "./shop_fixture.ts";

const verifyArgs = (cfg: string) => [
  "run",
  "-A",
  join(ROOT, "src/cli/verify.ts"),
  "--dataset",
  cfg,
  "--update",
];

Deno.test("verify --update: refused while the reports folder is locked, writes once it is free", async () => {
  const dir = await Deno.makeTempDir({ prefix: "verify-lock-" });
  try {
    await writeShop(dir, 1);
    const cfg = await writeConfig(dir);
    const results = join(reportsOf(dir), "results.json");

    const lock = await lockOutputFolder(reportsOf(dir));
    let refused;
    try {
      refused = await run(verifyArgs(cfg));
    } finally {
      lock.release();
    }
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`is in use by process ${Deno.pid}\\b`));
    assert.doesNotMatch(refused.stderr, /rebuilding/, "refused before any work");
    assert.equal(await exists(results), false, "nothing written while locked");

    const done = await run(verifyArgs(cfg));
    assert.equal(done.code, 0, done.stderr);
    const written = JSON.parse(await Deno.readTextFile(results));
    assert.equal(written.dataset, "crash-shop");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
