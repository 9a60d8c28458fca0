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

/**
 * A unique temporary path in the same folder as `path` (so that a rename onto `path` is atomic),
 * hidden (`.tmp-` prefix) and tagged with the process id and a random suffix.
 */
export function tempPathFor(path: string): string {
  const dir = dirname(path);
  const base = path.slice(dir.length + 1);
  return `${dir}/.tmp-${base}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}`;
}

/** Writes text or bytes to a path (not atomically: use it for temporary paths). */
export async function writeData(path: string, data: string | Uint8Array): Promise<void> {
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
}

/**
 * The one atomic writer: runs `write(tmp)` to produce a file at a temporary path beside `path`,
 * then renames it onto `path`; on failure the temporary file is removed and `path` is untouched.
 * Creates the folder when needed. Use it directly for writers that only take a path (such as
 * polars' `writeParquet`).
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

/** Writes `data` to `path` atomically ({@link writeWithAtomicRename}). */
export function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  return writeWithAtomicRename(path, (tmp) => writeData(tmp, data));
}

/**
 * Replaces the folder `target` by the folder `staged` (removes the old one, then renames the new
 * one into place). A missing `target` is fine.
 */
export async function replaceDir(staged: string, target: string): Promise<void> {
  await Deno.remove(target, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.rename(staged, target);
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
