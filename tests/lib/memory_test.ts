import { deepEqual, equal, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  GrowthRelease,
  KEEP_FREED_ABOVE_US,
  pageFaultCost,
  runReleasing,
  runSteps,
  shouldKeepFreedMemory,
  type Steps,
} from "../../src/lib/memory.ts";

/** Runs the fixture in a fresh process with `--expose-gc` (as the build) and reads its figures. */
async function run(
  mode: "releasing" | "through" | "kept",
): Promise<{ rows: number; kept: boolean; growthMiB: number; endGrowthMiB: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      fileURLToPath(new URL("./memory_fixture.ts", import.meta.url)),
      mode,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("runReleasing frees each step's dropped frames, runSteps holds them all to the end", async () => {
  // Four steps of a 160 MB frame each: released at each pause, at most two are alive at once
  // (the frame a step still holds when it pauses, and the next one); run through, all four.
  const through = await run("through");
  const releasing = await run("releasing");
  equal(through.rows, 80_000_000);
  equal(releasing.rows, 80_000_000);
  ok(through.growthMiB > 3 * 150, `run through: ${through.growthMiB.toFixed(0)} MiB`);
  ok(
    releasing.growthMiB < 2.5 * 160,
    `releasing: ${releasing.growthMiB.toFixed(0)} MiB (through: ${through.growthMiB.toFixed(0)})`,
  );
});

Deno.test("keepFreedMemory: the pages of freed frames stay with the process and serve the next frames", async () => {
  // The same four steps, released at each pause. By default each freed frame's pages go back
  // to the system (and the next frame is faulted in afresh); kept, they stay resident after
  // the last frame is freed, and later frames reuse them: the peak stays below four frames'
  // worth (measured: 475 MiB kept, 321 returned, 627 held through).
  const returned = await run("releasing");
  const kept = await run("kept");
  equal(kept.kept, true, "glibc took the settings");
  equal(kept.rows, 80_000_000);
  ok(returned.endGrowthMiB < 100, `returned: ${returned.endGrowthMiB.toFixed(0)} MiB at the end`);
  ok(kept.endGrowthMiB > 140, `kept: ${kept.endGrowthMiB.toFixed(0)} MiB at the end`);
  ok(kept.growthMiB < 3.5 * 160, `kept: peak grew ${kept.growthMiB.toFixed(0)} MiB`);
});

Deno.test("pageFaultCost and shouldKeepFreedMemory: freed memory is kept only where faults are dear", () => {
  const us = pageFaultCost();
  ok(us > 0 && Number.isFinite(us), `${us}`);
  equal(shouldKeepFreedMemory(KEEP_FREED_ABOVE_US + 0.1), true);
  equal(shouldKeepFreedMemory(KEEP_FREED_ABOVE_US), false);
  equal(shouldKeepFreedMemory(2), false);
  equal(shouldKeepFreedMemory(15), true);
});

Deno.test("GrowthRelease trims once the process has grown by trimGrowthMiB, and only then", async () => {
  const touch = (mib: number) => new Uint8Array(mib << 20).fill(1);
  const parts = new GrowthRelease(1024, 16);
  await parts.pause();
  equal(parts.trims, 0, "not grown yet");
  const held = touch(48); // resident: the process grew by 48 MiB
  equal(await parts.pause(), true);
  equal(parts.trims, 1);
  await parts.pause();
  equal(parts.trims, 1, "not grown since the trim");
  // By default a pause never trims, however much the process grew.
  const plain = new GrowthRelease(1024);
  const more = touch(48);
  equal(await plain.pause(), false);
  equal(plain.trims, 0);
  ok(held.length + more.length > 0);
});

Deno.test("runReleasing waits for a promise a step yields; runSteps goes on", async () => {
  const seen: string[] = [];
  function* steps(wait: Promise<void>): Steps<string[]> {
    seen.push("before");
    yield wait;
    seen.push("after");
    return seen;
  }
  let resolve!: () => void;
  const wait = new Promise<void>((r) => resolve = r).then(() => void seen.push("resolved"));
  const done = runReleasing(steps(wait));
  await new Promise((r) => setTimeout(r, 10));
  deepEqual(seen, ["before"], "the next step waits");
  resolve();
  deepEqual(await done, ["before", "resolved", "after"]);
  seen.length = 0;
  deepEqual(runSteps(steps(new Promise(() => {}))), ["before", "after"]);
});
