/**
 * The dataset schema (src/config/dataset_schema.ts): the published JSON Schema is the generated
 * one, every count has an upper bound, impossible settings are refused before any work, the
 * `engine` key and `customers` files, `$schema`, the one rule for relative paths, and the README's
 * complete example.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { z } from "zod";
import { LIMITS, parseDataset, parseRegistry } from "../../src/config/dataset.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { loadDataset, outputResolver } from "../../src/config/registry.ts";
import { datasetJson, fileJson, type JsonObject } from "../fixtures/configs.ts";
import { REGENERATE, SCHEMA_FILE, schemaText } from "./write_schema.ts";

/** Asserts that parsing `json` throws a ConfigError at `key` whose message matches `message`. */
function refused(json: unknown, key: string, message: RegExp): ConfigError {
  let caught: unknown;
  try {
    parseDataset(json);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError at ${key}, got ${caught}`);
  assert.equal(caught.key, key, caught.message);
  assert.match(caught.message, message);
  assert.ok(caught.message.startsWith(`${key}: `), caught.message);
  return caught;
}

/** The minimal dataset with `model` sections merged in. */
function withModel(model: JsonObject): JsonObject {
  const d = datasetJson();
  for (const [k, v] of Object.entries(model)) d.model[k] = { ...(d.model[k] ?? {}), ...v };
  return d;
}

Deno.test("schema: data/dataset.schema.json is the schema generated from the zod schema", async () => {
  const committed = await Deno.readTextFile(SCHEMA_FILE).catch(() => "(missing)");
  assert.ok(
    committed === schemaText(),
    `data/dataset.schema.json differs from the schema generated from src/config/dataset_schema.ts;` +
      ` regenerate it with: ${REGENERATE}`,
  );
  // It carries what an editor needs: descriptions, bounds and defaults.
  const s = JSON.parse(committed);
  const kmeans = s.$defs.dataset.properties.model.properties.kmeans.properties;
  assert.deepEqual([kmeans.kMax.maximum, kmeans.kMax.default], [LIMITS.kMax.max, 10]);
  assert.match(kmeans.restarts.description, /restarts/);
  assert.deepEqual(s.$defs.dataset.properties.engine.enum, ["polars", "duckdb"]);
  assert.equal(s.$defs.dataset.additionalProperties, false);
});

Deno.test("schema: every count has an upper bound, named in the message", () => {
  const cases: [JsonObject, string, RegExp][] = [
    [{ kmeans: { kMax: 1000 } }, "model.kmeans.kMax", /must be at most 20, got 1000/],
    [{ kmeans: { restarts: 1_000_000 } }, "model.kmeans.restarts", /at most 25, got 1000000/],
    [{ kmeans: { stabilitySeeds: 100_000 } }, "model.kmeans.stabilitySeeds", /at most 20/],
    [{ kmeans: { maxIterations: 1e7 } }, "model.kmeans.maxIterations", /at most 1000/],
    [{ kmeans: { silhouetteSample: 1e9 } }, "model.kmeans.silhouetteSample", /at most 20000/],
    [{ kmeans: { k: 500 } }, "model.kmeans.k", /at most 20/],
    [{ knn: { folds: 1000 } }, "model.knn.folds", /at most 10/],
    [
      { knn: { kGrid: [1, 3, 100_000] } },
      "model.knn.kGrid",
      /expected positive integers up to 5000, got 100000 \(item \[2\]\)/,
    ],
    [
      { knn: { kGrid: Array.from({ length: 31 }, (_, i) => i + 1) } },
      "model.knn.kGrid",
      /expected at most 30 entries, got 31/,
    ],
    [{ loyalty: { bootstrap: 1e6 } }, "model.loyalty.bootstrap", /at most 10000/],
    [{ loyalty: { tuningRows: 1e6 } }, "model.loyalty.tuningRows", /at most 10000/],
    [{ loyalty: { snapshots: 100 } }, "model.loyalty.snapshots", /at most 8/],
    [{ loyalty: { lookbackDays: 100_000 } }, "model.loyalty.lookbackDays", /at most 1825/],
    [{ loyalty: { weightPasses: 50 } }, "model.loyalty.weightPasses", /at most 5/],
    [{ loyalty: { gbm: { rounds: 1e6 } } }, "model.loyalty.gbm.rounds", /at most 500/],
    [{ forward: { loyalMinInvoices: 1e9 } }, "model.forward.loyalMinInvoices", /at most 10000/],
  ];
  for (const [model, key, message] of cases) refused(withModel(model), key, message);
  // The bounds themselves are accepted.
  const ok = parseDataset(withModel({
    kmeans: { kMax: 20, restarts: 25, stabilitySeeds: 20, maxIterations: 1000 },
    knn: { folds: 10 },
    loyalty: { bootstrap: 10_000, tuningRows: 10_000 },
  }));
  assert.deepEqual(
    [ok.model.kmeans.kMax, ok.model.kmeans.restarts, ok.model.kmeans.stabilitySeeds],
    [20, 25, 20],
  );
});

Deno.test("schema: impossible settings are refused before any work", () => {
  // Score scale: equal, reversed, not finite (JSON's 1e999 parses to Infinity).
  refused(withModel({ score: { min: 500, max: 500 } }), "model.score.max", /must exceed min 500/);
  refused(withModel({ score: { min: 900, max: 100 } }), "model.score.max", /must exceed min 900/);
  refused(
    JSON.parse(JSON.stringify(withModel({ score: { max: 7 } })).replace('"max":7', '"max":1e999')),
    "model.score.max",
    /expected a finite number, got Infinity/,
  );
  // An outcome window of no days.
  refused(
    withModel({ forward: { cutoff: "2011-01-01", windowEnd: "2011-01-01" } }),
    "model.forward.windowEnd",
    /must be after cutoff 2011-01-01/,
  );
  // Duplicate names, empty lists, a k range upside down.
  refused(
    withModel({ forward: { levels: ["low", "mid", "low"] } }),
    "model.forward.levels[2]",
    /level "low" appears twice/,
  );
  refused(withModel({ score: { bands: ["A", "A"] } }), "model.score.bands[1]", /appears twice/);
  refused(
    { ...datasetJson(), model: { ...datasetJson().model, features: [] } },
    "model.features",
    /at least 1 entry/,
  );
  refused(withModel({ kmeans: { kMin: 6, kMax: 4 } }), "model.kmeans.kMax", /at least 6 \(kMin\)/);
  refused(withModel({ knn: { weights: [] } }), "model.knn.weights", /at least 1 entry/);
  refused(
    withModel({ loyalty: { lookbackDays: 0 } }),
    "model.loyalty.lookbackDays",
    /must be at least 28, got 0/,
  );
});

Deno.test("schema: engine (polars by default, or duckdb) and customers files", () => {
  assert.equal(parseDataset(datasetJson()).engine, "polars");
  assert.equal(parseDataset(datasetJson({ engine: "duckdb" })).engine, "duckdb");
  refused(
    datasetJson({ engine: "spark" }),
    "engine",
    /unknown engine "spark" \(allowed: polars, duckdb\)/,
  );

  const customers = { name: "customers.parquet", format: "customers" };
  const ds = parseDataset(datasetJson({ files: [customers] }));
  assert.deepEqual(
    [ds.files[0].format, ds.files[0].columns, ds.files[0].encoding],
    ["customers", {}, "utf-8"],
  );
  refused(
    datasetJson({ files: [{ ...customers, columns: { customer_id: "id" } }] }),
    "files[0].columns",
    /does not apply to a "customers" file/,
  );
  refused(
    datasetJson({ files: [{ ...customers, encoding: "latin1" }] }),
    "files[0].encoding",
    /does not apply to a "customers" file/,
  );
  refused(
    datasetJson({ files: [customers, fileJson()] }),
    "files[1].format",
    /either all customer tables \("customers"\) or all transaction files/,
  );
  refused(
    datasetJson({ files: [fileJson(), customers] }),
    "files[1].format",
    /files\[0\] is "csv", this one "customers"/,
  );
});

Deno.test("schema: a file's column mapping keeps the order it is written in", () => {
  const columns = { quantity: "q", unit_price: "p", customer_id: "c", timestamp: "t" };
  const ds = parseDataset(datasetJson({ files: [fileJson({ columns })] }));
  assert.deepEqual(Object.keys(ds.files[0].columns), Object.keys(columns));
});

Deno.test("schema: $schema is accepted (and ignored) in a dataset file and in the registry", () => {
  const d = parseDataset(datasetJson({ $schema: "./data/dataset.schema.json" }));
  assert.equal("$schema" in d, false);
  const r = parseRegistry({ $schema: "./dataset.schema.json", datasets: [datasetJson()] });
  assert.equal(r.default, "mini");
  // Only where it belongs: inside a section it is an unknown key.
  refused(
    datasetJson({ rfm: { $schema: "x" } }),
    "rfm.$schema",
    /unknown key \(allowed: bins, cutPoints, guards\)/,
  );
});

Deno.test("schema: messages quote at most ~80 characters of a value", () => {
  const long = "y".repeat(1_048_576);
  for (
    const [json, key] of [
      [datasetJson({ files: [fileJson({ format: long })] }), "files[0].format"],
      [datasetJson({ id: long }), "id"],
      [datasetJson({ timezone: long }), "timezone"],
      [datasetJson({ files: [fileJson({ nullWords: [` ${long}`] })] }), "files[0].nullWords[0]"],
      [withModel({ forward: { cutoff: long } }), "model.forward.cutoff"],
    ] as const
  ) {
    const e = refused(json, key, /./);
    assert.ok(!e.message.includes("y".repeat(81)), `${key}: ${e.message.slice(0, 200)}`);
    assert.ok(e.message.length < 400, `${key}: ${e.message.length} characters`);
  }
});

Deno.test("schema: outputs and files[].path are both relative to the JSON file's folder", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "config-paths-" });
  try {
    const root = join(tmp, "ws");
    await Deno.mkdir(join(root, "data"), { recursive: true });
    // A registry in <root>/data: its relative outputs start there.
    await Deno.writeTextFile(
      join(root, "data", "datasets.json"),
      JSON.stringify({
        datasets: [
          datasetJson({ id: "a", outputs: { reports: "../reports/a", processed: "processed/a" } }),
          datasetJson({ id: "b" }),
        ],
      }),
    );
    const a = await loadDataset("a", root);
    assert.deepEqual(a.outputs, { reports: "reports/a", processed: "data/processed/a" });
    assert.equal(a.baseDir, join(root, "data"));
    // Left out: the workspace's reports/<id> and data/processed/<id>.
    const b = await loadDataset("b", root);
    assert.deepEqual(b.outputs, { reports: "reports/b", processed: "data/processed/b" });

    // A dataset file in <root>/configs: outputs and the files' paths start in <root>/configs.
    const cfg = join(root, "configs", "shop.json");
    await Deno.mkdir(join(root, "configs"));
    await Deno.writeTextFile(
      cfg,
      JSON.stringify(datasetJson({
        id: "shop",
        files: [fileJson({ path: "exports/a.csv" })],
        outputs: { reports: "out/reports", processed: "/srv/shop/processed" },
      })),
    );
    const shop = await loadDataset(cfg, root);
    assert.equal(shop.baseDir, join(root, "configs"));
    assert.equal(shop.files[0].path, "exports/a.csv"); // resolved against baseDir when read
    assert.deepEqual(shop.outputs, {
      reports: "configs/out/reports",
      processed: "/srv/shop/processed",
    });
    // A dataset file outside the workspace: its outputs stay beside it (absolute).
    const outside = join(tmp, "elsewhere", "shop.json");
    await Deno.mkdir(join(tmp, "elsewhere"));
    await Deno.writeTextFile(outside, await Deno.readTextFile(cfg));
    assert.equal(
      (await loadDataset(outside, root)).outputs.reports,
      join(tmp, "elsewhere/out/reports"),
    );
    // The rule itself.
    assert.equal(outputResolver("/w/data", "/w")("../reports"), "reports");
    assert.equal(outputResolver("/w/data", "/w")("../../x"), "/x");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

const EXAMPLE = new URL("./readme_example.json", import.meta.url);
const README = new URL("../../README.md", import.meta.url);
const MARKER = "<!-- dataset-example -->";

Deno.test("schema: the README's complete example parses as written, with every section", async () => {
  const text = await Deno.readTextFile(EXAMPLE);
  const json = JSON.parse(text);
  // Where the README tells to save it: the workspace folder (so `$schema` finds the schema).
  const tmp = await Deno.makeTempDir({ prefix: "config-readme-" });
  try {
    await Deno.mkdir(join(tmp, "data"));
    await Deno.writeTextFile(join(tmp, "data", "dataset.schema.json"), schemaText());
    await Deno.writeTextFile(join(tmp, "my-shop.json"), text);
    const ds = await loadDataset(join(tmp, "my-shop.json"), tmp);
    assert.equal(ds.id, "my-shop");
    assert.deepEqual(ds.outputs, {
      reports: "reports/my-shop",
      processed: "data/processed/my-shop",
    });
    assert.ok(ds.source?.citation, "the site shows a source");
    await Deno.stat(join(tmp, json.$schema)); // the $schema address resolves
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  // Every top-level key of a dataset is shown.
  const keys = Object.keys(JSON.parse(schemaText()).$defs.dataset.properties);
  assert.deepEqual(keys.filter((k) => !(k in json) && k !== "download"), []);
  // Once the README carries the example (after the marker), it is this one.
  const readme = await Deno.readTextFile(README);
  const at = readme.indexOf(MARKER);
  if (at < 0) {
    console.log(`README.md has no ${MARKER} marker yet: the example is not compared`);
    return;
  }
  const block = /```json\n([\s\S]*?)\n```/.exec(readme.slice(at));
  assert.ok(block, `no json block after ${MARKER} in README.md`);
  assert.deepEqual(
    JSON.parse(block[1]),
    json,
    "README.md's example differs from tests/config/readme_example.json",
  );
});

/** Every leaf path of a JSON value (`["datasets", 0, "files", 1, "rows"]` …). */
function leaves(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (v !== null && typeof v === "object") {
    return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  }
  return [path];
}

Deno.test("schema: any wrong value anywhere in the real registry is a ConfigError at its key", () => {
  const real = JSON.parse(
    Deno.readTextFileSync(new URL("../../data/datasets.json", import.meta.url)),
  );
  const wrong: unknown[] = [null, "", "x".repeat(300), -1, 1e999, 1.5, 1e12, [], {}, true];
  let refusedCount = 0;
  let accepted = 0;
  // The CDNOW entry and the top level (the other entry has the same keys).
  const paths = leaves(real).filter((p) => p[0] !== "datasets" || p[1] === 1);
  for (const path of paths) {
    for (const value of wrong) {
      const j = structuredClone(real);
      let o = j;
      for (const p of path.slice(0, -1)) o = o[p];
      o[path[path.length - 1]] = value;
      try {
        parseRegistry(j);
        accepted++;
      } catch (e) {
        assert.ok(e instanceof ConfigError, `${path.join(".")} = ${value}: ${e}`);
        assert.ok(e.key.length > 0 && e.message.length < 600, e.message);
        assert.ok(!e.message.includes("x".repeat(81)), e.message);
        refusedCount++;
      }
    }
  }
  console.log(
    `${paths.length * wrong.length} variants: ${refusedCount} refused, ${accepted} accepted`,
  );
  // Most of them are refused (a few are valid: another string where any text goes, null where
  // null means "off" or "not checked").
  assert.ok(refusedCount > 10 * accepted, `${refusedCount} refused, ${accepted} accepted`);
});

Deno.test("schema: the published JSON Schema accepts the registry and the example, and flags mistakes", async () => {
  const jsonSchema = z.fromJSONSchema(JSON.parse(schemaText()));
  const registry = JSON.parse(
    Deno.readTextFileSync(new URL("../../data/datasets.json", import.meta.url)),
  );
  const example = JSON.parse(await Deno.readTextFile(EXAMPLE));
  assert.equal(jsonSchema.safeParse(registry).success, true, "data/datasets.json");
  assert.equal(jsonSchema.safeParse(example).success, true, "the README example");
  // What an editor flags: a typo, a count beyond its bound, an unknown format.
  const typo = structuredClone(example);
  typo.model.kmeans.restart = 3;
  assert.equal(jsonSchema.safeParse(typo).success, false);
  const big = structuredClone(example);
  big.model.kmeans.restarts = 1_000_000;
  assert.equal(jsonSchema.safeParse(big).success, false);
  const format = structuredClone(example);
  format.files[0].format = "xlsx";
  assert.equal(jsonSchema.safeParse(format).success, false);
});
