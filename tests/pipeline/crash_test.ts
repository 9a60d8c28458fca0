/**
 * Crash safety: a build killed (SIGKILL) at any moment leaves, as seen by a reader of the public
 * output paths, either the complete previous set of outputs or the complete new one — analysis
 * files and site together — and the next run cleans up whatever the killed one left.
 *
 * Each case builds a small synthetic shop once (the "old" outputs), changes its data, starts a
 * child build that pauses at a named point (`RFM_TEST_PAUSE_AT`, src/lib/store.ts `checkpoint`),
 * kills it there and compares every public file (by sha256) with the old set and with the new
 * set the child had staged. The points cover the stages (ingest, models), the written but
 * unpublished set, the site build, and every step of the publication (links created, pointer
 * switched, results.json copied). Builds with a site use a stand-in renderer (a few files) so
 * that a case takes seconds; one case kills a real Framework build and checks that Framework
 * does not outlive it. No wall-clock assertion; every wait is bounded.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { ROOT } from "../../src/lib/paths.ts";
import { sha256File } from "../../src/lib/files.ts";
import { ANALYSIS_OUTPUTS, CURRENT, PAUSE_ENV, STORE_DIR } from "../../src/lib/store.ts";
import {
  buildArgs,
  DENO,
  notebooksFree,
  processedOf,
  reportsOf,
  run,
  src,
  writeConfig,
  writeShop,
} from "./shop_fixture.ts";

/** Every file below a folder (following links), relative, sorted. */
async function filesBelow(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const st = await Deno.stat(join(dir, e.name));
    if (st.isDirectory) out.push(...await filesBelow(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

type View = Record<string, string>;

/**
 * What a reader sees through the public paths: every output name (and every site file) that
 * exists, with its sha256.
 */
async function publicView(dir: string): Promise<View> {
  const v: View = {};
  const add = async (key: string, path: string) => {
    try {
      v[key] = await sha256File(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound || (e as { code?: string }).code === "ENOENT")) {
        throw e;
      }
    }
  };
  for (const n of ANALYSIS_OUTPUTS.reports) await add(n, join(reportsOf(dir), n));
  for (const n of ANALYSIS_OUTPUTS.processed) {
    await add(`processed/${n}`, join(processedOf(dir), n));
  }
  const site = join(reportsOf(dir), "site");
  const hasSite = await Deno.stat(site).then((s) => s.isDirectory, () => false);
  if (hasSite) { for (const f of await filesBelow(site)) await add(`site/${f}`, join(site, f)); }
  return v;
}

/** The same view of a set folder in the store (what publishing it shows). */
async function setView(setDir: string): Promise<View> {
  const v: View = {};
  for (const f of await filesBelow(setDir)) {
    if (f.startsWith(".")) continue;
    v[f] = await sha256File(join(setDir, f));
  }
  return v;
}

const storeOf = (dir: string) => join(reportsOf(dir), STORE_DIR);

/** The published set's folder name. */
const currentId = (dir: string) => Deno.readLinkSync(join(storeOf(dir), CURRENT));

/** Set folders in the store other than `except`. */
async function otherSets(dir: string, except: string): Promise<string[]> {
  const out = [];
  for await (const e of Deno.readDir(storeOf(dir))) {
    if (e.isDirectory && /^\d{8}T\d{6}Z-/.test(e.name) && e.name !== except) out.push(e.name);
  }
  return out;
}

/**
 * Starts a child that pauses at `point`, waits (bounded) until it says so, and kills it with
 * SIGKILL there. Fails when the child ends or stays silent instead.
 *
 * @returns the child's standard error up to the pause
 */
async function killAt(args: string[], point: string, onPaused?: (pid: number) => Promise<void>) {
  const child = new Deno.Command(DENO, {
    args,
    cwd: ROOT,
    env: { [PAUSE_ENV]: point },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const timeout = setTimeout(() => child.kill("SIGKILL"), 300_000); // bounded: never hangs
  try {
    while (!text.includes(`paused at ${point}`)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    assert.ok(text.includes(`paused at ${point}`), `the child never reached ${point}:\n${text}`);
    if (onPaused) await onPaused(child.pid);
    child.kill("SIGKILL");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
  } finally {
    clearTimeout(timeout);
    await reader.cancel().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
  }
  return text;
}

/** After a kill, then after recovery: no leftover of the killed run, every public link works. */
async function assertClean(dir: string): Promise<void> {
  const cur = currentId(dir);
  const store = (await Array.fromAsync(Deno.readDir(storeOf(dir)))).map((e) => e.name).sort();
  assert.deepEqual(store, [".gitignore", cur, CURRENT, "lock"].sort(), "store leftovers");
  for (const folder of [reportsOf(dir), processedOf(dir)]) {
    for await (const e of Deno.readDir(folder)) {
      assert.ok(!e.name.startsWith(".tmp-"), `leftover ${join(folder, e.name)}`);
      if (e.isSymlink) await Deno.stat(join(folder, e.name)); // resolves
    }
  }
  assert.ok(!(await Deno.stat(join(storeOf(dir), cur, ".results-not-copied")).catch(() => null)));
  const published = await setView(join(storeOf(dir), cur));
  assert.equal(
    await sha256File(join(reportsOf(dir), "results.json")),
    published["results.json"],
    "results.json is the published set's",
  );
}

/** Opens the store (the first thing every run does) and closes it: the recovery alone. */
async function recoverOnly(dir: string): Promise<string> {
  const script = join(dir, "recover.ts");
  await Deno.writeTextFile(
    script,
    `import { ANALYSIS_OUTPUTS, OutputStore } from ${JSON.stringify(src("lib/store.ts"))};\n` +
      `const s = await OutputStore.open(${
        JSON.stringify({ reports: reportsOf(dir), processed: processedOf(dir) })
      }, { datasetId: "crash-shop", names: ANALYSIS_OUTPUTS });\ns.close();\n`,
  );
  const r = await run(["run", "-A", script]);
  assert.equal(r.code, 0, r.stderr);
  return r.stderr;
}

/**
 * A child that builds with a stand-in site renderer (`build`), or rebuilds only the site
 * (`site`): the same store, lock and publication as the real commands.
 */
async function writeFakeSiteChild(dir: string): Promise<string> {
  const script = join(dir, "fake_site_child.ts");
  await Deno.writeTextFile(
    script,
    `import { loadDataset } from ${JSON.stringify(src("config/registry.ts"))};
import { runAnalysis } from ${JSON.stringify(src("pipeline/run.ts"))};
import { Progress } from ${JSON.stringify(src("pipeline/progress.ts"))};
import { publishSiteWith } from ${JSON.stringify(src("site/framework.ts"))};
const [mode, cfg, tag] = Deno.args;
const dataset = await loadDataset(cfg);
const render = async (ctx) => {
  const results = await Deno.readTextFile(ctx.reports + "/results.json");
  await Deno.mkdir(ctx.site + "/_observablehq", { recursive: true });
  await Deno.writeTextFile(ctx.site + "/index.html", "site " + tag + " of " + results.length);
  await Deno.writeTextFile(ctx.site + "/_observablehq/client.js", "// " + tag);
};
if (mode === "build") {
  await runAnalysis(dataset, {
    progress: new Progress(() => {}),
    withSite: true,
    beforePublish: async (set) => { await publishSiteWith({ dataset, into: set }, render); },
  });
} else {
  await publishSiteWith({ dataset }, render);
}
`,
  );
  return script;
}

const childArgs = (script: string, ...args: string[]) => [
  "run",
  "-A",
  "--config",
  join(ROOT, "deno.json"),
  script,
  ...args,
];

/** The shop with its old outputs built, once per kind (with or without a site), to copy. */
const templates = new Map<boolean, Promise<string>>();
addEventListener("unload", () => {
  for (const t of templates.values()) {
    t.then((dir) => Deno.removeSync(dir, { recursive: true })).catch(() => {});
  }
});

async function template(withSite: boolean): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `crash-template-${withSite ? "site" : "nosite"}-` });
  await writeShop(dir, 1);
  const cfg = await writeConfig(dir);
  const child = await writeFakeSiteChild(dir);
  const r = withSite
    ? await run(childArgs(child, "build", cfg, "old"))
    : await run(buildArgs(cfg, "--no-site"));
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

/**
 * A temporary folder with the shop's old outputs built (a copy of the template: the links are
 * relative, so they work in the copy) and the data changed to the new variant.
 */
async function prepared(
  withSite: boolean,
): Promise<{ dir: string; cfg: string; old: View; child: string }> {
  if (!templates.has(withSite)) templates.set(withSite, template(withSite));
  const from = await templates.get(withSite)!;
  const dir = await Deno.makeTempDir({ prefix: "crash-" });
  const cp = await new Deno.Command("cp", { args: ["-a", `${from}/.`, dir] }).output();
  assert.ok(cp.success, new TextDecoder().decode(cp.stderr));
  const cfg = await writeConfig(dir);
  const child = await writeFakeSiteChild(dir);
  await writeShop(dir, 2);
  const old = await publicView(dir);
  assert.ok(old["processed/customers.parquet"] && old["customers.csv"]);
  assert.equal(!!old["site/index.html"], withSite);
  return { dir, cfg, old, child };
}

/** What a reader must see after the kill. */
type Expect = "old" | "new" | "new, results.json old";

/**
 * Kills a child at `point`, checks the reader's view, recovers (the next run's first step) and
 * checks again; with `rebuild`, then runs a complete build and checks that it publishes normally.
 */
async function crashCase(
  withSite: boolean,
  args: (p: { cfg: string; child: string }) => string[],
  point: string,
  expect: Expect,
  rebuild = false,
) {
  const { dir, cfg, old, child } = await prepared(withSite);
  try {
    const oldId = currentId(dir);
    await killAt(args({ cfg, child }), point);
    const seen = await publicView(dir);
    const now = currentId(dir);
    const leftovers = await otherSets(dir, now);
    if (expect === "old") {
      assert.deepEqual(seen, old, `killed at ${point}: not the old set`);
      assert.equal(now, oldId);
    } else {
      // The new set is the one the killed child staged and published.
      assert.notEqual(now, oldId, `killed at ${point}: the pointer was not switched`);
      const fresh = await setView(join(storeOf(dir), now));
      assert.notEqual(fresh["results.json"], old["results.json"], "the data change shows");
      const expected = { ...fresh };
      if (expect === "new, results.json old") expected["results.json"] = old["results.json"];
      assert.deepEqual(seen, expected, `killed at ${point}: not the new set`);
      assert.deepEqual(leftovers, [oldId], "the old set is still there until the next run");
    }
    // The next run first cleans up (and finishes the results.json copy), changing nothing else.
    const note = await recoverOnly(dir);
    const after = await publicView(dir);
    if (expect === "old") assert.deepEqual(after, old);
    else assert.deepEqual(after, await setView(join(storeOf(dir), currentId(dir))));
    if (leftovers.length || expect === "new, results.json old") {
      assert.match(note, /cleaned up after an interrupted run: /);
    }
    await assertClean(dir);
    if (!rebuild) return;
    // And a whole build still works on top.
    const again = withSite
      ? await run(childArgs(child, "build", cfg, "again"))
      : await run(buildArgs(cfg, "--no-site"));
    assert.equal(again.code, 0, again.stderr);
    await assertClean(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const cli = ({ cfg }: { cfg: string }) => buildArgs(cfg, "--no-site");
const fakeBuild = ({ cfg, child }: { cfg: string; child: string }) =>
  childArgs(child, "build", cfg, "new");
const fakeSiteOnly = ({ cfg, child }: { cfg: string; child: string }) =>
  childArgs(child, "site", cfg, "rebuilt");

// The build command itself (`deno task build --no-site`), killed at every stage.
for (
  const [point, expect] of [
    ["ingest", "old"],
    ["model", "old"],
    ["write", "old"],
    ["publish:links", "old"],
    ["publish:switched", "new, results.json old"],
    ["publish:copied", "new"],
  ] as const
) {
  Deno.test(`crash: build killed at ${point} leaves the ${expect} outputs`, async () => {
    await crashCase(false, cli, point, expect, point === "publish:switched");
  });
}

// Analysis and site published together (stand-in renderer), killed around the site.
for (
  const [point, expect] of [
    ["model", "old"],
    ["site:rendered", "old"],
    ["publish:links", "old"],
    ["publish:switched", "new, results.json old"],
    ["publish:copied", "new"],
  ] as const
) {
  Deno.test(`crash: build with site killed at ${point} leaves the ${expect} outputs and site`, async () => {
    await crashCase(true, fakeBuild, point, expect, point === "publish:switched");
  });
}

// The site rebuilt alone from the published outputs (`deno task site`).
for (
  const [point, expect] of [
    ["site:rendered", "old"],
    ["publish:links", "old"],
    ["publish:switched", "new"], // same analysis, so results.json is already right
  ] as const
) {
  Deno.test(`crash: site-only rebuild killed at ${point} leaves the ${expect} site`, async () => {
    const { dir, cfg, old, child } = await prepared(true);
    try {
      await killAt(fakeSiteOnly({ cfg, child }), point);
      const seen = await publicView(dir);
      const analysis = (v: View) =>
        Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith("site/")));
      assert.deepEqual(analysis(seen), analysis(old), "the analysis outputs never change");
      if (expect === "old") assert.equal(seen["site/index.html"], old["site/index.html"]);
      else {
        assert.notEqual(seen["site/index.html"], old["site/index.html"]);
        assert.deepEqual(seen, await setView(join(storeOf(dir), currentId(dir))));
      }
      await recoverOnly(dir);
      await assertClean(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("crash: an interrupted adoption of the older layout resumes without a visible change", async () => {
  const { dir } = await prepared(true);
  try {
    // Turn the outputs into the older layout: real files and a real site folder, no store.
    const reports = reportsOf(dir);
    const processed = processedOf(dir);
    const set = join(storeOf(dir), currentId(dir));
    for (const n of ANALYSIS_OUTPUTS.reports) {
      await Deno.remove(join(reports, n));
      await Deno.copyFile(join(set, n), join(reports, n));
    }
    for (const n of ANALYSIS_OUTPUTS.processed) {
      await Deno.remove(join(processed, n));
      await Deno.copyFile(join(set, "processed", n), join(processed, n));
    }
    await Deno.remove(join(reports, "site"));
    await Deno.rename(join(set, "site"), join(reports, "site"));
    await Deno.remove(storeOf(dir), { recursive: true });
    const before = await publicView(dir);
    // Kill the first run of the new layout in the middle of its adoption.
    const script = join(dir, "adopt.ts");
    await Deno.writeTextFile(
      script,
      `import { ANALYSIS_OUTPUTS, OutputStore } from ${JSON.stringify(src("lib/store.ts"))};\n` +
        `await OutputStore.open(${
          JSON.stringify({ reports, processed })
        }, { datasetId: "crash-shop", names: ANALYSIS_OUTPUTS });\n`,
    );
    await killAt(["run", "-A", script], "adopt");
    assert.deepEqual(await publicView(dir), before);
    await recoverOnly(dir);
    assert.deepEqual(await publicView(dir), before);
    await assertClean(dir);
    for (const n of ["customers.csv", "site", "manifest.json"]) {
      assert.ok((await Deno.lstat(join(reports, n))).isSymlink, n);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Whether a process is gone (or a zombie nobody reaped). */
function gone(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** The children of a process (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) {
        out.push(Number(e.name));
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const haveProc = await Deno.stat("/proc/self/stat").then(() => true, () => false);

Deno.test({
  name:
    "crash: a real site build killed while Framework runs leaves the old outputs, and no Framework",
  ignore: !haveProc,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { dir, cfg, old } = await prepared(false);
    try {
      await notebooksFree();
      let framework: number[] = [];
      await killAt(buildArgs(cfg), "site:framework", (pid) => {
        framework = childrenOf(pid);
        return Promise.resolve();
      });
      assert.ok(framework.length >= 1, "Framework was running");
      assert.deepEqual(await publicView(dir), old);
      // Framework notices that its parent is gone and exits (bounded wait, no timing claim).
      for (let i = 0; i < 600 && !framework.every(gone); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(framework.every(gone), `Framework outlived the build: ${framework.join(", ")}`);
      await recoverOnly(dir);
      await assertClean(dir);
      assert.deepEqual(await publicView(dir), old);
      assert.equal(
        relative(ROOT, dir).startsWith(".."),
        true,
        "the test wrote outside the workspace",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
