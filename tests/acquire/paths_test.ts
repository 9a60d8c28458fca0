/**
 * Issue #9, "nothing silently wrong", in acquisition: a glob reads each file once by real path
 * (a symbolic-link loop neither repeats files nor hangs); a file name holding glob characters
 * that exists is used as is; what is verified is what is read (a private read-only copy, whose
 * own bytes are hashed, so a file swapped after verification is not read); the same file configured
 * twice is refused; user values in messages are quoted in at most 80 characters.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DataError } from "../../src/acquire/errors.ts";
import { expandGlob } from "../../src/acquire/glob.ts";
import { resolveDataset, type ResolvedFile } from "../../src/acquire/resolve.ts";
import { releaseSnapshots } from "../../src/acquire/snapshot.ts";
import type { DatasetConfig } from "../../src/config/dataset.ts";
import { sha256, sha256File } from "../../src/lib/files.ts";
import { dataset, fileJson, type JsonObject } from "../fixtures/configs.ts";

/** A CSV of `n` data lines with the `c,t,q,p` columns of the shared fixtures. */
function csv(n: number, price = 2.5): string {
  let text = "c,t,q,p\n";
  for (let i = 1; i <= n; i++) text += `${i},2020-01-0${1 + (i % 9)} 00:00:00,1,${price}\n`;
  return text;
}

