/**
 * `deno task bench`: times the pipeline stages on the full default dataset and prints figures.
 *
 * Targets (issue #2, #3): ingest + clean + RFM under 1.5 s wall for the 1.07 M lines; the model
 * stage under 10 s; both on a 2-core machine. Each stage is run `--runs N` times (default 3) in
 * this process after one warm-up; the best and median wall times are printed with rows per
 * second, and the process's peak resident memory (VmHWM) at the end.
 *
 * @module
 */
import { parseRegistry } from "../../src/config/dataset.ts";
import { resolveDataset } from "../../src/acquire/resolve.ts";
import { forwardData, ingestAndClean, rfmStage, toArrays } from "../../src/pipeline/stages.ts";
import { Progress } from "../../src/pipeline/progress.ts";
import { modelStage } from "../../src/pipeline/model_stage.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const runsArg = Deno.args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Number(Deno.args[runsArg + 1]) : 3;

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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const registry = parseRegistry(
  JSON.parse(await Deno.readTextFile(`${ROOT}/data/datasets.json`)),
  ROOT,
);
const ds = registry.datasets.find((d) => d.id === registry.default)!;
const sources = await resolveDataset(ds, { root: ROOT, log: () => {} });
const quiet = new Progress(() => {});

if (Deno.args.includes("--cold-worker")) {
  // One cold run in a fresh process, as a build does it: wall time and peak memory.
  const p = new Progress(() => {});
  const t0 = performance.now();
  const c = ingestAndClean(ds, sources, p);
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

// One cold run in a fresh process.
{
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--cold-worker"],
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

// Model stage: k sweep with restarts and silhouettes, stability, segment classifier, CV tuning,
// final fit and scoring of every customer.
{
  const c = ingestAndClean(ds, sources, quiet);
  const r = rfmStage(ds, c.kept, quiet, c.quarantine);
  const current = toArrays(r.customers, r.scores.rfm_segment);
  const forward = forwardData(ds, c);
  const modelRuns = Math.max(1, Math.min(RUNS, 2));
  const modelWalls: number[] = [];
  let sub: { stage: string; ms: number }[] = [];
  for (let i = 0; i < modelRuns; i++) {
    const stages: { stage: string; ms: number }[] = [];
    let last = performance.now();
    const t0 = last;
    modelStage(ds, current, forward, {}, (stage) => {
      const now = performance.now();
      stages.push({ stage, ms: now - last });
      last = now;
    });
    modelWalls.push((performance.now() - t0) / 1000);
    sub = stages;
  }
  console.log(
    `bench: model stage on ${ds.id} (${current.customer_id.length} customers now, ${forward.features.customer_id.length} at the cutoff)`,
  );
  console.log(`  runs            ${modelRuns}`);
  console.log(`  wall best       ${Math.min(...modelWalls).toFixed(3)} s   (target < 10 s)`);
  for (const s of sub) console.log(`    ${s.stage.padEnd(44)} ${(s.ms / 1000).toFixed(3)} s`);
  console.log(`  peak memory     ${peakRssMiB().toFixed(0)} MiB (VmHWM)`);
}
