/**
 * The live preview (`deno task dev`) stops with whoever started it: on SIGTERM, and when the
 * process that launched it (`npx`, `deno task`, a shell) is killed outright, the Framework server
 * it started ends too, so no server is left running. Bounded waits only; Linux (/proc) only.
 *
 * The preview holds the notebooks' lock (Framework's cache is shared with site builds): when
 * another process holds it for more than {@link LOCK_WAIT_MS}, or takes it first, the test says
 * so and checks nothing rather than waiting minutes for a build to end.
 */
import assert from "node:assert/strict";
import { ROOT } from "../../src/lib/paths.ts";
import { siteBusy } from "../../src/site/framework.ts";
import { buildArgs, run, writeConfig, writeShop } from "../pipeline/shop_fixture.ts";

/** How long the test waits for a site build to release the notebooks' lock. */
const LOCK_WAIT_MS = 20_000;

/** Thrown when the notebooks are in use by another process (the test then checks nothing). */
class NotebooksBusy extends Error {}

/** Waits up to {@link LOCK_WAIT_MS} for the notebooks' lock to be free. */
async function notebooksFreeSoon(): Promise<void> {
  const until = Date.now() + LOCK_WAIT_MS;
  let busy = await siteBusy();
  while (busy && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    busy = await siteBusy();
  }
  if (busy) throw new NotebooksBusy(busy);
}

const haveProc = await Deno.stat("/proc/self/stat").then(() => true, () => false);

function ppidOf(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? null : Number(fields[1]);
  } catch {
    return null;
  }
}

/** Every live descendant of a process. */
function descendants(root: number): number[] {
  const all = [...Deno.readDirSync("/proc")].filter((e) => /^\d+$/.test(e.name)).map((e) =>
    Number(e.name)
  );
  const out: number[] = [];
  let frontier = [root];
  while (frontier.length) {
    const next = all.filter((p) => frontier.includes(ppidOf(p) ?? -1));
    out.push(...next);
    frontier = next;
  }
  return out;
}

const alive = (pid: number) => ppidOf(pid) !== null;

async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(cond(), what);
}

/**
 * Starts the preview under a `sh -c` launcher and waits until it serves; returns the launcher,
 * the preview's own process and the processes below it (Framework).
 */
async function startPreview(cfg: string) {
  await notebooksFreeSoon();
  const port = 20000 + (Deno.pid % 20000);
  const deno = Deno.execPath();
  const launcher = new Deno.Command("sh", {
    args: [
      "-c",
      `exec 2>&1; "${deno}" run -A src/cli/site.ts dev --dataset "${cfg}" --port ${port}; true`,
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = launcher.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timeout = setTimeout(() => launcher.kill("SIGKILL"), 120_000);
  while (!/http:\/\/127\.0\.0\.1:\d+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  clearTimeout(timeout);
  if (/LockedError|is in use by/.test(text)) { // a build took the lock between check and start
    await launcher.status;
    throw new NotebooksBusy(text.trim().split("\n")[0]);
  }
  assert.match(text, /http:\/\/127\.0\.0\.1:\d+/, text);
  // Keep draining the output so that the preview never blocks on a full pipe.
  (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done) { /* drain */ }
  })();
  const below = descendants(launcher.pid);
  const preview = below.find((p) =>
    Deno.readTextFileSync(`/proc/${p}/cmdline`).includes("src/cli/site.ts")
  );
  assert.ok(preview, "the preview process");
  const framework = descendants(preview);
  assert.ok(framework.length >= 1, "Framework runs below the preview");
  return { launcher, preview, framework };
}

async function withPublishedShop(fn: (cfg: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "preview-" });
  try {
    await writeShop(dir, 1);
    const cfg = await writeConfig(dir);
    const built = await run(buildArgs(cfg, "--no-site"));
    assert.equal(built.code, 0, built.stderr);
    await fn(cfg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "preview: stops its Framework server on SIGTERM and when its launcher is killed",
  ignore: !haveProc,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    try {
      await checkPreviewStops();
    } catch (e) {
      if (!(e instanceof NotebooksBusy)) throw e;
      console.log(`preview_test: nothing checked, the notebooks are busy (${e.message})`);
    }
  },
});

/** The checks: SIGTERM to the preview, then SIGKILL to its launcher. */
async function checkPreviewStops(): Promise<void> {
  await withPublishedShop(async (cfg) => {
    // SIGTERM to the preview: it stops Framework and ends.
    const a = await startPreview(cfg);
    try {
      Deno.kill(a.preview, "SIGTERM");
      await waitUntil(() => !alive(a.preview), "the preview ended on SIGTERM");
      await waitUntil(() => a.framework.every((p) => !alive(p)), "Framework ended with it");
    } finally {
      await a.launcher.status;
    }
    // SIGKILL to the launcher (like `npx` killed outright): nothing is left running.
    const b = await startPreview(cfg);
    b.launcher.kill("SIGKILL");
    await b.launcher.status;
    await waitUntil(() => !alive(b.preview), "the preview noticed its launcher was gone");
    await waitUntil(() => b.framework.every((p) => !alive(p)), "Framework ended with it");
  });
}
