/**
 * Native memory: collecting dropped polars frames now, and handing freed pages back to the system.
 *
 * @module
 */

/**
 * Hands the free pages of the native heap back to the system (glibc's `malloc_trim`): polars
 * frees a stage's frames into malloc's arenas, which keep their pages, so without it the next
 * stage's peak stacks on the last one's leftovers (about 190 MiB less peak memory on Online
 * Retail II as CSV). Costs time on a large heap (seconds at 10 million lines): call it between
 * stages where a large table was just dropped. Does nothing without glibc or without the FFI
 * permission.
 *
 * @example
 * ```ts
 * import { trimNativeHeap } from "./memory.ts";
 * import { equal } from "node:assert/strict";
 * equal(typeof trimNativeHeap(), "boolean"); // true when the pages were handed back
 * ```
 *
 * @returns whether `malloc_trim` ran
 */
export function trimNativeHeap(): boolean {
  return withGlibc((libc) => void libc.malloc_trim(0n)) !== null;
}

/** The glibc functions this module calls. */
const GLIBC = {
  malloc_trim: { parameters: ["usize"], result: "i32" },
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
} as const;

/**
 * Calls `fn` with glibc's allocator functions; null (and nothing done) without glibc or without
 * the FFI permission.
 */
function withGlibc<T>(fn: (libc: Deno.DynamicLibrary<typeof GLIBC>["symbols"]) => T): T | null {
  let libc: Deno.DynamicLibrary<typeof GLIBC>;
  try {
    libc = Deno.dlopen("libc.so.6", GLIBC);
  } catch {
    return null;
  }
  try {
    return fn(libc.symbols);
  } finally {
    libc.close();
  }
}

/**
 * The page-fault cost above which the data stage keeps the memory it frees
 * ({@link keepFreedMemory}), in microseconds per 4 KiB page. Measured: about 15 µs on the
 * virtual machines where keeping saved a tenth of the data stage's time at ten million lines (and
 * cost a fifth more peak memory); about 2 µs on others, where it saved no measurable time and
 * still cost the memory.
 */
export const KEEP_FREED_ABOVE_US = 6;

/**
 * What a fresh page of memory costs this process when it is first written, in microseconds per
 * 4 KiB page (the median of three probes of `bytes` each: a new buffer, one byte written per
 * page). On bare metal a fraction of a microsecond; on some virtual machines 10–20 µs.
 *
 * @example
 * ```ts
 * import { pageFaultCost } from "./memory.ts";
 * import { ok } from "node:assert/strict";
 * ok(pageFaultCost() > 0);
 * ```
 */
export function pageFaultCost(bytes = 8 * 2 ** 20): number {
  const pages = Math.floor(bytes / 4096);
  const probes = [0, 1, 2].map(() => {
    const t0 = performance.now();
    const b = new Uint8Array(pages * 4096);
    for (let i = 0; i < b.length; i += 4096) b[i] = 1;
    return ((performance.now() - t0) * 1000) / pages;
  });
  return probes.sort((a, b) => a - b)[1];
}

/**
 * Whether the data stage should keep the memory it frees: only where a page fault costs more
 * than {@link KEEP_FREED_ABOVE_US} (`costUs`, from {@link pageFaultCost}). Elsewhere keeping
 * costs peak memory and saves no time.
 *
 * @example
 * ```ts
 * import { shouldKeepFreedMemory } from "./memory.ts";
 * import { equal } from "node:assert/strict";
 * equal(shouldKeepFreedMemory(15), true);
 * equal(shouldKeepFreedMemory(2), false);
 * ```
 */
export function shouldKeepFreedMemory(costUs: number): boolean {
  return costUs > KEEP_FREED_ABOVE_US;
}

/**
 * Times a fresh page ({@link pageFaultCost}) and keeps freed memory ({@link keepFreedMemory})
 * where that is dear ({@link shouldKeepFreedMemory}).
 *
 * @example
 * ```ts
 * import { keepFreedMemoryWhereDear, shouldKeepFreedMemory } from "./memory.ts";
 * import { equal, ok } from "node:assert/strict";
 * const { pageFaultUs, end } = keepFreedMemoryWhereDear();
 * ok(pageFaultUs > 0);
 * if (!shouldKeepFreedMemory(pageFaultUs)) equal(end, null);
 * end?.(); // back to the defaults
 * ```
 *
 * @returns the cost measured (µs per page) and `end` of {@link keepFreedMemory} (null: not kept)
 */
