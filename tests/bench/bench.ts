/**
 * `deno task bench [--runs N] [--scale N] [--builds] [--no-stages] [--no-models]`: times the
 * pipeline on the full default dataset and prints every figure beside its target.
 *
 * - Stages (default; `--no-stages` skips): ingest + clean + RFM in-process (target < 1.5 s wall
 *   for the 1.07 M lines, issue #2), each run `--runs N` times (default 3) after one warm-up, and
 *   one cold run in a fresh process, with the peak resident memory.
 * - Model stage (default; `--no-models` skips): ours beside the equivalent scikit-learn sweep
 *   (k-means k = 2..10, n_init 10, exact silhouettes; KNN CV over the same grid), target ≤ 1×
 *   (issue #12; `models.ts`), skipped with a note when scikit-learn is absent.
 * - `--scale N`: ingest + clean + RFM on N replicas of the default dataset written as CSV, through
 *   the public `build --until rfm`, side by side with the plain pandas script, alternating runs
 *   (`--runs`, default 1 here), targets wall ≤ 0.5× and peak memory ≤ 0.5× pandas (`scale.ts`).
 *   Implies `--no-stages --no-models` unless they are asked for with `--stages`/`--models`.
 * - `--builds`: full builds (analysis, `--out` a temporary folder, no site) of every registered
 *   dataset and `verify --all`, targets CDNOW < 25 s, Online Retail II < 20 s, verify < 60 s.
 *
 * @module
 */
import { parseRegistry } from "../../src/config/dataset.ts";
import { resolveDataset } from "../../src/acquire/resolve.ts";
import { ingestAndClean, ingestAndCleanReleasing, rfmStage } from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { parseOptions } from "../../src/lib/args.ts";
import { scaleComparison } from "./scale.ts";
import { modelComparison } from "./models.ts";
import { buildTimes } from "./builds.ts";
import { median } from "./child.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const USAGE =
  "deno task bench [--runs N] [--scale N] [--builds] [--stages|--no-stages] [--models|--no-models]";
const { values: opts } = parseOptions(Deno.args, {
  runs: { type: "string" },
  scale: { type: "string" },
  builds: { type: "boolean", default: false },
  stages: { type: "boolean" },
  "no-stages": { type: "boolean", default: false },
  models: { type: "boolean" },
  "no-models": { type: "boolean", default: false },
  "cold-worker": { type: "boolean", default: false },
}, USAGE);
const positiveInt = (v: string | undefined, name: string, def: number) => {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got "${v}"`);
  }
  return n;
};
const SCALE = opts.scale === undefined ? null : positiveInt(opts.scale, "scale", 1);
const RUNS = positiveInt(opts.runs, "runs", SCALE === null ? 3 : 1);
const SOLO = SCALE !== null || opts.builds;
const DO_STAGES = !opts["no-stages"] && (opts.stages ?? !SOLO);
const DO_MODELS = !opts["no-models"] && (opts.models ?? !SOLO);

/** Peak resident set size of this process in MiB (Linux), or NaN. */
function peakRssMiB(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const m = status.match(/VmHWM:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const registry = parseRegistry(
  JSON.parse(await Deno.readTextFile(`${ROOT}/data/datasets.json`)),
  ROOT,
);
const ds = registry.datasets.find((d) => d.id === registry.default)!;
const sources = await resolveDataset(ds, { root: ROOT, log: () => {} });
const quiet = new Progress(() => {});

if (opts["cold-worker"]) {
  // One cold run in a fresh process, as a build does it: wall time and peak memory.
  const p = new Progress(() => {});
  const t0 = performance.now();
  const c = await ingestAndCleanReleasing(ds, sources, p);
  rfmStage(ds, c.kept, p);
  console.log(
    JSON.stringify({
      wall: (performance.now() - t0) / 1000,
      peakMiB: peakRssMiB(),
      stages: p.stages,
    }),
  );
  Deno.exit(0);
}

if (DO_STAGES) await stageFigures();
if (DO_MODELS) await modelComparison(ds, sources, ROOT, console.log);
if (SCALE !== null) {
  await scaleComparison(ds, sources.map((x) => x.path), {
    scale: SCALE,
    runs: RUNS,
    root: ROOT,
    log: console.log,
  });
}
if (opts.builds) await buildTimes(registry.datasets.map((d) => d.id), ROOT, console.log);

/** In-process stage figures (the default part of the bench). */
async function stageFigures(): Promise<void> {
  // One cold run in a fresh process.
  {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc", // as `deno task build`
        new URL(import.meta.url).pathname,
        "--cold-worker",
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const cold = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    console.log(`bench: one cold run in a fresh process (what a build does)`);
    console.log(`  wall            ${cold.wall.toFixed(3)} s`);
    for (const s of cold.stages) {
      console.log(`    ${s.stage.padEnd(44)} ${(s.ms / 1000).toFixed(3)} s`);
    }
    console.log(`  peak memory     ${cold.peakMiB.toFixed(0)} MiB (VmHWM of that process)`);
  }

  // Warm-up (loads the native polars module, JIT).
  const warm = ingestAndClean(ds, sources, quiet);
  const rowsIn = warm.report.total.rows_in;

  const walls: number[] = [];
  let customers = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const c = ingestAndClean(ds, sources, quiet);
    const r = rfmStage(ds, c.kept, quiet);
    walls.push((performance.now() - t0) / 1000);
    customers = r.customers.height;
  }
  const best = Math.min(...walls);
  console.log(
    `bench: ingest + clean + RFM on ${ds.id} (${
      rowsIn.toLocaleString("en-GB")
    } lines, ${customers} customers)`,
  );
  console.log(`  runs            ${RUNS}`);
  console.log(`  wall best       ${best.toFixed(3)} s   (target < 1.5 s)`);
  console.log(`  wall median     ${median(walls).toFixed(3)} s`);
  console.log(`  rows per second ${Math.round(rowsIn / best).toLocaleString("en-GB")}`);
  const stageLines = new Progress(() => {});
  {
    const c = ingestAndClean(ds, sources, stageLines);
    rfmStage(ds, c.kept, stageLines);
  }
  for (const s of stageLines.stages) {
    console.log(`    ${s.stage.padEnd(44)} ${(s.ms / 1000).toFixed(3)} s`);
  }
  console.log(
    `  peak memory     ${
      peakRssMiB().toFixed(0)
    } MiB (VmHWM after all warm runs; native memory is freed only when V8 collects)`,
  );
}
