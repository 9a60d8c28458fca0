/**
 * The dependency rules of the workspace (see `import_rules.ts` and the README's Layout section)
 * hold on the real source tree, and each rule catches a planted violation.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { ROOT } from "../../src/lib/paths.ts";
import { allowedIsAcyclic, checkGraph, importSpecifiers, readGraph } from "./import_rules.ts";

Deno.test("the workspace's import graph follows the dependency rules", async () => {
  const graph = await readGraph(ROOT);
  assert.ok(graph.size > 40, `read only ${graph.size} modules`);
  const violations = checkGraph(graph);
  assert.deepEqual(
    violations.map((v) => `${v.file} → ${v.imports}: ${v.rule}`),
    [],
  );
});

Deno.test("the allowed-imports table is acyclic", () => {
  assert.equal(allowedIsAcyclic(), true);
});

Deno.test("import specifiers: static, re-export, dynamic, side-effect; comments ignored", () => {
  const text = `
import pl from "nodejs-polars";
import type { A } from "../config/dataset.ts";
export * from "./x.ts";
export { y } from "./y.ts";
import "./side.ts";
const m = await import("./lazy.ts");
/**
 * @example
 * import { z } from "./doc-only.ts";
 */
// import { w } from "./commented.ts";
`;
  assert.deepEqual(importSpecifiers(text).sort(), [
    "../config/dataset.ts",
    "./lazy.ts",
    "./side.ts",
    "./x.ts",
    "./y.ts",
    "nodejs-polars",
  ]);
});

/** Writes a fixture tree and returns the violations found in it. */
async function violationsOf(files: Record<string, string>): Promise<string[]> {
  const root = await Deno.makeTempDir({ prefix: "import-rules-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(join(root, dirname(path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    }
    return checkGraph(await readGraph(root)).map((v) => `${v.file} → ${v.imports}: ${v.rule}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("planted violations are each reported", async () => {
  const clean = {
    "src/lib/time.ts": "export const DAY = 1;\n",
    "src/config/dataset.ts": 'import { DAY } from "../lib/time.ts";\nexport const X = DAY;\n',
    "src/score/score.ts": 'import { X } from "../config/dataset.ts";\nexport const S = X;\n',
    "src/model/fit.ts": 'import { S } from "../score/score.ts";\nexport const F = S;\n',
    "src/pipeline/run.ts": 'import { F } from "../model/fit.ts";\nexport const R = F;\n',
    "src/cli/build.ts": 'import { R } from "../pipeline/run.ts";\nconsole.log(R);\n',
    "notebooks/data/x.json.ts": 'import { S } from "../../src/score/score.ts";\n',
  };
  assert.deepEqual(await violationsOf(clean), []);

  // A stage importing a later stage (score → model, which also makes a folder cycle).
  const backwards = await violationsOf({
    ...clean,
    "src/score/score.ts": 'import { F } from "../model/fit.ts";\nexport const S = F;\n',
  });
  assert.ok(
    backwards.includes(
      "src/score/score.ts → src/model/fit.ts: src/score/ may not import src/model/",
    ),
    backwards.join("\n"),
  );
  assert.ok(
    backwards.some((v) => v.includes("import cycle between folders")),
    backwards.join("\n"),
  );

  // polars, node:* and Deno in a pure folder, directly and through config.
  const impure = await violationsOf({
    ...clean,
    "src/model/fit.ts":
      'import pl from "nodejs-polars";\nimport { S } from "../score/score.ts";\nexport const F = S;\n',
    "src/config/dataset.ts": 'import { join } from "node:path";\nexport const X = join("a");\n',
    "src/score/score.ts":
      'import { X } from "../config/dataset.ts";\nexport const S = Deno.pid + X;\n',
  });
  assert.ok(
    impure.includes("src/model/fit.ts → nodejs-polars: src/model/ must be pure"),
    impure.join("\n"),
  );
  assert.ok(
    impure.includes("src/score/score.ts → Deno: src/score/ must be pure"),
    impure.join("\n"),
  );
  assert.ok(
    impure.includes(
      "src/score/score.ts → node:path (through src/config/dataset.ts): src/score/ must be pure",
    ),
    impure.join("\n"),
  );

  // Importing a CLI module (from src/ or from a loader), and src/ importing the site.
  const cli = await violationsOf({
    ...clean,
    "notebooks/data/x.json.ts": 'import "../../src/cli/build.ts";\n',
    "src/model/fit.ts":
      'import { S } from "../score/score.ts";\nimport "../../notebooks/components/chart.js";\nexport const F = S;\n',
  });
  assert.ok(
    cli.includes("notebooks/data/x.json.ts → src/cli/build.ts: nothing imports a CLI module"),
    cli.join("\n"),
  );
  assert.ok(
    cli.includes(
      "src/model/fit.ts → notebooks/components/chart.js: src/ does not import the site (notebooks/)",
    ),
    cli.join("\n"),
  );

  // A module outside the stage folders, and an unknown folder.
  const stray = await violationsOf({
    ...clean,
    "src/helpers.ts": "export {};\n",
    "src/misc/a.ts": 'import "../lib/time.ts";\n',
  });
  assert.ok(
    stray.includes("src/helpers.ts → : every module of src/ lives in a stage folder"),
    stray.join("\n"),
  );
  assert.ok(
    stray.includes("src/misc/a.ts → src/lib/time.ts: src/misc/ is not a known folder"),
    stray.join("\n"),
  );
});
