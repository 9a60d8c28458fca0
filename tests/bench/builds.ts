/**
 * Full build times beside their targets (`deno task bench --builds`, issue #12): the public
 * `build --dataset X --out TMP` of every registered dataset (the analysis; `--out` builds no
 * site, so the site's time is not included) and `verify --all` (which rebuilds every dataset in
 * temporary folders and compares with the committed results). Each runs once in a fresh process;
 * a dataset whose raw files are absent is reported as skipped.
 *
 * @module
 */
import { join } from "node:path";
import { measureChild } from "./child.ts";

/** Targets in seconds, by dataset id (and `verify --all`). */
export const BUILD_TARGETS: Record<string, number> = {
  "cdnow": 25,
  "online-retail-ii": 20,
  "verify --all": 60,
};

/** The 1-minute load average (Linux), to read a wall time against: other work shares the cores. */
function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ")[0];
  } catch {
    return "?";
  }
}

/** Runs and prints the build times of `ids` and of `verify --all`. */
export async function buildTimes(
  ids: string[],
  root: string,
  log: (line: string) => void,
): Promise<void> {
  log("bench --builds: one run each in a fresh process (analysis only: --out builds no site)");
  const line = (name: string, wall: number, peak: number, code: number, load: string) => {
    const target = BUILD_TARGETS[name];
    const verdict = target === undefined
      ? "(no target)"
      : `(target < ${target} s) ${wall < target ? "met" : "MISSED"}`;
    log(
      `  ${name.padEnd(20)} wall ${wall.toFixed(1).padStart(6)} s ${verdict}, peak ${
        peak.toFixed(0)
      } MiB, load ${load} before${code === 0 ? "" : `, FAILED with status ${code}`}`,
    );
  };
  for (const id of ids) {
    const out = await Deno.makeTempDir({ prefix: `bench-build-${id}-` });
    const load = loadAverage();
    try {
      const r = await measureChild(Deno.execPath(), [
        "run",
        "-A",
        "--v8-flags=--expose-gc", // as `deno task build`
        join(root, "src/cli/build.ts"),
        "--dataset",
        id,
        "--out",
        out,
      ], { cwd: root });
      if (r.code !== 0 && /not found|no such file|download/i.test(r.stderr)) {
        log(`  ${id.padEnd(20)} skipped: ${r.stderr.trim().split("\n").pop()?.slice(0, 120)}`);
        continue;
      }
      line(id, r.wall, r.peakMiB, r.code, load);
      if (r.code !== 0) log(r.stderr.slice(-2000));
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  }
  const load = loadAverage();
  const v = await measureChild(Deno.execPath(), [
    "run",
    "-A",
    "--v8-flags=--expose-gc", // as `deno task verify`
    join(root, "src/cli/verify.ts"),
    "--all",
  ], {
    cwd: root,
  });
  line("verify --all", v.wall, v.peakMiB, v.code, load);
  if (v.code !== 0) log(v.stdout.slice(-2000) + v.stderr.slice(-2000));
}
