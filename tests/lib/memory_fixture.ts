/**
 * Child of `memory_test.ts` (run with `--v8-flags=--expose-gc`, as the build): four steps, each
 * making a native frame of 20 million 64-bit integers (160 MB) that the next step no longer
 * holds, run through `runSteps` or `runReleasing` (argv[0]). Prints the growth of the peak
 * resident memory over the start, in MiB, as JSON.
 *
 * @module
 */
import pl from "nodejs-polars";
import { runReleasing, runSteps, type Steps } from "../../src/lib/memory.ts";

const peakMiB = () =>
  Number(Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+) kB/)![1]) / 1024;

function* steps(): Steps<number> {
  let total = 0;
  for (let i = 0; i < 4; i++) {
    const df = pl.DataFrame({ a: [0] }).select(pl.intRange(0, 20_000_000, 1, pl.Int64).alias("x"));
    total += df.height;
    yield;
  }
  return total;
}

const start = peakMiB();
const rows = Deno.args[0] === "releasing" ? await runReleasing(steps()) : runSteps(steps());
console.log(JSON.stringify({ rows, growthMiB: peakMiB() - start }));
