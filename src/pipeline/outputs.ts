/**
 * A set of output files written all-or-nothing.
 *
 * Stages add their files in memory (or as writer callbacks). An analysis run then writes them
 * all into a private staging folder of its output store ({@link OutputSet.writeInto}; the store,
 * `src/lib/store.ts`, publishes the whole folder with one rename). A stand-alone set (the batch
 * scorer's files) uses {@link OutputSet.commit}: every file is written to a temporary path beside
 * its target and, only once all are written, renamed into place. Either way a run that fails
 * before the end leaves every previous output untouched, and a failed write names the output and
 * its folder in one line (a full disk, a folder that is not writable).
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { tempPathFor, toJson, writeData, writeErrorMessage } from "../lib/files.ts";
import { display } from "../lib/paths.ts";
import { GrowthRelease } from "../lib/memory.ts";

type Writer = (tmpPath: string) => void | Promise<void>;

/** Output files staged for an all-or-nothing commit. */
export class OutputSet {
  #entries = new Map<string, Writer>();
  /** Files {@link OutputSet.start} is writing in the background. */
  #started = new Map<string, Promise<string>>();

  /** @param root folder that relative paths are resolved against */
  constructor(readonly root: string) {}

  /** Stages text or bytes at `path` (relative to the root). */
  add(path: string, data: string | Uint8Array): void {
    this.#entries.set(path, (tmp) => writeData(tmp, data));
  }

  /** Stages a value as stable JSON at `path`. */
  addJson(path: string, value: unknown): void {
    this.add(path, toJson(value));
  }

  /** Stages a file produced by a writer that takes a path (such as a Parquet writer). */
  addWriter(path: string, write: Writer): void {
    this.#entries.set(path, write);
  }

  /** Paths staged so far, relative to the root, in insertion order. */
  paths(): string[] {
    return [...this.#entries.keys()];
  }

  /**
   * Starts writing the files staged so far, in the background, each straight to
   * `place(absolute target)` as {@link OutputSet.writeInto} would (which then waits for them
   * instead of writing them; give it the same `place`). For writers that work off the JavaScript
   * thread, such as polars' Parquet writer: the build writes the clean lines while it computes
   * the customer table. Each writer is called before `start` returns (a synchronous stage that
   * follows does not hold it back). A failure is reported by `writeInto`; a run that stops before
   * must wait for {@link OutputSet.settled} before it deletes the folder written into.
   *
   * @example
   * ```ts
   * import { OutputSet } from "./outputs.ts";
   * import { equal } from "node:assert/strict";
   * const dir = Deno.makeTempDirSync();
   * const out = new OutputSet(dir);
   * out.addWriter("a.txt", (p) => Deno.writeTextFile(p, "early"));
   * const place = (target: string) => `${target}.staged`;
   * out.start(place); // a.txt is being written …
   * out.add("b.txt", "late");
   * await out.writeInto(place); // … writeInto waits for it, then writes b.txt
   * equal(Deno.readTextFileSync(`${dir}/a.txt.staged`), "early");
   * equal(Deno.readTextFileSync(`${dir}/b.txt.staged`), "late");
   * Deno.removeSync(dir, { recursive: true });
   * ```
   */
  start(place: (target: string) => string): void {
    for (const [rel, write] of this.#entries) {
      if (this.#started.has(rel)) continue;
      const run = this.#writeOne(rel, write, place);
      // Handled here so that a failure is not an unhandled rejection; writeInto reports it.
      run.catch(() => {});
      this.#started.set(rel, run);
    }
  }

  /** Resolves once every background write ({@link OutputSet.start}) has ended, however. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#started.values());
  }

  /**
   * Writes one staged file to its place; a failure names the output and its folder. The writer
   * is called before the first pause (the folder and the empty file are made synchronously).
   */
  async #writeOne(rel: string, write: Writer, place: (target: string) => string): Promise<string> {
    const target = resolve(this.root, rel);
    const path = place(target);
    try {
      Deno.mkdirSync(dirname(path), { recursive: true });
      Deno.writeFileSync(path, new Uint8Array());
      await write(path);
    } catch (e) {
      throw new Error(writeErrorMessage(e, display(target), dirname(path)), { cause: e });
    }
    return path;
  }

  /**
   * Writes every staged file straight to `place(absolute target)`, a path in a private staging
   * folder that no reader sees until it is published (a file {@link OutputSet.start} is writing
   * is waited for). Each file is first created empty (so that a folder that cannot be written
   * fails here, with a clear error, before a writer such as polars tries it); a failure names the
   * output and the folder it was written in.
   *
   * @returns the paths written, in insertion order
   */
  async writeInto(place: (target: string) => string): Promise<string[]> {
    const written: string[] = [];
    const release = new GrowthRelease();
    for (const [rel, write] of this.#entries) {
      const started = this.#started.get(rel);
      written.push(started ? await started : await this.#writeOne(rel, write, place));
      // A writer's own frames (the clean lines as plain text …) go before the next one's.
      await release.pause();
    }
    return written;
  }

  /**
   * Writes every staged file to a temporary path, then moves them all into place. Existing
   * targets are first moved aside; if any move fails, every target is restored and every
   * temporary file removed, so the previous outputs stay as they were.
   */
  async commit(): Promise<string[]> {
    if (this.#started.size) throw new Error("commit() cannot take files that start() is writing");
    const staged: [string, string][] = [];
    const createdDirs: string[] = [];
    try {
      for (const [rel, write] of this.#entries) {
        const target = resolve(this.root, rel);
        await mkdirTracked(dirname(target), createdDirs);
        const tmp = tempPathFor(target);
        staged.push([tmp, target]);
        try {
          await Deno.writeFile(tmp, new Uint8Array());
          await write(tmp);
        } catch (e) {
          throw new Error(writeErrorMessage(e, display(target), dirname(target)), { cause: e });
        }
      }
    } catch (e) {
      for (const [tmp] of staged) await Deno.remove(tmp).catch(() => {});
      await removeDirs(createdDirs);
      throw e;
    }
    const moved: { target: string; backup: string | null }[] = [];
    try {
      for (const [tmp, target] of staged) {
        let backup: string | null = null;
        if (await isFile(target)) {
          backup = `${tmp}.previous`;
          await Deno.rename(target, backup);
        }
        moved.push({ target, backup });
        await Deno.rename(tmp, target);
      }
    } catch (e) {
      for (const { target, backup } of moved.reverse()) {
        if (backup) await Deno.rename(backup, target).catch(() => {});
        else await Deno.remove(target).catch(() => {});
      }
      for (const [tmp] of staged) await Deno.remove(tmp).catch(() => {});
      await removeDirs(createdDirs);
      throw e;
    }
    for (const { backup } of moved) if (backup) await Deno.remove(backup).catch(() => {});
    return staged.map(([, t]) => t);
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Creates a folder and its missing parents, recording the ones it created (outermost first). */
async function mkdirTracked(dir: string, created: string[]): Promise<void> {
  const missing: string[] = [];
  let d = dir;
  while (true) {
    try {
      await Deno.stat(d);
      break;
    } catch {
      missing.unshift(d);
      const parent = dirname(d);
      if (parent === d) break;
      d = parent;
    }
  }
  for (const m of missing) {
    await Deno.mkdir(m).catch((e) => {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    });
    created.push(m);
  }
}

/** Removes folders this commit created, innermost first, if they are empty. */
async function removeDirs(dirs: string[]): Promise<void> {
  for (const d of [...dirs].reverse()) await Deno.remove(d).catch(() => {});
}
