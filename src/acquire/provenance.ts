/**
 * Provenance sidecars: a file made from the official download (a workbook sheet converted to
 * Parquet, or a text member extracted from a zip) is written with `<file>.provenance.json`,
 * recording where it came from and the sha256 it was written with. A converted file cannot match
 * the mirror's bytes, so the resolver accepts it when its sidecar records exactly its sha256.
 *
 * @module
 */
import type { FileConfig } from "../config/dataset.ts";
import { sha256File, writeJsonAtomic, writeWithAtomicRename } from "../lib/files.ts";
import { DataError } from "./errors.ts";

/** What a converted or extracted file's sidecar records about its making. */
export interface Provenance {
  /** Address the archive was downloaded from. */
  url: string;
  /** sha256 of the downloaded archive. */
  archiveSha256: string;
  /** Member of the archive the file was made from. */
  member: string;
  /** Workbook sheet the rows came from (null for a text member). */
  sheet: string | null;
  /** Number of data rows written (null when not counted). */
  rows: number | null;
  /** sha256 of the written file. */
  sha256: string;
}

/**
 * Path of the provenance sidecar of a file.
 *
 * @example
 * ```ts
 * import { provenancePath } from "./provenance.ts";
 * import { equal } from "node:assert/strict";
 * equal(provenancePath("data/raw/a.parquet"), "data/raw/a.parquet.provenance.json");
 * ```
 */
export function provenancePath(path: string): string {
  return `${path}.provenance.json`;
}

/**
 * Reads and checks a provenance sidecar; null when there is none.
 *
 * @param file the file's configuration (named in errors)
 * @param path the file whose sidecar is read
 * @throws {DataError} when the sidecar is not JSON or has no `sha256` string
 */
export async function readProvenance(file: FileConfig, path: string): Promise<Provenance | null> {
  const side = provenancePath(path);
  let text: string;
  try {
    text = await Deno.readTextFile(side);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DataError(
      `${file.name}: provenance record ${side} is not valid JSON: ${(e as Error).message}`,
    );
  }
  const p = v as Partial<Provenance>;
  if (typeof v !== "object" || v === null || typeof p.sha256 !== "string") {
    throw new DataError(`${file.name}: provenance record ${side} has no "sha256" string`);
  }
  return v as Provenance;
}

/** Writes the provenance sidecar of `path` (atomically). */
export async function writeProvenance(path: string, prov: Provenance): Promise<void> {
  await writeJsonAtomic(provenancePath(path), prov);
}

/**
 * Writes a made file and its sidecar: temporary file, hash, sidecar, rename. On failure neither
 * the file nor its sidecar is left behind.
 *
 * @param target where the file goes
 * @param write writes the file's content to the temporary path it is given
 * @param prov the sidecar's record, without the hash (taken from the written file)
 * @returns the sha256 of the written file
 */
export async function commitWithProvenance(
  target: string,
  write: (tmp: string) => void | Promise<void>,
  prov: Omit<Provenance, "sha256">,
): Promise<string> {
  let hash = "";
  try {
    await writeWithAtomicRename(target, async (tmp) => {
      await write(tmp);
      hash = await sha256File(tmp);
      await writeProvenance(target, { ...prov, sha256: hash });
    });
  } catch (e) {
    await Deno.remove(provenancePath(target)).catch(() => {});
    throw e;
  }
  return hash;
}
