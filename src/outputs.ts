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
import { dirname, join } from "node:path";
import { tempPathFor, toJson } from "./io.ts";

type Writer = (tmpPath: string) => void | Promise<void>;

/** Output files staged for an all-or-nothing commit. */
export class OutputSet {
  #entries = new Map<string, Writer>();

  /** @param root folder that relative paths are resolved against */
  constructor(readonly root: string) {}

  /** Stages text or bytes at `path` (relative to the root). */
  add(path: string, data: string | Uint8Array): void {
    this.#entries.set(path, async (tmp) => {
      if (typeof data === "string") await Deno.writeTextFile(tmp, data);
      else await Deno.writeFile(tmp, data);
    });
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

  /** Writes every staged file, then renames them all into place. */
  async commit(): Promise<string[]> {
    const staged: [string, string][] = [];
    try {
      for (const [rel, write] of this.#entries) {
        const target = join(this.root, rel);
        await Deno.mkdir(dirname(target), { recursive: true });
        const tmp = tempPathFor(target);
        staged.push([tmp, target]);
        await write(tmp);
      }
    } catch (e) {
      for (const [tmp] of staged) await Deno.remove(tmp).catch(() => {});
      throw e;
    }
    for (const [tmp, target] of staged) await Deno.rename(tmp, target);
    return staged.map(([, t]) => t);
  }
}
