/**
 * The workspace root is found from the module's URL with `fileURLToPath`, so folders whose names
 * have spaces or `%` work (`URL.pathname` would keep `%20` and `%25`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { display, fromRoot, ROOT } from "../../src/lib/paths.ts";

Deno.test("ROOT is the workspace root", async () => {
  assert.ok((await Deno.stat(join(ROOT, "deno.json"))).isFile);
  assert.ok(!ROOT.endsWith("/"));
});

Deno.test("ROOT survives a workspace path with spaces and %", async () => {
  const base = await Deno.makeTempDir({ prefix: "paths_test_" });
  try {
    const root = join(base, "my work 100%");
    await Deno.mkdir(join(root, "src", "lib"), { recursive: true });
    await Deno.copyFile(join(ROOT, "src/lib/paths.ts"), join(root, "src/lib/paths.ts"));
    const url = pathToFileURL(join(root, "src/lib/paths.ts"));
    assert.match(url.href, /my%20work%20100%25/);
    const mod = await import(url.href);
    assert.equal(mod.ROOT, root);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("fromRoot and display", () => {
  assert.equal(fromRoot("reports/x.json"), `${ROOT}/reports/x.json`);
  assert.equal(fromRoot("/abs/x"), "/abs/x");
  assert.equal(display(`${ROOT}/reports/x.json`), "reports/x.json");
  assert.equal(display(ROOT), ".");
  assert.equal(display("/elsewhere/x"), "/elsewhere/x");
});