export function keepFreedMemoryWhereDear(): { pageFaultUs: number; end: (() => void) | null } {
  const pageFaultUs = pageFaultCost();
  return { pageFaultUs, end: shouldKeepFreedMemory(pageFaultUs) ? keepFreedMemory() : null };
}

/**
 * Makes the native heap keep the memory it frees, for the process's later allocations, until
 * the returned `end` is called: no allocation gets pages of its own (glibc's
 * `mallopt(M_MMAP_MAX, 0)`), and free pages are not handed back by the allocator itself
 * (`M_TRIM_THRESHOLD` at its maximum); an explicit {@link trimNativeHeap} still hands them back,
 * and the pages taken after it are faulted in again. `end` lets large allocations have their own
 * pages again, hands free pages back past 128 KiB at the top of the heap (glibc's defaults) and
 * trims the heap once.
 *
 * Why: every page the process takes from the system costs a page fault when first written, and
 * on these virtual machines a fault costs about 15 µs per 4 KiB page (about 4 s per GiB, against
 * a fraction of that on bare metal). By default polars' large buffers (a column of millions of
 * lines) get pages of their own, returned when freed, so each new column is faulted in again:
 * the data stage of ten million lines faulted in 4.4 GB for a peak of 2.1 GB (1.1 million
 * faults, 9 s of system time). Kept, the freed pages serve the next columns: 0.8 million faults,
 * and that stage about 10 % faster, for more peak memory (the freed memory is held; see the
 * README's figures). The build keeps memory through its data and RFM stages on polars where a
 * fault costs more than {@link KEEP_FREED_ABOVE_US} ({@link shouldKeepFreedMemory}): on the whole
 * table all of it; in parts the free pages still go back at the end of each pass. Does nothing
 * without glibc or without the FFI permission.
 *
 * @example
 * ```ts
 * import { keepFreedMemory } from "./memory.ts";
 * import { equal } from "node:assert/strict";
 * const end = keepFreedMemory(); // null without glibc or without the FFI permission
 * equal(end === null || typeof end === "function", true);
 * end?.(); // back to the defaults
 * ```
 *
 * @returns `end`, or null when the allocator did not take the settings
 */
export function keepFreedMemory(): (() => void) | null {
  const M_TRIM_THRESHOLD = -1;
  const M_MMAP_MAX = -4;
  // (mallopt returns 1 on success)
  const set = (settings: [number, number][]) =>
    withGlibc((libc) => settings.every(([param, value]) => libc.mallopt(param, value) === 1)) ===
      true;
  if (!set([[M_MMAP_MAX, 0], [M_TRIM_THRESHOLD, 2 ** 31 - 1]])) return null;
  return () => {
    set([[M_MMAP_MAX, 65_536], [M_TRIM_THRESHOLD, 128 * 1024]]);
    trimNativeHeap();
  };
}

/**
 * Asks V8 for a full collection when the process runs with `--v8-flags=--expose-gc` (the build
 * and verify tasks do), and lets the finalizers run: polars frames hold native memory that V8
 * does not see, so a frame a stage dropped otherwise stays allocated until V8 happens to
 * collect, and the stages' leftovers add up. With `trim` (after ingest, whose leftovers the
 * cleaning peak would stack on) the freed pages then go back to the system
 * ({@link trimNativeHeap}); trimming costs time on a large heap, so only there.
 *
 * @example
 * ```ts
 * import { releaseNative } from "./memory.ts";
 * await releaseNative(); // without --expose-gc and without trim: nothing to do, and no error
 * ```
 */
export async function releaseNative(options: { trim?: boolean } = {}): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    // The native memory of collected frames is freed by finalizers, on a later turn.
    await new Promise((done) => setTimeout(done, 0));
    gc();
  }
  if (options.trim) trimNativeHeap();
}

/** The process's resident memory in MiB. */
function residentMiB(): number {
  return Deno.memoryUsage().rss / 2 ** 20;
}

/**
 * Releases native memory ({@link releaseNative}) at pauses, but only once the process has grown
 * by `growthMiB` since the last release: a full collection costs tens of milliseconds, which a
 * small table should not pay at every pause, while on a large one every pause releases.
 *
 * @example
 * ```ts
 * import { GrowthRelease } from "./memory.ts";
 * import { equal } from "node:assert/strict";
 * const release = new GrowthRelease(1024);
 * equal(await release.pause(), false); // not grown by 1 GiB since it was made
 * ```
 */
