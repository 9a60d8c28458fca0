import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { releaseSnapshots, snapshot, snapshotFolder } from "../../src/acquire/snapshot.ts";

Deno.test("snapshot: a read-only copy whose recorded hash and size are its own bytes'", async () => {
  const src = await Deno.makeTempDir();
  const folder = await snapshotFolder();
  try {
    // Larger than the 1 MiB read buffer, so the hash spans several reads.
    const bytes = new Uint8Array(2.5 * 2 ** 20 + 7).map((_, i) => (i * 31 + (i >> 11)) & 255);
    await Deno.writeFile(join(src, "a.csv"), bytes);
    const s = await snapshot(join(src, "a.csv"), folder, "001");
    assert.equal(s.path, join(folder, "001-a.csv"));
    assert.equal(s.bytes, bytes.length);
    assert.equal(s.sha256, createHash("sha256").update(bytes).digest("hex"));
    assert.deepEqual(await Deno.readFile(s.path), bytes);
    assert.equal((await Deno.stat(s.path)).mode! & 0o222, 0, "nobody can write the copy");

    // The same name twice is refused, and the first copy stays as it was.
    await Deno.writeTextFile(join(src, "a.csv"), "other");
    await assert.rejects(snapshot(join(src, "a.csv"), folder, "001"), Deno.errors.AlreadyExists);
    assert.deepEqual(await Deno.readFile(s.path), bytes);

    // A missing source leaves no copy behind.
    await assert.rejects(snapshot(join(src, "none.csv"), folder, "002"), Deno.errors.NotFound);
    assert.deepEqual([...Deno.readDirSync(folder)].map((e) => e.name), ["001-a.csv"]);
    await releaseSnapshots([s.path]);
  } finally {
    await Deno.remove(src, { recursive: true });
  }
});
