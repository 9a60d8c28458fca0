/**
 * Tests of the all-or-nothing output set (src/pipeline/outputs.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { OutputSet } from "../../src/pipeline/outputs.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "outputs_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every file below `dir`, relative, sorted. */
function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...listFiles(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out.sort();
}

const read = (p: string) => Deno.readTextFileSync(p);

Deno.test("outputs: commit writes every staged file (text, bytes, JSON, writer) and returns the targets", async () => {
  await withTempDir(async (dir) => {
    const out = new OutputSet(dir);
    out.add("reports/a.txt", "hello\n");
    out.add("data/processed/b.bin", new Uint8Array([1, 2, 3]));
    out.addJson("reports/c.json", { b: 1, a: [1, 2] });
    out.addWriter("data/processed/d.txt", (tmp) => Deno.writeTextFileSync(tmp, "from a writer"));
    assert.deepEqual(out.paths(), [
      "reports/a.txt",
      "data/processed/b.bin",
      "reports/c.json",
      "data/processed/d.txt",
    ]);
    // Nothing is written before the commit.
    assert.deepEqual(listFiles(dir), []);
    const targets = await out.commit();
    assert.deepEqual(targets, out.paths().map((p) => join(dir, p)));
    assert.deepEqual(listFiles(dir), [
      "data/processed/b.bin",
      "data/processed/d.txt",
      "reports/a.txt",
      "reports/c.json",
    ]);
    assert.equal(read(join(dir, "reports/a.txt")), "hello\n");
    assert.deepEqual(
      Deno.readFileSync(join(dir, "data/processed/b.bin")),
      new Uint8Array([1, 2, 3]),
    );
    assert.equal(
      read(join(dir, "reports/c.json")),
      '{\n  "b": 1,\n  "a": [\n    1,\n    2\n  ]\n}\n',
    );
    assert.equal(read(join(dir, "data/processed/d.txt")), "from a writer");
  });
});

Deno.test("outputs: commit replaces previous contents; re-staging a path keeps the last", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(join(dir, "x.txt"), "old");
    const out = new OutputSet(dir);
    out.add("x.txt", "first");
    out.add("x.txt", "second");
    assert.deepEqual(out.paths(), ["x.txt"]);
    await out.commit();
    assert.equal(read(join(dir, "x.txt")), "second");
    assert.deepEqual(listFiles(dir), ["x.txt"]);
  });
});

Deno.test("outputs: when a writer throws, no target is created or changed and no temp file is left", async () => {
  await withTempDir(async (dir) => {
    Deno.mkdirSync(join(dir, "reports"));
    Deno.writeTextFileSync(join(dir, "reports/keep.txt"), "previous keep");
    Deno.writeTextFileSync(join(dir, "reports/also.json"), "previous also");
    const before = listFiles(dir);
    const out = new OutputSet(dir);
    out.add("reports/keep.txt", "NEW keep"); // staged before the failure
    out.add("reports/new.txt", "NEW file"); // a target that does not exist yet
    out.addWriter("reports/half.parquet", (tmp) => {
      Deno.writeTextFileSync(tmp, "half written"); // leaves a partial temp file, then fails
      throw new Error("disk full");
    });
    out.addJson("reports/also.json", { never: true }); // after the failure
    await assert.rejects(() => out.commit(), /disk full/);
    assert.deepEqual(listFiles(dir), before);
    assert.equal(read(join(dir, "reports/keep.txt")), "previous keep");
    assert.equal(read(join(dir, "reports/also.json")), "previous also");
  });
});

Deno.test("outputs: an async writer that rejects also leaves everything untouched", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(join(dir, "a.csv"), "old a");
    const out = new OutputSet(dir);
    out.add("a.csv", "new a");
    out.addWriter("b.parquet", async (tmp) => {
      await Deno.writeTextFile(tmp, "partial");
      await Promise.reject(new Error("polars failed"));
    });
    await assert.rejects(() => out.commit(), /polars failed/);
    assert.deepEqual(listFiles(dir), ["a.csv"]);
    assert.equal(read(join(dir, "a.csv")), "old a");
  });
});

// Regression, fixed (src/outputs.ts, commit, rename loop): the renames run outside the try/catch, so when one
// rename fails (here the target is an existing directory), the temporary files of it and of
// every later entry are left behind, and the targets renamed before it have already been
// replaced — the commit is neither all-or-nothing nor clean in that phase.
Deno.test("outputs: a failing rename leaves no temp files and earlier targets unchanged", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(join(dir, "first.txt"), "old first");
    Deno.mkdirSync(join(dir, "blocked.txt")); // a directory where a file should go
    const out = new OutputSet(dir);
    out.add("first.txt", "new first");
    out.add("blocked.txt", "cannot land");
    out.add("third.txt", "new third");
    await assert.rejects(() => out.commit());
    const leftovers = listFiles(dir).filter((p) => p.includes(".tmp-"));
    assert.deepEqual(leftovers, []);
    assert.equal(read(join(dir, "first.txt")), "old first");
  });
});

