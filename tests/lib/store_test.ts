/**
 * Tests of the output store (src/lib/store.ts): publishing a set with one switch of the pointer,
 * the stable public links, results.json kept as a real file, cleanup of what an interrupted run
 * left, adoption of the older layout, refusal of foreign files, and where outputs may go. The
 * kill tests (a real build killed at every stage) are in tests/pipeline/crash_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ANALYSIS_OUTPUTS,
  checkOutputFolders,
  OutputStore,
  removeDeadTemps,
  STORE_DIR,
} from "../../src/lib/store.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "store_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const DATASET = "shop";
const quiet = { datasetId: DATASET, names: ANALYSIS_OUTPUTS, log: () => {} };

/** A set's files, as a run writes them (the results name the dataset, like the real ones). */
async function fill(
  set: { reports: string; processed: string; site: string },
  tag: string,
  site = true,
) {
  for (const n of ANALYSIS_OUTPUTS.reports) {
    const body = n === "results.json" || n === "manifest.json"
      ? JSON.stringify({ dataset: DATASET, tag })
      : `${n} ${tag}`;
    await Deno.writeTextFile(join(set.reports, n), body);
  }
  for (const n of ANALYSIS_OUTPUTS.processed) {
    await Deno.writeTextFile(join(set.processed, n), `${n} ${tag}`);
  }
  if (site) {
    await Deno.mkdir(join(set.site, "_observablehq"), { recursive: true });
    await Deno.writeTextFile(join(set.site, "index.html"), `site ${tag}`);
  }
}

