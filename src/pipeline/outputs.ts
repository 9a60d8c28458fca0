/**
 * A set of output files written all-or-nothing.
 *
 * Stages add their files in memory (or as writer callbacks); {@link OutputSet.commit} then writes
 * every file to a temporary path beside its target and, only once all are written, renames them
 * into place. A run that fails before the commit leaves every previous output untouched; a
 * failure while staging removes the temporary files.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { tempPathFor, toJson, writeData } from "../lib/files.ts";

type Writer = (tmpPath: string) => void | Promise<void>;

/** Output files staged for an all-or-nothing commit. */
export class OutputSet {
  #entries = new Map<string, Writer>();

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
   * Writes every staged file to a temporary path, then moves them all into place. Existing
   * targets are first moved aside; if any move fails, every target is restored and every
   * temporary file removed, so the previous outputs stay as they were.
   */
  async commit(): Promise<string[]> {
    const staged: [string, string][] = [];
    const createdDirs: string[] = [];
    try {
      for (const [rel, write] of this.#entries) {
        const target = resolve(this.root, rel);
        await mkdirTracked(dirname(target), createdDirs);
        const tmp = tempPathFor(target);
        staged.push([tmp, target]);
        await write(tmp);
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