Deno.test("outputs: writeInto writes every file where the placer says, creating folders", async () => {
  await withTempDir(async (dir) => {
    const out = new OutputSet(join(dir, "public"));
    out.add("reports/a.txt", "a");
    out.addWriter("data/b.bin", (tmp) => Deno.writeFileSync(tmp, new Uint8Array([7])));
    const staged = join(dir, "staged");
    const written = await out.writeInto((target) =>
      join(staged, target.slice(join(dir, "public").length + 1).replaceAll("/", "_"))
    );
    assert.deepEqual(written, [join(staged, "reports_a.txt"), join(staged, "data_b.bin")]);
    assert.deepEqual(listFiles(dir), ["staged/data_b.bin", "staged/reports_a.txt"]);
  });
});

Deno.test("outputs: a failed write names the output and the folder in one line", async () => {
  await withTempDir(async (dir) => {
    const out = new OutputSet(dir);
    out.addWriter("data/processed/t.parquet", () => {
      throw new Error(
        "parquet: File out of specification: underlying IO error: No space left on device " +
          "(os error 28)\nsecond line",
      );
    });
    await assert.rejects(out.writeInto((t) => `${t}.staged`), (e: Error) => {
      assert.equal(
        e.message,
        `cannot write ${dir}/data/processed/t.parquet: the disk holding ${dir}/data/processed ` +
          "is full (parquet: File out of specification: underlying IO error: No space left on " +
          "device (os error 28))",
      );
      return true;
    });
    const denied = new OutputSet(dir);
    denied.add("r/x.json", "{}");
    denied.addWriter("r/y.json", () => {
      throw new Deno.errors.PermissionDenied("Permission denied (os error 13): open 'y'");
    });
    await assert.rejects(
      denied.commit(),
      new RegExp(`^Error: cannot write ${dir}/r/y\\.json: ${dir}/r is not writable \\(`),
    );
    assert.deepEqual(listFiles(dir).filter((p) => p.includes(".tmp-")), []);
  });
});

Deno.test("outputs: start writes the files staged so far at once; writeInto waits for them and writes the rest", async () => {
  await withTempDir(async (dir) => {
    const out = new OutputSet(dir);
    let calls = 0;
    let finish!: () => void;
    const gate = new Promise<void>((done) => finish = done);
    out.addWriter("lines.bin", async (path) => {
      calls++;
      await gate;
      Deno.writeTextFileSync(path, "lines");
    });
    const place = (t: string) => `${t}.staged`;
    out.start(place);
    // The writer was called by start (not at writeInto), into its place.
    assert.equal(calls, 1);
    assert.deepEqual(listFiles(dir), ["lines.bin.staged"]);
    out.add("late.txt", "late");
    const writing = out.writeInto(place);
    let done = false;
    writing.then(() => done = true);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(done, false, "writeInto waits for the started write");
    finish();
    assert.deepEqual(await writing, [join(dir, "lines.bin.staged"), join(dir, "late.txt.staged")]);
    assert.equal(calls, 1, "a started file is not written again");
    assert.equal(read(join(dir, "lines.bin.staged")), "lines");
    assert.equal(read(join(dir, "late.txt.staged")), "late");
    await assert.rejects(out.commit(), /cannot take files that start\(\) is writing/);
  });
});

Deno.test("outputs: a started write that fails is reported by writeInto, naming the output; settled waits for it", async () => {
  await withTempDir(async (dir) => {
    const out = new OutputSet(dir);
    let finish!: () => void;
    const gate = new Promise<void>((done) => finish = done);
    out.addWriter("data/t.parquet", async () => {
      await gate;
      throw new Error("No space left on device (os error 28)");
    });
    out.start((t) => `${t}.staged`);
    // The write fails while nobody waits for it: no unhandled rejection (the test would fail).
    finish();
    await new Promise((r) => setTimeout(r, 20));
    let settled = false;
    await out.settled().then(() => settled = true);
    assert.equal(settled, true);
    await assert.rejects(
      out.writeInto((t) => `${t}.staged`),
      new RegExp(
        `^Error: cannot write ${dir}/data/t\\.parquet: the disk holding ${dir}/data is full`,
      ),
    );
  });
});