/** What a reader sees through the public paths: name → content (null: missing). */
async function view(folders: { reports: string; processed: string }) {
  const out: Record<string, string | null> = {};
  const read = (p: string) => Deno.readTextFile(p).catch(() => null);
  for (const n of ANALYSIS_OUTPUTS.reports) out[n] = await read(join(folders.reports, n));
  for (const n of ANALYSIS_OUTPUTS.processed) out[n] = await read(join(folders.processed, n));
  out.site = await read(join(folders.reports, "site", "index.html"));
  return out;
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

function foldersIn(dir: string) {
  return { reports: join(dir, "reports"), processed: join(dir, "data", "processed") };
}

async function publishTagged(
  folders: { reports: string; processed: string },
  tag: string,
  site = true,
) {
  const store = await OutputStore.open(folders, quiet);
  try {
    const set = await store.stage();
    await fill(set, tag, site);
    await store.publish(set);
    return set.id;
  } finally {
    store.close();
  }
}

/** The id of a process that has exited (so that its temporary files are leftovers). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("store: a published set appears through stable links; the next one replaces it whole", async () => {
  await withTempDir(async (dir) => {
    const folders = foldersIn(dir);
    const first = await publishTagged(folders, "one");
    const v1 = await view(folders);
    assert.equal(v1["customers.csv"], "customers.csv one");
    assert.equal(v1["transactions.parquet"], "transactions.parquet one");
    assert.equal(v1.site, "site one");
    assert.equal(JSON.parse(v1["results.json"]!).tag, "one");
    // Links, one per name, through the pointer; results.json is a real file (committed to git).
    assert.equal(
      await Deno.readLink(join(folders.reports, "customers.csv")),
      `${STORE_DIR}/current/customers.csv`,
    );
    assert.equal(
      await Deno.readLink(join(folders.processed, "customers.parquet")),
      `../../reports/${STORE_DIR}/current/processed/customers.parquet`,
    );
    assert.equal(await Deno.readLink(join(folders.reports, "site")), `${STORE_DIR}/current/site`);
    assert.ok((await Deno.lstat(join(folders.reports, "results.json"))).isFile);
    const store = join(folders.reports, STORE_DIR);
    assert.deepEqual(names(store), [".gitignore", first, "current", "lock"]);
    assert.equal(await Deno.readTextFile(join(store, ".gitignore")), "*\n");

    // A second run without a site: the first set and its site are retired together.
    const second = await publishTagged(folders, "two", false);
    const v2 = await view(folders);
    assert.equal(v2["customers.csv"], "customers.csv two");
    assert.equal(JSON.parse(v2["results.json"]!).tag, "two");
    assert.equal(v2.site, null);
    await assert.rejects(Deno.lstat(join(folders.reports, "site")), Deno.errors.NotFound);
    assert.deepEqual(names(store), [".gitignore", second, "current", "lock"]);
    assert.deepEqual(
      names(folders.reports),
      [
        STORE_DIR,
        ...ANALYSIS_OUTPUTS.reports,
      ].sort(),
    );
  });
});

Deno.test("store: a site-only rebuild shares the analysis files (hard links) and replaces the site", async () => {
  await withTempDir(async (dir) => {
    const folders = foldersIn(dir);
    await publishTagged(folders, "one");
    const store = await OutputStore.open(folders, quiet);
    try {
      const cur = (await store.current())!;
      const set = await store.stageFromCurrent();
      assert.deepEqual(names(set.dir), [...ANALYSIS_OUTPUTS.reports, "processed"].sort());
      const ino = async (p: string) => (await Deno.stat(p)).ino;
      assert.equal(
        await ino(join(set.processed, "transactions.parquet")),
        await ino(join(cur.processed, "transactions.parquet")),
      );
      await Deno.mkdir(set.site);
      await Deno.writeTextFile(join(set.site, "index.html"), "site rebuilt");
      // Not published yet: readers still see the old site.
      assert.equal((await view(folders)).site, "site one");
      await store.publish(set);
    } finally {
      store.close();
    }
    const v = await view(folders);
    assert.equal(v.site, "site rebuilt");
    assert.equal(v["customers.csv"], "customers.csv one");
  });
});

Deno.test("store: the next run removes unpublished sets and dead processes' temporary files only", async () => {
  await withTempDir(async (dir) => {
    const folders = foldersIn(dir);
    await publishTagged(folders, "one");
    const before = await view(folders);
    const store = join(folders.reports, STORE_DIR);
    const dead = await deadPid();
    // What a killed run leaves: a staged set, temporary files and a pointer swap of its own.
    await Deno.mkdir(join(store, `20260101T000000Z-${dead}-abcdef`, "processed"), {
      recursive: true,
    });
    await Deno.symlink("x", join(store, `.current-${dead}-0123abcd`));
    await Deno.writeTextFile(join(folders.reports, `.tmp-customers.csv.${dead}.0123abcd`), "x");
    await Deno.writeTextFile(
      join(folders.processed, `.tmp-customers.parquet.${dead}.0123abcd.previous`),
      "x",
    );
    await Deno.mkdir(join(folders.reports, `.tmp-site-${dead}`));
    // What must stay: a live process's temporary file, and the user's own files.
    const live = `.tmp-scored-customers.csv.${Deno.pid}.0123abcd`;
    await Deno.writeTextFile(join(folders.reports, live), "in progress");
    await Deno.writeTextFile(join(folders.reports, "notes.txt"), "mine");
    await Deno.writeTextFile(join(folders.reports, ".tmp-mine"), "mine too");
    await Deno.mkdir(join(store, "keep-me"));

    const lines: string[] = [];
    const s = await OutputStore.open(folders, { ...quiet, log: (l) => lines.push(l) });
    s.close();
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^cleaned up after an interrupted run: /);
    assert.deepEqual(await view(folders), before);
    assert.deepEqual(
      names(folders.reports),
      [
        ".tmp-mine",
        STORE_DIR,
        live,
        ...ANALYSIS_OUTPUTS.reports,
        "notes.txt",
        "site",
      ].sort(),
    );
    assert.deepEqual(names(folders.processed), [...ANALYSIS_OUTPUTS.processed].sort());
    assert.equal(names(store).length, 5, names(store).join(", ")); // .gitignore, set, current, lock, keep-me
    assert.ok(names(store).includes("keep-me"));
    assert.deepEqual(await removeDeadTemps(folders.reports), []);
  });
});

Deno.test("store: results.json rewritten by hand (verify --update) is not overwritten by the next open", async () => {
  await withTempDir(async (dir) => {
    const folders = foldersIn(dir);
    await publishTagged(folders, "one");
    const edited = JSON.stringify({ dataset: DATASET, tag: "updated by verify" });
    await Deno.writeTextFile(join(folders.reports, "results.json"), edited);
    (await OutputStore.open(folders, quiet)).close();
    assert.equal(await Deno.readTextFile(join(folders.reports, "results.json")), edited);
  });
});

Deno.test("store: outputs of the older layout (real files) are adopted without a visible change", async () => {
  await withTempDir(async (dir) => {
    const folders = foldersIn(dir);
    await Deno.mkdir(folders.processed, { recursive: true });
    await Deno.mkdir(join(folders.reports, "site", "_observablehq"), { recursive: true });
    await Deno.writeTextFile(join(folders.reports, "site", "index.html"), "site old");
    // A previous build's files, with a kill inside its rename loop: customers.parquet missing.
    for (const n of ANALYSIS_OUTPUTS.reports) {
      const body = n.endsWith(".json") ? JSON.stringify({ dataset: DATASET, n }) : `${n} old`;
      await Deno.writeTextFile(join(folders.reports, n), body);
    }
    await Deno.writeTextFile(join(folders.processed, "transactions.parquet"), "tx old");
    const before = await view(folders);
    const s = await OutputStore.open(folders, quiet);
    s.close();
    assert.deepEqual(await view(folders), before);
    for (const n of ["cleaning.json", "customers.csv", "manifest.json", "site"]) {
      assert.ok((await Deno.lstat(join(folders.reports, n))).isSymlink, n);
    }
    assert.ok((await Deno.lstat(join(folders.processed, "transactions.parquet"))).isSymlink);
    assert.ok((await Deno.lstat(join(folders.reports, "results.json"))).isFile);
    // The next publish replaces the adopted set like any other.
    await publishTagged(folders, "new");
    assert.equal((await view(folders)).site, "site new");
  });
});

Deno.test("store: files the workspace did not write are never replaced or deleted", async () => {
  await withTempDir(async (dir) => {
    const folders = foldersIn(dir);
    await Deno.mkdir(join(folders.reports, "site"), { recursive: true });
    await Deno.writeTextFile(join(folders.reports, "site", "my-notes.md"), "the user's own");
    await Deno.writeTextFile(join(folders.reports, "customers.csv"), "my CRM export");
    // Refused before any work, naming both.
    await assert.rejects(
      OutputStore.open(folders, {
        ...quiet,
        names: { ...ANALYSIS_OUTPUTS, reports: [...ANALYSIS_OUTPUTS.reports, "site"] },
      }),
      /reports\/customers\.csv, .*reports\/site are in the way of the outputs and were not written by this workspace's build: move them away \(nothing is deleted\)/,
    );
    // Without the CSV in the way, a run without a site publishes and leaves site/ alone.
    await Deno.rename(join(folders.reports, "customers.csv"), join(dir, "moved.csv"));
    await publishTagged(folders, "one", false);
    assert.equal(
      await Deno.readTextFile(join(folders.reports, "site", "my-notes.md")),
      "the user's own",
    );
    // A run with a site is refused at publish time and leaves everything as it was.
    const before = await view(folders);
    const store = await OutputStore.open(folders, quiet);
    try {
      const set = await store.stage();
      await fill(set, "two");
      await assert.rejects(store.publish(set), /reports\/site is in the way/);
      await store.discard(set);
    } finally {
      store.close();
    }
    assert.deepEqual(await view(folders), before);
    // A results.json of something else is refused too.
    await Deno.writeTextFile(join(folders.reports, "results.json"), '{"dataset":"other"}');
    await assert.rejects(OutputStore.open(folders, quiet), /reports\/results\.json is in the way/);
  });
});

Deno.test("store: output folders outside the workspace or in system folders are refused unless allowed", () => {
  const workspace = "/work/ws";
  const ok = (reports: string, processed = `${workspace}/data/processed`, datasetDir?: string) =>
    checkOutputFolders({ reports, processed }, { workspace, datasetDir });
  const refused = (reports: string, message: RegExp, datasetDir?: string) => {
    assert.throws(() => ok(reports, `${workspace}/data/processed`, datasetDir), message, reports);
    checkOutputFolders({ reports, processed: `${workspace}/data/processed` }, {
      workspace,
      datasetDir,
      allowAnywhere: true,
    });
  };
  ok(`${workspace}/reports`);
  ok(`${workspace}/reports/cdnow`);
  ok("/home/me/shop/out/reports", undefined, "/home/me/shop"); // beside the dataset's own file
  refused(`${workspace}/../x`, /outputs\.reports \(\/work\/x\) is outside the workspace/);
  refused(
    "/home/me/elsewhere",
    /outside the workspace \(\/work\/ws\) and outside the dataset/,
    "/home/me/shop",
  );
  refused("/etc", /is a system folder/);
  refused("/usr/share/reports", /is a system folder/);
  refused("/", /holds other things/);
  refused("/tmp", /holds other things/);
  refused(workspace, /is the workspace folder itself/);
  refused("/home/me/shop", /is the dataset's folder itself/, "/home/me/shop");
  assert.throws(
    () => checkOutputFolders({ reports: `${workspace}/r`, processed: "/var/lib/x" }, { workspace }),
    /outputs\.processed \(\/var\/lib\/x\) is a system folder: refused; to write there anyway, pass --allow-outside-workspace/,
  );
  // A workspace that itself lives in a system tree (a container's /usr/src/app) is fine.
  checkOutputFolders({ reports: "/usr/src/app/reports", processed: "/usr/src/app/data/p" }, {
    workspace: "/usr/src/app",
  });
});

Deno.test("store: reports and processed in one folder share one set and one set of links", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out");
    const folders = { reports: out, processed: out };
    await publishTagged(folders, "one");
    const v = await view(folders);
    assert.equal(v["transactions.parquet"], "transactions.parquet one");
    assert.equal(v["cleaning.json"], "cleaning.json one");
    assert.equal(
      await Deno.readLink(join(out, "transactions.parquet")),
      `${STORE_DIR}/current/transactions.parquet`,
    );
    await publishTagged(folders, "two");
    assert.equal((await view(folders))["transactions.parquet"], "transactions.parquet two");
  });
});
