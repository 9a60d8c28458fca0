/**
 * Tests of the file helpers: the one atomic writer, temporary paths, folder replacement, JSON
 * reading and streamed checksums.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  isDiskFull,
  isNotWritable,
  linkOrCopy,
  processAlive,
  readJson,
  replaceDir,
  sha256,
  sha256File,
  tempPathFor,
  toJson,
  writeErrorMessage,
  writeFileAtomic,
  writeWithAtomicRename,
} from "../../src/lib/files.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "files_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("tempPathFor: unique, beside its target, hidden", () => {
  const a = tempPathFor("/x/y/out.json");
  const b = tempPathFor("/x/y/out.json");
  assert.notEqual(a, b);
  assert.ok(a.startsWith(`/x/y/.tmp-out.json.${Deno.pid}.`), a);
});

Deno.test("toJson: two-space indent and a final newline", () => {
  assert.equal(
    toJson({ a: [1, { b: null }] }),
    '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ]\n}\n',
  );
});

Deno.test("writeFileAtomic creates folders, replaces content, leaves no temporary file", async () => {
  await withTempDir(async (dir) => {
    const p = join(dir, "deep/er/file.txt");
    await writeFileAtomic(p, "one");
    await writeFileAtomic(p, new TextEncoder().encode("two"));
    assert.equal(Deno.readTextFileSync(p), "two");
    assert.deepEqual(names(join(dir, "deep/er")), ["file.txt"]);
  });
});

Deno.test("writeWithAtomicRename: a failing writer leaves the old file and no temporary file", async () => {
  await withTempDir(async (dir) => {
    const p = join(dir, "out.parquet");
    await writeFileAtomic(p, "old");
    await assert.rejects(
      writeWithAtomicRename(p, async (tmp) => {
        await Deno.writeTextFile(tmp, "half");
        throw new Error("disk full");
      }),
      /disk full/,
    );
    assert.equal(Deno.readTextFileSync(p), "old");
    assert.deepEqual(names(dir), ["out.parquet"]);
  });
});

Deno.test("replaceDir swaps a staged folder in, with or without an old one", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "site");
    for (const content of ["first", "second"]) {
      const staged = join(dir, `.tmp-${content}`);
      await Deno.mkdir(staged);
      await Deno.writeTextFile(join(staged, "index.html"), content);
      await replaceDir(staged, target);
      assert.equal(Deno.readTextFileSync(join(target, "index.html")), content);
    }
    assert.deepEqual(names(dir), ["site"]);
  });
});

Deno.test("sha256File streams the whole file (several chunks) and agrees with sha256 of its bytes", async () => {
  await withTempDir(async (dir) => {
    // 1 MiB + 7 bytes: more than one 64 KiB stream chunk, and a short last chunk.
    const bytes = new Uint8Array(1024 * 1024 + 7).map((_, i) => (i * 2654435761) >>> 24);
    const p = join(dir, "data.bin");
    await Deno.writeFile(p, bytes);
    const whole = sha256(bytes);
    assert.equal(await sha256File(p), whole);
    bytes[bytes.length - 1] ^= 1; // the last byte is part of the checksum
    await Deno.writeFile(p, bytes);
    assert.notEqual(await sha256File(p), whole);
  });
});

Deno.test("readJson names the file of invalid JSON", async () => {
  await withTempDir(async (dir) => {
    const p = join(dir, "bad.json");
    await Deno.writeTextFile(p, "{ nope");
    await assert.rejects(readJson(p), new RegExp(`${p}: not valid JSON`));
  });
});

Deno.test("replaceDir: when the new folder cannot be moved in, the old one is put back", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "site");
    await Deno.mkdir(target);
    await Deno.writeTextFile(join(target, "index.html"), "old");
    await assert.rejects(replaceDir(join(dir, "missing"), target), Deno.errors.NotFound);
    assert.equal(Deno.readTextFileSync(join(target, "index.html")), "old");
    assert.deepEqual(names(dir), ["site"]);
  });
});

Deno.test("processAlive: this process is, an exited one is not", async () => {
  assert.equal(processAlive(Deno.pid), true);
  const child = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await child.status;
  assert.equal(processAlive(child.pid), false);
});

Deno.test("linkOrCopy shares the file where it can and never overwrites", async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, "a");
    await Deno.writeTextFile(a, "x");
    await linkOrCopy(a, join(dir, "b"));
    assert.equal((await Deno.stat(join(dir, "b"))).ino, (await Deno.stat(a)).ino);
    await assert.rejects(linkOrCopy(a, join(dir, "b")), Deno.errors.AlreadyExists);
  });
});

Deno.test("write errors: full disk and unwritable folders are recognised and named in one line", () => {
  const full = new Error("No space left on device (os error 28): write '/x'\nstack");
  assert.equal(isDiskFull(full), true);
  assert.equal(isDiskFull(new Error("Os { code: 28, kind: StorageFull }")), true);
  assert.equal(isNotWritable(new Deno.errors.PermissionDenied("nope")), true);
  assert.equal(isNotWritable(new Error("Read-only file system (os error 30)")), true);
  assert.equal(isNotWritable(new Error("Operation not permitted (os error 1)")), true);
  assert.equal(isNotWritable(full), false);
  assert.equal(
    writeErrorMessage(full, "reports/x.json", "/tmp/out"),
    "cannot write reports/x.json: the disk holding /tmp/out is full " +
      "(No space left on device (os error 28): write '/x')",
  );
  assert.equal(
    writeErrorMessage(new Error("bad\nworse"), "a", "/tmp/out"),
    "cannot write a in /tmp/out: bad",
  );
});