/** A temporary folder holding `<tmp>/main` (the workspace root) and `<tmp>/data`, removed after. */
async function withDirs(fn: (root: string, data: string) => Promise<void>): Promise<void> {
  const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "rfm-paths-" }));
  const root = join(tmp, "main");
  const data = join(tmp, "data");
  await Deno.mkdir(root);
  await Deno.mkdir(data);
  try {
    await fn(root, data);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** A dataset of explicit paths (relative to `base`), one file entry per path. */
function pathsDataset(base: string, entries: JsonObject[]): DatasetConfig {
  return dataset({
    id: "mine",
    files: entries.map((e) => {
      const f = fileJson(e);
      if (e.name === undefined) delete f.name; // named after the path
      return f;
    }),
  }, base);
}

/** Resolves without network, collecting the log. */
async function resolveQuiet(
  ds: DatasetConfig,
  root: string,
): Promise<{ got: ResolvedFile[]; logs: string[] }> {
  const logs: string[] = [];
  const got = await resolveDataset(ds, {
    root,
    env: {},
    fetch: () => Promise.reject(new Error("unexpected network access")),
    log: (m) => logs.push(m),
  });
  return { got, logs };
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DataError, `expected a DataError, got ${e}`);
    assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected a DataError matching ${re}`);
}

/** Data lines of a CSV file (after the header). */
async function dataLines(path: string): Promise<number> {
  return (await Deno.readTextFile(path)).trimEnd().split("\n").length - 1;
}

Deno.test("glob: a symbolic-link loop does not repeat a file (read once, by real path) nor hang", async () => {
  await withDirs(async (root, data) => {
    await Deno.writeTextFile(join(data, "sales.csv"), csv(41));
    await Deno.symlink(".", join(data, "loop")); // data/loop/loop/… is data again
    await Deno.symlink("sales.csv", join(data, "latest.csv")); // a second name for the same file
    await Deno.mkdir(join(data, "sub"));
    await Deno.symlink("..", join(data, "sub", "up")); // a loop two levels deep
    const real = join(data, "sales.csv");
    assert.deepEqual(await expandGlob("**/*.csv", data), [real]);
    assert.deepEqual(await expandGlob("*/*.csv", data), [real]);
    assert.deepEqual(await expandGlob("loop/loop/loop/*.csv", data), [real]);

    const { got } = await resolveQuiet(pathsDataset(data, [{ path: "**/*.csv" }]), root);
    assert.deepEqual(got.map((r) => [r.file.name, r.source, r.origin]), [
      ["sales.csv", real, "path"],
    ]);
    assert.equal(await dataLines(got[0].path), 41); // 41 rows, not 41 × 41
  });
});

Deno.test("paths: an existing file whose name holds [ ] { } is used as is, not as a pattern", async () => {
  await withDirs(async (root, data) => {
    await Deno.writeTextFile(join(data, "orders[2023].csv"), csv(3));
    await Deno.writeTextFile(join(data, "orders2.csv"), csv(5)); // what "orders[2023]" matches as a glob
    await Deno.writeTextFile(join(data, "sales{eu}.csv"), csv(2));
    await Deno.mkdir(join(data, "[q1] exports"));
    await Deno.writeTextFile(join(data, "[q1] exports", "jan.csv"), csv(4));

    const { got, logs } = await resolveQuiet(
      pathsDataset(data, [{ path: "orders[2023].csv" }, { path: "sales{eu}.csv" }]),
      root,
    );
    assert.deepEqual(got.map((r) => [r.file.name, r.source]), [
      ["orders[2023].csv", join(data, "orders[2023].csv")],
      ["sales{eu}.csv", join(data, "sales{eu}.csv")],
    ]);
    assert.deepEqual(await Promise.all(got.map((r) => dataLines(r.path))), [3, 2]);
    assert.deepEqual(logs, [
      'note: orders[2023].csv: "orders[2023].csv" names an existing file; it is used as is, not as a pattern',
      'note: sales{eu}.csv: "sales{eu}.csv" names an existing file; it is used as is, not as a pattern',
    ]);
    // A folder named with brackets, inside a real pattern: the literal name matches too.
    assert.deepEqual(await expandGlob("[q1] exports/*.csv", data), [
      join(data, "[q1] exports", "jan.csv"),
    ]);
    // As a pattern (no such file), brackets still work as a glob.
    assert.deepEqual(await expandGlob("orders[0-9].csv", data), [join(data, "orders2.csv")]);
    // An invalid bracket range is no error: only the literal name could match.
    assert.deepEqual(await expandGlob("orders[9-0].csv", data), []);
  });
});

Deno.test("checksums: a file swapped after verification is not read; the hash recorded is what is read", async () => {
  await withDirs(async (root, data) => {
    const good = csv(3);
    const bad = csv(3, 9999);
    const path = join(data, "pinned.csv");
    await Deno.writeTextFile(path, good);
    const pinned = sha256(good);
    const ds = pathsDataset(data, [{ path: "pinned.csv", sha256: pinned }]);
    const [r] = (await resolveQuiet(ds, root)).got;
    assert.deepEqual([r.source, r.sha256], [path, pinned]);
    assert.notEqual(r.path, path, "the reader gets a private copy");

    // Swapped after verification: replaced by rename, then rewritten in place.
    await Deno.writeTextFile(path + ".new", bad);
    await Deno.rename(path + ".new", path);
    assert.equal(await Deno.readTextFile(r.path), good);
    await Deno.writeTextFile(path, bad + "1,2020-01-01 00:00:00,1,1\n");
    assert.equal(await Deno.readTextFile(r.path), good);
    // The copy's bytes are exactly those whose hash is recorded, and nobody can write it.
    assert.equal(await sha256File(r.path), r.sha256);
    assert.equal((await Deno.stat(r.path)).mode! & 0o222, 0);

    // Now the changed file is refused on the next resolution, naming both hashes.
    const e = await rejects(resolveQuiet(ds, root), /pinned\.csv: checksum mismatch/);
    assert.ok(e.message.includes(`expected sha256 ${pinned}`));
    assert.ok(e.message.includes(`got ${sha256(bad + "1,2020-01-01 00:00:00,1,1\n")}`));

    // Unpinned: the hash is that of the bytes read (the copy), whatever happens to the file later.
    const [u] = (await resolveQuiet(pathsDataset(data, [{ path: "pinned.csv" }]), root)).got;
    const read = await Deno.readTextFile(u.path);
    await Deno.writeTextFile(path, good);
    assert.equal(u.sha256, sha256(read));
    assert.equal(await sha256File(u.path), u.sha256);

    // Copies can be released early (a long-running process); the originals are untouched.
    await releaseSnapshots([r.path, u.path, path]);
    assert.equal(await Deno.stat(r.path).then(() => true, () => false), false);
    assert.equal(await Deno.readTextFile(path), good);
  });
});

Deno.test("checksums: the mirror and data/raw are read through verified copies too", async () => {
  await withDirs(async (root) => {
    const text = csv(2);
    await Deno.mkdir(join(root, "data", "raw"), { recursive: true });
    await Deno.writeTextFile(join(root, "data", "raw", "tiny.csv"), text);
    const ds = dataset({
      id: "tiny",
      files: [fileJson({ name: "tiny.csv", sha256: sha256(text) })],
    });
    const [local] = (await resolveQuiet(ds, root)).got;
    assert.deepEqual([local.origin, local.source, local.sha256], [
      "local",
      join(root, "data", "raw", "tiny.csv"),
      sha256(text),
    ]);
    await Deno.writeTextFile(join(root, "data", "raw", "tiny.csv"), "swapped");
    assert.equal(await Deno.readTextFile(local.path), text);
  });
});

Deno.test("paths: the same file configured twice (a link, an overlapping pattern) is refused", async () => {
  await withDirs(async (root, data) => {
    await Deno.writeTextFile(join(data, "a.csv"), csv(2));
    await Deno.symlink("a.csv", join(data, "alias.csv"));
    const e = await rejects(
      resolveQuiet(pathsDataset(data, [{ path: "a.csv" }, { path: "alias.csv" }]), root),
      /alias\.csv: .*a\.csv is already used as a\.csv; a file is read once/,
    );
    assert.ok(e.message.includes(join(data, "a.csv")));
    await Deno.writeTextFile(join(data, "b.csv"), csv(2));
    await rejects(
      resolveQuiet(pathsDataset(data, [{ path: "b.csv" }, { path: "*.csv" }]), root),
      /b\.csv is already used as b\.csv/,
    );
  });
});

Deno.test("messages quote a user's pattern in at most 80 characters", async () => {
  await withDirs(async (root, data) => {
    const long = "nothing-here-" + "x".repeat(300) + "-*.csv";
    const e = await rejects(
      resolveQuiet(pathsDataset(data, [{ path: long, name: "long.csv" }]), root),
      /long\.csv: the pattern "nothing-here-x+…" \(in .*\) matches no file/,
    );
    assert.ok(!e.message.includes("x".repeat(81)), e.message);
    const e2 = await rejects(
      resolveQuiet(pathsDataset(data, [{ path: "y".repeat(300) + ".csv", name: "y.csv" }]), root),
      /y\.csv: .* \(path "y+…"\) does not exist or is not a file/,
    );
    // The resolved path is named in full (it is where to look); the configured value is cut.
    assert.ok(e2.message.includes(join(data, "y".repeat(300) + ".csv")), e2.message);
    assert.ok(e2.message.includes(`(path "${"y".repeat(80)}…")`), e2.message);
  });
});
