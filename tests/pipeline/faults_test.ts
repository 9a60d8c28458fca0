/**
 * Faults of the environment, each one clear line naming the folder and never a half-written set:
 * a read-only output folder, a full disk, output folders outside the workspace or in a system
 * folder, a user's own files where outputs go, two builds of the same outputs at once, and a
 * failure after the analysis. The crash tests (kills) are in crash_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadDataset } from "../../src/config/registry.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { runAnalysis } from "../../src/pipeline/run.ts";
import { PAUSE_ENV, STORE_DIR } from "../../src/lib/store.ts";
import {
  buildArgs,
  DENO,
  processedOf,
  reportsOf,
  run,
  writeConfig,
  writeShop,
} from "./shop_fixture.ts";

async function withShop(fn: (dir: string, cfg: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "faults-" });
  try {
    await writeShop(dir, 1);
    await fn(dir, await writeConfig(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What a failed build printed from its failure message on (progress and notes before it aside). */
function failure(stderr: string): string[] {
  const lines = stderr.split("\n").filter((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith("build failed: "));
  return at < 0 ? lines : lines.slice(at);
}

/** Every file below a folder (not following links), relative, sorted; links as `name -> target`. */
async function tree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(`${rel}/`, ...await tree(join(dir, e.name), rel));
    else if (e.isSymlink) out.push(`${rel} -> ${await Deno.readLink(join(dir, e.name))}`);
    else out.push(`${rel} ${(await Deno.readFile(join(dir, e.name))).length}`);
  }
  return out.sort();
}

