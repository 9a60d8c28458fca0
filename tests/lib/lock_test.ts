/**
 * Tests of the exclusive locks (src/lib/lock.ts): one holder at a time, the refusal names the
 * holder, and a killed holder's lock is free at once (never stale).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { acquireLock, LockedError, lockHolder } from "../../src/lib/lock.ts";

const LOCK_MODULE = new URL("../../src/lib/lock.ts", import.meta.url).href;

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lock_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("lock: one holder at a time; the refusal names the holder; release frees it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "lock");
    assert.equal(await lockHolder(path), null, "no lock file: nobody holds it");
    const lock = await acquireLock(path, "output folder x");
    const holder = await lockHolder(path);
    assert.ok(holder && holder !== "unknown");
    assert.equal(holder.pid, Deno.pid);
    const err = await acquireLock(path, "output folder x").then(
      () => assert.fail("a second lock was granted"),
      (e) => e,
    );
    assert.ok(err instanceof LockedError);
    assert.match(
      err.message,
      new RegExp(`^output folder x is in use by process ${Deno.pid} \\(.+, since \\d{4}-.+Z\\)`),
    );
    assert.equal(err.holder?.pid, Deno.pid);
    lock.release();
    lock.release(); // idempotent
    assert.equal(await lockHolder(path), null);
    (await acquireLock(path, "output folder x")).release();
  });
});

Deno.test("lock: a holder killed with SIGKILL leaves no stale lock", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "lock");
    const script = join(dir, "hold.ts");
    await Deno.writeTextFile(
      script,
      `import { acquireLock } from ${JSON.stringify(LOCK_MODULE)};\n` +
        `await acquireLock(${JSON.stringify(path)}, "test");\n` +
        `console.log("held");\n` +
        `setTimeout(() => {}, 600_000);\n`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = child.stdout.getReader();
      const { value } = await reader.read();
      assert.match(new TextDecoder().decode(value), /held/);
      reader.releaseLock();
      const holder = await lockHolder(path);
      assert.ok(holder && holder !== "unknown" && holder.pid === child.pid);
      await assert.rejects(acquireLock(path, "output folder y"), (e: Error) => {
        assert.match(e.message, new RegExp(`in use by process ${child.pid} \\(.*hold\\.ts`));
        return true;
      });
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
    (await acquireLock(path, "after the kill")).release();
  });
});
