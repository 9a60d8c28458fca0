/**
 * Child of `memory_test.ts` (run with `--v8-flags=--expose-gc`, as the build): four steps, each
 * making a native frame of 20 million 64-bit integers (160 MB) that the next step no longer
 * holds, run through `runSteps` or `runReleasing` (argv[0]: "through", "releasing", or "kept":
 * releasing after `keepFreedMemory`). Prints the growth of the peak resident memory over the start
 * and of the resident memory at the end, in MiB, as JSON.
 *
 * @module
 */
import pl from "nodejs-polars";
import {
  keepFreedMemory,
  releaseNative,
  runReleasing,
  runSteps,
  type Steps,
} from "../../src/lib/memory.ts";

const statusMiB = (field: string) =>
  Number(
    Deno.readTextFileSync("/proc/self/status").match(new RegExp(`${field}:\\s+(\\d+) kB`))![1],
  ) /
  1024;
const peakMiB = () => statusMiB("VmHWM");

function* steps(): Steps<number> {
  let total = 0;
  for (let i = 0; i < 4; i++) {
    const df = pl.DataFrame({ a: [0] }).select(pl.intRange(0, 20_000_000, 1, pl.Int64).alias("x"));
    total += df.height;
    yield;
  }
  return total;
}

const mode = Deno.args[0];
const kept = mode === "kept" ? keepFreedMemory() !== null : false;
const start = peakMiB();
const rss = statusMiB("VmRSS");
const rows = mode === "through" ? runSteps(steps()) : await runReleasing(steps());
await releaseNative(); // the last frame too
console.log(JSON.stringify({
  rows,
  kept,
  growthMiB: peakMiB() - start,
  endGrowthMiB: statusMiB("VmRSS") - rss,
}));