async function command(cmd: string, ...args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Makes a folder unwritable: `chmod a-w` for a normal user, `chattr +i` for root (whom
 * permissions do not stop). Returns the undo, or null when neither works here.
 */
async function makeReadOnly(dir: string): Promise<(() => Promise<void>) | null> {
  const writable = async () => {
    const probe = join(dir, ".probe");
    try {
      await Deno.writeTextFile(probe, "");
      await Deno.remove(probe);
      return true;
    } catch {
      return false;
    }
  };
  await Deno.chmod(dir, 0o555);
  if (!(await writable())) return () => Deno.chmod(dir, 0o755);
  await Deno.chmod(dir, 0o755);
  if ((await command("chattr", "+i", dir)) && !(await writable())) {
    return async () => void (await command("chattr", "-i", dir));
  }
  await command("chattr", "-i", dir);
  return null;
}

Deno.test("faults: a read-only output folder is one line naming it, no panic, nothing written", async () => {
  await withShop(async (dir, cfg) => {
    for (const folder of [reportsOf(dir), processedOf(dir)]) {
      await Deno.mkdir(folder, { recursive: true });
      const undo = await makeReadOnly(folder);
      if (!undo) {
        console.log("faults: cannot make a folder read-only here (chmod, chattr): skipped");
        return;
      }
      try {
        const r = await run(buildArgs(cfg, "--no-site"));
        assert.equal(r.code, 1, r.stderr);
        assert.doesNotMatch(r.stderr, /panicked|stack backtrace|RUST_BACKTRACE/);
        const lines = failure(r.stderr);
        assert.equal(lines.length, 1, r.stderr);
        const key = folder === reportsOf(dir) ? "reports" : "processed";
        assert.match(
          lines[0],
          new RegExp(
            `^build failed: output folder ${folder} \\(outputs\\.${key}\\) is not writable \\(.+\\)$`,
          ),
        );
      } finally {
        await undo();
      }
      assert.deepEqual(await tree(folder), []);
    }
  });
});

/** Mounts a small tmpfs at `dir` (root only); returns the unmount, or null when not possible. */
async function mountTmpfs(dir: string, size: string) {
  await Deno.mkdir(dir, { recursive: true });
  if (!(await command("mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir))) return null;
  return async () => {
    if (!(await command("umount", dir))) await command("umount", "-l", dir);
  };
}

Deno.test("faults: a full disk fails in one line naming the folder; the previous outputs stay", async () => {
  await withShop(async (dir, cfg) => {
    const out = join(dir, "out");
    const unmount = await mountTmpfs(out, "16m");
    if (!unmount) {
      console.log("faults: cannot mount a small tmpfs here (needs root): skipped");
      return;
    }
    try {
      const first = await run(buildArgs(cfg, "--no-site"));
      assert.equal(first.code, 0, first.stderr);
      const before = await tree(out);
      // Leave room for less than one more set of outputs.
      const used = (await Array.fromAsync(Deno.readDir(join(reportsOf(dir), STORE_DIR))))
        .length && Number(
          new TextDecoder().decode(
            (await new Deno.Command("du", { args: ["-sk", out], stdout: "piped" }).output())
              .stdout,
          ).split("\t")[0],
        );
      assert.ok(used > 0);
      assert.ok(await command("mount", "-o", `remount,size=${used + 64}k`, out));
      await writeShop(dir, 2);
      const r = await run(buildArgs(cfg, "--no-site"));
      assert.equal(r.code, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /panicked|stack backtrace/);
      const lines = failure(r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0],
        new RegExp(`^build failed: cannot write ${out}/\\S+: the disk holding ${out}/\\S+ is full`),
      );
      // The staged set was removed; the previous outputs are exactly as they were.
      assert.deepEqual(await tree(out), before);
    } finally {
      await unmount();
    }
  });
});

Deno.test("faults: outputs outside the workspace or in a system folder are refused unless allowed", async () => {
  await withShop(async (dir) => {
    const elsewhere = await Deno.makeTempDir({ prefix: "faults-elsewhere-" });
    try {
      const cases: [Record<string, string>, RegExp][] = [
        [
          { reports: "../rfm-faults-x/reports", processed: "../rfm-faults-x/processed" },
          /^build failed: outputs\.reports \(\S+\/rfm-faults-x\/reports\) is outside the workspace/,
        ],
        [
          { reports: "/etc/rfm-faults-x", processed: join(dir, "p") },
          /^build failed: outputs\.reports \(\/etc\/rfm-faults-x\) is a system folder: refused; to write there anyway, pass --allow-outside-workspace$/,
        ],
        [
          { reports: join(dir, "r"), processed: "/" },
          /^build failed: outputs\.processed \(\/\) is a folder that holds other things/,
        ],
        [
          { reports: join(elsewhere, "reports"), processed: join(elsewhere, "processed") },
          /is outside the workspace \(.+\) and outside the dataset file's folder/,
        ],
      ];
      for (const [outputs, message] of cases) {
        const cfg = await writeConfig(dir, outputs as { reports: string; processed: string });
        const r = await run(buildArgs(cfg, "--no-site"));
        assert.equal(r.code, 1, r.stderr);
        assert.match(failure(r.stderr).join("\n"), message);
      }
      await assert.rejects(Deno.stat("/etc/rfm-faults-x"), Deno.errors.NotFound);
      assert.deepEqual(await tree(elsewhere), []);
      // The explicit option allows a folder outside.
      const cfg = await writeConfig(dir, {
        reports: join(elsewhere, "reports"),
        processed: join(elsewhere, "processed"),
      });
      const r = await run(buildArgs(cfg, "--no-site", "--allow-outside-workspace"));
      assert.equal(r.code, 0, r.stderr);
      await Deno.stat(join(elsewhere, "reports", "customers.csv"));
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  });
});

Deno.test("faults: a user's own site/ folder in the reports folder is never deleted", async () => {
  await withShop(async (dir, cfg) => {
    const own = join(reportsOf(dir), "site");
    await Deno.mkdir(own, { recursive: true });
    await Deno.writeTextFile(join(own, "my-notes.md"), "mine");
    // A build with a site stops before any work, naming the folder. (The site step itself is a
    // stand-in: the refusal comes first, and the test does not depend on the notebooks' lock.)
    const lines: string[] = [];
    await assert.rejects(
      runAnalysis(await loadDataset(cfg), {
        progress: new Progress((l) => lines.push(l)),
        withSite: true,
        beforePublish: () => Promise.reject(new Error("never reached")),
      }),
      new RegExp(`^Error: ${own} is in the way of the outputs and was not written by`),
    );
    assert.ok(!lines.some((l) => / ingest /.test(l)), lines.join("\n"));
    // A build without one publishes beside it.
    const ok = await run(buildArgs(cfg, "--no-site"));
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(await tree(own), ["my-notes.md 4"]);
  });
});

Deno.test("faults: a second build of the same outputs stops at once, naming the first", async () => {
  await withShop(async (dir, cfg) => {
    const first = new Deno.Command(DENO, {
      args: buildArgs(cfg, "--no-site"),
      env: { [PAUSE_ENV]: "model" },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = first.stderr.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let text = "";
      while (!text.includes("paused at model")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      assert.match(text, /paused at model/);
      const second = await run(buildArgs(cfg, "--no-site"));
      assert.equal(second.code, 1, second.stderr);
      assert.match(
        failure(second.stderr).join("\n"),
        new RegExp(
          `^build failed: output folder ${reportsOf(dir)} is in use by process ${first.pid} ` +
            `\\(src/cli/build\\.ts --dataset ${cfg} --no-site, since [^)]+\\): wait for it to ` +
            `finish, or stop it \\(lock file ${reportsOf(dir)}/${STORE_DIR}/lock\\)$`,
        ),
      );
    } finally {
      first.kill("SIGKILL");
      await first.status;
      await reader.cancel().catch(() => {});
    }
    const again = await run(buildArgs(cfg, "--no-site"));
    assert.equal(again.code, 0, again.stderr);
  });
});

Deno.test("faults: a failure after the analysis (such as the site build) publishes nothing", async () => {
  await withShop(async (dir, cfg) => {
    const ds = await loadDataset(cfg);
    const progress = new Progress(() => {});
    await runAnalysis(ds, { progress });
    const before = await tree(join(dir, "out"));
    await writeShop(dir, 2);
    await assert.rejects(
      runAnalysis(ds, {
        progress,
        withSite: true,
        beforePublish: () => Promise.reject(new Error("site build failed (exit 1)")),
      }),
      /site build failed/,
    );
    assert.deepEqual(await tree(join(dir, "out")), before);
  });
});
