/**
 * Non-cryptographic string hashing (FNV-1a), for deterministic seeds and samples. Pure. For file
 * checksums use `sha256` in `files.ts`.
 *
 * @module
 */

/** FNV-1a's 32-bit offset basis. */
const FNV_OFFSET = 0x811c9dc5;
/** FNV-1a's 32-bit prime. */
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a over a string's UTF-16 code units, as an unsigned integer (no final mixing).
 *
 * @example
 * ```ts
 * import { fnv1a32 } from "./hash.ts";
 * import { equal } from "node:assert/strict";
 * equal(fnv1a32(""), 0x811c9dc5);
 * equal(fnv1a32("a"), 0xe40c292c); // the published FNV-1a test vector
 * ```
 */
export function fnv1a32(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

/**
 * FNV-1a followed by murmur3's `fmix32` avalanche, so that similar keys ("12346", "12347")
 * spread evenly over [0, 2³²).
 *
 * @example
 * ```ts
 * import { hashString } from "./hash.ts";
 * import { ok } from "node:assert/strict";
 * const a = hashString("12346"), b = hashString("12347");
 * ok(Math.abs(a - b) > 2 ** 20); // neighbours land far apart
 * ```
 */
export function hashString(text: string): number {
  let h = fnv1a32(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
