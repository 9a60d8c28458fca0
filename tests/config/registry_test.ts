/**
 * Tests of the dataset resolver (src/config/registry.ts): a registry id, the registry's default,
 * or a stand-alone dataset file, with errors naming the file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../../src/config/errors.ts";
import { loadDataset } from "../../src/config/registry.ts";
import { datasetJson, fileJson } from "../fixtures/configs.ts";

/** A temporary `<tmp>/main` workspace root, removed afterwards. */
async function withWorkspace(fn: (root: string, tmp: string) => Promise<void>): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "rfm-registry-" });
  const root = join(tmp, "main");
  await Deno.mkdir(join(root, "data"), { recursive: true });
  try {
    await fn(root, tmp);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(value));
}

Deno.test("loadDataset selects a registry id or a stand-alone dataset file", async () => {
  await withWorkspace(async (root, tmp) => {
    await writeJson(join(root, "data/datasets.json"), {
      default: "b",
      datasets: [
        datasetJson({ id: "a", files: [fileJson({ name: "a.csv" })] }),
        datasetJson({ id: "b", files: [fileJson({ name: "b.csv" })] }),
      ],
    });
    assert.equal((await loadDataset(null, root)).id, "b");
    const a = await loadDataset("a", root);
    assert.equal(a.id, "a");
    assert.equal(a.baseDir, join(root, "data"));
    await assert.rejects(
      loadDataset("zz", root),
      /no dataset "zz" .*known: a, b/,
    );
    const file = join(tmp, "cfg", "one.json");
    await writeJson(file, datasetJson({ id: "one", files: [fileJson({ path: "x/*.csv" })] }));
    const one = await loadDataset(file, root);
    assert.deepEqual([one.id, one.baseDir, one.files[0].path], [
      "one",
      join(tmp, "cfg"),
      "x/*.csv",
    ]);
    await writeJson(file, { id: "one", files: [] });
    await assert.rejects(
      loadDataset(file, root),
      new RegExp(`${file}: files`),
    );
  });
});

Deno.test("loadDataset: a mistake names the file and the key; a missing file is named too", async () => {
  await withWorkspace(async (root, tmp) => {
    const registry = join(root, "data/datasets.json");
    const bad = datasetJson({ id: "a" });
    bad.files[0].colums = bad.files[0].columns;
    delete bad.files[0].columns;
    await writeJson(registry, { datasets: [bad] });
    const e = await loadDataset(null, root).then(() => null, (e) => e);
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    assert.equal(e.key, "datasets[0].files[0].colums");
    assert.ok(e.message.startsWith(`${registry}: datasets[0].files[0].colums: unknown key`));

    const missing = join(tmp, "nope.json");
    await assert.rejects(
      loadDataset(missing, root),
      new RegExp(`dataset file ${missing} does not exist`),
    );
  });
});
