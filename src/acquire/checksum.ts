/**
 * Checksums of acquired files: the refusal of a file whose sha256 is not the configured one, and
 * the short form of a hash shown in messages.
 *
 * @module
 */
import type { FileConfig } from "../config/dataset.ts";
import { DataError } from "./errors.ts";

/**
 * The refusal of a file whose sha256 is not the configured one, naming the file, the path and
 * both hashes.
 */
export function checksumMismatch(
  file: FileConfig,
  path: string,
  expected: string,
  actual: string,
): DataError {
  return new DataError(
    `${file.name}: checksum mismatch for ${path}: expected sha256 ${expected}, got ${actual}. ` +
      `The file is not used; replace or delete it.`,
  );
}

/**
 * The first 12 hex digits of a hash, for display.
 *
 * @example
 * ```ts
 * import { shortHash } from "./checksum.ts";
 * import { equal } from "node:assert/strict";
 * equal(shortHash("3912928afeeb5da42d97715cc71e0db5"), "3912928afeeb");
 * ```
 */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