export class GrowthRelease {
  #mark = residentMiB();
  #trimMark = this.#mark;
  #trims = 0;

  /**
   * @param growthMiB growth of the resident memory that calls for a release (default 32)
   * @param trimGrowthMiB growth since the last trim (or since the start) that calls for a trim
   *   as well ({@link GrowthRelease.trim}; default: never): for computations in parts, whose
   *   parts' frames are dropped but whose pages the allocator keeps
   */
  constructor(readonly growthMiB = 32, readonly trimGrowthMiB = Infinity) {}

  /** Trims made so far (by {@link GrowthRelease.trim}, or by a pause past `trimGrowthMiB`). */
  get trims(): number {
    return this.#trims;
  }

  /** Releases when the process has grown enough since the last release; returns whether it did. */
  async pause(): Promise<boolean> {
    const now = residentMiB();
    if (now - this.#trimMark >= this.trimGrowthMiB) {
      await this.trim();
      return true;
    }
    if (now - this.#mark < this.growthMiB) return false;
    await releaseNative();
    this.#mark = residentMiB();
    return true;
  }

  /** Releases now, and hands the freed pages back to the system ({@link trimNativeHeap}). */
  async trim(): Promise<void> {
    await releaseNative({ trim: true });
    this.#mark = this.#trimMark = residentMiB();
    this.#trims++;
  }
}

/**
 * A computation in steps: it pauses (yields) where the polars frames it has just dropped could be
 * released, because Deno frees a frame's native memory only on a later turn of the event loop
 * (see {@link releaseNative}), which a synchronous stage never gives it: without the pauses every
 * intermediate frame of a stage stays allocated until the stage ends. Run it with
 * {@link runSteps} (synchronous, no release: tests and small data) or {@link runReleasing}.
 *
 * A step may also yield a promise (a {@link Wait}): {@link runReleasing} waits for it before the
 * next step, {@link runSteps} cannot and goes on, so a step must give the same result either way
 * (it waits for something that only saves work, such as a pre-pass made in a worker).
 */
export type Steps<T> = Generator<void | typeof TRIM | Wait, T, void>;

/** Something a step may wait for before the next ({@link Steps}). */
export type Wait = Promise<unknown>;

/**
 * Runs `steps` through without pausing.
 *
 * @example
 * ```ts
 * import { runSteps, type Steps } from "./memory.ts";
 * import { equal } from "node:assert/strict";
 * function* twice(x: number): Steps<number> {
 *   yield;
 *   return 2 * x;
 * }
 * equal(runSteps(twice(21)), 42);
 * ```
 */
export function runSteps<T>(steps: Steps<T>): T {
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/**
 * Runs `steps`, releasing the native memory of dropped frames at its pauses once the process has
 * grown by 32 MiB since the last release ({@link GrowthRelease}; a full collection only with
 * `--v8-flags=--expose-gc`, as the build runs), and waiting where a step yields a promise.
 *
 * @example
 * ```ts
 * import { runReleasing, type Steps } from "./memory.ts";
 * import { equal } from "node:assert/strict";
 * function* count(n: number): Steps<number> {
 *   let pauses = 0;
 *   for (let i = 0; i < n; i++, pauses++) yield;
 *   return pauses;
 * }
 * equal(await runReleasing(count(3)), 3);
 * ```
 */
export async function runReleasing<T>(
  steps: Steps<T>,
  /** Growth after which a pause trims too (`GrowthRelease`'s `trimGrowthMiB`; default never). */
  trimGrowthMiB = Infinity,
): Promise<T> {
  const release = new GrowthRelease(32, trimGrowthMiB);
  let r = steps.next();
  while (!r.done) {
    if (r.value === TRIM) await release.trim();
    else if (r.value instanceof Promise) await r.value;
    else await release.pause();
    r = steps.next();
  }
  return r.value;
}

/**
 * What a step yields at the end of a phase after which the freed pages should go back to the
 * system too (`runReleasing` trims the native heap there, {@link trimNativeHeap}): the allocator
 * keeps the pages of large frames it freed, and the next phase's frames do not always fit in
 * them. Trimming a large heap takes time, so only at a few such points.
 */
export const TRIM = "trim";
