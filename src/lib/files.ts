/**
 * File-system edges shared by the pipeline: atomic writes, checksums, JSON reading.
 *
 * Every output is written to a temporary file beside its target and renamed into place, so a
 * reader never sees a half-written file and a failed run leaves the previous output intact.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { dirname } from "node:path";

let counter = 0;

/** A unique temporary path in the same folder as `path` (so that rename is atomic). */
export function tempPathFor(path: string): string {
  counter += 1;
  const dir = dirname(path);
  const base = path.slice(dir.length + 1);
  return `${dir}/.tmp-${base}.${Deno.pid}.${counter}`;
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder, then a rename.
 * Creates the folder when needed.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Runs `write(tmp)` to produce a file at a temporary path, then renames it onto `path`.
 * Use it for writers that only take a path (such as polars' `writeParquet`).
 */
export async function writeWithAtomicRename(
  path: string,
  write: (tmp: string) => void | Promise<void>,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await write(tmp);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Stable JSON text: two-space indent and a final newline. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** Writes `value` as stable JSON, atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, toJson(value));
}

/** The sha256 of a file, as lowercase hex, read as a stream. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("hex")));
  });
}

/** The sha256 of bytes or text, as lowercase hex. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Reads and parses a JSON file; a parse error names the file. */
export async function readJson(path: string): Promise<unknown> {
  const text = await Deno.readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
  }
}
